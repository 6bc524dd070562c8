"""Round trip of one slider change, in headless Chromium against `streamlit run`.

    .venv/bin/python -m bench.app_latency [--rounds 15] [--app-dir ../other-checkout]

For each app and configuration: press ArrowRight/ArrowLeft on the forget_bias slider and time, in the
browser, from the key press until the page has settled: the last websocket message of the rerun it
caused and the last change of its charts' DOM (their drawing), painted (the page's WebSocket is
wrapped to timestamp every frame, a MutationObserver timestamps changes inside Plotly charts).
"last message" is the time to the last message alone, painted, what this benchmark measured before
it watched the charts (a chart drawn after the last message was missed).
Compares the Explore page at its defaults with a one-slider, one-small-heatmap app
(bench/minimal_app.py) run on the same machine in the same run; target ratio at most 2x. Then the
largest allowed configuration (2000 steps, 256 units, 3 layers): target at most 3 s.
--app-dir times another checkout's app.py (e.g. main before a change) against this checkout's minimal app.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import machine, table
from tools.browser import ROOT, launch_args, record_websocket, round_trip, slider, streamlit_server, wait_idle

LARGE = "weights=random&steps=2000&features=8&num_units=256&layers=3&num_units_2=256&num_units_3=256"


def round_trips(browser, url: str, rounds: int, charts: bool = True) -> list[tuple[float, float]]:
    """(settled, last message) milliseconds of each of `rounds` slider changes (after one untimed
    warm-up change); ``charts``: wait for the page's charts to be drawn first."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    record_websocket(page)
    page.goto(url)
    wait_idle(page, timeout=120)
    if charts:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
    thumb = slider(page, "forget_bias")
    times = []
    for k in range(rounds + 1):
        key = "ArrowRight" if k % 2 == 0 else "ArrowLeft"
        thumb.focus()
        elapsed = round_trip(page, lambda key=key: page.keyboard.press(key))
        if k:
            times.append(elapsed)
    page.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout whose app.py is timed")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        with streamlit_server("bench/minimal_app.py") as url:
            results["minimal app (1 slider, 1 heatmap)"] = round_trips(browser, url, args.rounds)
        with streamlit_server("app.py", cwd=args.app_dir.resolve()) as url:
            results["Explore, random weights"] = round_trips(browser, f"{url}/explore?weights=random", args.rounds)
            results["Explore, 2000 steps x 256 units x 3 layers"] = round_trips(
                browser, f"{url}/explore?{LARGE}", max(3, args.rounds // 3)
            )
        browser.close()

    settled = {name: [t[0] for t in times] for name, times in results.items()}
    base = statistics.median(settled["minimal app (1 slider, 1 heatmap)"])
    rows = []
    for name, times in results.items():
        median = statistics.median(settled[name])
        message = statistics.median(t[1] for t in times)
        rows.append(
            [
                name,
                str(len(times)),
                f"{median:.0f}",
                f"{max(settled[name]):.0f}",
                f"{median / base:.2f}x",
                f"{message:.0f}",
            ]
        )
    print(f"Slider round trip in headless Chromium ({machine()})")
    if args.app_dir.resolve() != ROOT:
        print(f"Explore from {args.app_dir.resolve()}")
    print()
    print(table(["app", "changes", "median ms", "max ms", "vs minimal", "last message, median ms"], rows))
    ratio = statistics.median(settled["Explore, defaults"]) / base
    large = max(settled["Explore, 2000 steps x 256 units x 3 layers"]) / 1000
    print(f"\nExplore / minimal: {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'MISSED'})")
    print(f"Largest configuration, slowest change: {large:.2f} s (target <= 3 s: {'met' if large <= 3 else 'MISSED'})")


if __name__ == "__main__":
    main()
