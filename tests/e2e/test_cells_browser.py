"""The plain RNN and the GRU in a real browser: a Compare link with basic, GRU and RNN draws each
cell's own panels and labels the empty ones, and the page is saved as a screenshot to look at."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tools.browser import chart_text_problems, full_page_screenshot, plotly_traces, wait_idle, wait_until

HEATMAPS = """() => {
    const gd = document.querySelectorAll('.js-plotly-plot')[0];
    return gd && gd.data ? gd.querySelectorAll('g.hm, .hm image').length : 0;
}"""
EMPTY_LABELS = """() => [...document.querySelectorAll('.js-plotly-plot')[0].querySelectorAll('.annotation-text')]
    .map((a) => a.textContent)"""


def test_a_compare_link_with_basic_gru_and_rnn_draws_all_three(page: Page, app_url: str, artifacts) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{app_url}/compare?weights=random&variants=basic,gru,rnn")
    wait_idle(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    # 6 LSTM panels, 4 GRU panels, 1 RNN panel: drawn by Plotly.js, not only sent.
    wait_until(lambda: page.evaluate(HEATMAPS) >= 11, what="11 heatmap panels")
    traces = plotly_traces(page, 0)
    assert {name.split(" · ")[1] for name in traces} == {"basic", "GRU", "plain RNN"}
    assert len(traces) == 11
    labels = page.evaluate(EMPTY_LABELS)
    assert sum(label.startswith("a plain RNN has no gates") for label in labels) == 8
    assert "an LSTM has no reset gate" in labels
    assert not chart_text_problems(page), chart_text_problems(page)  # no label overlaps or leaves the chart
    expect(page.get_by_text("plain RNN", exact=True).first).to_be_visible()
    full_page_screenshot(page, artifacts / "compare_cells.png")
