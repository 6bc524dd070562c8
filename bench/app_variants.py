"""What each part of the Explore page costs in bench.app_latency's slider round trip.

    .venv/bin/python -m bench.app_latency            # the target table
    .venv/bin/python -m bench.app_variants [--rounds 8] [--repeats 3] [--also ../main]

Copies this checkout into a temporary folder once per variant, changes one thing in the copy
(no colour bars, no charts, no table, an empty page body) and times a forget_bias
change on each, as bench.app_latency does, alongside the minimal app. The servers run one after
another, the whole round `--repeats` times, so the drift of a shared machine spreads over all of
them. --also adds other checkouts as they are (e.g. main before a change). Nothing here is meant to
ship: the variants price what the page shows.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.app_latency import round_trips
from bench.common import machine, table
from tools.browser import ROOT, launch_args, streamlit_server

EXPLORE = "app_pages/explore.py"
NO_COLOUR_BARS = ("viz/heatmaps.py", '"colorbar": colorbar,', '"showscale": False,')
NO_HEATMAPS = (EXPLORE, "plotly_chart(fig, key=", "None and plotly_chart(fig, key=")
NO_LINES = (EXPLORE, "    plotly_chart(\n        state_lines(", "    None and plotly_chart(\n        state_lines(")
NO_TABLE = (EXPLORE, 'st.dataframe(table, column_config=six_places, width="stretch")', "pass")
VARIANTS: dict[str, list[tuple[str, str, str]]] = {
    "Explore": [],
    "heatmaps without colour bars": [NO_COLOUR_BARS],
    "no charts": [NO_HEATMAPS, NO_LINES],
    "no charts, no table": [NO_HEATMAPS, NO_LINES, NO_TABLE],
}
EMPTY = "page body empty (title only)"


def make_variant(folder: Path, edits: list[tuple[str, str, str]], empty: bool = False) -> Path:
    """A copy of this checkout's tracked files in ``folder`` with ``edits`` (file, old, new) applied."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)
    for name, old, new in edits:
        text = (folder / name).read_text()
        if old not in text:
            raise RuntimeError(f"{name} changed: cannot make the variant ({old!r} not found)")
        (folder / name).write_text(text.replace(old, new))
    if empty:
        (folder / EXPLORE).write_text('import streamlit as st\n\nst.title("Explore: every gate at every step")\n')
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--also", type=Path, action="append", default=[], help="another checkout, timed as it is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="app_variants_") as temp:
        apps = {f"{folder.resolve()} as it is": folder.resolve() for folder in args.also}
        for k, (name, edits) in enumerate(VARIANTS.items()):
            apps[name] = make_variant(Path(temp) / str(k), edits)
        apps[EMPTY] = make_variant(Path(temp) / "empty", [], empty=True)
        times: dict[str, list[tuple[float, float]]] = {"minimal app (1 slider, 1 heatmap)": []}
        times.update({name: [] for name in apps})
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_args())
            for _ in range(args.repeats):
                with streamlit_server("bench/minimal_app.py") as url:
                    times["minimal app (1 slider, 1 heatmap)"] += round_trips(browser, url, args.rounds)
                for name, folder in apps.items():
                    with streamlit_server("app.py", cwd=folder) as url:
                        times[name] += round_trips(
                            browser, url, args.rounds, charts=name not in ("no charts", "no charts, no table", EMPTY)
                        )
            browser.close()
    base = statistics.median(t[0] for t in times["minimal app (1 slider, 1 heatmap)"])
    rows = []
    for name, samples in times.items():
        median = statistics.median(t[0] for t in samples)
        rows.append([name, str(len(samples)), f"{median:.0f}", f"{median / base:.2f}x"])
    print(f"Slider round trip of Explore's variants, headless Chromium ({machine()})\n")
    print(table(["app", "changes", "median ms", "vs minimal"], rows))


if __name__ == "__main__":
    main()
