"""Scrubbing in headless Chromium: how fast the live views follow a drag, and what the server hears.

    .venv/bin/python -m bench.scrub [--seconds 3]

For Explore and Gradient flow (a function per page in PAGES; Step through has bench/scrub_step.py)
at 60 steps x 4 and x 32 units: scrub the forget_bias slider across its range (and on Explore the
step slider across the sequence, and the pointer along the heatmaps' time axis: hover), each
for a few seconds, moving one position every animation frame (as fast as a hand can ask for new
values: the input events a drag makes, dispatched in the page). Reported per drag:

- moves per second: the input events dispatched (the browser's frame rate while scrubbing);
- painted updates per second: animation frames in which the views repainted something that
  changed (ui/live_explore.js counts them);
- line-chart redraws per second: Plotly's plotly_afterplot on the line chart (a full redraw; while a
  slider moves, the lines' paths are moved without one);
- websocket messages the page sent while scrubbing (the target is 0);
- release to settled: from the release (the input's change event) to the page settled after the one
  rerun it causes (tools.browser.round_trip: the last server message and chart change, painted).

Beside them, in the same run, bench/minimal_app.py's round trip (one slider, one heatmap).
Targets: at least 30 painted updates per second, 0 messages while dragging. The browser tests
(tests/e2e/test_explore_live_browser.py) drag with the real mouse.
"""

from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

from bench.app_latency import round_trips
from bench.common import machine, table
from tools.browser import launch_args, record_websocket, round_trip, streamlit_server, wait_idle

BIG = "weights=random&steps=60&num_units=32"
# The live views have painted the store: the heatmaps and the line chart drawn by Plotly, then painted.
READY = "() => { const v = window.__lstmLiveExplore?.stats.views; return !!(v && v.heatmaps && v.lines && v.table); }"
COUNT_REDRAWS = """() => {
    const gd = document.querySelector("[aria-label^='Line chart'] .js-plotly-plot");
    window.__redraws = 0;
    if (gd && gd.on) gd.on('plotly_afterplot', () => { window.__redraws += 1; });
}"""
FRAMES = "() => window.__lstmLiveExplore.stats.frames"


