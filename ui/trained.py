"""Trained weights on the Explore and Step-through pages: the shipped demos and a learner's own.

Plain Python and NumPy (no Streamlit). A spec names its weights by a short string (its
``trained`` field, part of the run cache's key): a demo's name (``demos/<name>.npz``, made by
``python -m lstm_core.experiments demos``), or ``mine:<digest>`` / ``upload:<digest>`` for a model
trained on the Train page or a file uploaded in *this session*, named by the digest of its bytes
(so a second file with the same name is recognised as different, and the same file twice as the
same).

An upload is the app's own .npz (a Train page model, one layer, or a stack of layers) or a Keras or
PyTorch model file (``.keras``, ``.h5``, ``.weights.h5`` with its config, ``.safetensors``; read by
:func:`lstm_core.model_files.open_model`, never by the libraries, never unpickled). A learner's own
input data (CSV or .npy, :func:`lstm_core.data_files.read_data`) joins uploaded weights as
:func:`with_data`, under a key of both digests.

A file is parsed and checked once, when it arrives (:func:`accept_upload`, :func:`register`); the
result, a :class:`Weights`, is kept in the session's own :class:`SessionWeights` (a few entries,
the oldest going first), never in a registry shared by the whole class, so one student's uploads
cannot push out another's model.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from lstm_core import LSTMConfig, LSTMParams, load_params
from lstm_core.config import HARD_SIGMOID_NAMES
from lstm_core.data_files import MAX_DATA_BYTES, DataFile, check_features, read_data
from lstm_core.model_files import MAX_CONFIG_BYTES, ConfigNeeded, open_model_isolated
from lstm_core.safe_npz import Limits, SafeNpz
from lstm_core.sequences import MAX_FEATURES, Sequence
from lstm_core.tasks import Task, format_metric, make_task
from lstm_core.training import Model, model_from_file
from lstm_core.weights_io import load_stack, stack_to_bytes

from .markup import escape, quote, quote_list
from .run_cache import nbytes
from .schema import MAX_APP_UNITS, MAX_LAYERS

DEMOS = Path(__file__).resolve().parent.parent / "demos"
#: The demos offered, in menu order, with what the menu says.
DEMO_TITLES: dict[str, str] = {
    "recall": "trained on delayed recall",
    "adding": "trained on the adding problem",
    "spikes": "trained on spike timing",
}
MINE = "mine"
UPLOAD = "upload"
#: Uploads larger than this are refused before they are parsed (also capped by .streamlit/config.toml).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: What an upload may hold or ask for: the app's own sizes (MAX_APP_UNITS units, MAX_LAYERS layers,
#: MAX_FEATURES inputs), 16 MB unpacked. The largest such model is (64 + 256) x 1024 weights a layer.
UPLOAD_LIMITS = Limits(
    max_bytes=16 * 1024 * 1024,
    max_members=64,
    max_units=MAX_APP_UNITS,
    max_input_size=MAX_FEATURES,
    max_layers=MAX_LAYERS,
)
#: A Keras or PyTorch model file may be larger than the app's own files: an Embedding's table rides
#: along, listed but never read. What it may hold is capped by lstm_core.model_files (MAX_*), and the
#: LSTM layers it runs by the app's sizes (MODEL_LIMITS).
MAX_MODEL_UPLOAD_BYTES = 16 * 1024 * 1024
#: Features per step an uploaded model (or layer) may read: wider than the sidebar's inputs
#: (an Embedding's output is often 100 to 300 wide); such a model runs on the learner's own data.
MAX_MODEL_INPUT_SIZE = 1024
#: The checks for an uploaded layer or stack of layers: UPLOAD_LIMITS with MAX_MODEL_INPUT_SIZE.
MODEL_LIMITS = replace(UPLOAD_LIMITS, max_input_size=MAX_MODEL_INPUT_SIZE)
#: The weights uploader's file types, and the data uploader's.
UPLOAD_TYPES = ["npz", "keras", "h5", "hdf5", "safetensors", "pt", "pth"]
DATA_TYPES = ["csv", "txt", "tsv", "npy"]
#: A weights-only file's config (model.to_json() or a .keras file's config.json).
MAX_MODEL_CONFIG_BYTES = MAX_CONFIG_BYTES
#: A data file (lstm_core.data_files caps its sequences, steps, features and values too).
MAX_DATA_UPLOAD_BYTES = MAX_DATA_BYTES
#: Sequences a data file may hold (the page offers one button per sequence).
MAX_DATA_SEQUENCES_SHOWN = 16
#: Sequences of the task shown (the page's sequence selector picks one).
SHOWN_SEQUENCES = 4
#: What one session keeps: its last few uploads and trained models.
SESSION_ENTRIES = 6
SESSION_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, eq=False)
class Weights:
    """Checked weights a run can use instead of the sidebar's seeded ones.

    ``task`` is the task a whole trained model learned (its runs show that task's inputs); one
    uploaded layer has none and runs on the sidebar's inputs. ``meta`` is the model's checked
    metadata (title, steps, metric; see lstm_core.training.check_meta).
    """

    key: str
    configs: tuple[LSTMConfig, ...]
    params: tuple[LSTMParams, ...]
    meta: dict
    task: Task | None
    model: Model | None = None  # the whole trained network (read-out included), if it is one
    data: DataFile | None = None  # the learner's own input data, run instead of the sidebar's inputs
    data_name: str = ""  # the data file's name, as uploaded


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def parse(data: bytes, kind: str) -> Weights:
    """Check an app file completely and return its weights, keyed ``kind:<digest of its bytes>``.

    Accepted: a model saved by the Train page, or one layer's weights saved by Explore (or by
    ``lstm_core.save_params`` after converting Keras or PyTorch weights), within
    :data:`UPLOAD_LIMITS`. Nothing is unpickled and every size is checked before anything is
    unpacked (lstm_core.safe_npz); a ValueError says what is wrong.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"The file is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}.")
    what = "an .npz file saved by the app (Explore's weights or the Train page's model)"
    with SafeNpz(data, what, UPLOAD_LIMITS) as archive:
        is_model, is_stack = "header" in archive, "configs" in archive
    key = f"{kind}:{digest(data)}"
    if is_stack:  # layers converted from a Keras or PyTorch file (OpenedModel.to_npz_bytes)
        configs, params, meta = load_stack(data, MODEL_LIMITS)
        return Weights(key, tuple(configs), tuple(params), _stack_meta(meta), None)
    if not is_model:
        cfg, params = load_params(data, cell="lstm", limits=MODEL_LIMITS)  # the pages show LSTM cells
        return Weights(key, (cfg,), (params,), {}, None)
    model, meta = model_from_file(data, UPLOAD_LIMITS)
    if "task" not in meta:
        raise ValueError(
            "This model file does not say which task it learned (its meta has no 'task'), so the app "
            "cannot make its inputs. Save it from the Train page."
        )
    return Weights(key, model.configs, model.params, meta, make_task(meta["task"], meta.get("size")), model)


