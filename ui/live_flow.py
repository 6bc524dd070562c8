"""Gradient flow's live forget_bias slider: the line chart follows the thumb with no server message.

For the page's settings the server backpropagates the loss at every forget_bias of the sweep grid
(:func:`ui.sweeps.live_sweep`, each run and gradient exactly as the page's own at that value, by
``viz.gradflow.gradient_flow``) and sends the slider's three curves at each value once; while the
thumb moves, live_flow.js swaps them into the chart (it only picks arrays: the gradients are
lstm_core's). On release the value becomes the page's forget_bias, in the session and the link, and
the part of the page it sets reruns (its heatmaps and notes follow; app_pages/gradient_flow.py). The curves of forget_bias 0 and 1 stay as they are,
and the y axis is fixed over every value the slider can take, so the picture does not jump.

The component is mounted twice: a hidden store of every value's curves (the same bytes at every
value shown, so that Streamlit sends it once) and the slider with its chart, which names the store.
"""

from __future__ import annotations

import hashlib
import math
from functools import partial
from pathlib import Path

import numpy as np
import orjson
import streamlit as st
from streamlit.components.v2 import component

from lstm_core.sweep import HIGH, LOW
from viz.gradflow import (
    CURVES,
    HOVER_TAIL,
    OTHER_COLOR,
    Flow,
    below_floor_note,
    below_floor_notes,
    curve_names,
    flow_curves,
    flow_lines,
    line_range,
    lowest_of,
    power_of_text,
    slider_name,
)

from . import controls, plotly_live, runs, urlstate
from .markup import quote
from .model import Run
from .schema import SCHEMA
from .sweeps import LIVE_BYTES, Live, live_sweep

HERE = Path(__file__).resolve().parent
NAME = "live_flow"
KEY = "gradient_flow_lines_live"
#: The hidden instance that holds every value's curves (the view names it by its id).
STORE_KEY = f"{KEY}_store"
_component = component(
    NAME,
    js=plotly_live.module("live_flow.js"),
    css=(HERE / "live_explore.css").read_text(),  # the same slider as Explore's
    isolate_styles=False,
)
#: Where the browser's report that the live chart failed is kept (this session: the server's slider).
FAILED = "_live_flow_failed"
#: The forget_bias a release set, for the rerun of the page's part that shows it (the sidebar's weights).
RELEASED = "_live_flow_released"
#: What pads every value's legend names to one length (a digit's width; see _curves).
FIGURE_SPACE = "\u2007"
#: The JSON a value of one step costs in the payload: its y, its hover text, and punctuation.
BYTES_PER_VALUE = 40


def prepare(model: Run, layer: int, seq: int, loss: str) -> Live | str:
    """The sweep of the slider's curves (``Live``), or why the slider works through the server."""
    if not plotly_live.live():
        return "The live slider is switched off on this server (LSTM_LIVE_CHARTS=0): each value you release reruns the page."
    if st.session_state.get(FAILED):
        return (
            "The live chart did not start in this browser, so the slider works through the server: each value "
            f"you release reruns the page. ({quote(st.session_state[FAILED])})"
        )
    steps = model.sequence.values.shape[1]

    live = live_sweep(
        model,
        f"flow:{layer}:{seq}:{loss}",
        partial(flow_curves, layer=layer, seq=seq, loss=loss),
        steps * len(CURVES) * 8,
        include=float(model.configs[0].forget_bias),
        seq=seq,
        named=("flow", {"layer": layer, "seq": seq, "loss": loss}),  # a large sweep's gradients, in the worker
    )
    if live.biases is None:
        return live.reason
    if steps * len(CURVES) * len(live.biases) * BYTES_PER_VALUE > 2 * LIVE_BYTES:  # JSON, not float32
        return "Too large to send every forget_bias's curves: the slider works through the server instead."
    return live


def y_range(fixed: list[Flow], live: Live) -> tuple[float, float]:
    """The line chart's (low, high) log10: the floor from forget_bias 0 and 1 (viz.gradflow.line_range),
    the top high enough for every value of the slider."""
    low, high = line_range(fixed)
    top = max(float(live.arrays["log_ratio"].max()), float(live.arrays["log_through_c"].max()))
    return low, max(high, float(math.ceil(top)))


def _curves(live: Live, low: float, notes_below: int) -> list[dict]:
    """What the browser swaps in at each value of the grid: the three curves' names, y, hover text,
    and the note for curves below the floor (or None)."""
    floor = low - 0.2
    frames = []
    for k, fb in enumerate(live.biases):
        values = [live.arrays[attribute][k] for _, attribute, _, _ in CURVES]
        lowest = lowest_of(values[0], values[1])
        frames.append(
            {
                "names": curve_names(float(fb), slider_name(float(fb))),
                "y": [10.0 ** np.maximum(v.astype(np.float64), floor) for v in values],
                "text": [[power_of_text(float(x)) for x in v] for v in values],
                "note": below_floor_note(slider_name(float(fb)), OTHER_COLOR, lowest, low, notes_below),
            }
        )
    # Every value's names as long as the longest, padded with figure spaces (a digit's width): the
    # legend Plotly draws at the first value holds the names of every other (else one could run out
    # of it, or the chart be redrawn at a release to make room).
    for i in range(len(CURVES)):
        longest = max(len(frame["names"][i]) for frame in frames)
        for frame in frames:
            frame["names"][i] = frame["names"][i].ljust(longest, FIGURE_SPACE)
    return frames


