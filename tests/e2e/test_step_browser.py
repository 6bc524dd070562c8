"""Step through in a real browser: play animates in the browser with no request to the server."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tools.browser import full_page_screenshot, record_websocket, wait_idle, websocket_log

PLAYER = """() => [...document.querySelectorAll('.js-plotly-plot')].find(
    (gd) => gd._transitionData && gd._transitionData._frames && gd._transitionData._frames.length)"""


def cursor_step(page: Page) -> float:
    return page.evaluate(f"() => {{ const gd = ({PLAYER})(); return gd.data[2].x[0] + 0.5; }}")


def open_step_page(page: Page, url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(url)
    wait_idle(page)
    page.wait_for_function(f"() => !!({PLAYER})()", timeout=30_000)


def test_play_runs_in_the_browser_without_asking_the_server(page: Page, app_url: str, artifacts) -> None:
    record_websocket(page)
    open_step_page(page, f"{app_url}/step_through")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert cursor_step(page) == 0
    full_page_screenshot(page, artifacts / "step_through.png")

    sent_before = len(websocket_log(page)["sent"])
    page.locator(".updatemenu-button").filter(has_text="Fast").click()
    seen = []
    for _ in range(12):
        time.sleep(0.25)
        seen.append(cursor_step(page))
    page.locator(".updatemenu-button").filter(has_text="Pause").click()
    time.sleep(0.5)
    paused = cursor_step(page)
    time.sleep(0.6)

    assert len(set(seen)) >= 5, f"the cursor hardly moved: {seen}"
    assert seen == sorted(seen), f"the cursor went backwards while playing: {seen}"
    assert cursor_step(page) == paused  # pause holds the frame
    assert page.evaluate(f"() => ({PLAYER})()._fullData[4].type") == "bar"
    assert len(websocket_log(page)["sent"]) == sent_before, "playing sent messages to the server"


def test_presenter_mode_screenshot(page: Page, app_url: str, artifacts) -> None:
    open_step_page(page, f"{app_url}/step_through?present=true&step=12")
    expect(page.locator("[data-testid='stSidebar']")).to_be_hidden()
    expect(page.get_by_role("button", name="▶")).to_be_visible()
    full_page_screenshot(page, artifacts / "step_through_presenter.png")
