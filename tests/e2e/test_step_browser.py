"""Step through in a real browser: the live view (ui/live_step.js) plays, steps and scrubs forget_bias
with no server message, shows lstm_core's numbers, hands the step it stops at to the other pages, and
gives way to the server-side controls when it cannot start."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Page, expect

from lstm_core.sequences import InputSpec
from tools.browser import full_page_screenshot, record_websocket, slider, wait_idle, websocket_log
from tools.svg_text import smallest_svg_text, svg_text_problems
from ui.model import ModelSpec, run_model
from viz.stepview import DIGITS

ROOT = "[data-testid='lstm-live-step']"
VIEWPORT = {"width": 1400, "height": 1000}


def open_step_page(page: Page, url: str, viewport: dict = VIEWPORT) -> None:
    page.set_viewport_size(viewport)
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector(f"{ROOT}[data-lstm-step='ready']", timeout=60_000)
    page.wait_for_timeout(300)
    wait_idle(page)  # the rerun the view asks for once it runs (the page then drops its hidden Plotly drawing)


def sent(page: Page) -> int:
    return len(websocket_log(page)["sent"])


def drawing_texts(page: Page) -> list[str]:
    return page.locator(f"{ROOT} .ls-drawing svg text").all_text_contents()


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def equation_values(page: Page) -> dict[str, float]:
    """{equation: the number its line with this step's numbers ends with}, as the page shows them."""
    out = {}
    for row in page.locator(f"{ROOT} .ls-eq").all():
        numeric = row.locator("div math").text_content()
        out[row.get_attribute("data-equation")] = number(numeric.rsplit("=", 1)[1])
    return out


def shown_step(page: Page) -> int:
    """The step the view shows, once it has drawn what it was last told (two animation frames)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return int(re.search(r"t = (\d+)", page.locator(f"{ROOT} .ls-title").text_content()).group(1))


def test_play_animates_the_drawing_equations_and_sentences_without_asking_the_server(
    page: Page, app_url: str, artifacts
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    record_websocket(page)
    open_step_page(page, f"{app_url}/step_through?weights=random&unit=2")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    full_page_screenshot(page, artifacts / "step_through.png")
    drawing, equations = drawing_texts(page), equation_values(page)
    sentences = page.locator(f"{ROOT} .ls-side li").all_text_contents()
    assert shown_step(page) == 0

    before = sent(page)
    page.locator(f"{ROOT} select").select_option("10")  # fast
    page.get_by_role("button", name="▶ Play").click()
    seen = []
    for _ in range(6):
        time.sleep(0.2)
        seen.append(shown_step(page))
    assert sent(page) == before, "playing sent messages to the server"
    page.get_by_role("button", name="❚❚ Pause").click()
    paused = shown_step(page)
    assert len(set(seen)) >= 4 and seen == sorted(seen), seen
    assert drawing_texts(page) != drawing and equation_values(page) != equations
    assert page.locator(f"{ROOT} .ls-side li").all_text_contents() != sentences
    # What is shown is lstm_core's step `paused`, in the drawing, the equations and the sentences.
    trace = run_model(ModelSpec()).traces[0]
    assert equation_values(page)["new_c"] == pytest.approx(round(float(trace.new_c[0, paused, 2]), DIGITS), abs=1e-4)
    assert f"{trace.new_c[0, paused, 2]:.3f}" in " ".join(drawing_texts(page))
    assert f"{trace.f[0, paused, 2]:.3f}" in page.locator(f"{ROOT} .ls-side li").first.text_content()

    # Paused: the step goes to the server once, and into the link.
    page.wait_for_url(f"**step={paused}**")
    wait_idle(page)
    assert sent(page) == before + 1
    assert shown_step(page) == paused  # the server's answer does not move the view
    assert errors == []


def test_a_drag_of_forget_bias_shows_lstm_cores_numbers_at_that_value(page: Page, app_url: str) -> None:
    record_websocket(page)
    open_step_page(page, f"{app_url}/step_through?weights=random&step=7&unit=1")
    thumb = page.locator(f"{ROOT} .ls-slider input[type=range]").nth(1)
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    y = box["y"] + box["height"] / 2
    before, frames = sent(page), int(page.locator(ROOT).get_attribute("data-frames"))
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()
    values = set()
    for k in range(40):  # from forget_bias 1 down to about -3
        page.mouse.move(box["x"] + box["width"] * (0.6 - 0.4 * k / 40), y)
        page.wait_for_timeout(16)
        values.add(page.locator(f"{ROOT} .ls-slider output").nth(1).text_content())
    assert sent(page) == before, "dragging sent messages to the server"
    assert len(values) > 10 and int(page.locator(ROOT).get_attribute("data-frames")) - frames > 10
    v = float(page.locator(f"{ROOT} .ls-slider output").nth(1).text_content())
    assert v < -1
    trace = run_model(ModelSpec(forget_bias=v)).traces[0]
    expected = {
        "f": trace.f[0, 7, 1],
        "i": trace.i[0, 7, 1],
        "j": trace.j[0, 7, 1],
        "new_c": trace.new_c[0, 7, 1],
        "o": trace.o[0, 7, 1],
        "new_h": trace.new_h[0, 7, 1],
    }
    shown = equation_values(page)
    for name, value in expected.items():
        assert shown[name] == pytest.approx(round(float(value), DIGITS), abs=1e-4), name
    assert f"(−{abs(v):.4f})" in page.locator(f"{ROOT} .ls-eq").first.text_content()  # + b_forget, printed
    page.mouse.up()
    page.wait_for_url(f"**forget_bias={v:g}**")
    wait_idle(page)
    assert sent(page) == before + 1
    assert equation_values(page) == shown


def test_the_unrolled_view_shows_the_steps_it_names_and_what_each_hands_the_next(page: Page, app_url: str) -> None:
    open_step_page(page, f"{app_url}/step_through?weights=random&step=12&unit=3")
    trace = run_model(ModelSpec()).traces[0]
    chain = page.locator(f"{ROOT} .ls-unrolled svg")
    labels = chain.locator("text").all_text_contents()
    assert [text for text in labels if text.startswith("t = ")] == [f"t = {t}" for t in range(8, 13)]
    printed = [number(text) for text in labels if re.fullmatch(r"[−-]?\d\.\d{3}", text)]
    # Along the top, c into step 8, then out of each of 8..12; along the bottom, h the same way.
    c = [trace.new_c[0, t, 3] for t in range(7, 13)]
    h = [trace.new_h[0, t, 3] for t in range(7, 13)]
    assert printed == pytest.approx([value for pair in zip(c, h, strict=True) for value in pair], abs=6e-4)
    assert chain.locator(".ls-cell.ls-current").count() == 1
    # Hovering a step of the timeline highlights that step's cell in the unrolled view, and tells its values.
    line = page.locator(f"{ROOT} .ls-timeline canvas")
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    page.mouse.move(box["x"] + box["width"] * (10.5 / 60), box["y"] + 5)
    expect(page.locator(f"{ROOT} .ls-tip")).to_contain_text("t = 10:")
    expect(page.locator(f"{ROOT} .ls-tip")).to_contain_text(f"f {trace.f[0, 10, 3]:.3f}")
    hovered = chain.locator(".ls-cell.ls-hover")
    assert hovered.count() == 1 and hovered.get_attribute("data-slot") == "2"
    page.mouse.click(box["x"] + box["width"] * (30.5 / 60), box["y"] + 5)
    assert shown_step(page) == 30
    page.keyboard.press("ArrowRight")
    assert shown_step(page) == 31


def test_the_step_paused_at_is_selected_on_explore(page: Page, app_url: str) -> None:
    open_step_page(page, f"{app_url}/step_through?weights=random")
    page.locator(f"{ROOT} select").select_option("30")
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_timeout(500)
    page.get_by_role("button", name="❚❚ Pause").click()
    k = shown_step(page)
    assert k > 3
    page.wait_for_url(f"**step={k}**")
    wait_idle(page)
    page.get_by_role("link", name="Explore").click()
    wait_idle(page)
    # Explore's live view (tests/e2e/test_explore_live_browser.py) says the step it selected.
    expect(page.locator(".lx-sentence")).to_contain_text(f"Selected step t = {k}", timeout=30_000)
    assert f"step={k}" in page.url


def test_without_the_live_view_the_server_side_controls_take_over(page: Page, app_url: str) -> None:
    # As if the component could not start: its shared store is not what it expects.
    page.add_init_script("globalThis.__lstmLiveStep = 'broken';")
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_url}/step_through?weights=random&step=5&forget_bias=0.5")
    wait_idle(page)
    expect(page.get_by_text("The live drawing did not start in this browser")).to_be_visible(timeout=15_000)
    expect(page.locator("[aria-label^='LSTM cell diagram at step 5']")).to_be_visible()
    assert float(slider(page, "forget_bias").input_value()) == 0.5  # what the learner set is kept
    page.get_by_role("button", name="▶", exact=True).click()
    page.wait_for_url("**step=6**")
    wait_idle(page)
    expect(page.locator("[aria-label^='LSTM cell diagram at step 6']")).to_be_visible()
    assert "forget_bias=0.5" in page.url


def test_presenter_mode_screenshot(page: Page, app_url: str, artifacts) -> None:
    open_step_page(page, f"{app_url}/step_through?weights=random&present=true&step=12", {"width": 1280, "height": 720})
    expect(page.locator("[data-testid='stSidebar']")).to_be_hidden()
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible()
    drawing = page.locator(f"{ROOT} .ls-drawing svg").bounding_box()
    assert drawing["y"] >= 0 and drawing["y"] + drawing["height"] <= 720
    assert smallest_svg_text(page) >= 18
    assert svg_text_problems(page) == []
    page.screenshot(path=str(artifacts / "step_through_presenter_1280x720.png"))
    full_page_screenshot(page, artifacts / "step_through_presenter.png")


@pytest.mark.parametrize(
    "query",
    ["peepholes=true&cell_clip=0.5&step=9", "num_proj=2&coupled=true&step=9", "preset=text&step=3", "layers=2&layer=2"],
)
def test_the_drawings_text_stays_in_its_boxes(page: Page, app_url: str, query: str) -> None:
    open_step_page(page, f"{app_url}/step_through?weights=random&{query}", {"width": 1280, "height": 720})
    assert svg_text_problems(page) == []
    assert smallest_svg_text(page) >= 10


def test_a_long_sequence_plays_and_says_why_forget_bias_is_not_live(page: Page, app_url: str) -> None:
    record_websocket(page)
    open_step_page(page, f"{app_url}/step_through?weights=random&steps=2000&step=1990")
    expect(page.get_by_text("Too large to precompute every forget_bias").first).to_be_visible()
    assert page.locator(f"{ROOT} .ls-slider input[type=range]").count() == 1  # the step only
    before = sent(page)
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_timeout(800)
    assert shown_step(page) > 1990 and sent(page) == before
    trace = run_model(replace(ModelSpec(), inputs=InputSpec(steps=2000))).traces[0]
    page.get_by_role("button", name="❚❚ Pause").click()
    t = shown_step(page)
    assert equation_values(page)["new_c"] == pytest.approx(round(float(trace.new_c[0, t, 0]), DIGITS), abs=1e-4)


def test_with_trained_weights_a_release_changes_the_trained_models_forget_bias(page: Page, app_url: str) -> None:
    record_websocket(page)
    open_step_page(page, f"{app_url}/step_through?weights=spikes&step=4")
    expect(page.locator(f"{ROOT} .ls-slider label").nth(1)).to_have_text("forget_bias, instead of the trained one")
    thumb = page.locator(f"{ROOT} .ls-slider input[type=range]").nth(1)
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.25, y, steps=10)
    v = float(page.locator(f"{ROOT} .ls-slider output").nth(1).text_content())
    before = sent(page)
    page.mouse.up()
    page.wait_for_url(f"**trained_fb={v:g}**")
    wait_idle(page)
    assert "trained_fb_on=true" in page.url and sent(page) == before + 1
    expect(page.get_by_text(f"forget_bias: {v:g} (changed)")).to_be_visible()  # the trained model's box says it
    expect(page.get_by_text("with these changes").first).to_be_visible()
    trace = run_model(ModelSpec(trained="spikes", trained_forget_bias=v)).traces[0]
    assert equation_values(page)["new_c"] == pytest.approx(round(float(trace.new_c[0, 4, 0]), DIGITS), abs=1e-4)


def test_a_texts_characters_are_shown_as_text_not_markup(page: Page, app_url: str) -> None:
    text = "<img src=x onerror=alert(1)>&lt;"
    open_step_page(page, f"{app_url}/step_through?weights=random&preset=text&text={quote_plus(text)}&step=0")
    view = page.locator(ROOT)
    assert view.locator("img, image, script").count() == 0
    assert "'<' (one-hot)" in " ".join(drawing_texts(page))
    expect(view.locator(".ls-title")).to_contain_text("(character '<')")
    for _ in range(4):  # to step 4: the unrolled view names each step's x
        page.keyboard.press("ArrowRight")
    assert "x = 'g'" in page.locator(f"{ROOT} .ls-unrolled svg").text_content()
