"""Explore's live charts: forget_bias and the step scrub in the browser, every view linked.

When the sweep of the shown run fits (ui.sweeps), the page mounts one ``st.components.v2``
component (ui/live_explore.js) in several places, each a view of one shared store:

- ``store``: every array the views show at every forget bias of the sweep (viz.live.explore_store),
  hidden; it does not depend on the selected forget bias or step, so Streamlit sends it once and then
  only a reference to it;
- ``controls``: the forget_bias and step sliders, drawn in the browser, and the line naming the cell
  and the step; their values go to the server only on release (one rerun), as the server sliders do;
- ``heatmaps`` and ``lines``: the page's two figures as ui.plotly_live draws them (at the selected
  forget bias), with the bands repainted from the store while a slider moves;
- ``table`` and ``state``: the numbers of the selected step and the printed states;
- ``notes``: What to notice, written by viz.notice at every forget bias of the sweep.

A release or a click reruns only the controls (a fragment), not the page: the views already show
what was released, from the store, and the rerun puts it into session state and the link. What
else the page draws from the forget bias follows without a redraw (What to notice is a view; the
downloads are built from :class:`Follow` at the click); where the page itself would change (trained
weights' box beside the Weights menu, live views that failed), the controls rerun the page.

Hovering a heatmap cell shows its step (and unit) on every view; clicking it selects them for the
whole app (session state ``step`` and ``unit``, the link too). The browser only picks arrays from
the store and formats them: every number is lstm_core's.

If the component cannot start in a browser (Plotly.js or the module fails; a watchdog component
notices a module that never ran), it says so and the page goes back to the server's sliders for
the session, with every value kept. LSTM_LIVE_CHARTS=0 turns the live views off (ui.plotly_live).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import streamlit as st
from streamlit.components.v2 import component

from viz.figure import axis_suffix
from viz.lines import lines_text
from viz.live import explore_extract, explore_run_bytes, explore_store, pack, unpack

from . import controls, plotly_live, runs, sweeps, urlstate
from .markup import escape
from .model import ModelSpec, Run
from .schema import SCHEMA

#: The component's name (AppTest reports it as ``proto.component_name``) and its instances' keys.
NAME = "live_explore"
KEY = "explore_live"
#: Where the session keeps why the live views could not start in its browser (then: the server's sliders).
FAILED = "_live_explore_failed"
#: The store the browser said it holds (with its last release or selection), and its report that it
#: does not hold the store whose id it was sent (see :func:`draw_store`).
HELD = "_live_explore_held"
MISSING = "_live_explore_missing"
#: What a release or a click changed, for the controls' own rerun: ("release", old, new) forget
#: biases, or ("select",).
CHANGED = "_live_explore_changed"
#: Seconds the watchdog gives the module to start before it reports that it did not.
WATCHDOG_SECONDS = 12
CSS = (plotly_live.HERE / "live_explore.css").read_text()
# A module of its own, so that it runs even if live_explore.js does not: it reports a module that
# never started (window.__lstmLiveExplore is made by live_explore.js as it loads).
WATCHDOG_JS = """export default function ({ data, setTriggerValue }) {
  const timer = setTimeout(() => {
    const hub = window.__lstmLiveExplore;
    if (!hub) setTriggerValue("failed", "the live charts' code did not start");
  }, data.seconds * 1000);
  return () => clearTimeout(timer);
}"""

_component = component(
    NAME, js=plotly_live.module("live_grid.js", "numpy_repr.js", "live_explore.js"), css=CSS, isolate_styles=False
)
_watchdog = component("live_explore_watchdog", js=WATCHDOG_JS)


@dataclass(frozen=True)
class Live:
    """A prepared live page: the packed store, its id, the sweep's forget biases and the selected one."""

    store: bytes
    id: str
    biases: np.ndarray
    forget_bias: float
    printable: bool
    trained: bool
    arrays: dict
    memory_units: tuple  # per forget bias: the unit What to notice follows (None: no memory)

    @property
    def spacing(self) -> float:
        """The grid's usual spacing (0.1 at best): the slider says it when it is coarser."""
        return float(np.round(np.median(np.diff(self.biases)), 6)) if len(self.biases) > 1 else 0.0