def open_live(browser, url: str, ready: str = READY):
    """A page at ``url`` once its live views are ``ready``; the times of the websocket frames it sends."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    record_websocket(page)
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.perf_counter())))
    page.goto(url)
    wait_idle(page, timeout=120)
    page.wait_for_function(ready, timeout=120_000)
    page.wait_for_timeout(1500)
    if ready == READY:
        page.evaluate(COUNT_REDRAWS)
    return page, sent


# Moves a range input (``target`` is its index among Explore's live sliders; ``flow``: Gradient
# flow's slider) or the pointer along Explore's heatmaps (``target`` null) by one position every
# animation frame, back and forth, for ``ms``: as fast as a hand can ask for new values. Returns
# painted frames (Explore's own count, or Gradient flow's completed draws), line redraws and moves.
SCRUB = """async ([target, ms, flow]) => {
  const hub = window.__lstmLiveExplore;
  const painted = () => (flow ? globalThis.__lstmLiveFlow.renders : hub.stats.frames);
  const input = flow ? document.querySelector('.lf-controls .lx-range')
    : target === null ? null : document.querySelectorAll('.lx-controls .lx-range')[target];
  const gd = flow ? null : document.querySelector("[aria-label^='Heatmaps'] .js-plotly-plot");
  const steps = flow ? 0 : hub.store.header.steps;
  const box = gd?.getBoundingClientRect(), size = gd?._fullLayout._size;
  const last = input ? Number(input.max) : steps - 1;
  const start = input ? Number(input.value) : 0;
  const frames = painted(), redraws = window.__redraws ?? 0;
  let moves = 0;
  const t0 = performance.now();
  await new Promise((done) => {
    const tick = (now) => {
      if (now - t0 >= ms) return done();
      moves += 1;
      const phase = (start + moves) % (2 * last);
      const value = phase <= last ? phase : 2 * last - phase;
      if (input) {
        input.value = value;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      } else {
        const x = box.left + size.l + (size.w * (value + 0.5)) / steps, y = box.top + size.t + size.h * 0.35;
        gd.dispatchEvent(new PointerEvent('pointermove', { clientX: x, clientY: y, bubbles: true }));
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await new Promise((r) => setTimeout(r, 60));
  const seconds = (performance.now() - t0) / 1000;
  return { fps: (painted() - frames) / seconds, redraws: ((window.__redraws ?? 0) - redraws) / seconds,
           moves: moves / seconds };
}"""
RELEASE = "(target) => document.querySelectorAll('.lx-controls .lx-range')[target].dispatchEvent(new Event('change', { bubbles: true }))"
LEAVE = "() => document.querySelector(\"[aria-label^='Heatmaps'] .js-plotly-plot\").dispatchEvent(new PointerEvent('pointerleave'))"


def drag(page, sent: list[float], target: int | None, seconds: float) -> dict:
    """Scrub a slider (``target``: 0 forget_bias, 1 the step) or hover along the heatmaps (None)
    for ``seconds``, then release it; what the page painted and sent."""
    messages = len(sent)
    result = page.evaluate(SCRUB, [target, seconds * 1000, False])
    result["sent"] = len(sent) - messages
    if target is None:
        page.evaluate(LEAVE)
        result["settled"] = None
    else:
        result["settled"], _ = round_trip(page, lambda: page.evaluate(RELEASE, target))
        page.wait_for_function(READY)
    return result


def explore(browser, url: str, seconds: float) -> list[tuple[str, dict]]:
    """Explore's three drags: forget_bias, the step slider, the pointer along the heatmaps."""
    page, sent = open_live(browser, url)
    grid = page.evaluate("() => window.__lstmLiveExplore.store.header.biases.length")
    rows = [
        (f"forget_bias ({grid} values)", drag(page, sent, 0, seconds)),
        ("step slider", drag(page, sent, 1, seconds)),
        ("hover along the time axis", drag(page, sent, None, seconds)),
    ]
    page.close()
    return rows


FLOW_READY = "() => (globalThis.__lstmLiveFlow?.renders ?? 0) > 0"
FLOW_RELEASE = (
    "() => document.querySelector('.lf-controls .lx-range').dispatchEvent(new Event('change', { bubbles: true }))"
)


def gradient_flow(browser, url: str, seconds: float) -> list[tuple[str, dict]]:
    """Gradient flow's one drag: forget_bias (the line chart's slider curves follow it)."""
    page, sent = open_live(browser, url, FLOW_READY)
    grid = page.evaluate("() => Number(document.querySelector('.lf-controls .lx-range').max) + 1")
    messages = len(sent)
    result = page.evaluate(SCRUB, [0, seconds * 1000, True])
    result["sent"] = len(sent) - messages
    result["settled"], _ = round_trip(page, lambda: page.evaluate(FLOW_RELEASE))
    page.close()
    return [(f"forget_bias ({grid} values)", result)]


#: page name -> (path, function(browser, url, seconds) -> [(what, result)]), and its configurations.
PAGES = {"Explore": ("explore", explore), "Gradient flow": ("gradient_flow", gradient_flow)}
CONFIGURATIONS = {
    "Explore": {"random weights (60 steps x 4 units)": "weights=random", "60 steps x 32 units": BIG},
    "Gradient flow": {
        "random weights (60 steps x 4 units)": "weights=random",
        "60 steps x 32 units": "weights=random&num_units=32",
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each drag lasts")
    parser.add_argument("--rounds", type=int, default=9, help="round trips of the minimal app")
    args = parser.parse_args()
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        with streamlit_server("bench/minimal_app.py") as url:
            minimal = statistics.median(t[0] for t in round_trips(browser, url, args.rounds))
        with streamlit_server("app.py") as url:
            for name, (path, run) in PAGES.items():
                for configuration, query in CONFIGURATIONS[name].items():
                    for what, result in run(browser, f"{url}/{path}?{query}", args.seconds):
                        settled = result["settled"]
                        rows.append(
                            [
                                name,
                                configuration,
                                what,
                                f"{result['moves']:.0f}",
                                f"{result['fps']:.0f}",
                                f"{result['redraws']:.0f}",
                                str(result["sent"]),
                                "-" if settled is None else f"{settled:.0f}",
                                f"{minimal:.0f}",
                            ]
                        )
        browser.close()
    print(f"Scrubbing in headless Chromium ({machine()}), {args.seconds:g} s per drag, one move per frame")
    print()
    headers = [
        "page",
        "configuration",
        "drag",
        "moves/s",
        "painted updates/s",
        "line redraws/s",
        "ws sent while dragging",
    ]
    print(table([*headers, "release to settled ms", "minimal app round trip ms"], rows))
    slow = [row for row in rows if float(row[4]) < 30 or row[6] != "0"]
    print(f"\nTargets (>= 30 painted updates/s, 0 messages while dragging): {'met' if not slow else 'MISSED'}")


if __name__ == "__main__":
    main()
