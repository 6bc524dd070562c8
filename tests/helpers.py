"""Shared test helpers (imported by tests; no fixtures here)."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from hypothesis import strategies as st

from lstm_core import ACTIVATIONS, GREFF_FLAGS, LSTMConfig
from lstm_core.config import RECURRENT_ACTIVATIONS
from tools.browser import decode_traces
from ui import live_explore, live_flow, plotly_live
from viz.live import unpack

DATA = Path(__file__).resolve().parent / "data"
APP = str(Path(__file__).resolve().parents[1] / "app.py")
#: The model files written by real Keras and PyTorch (scripts/make_keras_files.py,
#: scripts/make_torch_files.py), whose outputs are in keras_golden.npz / torch_files_golden.npz.
KERAS_FILES = [
    "keras3_sentiment.keras",
    "keras3_hard_sigmoid.keras",
    "keras3_sentiment.weights.h5",
    "tfkeras_hard_sigmoid.h5",
    "tfkeras_sigmoid.h5",
    "tfkeras_hard_sigmoid.weights.h5",
]
TORCH_FILES = ["torch_encoder.safetensors", "torch_projection.safetensors"]


_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_read(markdown: str) -> str:
    """Markdown as a learner reads it on the page: emphasis marks and code fences gone, escapes undone
    (code spans keep their text as it is). Tests compare what a message says, not how it is marked up."""
    out, position = [], 0
    for match in _CODE_SPAN.finditer(markdown):
        out.append(_ESCAPED.sub(r"\1", markdown[position : match.start()].replace("**", "")))
        code = match.group(2)
        out.append(code[1:-1] if code.startswith(" ") and code.endswith(" ") and code.strip() else code)
        position = match.end()
    out.append(_ESCAPED.sub(r"\1", markdown[position:].replace("**", "")))
    return "".join(out)


def page_text(at, *kinds: str, sep: str = "\n") -> str:
    """The text of an AppTest run's elements of ``kinds`` ("markdown", "caption", "info", "warning",
    "error", "success"), as the learner reads them (see :func:`as_read`)."""
    return sep.join(as_read(str(element.value)) for kind in kinds for element in getattr(at, kind))


#: The pages whose Weights menu opens on the trained delayed-recall model (the schema's default, so
#: that a first visit shows memory at work). Most tests of these pages are about the controls of
#: random weights, so :func:`open_page` asks for random weights there unless the query names the
#: weights or ``app_defaults`` is set (tests/app/test_defaults.py tests the default itself).
WEIGHTS_MENU_PAGES = (
    "app_pages/explore.py",
    "app_pages/step_through.py",
    "app_pages/compare.py",
    "app_pages/gradient_flow.py",
)


def open_page(page: str, query: dict | None = None, timeout: float = 60, app_defaults: bool = False):
    """An AppTest of app.py switched to ``page`` (e.g. "app_pages/compare.py") with ``query`` in
    the URL, run once; fails on any exception shown. On :data:`WEIGHTS_MENU_PAGES`, random weights
    unless ``query`` says otherwise or ``app_defaults``."""
    from streamlit.testing.v1 import AppTest

    query = dict(query or {})
    if page in WEIGHTS_MENU_PAGES and not app_defaults:
        query.setdefault("weights", "random")
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at, name: str, data: bytes, key: str = "weights_file"):
    """Give the uploader ``key`` of an AppTest run the file ``name`` holding ``data``; run the page."""
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def npy(array: np.ndarray) -> bytes:
    """``array`` as the bytes of a .npy file (a learner's own data)."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@cache
def _golden_file(name: str) -> dict[str, np.ndarray]:
    with np.load(DATA / name, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def library_outputs(model_file: str) -> dict[str, np.ndarray]:
    """What the library that wrote ``model_file`` (one of KERAS_FILES, TORCH_FILES) computed on a fixed
    input: its arrays in keras_golden.npz or torch_files_golden.npz, by name."""
    source = "torch_files_golden.npz" if model_file.endswith(".safetensors") else "keras_golden.npz"
    prefix = f"{model_file}::"
    return {k[len(prefix) :]: v for k, v in _golden_file(source).items() if k.startswith(prefix)}


@st.composite
def cells(
    draw,
    *,
    max_inputs: int = 5,
    forget_bias: float = 5.0,
    min_clip: float = 0.0,
    greff: bool = False,
    gates: bool = False,
) -> LSTMConfig:
    """Any valid cell: every TensorFlow option, with ``greff`` Greff et al.'s switches too (minus
    the two that contradict ``coupled``), and with ``gates`` every ``recurrent_activation``."""
    coupled = draw(st.booleans())
    flags = {flag: draw(st.booleans()) for flag in GREFF_FLAGS} if greff else {}
    if coupled and greff:
        flags["no_input_gate"] = flags["no_forget_gate"] = False
    num_proj = draw(st.none() | st.integers(1, 4))
    return LSTMConfig(
        input_size=draw(st.integers(1, max_inputs)),
        num_units=draw(st.integers(1, 5)),
        forget_bias=draw(st.floats(-forget_bias, forget_bias)),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        use_peepholes=draw(st.booleans()),
        coupled=coupled,
        cell_clip=draw(st.none() | st.floats(min_clip, 3)),
        num_proj=num_proj,
        proj_clip=draw(st.none() | st.floats(min_clip, 3)) if num_proj else None,
        recurrent_activation=draw(st.sampled_from(RECURRENT_ACTIVATIONS)) if gates else "sigmoid",
        **flags,
    )


def assert_close(actual, expected, rtol: float = 1e-9, atol: float = 1e-12, what: str = "") -> None:
    """Elementwise |actual - expected| <= atol + rtol * |expected|, with the worst element reported."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


#: The gradient checks' bar: float64 central differences, relative error at most 1e-6.
MAX_RELATIVE_ERROR = 1e-6
#: The central differences' step.
EPS = 1e-6


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / max(||a||, ||n||): the usual gradient-check measure (0 when both are 0)."""
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)


def numeric_gradient(loss, array: np.ndarray) -> np.ndarray:
    """Central differences of ``loss(perturbed copy of array)`` at every element."""
    out = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        plus, minus = array.copy(), array.copy()
        plus[index] += EPS
        minus[index] -= EPS
        out[index] = (loss(plus) - loss(minus)) / (2 * EPS)
    return out


@cache
def tf_golden() -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest, arrays) of tests/data/tf_golden.npz, made by scripts/make_tf_golden.py."""
    with np.load(DATA / "tf_golden.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    manifest = json.loads(str(arrays.pop("manifest")))
    return manifest, arrays


@cache
def fixture_cases(filename: str) -> tuple[dict, dict[str, dict[str, np.ndarray]]]:
    """(manifest or {}, {case: {name: array}}) of tests/data/<filename>, whose arrays are stored
    as ``<case>__<name>`` beside an optional JSON ``manifest``."""
    with np.load(DATA / filename, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    manifest = json.loads(str(arrays.pop("manifest"))) if "manifest" in arrays else {}
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        if "__" in key:
            case, name = key.split("__", 1)
            cases.setdefault(case, {})[name] = value
    return manifest, cases


def case_arrays(case: str) -> dict[str, np.ndarray]:
    _, arrays = tf_golden()
    prefix = f"{case}__"
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


@dataclass(frozen=True)
class Chart:
    """One Plotly chart of an AppTest run, as sent to the browser."""

    id: str  # the element id; it ends with the chart's key
    figure: dict  # {"data": [...], "layout": {...}}
    alt: str
    config: dict
    live: bool  # drawn by ui.plotly_live (updated in place), not st.plotly_chart


def charts(at) -> list[Chart]:
    """Every Plotly chart of the main area, in page order: st.plotly_chart's, ui.plotly_live's (a v2
    component AppTest lists as an unknown element of type "bidi_component" that carries the JSON
    bytes of ui.plotly_live.payload), Explore's live heatmaps and lines (ui.live_explore: the
    figure at the selected forget bias, packed by viz.live.pack), and Gradient flow's live line chart
    (ui.live_flow)."""
    found = []
    for node in at.main:
        if node.type == "plotly_chart":
            proto = node.proto
            found.append(Chart(proto.id, json.loads(proto.spec), proto.alt, json.loads(proto.config or "{}"), False))
        elif node.type == "bidi_component" and node.proto.component_name == plotly_live.NAME:
            sent = json.loads(node.proto.bytes)
            found.append(Chart(node.proto.id, sent["figure"], sent["alt"], sent["config"], True))
        elif node.type == "bidi_component" and node.proto.component_name == live_flow.NAME:
            # The figure at the page's forget_bias as the browser draws it (ui/live_flow.js adds the
            # slider's own note when its curves fall below the floor), and every value's curves; the
            # heatmaps as sent (the page's value).
            sent = json.loads(node.proto.bytes)
            if sent["role"] == "heatmaps":
                found.append(Chart(node.proto.id, sent["figure"], sent["alt"], sent["config"], True))
            if sent["role"] != "view":
                continue
            sent = live_flow_sent(at)
            note = sent["curves"][sent["shown"]]["note"]
            layout = sent["figure"]["layout"]
            layout["annotations"] = layout.get("annotations", []) + ([note] if note else [])
            found.append(Chart(node.proto.id, sent["figure"], sent["alt"], sent["config"], True))
        elif node.type == "bidi_component" and node.proto.component_name == live_explore.NAME:
            sent, _ = unpack(node.proto.bytes)
            if "figure" in sent:
                found.append(Chart(node.proto.id, sent["figure"], sent["alt"], sent["config"], True))
    return found


def live_views(at) -> dict[str, tuple[dict, dict]]:
    """Explore's live views (ui.live_explore), by role: (header, arrays) as the browser reads them."""
    views = {}
    for node in at.main:
        if node.type == "bidi_component" and node.proto.component_name == live_explore.NAME:
            header, arrays = unpack(node.proto.bytes)
            views[header["role"]] = (header, arrays)
    return views