def off_reason() -> str | None:
    """Why this session draws the server's sliders rather than live ones (None: live where it fits)."""
    if not plotly_live.live():
        return f"Live scrubbing is off on this server ({plotly_live.ENVIRONMENT}=0)."
    failed = st.session_state.get(FAILED)
    if failed:
        return (
            f"The live charts could not start in this browser ({escape(failed, 160)}), so these sliders work "
            "through the server. Everything you set is kept."
        )
    return None


def prepare(model: Run, seq: int, layer: int, *, show_pre: bool, fit: bool, compact: bool) -> Live | str:
    """The live views' store for sequence ``seq`` of ``layer`` (1-based) of ``model``, or why there
    is none (the sweep is over budget, the cell overflows somewhere, live views are off)."""
    reason = off_reason()
    if reason:
        return reason
    index = layer - 1
    configs, steps = model.configs, model.sequence.values.shape[1]
    forget_bias = float(configs[0].forget_bias)
    extract = explore_extract(seq, index, configs)
    sweep = sweeps.live_sweep(
        model,
        f"explore:seq={seq}:layer={index}",
        extract,
        explore_run_bytes(configs, steps, index),
        include=forget_bias,
        seq=seq,
    )
    if sweep.reason:
        return sweep.reason
    trace = model.traces[index]
    names = model.sequence.feature_names if layer == 1 else None
    key = f"explore-store:{sweep.key}:{seq}:{index}:{show_pre}:{fit}:{compact}:{model.sequence.step_labels}:{names}"

    def build() -> tuple[bytes, dict]:
        store = explore_store(
            sweep,
            trace,
            seq=seq,
            yaxes=[f"y{axis_suffix(n)}" for n in range(7)],
            show_pre=show_pre,
            fit=fit,
            compact=compact,
            below=configs[index - 1] if index else None,
            configs=configs,
            layer=index,
            step_labels=model.sequence.step_labels,
            feature_names=names,
        )
        header, _ = unpack(store)
        return store, {"id": header["id"], "printable": header["printable"], "memory_units": header["memory_units"]}

    store, about = runs.cached(key, build)
    return Live(
        store,
        about["id"],
        sweep.biases,
        forget_bias,
        about["printable"],
        model.weights is not None,
        sweep.arrays,
        tuple(about["memory_units"]),
    )


@dataclass
class Follow:
    """What the controls' own rerun changes for the rest of the page, which it does not redraw:
    the forget bias shown and the spec the downloads are built from (ui.files.download_button's
    ``follow``). Made by the page's run; the controls' reruns get the same object."""

    forget_bias: float
    spec: ModelSpec


def _message(role: str, live: Live, **fields) -> bytes:
    return pack({"role": role, "store": live.id, **fields}, {})


def draw_store(live: Live) -> None:
    """The store (hidden): mount it before the views that read it.

    A release or a selection in the browser says which store the browser holds (``held``); the rerun
    it causes sends only the store's id when that is the one, instead of its megabytes again (the
    browser asks for it whole, ``missing``, should it not have it after all)."""
    plotly_live.serve_plotly_js()
    held = st.session_state.pop(HELD, None) == live.id and not st.session_state.pop(MISSING, False)
    data = pack({"role": "store", "id": live.id, "held": True}, {}) if held else live.store
    _component(key=f"{KEY}_store", data=data, on_missing_change=_missing)
    _watchdog(key=f"{KEY}_watchdog", data={"seconds": WATCHDOG_SECONDS}, on_failed_change=_failed_watchdog)


