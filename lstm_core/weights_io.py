"""Weights in and out: the project's .npz format.

The .npz holds the arrays of the cell's params record (:class:`LSTMParams`, :class:`BasicRNNParams`
or :class:`GRUParams`) by field name, ``config`` (the config as JSON text) and ``format``. The
config says which cell it is: ``"cell": "basic_rnn"`` or ``"gru"``; an LSTM's names no cell, as
every LSTM file did before the other cells existed, so those files read unchanged. It is read by
:class:`lstm_core.safe_npz.SafeNpz`, which never unpickles (loading never runs code) and checks every
size before it unpacks or allocates, so a file cannot claim gigabytes.
"""

from __future__ import annotations

import io
import os
from typing import IO

import numpy as np

from .config import CELL_CONFIGS, HiddenStateConfig, LSTMConfig, config_from_dict, parse_json
from .params import LSTMParams, WeightArrays, check_params, expected_shapes
from .quoting import listed, shown
from .safe_npz import DEFAULT_LIMITS, Limits, SafeNpz

FORMAT = "lstm-explainer-params/1"
#: The most weights a file may hold (16M values, 128 MB as float64): far above any app config.
MAX_FILE_VALUES = 16_000_000

AnyConfig = LSTMConfig | HiddenStateConfig


def _float_dtype(params: object) -> type:
    # The dtype of the first array (the kernel): float32 stays float32, anything else is float64.
    first = next(iter(params.arrays().values()), None) if isinstance(params, WeightArrays) else None
    return np.float32 if first is not None and np.asarray(first).dtype == np.float32 else np.float64


def save_params(file: str | os.PathLike | IO[bytes], cfg: AnyConfig, params: WeightArrays) -> None:
    """Write ``cfg`` and ``params`` (any cell's) to ``file`` as .npz (arrays by field name, config as JSON)."""
    params = check_params(cfg, params, _float_dtype(params))
    np.savez(file, format=np.array(FORMAT), config=np.array(cfg.to_json()), **params.arrays())


def params_to_bytes(cfg: AnyConfig, params: WeightArrays) -> bytes:
    """:func:`save_params` into memory (for a download button)."""
    buffer = io.BytesIO()
    save_params(buffer, cfg, params)
    return buffer.getvalue()


def load_params(
    file: str | os.PathLike | IO[bytes] | bytes, cell: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[AnyConfig, WeightArrays]:
    """Read a file written by :func:`save_params`, checking everything before trusting it.

    Returns the config and the params of the cell the file holds, or, with ``cell`` (``"lstm"``,
    ``"basic_rnn"``, ``"gru"``), only of that cell: a reader that expects an LSTM gets a clear
    ValueError for a GRU's file instead of weights it would misread, and the other way round.

    Raises ValueError with a message a learner can act on for anything that is not a valid
    weight file for its own config: not an .npz, no config, another cell than ``cell``, unknown
    arrays, wrong shapes or dtypes, non-finite values, more values than :data:`MAX_FILE_VALUES`,
    or anything beyond ``limits`` (sizes checked before a byte is unpacked: see
    :mod:`lstm_core.safe_npz`).
    """
    if cell is not None and cell not in CELL_CONFIGS:
        raise ValueError(f"Unknown cell {shown(cell)}; accepted: {', '.join(CELL_CONFIGS)}.")
    with SafeNpz(file, "a weight file (.npz) with a config", limits) as archive:
        config = archive.text(
            "config",
            missing="The weight file has no 'config' entry: save it with the app or save_params().",
            not_text="The weight file's 'config' entry must be JSON text.",
        )
        data = parse_json(config)
        # Read by the expected cell's own class, so that another cell's file is refused by name.
        cfg = config_from_dict(data) if cell is None else CELL_CONFIGS[cell].from_dict(data)
        check_size(cfg, limits)
        shapes = expected_shapes(cfg)
        unknown = sorted(set(archive.names) - {"format", "config", *shapes})
        if unknown:
            raise ValueError(f"The weight file holds unknown entries: {listed(unknown)}.")
        needed = sum(int(np.prod(shape)) for shape in shapes.values() if shape is not None)
        if needed > MAX_FILE_VALUES:
            raise ValueError(f"This configuration needs {needed:,} weights; the limit is {MAX_FILE_VALUES:,}.")
        arrays: dict[str, np.ndarray | None] = {}
        for name, shape in shapes.items():
            if name not in archive or shape is None:
                arrays[name] = None
                continue
            # Generous, so a slightly wrong shape gets check_params' clear shape message below,
            # but a file claiming far more than the config needs is refused before it is read.
            arrays[name] = archive.array(name, max_bytes=8 * max(4 * int(np.prod(shape)), 4096))
    if isinstance(cfg, LSTMConfig):
        if arrays["kernel"] is None or arrays["bias"] is None:
            raise ValueError("The weight file needs both 'kernel' and 'bias'.")
        params = LSTMParams(**arrays)
    else:
        missing = [name for name, array in arrays.items() if array is None]
        if missing:
            raise ValueError(f"The weight file of a {cfg.title} cell needs {', '.join(map(repr, missing))}.")
        params = cfg.params_type(**arrays)
    return cfg, check_params(cfg, params, _float_dtype(params))


def check_size(cfg: AnyConfig, limits: Limits) -> None:
    """Refuse a configuration larger than ``limits`` allow (before any of its weights are read)."""
    for name, value, high in (
        ("num_units", cfg.num_units, limits.max_units),
        ("num_proj", getattr(cfg, "num_proj", None) or 0, limits.max_units),
        ("input_size", cfg.input_size, limits.max_input_size),
    ):
        if value > high:
            raise ValueError(f"The file's cell has {name} = {value:,}; the app accepts at most {high:,}.")
