"""Gradient flow's live forget_bias slider: the line chart follows the thumb with no server message.

For the page's settings the server backpropagates the loss at every forget_bias of the sweep grid
(:func:`ui.sweeps.live_sweep`, each run and gradient exactly as the page's own at that value, by
``viz.gradflow.gradient_flow``) and sends the slider's three curves at each value once; while the
thumb moves, live_flow.js swaps them into the chart (it only picks arrays: the gradients are
lstm_core's). What to notice (viz.notes.gradflow, written at every value) follows the thumb too, and
the heatmaps' slider panel follows it when the thumb rests or is released. On release the value
becomes the page's forget_bias, in the session and the link; with the sidebar's weights only the
slider's own part of the page reruns (app_pages/gradient_flow.py), since the rest is in the browser
already. The curves and panels of forget_bias 0 and 1 stay as they are, and the y axis and the colour
scale are fixed over every value the slider can take, so the picture does not jump.

The component is mounted four times: a hidden store of every value's curves, panel and notes (the
same bytes at every value shown, so that Streamlit sends it once), the slider with its chart, What
to notice and the heatmaps, which name the store.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
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
    HiddenFlow,
    below_floor_note,
    below_floor_notes,
    curve_names,
    flow_at,
    flow_curves,
    flow_heatmaps,
    flow_lines,
    forget_biases,
    heatmap_axis,
    heatmap_panel,
    heatmaps_alt,
    line_range,
    lines_alt,
    lowest_of,
    power_of_text,
    shared_range,
    slider_name,
)
from viz.notes.gradflow import rnn_comparison, what_to_notice

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
    js=plotly_live.module("live_grid.js", "live_flow.js"),
    css=(HERE / "live_explore.css").read_text(),  # the same slider as Explore's
    isolate_styles=False,
)
#: Where the browser's report that the live chart failed is kept (this session: the server's slider).
FAILED = "_live_flow_failed"
#: The forget_bias a release set, for the rerun of the page's part that shows it (the sidebar's weights).
RELEASED = "_live_flow_released"
#: What pads every value's legend names to one length (a digit's width; see _curves).
FIGURE_SPACE = "\u2007"
#: The heatmaps' instance (a key of the page's charts: tests find it by it).
HEATMAPS_KEY = "gradient_flow_heatmaps"
#: The JSON a value of one step costs in the payload: its y, its hover text, and punctuation.
BYTES_PER_VALUE = 40
#: What one forget_bias's notes and alt texts cost in the payload, as JSON (about 1.5 KB at most).
NOTES_BYTES = 3000


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
    units = model.configs[layer - 1].num_units
    live = live_sweep(
        model,
        f"flow:{layer}:{seq}:{loss}",
        partial(flow_curves, layer=layer, seq=seq, loss=loss),
        steps * (len(CURVES) * 8 + units * 4) + 64,  # viz.gradflow.FLOW_FIELDS: float64 curves, float32 log_dc
        include=float(model.configs[0].forget_bias),
        seq=seq,
        named=("flow", {"layer": layer, "seq": seq, "loss": loss}),  # a large sweep's gradients, in the worker
    )
    if live.biases is None:
        return live.reason
    # JSON, not float32: the curves, the heatmaps' panel (float32 in base64), the notes.
    sent = len(live.biases) * (steps * len(CURVES) * BYTES_PER_VALUE + steps * units * 6 + NOTES_BYTES)
    if sent > 2 * LIVE_BYTES:
        return "Too large to send every forget_bias's curves: the slider works through the server instead."
    return live


def flows(live: Live) -> list[Flow]:
    """The sweep's Flow at every forget_bias of its grid (viz.gradflow.flow_at)."""
    return [flow_at(live.arrays, k, fb) for k, fb in enumerate(live.biases)]


def compared(every: list[Flow], live: Live, k: int) -> list[Flow]:
    """The flows the page compares at the ``k``-th value (viz.gradflow.forget_biases)."""
    at = {float(fb): every[n] for n, fb in enumerate(live.biases)}
    return [at[fb] for fb in forget_biases(float(live.biases[k]))]


def y_range(fixed: list[Flow], live: Live) -> tuple[float, float]:
    """The line chart's (low, high) log10: the floor from forget_bias 0 and 1 (``fixed``,
    viz.gradflow.line_range), the top high enough for every value of the slider."""
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


@dataclass(frozen=True)
class Store:
    """Every value's curves, heatmap panel and notes, as the browser gets them (``data``: JSON,
    {"role": "store", "id", "curves"}), and what the server draws from them."""

    data: bytes
    id: str
    flows: list[Flow]  # the sweep's, at every value of the grid
    fixed: list[Flow]  # forget_bias 0 and 1
    y_range: tuple[float, float]  # the line chart's (y_range)
    z_range: tuple[float, float]  # the heatmaps' colour scale, fixed over every value
    alts: list[tuple[str, str]]  # the line chart's and the heatmaps' alt text at each value


def store(live: Live, rnn: HiddenFlow | None = None) -> Store:
    """The sweep's Store (with ``rnn``, the plain RNN's panel and comparison: their notes, their
    scale), built once per sweep and kept in the shared cache."""
    rnn_key = "" if rnn is None else hashlib.sha256(np.ascontiguousarray(rnn.log_dh).tobytes()).hexdigest()[:16]
    return runs.cached(f"flowstore:{live.key}:{rnn_key}", lambda: _build_store(live, rnn))


