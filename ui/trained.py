"""Trained weights on the Explore and Step-through pages: the shipped demos and a learner's own.

Plain Python and NumPy (no Streamlit). A spec names its weights by a short string (its
``trained`` field, part of the run cache's key): a demo's name (``demos/<name>.npz``, made by
``python -m lstm_core.experiments demos``), or ``mine:<digest>`` / ``upload:<digest>`` for a model
trained on the Train page or a file uploaded in *this session*, named by the digest of its bytes
(so a second file with the same name is recognised as different, and the same file twice as the
same).

A file is parsed and checked once, when it arrives (:func:`accept_upload`, :func:`register`); the
result, a :class:`Weights`, is kept in the session's own :class:`SessionWeights` (a few entries,
the oldest going first), never in a registry shared by the whole class, so one student's uploads
cannot push out another's model.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from lstm_core import LSTMConfig, LSTMParams, load_params
from lstm_core.safe_npz import Limits, SafeNpz
from lstm_core.sequences import MAX_FEATURES, Sequence
from lstm_core.tasks import Task, format_metric, make_task
from lstm_core.training import Model, model_from_file

from .markup import escape
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
        is_model = "header" in archive
    key = f"{kind}:{digest(data)}"
    if not is_model:
        cfg, params = load_params(data, cell="lstm", limits=UPLOAD_LIMITS)  # the pages show LSTM cells
        return Weights(key, (cfg,), (params,), {}, None)
    model, meta = model_from_file(data, UPLOAD_LIMITS)
    if "task" not in meta:
        raise ValueError(
            "This model file does not say which task it learned (its meta has no 'task'), so the app "
            "cannot make its inputs. Save it from the Train page."
        )
    return Weights(key, model.configs, model.params, meta, make_task(meta["task"], meta.get("size")), model)


def accept_upload(data: bytes) -> Weights:
    """An uploaded file's weights (see :func:`parse`); keep them in the session with SessionWeights.add."""
    return parse(data, UPLOAD)


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
        return f"**Uploaded weights**: {weights.configs[0].variant} cell; the sidebar's inputs, its cell settings not used."
    meta = weights.meta
    steps = f"{meta['steps']} training steps" if "steps" in meta else "trained"
    result = ""
    if "metric" in meta:  # check_meta: with its name, the task's metric
        result = f", {meta['metric_name']} {format_metric(meta['metric_name'], meta['metric'])} on test sequences"
    return (
        f"**{escape(meta.get('title', weights.task.title))}**: {steps}{result}. "
        "Its own cell and inputs; the sidebar's are not used."
    )


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
