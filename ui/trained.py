"""Trained weights on the Explore and Step-through pages: the shipped demos and the learner's own.

Plain Python and NumPy (no Streamlit). A spec names its weights by a short string (its
``trained`` field, a cache key): a demo's name (``demos/<name>.npz``, made by
``python -m lstm_core.experiments demos``), or ``mine:<digest>`` for a model trained on the Train
page and registered here for this server process.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from functools import cache
from pathlib import Path

import numpy as np

from lstm_core import LSTMConfig, LSTMParams, load_params
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
UPLOAD = "upload"
#: Uploads larger than this are refused before they are parsed (also capped by .streamlit/config.toml).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Sequences of the task shown (the page's sequence selector picks one).
SHOWN_SEQUENCES = 4
_REGISTRY: dict[str, bytes] = {}
_MAX_REGISTERED = 64


@cache
def _demo_bytes(name: str) -> bytes:
    if name not in DEMO_TITLES:
        raise ValueError(f"Unknown trained demo {name!r}; accepted: {', '.join(DEMO_TITLES)}.")
    return (DEMOS / f"{name}.npz").read_bytes()


def _keep(kind: str, data: bytes) -> str:
    """Keep ``data`` for this server process (the oldest goes past the cap); its key ``kind:<digest>``."""
    key = f"{kind}:{hashlib.sha256(data).hexdigest()[:20]}"
    if key not in _REGISTRY and len(_REGISTRY) >= _MAX_REGISTERED:
        _REGISTRY.pop(next(iter(_REGISTRY)))
    _REGISTRY[key] = data
    return key


def register(data: bytes) -> str:
    """Keep a learner's trained model for this server process; returns its ``trained`` key."""
    return _keep(MINE, data)


def accept_upload(data: bytes) -> str:
    """Check an uploaded file completely and keep it; returns its ``trained`` key.

    Accepted: a model saved by the Train page, or one layer's weights saved by Explore (or by
    ``lstm_core.save_params`` after converting Keras or PyTorch weights). Read with
    ``allow_pickle=False``, shapes, dtypes and finiteness checked; a ValueError says what is wrong.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"The file is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}.")
    try:
        _parse(data)  # raises ValueError on anything it recognises as wrong
    except (
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        zlib.error,
        struct.error,
        UnicodeDecodeError,
    ) as error:
        # What zipfile and NumPy raise for damaged, encrypted or exotic archives.
        raise ValueError(f"The file is damaged or uses a zip feature the app does not read ({error}).") from None
    return _keep(UPLOAD, data)


def _parse(data: bytes) -> tuple[TrainedModel | None, tuple[LSTMConfig, LSTMParams] | None, dict]:
    """(trained model, None, meta) for a Train-page file, or (None, (cfg, params), {}) for one layer."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            is_model = "header.npy" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValueError(
            "This is not an .npz file saved by the app (Explore's weights or the Train page's model)."
        ) from None
    if is_model:
        model, meta = model_from_file(io.BytesIO(data))
        return model, None, meta
    return None, load_params(io.BytesIO(data)), {}


def _data(trained: str) -> bytes:
    if trained.startswith((f"{MINE}:", f"{UPLOAD}:")):
        data = _REGISTRY.get(trained)
        if data is None:
            raise ValueError(
                "These weights are no longer on the server (it restarted, or the link came from another "
                "browser): train or upload them again."
            )
        return data
    return _demo_bytes(trained)


def load(trained: str) -> tuple[TrainedModel, dict]:
    """(model, meta) for a ``trained`` key of a whole trained model; ValueError with a learner-readable reason."""
    model, _, meta = _parse(_data(trained))
    if model is None:
        raise ValueError("This file holds one layer's weights, not a trained model.")
    return model, meta


def layers(trained: str) -> tuple[list[LSTMConfig], list[LSTMParams], dict, bool]:
    """(configs, params, meta, has_task) for any ``trained`` key: a trained model brings its task's
    inputs (``has_task``); one uploaded layer runs on the sidebar's inputs."""
    model, layer, meta = _parse(_data(trained))
    if model is not None:
        return list(model.configs), list(model.params), meta, True
    cfg, params = layer
    return [cfg], [params], meta, False


def task_of(meta: dict) -> Task:
    return make_task(meta["task"], meta.get("size"))


def task_sequence(task: Task, seed: int = 0) -> Sequence:
    """A few seeded sequences of the task (steps numbered; the input band names each symbol)."""
    values = task.batch(np.random.default_rng([seed, 11]), SHOWN_SEQUENCES).inputs
    labels = tuple(str(t) for t in range(values.shape[1]))
    return Sequence(values=values, step_labels=labels, feature_names=task.input_names)