def draw_controls(live: Live, follow: Follow, *, steps: int, sentence: str, presenting: bool) -> None:
    """The forget_bias and step sliders and the line that names the cell and the selected step.

    They stand for the page's controls ``forget_bias`` (with trained weights: ``trained_fb_on`` and
    ``trained_fb``), ``step`` and ``unit``: registered here, so that the link carries them. A fragment:
    a release or a click reruns these controls alone (see the module's docstring)."""
    st.fragment(_controls)(live, follow, steps=steps, sentence=sentence, presenting=presenting)


def _controls(live: Live, follow: Follow, *, steps: int, sentence: str, presenting: bool) -> None:
    changed = st.session_state.pop(CHANGED, None)
    if st.session_state.get(FAILED) or (changed is not None and _page_changes(live, changed)):
        st.rerun()  # (failed: the page goes back to the server's sliders)
    for name in ("step", "unit"):
        controls.in_link(name)  # the page's own controls, drawn in the browser
    controls.clamp("step", 0, steps - 1)
    label = "forget_bias instead of the trained one" if live.trained else "forget_bias"
    spacing = live.spacing
    notes = []
    if spacing > 0.1 + 1e-9:
        notes.append(f"This run is large: the slider stops every {spacing:g} (the values the server ran in advance).")
    if live.trained and not presenting:  # on a projector the label says it; the box it refers to is further down
        notes.append(
            "It changes the trained model's forget_bias (the box above says whether it is still the trained one)."
        )
    note = " ".join(notes)
    data = _message(
        "controls",
        live,
        forget_bias=follow.forget_bias,
        step=int(urlstate.value("step")),
        unit=int(urlstate.value("unit")),
        steps=steps,
        label=label,
        help=controls.FORGET_BIAS_HELP,
        step_help="The step whose numbers are shown below, marked on the charts. Hover a heatmap to look at "
        "another step; click it to select that step (and unit) on every page.",
        note=note,
        sentence=sentence,
        presenting=presenting,
    )
    _component(
        key=f"{KEY}_controls",
        data=data,
        on_release_change=partial(_released, live.trained, follow),
        on_select_change=_selected,
        on_failed_change=_failed,
    )
    if changed is not None:  # the controls' own rerun: what the end of the page's run does
        urlstate.save(controls.rendered())


def _page_changes(live: Live, changed: tuple) -> bool:
    """Whether what the controls' rerun changed also changes what the page itself draws (then it
    reruns): a release with trained weights (the box beside the Weights menu says whether their
    forget_bias is still the trained one). The line chart's default units do not follow the slider
    (:func:`lines_default`); a step or a unit only the live views show."""
    return changed[0] == "release" and live.trained


def lines_default(live: Live, units: int, count: int = 3) -> list[int]:
    """The line chart's units until the learner picks: those What to notice follows over the sweep
    (the most forget biases first), then the first units, ``count`` in all. The same at every value
    of the slider, so that the chart holds still while it moves and a release need not redraw it."""
    followed = Counter(unit for unit in live.memory_units if unit is not None)
    chosen = [unit for unit, _ in sorted(followed.items(), key=lambda item: (-item[1], item[0]))][:count]
    chosen += [unit for unit in range(units) if unit not in chosen][: max(0, min(count, units) - len(chosen))]
    return sorted(chosen)


def draw_heatmaps(live: Live, fig, *, alt: str, config: dict) -> None:
    """Explore's heatmaps (the figure at the selected forget bias, as ui.plotly_live draws it),
    repainted from the store while forget_bias or the step moves."""
    _component(key=f"{KEY}_heatmaps", data=_message("heatmaps", live, **_figure(fig, alt, config)))


