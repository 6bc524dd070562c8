"""Weights in and out: the project's .npz format.

The .npz holds the arrays of :class:`LSTMParams` by field name, ``config`` (the LSTMConfig as JSON
text) and ``format``. It is read by :class:`lstm_core.safe_npz.SafeNpz`, which never unpickles (loading never runs
code) and checks every size before it unpacks or allocates, so a file cannot claim gigabytes.
"""

from __future__ import annotations

import io
import os
from typing import IO

import numpy as np

from .config import LSTMConfig
from .params import PEEPHOLE_FIELDS, LSTMParams, check_params, expected_shapes
from .quoting import listed
from .safe_npz import DEFAULT_LIMITS, Limits, SafeNpz

FORMAT = "lstm-explainer-params/1"
#: The most weights a file may hold (16M values, 128 MB as float64): far above any app config.
MAX_FILE_VALUES = 16_000_000
_ARRAY_FIELDS = ("kernel", "bias", *PEEPHOLE_FIELDS, "proj_kernel")


def _float_dtype(array: np.ndarray) -> type:
    return np.float32 if np.asarray(array).dtype == np.float32 else np.float64


def save_params(file: str | os.PathLike | IO[bytes], cfg: LSTMConfig, params: LSTMParams) -> None:
    """Write ``cfg`` and ``params`` to ``file`` as .npz (arrays by field name, config as JSON)."""
    params = check_params(cfg, params, _float_dtype(params.kernel))
    np.savez(file, format=np.array(FORMAT), config=np.array(cfg.to_json()), **params.arrays())


def params_to_bytes(cfg: LSTMConfig, params: LSTMParams) -> bytes:
    """:func:`save_params` into memory (for a download button)."""
    buffer = io.BytesIO()
    save_params(buffer, cfg, params)
    return buffer.getvalue()


def load_params(
    file: str | os.PathLike | IO[bytes] | bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[LSTMConfig, LSTMParams]:
    """Read a file written by :func:`save_params`, checking everything before trusting it.

    Raises ValueError with a message a learner can act on for anything that is not a valid
    weight file for its own config: not an .npz, no config, unknown arrays, wrong shapes or
    dtypes, non-finite values, more values than :data:`MAX_FILE_VALUES`, or anything beyond
    ``limits`` (sizes checked before a byte is unpacked: see :mod:`lstm_core.safe_npz`).
    """
    with SafeNpz(file, "a weight file (.npz) with a config", limits) as archive:
        unknown = sorted(set(archive.names) - {"format", "config", *_ARRAY_FIELDS})
        if unknown:
            raise ValueError(f"The weight file holds unknown entries: {listed(unknown)}.")
        config = archive.text(
            "config",
            missing="The weight file has no 'config' entry: save it with the app or save_params().",
            not_text="The weight file's 'config' entry must be JSON text.",
        )
        cfg = LSTMConfig.from_json(config)
        check_size(cfg, limits)
        shapes = expected_shapes(cfg)
        needed = sum(int(np.prod(shape)) for shape in shapes.values() if shape is not None)
        if needed > MAX_FILE_VALUES:
            raise ValueError(f"This configuration needs {needed:,} weights; the limit is {MAX_FILE_VALUES:,}.")
        arrays: dict[str, np.ndarray | None] = {}
        for name in _ARRAY_FIELDS:
            shape = shapes[name]
            if name not in archive or shape is None:
                arrays[name] = None
                continue
            # Generous, so a slightly wrong shape gets check_params' clear shape message below,
            # but a file claiming far more than the config needs is refused before it is read.
            arrays[name] = archive.array(name, max_bytes=8 * max(4 * int(np.prod(shape)), 4096))
    if arrays["kernel"] is None or arrays["bias"] is None:
        raise ValueError("The weight file needs both 'kernel' and 'bias'.")
    params = check_params(cfg, LSTMParams(**arrays), _float_dtype(arrays["kernel"]))
    return cfg, params


def check_size(cfg: LSTMConfig, limits: Limits) -> None:
    """Refuse a configuration larger than ``limits`` allow (before any of its weights are read)."""
    for name, value, high in (
        ("num_units", cfg.num_units, limits.max_units),
        ("num_proj", cfg.num_proj or 0, limits.max_units),
        ("input_size", cfg.input_size, limits.max_input_size),
    ):
        if value > high:
            raise ValueError(f"The file's cell has {name} = {value:,}; the app accepts at most {high:,}.")
