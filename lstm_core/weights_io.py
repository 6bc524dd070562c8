"""Weights in and out: the project's .npz format.

The .npz holds the arrays of the cell's params record (:class:`LSTMParams`, :class:`BasicRNNParams`
or :class:`GRUParams`) by field name, ``config`` (the config as JSON text) and ``format``. The
config says which cell it is: ``"cell": "basic_rnn"`` or ``"gru"``; an LSTM's names no cell, as
every LSTM file did before the other cells existed, so those files read unchanged. It is read with
``allow_pickle=False``, so loading never runs code, and every array's header is checked before its
data is read, so a file cannot claim gigabytes.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from typing import IO

import numpy as np

from .config import CELL_CONFIGS, HiddenStateConfig, LSTMConfig, config_from_dict, parse_json
from .params import LSTMParams, WeightArrays, check_params, expected_shapes

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


def open_npz(file: str | os.PathLike | IO[bytes], what: str) -> np.lib.npyio.NpzFile:
    """``file`` opened as an .npz archive without pickle; a ValueError naming ``what`` was expected
    (e.g. "a weight file (.npz)") if it is not readable or is a single .npy array."""
    try:
        archive = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"This is not {what} the app can read ({error}).") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"This is a single array (.npy), not {what}.")
    return archive


def load_params(file: str | os.PathLike | IO[bytes], cell: str | None = None) -> tuple[AnyConfig, WeightArrays]:
    """Read a file written by :func:`save_params`, checking everything before trusting it.

    Returns the config and the params of the cell the file holds, or, with ``cell`` (``"lstm"``,
    ``"basic_rnn"``, ``"gru"``), only of that cell: a reader that expects an LSTM gets a clear
    ValueError for a GRU's file instead of weights it would misread, and the other way round.

    Raises ValueError with a message a learner can act on for anything that is not a valid
    weight file for its own config: not an .npz, no config, another cell than ``cell``, unknown
    arrays, wrong shapes or dtypes, non-finite values, or more values than :data:`MAX_FILE_VALUES`.
    """
    if cell is not None and cell not in CELL_CONFIGS:
        raise ValueError(f"Unknown cell {cell!r}; accepted: {', '.join(CELL_CONFIGS)}.")
    archive = open_npz(file, "a weight file (.npz) with a config")
    with archive:
        names = set(archive.files)
        config = read_text(
            archive,
            "config",
            missing="The weight file has no 'config' entry: save it with the app or save_params().",
            not_text="The weight file's 'config' entry must be JSON text.",
        )
        data = parse_json(config)
        # Read by the expected cell's own class, so that another cell's file is refused by name.
        cfg = config_from_dict(data) if cell is None else CELL_CONFIGS[cell].from_dict(data)
        shapes = expected_shapes(cfg)
        unknown = sorted(names - {"format", "config", *shapes})
        if unknown:
            raise ValueError(f"The weight file holds unknown entries: {', '.join(unknown)}.")
        needed = sum(int(np.prod(shape)) for shape in shapes.values() if shape is not None)
        if needed > MAX_FILE_VALUES:
            raise ValueError(f"This configuration needs {needed:,} weights; the limit is {MAX_FILE_VALUES:,}.")
        arrays: dict[str, np.ndarray | None] = {}
        for name, shape in shapes.items():
            if name not in names or shape is None:
                arrays[name] = None
                continue
            # Generous, so a slightly wrong shape gets check_params' clear shape message below,
            # but a file claiming far more than the config needs is refused before it is read.
            array = read_array(archive, name, max(4 * int(np.prod(shape)), 4096))
            if array.dtype.kind not in "fiu":
                raise ValueError(f"'{name}' must hold real numbers, not {array.dtype}.")
            arrays[name] = array
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


def read_text(archive: np.lib.npyio.NpzFile, name: str, *, missing: str, not_text: str) -> str:
    """The one text value stored as entry ``name`` (e.g. a configuration as JSON); a ValueError with
    ``missing`` if there is no such entry, ``not_text`` if it holds something else."""
    if name not in archive.files:
        raise ValueError(missing)
    entry = read_array(archive, name, 1)
    if entry.dtype.kind not in "US":
        raise ValueError(not_text)
    return str(entry.reshape(-1)[0])


def read_array(archive: np.lib.npyio.NpzFile, name: str, max_values: int) -> np.ndarray:
    """One array of ``archive``, refusing object arrays and ones claiming over ``max_values`` values."""
    try:
        with archive.zip.open(f"{name}.npy") as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"'{name}' in the weight file is not a readable array ({error}).") from None
    if dtype.hasobject:
        raise ValueError(f"'{name}' holds Python objects; only numbers and text are accepted.")
    count = int(np.prod(shape))
    if count > max_values:
        raise ValueError(f"'{name}' claims {count:,} values, far more than its configuration needs; refused unread.")
    try:
        return archive[name]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"'{name}' in the weight file is damaged ({error}).") from None
