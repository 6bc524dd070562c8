"""Weights in and out: the project's .npz formats.

One layer (:func:`save_params`): the arrays of :class:`LSTMParams` by field name, ``config`` (the
LSTMConfig as JSON text) and ``format``. A stack of layers (:func:`save_stack`, e.g. the LSTM
layers of a Keras or PyTorch model): ``configs`` (a JSON list of LSTMConfigs), ``meta`` (JSON: where
the weights came from) and the arrays as ``layer<k>.<field>``, the naming of the app's
trained-model files. Both are read with ``allow_pickle=False``, so loading never runs code, and
every array's header is checked before its data is read, so a file cannot claim gigabytes.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from typing import IO

import numpy as np

from .config import LSTMConfig
from .params import PEEPHOLE_FIELDS, LSTMParams, check_params, expected_shapes

FORMAT = "lstm-explainer-params/1"
STACK_FORMAT = "lstm-explainer-stack/1"
#: The most layers a stack file may hold.
MAX_STACK_LAYERS = 16
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


def load_params(file: str | os.PathLike | IO[bytes]) -> tuple[LSTMConfig, LSTMParams]:
    """Read a file written by :func:`save_params`, checking everything before trusting it.

    Raises ValueError with a message a learner can act on for anything that is not a valid
    weight file for its own config: not an .npz, no config, unknown arrays, wrong shapes or
    dtypes, non-finite values, or more values than :data:`MAX_FILE_VALUES`.
    """
    with open_npz(file, "a weight file (.npz) with a config") as archive:
        return _read_params(archive)


def _read_params(archive: np.lib.npyio.NpzFile) -> tuple[LSTMConfig, LSTMParams]:
    """The one layer of an open :func:`save_params` archive."""
    names = set(archive.files)
    unknown = sorted(names - {"format", "config", *_ARRAY_FIELDS})
    if unknown:
        raise ValueError(f"The weight file holds unknown entries: {', '.join(unknown)}.")
    config = read_text(
        archive,
        "config",
        missing="The weight file has no 'config' entry: save it with the app or save_params().",
        not_text="The weight file's 'config' entry must be JSON text.",
    )
    cfg = LSTMConfig.from_json(config)
    shapes = expected_shapes(cfg)
    needed = sum(int(np.prod(shape)) for shape in shapes.values() if shape is not None)
    if needed > MAX_FILE_VALUES:
        raise ValueError(f"This configuration needs {needed:,} weights; the limit is {MAX_FILE_VALUES:,}.")
    arrays: dict[str, np.ndarray | None] = {}
    for name in _ARRAY_FIELDS:
        shape = shapes[name]
        if name not in names or shape is None:
            arrays[name] = None
            continue
        # Generous, so a slightly wrong shape gets check_params' clear shape message below,
        # but a file claiming far more than the config needs is refused before it is read.
        array = read_array(archive, name, max(4 * int(np.prod(shape)), 4096))
        if array.dtype.kind not in "fiu":
            raise ValueError(f"'{name}' must hold real numbers, not {array.dtype}.")
        arrays[name] = array
    if arrays["kernel"] is None or arrays["bias"] is None:
        raise ValueError("The weight file needs both 'kernel' and 'bias'.")
    params = check_params(cfg, LSTMParams(**arrays), _float_dtype(arrays["kernel"]))
    return cfg, params


def layer_entries(configs: list[LSTMConfig] | tuple[LSTMConfig, ...]) -> dict[str, tuple[int, ...]]:
    """``{"layer<k>.<field>": shape}`` of every array the stack ``configs`` needs."""
    return {
        f"layer{k}.{name}": shape
        for k, cfg in enumerate(configs)
        for name, shape in expected_shapes(cfg).items()
        if shape is not None
    }


def read_layers(
    archive: np.lib.npyio.NpzFile, configs: list[LSTMConfig] | tuple[LSTMConfig, ...], dtype: type | None = None
) -> list[LSTMParams]:
    """The arrays ``layer<k>.<field>`` of ``archive`` for ``configs``, each header checked against its
    shape before it is read, then validated by check_params (as ``dtype``; by default float32 stays float32, else float64)."""
    arrays = {}
    for name, shape in layer_entries(configs).items():
        if name not in archive.files:
            raise ValueError(f"'{name}' is missing")
        arrays[name] = read_array(archive, name, int(np.prod(shape)))
    layers = []
    for k, cfg in enumerate(configs):
        prefix = f"layer{k}."
        layer = LSTMParams(**{n[len(prefix) :]: a for n, a in arrays.items() if n.startswith(prefix)})
        layers.append(check_params(cfg, layer, dtype or _float_dtype(layer.kernel)))
    return layers


def save_stack(
    file: str | os.PathLike | IO[bytes],
    configs: list[LSTMConfig] | tuple[LSTMConfig, ...],
    params: list[LSTMParams] | tuple[LSTMParams, ...],
    meta: dict | None = None,
) -> None:
    """Write stacked layers (``configs[k]`` with ``params[k]``) and ``meta`` (plain JSON values) to
    ``file`` as one .npz, read back by :func:`load_stack`."""
    if not 1 <= len(configs) == len(params) <= MAX_STACK_LAYERS:
        raise ValueError(f"A stack needs 1 to {MAX_STACK_LAYERS} layers, each with its params.")
    arrays = {}
    for k, (cfg, layer) in enumerate(zip(configs, params, strict=True)):
        checked = check_params(cfg, layer, _float_dtype(layer.kernel))
        arrays.update({f"layer{k}.{name}": a for name, a in checked.arrays().items()})
    np.savez(
        file,
        format=np.array(STACK_FORMAT),
        configs=np.array(json.dumps([cfg.to_dict() for cfg in configs])),
        meta=np.array(json.dumps(meta or {})),
        **arrays,
    )


def stack_to_bytes(configs, params, meta: dict | None = None) -> bytes:
    """:func:`save_stack` into memory (for a download button)."""
    buffer = io.BytesIO()
    save_stack(buffer, configs, params, meta)
    return buffer.getvalue()


def load_stack(file: str | os.PathLike | IO[bytes]) -> tuple[list[LSTMConfig], list[LSTMParams], dict]:
    """Read a :func:`save_stack` file, or a :func:`save_params` file as a stack of one layer:
    (configs, params, meta). Checked as :func:`load_params` checks a layer."""
    with open_npz(file, "a weight file (.npz) of the app") as archive:
        if "configs" not in archive.files:
            cfg, params = _read_params(archive)
            return [cfg], [params], {}
        try:
            configs_text = read_text(archive, "configs", missing="", not_text="its 'configs' is not JSON text")
            layers = json.loads(configs_text)
            if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_STACK_LAYERS:
                raise ValueError(f"it must list 1 to {MAX_STACK_LAYERS} layer configurations")
            configs = [LSTMConfig.from_dict(layer) for layer in layers]
            unknown = sorted(set(archive.files) - {"format", "configs", "meta", *layer_entries(configs)})
            if unknown:
                raise ValueError(f"unknown entries {', '.join(unknown)}")
            params = read_layers(archive, configs)
            meta = {}
            if "meta" in archive.files:
                meta = json.loads(read_text(archive, "meta", missing="", not_text="its 'meta' is not JSON text"))
        except (ValueError, TypeError, RecursionError) as error:
            raise ValueError(f"Not a layer-stack file of this app: {error}") from None
    return configs, params, meta if isinstance(meta, dict) else {}


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
    # A text entry is one value, but one value of text can claim any length: its bytes count too.
    if count > max_values or count * dtype.itemsize > max(8 * max_values, 2**20):
        raise ValueError(f"'{name}' claims {count:,} values, far more than its configuration needs; refused unread.")
    try:
        return archive[name]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"'{name}' in the weight file is damaged ({error}).") from None