def _store(live: Live, low: float, notes_below: int) -> tuple[bytes, str]:
    """(the store's bytes: {"role": "store", "id", "curves"} as JSON, its id)."""
    curves = orjson.dumps(_curves(live, low, notes_below), option=orjson.OPT_SERIALIZE_NUMPY)
    store_id = hashlib.sha256(curves).hexdigest()[:16]
    return b'{"role":"store","id":"' + store_id.encode() + b'","curves":' + curves + b"}", store_id


def draw(
    live: Live,
    fixed: list[Flow],
    slider: Flow,
    step_labels: tuple[str, ...] | None,
    *,
    alt: str,
    presenting: bool,
    shown,
    trained_fb: float | None = None,
) -> None:
    """The slider and the line chart (``shown`` makes a figure as the page shows it: presenter mode).

    ``fixed``: the flows at forget_bias 0 and 1; ``slider``: the flow at the page's forget_bias (the
    sidebar's, or with trained weights their own, which the slider then sets: ``trained_fb`` is the
    forget_bias they were trained with)."""
    plotly_live.serve_plotly_js()
    trained = trained_fb is not None
    if not trained:
        controls.in_link("forget_bias")  # the page's control, drawn in the browser (trained_fb: the page's)
    low, high = y_range(fixed, live)
    fig = shown(flow_lines(fixed, math.nan, step_labels, slider=slider, y_range=(low, high), compact=presenting))
    spec = fig.to_plotly_json()
    layout = {key: value for key, value in spec["layout"].items() if key != "template"}
    fixed_notes = len(below_floor_notes(fixed, math.nan, low))
    # The slider's own note below the floor is the browser's to show (each value has its own).
    ours = slider_name(slider.forget_bias)
    annotations = [a for a in layout.get("annotations", []) if not str(a.get("text", "")).startswith(ours)]
    store, store_id = runs.cached(f"flowstore:{low}:{live.key}", lambda: _store(live, low, fixed_notes))
    # Every value's curves, hidden: the same bytes whatever the value shown, so that Streamlit sends
    # them once and on later runs a reference (its message cache), not half a megabyte per release.
    _component(key=STORE_KEY, data=store)
    payload = {
        "role": "view",
        "store": store_id,
        "figure": {"data": spec["data"], "layout": {**layout, "annotations": annotations}},
        "config": {"displaylogo": False},
        "alt": alt,
        "biases": [float(b) for b in live.biases],
        "first": 0,  # the slider's three curves come first (viz.gradflow.flow_lines)
        "tail": HOVER_TAIL,
        "label": "forget_bias instead of the trained one" if trained else "forget_bias",
        "help": controls.FORGET_BIAS_HELP,
        "low": LOW,
        "high": HIGH,
        "presenting": presenting,
        "note": "Drag it: the curves of every forget_bias are in your browser, so the green ones follow the thumb.",
    }
    # The chart but for the value shown (the slider's curves, the alt text): the browser does not
    # redraw a chart that differs only in the value it shows already (the rerun after its release).
    figure = payload["figure"]
    slider_curves = range(payload["first"], payload["first"] + len(CURVES))
    keyed = {
        **payload,
        "alt": None,
        "figure": {
            **figure,
            "data": [
                {k: v for k, v in trace.items() if k not in ("y", "text", "name", "hovertemplate", "legendgroup")}
                if i in slider_curves
                else trace
                for i, trace in enumerate(figure["data"])
            ],
        },
    }
    key = hashlib.sha256(orjson.dumps(keyed, option=orjson.OPT_SERIALIZE_NUMPY)).hexdigest()[:16]
    _component(
        key=KEY,
        data=orjson.dumps(
            {**payload, "key": key, "value": float(slider.forget_bias)}, option=orjson.OPT_SERIALIZE_NUMPY
        ),
        on_release_change=partial(_released, trained_fb),
        on_failed_change=_failed,
    )


def _failed() -> None:
    """The browser could not draw the live chart: the page falls back to the server's slider."""
    event = (st.session_state.get(KEY) or {}).get("failed")
    st.session_state[FAILED] = str(event)[:200] if event else "the live chart did not start"


def _released(trained_fb: float | None = None) -> None:
    """The slider was released at a value: it becomes the page's forget_bias (session and link), or
    with trained weights (trained with ``trained_fb``) theirs, as Step through's slider sets it."""
    event = (st.session_state.get(KEY) or {}).get("release")
    value = event.get("forget_bias") if isinstance(event, dict) else None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return
    name = "forget_bias" if trained_fb is None else "trained_fb"
    parsed, problem = SCHEMA[name].parse(str(value))
    if problem:
        return
    if trained_fb is not None:
        urlstate.set_value("trained_fb_on", abs(parsed - trained_fb) > 1e-9)
    else:
        st.session_state[RELEASED] = float(parsed)
    urlstate.set_value(name, parsed)


def released_value() -> float | None:
    """The forget_bias the slider was released at, if that is why this run runs (once)."""
    return st.session_state.pop(RELEASED, None)
