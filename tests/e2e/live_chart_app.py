"""Explore's two figures drawn twice each, by st.plotly_chart and by ui.plotly_live, for
tests/e2e/test_live_chart_browser.py to compare in the browser. forget_bias moves both."""

import sys
from dataclasses import replace
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ui.model import ModelSpec, run_model
from ui.plotly_live import plotly_chart
from viz.heatmaps import heatmap_alt, trace_heatmaps
from viz.lines import lines_alt, state_lines

st.set_page_config(layout="wide")
forget_bias = st.slider("forget_bias", -5.0, 5.0, 1.0, 0.1, key="forget_bias")
trace = run_model(replace(ModelSpec(), forget_bias=forget_bias)).traces[0]
figures = {
    "heatmaps": (trace_heatmaps(trace, 0, step=0), heatmap_alt(trace, 0)),
    "lines": (state_lines(trace, 0, [0, 1, 2], step=0), lines_alt(trace, 0, [0, 1, 2])),
}
for name, (fig, alt) in figures.items():
    st.plotly_chart(fig, key=f"st_{name}", alt=alt, config={"displaylogo": False})
    plotly_chart(fig, key=f"live_{name}", alt=alt, config={"displaylogo": False})