def is_model_file(data: bytes, name: str = "") -> bool:
    """Whether an upload is a Keras or PyTorch file (for :func:`open_model_file`) rather than the
    app's own .npz: by its content (HDF5, safetensors, a pickle, a zip with a Keras config) or its name."""
    if name.lower().endswith((".keras", ".h5", ".hdf5", ".safetensors", ".pt", ".pth")):
        return True
    if data.startswith(b"\x89HDF\r\n\x1a\n") or data[:1] == b"\x80":
        return True
    if len(data) >= 10 and data[8:9] == b"{":  # a safetensors header
        return True
    return data.startswith(b"PK") and b"config.json" in data[-4096:] and b"model.weights.h5" in data[-4096:]


def accept_upload(data: bytes, name: str = "", config: bytes | None = None) -> Weights:
    """An uploaded file's weights: the app's own .npz (see :func:`parse`) or a Keras or PyTorch
    model file (:func:`open_model_file`). Keep them in the session with SessionWeights.add.
    Raises ValueError (:class:`lstm_core.model_files.ConfigNeeded` for weights that need their config)."""
    if is_model_file(data, name):
        return open_model_file(data, name, config)
    return parse(data, UPLOAD)


def open_model_file(data: bytes, name: str = "", config: bytes | None = None) -> Weights:
    """A Keras or PyTorch model file's LSTM layers as uploaded weights (keyed by the digest of the
    file and of its config), within the app's sizes (:data:`MODEL_LIMITS`)."""
    if len(data) > MAX_MODEL_UPLOAD_BYTES:
        raise ValueError(f"The file is {len(data):,} bytes; the limit is {MAX_MODEL_UPLOAD_BYTES:,}.")
    if config is not None and len(config) > MAX_MODEL_CONFIG_BYTES:
        raise ValueError(f"The config is {len(config):,} bytes; the limit is {MAX_MODEL_CONFIG_BYTES:,}.")
    opened = open_model_isolated(data, name, config=config)  # a child process: a damaged HDF5 cannot hang the server
    if len(opened.layers) > MODEL_LIMITS.max_layers:
        raise ValueError(
            f"{opened.description}: {len(opened.layers)} LSTM layers; the app shows at most {MODEL_LIMITS.max_layers}."
        )
    for number, cfg in enumerate(opened.configs, start=1):
        for what, value, high in (
            ("units", cfg.num_units, MODEL_LIMITS.max_units),
            ("inputs per step", cfg.input_size, MODEL_LIMITS.max_input_size),
        ):
            if value > high:
                raise ValueError(
                    f"LSTM layer {number} of this model has {value:,} {what}; the app shows at most {high:,}."
                )
    key = f"{UPLOAD}:{digest(data + (config or b''))}"
    return Weights(key, tuple(opened.configs), tuple(opened.params), opened.meta(), None)


