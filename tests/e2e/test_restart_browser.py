"""A server restart under an open page: the page reconnects by itself, runs again with the settings
of its link, and says what the restart took away (the model trained there), without a click."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tools.browser import free_port, full_page_screenshot, streamlit_server, wait_idle


def test_the_page_reconnects_after_a_restart_and_says_what_was_lost(page: Page, tmp_path, artifacts) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    port = free_port()
    with streamlit_server("app.py", log=tmp_path / "first.log", port=port) as url:
        page.goto(f"{url}/train?train_steps=30&train_units=8")
        wait_idle(page)
        page.get_by_role("button", name="Train 30 steps").click()
        expect(page.get_by_text("after 30 steps").first).to_be_visible(timeout=120_000)
        wait_idle(page)
        page.wait_for_function("() => location.search.includes('runs=')")
    # The server is gone; the page tries to reconnect. Start it again on the same port.
    with streamlit_server("app.py", log=tmp_path / "second.log", port=port):
        lost = page.get_by_text("1 trained run this link names is gone")
        expect(lost).to_be_visible(timeout=90_000)  # no click: the page ran again on reconnecting
        expect(page.get_by_text("the server has restarted since").first).to_be_visible()
        wait_idle(page)
        # The settings came back from the link; the lost model is no longer shown.
        units = page.locator("[data-testid='stNumberInput']").filter(has_text="num_units").locator("input")
        steps = page.locator("[data-testid='stNumberInput']").filter(has_text="Training steps").locator("input")
        expect(units).to_have_value("8")
        expect(steps).to_have_value("30")
        expect(page.get_by_text("after 30 steps")).to_have_count(0)
        expect(page.get_by_role("button", name="Train 30 steps")).to_be_visible()
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        full_page_screenshot(page, artifacts / "train_after_restart.png")