def draw_lines(live: Live, fig, *, alt: str, config: dict, units: list[int], h_depth: int) -> None:
    """The line chart of the chosen units (at the selected forget bias), its lines swapped from the
    store while forget_bias moves, on a value axis that holds them at every forget bias."""
    series = [[name, unit] for unit in units for name in ("new_c", "new_h") if name == "new_c" or unit < h_depth]
    values = [live.arrays[name][:, :, unit] for name, unit in series]
    low, high = float(min(v.min() for v in values)), float(max(v.max() for v in values))
    pad = 0.05 * (high - low) if high > low else 0.5
    spec = _figure(fig, alt, config)
    spec["figure"]["layout"]["yaxis"] |= {"range": [low - pad, high + pad], "autorange": False}
    alts = [lines_text(c, units) for c in live.arrays["new_c"]]  # the text alternative at each forget bias
    _component(key=f"{KEY}_lines", data=_message("lines", live, series=series, alts=alts, **spec))


def draw_notes(live: Live, *, presenting: bool) -> None:
    """What to notice at the forget bias the sliders show (viz.notice's sentences, from the store)."""
    _component(key=f"{KEY}_notes", data=_message("notes", live, presenting=presenting))


def draw_table(live: Live) -> None:
    """The numbers of the selected step, one row per unit, 6 decimals."""
    _component(key=f"{KEY}_table", data=_message("table", live))


def draw_state(live: Live, *, as_tuple: bool, layers: int, summarised: bool) -> None:
    """The state after the selected step and the final state, printed as viz.numbers.state_repr prints them."""
    _component(
        key=f"{KEY}_state", data=_message("state", live, as_tuple=as_tuple, stacked=layers > 1, summarised=summarised)
    )


def _figure(fig, alt: str, config: dict) -> dict:
    """{figure, config, alt}: what ui.plotly_live sends for ``fig``."""
    return json.loads(plotly_live.payload(fig, alt, config))


def _event(name: str):
    """The value of the trigger ``name`` of the controls component (in its callback)."""
    state = st.session_state.get(f"{KEY}_controls") or {}
    return state.get(name)


def _released(trained: bool, follow: Follow) -> None:
    """The forget_bias slider was released at a value: it becomes the page's forget_bias (the
    trained model's, with trained weights), as the server's slider would set it."""
    event = _event("release")
    _note_held(event)
    value = event.get("forget_bias") if isinstance(event, dict) else None
    shown = follow.forget_bias
    if not isinstance(value, int | float) or not math.isfinite(value) or abs(value - shown) < 1e-9:
        return
    name = "trained_fb" if trained else "forget_bias"
    parsed, problem = SCHEMA[name].parse(str(value))
    if problem:
        return
    if trained:
        urlstate.set_value("trained_fb_on", True)
    urlstate.set_value(name, parsed)
    st.session_state[CHANGED] = ("release", shown, float(parsed))
    follow.forget_bias = float(parsed)
    if not trained:  # trained weights: the page reruns (their spec's forget_bias is worked out there)
        follow.spec = replace(follow.spec, forget_bias=float(parsed))


def _note_held(event) -> None:
    """Keep the id of the store the browser said it holds, for the rerun the event causes."""
    if isinstance(event, dict) and isinstance(event.get("held"), str):
        st.session_state[HELD] = event["held"]


def _missing() -> None:
    """The browser was sent a store's id but does not hold that store: send it whole."""
    st.session_state[MISSING] = True


def _selected() -> None:
    """A step (and unit) selected in the browser: by the step slider, or by clicking a heatmap cell."""
    event = _event("select")
    _note_held(event)
    if not isinstance(event, dict):
        return
    st.session_state[CHANGED] = ("select",)
    for name in ("step", "unit"):
        value = event.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            parsed, problem = SCHEMA[name].parse(str(value))
            if not problem:
                urlstate.set_value(name, parsed)


def _failed() -> None:
    _fail(_event("failed"))


def _failed_watchdog() -> None:
    _fail((st.session_state.get(f"{KEY}_watchdog") or {}).get("failed"))


def _fail(reason) -> None:
    st.session_state[FAILED] = str(reason or "unknown error")[:300]


def retry_button(container=st) -> None:
    """A button that tries the live charts again (after they failed in this browser)."""
    if st.session_state.get(FAILED):
        container.button("Try the live charts again", key=f"{KEY}_retry", on_click=st.session_state.pop, args=(FAILED,))
