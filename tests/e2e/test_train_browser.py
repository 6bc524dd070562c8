"""Train in a real browser: the live chart grows while training runs, Stop halts it at once and
keeps what was learned, and the page is saved as screenshots to look at."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tools.browser import full_page_screenshot, wait_idle, wait_until

LOSS_POINTS = """() => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        (g) => g.layout && g.layout.yaxis && g.layout.yaxis.title && /loss/.test(g.layout.yaxis.title.text));
    return gd && gd.calcdata && gd.calcdata[0] ? gd.calcdata[0].length : 0;
}"""


def test_training_draws_live_and_stops_when_asked(page: Page, app_url: str, artifacts) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/train?task=chars&train_steps=3000&train_units=32")
    wait_idle(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    page.get_by_role("button", name="Train 3000 steps").click()
    wait_until(lambda: page.evaluate(LOSS_POINTS) > 0, what="the live loss chart", timeout=60)
    first = page.evaluate(LOSS_POINTS)
    wait_until(lambda: page.evaluate(LOSS_POINTS) > first, what="the live chart to grow", timeout=60)
    full_page_screenshot(page, artifacts / "train_live.png")

    page.get_by_test_id("stTabs").get_by_role("button", name="Stop", exact=True).click()
    wait_idle(page, timeout=60)
    status = page.get_by_text(re.compile(r"after \d+ steps")).inner_text()
    done = int(re.search(r"after (\d+) steps", status).group(1))
    assert 0 < done < 3000, status
    # What was learned is kept: the next press continues from there.
    expect(page.get_by_role("button", name="Train 3000 more")).to_be_visible()
    expect(page.get_by_text("The text, coloured by one unit")).to_be_visible()
    full_page_screenshot(page, artifacts / "train_stopped.png")