def chart_spec(at, index: int = 0) -> dict:
    """The Plotly figure (as sent to the browser) of the index-th chart of an AppTest run."""
    return charts(at)[index].figure


def chart_traces(at, index: int = 0) -> dict[str, dict]:
    """{trace name: {"z": array, "x": array, ...}} of the index-th chart, arrays decoded."""
    return decode_traces(chart_spec(at, index)["data"])


def chart_by_key(at, key: str) -> dict:
    """The Plotly figure of the chart whose widget key contains ``key``."""
    for chart in charts(at):
        if key in chart.id:
            return chart.figure
    raise AssertionError(f"no chart {key}")


def validated(fig: go.Figure) -> dict:
    """The spec of ``fig`` (a plotly Figure built without validation, as viz's are), after checking it
    against Plotly's full schema: raises on any property Plotly does not know or any invalid value."""
    spec = fig.to_plotly_json()
    go.Figure(spec)
    return spec


def explore_value(at, name: str):
    """The value Explore shows for ``forget_bias`` or ``step``: its live slider's (ui.live_explore,
    drawn in the browser), else the server's slider."""
    views = live_views(at)
    if "controls" in views:
        return views["controls"][0][name]
    return at.slider(key=name).value


def notes_shown(at) -> str:
    """Explore's What to notice as the page shows it, as markdown: the live notes view's sentences at
    the forget bias the live controls show (ui.live_explore), else the page's markdown."""
    views = live_views(at)
    if "notes" not in views:
        return page_text(at, "markdown")
    store, _ = views["store"]
    k = store["biases"].index(views["controls"][0]["forget_bias"])
    notes = ["**".join(runs) for runs in store["notes"][k]]
    return f"**What to notice** (at forget_bias {store['biases'][k]:g}):\n" + "\n".join(f"- {n}" for n in notes)


