"""Explore in a real browser: the charts draw, the live forget_bias slider moves the heatmap and the link, the link reproduces."""

from __future__ import annotations

import numpy as np
from playwright.sync_api import Page, expect

from tools.browser import full_page_screenshot, plotly_traces, wait_idle, wait_until

VIEWPORT = {"width": 1400, "height": 1000}


def open_app(page: Page, url: str) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector(".js-plotly-plot .main-svg")


def test_explore_draws_and_a_slider_change_is_shared_by_link(page: Page, app_url: str, browser, artifacts) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_app(page, f"{app_url}/explore?weights=random")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert page.locator(".js-plotly-plot").count() >= 2
    # Both charts are ui.plotly_live's, named for screen readers by their alt text.
    labels = page.locator("[data-testid='stLivePlotlyChart'][role='figure']").evaluate_all(
        "(charts) => charts.map((chart) => chart.getAttribute('aria-label'))"
    )
    assert len(labels) == 2 and labels[0].startswith("Heatmaps") and labels[1].startswith("Line chart")
    page.evaluate("() => { window.__charts = [...document.querySelectorAll('.js-plotly-plot')]; }")
    before = plotly_traces(page)["f"]["z"]
    assert before.shape == (4, 60)

    # The live forget_bias slider (ui.live_explore), moved with the keyboard: it commits after a pause.
    thumb = page.locator(".lx-controls .lx-range").first
    assert page.locator(".lx-controls .lx-value").first.inner_text() == "1"
    thumb.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_url("**forget_bias=1.5**")
    wait_idle(page)
    wait_until(lambda: not np.array_equal(plotly_traces(page)["f"]["z"], before), what="the f heatmap to change")
    after = plotly_traces(page)["f"]["z"]
    assert after.mean() > before.mean()  # more forget bias: the gate keeps more
    # Updated in place (Plotly.react), not mounted anew.
    kept = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map((gd, k) => gd === window.__charts[k])"
    )
    assert kept == [True, True]
    assert page.locator("[data-testid='stSidebar']").is_visible()
    full_page_screenshot(page, artifacts / "explore.png")

    # A classmate opens the link: same control value, same numbers.
    other = browser.new_page()
    open_app(other, page.url)
    other.wait_for_function("() => window.__lstmLiveExplore?.stats.views.controls > 0")
    assert other.locator(".lx-controls .lx-value").first.inner_text() == "1.5"
    np.testing.assert_array_equal(plotly_traces(other)["f"]["z"], after)
    other.close()
    assert not errors
