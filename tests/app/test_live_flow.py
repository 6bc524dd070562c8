"""Gradient flow's live forget_bias slider (ui.live_flow): the curves sent for every value of the grid
are lstm_core's gradient at that value, the y axis holds all of them, a release sets the page's
forget_bias, and a run too large to sweep gets the server's slider and says why."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from helpers import chart_by_key, live_flow_notes, live_flow_sent, open_page, page_text
from lstm_core.sequences import InputSpec
from tools.browser import decode_traces
from ui import live_flow, plotly_live, runs
from ui.model import ModelSpec, run_model
from viz.gradflow import FLOW_FIELDS, gradient_flow, heatmaps_alt, lines_alt
from viz.notes.gradflow import rnn_comparison, what_to_notice

PAGE = "app_pages/gradient_flow.py"


def sent(at) -> dict:
    return live_flow_sent(at)


def test_every_value_of_the_slider_carries_the_cores_gradient_at_that_value() -> None:
    at = open_page(PAGE, {"steps": "30", "flow_loss": "h"})
    payload = sent(at)
    assert len(payload["biases"]) == 101 and payload["biases"][0] == -5 and payload["biases"][-1] == 5
    spec = ModelSpec(inputs=InputSpec(preset="sine", steps=30, features=2))
    low, high = payload["figure"]["layout"]["yaxis"]["range"]
    for fb in (-5.0, -1.3, 0.0, 2.7, 5.0):
        k = payload["biases"].index(fb)
        flow = gradient_flow(run_model(replace(spec, forget_bias=fb)).traces[0], 0, "h")
        curves = payload["curves"][k]
        assert curves["names"][0].rstrip(live_flow.FIGURE_SPACE) == f"forget_bias {fb:g} (slider) · gradient"
        for y, values in zip(curves["y"], (flow.log_ratio, flow.log_closed_form, flow.log_through_c), strict=True):
            np.testing.assert_allclose(y, 10.0 ** np.maximum(values, low), rtol=1e-12)
            assert max(np.log10(y)) <= high  # the fixed axis holds every value's curves
    # The figure sent with it is drawn at the page's own forget_bias (1): its last three curves.
    slider = payload["figure"]["data"][payload["first"]]
    assert slider["name"] == "forget_bias 1 (slider) · gradient"


def test_the_links_forget_bias_is_where_the_slider_opens() -> None:
    at = open_page(PAGE, {"forget_bias": "-2"})
    payload = sent(at)
    assert payload["value"] == -2.0 and at.query_params["forget_bias"] == "-2"
    assert "forget_bias -2 (slider) · gradient" in [t["name"] for t in payload["figure"]["data"]]
    # What to notice and the heatmaps' slider panel open there too.
    assert live_flow_notes(at).startswith(
        "Going back from the last step"
    ) and "forget_bias -2 (slider)" in live_flow_notes(at)
    assert [t["name"] for t in chart_by_key(at, live_flow.HEATMAPS_KEY)["data"]][2] == "forget_bias -2 (slider)"


def test_every_values_notes_and_heatmap_panel_are_the_pages_at_that_value() -> None:
    """What the browser shows at each value of the slider (the store) is what the page, run at that
    value, would write and draw: What to notice, the plain RNN's comparison, the slider's panel (the
    core's |dL/dc|), on one colour scale fixed over every value, and the alt texts."""
    at = open_page(PAGE, {"steps": "30"})
    payload = sent(at)
    heatmaps = chart_by_key(at, live_flow.HEATMAPS_KEY)
    scale = heatmaps["layout"]["coloraxis"]
    spec = ModelSpec(inputs=InputSpec(preset="sine", steps=30, features=2))
    every = {}
    for fb in payload["biases"]:
        every[fb] = gradient_flow(run_model(replace(spec, forget_bias=fb)).traces[0], 0, "c")
    rnn = runs.rnn_flow(spec, 1, 0)  # the plain RNN's own numbers: tests/app/test_other_cells.py
    top = max(float(flow.log_dc.max()) for flow in every.values())
    assert scale["cmax"] == math.ceil(max(top, float(rnn.log_dh.max())))  # no value's panel saturates
    swept = live_flow.flows(live_flow.prepare(run_model(spec), 1, 0, "c"))  # the sweep's Flows, made again
    for fb in (-5.0, -2.3, 0.0, 1.0, 4.2):
        k = payload["biases"].index(fb)
        frame = payload["curves"][k]
        compared = [every[b] for b in sorted({0.0, 1.0, fb})]
        assert ["**".join(runs) for runs in frame["notes"]] == [
            what_to_notice(compared, fb),
            rnn_comparison(compared, rnn, fb),
        ]
        z = decode_traces([{**heatmaps["data"][2], **frame["panel"]}])[frame["panel"]["name"]]["z"]
        np.testing.assert_allclose(z, every[fb].log_dc.T, rtol=1e-6, err_msg=str(fb))
        assert frame["panel"]["name"] == f"forget_bias {fb:g} (slider)"
        assert frame["alt"] == [lines_alt(compared, fb, rnn), heatmaps_alt(compared, fb, rnn)]
        # Its Flow, made again from the sweep, is the core's at that value, field by field.
        for name in FLOW_FIELDS:
            np.testing.assert_array_equal(getattr(swept[k], name), getattr(every[fb], name), err_msg=name)


@pytest.mark.parametrize("value", [float("nan"), "1", None, 99.0])
def test_a_release_with_a_bad_value_changes_nothing(value, monkeypatch) -> None:
    state = {live_flow.KEY: {"release": {"forget_bias": value}}}
    monkeypatch.setattr(live_flow.st, "session_state", state)
    live_flow._released()
    assert "forget_bias" not in state and "_kept_values" not in state and live_flow.released_value() is None


def test_a_release_sets_forget_bias(monkeypatch) -> None:
    state = {live_flow.KEY: {"release": {"forget_bias": 2.5}}}
    monkeypatch.setattr(live_flow.st, "session_state", state)
    live_flow._released()
    assert state["forget_bias"] == 2.5
    # The part of the page the slider sets reruns at that value, once; a later run of it, as the page says.
    assert live_flow.released_value() == 2.5 and live_flow.released_value() is None


def test_a_run_too_large_to_sweep_keeps_the_servers_slider_and_says_why() -> None:
    at = open_page(PAGE, {"steps": "2000", "num_units": "256", "features": "8"}, timeout=300)
    assert not [n for n in at.main if n.type == "bidi_component" and n.proto.component_name == live_flow.NAME]
    assert at.slider(key="forget_bias").value == 1.0
    assert "Too large to precompute every forget_bias" in page_text(at, "caption")


def test_without_live_charts_the_page_uses_the_servers_slider(monkeypatch) -> None:
    monkeypatch.setenv(plotly_live.ENVIRONMENT, "0")
    at = open_page(PAGE)
    assert at.slider(key="forget_bias").value == 1.0
    assert "LSTM_LIVE_CHARTS=0" in page_text(at, "caption")