def live_flow_sent(at) -> dict:
    """Gradient flow's live slider as its browser code gets it: the view's payload, with the
    ``curves`` of the store it names and the grid position ``shown`` of its value (ui.live_flow
    mounts the component for the store, the slider, the notes and the heatmaps)."""
    stores, view = {}, None
    for node in at.main:
        if node.type == "bidi_component" and node.proto.component_name == live_flow.NAME:
            sent = json.loads(node.proto.bytes)
            if sent["role"] == "store":
                stores[sent["id"]] = sent["curves"]
            elif sent["role"] == "view":
                view = sent
    if view is None:
        raise AssertionError("no live slider on the page")
    shown = int(np.argmin(np.abs(np.array(view["biases"]) - view["value"])))  # as live_grid.js's nearest()
    return {**view, "curves": stores[view["store"]], "shown": shown}


def live_flow_notes(at) -> str:
    """Gradient flow's live What to notice as the learner reads it (:func:`as_read`): the notes at
    the slider's value (ui.live_flow: plain and bold runs); "" without the live slider (the notes
    are then the page's markdown)."""
    try:
        sent = live_flow_sent(at)
    except AssertionError:
        return ""
    return "\n".join(as_read("**".join(runs)) for runs in sent["curves"][sent["shown"]]["notes"])


