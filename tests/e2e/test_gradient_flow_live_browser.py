"""Gradient flow's live forget_bias slider in a real browser: dragging it moves the green curves and
sends the server nothing until release; the curve drawn at the released value is lstm_core's gradient
there; a browser where Plotly.js cannot load gets the server's slider back."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from playwright.sync_api import Page, expect

from lstm_core import run_stack
from tools.browser import wait_idle, wait_until
from ui import trained
from ui.model import ModelSpec, run_model
from viz.gradflow import gradient_flow
from viz.notes.gradflow import what_to_notice

VIEWPORT = {"width": 1440, "height": 900}
READY = "() => (globalThis.__lstmLiveFlow?.renders ?? 0) > 0"
# The slider's gradient curve's name in the legend, as the learner reads it (without the figure
# spaces that make every value's name as long: ui.live_flow).
SLIDER_LEGEND = """() => [...document.querySelectorAll('.lf-chart .legend .legendtext')]
    .map((t) => t.textContent.replace(/\u2007+$/, '')).find((text) => text.includes('(slider) · gradient'))"""
# The legend names that run out of the legend's box, by how many pixels.
LEGEND_OVERFLOW = """() => {
    const gd = document.querySelector('.lf-chart .js-plotly-plot');
    const box = gd.querySelector('.legend rect.bg').getBoundingClientRect();
    return [...gd.querySelectorAll('.legend .legendtext')]
        .map((t) => [t.textContent, t.getBoundingClientRect().right - box.right]).filter(([, d]) => d > 1);
}"""
# The slider's gradient curve as Plotly drew it: its name and y values.
SLIDER_CURVE = """() => {
    const gd = document.querySelector('.lf-chart .js-plotly-plot');
    const trace = gd.data.find((t) => t.name.includes('(slider) · gradient'));
    return {name: trace.name.replace(/\u2007+$/, ''), y: Array.from(trace.y)};
}"""
# What to notice as shown (ui/live_flow.js's notes view): its paragraphs, and the value it follows.
NOTES = """() => { const box = document.querySelector('.lf-notes');
    return {at: box.dataset.forgetBias, text: [...box.querySelectorAll('p:not(.lx-notes-head)')].map((p) => p.textContent)}; }"""
# The heatmaps' slider panel as Plotly drew it: its name, its z (rows of units), its title.
SLIDER_PANEL = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find((g) => g.data?.some((t) => t.type === 'heatmap'));
    const k = gd.data.findIndex((t) => t.name.endsWith('(slider)'));
    return {name: gd.data[k].name, z: gd._fullData[k].z.map((row) => Array.from(row)),
            title: gd.layout.annotations[k].text}; }"""


def test_dragging_forget_bias_moves_the_curves_and_sends_nothing_until_release(page: Page, app_url: str, artifacts):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sent: list[int] = []
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(1)))
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: received.append(len(frame))))
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_url}/gradient_flow?weights=random")
    wait_idle(page)
    page.wait_for_function(READY, timeout=60_000)
    before = page.evaluate(SLIDER_CURVE)
    assert before["name"] == "forget_bias 1 (slider) · gradient"
    # At 1 the green curves lie under the blue ones: the note under the slider says so, until it moves.
    note = page.locator(".lf-controls .lx-note")
    expect(note).to_contain_text("At 1 the green curves lie under the blue ones of forget_bias 1")
    page.locator(".lf-controls .lx-range").scroll_into_view_if_needed()
    track = page.locator(".lf-controls .lx-range").bounding_box()
    y = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + 0.6 * track["width"], y)  # the thumb, at 1 of -5 to 5
    frames = len(sent)
    renders = page.evaluate("() => globalThis.__lstmLiveFlow.renders")
    page.mouse.down()
    for k in range(1, 31):
        page.mouse.move(track["x"] + (0.6 - 0.4 * k / 30) * track["width"], y)  # down to about -3
    page.wait_for_timeout(300)
    assert len(sent) == frames, "the page sent messages while the slider was dragged"
    assert page.evaluate("() => globalThis.__lstmLiveFlow.renders") > renders + 5  # it followed the thumb
    shown = float(page.locator(".lf-controls .lx-value").inner_text())
    assert -3.6 <= shown <= -2.4 and page.evaluate(SLIDER_LEGEND) == f"forget_bias {shown:g} (slider) · gradient"
    assert page.evaluate(NOTES)["at"] == f"{shown:g}"  # What to notice followed the thumb
    assert "lie under" not in note.inner_text()
    # The heatmaps' slider panel catches up with the thumb once it rests, before the release.
    wait_until(
        lambda: page.evaluate(SLIDER_PANEL)["name"] == f"forget_bias {shown:g} (slider)",
        what="the heatmaps to follow the resting thumb",
    )
    assert len(sent) == frames
    page.screenshot(path=str(artifacts / "gradient_flow_live_dragging.png"))
    answers = len(received)
    page.mouse.up()
    page.wait_for_url(f"**forget_bias={shown:g}**")
    wait_idle(page)
    # The release reruns the slider's own part of the page, not the page (that would be some 60 messages).
    assert len(received) - answers < 15, f"{len(received) - answers} messages: more than the slider's part reran"
    # Every value's curves came once, with the page: not again (a megabyte) with the release.
    assert max(received[answers:]) < 200_000 < max(received[:answers])
    flows = [gradient_flow(run_model(replace(ModelSpec(), forget_bias=fb)).traces[0], 0, "c") for fb in (shown, 0, 1)]
    notes = page.evaluate(NOTES)
    assert notes["at"] == f"{shown:g}" and notes["text"][0] == what_to_notice(flows, shown).replace("**", "")
    # The heatmaps' last LSTM panel is lstm_core's |dL/dc| at the released value, its title says which.
    panel = page.evaluate(SLIDER_PANEL)
    assert panel["name"] == f"forget_bias {shown:g} (slider)" and panel["title"].startswith(f"<b>forget_bias {shown:g}")
    np.testing.assert_allclose(np.array(panel["z"]), flows[0].log_dc.T, rtol=1e-6)
    # What the browser drew at that value is lstm_core's gradient there (above the chart's floor).
    flow = gradient_flow(run_model(replace(ModelSpec(), forget_bias=shown)).traces[0], 0, "c")
    after = page.evaluate(SLIDER_CURVE)
    assert after["name"] == f"forget_bias {shown:g} (slider) · gradient"
    drawn = np.log10(np.array(after["y"]))
    low = page.evaluate("() => document.querySelector('.lf-chart .js-plotly-plot').layout.yaxis.range[0]")
    np.testing.assert_allclose(drawn, np.maximum(flow.log_ratio, low), atol=1e-9)
    # Every legend name fits the legend Plotly drew (a longer one than at the start is redrawn for).
    assert not page.evaluate(LEGEND_OVERFLOW), page.evaluate(LEGEND_OVERFLOW)
    # Plotly has drawn from those values (for its hover) by the time the pointer is on the chart:
    # at the release, or when the pointer comes to it.
    page.locator(".lf-chart .js-plotly-plot").hover()
    page.wait_for_function("() => !globalThis.__lstmLiveFlow.stale")
    assert page.evaluate(SLIDER_CURVE) == after
    assert not errors


