"""Trained weights on the Explore and Step-through pages: the shipped demos and the learner's own.

Plain Python and NumPy (no Streamlit). A spec names its weights by a short string (its
``trained`` field, a cache key): a demo's name (``demos/<name>.npz``, made by
``python -m lstm_core.experiments demos``), or ``mine:<digest>`` for a model trained on the Train
page and registered here for this server process.
"""

from __future__ import annotations

import hashlib
import io
from functools import cache
from pathlib import Path

import numpy as np

from lstm_core.sequences import Sequence
from lstm_core.tasks import Task, make_task
from lstm_core.training import Model as TrainedModel
from lstm_core.training import model_from_file

DEMOS = Path(__file__).resolve().parent.parent / "demos"
#: The demos offered, in menu order, with what the menu says.
DEMO_TITLES: dict[str, str] = {
    "recall": "trained on delayed recall",
    "adding": "trained on the adding problem",
    "spikes": "trained on spike timing",
}
MINE = "mine"
#: Sequences of the task shown (the page's sequence selector picks one).
SHOWN_SEQUENCES = 4
_REGISTRY: dict[str, bytes] = {}
_MAX_REGISTERED = 64


@cache
def _demo_bytes(name: str) -> bytes:
    if name not in DEMO_TITLES:
        raise ValueError(f"Unknown trained demo {name!r}; accepted: {', '.join(DEMO_TITLES)}.")
    return (DEMOS / f"{name}.npz").read_bytes()


def register(data: bytes) -> str:
    """Keep a learner's trained model for this server process; returns its ``trained`` key."""
    key = f"{MINE}:{hashlib.sha256(data).hexdigest()[:20]}"
    if key not in _REGISTRY and len(_REGISTRY) >= _MAX_REGISTERED:
        _REGISTRY.pop(next(iter(_REGISTRY)))
    _REGISTRY[key] = data
    return key


def load(trained: str) -> tuple[TrainedModel, dict]:
    """(model, meta) for a ``trained`` key; ValueError with a learner-readable reason."""
    if trained.startswith(f"{MINE}:"):
        data = _REGISTRY.get(trained)
        if data is None:
            raise ValueError(
                "The model you trained is no longer on the server (it restarted, or the link came from "
                "another browser). Train it again on the Train page."
            )
    else:
        data = _demo_bytes(trained)
    return model_from_file(io.BytesIO(data))


def task_of(meta: dict) -> Task:
    return make_task(meta["task"], meta.get("size"))


def task_sequence(task: Task, seed: int = 0) -> Sequence:
    """A few seeded sequences of the task (steps numbered; the input band names each symbol)."""
    values = task.batch(np.random.default_rng([seed, 11]), SHOWN_SEQUENCES).inputs
    labels = tuple(str(t) for t in range(values.shape[1]))
    return Sequence(values=values, step_labels=labels, feature_names=task.input_names)