def _build_store(live: Live, rnn: HiddenFlow | None) -> Store:
    every = flows(live)
    fixed = [every[live.index(0.0)], every[live.index(1.0)]]
    low, high = y_range(fixed, live)
    frames = _curves(live, low, len(below_floor_notes(fixed, math.nan, low)))
    z_range = shared_range(every, rnn)
    steps, units = fixed[0].log_dc.shape
    panels = len(fixed) + 1 + (rnn is not None)
    axis = heatmap_axis(steps, units, panels)
    alts = []
    for k, (frame, flow) in enumerate(zip(frames, every, strict=True)):
        shown, fb = compared(every, live, k), float(live.biases[k])
        notes = [what_to_notice(shown, fb)] + ([rnn_comparison(shown, rnn, fb)] if rnn is not None else [])
        alts.append((lines_alt(shown, fb, rnn), heatmaps_alt(shown, fb, rnn)))
        frame["panel"] = heatmap_panel(slider_name(fb), flow.log_dc, "c", axis, z_range[0], panels)
        frame["notes"] = [note.split("**") for note in notes]  # plain and bold runs, in turn
        frame["alt"] = alts[-1]
    curves = orjson.dumps(frames, option=orjson.OPT_SERIALIZE_NUMPY)
    store_id = hashlib.sha256(curves).hexdigest()[:16]
    data = b'{"role":"store","id":"' + store_id.encode() + b'","curves":' + curves + b"}"
    return Store(data, store_id, every, fixed, (low, high), z_range, alts)


def draw(
    live: Live,
    flow_store: Store,
    value: float,
    step_labels: tuple[str, ...] | None,
    *,
    presenting: bool,
    shown,
    trained_fb: float | None = None,
) -> None:
    """The slider and the line chart at ``value`` (``shown`` makes a figure as the page shows it:
    presenter mode, the plain RNN's line), and the hidden store the browser takes every value from.

    ``value``: the page's forget_bias (the sidebar's, or with trained weights their own, which the
    slider then sets: ``trained_fb`` is the forget_bias they were trained with)."""
    plotly_live.serve_plotly_js()
    trained = trained_fb is not None
    if not trained:
        controls.in_link("forget_bias")  # the page's control, drawn in the browser (trained_fb: the page's)
    k = live.index(value)
    slider, fixed = flow_store.flows[k], flow_store.fixed
    low, high = flow_store.y_range
    fig = shown(flow_lines(fixed, math.nan, step_labels, slider=slider, y_range=(low, high), compact=presenting))
    spec = plotly_live.figure_json(fig)
    layout = spec["layout"]
    # The slider's own note below the floor is the browser's to show (each value has its own).
    ours = slider_name(slider.forget_bias)
    annotations = [a for a in layout.get("annotations", []) if not str(a.get("text", "")).startswith(ours)]
    # Every value's curves, hidden: the same bytes whatever the value shown, so that Streamlit sends
    # them once and on later runs a reference (its message cache), not half a megabyte per release.
    _component(key=STORE_KEY, data=flow_store.data)
    payload = {
        "role": "view",
        "store": flow_store.id,
        "figure": {**spec, "layout": {**layout, "annotations": annotations}},
        "config": {"displaylogo": False},
        "alt": flow_store.alts[k][0],
        "biases": [float(b) for b in live.biases],
        "first": 0,  # the slider's three curves come first (viz.gradflow.flow_lines)
        "tail": HOVER_TAIL,
        "label": "forget_bias instead of the trained one" if trained else "forget_bias",
        "help": controls.FORGET_BIAS_HELP,
        "low": LOW,
        "high": HIGH,
        "presenting": presenting,
        "note": "Drag it: every forget_bias's gradients are in your browser, so the green curves and What to "
        "notice follow the thumb, and the last LSTM heatmap, further down, catches up whenever it rests.",
        # Added at 0 and 1 ({b}: the value; {colour}: its curves' colour, viz.gradflow.FB_COLORS).
        "same": "At {b} the green curves lie under the {colour} ones of forget_bias {b}, and the last LSTM heatmap "
        "repeats its panel: move the thumb to tell them apart.",
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


def notes(live: Live, flow_store: Store, value: float, *, presenting: bool) -> None:
    """What to notice at the value the slider shows: the store's notes (the browser follows the thumb)."""
    payload = {
        "role": "notes",
        "store": flow_store.id,
        "biases": [float(b) for b in live.biases],
        "value": float(live.biases[live.index(value)]),
        "presenting": presenting,
    }
    _component(key=f"{KEY}_notes", data=orjson.dumps(payload))


def heatmaps(
    live: Live,
    flow_store: Store,
    value: float,
    step_labels: tuple[str, ...] | None,
    *,
    rnn: HiddenFlow | None,
    shown,
) -> None:
    """The heatmaps: forget_bias 0 and 1, the slider's panel at ``value`` (the browser swaps in the
    store's panel at the value the slider shows), the plain RNN's with ``rnn``; on the store's colour
    scale. ``shown`` makes the figure as the page shows it (presenter mode)."""
    k = live.index(value)
    slider = flow_store.flows[k]
    fig = shown(
        flow_heatmaps(flow_store.fixed, math.nan, step_labels, rnn=rnn, slider=slider, z_range=flow_store.z_range)
    )
    payload = {
        "role": "heatmaps",
        "store": flow_store.id,
        "figure": plotly_live.figure_json(fig),
        "config": {"displaylogo": False},
        "alt": flow_store.alts[k][1],
        "panel": len(flow_store.fixed),  # the slider's panel: its trace and its title
        "biases": [float(b) for b in live.biases],
        "value": float(slider.forget_bias),
    }
    _component(key=HEATMAPS_KEY, data=orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY))


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
