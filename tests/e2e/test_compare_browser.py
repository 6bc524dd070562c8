"""Compare in a real browser: every panel is drawn, the one-click forget_bias comparison redraws
them, the link follows, and the page is saved as a screenshot to look at."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tools.browser import full_page_screenshot, wait_idle, wait_until

PANELS = """(key) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        (g) => g.data && g.data.length && g.data[0].name.includes(' · '));
    return gd ? gd.data.length : 0;
}"""


def drawn_heatmaps(page: Page) -> int:
    """Heatmap panels Plotly.js actually drew in the first comparison chart."""
    return page.evaluate(
        """() => {
            const charts = [...document.querySelectorAll('.js-plotly-plot')];
            return charts.length ? charts[0].querySelectorAll('.hm image, g.hm').length : 0;
        }"""
    )


def test_compare_draws_every_variant_and_forget_bias_zero_against_one(page: Page, app_url: str, artifacts) -> None:
    page.set_viewport_size({"width": 1500, "height": 1000})
    page.goto(f"{app_url}/compare?weights=random")
    wait_idle(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    wait_until(lambda: page.evaluate(PANELS) == 18, what="18 panels (3 variants x 6 quantities)")
    assert drawn_heatmaps(page) >= 18
    expect(page.get_by_text("What changes: each variant minus basic")).to_be_visible()
    full_page_screenshot(page, artifacts / "compare.png")

    page.get_by_text("forget_bias 0 vs 1").click()
    wait_until(lambda: page.evaluate(PANELS) == 36, what="36 panels (each variant at 0 and 1)")
    wait_idle(page)
    assert "fb01=true" in page.url
    expect(page.get_by_text("each variant at forget_bias 1 minus itself at 0")).to_be_visible()
    full_page_screenshot(page, artifacts / "compare_forget_bias.png")
