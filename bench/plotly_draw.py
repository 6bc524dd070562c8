"""Plotly.js time to draw Explore's charts, from scratch (newPlot) against in place (Plotly.react).

    .venv/bin/python -m bench.plotly_draw [--repeats 12]

In headless Chromium, on a blank page holding only the installed plotly package's plotly.min.js,
at Explore's width (940 px) and with Streamlit's theme: each figure of Explore at its defaults
(forget_bias 1.0, then 1.1, alternately) drawn from scratch into a new div, as st.plotly_chart does
on every change, and updated in place, as ui/plotly_live.py does; with variants of the figures
(no colour bars, no dots at the selected step) to price each part. Times run from the call to the frame painted
after it (median of warm repeats). No Streamlit server involved: what the charts alone cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import replace

from playwright.sync_api import sync_playwright

from bench.common import machine, table
from tools.browser import launch_args
from ui.model import ModelSpec, run_model
from ui.plotly_live import HERE, PLOTLY_DIR, payload
from viz.heatmaps import trace_heatmaps
from viz.lines import state_lines

WIDTH = 940  # Explore's chart width in a 1400 px window with the sidebar open

TIMER = """async ([figures, template, width, repeats, mode]) => {
    const paint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const prepare = (figure) => {
        const layout = {...figure.layout, template, width};
        if (layout.title) layout.title = {...layout.title, text: `<b>${layout.title.text ?? ''}</b>`};
        return {data: figure.data, layout, config: {displaylogo: false}};
    };
    const times = [];
    let gd = document.createElement('div');
    document.body.appendChild(gd);
    for (let k = 0; k < repeats + 2; k++) {
        // Fresh objects every time, as decoded from a new message.
        const figure = prepare(JSON.parse(figures[k % 2]));
        if (mode === 'newPlot') {
            Plotly.purge(gd);
            gd.remove();
            gd = document.createElement('div');
            document.body.appendChild(gd);
        }
        await paint();
        const started = performance.now();
        await (mode === 'newPlot' ? Plotly.newPlot(gd, figure) : Plotly.react(gd, figure));
        await paint();
        if (k >= 2) times.push(performance.now() - started);
    }
    Plotly.purge(gd);
    gd.remove();
    return times;
}"""


def figures() -> dict[str, tuple[str, str]]:
    """{variant: (figure JSON at forget_bias 1.0, at 1.1)} as ui.plotly_live sends them."""
    out: dict[str, list[str]] = {}
    for forget_bias in (1.0, 1.1):
        trace = run_model(replace(ModelSpec(), forget_bias=forget_bias)).traces[0]
        heatmaps = json.loads(payload(trace_heatmaps(trace, 0, step=0), ""))["figure"]
        lines = json.loads(payload(state_lines(trace, 0, [0, 1, 2], step=0), ""))["figure"]
        bare = json.loads(json.dumps(heatmaps))
        for heatmap in bare["data"]:
            heatmap.pop("colorbar")
            heatmap["showscale"] = False
        plain = json.loads(json.dumps(lines))
        plain["data"] = [line for line in plain["data"] if line["mode"] == "lines"]
        variants = {
            "7-band heatmaps": heatmaps,
            "7-band heatmaps, no colour bars": bare,
            "line chart, 3 units (lines, step dots)": lines,
            "line chart, 3 units, no step dots": plain,
        }
        for name, figure in variants.items():
            out.setdefault(name, []).append(json.dumps(figure))
    return {name: (a, b) for name, (a, b) in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12)
    args = parser.parse_args()
    template = json.loads((HERE / "plotly_theme_light.json").read_text())
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content("<!doctype html><html><body style='margin:0'></body></html>")
        page.add_script_tag(path=str(PLOTLY_DIR / "plotly.min.js"))
        for name, pair in figures().items():
            medians = {}
            for mode in ("newPlot", "react"):
                times = page.evaluate(TIMER, [list(pair), template, WIDTH, args.repeats, mode])
                medians[mode] = statistics.median(times)
            rows.append(
                [
                    name,
                    f"{medians['newPlot']:.0f}",
                    f"{medians['react']:.0f}",
                    f"{medians['react'] / medians['newPlot']:.2f}",
                ]
            )
        browser.close()
    print(f"Plotly.js draw time of Explore's charts, headless Chromium ({machine()})\n")
    print(table(["figure", "newPlot ms", "Plotly.react ms", "react / newPlot"], rows))


if __name__ == "__main__":
    main()
