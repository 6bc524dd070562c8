"""Step through, live: the drawing, the unrolled view, the equations and the sentences move in the
browser as the learner plays, steps or drags forget_bias, with no server message until they stop.

The server sends, once per unit shown, every frame the page can show: each step of the unit at
each forget bias of ui.sweeps.live_sweep's grid (viz.livestep made them, from lstm_core's runs).
ui/live_step.js is an st.components.v2 component, mounted twice:

- ``step_live_payload`` carries those frames (bytes that stay the same while the unit, the run and
  the grid do, so that Streamlit sends them once and then only a reference to them);
- ``step_live`` draws the view and holds the step and forget bias shown (small data, sent on every
  run); it finds the frames by their id.

When the learner pauses or lets go, the component triggers ``step`` or ``forget_bias``, and the
callbacks below put the value where the page's own controls keep it (session state, so the link and
the other pages follow). Until the component says it is running, the page's server-side controls
wait in a hidden container (:func:`fallback`), shown if it fails to start.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import orjson
import streamlit as st
from streamlit.components.v2 import component

from lstm_core import Trace
from lstm_core.sweep import GRID_STEPS, grid
from viz.diagram import colour_note
from viz.livestep import payload
from viz.numbers import cell_signature
from viz.stepview import EQUATIONS_NOTE, peephole_weights, unit_arrays
from viz.style import FONT_FAMILY, color_range

from . import runs, sweeps, urlstate
from .model import Run
from .schema import SCHEMA

HERE = Path(__file__).resolve().parent
#: The component's name, as AppTest reports it (``proto.component_name``).
NAME = "live_step"
PAYLOAD_KEY = "step_live_frames"
#: The (hidden) container of the frames component.
PAYLOAD_BOX = "step_live_payload"
VIEW_KEY = "step_live"
#: The container of the page's server-side controls (shown if the component does not start).
FALLBACK_KEY = "step_fallback"
#: Where a released forget bias goes: "forget_bias", or "trained_fb" with the trained value.
_FB_TARGET = "_live_step_fb_target"
#: Whether the live view has said it runs in this session's browser (then the hidden server-side
#: page need not be drawn in full on every rerun: see :func:`running`).
_RUNNING = "_live_step_running"
#: How long the page waits for the component before it shows the server-side controls (seconds).
FALLBACK_AFTER = 3

_component = component(
    NAME, js="\n".join((HERE / name).read_text() for name in ("live_grid.js", "live_step.js")), isolate_styles=False
)

_CSS = f"""<style>
.st-key-{PAYLOAD_BOX} {{ display: none; }}
/* The server-side controls: hidden while the live view starts, shown if it does not. */
.st-key-{FALLBACK_KEY} {{ animation: lstm-step-fallback {FALLBACK_AFTER}s step-end forwards; }}
@keyframes lstm-step-fallback {{ from {{ display: none; }} to {{ display: flex; }} }}
body:has([data-lstm-step="ready"]) .st-key-{FALLBACK_KEY} {{ display: none; animation: none; }}
body:has([data-lstm-step="failed"]) .st-key-{FALLBACK_KEY} {{ display: flex; animation: none; }}
</style>"""


@dataclass(frozen=True)
class Shown:
    """What the live view was given: its frames' id, the forget biases it can show, and why it
    cannot scrub forget_bias (empty when it can)."""

    id: str
    biases: list[float]
    reason: str


def _extract(layer: int, seq: int, unit: int, traces: list[Trace]) -> dict[str, np.ndarray]:
    return unit_arrays(traces[layer - 1], seq, unit)


def _names(model: Run, layer: int, seq: int = 0) -> tuple[list[str | None], list[str]]:
    """(what x_t stands for at each step, for the drawing's x box: the character of a text, or the
    name of the one feature that is 1, e.g. the recall task's symbol; how the page names each step
    after its number)."""
    labels = model.sequence.step_labels
    features = model.sequence.feature_names
    named = [label != str(t) for t, label in enumerate(labels)]

    def x_name(t: int, label: str) -> str | None:
        if layer != 1:
            return None
        if named[t]:
            return f"'{label}'"
        x = model.sequence.values[seq, t]
        if features and len(features) == x.size and np.count_nonzero(x) == 1 and x.max() == 1:
            return features[int(np.argmax(x))]
        return None

    x_names = [x_name(t, label) for t, label in enumerate(labels)]
    return x_names, [f" (character '{label}')" if named[t] else "" for t, label in enumerate(labels)]


def _build(
    model: Run, seq: int, layer: int, unit: int, biases: list[float], arrays: list[dict], steps: int | None = None
) -> dict:
    """viz.livestep.payload of ``unit`` at ``biases`` (``arrays[k]`` the unit's arrays at ``biases[k]``),
    of its first ``steps`` steps (all by default), with the page's titles and caption."""
    trace = model.traces[layer - 1]
    cfg = trace.config
    _, c_bound = color_range("new_c", trace.new_c[seq], cfg)
    x_names, step_names = _names(model, layer, seq)
    steps = steps or len(x_names)
    built = payload(
        cfg,
        [{name: array[:steps] for name, array in run.items()} for run in arrays],
        biases,
        unit=unit,
        weights=peephole_weights(trace, unit),
        c_bound=c_bound,
        x_names=x_names[:steps],
        step_names=step_names[:steps],
    )
    built["titles"] = [f"{cell_signature(replace(cfg, forget_bias=float(b)))}, layer {layer}" for b in biases]
    built["unit"], built["units"] = unit, cfg.num_units
    built["notes"] = {"colours": colour_note(cfg, c_bound), "equations": EQUATIONS_NOTE.replace("`", "")}
    built["font"] = FONT_FAMILY
    return built


def _encoded(built: dict) -> bytes:
    """The payload as JSON bytes, its id first (a digest of the rest), so that the browser can tell a
    payload it already holds from the first bytes."""
    body = orjson.dumps(built)
    digest = hashlib.sha256(body).hexdigest()[:20]
    return b'{"id":"' + digest.encode() + b'",' + body[1:]


def _coarser(biases: list[float]) -> list[float] | None:
    """The biases of the next coarser grid of lstm_core.sweep.GRID_STEPS (a subset of these), or None."""
    spacing = round(biases[1] - biases[0], 6) if len(biases) > 1 else GRID_STEPS[-1]
    for step in GRID_STEPS:
        if step > spacing + 1e-9:
            wanted = set(np.round(grid(step), 10).tolist())
            return [b for b in biases if round(b, 10) in wanted]
    return None


def frames(model: Run, seq: int, layer: int, unit: int) -> tuple[bytes, Shown]:
    """(the payload bytes, what they hold): every step of ``unit`` at every forget bias that fits
    ui.sweeps' limits, or at the run's own forget bias alone (with the reason) when none does."""
    trace = model.traces[layer - 1]
    own = float(trace.config.forget_bias)
    mine = unit_arrays(trace, seq, unit)
    steps = trace.num_steps

    def alone(reason: str) -> tuple[bytes, Shown]:
        data = _encoded(_build(model, seq, layer, unit, [own], [mine]))
        return data, Shown(_id(data), [own], reason)

    if trace.config.no_forget_gate:
        return alone("The forget gate is held at 1 here, so forget_bias changes nothing.")
    # What one forget bias's frames take, from the first few steps (with a margin for longer numbers).
    sample = min(steps, 12)
    few = _build(model, seq, layer, unit, [own], [mine], sample)
    per_run = int(len(orjson.dumps(few["table"]["frames"])) * steps / sample * 1.15)
    live = sweeps.live_sweep(
        model, f"step:seq={seq}:layer={layer}:unit={unit}", partial(_extract, layer, seq, unit), per_run, seq=seq
    )
    if live.biases is None:
        return alone(live.reason)
    biases = [float(b) for b in live.biases]
    by_bias = {round(b, 10): {name: live.arrays[name][k] for name in live.arrays} for k, b in enumerate(biases)}
    by_bias.setdefault(round(own, 10), mine)  # the run's own value, if the grid misses it
    spec = model.spec
    canonical = replace(spec, forget_bias=0.0, trained_forget_bias=0.0 if spec.trained else None)
    extra = "" if round(own, 10) in {round(b, 10) for b in biases} else f":own={own!r}"
    key = f"livestep:{seq}:{layer}:{unit}:{len(biases)}{extra}:{runs.cache_key(canonical)}"

    def compute() -> tuple[bytes, list[float]]:
        shown = biases
        while True:
            values = sorted({*shown, own})
            data = _encoded(_build(model, seq, layer, unit, values, [by_bias[round(b, 10)] for b in values]))
            if len(data) <= sweeps.LIVE_BYTES or (shown := _coarser(shown)) is None:
                return data, values

    data, values = runs.cached(key, compute, heavy=len(biases) * steps > 2000)
    if len(data) > sweeps.LIVE_BYTES:
        return alone(
            f"Too large to precompute every forget_bias: even 11 values would send more than "
            f"{sweeps.LIVE_BYTES // 2**20} MB. The slider works through the server instead: each value you release reruns the cell."
        )
    return data, Shown(_id(data), values, "")


def _id(data: bytes) -> str:
    return data[7:27].decode()


def _released(name: str):
    """The value the component triggered under ``name`` in this run (None if it did not)."""
    return (st.session_state.get(VIEW_KEY) or {}).get(name)


def _on_step() -> None:
    value, problem = SCHEMA["step"].parse(_released("step"))
    if problem is None:
        urlstate.set_value("step", value)


def _on_forget_bias() -> None:
    value, problem = SCHEMA["forget_bias"].parse(_released("forget_bias"))
    if problem is not None:
        return
    target = st.session_state.get(_FB_TARGET)
    if target and target[0] == "trained_fb":
        urlstate.set_value("trained_fb_on", value != target[1])
        urlstate.set_value("trained_fb", value)
    else:
        urlstate.set_value("forget_bias", value)


def _on_running() -> None:
    st.session_state[_RUNNING] = bool(_released("running"))


def running() -> bool:
    """Whether the live view runs in the learner's browser: it says so once it has drawn (and says
    so again if it stops). Until then, the page draws its server-side version in full, hidden."""
    return bool(st.session_state.get(_RUNNING))


def show(model: Run, seq: int, layer: int, unit: int, step: int, *, present: bool) -> Shown:
    """Draw the live view of ``unit`` at ``step`` where the page is; what it was given."""
    with st.spinner("Preparing the live view: every step at every forget_bias..."):  # shown after 0.5 s
        data, shown = frames(model, seq, layer, unit)
    trace = model.traces[layer - 1]
    fb = float(trace.config.forget_bias)
    trained = model.weights is not None
    st.session_state[_FB_TARGET] = (
        ("trained_fb", float(model.weights.configs[0].forget_bias)) if trained else ("forget_bias",)
    )
    st.html(_CSS)
    with st.container(key=PAYLOAD_BOX):
        _component(key=PAYLOAD_KEY, data=data)
    view = {
        "payload": shown.id,
        "step": int(step),
        "fb": fb,
        "fbLabel": "forget_bias, instead of the trained one" if trained else "forget_bias",
        "fbNote": shown.reason,
        "present": present,
        "running": running(),
    }
    _component(
        key=VIEW_KEY,
        data=view,
        on_step_change=_on_step,
        on_forget_bias_change=_on_forget_bias,
        on_running_change=_on_running,
    )
    return shown


def fallback():
    """The container of the page's server-side controls: hidden while the live view runs, shown
    (with a message) if it does not start."""
    box = st.container(key=FALLBACK_KEY)
    box.warning(
        "The live drawing did not start in this browser, so here are the step-by-step controls: each "
        "change goes to the server and redraws the page.",
        icon=":material/sync_problem:",
    )
    return box
