"""The Learn page in a real browser: a student walks all seven chapters with Next, answering each
question first; every chapter draws its figure, normal and in presenter mode on a projector."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tools.browser import chart_text_problems, wait_idle

CHAPTERS = 7


def answer_first_option(page: Page) -> None:
    page.get_by_role("radiogroup", name="Your answer").locator("[data-testid='stRadioOption']").first.click()
    wait_idle(page)


def charts(page: Page) -> int:
    page.wait_for_timeout(400)
    return page.locator(".js-plotly-plot .main-svg").count()


def walk(page: Page, url: str, artifacts, name: str) -> list[str]:
    page.goto(url)
    wait_idle(page)
    titles = []
    for number in range(1, CHAPTERS + 1):
        heading = page.locator("h2").filter(has_text=f"{number}. ").first
        expect(heading).to_be_visible()
        titles.append(heading.inner_text())
        expect(page.locator("[data-testid='stAlert']").filter(has_text="Right.")).to_have_count(0)
        answer_first_option(page)
        if number == CHAPTERS:
            page.get_by_role("button", name="Train both").click()
            # The server's workers train both runs; the page follows them, then shows the answer.
            expect(
                page.locator("[data-testid='stAlert']")
                .filter(has_text="Right.")
                .or_(page.locator("[data-testid='stAlert']").filter(has_text="Not quite"))
                .first
            ).to_be_visible(timeout=180_000)
            wait_idle(page)
        page.wait_for_function(
            "() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=60_000
        )
        assert charts(page) >= 1, titles[-1]
        verdict = (
            page.locator("[data-testid='stAlert']")
            .filter(has_text="Right.")
            .or_(page.locator("[data-testid='stAlert']").filter(has_text="Not quite"))
        )
        expect(verdict.first).to_be_visible()
        assert chart_text_problems(page) == [], titles[-1]
        page.screenshot(path=str(artifacts / f"learn_{name}_{number}.png"), full_page=False)
        if number < CHAPTERS:
            page.get_by_role("button", name="Next").click()
            wait_idle(page)
            page.wait_for_url(f"**chapter={number + 1}**")
    return titles


def test_a_student_walks_every_chapter_with_next(page: Page, app_url: str, artifacts) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1440, "height": 900})
    titles = walk(page, app_url, artifacts, "1440x900")
    assert len(titles) == CHAPTERS and titles[0].startswith("1. One step")
    assert "answers=aaaaaa" in page.url  # every answer in the link
    assert errors == []


def test_every_chapter_in_presenter_mode_on_a_projector(page: Page, app_url: str, artifacts) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    walk(page, f"{app_url}/?present=true", artifacts, "presenter_1280x720")
    assert not page.locator("[data-testid='stSidebar']").is_visible()