def gradient_flow_value(at) -> float:
    """The forget_bias Gradient flow shows: its live slider's (ui.live_flow), else the server's slider."""
    if any(n.type == "bidi_component" and n.proto.component_name == live_flow.NAME for n in at.main):
        return live_flow_sent(at)["value"]
    return at.slider(key="forget_bias").value


def set_explore(at, **values):
    """Set Explore's ``forget_bias`` or ``step`` as a learner does: releasing a live slider sets the
    session state (ui.live_explore's callbacks, tested in tests/app/test_live_explore.py), else the
    server's slider. Runs the page."""
    live = "controls" in live_views(at)
    for name, value in values.items():
        if live:
            at.session_state[name] = value
        else:
            at.slider(key=name).set_value(value)
    return at.run()


def explore_line(at) -> str:
    """The line that names Explore's cell and its selected step, as the learner reads it: the live
    controls' (the signature at the selected forget bias, then the rest), else the page's markdown."""
    views = live_views(at)
    if "controls" not in views:
        return page_text(at, "markdown")
    controls = views["controls"][0]
    store = views["store"][0]
    index = min(range(len(store["biases"])), key=lambda k: abs(store["biases"][k] - controls["forget_bias"]))
    return f"{store['signatures'][index]} {controls['sentence']} Selected step t = {controls['step']}."


def finish_training(at, timeout: float = 120.0):
    """Wait for the session's training jobs (the server's worker pool) to finish, then run the page
    again, as its progress fragment does in a browser; returns ``at``."""
    jobs = list(at.session_state["_train_jobs"].values()) if "_train_jobs" in at.session_state else []
    for pending in jobs:
        assert pending.job.wait(timeout), f"training did not finish within {timeout} s"
    at.run()
    return at


def open_tab(at, label: str, key: str = "train_tab"):
    """Switch the tabs ``key`` (tabs that run only the open one) to ``label``, as a click on it does; run."""
    at.session_state[key] = label
    at.run()
    assert not at.exception, at.exception
    return at


def press(at, label_start: str):
    """Click the first button whose label starts with ``label_start``; when it started training,
    wait for the worker to finish (:func:`finish_training`). Fails on any exception shown."""
    next(b for b in at.button if b.label.startswith(label_start)).click().run()
    assert not at.exception, at.exception
    if at.session_state.get("_train_jobs"):
        finish_training(at)
        assert not at.exception, at.exception
    return at