def _stack_meta(meta: dict) -> dict:
    """What the page may quote of a stack file's meta: its description and notes, as short texts."""
    out: dict = {}
    if isinstance(meta.get("description"), str):
        out["description"] = meta["description"][:300]
    if isinstance(meta.get("notes"), list):
        out["notes"] = [str(note)[:300] for note in meta["notes"][:8]]
    if isinstance(meta.get("library"), str):
        out["library"] = meta["library"][:40]
    return out


def stack_bytes(weights: Weights) -> bytes:
    """``weights``' layers as the app's layer-stack .npz (what :func:`parse` opens again)."""
    meta = {key: value for key, value in weights.meta.items() if key in ("description", "notes", "library")}
    return stack_to_bytes(list(weights.configs), list(weights.params), meta)


def needs_config(error: ValueError) -> bool:
    """Whether ``error`` says a weights-only Keras file needs its model's config."""
    return isinstance(error, ConfigNeeded)


def read_input_data(data: bytes, name: str) -> DataFile:
    """A learner's own input (CSV or .npy; :func:`lstm_core.data_files.read_data`), its size
    checked before it is read, within the app's sizes of a run (:data:`MODEL_LIMITS`)."""
    if len(data) > MAX_DATA_UPLOAD_BYTES:
        raise ValueError(f"The data file is {len(data):,} bytes; the limit is {MAX_DATA_UPLOAD_BYTES:,}.")
    result = read_data(data, name)
    if result.num_features > MAX_MODEL_INPUT_SIZE:
        raise ValueError(
            f"The data has {result.num_features:,} features per step; the app runs at most {MAX_MODEL_INPUT_SIZE:,}."
        )
    if len(result.lengths) > MAX_DATA_SEQUENCES_SHOWN:
        raise ValueError(
            f"The data has {len(result.lengths)} sequences; the pages show at most {MAX_DATA_SEQUENCES_SHOWN} "
            "(one at a time, chosen by a button each): split the file."
        )
    return result


def with_data(weights: Weights, data: DataFile, data_digest: str, name: str = "") -> Weights:
    """``weights`` (uploaded, without a task) run on the learner's ``data``: a ValueError naming the
    input size the model needs if the data has another."""
    if weights.task is not None:
        raise ValueError("A trained model runs on its own task's inputs.")
    check_features(data, weights.configs[0].input_size)
    base = weights.key.split("~", 1)[0]
    return replace(weights, key=f"{base}~{data_digest}", data=data, data_name=name)


def data_sequence(weights: Weights) -> Sequence:
    """The learner's data of ``weights`` as the pages' input (steps numbered, the file's feature names)."""
    values = weights.data.values
    return Sequence(
        values=values,
        step_labels=tuple(str(t) for t in range(values.shape[1])),
        feature_names=weights.data.feature_names,
    )


def register(data: bytes) -> Weights:
    """A model trained on the Train page (the bytes of lstm_core.training.model_to_bytes)."""
    return parse(data, MINE)


@cache
def demo(name: str) -> Weights:
    """A shipped demo, read once per server process."""
    if name not in DEMO_TITLES:
        raise ValueError(f"Unknown trained demo {name[:40]!r}; accepted: {', '.join(DEMO_TITLES)}.")
    return parse((DEMOS / f"{name}.npz").read_bytes(), name)


def is_session_key(key: str) -> bool:
    """Whether ``key`` names weights only a session has (a learner's model or upload), not a demo."""
    return key.startswith((f"{MINE}:", f"{UPLOAD}:"))


class SessionWeights:
    """One session's uploads and trained models by key: at most SESSION_ENTRIES of them and
    SESSION_BYTES together, the oldest going first."""

    def __init__(self, entries: int = SESSION_ENTRIES, budget: int = SESSION_BYTES) -> None:
        self.entries, self.budget = entries, budget
        self._kept: OrderedDict[str, tuple[Weights, int]] = OrderedDict()

    def add(self, weights: Weights) -> list[str]:
        """Keep ``weights``; returns the keys of older entries dropped to make room."""
        self._kept.pop(weights.key, None)
        self._kept[weights.key] = (weights, nbytes(weights.params))
        dropped = []
        while len(self._kept) > self.entries or sum(size for _, size in self._kept.values()) > self.budget:
            if len(self._kept) == 1:
                break
            dropped.append(self._kept.popitem(last=False)[0])
        return dropped

    def get(self, key: str) -> Weights | None:
        entry = self._kept.get(key)
        return entry[0] if entry else None

    def __contains__(self, key: str) -> bool:
        return key in self._kept

    def __len__(self) -> int:
        return len(self._kept)

    def keys(self, kind: str) -> list[str]:
        """The keys of the kept weights of ``kind`` (MINE or UPLOAD), oldest first."""
        return [key for key in self._kept if key.startswith(f"{kind}:")]


