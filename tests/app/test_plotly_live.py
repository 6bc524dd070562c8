"""ui.plotly_live: what it sends, what the browser module is made of, and a stable chart identity."""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest

from helpers import charts
from tools.browser import decode_traces
from ui import plotly_live
from viz.figure import figure, typed


def small_figure(shift: float = 0.0):
    z = np.arange(6, dtype=np.float32).reshape(2, 3) + shift
    return figure(
        [{"type": "heatmap", "name": "z", "z": typed(z), "hovertemplate": "%{z}<extra></extra>"}],
        {"height": 300, "title": {"text": "T"}},
    )


def test_payload_is_the_figure_without_the_placeholder_theme_plus_alt_and_config() -> None:
    fig = small_figure()
    sent = json.loads(plotly_live.payload(fig, "Two rows of three.", {"displaylogo": False}))
    assert set(sent) == {"figure", "alt", "config"}
    assert sent["alt"] == "Two rows of three." and sent["config"] == {"displaylogo": False}
    spec = json.loads(fig.to_json())
    assert "template" in spec["layout"]  # Streamlit's Python-side theme, placeholder colours...
    assert "template" not in sent["figure"]["layout"]  # ...which the browser module replaces
    del spec["layout"]["template"]
    assert sent["figure"] == spec
    np.testing.assert_array_equal(decode_traces(sent["figure"]["data"])["z"]["z"], [[0, 1, 2], [3, 4, 5]])


def test_plotly_url_follows_the_base_url_path(monkeypatch) -> None:
    monkeypatch.setattr(plotly_live.st, "get_option", lambda name: "/lstm/" if name == "server.baseUrlPath" else None)
    assert plotly_live._plotly_url() == "/lstm/component/ui.plotly_live.plotly_js/plotly.min.js"


APP = """
import numpy as np
import streamlit as st
from ui.plotly_live import plotly_chart
from viz.figure import figure, typed

shift = st.slider("shift", 0, 5, 0, key="shift")
z = np.arange(6, dtype=np.float32).reshape(2, 3) + shift
plotly_chart(figure([{"type": "heatmap", "name": "z", "z": typed(z)}], {"height": 300}), key="chart", alt=f"shift {shift}")
"""


def test_a_changed_figure_keeps_the_chart_identity() -> None:
    at = AppTest.from_string(APP).run()
    assert not at.exception
    (before,) = charts(at)
    assert before.live and before.alt == "shift 0" and before.id.endswith("chart")
    at.slider(key="shift").set_value(3).run()
    (after,) = charts(at)
    assert after.id == before.id  # same element: the browser updates the chart instead of mounting a new one
    assert after.alt == "shift 3"
    np.testing.assert_array_equal(decode_traces(after.figure["data"])["z"]["z"], [[3, 4, 5], [6, 7, 8]])


def test_the_fallback_setting_draws_the_same_figure_with_st_plotly_chart(monkeypatch) -> None:
    monkeypatch.setenv(plotly_live.ENVIRONMENT, "0")
    at = AppTest.from_string(APP).run()
    assert not at.exception
    (chart,) = charts(at)
    assert not chart.live and chart.alt == "shift 0"  # st.plotly_chart's element, with the alt text
    np.testing.assert_array_equal(decode_traces(chart.figure["data"])["z"]["z"], [[0, 1, 2], [3, 4, 5]])
    at.slider(key="shift").set_value(2).run()
    np.testing.assert_array_equal(decode_traces(charts(at)[0].figure["data"])["z"]["z"], [[2, 3, 4], [5, 6, 7]])
