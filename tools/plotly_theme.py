"""Capture the Plotly template st.plotly_chart draws with in the app's (light) theme.

    .venv/bin/python -m tools.plotly_theme [--check]

Streamlit's frontend themes every st.plotly_chart in the browser: it fills the placeholder colours
of its Python-side "streamlit" template from the page theme and adds fonts, grid colours and
margins (the template then has no Python-side source). ui/plotly_live.py draws charts itself, so it
applies the same template, stored in ui/plotly_theme_light.json. This script reads that template
from a real st.plotly_chart (bench/minimal_app.py) in headless Chromium and writes it there, or with
--check says whether the stored copy still matches (tests/e2e does the same after a Streamlit upgrade).
"""

from __future__ import annotations

import argparse
import json
import sys

from tools.browser import ROOT, launch_args, streamlit_server, wait_idle

TEMPLATE_FILE = ROOT / "ui" / "plotly_theme_light.json"
READ_TEMPLATE = (
    "() => JSON.stringify(document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot').layout.template)"
)


def streamlit_template(page, url: str) -> dict:
    """The layout.template of the first st.plotly_chart of the app at ``url``, as the browser holds it."""
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector("[data-testid=stPlotlyChart] .js-plotly-plot .main-svg")
    return json.loads(page.evaluate(READ_TEMPLATE))


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored template; write nothing")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        with streamlit_server("bench/minimal_app.py") as url:
            template = streamlit_template(browser.new_page(), url)
        browser.close()
    if args.check:
        same = template == json.loads(TEMPLATE_FILE.read_text())
        print(f"{TEMPLATE_FILE.name}: {'up to date' if same else 'DIFFERS from what Streamlit draws with'}")
        sys.exit(0 if same else 1)
    TEMPLATE_FILE.write_text(json.dumps(template, indent=1, sort_keys=True) + "\n")
    print(f"wrote {TEMPLATE_FILE}")


if __name__ == "__main__":
    main()
