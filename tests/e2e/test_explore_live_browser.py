"""Explore's live views in a real browser, with the real mouse: dragging forget_bias repaints the
charts and sends the server nothing until release; what the page then shows is lstm_core's run at
that value; hovering a cell lights up its step and unit on the line chart and in the table;
clicking it selects them for Step through; and a browser where Plotly.js cannot load gets the
server's sliders back, with every value kept."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from playwright.sync_api import Page, expect

from lstm_core import LSTMStateTuple
from tools.browser import slider, wait_idle, wait_until
from ui.model import ModelSpec, run_model
from viz.notice import explore_notes
from viz.numbers import state_repr, step_table

VIEWPORT = {"width": 1440, "height": 900}
# The live views have painted the store: the heatmaps and the line chart drawn by Plotly, then painted.
READY = "() => { const v = window.__lstmLiveExplore?.stats.views; return !!(v && v.heatmaps && v.lines && v.table); }"
CANVAS = "() => document.querySelector('.lx-cells').toDataURL()"
# The centre of a heatmap cell, in page coordinates: band n (0 is the input), step t, row r.
CELL = """([n, t, r]) => {
    const gd = document.querySelector("[aria-label^='Heatmaps'] .js-plotly-plot");
    const layout = gd._fullLayout, box = gd.getBoundingClientRect();
    const ya = layout[n ? `yaxis${n + 1}` : 'yaxis'], xa = layout.xaxis;
    return {x: box.left + xa._offset + xa.c2p(t), y: box.top + ya._offset + ya.c2p(r)};
}"""


def open_live(page: Page, url: str) -> list[float]:
    """Open Explore at ``url``; the times of every websocket frame the page sends from then on."""
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(len(sent))))
    page.set_viewport_size(VIEWPORT)
    page.goto(url)
    wait_idle(page)
    page.wait_for_function(READY, timeout=60_000)
    return sent


def table_shown(page: Page) -> list[list[str]]:
    return page.locator(".lx-table tbody tr").evaluate_all(
        "(rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent))"
    )


def test_dragging_forget_bias_sends_nothing_until_release_then_shows_lstm_core_at_that_value(
    page: Page, app_url: str, artifacts
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda _: received.append(1)))
    sent = open_live(page, f"{app_url}/explore?weights=random&step=6")
    before = page.evaluate(CANVAS)
    track = page.locator(".lx-controls .lx-range").first.bounding_box()
    y = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + 0.6 * track["width"], y)  # the thumb, at 1 of -5 to 5
    frames_before = len(sent)
    page.mouse.down()
    for k in range(1, 31):
        page.mouse.move(track["x"] + (0.6 - 0.5 * k / 30) * track["width"], y)  # down to about -4
    for k in range(1, 21):
        page.mouse.move(track["x"] + (0.1 + 0.7 * k / 20) * track["width"], y)  # and up to about 3
    page.wait_for_timeout(200)
    assert len(sent) == frames_before, "the page sent messages while the slider was dragged"
    assert page.evaluate(CANVAS) != before  # the heatmaps were repainted
    shown = float(page.locator(".lx-controls .lx-value").first.inner_text())
    assert 2.0 <= shown <= 4.0
    page.screenshot(path=str(artifacts / "explore_live_dragging.png"))
    answers = len(received)
    page.mouse.up()
    page.wait_for_url(f"**forget_bias={shown:g}**")
    wait_idle(page)
    assert len(sent) > frames_before  # released: one rerun
    # ... of the controls alone (a rerun of the page sends every element of it, some 80 messages).
    assert len(received) - answers < 15, f"{len(received) - answers} messages: the page was rerun"

    run = run_model(replace(ModelSpec(), forget_bias=shown))
    expected = step_table(run.traces[0], 0, 6)
    assert table_shown(page) == [[f"{v:.6f}" for v in row] for row in expected.to_numpy()]
    assert "Step t = 6" in page.locator(".lx-table-caption").inner_text()
    after, final = page.locator(".lx-state .lx-state > .lx-code, .lx-state > .lx-code").all_inner_texts()[:2]
    trace = run.traces[0]
    assert after == state_repr(LSTMStateTuple(trace.new_c[0:1, 6], trace.new_h[0:1, 6]))
    assert final == state_repr(LSTMStateTuple(trace.final_state.c[0:1], trace.final_state.h[0:1]))
    assert f"forget_bias={shown}" in page.locator(".lx-sentence").inner_text()
    # What to notice, and the files the page hands out, are the run at the released value too.
    notes = page.locator(".lx-notes").inner_text()
    assert f"What to notice (at forget_bias {shown:g}):" in notes
    for note in explore_notes(trace, 0, None):
        assert note.replace("**", "") in notes
    with page.expect_download() as download:
        page.get_by_role("button", name="Trace, all arrays (.npz)").click()
    with np.load(download.value.path(), allow_pickle=False) as saved:
        np.testing.assert_array_equal(saved["layer1_f"], trace.f)
    assert not errors


def test_hovering_a_cell_lights_up_its_step_and_unit_on_the_line_chart_and_in_the_table(page: Page, app_url: str):
    open_live(page, f"{app_url}/explore?weights=random&forget_bias=-2")
    page.locator("[aria-label^='Heatmaps']").first.scroll_into_view_if_needed()
    point = page.evaluate(CELL, [3, 10, 3])  # the forget gate f of unit 3 at step 10 (in the line chart)
    page.mouse.move(point["x"], point["y"])
    run = run_model(replace(ModelSpec(), forget_bias=-2.0)).traces[0]
    tip = page.locator(".lx-tip")
    expect(tip).to_be_visible()
    text = tip.inner_text()
    assert "step 10" in text and "unit 3" in text
    assert f"f = {float(np.float32(run.f[0, 10, 3])):.4f}" in text and "(+ forget_bias -2)" in text
    # The line chart: its step line and dots at step 10, unit 3's dots (c and h) picked out.
    picked = page.locator(".lx-overlay circle.lx-dot-picked")
    expect(picked).to_have_count(2)
    assert set(picked.evaluate_all("(dots) => dots.map((d) => d.dataset.unit)")) == {"3"}
    line_x = page.evaluate(
        """() => { const gd = document.querySelector("[aria-label^='Line chart'] .js-plotly-plot");
        return gd._fullLayout.xaxis._offset + gd._fullLayout.xaxis.c2p(10); }"""
    )
    assert abs(float(picked.first.get_attribute("cx")) - line_x) < 0.5
    # The table: step 10's numbers, unit 3's row picked out.
    expect(page.locator(".lx-table tr.lx-picked")).to_have_attribute("data-unit", "3")
    assert "Step t = 10" in page.locator(".lx-table-caption").inner_text()
    assert table_shown(page)[3][6] == f"{run.f[0, 10, 3]:.6f}"
    # Away from the charts, everything shows the selected step again.
    page.mouse.move(5, 5)
    expect(page.locator(".lx-table tr.lx-picked")).to_have_count(0)
    assert "Step t = 0" in page.locator(".lx-table-caption").inner_text()


def test_clicking_a_cell_selects_its_step_and_unit_on_step_through(page: Page, app_url: str) -> None:
    open_live(page, f"{app_url}/explore?weights=random")
    page.locator("[aria-label^='Heatmaps']").first.scroll_into_view_if_needed()
    point = page.evaluate(CELL, [4, 17, 1])  # the output gate o of unit 1 at step 17
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**step=17**")
    assert "unit=1" in page.url
    wait_idle(page)
    assert "Selected step t = 17" in page.locator(".lx-sentence").inner_text()
    page.get_by_role("link", name="Step through").click()
    wait_idle(page)
    view = "[data-testid='lstm-live-step']"  # Step through's live view (tests/e2e/test_step_browser.py)
    page.wait_for_selector(f"{view}[data-lstm-step='ready']", timeout=60_000)
    title = page.locator(f"{view} .ls-title")
    wait_until(lambda: "t = 17" in title.text_content(), what="Step through at step 17")
    assert "unit 1" in title.text_content()
    # Step through writes its own unit menu's value to the link.
    assert "unit=1" in page.url and "step=17" in page.url


def test_without_plotly_js_the_page_goes_back_to_the_server_sliders_keeping_every_value(page: Page, app_url: str):
    page.route("**/plotly.min.js", lambda route: route.abort())
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_url}/explore?weights=random&forget_bias=2.5&step=4")
    thumb = slider(page, "forget_bias")
    wait_until(lambda: thumb.count() > 0, timeout=60, what="the server's forget_bias slider")
    wait_idle(page)
    assert float(thumb.input_value()) == 2.5 and int(slider(page, "Selected step t").input_value()) == 4
    expect(page.get_by_text("could not start in this browser")).to_be_visible()
    expect(page.locator(".lx-controls")).to_have_count(0)
