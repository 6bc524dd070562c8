"""ui.plotly_live against st.plotly_chart in a real browser: the same figures look the same, pixel
for pixel, before and after a change; the live chart is updated in place; the stored theme is still
the one Streamlit draws with."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from tools.browser import slider, streamlit_server, wait_idle, wait_until
from tools.plotly_theme import TEMPLATE_FILE, streamlit_template

STREAMLIT = "[data-testid='stPlotlyChart'] .js-plotly-plot"
LIVE = "[data-testid='stLivePlotlyChart'] .js-plotly-plot"
DRAWN = (
    "(selector) => [...document.querySelectorAll(selector)].filter((gd) => gd.querySelector('.main-svg')).length === 2"
)
STATE = """(selector) => [...document.querySelectorAll(selector)].map((gd) => ({
    width: gd._fullLayout.width, height: gd._fullLayout.height,
    label: gd.closest('[role=figure]') && gd.closest('[role=figure]').getAttribute('aria-label'),
    f: gd.data.map((t) => t.name === 'f' ? JSON.stringify(t.z) : '').join(''),
    displaylogo: gd._context.displaylogo, removed: gd._context.modeBarButtonsToRemove,
    added: (gd._context.modeBarButtonsToAdd || []).map((b) => b.name)}))"""


SVG = """(gd) => [...gd.querySelectorAll('.main-svg')].map((svg) => svg.outerHTML).join('\\n')
    .split(gd._fullLayout._uid).join('UID')"""
GRADIENT = re.compile(r"<linearGradient .*?</linearGradient>")
TAG = re.compile(r'<([a-zA-Z]+)((?:\s+[^\s=>]+="[^"]*")*)>')
ATTRIBUTE = re.compile(r'[^\s=>]+="[^"]*"')


def svg(page: Page, selector: str, index: int) -> str:
    """What Plotly.js drew, with its random ids made equal, each tag's attributes sorted (an update
    sets some in another order than a first draw) and colour-bar gradients in a fixed order.
    Streamlit applies its theme twice as it mounts a chart, so its titles come out bold twice,
    <b><b>...</b></b>; ui.plotly_live bolds them once, which looks the same: made equal here."""
    text = page.locator(selector).nth(index).evaluate(SVG)
    text = re.sub(r"(trace|cb)[0-9a-f]{6}", r"\1", text)
    text = TAG.sub(lambda tag: f"<{tag[1]} {' '.join(sorted(ATTRIBUTE.findall(tag[2])))}>", text)
    bold, tspan = "&lt;b&gt;", '<tspan style="font-weight:bold">'
    for twice, once in ((bold * 2, bold), (bold.replace("b", "/b") * 2, bold.replace("b", "/b")), (tspan * 2, tspan)):
        text = text.replace(twice, once)
    text = text.replace("</tspan></tspan></text>", "</tspan></text>")
    gradients = sorted(GRADIENT.findall(text))
    return GRADIENT.sub("<gradient/>", text) + "".join(gradients)


@pytest.fixture(scope="module")
def pair_url(tmp_path_factory) -> str:
    log = tmp_path_factory.mktemp("streamlit") / "live_chart_app.log"
    with streamlit_server("tests/e2e/live_chart_app.py", log=log) as url:
        yield url


def pixels(page: Page, selector: str, index: int) -> np.ndarray:
    png = page.locator(selector).nth(index).screenshot(animations="disabled")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def assert_same_drawing(page: Page, what: str, artifacts) -> None:
    """The live charts hold the same SVG as Streamlit's; the heatmaps also give the same image, to
    2 levels of 255 per channel (the installed plotly package's Plotly.js, 4.1.1, and Streamlit's,
    4.2.0, shade colour-bar gradients one level apart here and there). Line charts are compared by
    their SVG only: Chromium antialiases the same dotted line a little differently at another
    place on the page."""
    for index in range(2):
        assert svg(page, LIVE, index) == svg(page, STREAMLIT, index), f"{what}, chart {index}: the SVGs differ"
    ours, theirs = pixels(page, LIVE, 0), pixels(page, STREAMLIT, 0)
    assert ours.shape == theirs.shape, (what, ours.shape, theirs.shape)
    worst = int(np.abs(ours - theirs).max())
    if worst > 2:
        Image.fromarray(ours.astype(np.uint8)).save(artifacts / f"live_chart_{what}.png")
        Image.fromarray(theirs.astype(np.uint8)).save(artifacts / f"st_plotly_chart_{what}.png")
    assert worst <= 2, f"{what}: heatmap pixels differ by up to {worst} levels (see test-artifacts)"


def test_live_charts_look_like_st_plotly_chart_and_update_in_place(page: Page, pair_url: str, artifacts) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(pair_url)
    wait_idle(page)
    page.wait_for_function(DRAWN, arg=LIVE)
    page.wait_for_timeout(500)

    # The stored theme is what this Streamlit draws with (rerun tools/plotly_theme.py if not).
    assert streamlit_template(page, pair_url) == json.loads(TEMPLATE_FILE.read_text())
    page.wait_for_function(DRAWN, arg=LIVE)
    page.wait_for_timeout(500)

    ours, theirs = page.evaluate(STATE, LIVE), page.evaluate(STATE, STREAMLIT)
    assert ours == theirs  # size, alt text as accessible name, data, modebar
    assert ours[0]["label"].startswith("Heatmaps") and ours[1]["label"].startswith("Line chart")
    assert ours[0]["added"] == ["Fullscreen"] and not ours[0]["displaylogo"]
    assert_same_drawing(page, "first", artifacts)

    # Hover text is the same.
    for selector in (LIVE, STREAMLIT):
        band = page.locator(selector).first.locator(".nsewdrag").nth(3)  # the f band
        box = band.bounding_box()
        band.hover(position={"x": box["width"] * 0.3, "y": box["height"] * 0.5})
        page.wait_for_selector(f"{selector} .hoverlayer .hovertext")
        text = page.locator(selector).first.locator(".hoverlayer .hovertext").text_content()
        if selector == LIVE:
            live_hover = text
        page.mouse.move(5, 995)
    assert "unit" in live_hover and live_hover == text

    # A change: Streamlit mounts new charts; ours keeps its divs and updates them.
    page.evaluate(f"() => {{ window.__live = [...document.querySelectorAll(`{LIVE}`)]; }}")
    before = page.evaluate(STATE, LIVE)[0]["f"]
    thumb = slider(page, "forget_bias")
    thumb.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_idle(page)
    wait_until(lambda: page.evaluate(STATE, LIVE)[0]["f"] != before, what="the live heatmap to change")
    wait_until(lambda: page.evaluate(STATE, LIVE) == page.evaluate(STATE, STREAMLIT), what="both charts to agree")
    kept = page.evaluate(f"() => [...document.querySelectorAll(`{LIVE}`)].map((gd, k) => gd === window.__live[k])")
    assert kept == [True, True]
    page.wait_for_timeout(500)
    assert_same_drawing(page, "changed", artifacts)

    # Narrower page: both follow the width.
    page.set_viewport_size({"width": 900, "height": 1000})
    wait_until(
        lambda: page.evaluate(STATE, LIVE)[0]["width"] == page.evaluate(STATE, STREAMLIT)[0]["width"] < 900,
        what="the charts to narrow",
    )
    page.wait_for_timeout(500)
    assert_same_drawing(page, "narrow", artifacts)

    # Fullscreen expands the live chart over the page; Escape puts it back.
    chart = page.locator(LIVE).first
    chart.hover()
    chart.locator("[data-title='Fullscreen']").click()
    wait_until(lambda: page.evaluate(STATE, LIVE)[0]["height"] > 900, what="the chart to fill the window")
    page.keyboard.press("Escape")
    wait_until(lambda: page.evaluate(STATE, LIVE) == page.evaluate(STATE, STREAMLIT), what="the chart to come back")
    assert not errors