def resolve(key: str, session: SessionWeights | None = None) -> Weights:
    """The weights ``key`` names: a demo, or an entry of ``session``; ValueError if they are gone."""
    if is_session_key(key):
        weights = session.get(key) if session is not None else None
        if weights is None:
            raise ValueError(
                "These weights are no longer on the server for this page: it was reloaded, the server "
                "restarted, or the link came from another browser. Train or upload them again."
            )
        return weights
    return demo(key)


def load(key: str, session: SessionWeights | None = None) -> tuple[Model, dict]:
    """(model, meta) of a whole trained model named by ``key``."""
    weights = resolve(key, session)
    if weights.model is None:
        raise ValueError("This file holds one layer's weights, not a trained model.")
    return weights.model, weights.meta


def describe(weights: Weights) -> str:
    """What the page says about ``weights`` under its menu (Markdown; the file's own text escaped)."""
    if weights.task is None:
        inputs = _inputs_said(weights)
        if "description" in weights.meta:  # a Keras or PyTorch file, or the app's converted copy
            gates = weights.configs[0].recurrent_activation
            parts = [f"**Read:** {escape(weights.meta['description'], 300)}."]
            notes = [note.rstrip(".") + "." for note in weights.meta.get("notes", ())]
            if gates != "sigmoid" and not any("hard-sigmoid" in note for note in notes):
                notes.insert(0, f"Gates: {HARD_SIGMOID_NAMES[gates]}.")
            parts.extend(escape(note, 300) for note in notes)
            parts.append(
                f"Its LSTM layers run as a stack of {len(weights.configs)} on {inputs}; the sidebar's cell settings are not used."
            )
            return " ".join(parts)
        layers = f"{len(weights.configs)} layers" if len(weights.configs) > 1 else f"{weights.configs[0].variant} cell"
        return f"**Uploaded weights**: {layers}; {inputs}, its cell settings not used."
    meta = weights.meta
    steps = f"{meta['steps']} training steps" if "steps" in meta else "trained"
    result = ""
    if "metric" in meta:  # check_meta: with its name, the task's metric
        result = f", {meta['metric_name']} {format_metric(meta['metric_name'], meta['metric'])} on test sequences"
    return (
        f"**{escape(meta.get('title', weights.task.title))}**: {steps}{result}. "
        "Its own cell and inputs; the sidebar's are not used."
    )


def _inputs_said(weights: Weights) -> str:
    if weights.data is None:
        return "the sidebar's inputs"
    data = weights.data
    batch, steps, _ = data.values.shape
    shown = f"{batch} sequences of up to {steps} steps" if batch > 1 else f"{steps} steps"
    if data.sequence_names != tuple(str(b + 1) for b in range(batch)):  # a `sequence` column's names
        shown += f", named {quote_list(data.sequence_names, limit=8, chars=30)} in the menu's order"
    names = data.feature_names
    if names != tuple(f"x{k}" for k in range(len(names))):  # named in the file's header
        shown += f"; features {quote_list(names, limit=8, chars=30)}"
    said = f"your data {quote(weights.data_name or 'data')} ({shown})"
    if (data.lengths < steps).any():
        said += (
            "; a shorter sequence is padded with zeros to the longest, and after its end its state is carried "
            "unchanged (TensorFlow's sequence_length)"
        )
    return said


def short_name(weights: Weights) -> str:
    """A trained model in a menu (plain text, not Markdown): its task, size, forget_bias, steps and result."""
    meta = weights.meta
    settings = meta.get("settings") if isinstance(meta.get("settings"), dict) else {}
    parts = [str(meta.get("title", weights.task.title if weights.task else "uploaded layer"))]
    if "units" in settings:
        parts.append(f"{settings['units']} units")
    if "forget_bias" in settings:
        parts.append(f"forget_bias {settings['forget_bias']:g}")
    if "steps" in meta:
        parts.append(f"{meta['steps']} steps")
    if "metric" in meta:
        parts.append(f"{meta['metric_name']} {format_metric(meta['metric_name'], meta['metric'])}")
    return ", ".join(parts)


def task_sequence(task: Task, seed: int = 0) -> Sequence:
    """A few seeded sequences of the task (steps numbered; the input band names each symbol)."""
    values = task.batch(np.random.default_rng([seed, 11]), SHOWN_SEQUENCES).inputs
    labels = tuple(str(t) for t in range(values.shape[1]))
    return Sequence(values=values, step_labels=labels, feature_names=task.input_names)
