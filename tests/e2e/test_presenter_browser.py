"""Presenter mode on a 1280 x 720 projector, and chart text that never runs off or over anything.

Every page in presenter mode: no sidebar, the page's main chart whole in the first screen, no chart
text under 18 px. On every page and in the configurations that used to clip or overprint labels
(pre-activations, text input, four variants, forget_bias 0 and 1 side by side, peepholes with cell
clipping and a projection), no chart text runs out of its chart, into another text or out of its box.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tools.browser import chart_text_problems, wait_idle
from tools.svg_text import smallest_svg_text, svg_text_problems

PROJECTOR = {"width": 1280, "height": 720}
#: Each page and the aria-label (alt text) its main chart starts with.
MAIN_CHARTS = {
    "explore": "Heatmaps of one sequence",
    "?chapter=3": "Line chart: how much of unit",  # Learn (its first chapter's chart follows an answer)
    "step_through": "LSTM cell diagram",
    "gradient_flow": "Line chart, log scale",
    "compare": "Heatmaps of i, j, f, o, c and h",
}
SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('.js-plotly-plot svg text')]
    .filter((t) => t.getBoundingClientRect().width > 0 && t.textContent.trim() !== ''
        && !t.closest('.hoverlayer, .modebar'))
    .map((t) => parseFloat(getComputedStyle(t).fontSize)))"""


def open_settled(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg, [data-lstm-step=ready] svg').length > 0",
        timeout=60_000,
    )
    page.wait_for_timeout(1200)  # Plotly lays out its text after the first paint


@pytest.mark.parametrize("path", list(MAIN_CHARTS))
def test_presenter_mode_fits_a_projector_and_reads_from_the_back(page: Page, app_url: str, artifacts, path: str):
    page.set_viewport_size(PROJECTOR)
    open_settled(page, f"{app_url}/{path}" + ("&" if "?" in path else "?") + "present=true")
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    chart = page.locator(f"[aria-label^='{MAIN_CHARTS[path]}']").first
    box = chart.bounding_box()
    assert box is not None, path
    assert box["y"] >= 0 and box["y"] + box["height"] <= PROJECTOR["height"], (path, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PROJECTOR["width"], (path, box)
    assert page.evaluate(SMALLEST_CHART_TEXT) >= 18, path
    assert chart_text_problems(page) == [], path
    if path == "step_through":  # the live drawing is SVG of its own, not Plotly
        assert smallest_svg_text(page) >= 18
        assert svg_text_problems(page) == []
    page.screenshot(path=str(artifacts / f"presenter_{path.replace('?chapter=', 'learn_') or 'learn'}_1280x720.png"))


def test_the_presenter_switch_is_on_every_page_and_gives_the_controls_back(page: Page, app_url: str, artifacts):
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{app_url}/train?present=true")  # no chart before a run: its Train button
    wait_idle(page)
    page.get_by_role("button", name="Train 300 steps").wait_for(timeout=60_000)
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    assert page.evaluate(SMALLEST_CHART_TEXT.replace(".js-plotly-plot svg text", "x-none")) == float("inf")
    page.screenshot(path=str(artifacts / "presenter_train_1280x720.png"))
    page.locator(".st-key-presenter_switch label").first.click()
    wait_idle(page)
    page.wait_for_timeout(600)
    assert page.locator("[data-testid='stSidebar']").is_visible()
    assert "present=true" not in page.url


@pytest.mark.parametrize(
    ("size", "path"),
    [
        ("1440x900", "explore?pre=true"),  # the default: the trained recall model
        ("1280x720", "explore?present=true"),
        ("1280x720", "explore?weights=random&preset=text&text=to%20be%20or%20not%20to%20be"),
        ("1280x720", "explore?weights=random&layers=3&layer=2&pre=true"),
        ("1280x720", "explore?weights=random&forget_bias=5"),
        ("1280x720", "compare?variants=basic,peephole,coupled,NFG"),  # the trained recall model
        ("1280x720", "compare?weights=random&variants=basic,peephole,coupled,NFG&fb01=true"),
        ("1280x720", "step_through?weights=random&peepholes=true&cell_clip=0.5"),
        ("1280x720", "step_through?weights=random&num_proj=2&coupled=true"),
        ("1280x720", "gradient_flow?weights=random&forget_bias=-3"),
        ("1280x720", "explore?weights=random&present=true&layers=2&pre=true"),
        ("1280x720", "step_through?weights=random&present=true&peepholes=true&cell_clip=0.5&num_proj=2"),
    ],
)
def test_no_chart_text_is_clipped_or_overprinted(page: Page, app_url: str, size: str, path: str):
    width, height = (int(n) for n in size.split("x"))
    page.set_viewport_size({"width": width, "height": height})
    open_settled(page, f"{app_url}/{path}")
    assert chart_text_problems(page) == []
    assert svg_text_problems(page) == []  # Step through's live drawings
