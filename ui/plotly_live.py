"""Plotly charts that update in place: st.plotly_chart's look without its redraw from scratch.

Streamlit 1.67's ``st.plotly_chart`` derives a chart's identity from its whole figure, so any
change of the figure mounts a new chart and Plotly.js draws it from scratch (``newPlot``).
:func:`plotly_chart` sends the same figure to a small ``st.components.v2`` component
(plotly_live.js) that keeps its div mounted under a fixed key and updates it with
``Plotly.react``, which redraws only what changed.

Plotly.js is the installed plotly package's own ``plotly.min.js`` (MIT licence), served by
Streamlit's component file route: nothing comes from the internet, nothing is copied into the
repository. The component draws with st.plotly_chart's light theme (plotly_theme_light.json,
captured from Streamlit's frontend by ``python -m tools.plotly_theme``; the app's theme is fixed to
light in .streamlit/config.toml).
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
from plotly.io.json import to_json_plotly
from streamlit.components.v1 import declare_component
from streamlit.components.v2 import component

HERE = Path(__file__).resolve().parent
#: The component's name, as AppTest reports it (``proto.component_name``).
NAME = "plotly_live"
#: The installed plotly package's data folder, which holds plotly.min.js.
PLOTLY_DIR = Path(str(resources.files("plotly") / "package_data"))
#: The v1 component that only serves PLOTLY_DIR's files, under Streamlit's naming "<module>.<name>".
ASSETS = f"{__name__}.plotly_js"


def serve_plotly_js() -> None:
    """Register PLOTLY_DIR as the files of the v1 component ASSETS, so that Streamlit serves
    /component/ASSETS/plotly.min.js. Only while a script runs (declare_component needs its context)."""
    if declare_component("plotly_js", path=PLOTLY_DIR).name != ASSETS:
        raise RuntimeError("Streamlit no longer names v1 components <module>.<name>: fix ASSETS")


def _plotly_url() -> str:
    parts = [st.get_option("server.baseUrlPath").strip("/"), "component", ASSETS, "plotly.min.js"]
    return "/" + "/".join(part for part in parts if part)


def module(*files: str) -> str:
    """The JavaScript of a component that draws Plotly charts: plotly_chart.js (the chart that stays
    mounted: loading Plotly.js, the theme, Fullscreen), then ``files`` of this folder, in order."""
    js = "\n".join((HERE / name).read_text() for name in ("plotly_chart.js", *files))
    template = (HERE / "plotly_theme_light.json").read_text()
    return js.replace("__PLOTLY_URL__", json.dumps(_plotly_url())).replace("__TEMPLATE__", template.strip())


_component = component(NAME, js=module("plotly_live.js"), isolate_styles=False)


def figure_json(fig: go.Figure) -> dict:
    """{"data", "layout"[, "frames"]} of ``fig`` as plotly_chart.js draws it: the layout's template
    (Streamlit's Python-side placeholders) is left out, since the component applies the theme the
    browser would have made of it."""
    spec = fig.to_plotly_json()
    figure = {"data": spec["data"], "layout": {k: v for k, v in spec["layout"].items() if k != "template"}}
    if spec.get("frames"):
        figure["frames"] = spec["frames"]
    return figure


def payload(fig: go.Figure, alt: str, config: dict | None = None) -> bytes:
    """What the component receives: {"figure": :func:`figure_json`, "config", "alt"} as JSON bytes."""
    return to_json_plotly({"figure": figure_json(fig), "config": config or {}, "alt": alt}).encode()


#: Set LSTM_LIVE_CHARTS=0 to draw with st.plotly_chart instead (every change then mounts a new chart).
#: A stopgap until Streamlit keeps a keyed chart mounted across reruns (streamlit/streamlit PR
#: #16052): then this module retires and the pages call st.plotly_chart.
ENVIRONMENT = "LSTM_LIVE_CHARTS"


def live() -> bool:
    """Whether charts update in place (this module's component) rather than through st.plotly_chart."""
    return os.environ.get(ENVIRONMENT, "1").strip().lower() not in ("0", "false", "no", "off")


def plotly_chart(fig: go.Figure, *, key: str, alt: str, config: dict | None = None) -> None:
    """Draw ``fig`` as st.plotly_chart(fig, key=key, alt=alt, config=config) would (full width,
    the figure's height, Streamlit's theme, the alt text as accessible name), but keep the chart
    mounted across reruns and update it in place. ``key`` must be unique on the page. With
    LSTM_LIVE_CHARTS=0, it is st.plotly_chart itself."""
    if not live():
        st.plotly_chart(fig, key=key, alt=alt, config=config or {})
        return
    serve_plotly_js()
    _component(key=key, data=payload(fig, alt, config))