def test_with_trained_weights_the_slider_changes_their_forget_bias(page: Page, app_url: str, artifacts):
    """The default weights, the recall demo: the slider opens at its trained forget_bias (1), and its
    release sets trained_fb (as on Explore): the curve drawn is the demo's gradient at that value."""
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_url}/gradient_flow")
    wait_idle(page)
    page.wait_for_function(READY, timeout=60_000)
    expect(page.get_by_text("forget_bias instead of the trained one")).to_be_visible()
    assert page.evaluate(SLIDER_CURVE)["name"] == "forget_bias 1 (slider) · gradient"
    page.locator(".lf-controls .lx-range").scroll_into_view_if_needed()
    track = page.locator(".lf-controls .lx-range").bounding_box()
    y = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + 0.6 * track["width"], y)  # the thumb, at 1 of -5 to 5
    page.mouse.down()
    for k in range(1, 21):
        page.mouse.move(track["x"] + (0.6 + 0.2 * k / 20) * track["width"], y)  # up to about 3
    page.mouse.up()
    page.wait_for_url("**trained_fb_on=true**")
    wait_idle(page)
    shown = float(page.locator(".lf-controls .lx-value").inner_text())
    assert 2.4 <= shown <= 3.6 and f"trained_fb={shown:g}" in page.url
    weights = trained.demo("recall")
    inputs = trained.task_sequence(weights.task, 0).values
    configs = [replace(cfg, forget_bias=shown) for cfg in weights.configs]
    flow = gradient_flow(run_stack(configs, weights.params, inputs)[0], 0, "c")
    after = page.evaluate(SLIDER_CURVE)
    assert after["name"] == f"forget_bias {shown:g} (slider) · gradient"
    low = page.evaluate("() => document.querySelector('.lf-chart .js-plotly-plot').layout.yaxis.range[0]")
    np.testing.assert_allclose(np.log10(np.array(after["y"])), np.maximum(flow.log_ratio, low), atol=1e-9)
    page.screenshot(path=str(artifacts / "gradient_flow_live_trained.png"))


def test_without_plotly_the_servers_slider_takes_over(page: Page, app_url: str) -> None:
    # As if Plotly.js could not load: the component finds no usable Plotly (Streamlit's own charts
    # keep theirs, bundled apart), whichever script loads first.
    page.route("**/plotly.min.js", lambda route: route.abort())
    page.add_init_script(
        "Object.defineProperty(window, 'Plotly', { get() { throw new Error('no Plotly.js'); }, set() {} });"
    )
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_url}/gradient_flow?weights=random&forget_bias=2")
    wait_idle(page)
    expect(page.get_by_text("The live chart did not start in this browser")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("slider", name="forget_bias")).to_be_visible()
