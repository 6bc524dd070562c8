"""Gradient flow in a real browser: both charts are drawn with their log scales, the loss switch redraws
them and goes into the link, and the page is saved as a screenshot to look at."""

from __future__ import annotations

import numpy as np
from playwright.sync_api import Page, expect

from tools.browser import drawn_colour_scales, full_page_screenshot, plotly_traces, rgb, wait_idle, wait_until
from viz.gradflow import MAGNITUDE_SCALE

CHARTS = "() => [...document.querySelectorAll('.js-plotly-plot')].filter((g) => g.data && g.data.length).length"


def test_gradient_flow_draws_both_charts_and_follows_the_loss_switch(page: Page, app_url: str, artifacts) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/gradient_flow?weights=random")
    wait_idle(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    wait_until(lambda: page.evaluate(CHARTS) == 2, what="the line chart and the heatmaps")
    layout = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[0].layout.yaxis.type")
    assert layout == "log"
    # The slider's names, without the figure spaces that make every value's as long (ui.live_flow).
    lines = {name.rstrip("\u2007"): trace for name, trace in plotly_traces(page, 0).items()}
    # The live slider's value (1 at first, drawn under the others), then forget_bias 0 and 1: gradient,
    # closed form, through c alone; the plain RNN's line last.
    assert [name.split(" · ")[0] for name in lines] == ["forget_bias 1 (slider)"] * 3 + ["forget_bias 0"] * 3 + [
        "forget_bias 1"
    ] * 3 + ["plain RNN (tanh)"]
    # The plain RNN's line is drawn, and below the LSTM's at forget_bias 1 thirty steps back.
    rnn, lstm = lines["plain RNN (tanh) · ‖∂L/∂h_t‖"]["y"], lines["forget_bias 1 (slider) · gradient"]["y"]
    assert rnn[-31] < lstm[-31] / 10
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')[0].querySelectorAll('.scatterlayer .trace')]
            .filter((g) => g.querySelector('path.js-line')).length"""
    )
    assert drawn == 10
    heatmaps = plotly_traces(page, 1)
    # forget_bias 0 and 1, the live slider's panel (at 1, the same as the middle one), the plain RNN.
    assert list(heatmaps) == ["forget_bias 0", "forget_bias 1", "forget_bias 1 (slider)", "plain RNN (tanh)"]
    np.testing.assert_array_equal(heatmaps["forget_bias 1"]["z"], heatmaps["forget_bias 1 (slider)"]["z"])
    expect(page.get_by_text("What to notice", exact=True)).to_be_visible()
    # Drawn as sent: magma's "#000004" once became Plotly.js's pale pink default, the smallest gradients bright.
    assert [rgb(colour) for _, colour in MAGNITUDE_SCALE] in drawn_colour_scales(page)[1]
    full_page_screenshot(page, artifacts / "gradient_flow.png")

    before = heatmaps["forget_bias 0"]["z"]
    page.get_by_text("final output h_T").click()
    # location.href, not page.url: the sync API updates page.url only when it is called into.
    wait_until(lambda: "flow_loss=h" in page.evaluate("() => location.href"), what="the link to follow the switch")
    wait_idle(page)
    wait_until(
        lambda: (z := plotly_traces(page, 1)["forget_bias 0"]["z"]).shape == before.shape and (z != before).any(),
        what="the heatmaps to show the new loss",
    )
