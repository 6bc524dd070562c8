"""Step through, live: how fast Play and a drag repaint, and what they send, in headless Chromium.

    .venv/bin/python -m bench.scrub_step [--seconds 3] [--rounds 8]

Against `streamlit run app.py` (this checkout), at the defaults and at 60 steps x 32 units: Play at
its fastest speed (30 steps a second), then mouse drags of the step slider and of the forget_bias
slider across their range (Playwright's mouse, a move every 16 ms as fast as it can send them). For
each: input events per second, painted updates per second (frames ui/live_step.js drew, each in an
animation frame; Play's over the time from its first frame to its last, so that its click and
the wait for its first step do not count), the slowest frame's drawing time, and the websocket
messages the page sent meanwhile (the target is 0). Then the release of a forget_bias drag (one message: the value goes to
the server, which reruns the page): release to settled, the same measure as bench/app_latency.py,
beside bench/minimal_app.py's slider round trip in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import Page, sync_playwright

from bench.app_latency import round_trips
from bench.common import machine, table
from tools.browser import launch_args, record_websocket, round_trip, streamlit_server, wait_idle, websocket_log

ROOT = "[data-testid='lstm-live-step']"
CONFIGS = {
    "Step through, random weights (60 steps x 4 units)": "weights=random",
    "Step through, random weights, 60 steps x 32 units": "weights=random&num_units=32",
}


def _renders(page: Page) -> list[list[float]]:
    return page.evaluate("() => globalThis.__lstmLiveStep.renders.slice()")


def _measure(page: Page, act, over_renders: bool = False) -> dict:
    """Run act() (it returns its input events); what the view drew meanwhile and what the page sent.
    ``over_renders``: the painted rate over the time from the first frame drawn to the last (Play's:
    the time its click and its first step's wait take is not time it could have painted in)."""
    sent = len(websocket_log(page)["sent"])
    drawn = len(_renders(page))
    started = page.evaluate("() => performance.now()")
    inputs = act()
    ended = page.evaluate("() => performance.now()")
    renders = [r for r in _renders(page)[drawn:] if started <= r[0] <= ended]
    seconds = (ended - started) / 1000
    painted = len(renders) / seconds
    if over_renders and len(renders) > 1:
        painted = (len(renders) - 1) / ((renders[-1][0] - renders[0][0]) / 1000)
    return {
        "inputs": inputs / seconds if inputs else None,
        "painted": painted,
        "slowest": max((r[1] for r in renders), default=0.0),
        "sent": len(websocket_log(page)["sent"]) - sent,
    }


def _play(page: Page, seconds: float) -> int:
    page.locator(f"{ROOT} select").select_option("30")
    page.locator(f"{ROOT} button", has_text="Play").click()
    time.sleep(seconds)
    return 0


def _drag(page: Page, index: int, seconds: float) -> int:
    """Drag the index-th slider of the view across its range and back for ``seconds`` (the mouse
    down, then moves as fast as Playwright sends them, 40 per crossing), leaving the mouse down."""
    thumb = page.locator(f"{ROOT} .ls-slider input[type=range]").nth(index)
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    y = box["y"] + box["height"] / 2
    ends = (box["x"] + 2, box["x"] + box["width"] - 2)
    page.mouse.move(ends[0], y)
    page.mouse.down()
    moves, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        page.mouse.move(ends[(moves // 40 + 1) % 2], y, steps=40)
        moves += 40
    return moves


def _release_times(page: Page, rounds: int) -> list[float]:
    """Release to settled of forget_bias drags (each a short drag to a new value, then its release)."""
    times = []
    for k in range(rounds):
        thumb = page.locator(f"{ROOT} .ls-slider input[type=range]").nth(1)
        box = thumb.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.05 * (k % 6)), y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * (0.33 + 0.05 * (k % 6)), y, steps=4)
        settled, _ = round_trip(page, page.mouse.up)
        times.append(settled)
    return times


def measure(browser, url: str, seconds: float, rounds: int) -> dict:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    record_websocket(page)
    page.goto(url)
    wait_idle(page, timeout=120)
    page.wait_for_selector(f"{ROOT}[data-lstm-step='ready']", timeout=120_000)
    page.wait_for_timeout(500)
    # Play from the first step for 1.5 s: at 30 steps a second, 60 steps last 2 s.
    out = {"Play (30 steps/s)": _measure(page, lambda: _play(page, min(seconds, 1.5)), over_renders=True)}
    page.locator(f"{ROOT} button", has_text="Pause").click()
    wait_idle(page)
    page.wait_for_timeout(800)
    out["drag the step"] = _measure(page, lambda: _drag(page, 0, seconds))
    page.mouse.up()
    wait_idle(page)
    page.wait_for_timeout(800)
    out["drag forget_bias"] = _measure(page, lambda: _drag(page, 1, seconds))
    page.mouse.up()
    wait_idle(page)
    page.wait_for_timeout(800)
    out["release"] = _release_times(page, rounds)
    page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each play or drag lasts")
    parser.add_argument("--rounds", type=int, default=8, help="forget_bias releases timed per configuration")
    args = parser.parse_args()
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        with streamlit_server("bench/minimal_app.py") as url:
            minimal = [settled for settled, _ in round_trips(browser, url, args.rounds)]
        with streamlit_server("app.py") as url:
            for name, query in CONFIGS.items():
                results[name] = measure(browser, f"{url}/step_through?{query}", args.seconds, args.rounds)
        browser.close()

    base = statistics.median(minimal)
    rows = []
    for name, result in results.items():
        for action in ("Play (30 steps/s)", "drag the step", "drag forget_bias"):
            r = result[action]
            rows.append(
                [
                    name,
                    action,
                    "-" if r["inputs"] is None else f"{r['inputs']:.0f}",
                    f"{r['painted']:.0f}",
                    f"{r['slowest']:.1f}",
                    str(r["sent"]),
                    "",
                ]
            )
        release = statistics.median(result["release"])
        rows.append([name, "release forget_bias", "-", "-", "-", "1 each", f"{release:.0f} ({release / base:.2f}x)"])
    rows.append(
        ["minimal app (1 slider, 1 heatmap)", "slider round trip", "-", "-", "-", "1 each", f"{base:.0f} (1.00x)"]
    )
    print(f"Step through, live, in headless Chromium ({machine()})\n")
    headers = [
        "page",
        "action",
        "inputs/s",
        "painted/s",
        "slowest frame ms",
        "messages sent",
        "settled ms (vs minimal)",
    ]
    print(table(headers, rows))
    worst = min(
        results[name][action]["painted"]
        for name in results
        for action in ("Play (30 steps/s)", "drag the step", "drag forget_bias")
    )
    quiet = all(
        results[name][action]["sent"] == 0
        for name in results
        for action in ("Play (30 steps/s)", "drag the step", "drag forget_bias")
    )
    print(
        f"\nSlowest painted rate: {worst:.0f}/s (target >= 30: {'met' if worst >= 30 else 'MISSED'}); "
        f"messages while playing or dragging: {'none' if quiet else 'SOME'} (target 0)"
    )


if __name__ == "__main__":
    main()
