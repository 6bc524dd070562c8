"""Weights in and out: the project's .npz formats.

One layer (:func:`save_params`): the arrays of the cell's params record (:class:`LSTMParams`,
:class:`BasicRNNParams` or :class:`GRUParams`) by field name, ``config`` (the config as JSON text)
and ``format``. The config says which cell it is: ``"cell": "basic_rnn"`` or ``"gru"``; an LSTM's
names no cell, as every LSTM file did before the other cells existed, so those files read
unchanged. A stack of LSTM layers (:func:`save_stack`, e.g. the LSTM layers of a Keras or PyTorch
model): ``configs`` (a JSON list of LSTMConfigs), ``meta`` (JSON: where the weights came from) and
the arrays as ``layer<k>.<field>``, the naming of the app's trained-model files. It is read by
:class:`lstm_core.safe_npz.SafeNpz`, which never unpickles (loading never runs code) and checks every
size before it unpacks or allocates, so a file cannot claim gigabytes.
"""

from __future__ import annotations

import io
import json
import os
from typing import IO

import numpy as np

from .config import CELL_CONFIGS, HiddenStateConfig, LSTMConfig, config_from_dict, parse_json
from .params import LSTMParams, WeightArrays, check_params, expected_shapes
from .quoting import listed, shown
from .safe_npz import DEFAULT_LIMITS, Limits, SafeNpz

FORMAT = "lstm-explainer-params/1"
STACK_FORMAT = "lstm-explainer-stack/1"
#: The most layers a stack file may hold.
MAX_STACK_LAYERS = 16
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
        return _read_params(archive, cell, limits)


def _read_params(archive: SafeNpz, cell: str | None, limits: Limits) -> tuple[AnyConfig, WeightArrays]:
    """The one layer of an open :func:`save_params` archive."""
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


def layer_entries(configs: list[LSTMConfig] | tuple[LSTMConfig, ...]) -> dict[str, tuple[int, ...]]:
    """``{"layer<k>.<field>": shape}`` of every array the stack ``configs`` needs."""
    return {
        f"layer{k}.{name}": shape
        for k, cfg in enumerate(configs)
        for name, shape in expected_shapes(cfg).items()
        if shape is not None
    }


def check_headers(archive: SafeNpz, shapes: dict[str, tuple[int, ...]]) -> None:
    """Every entry of ``shapes`` is in ``archive`` with exactly that shape, from the headers alone."""
    for name, shape in shapes.items():
        if name not in archive:
            raise ValueError(f"'{name}' is missing")
        found = archive.header(name)[0]
        if found != tuple(shape):
            raise ValueError(f"'{name}' has shape {found}, but its configuration needs {tuple(shape)}")


def read_layers(
    archive: SafeNpz, configs: list[LSTMConfig] | tuple[LSTMConfig, ...], dtype: type | None = None
) -> list[LSTMParams]:
    """The arrays ``layer<k>.<field>`` of ``archive`` for ``configs``: every header checked against its
    shape before any array is read, then each layer validated by check_params (as ``dtype``; by
    default float32 stays float32, anything else becomes float64)."""
    entries = layer_entries(configs)
    check_headers(archive, entries)
    arrays = {name: archive.array(name) for name in entries}
    layers = []
    for k, cfg in enumerate(configs):
        prefix = f"layer{k}."
        layer = LSTMParams(**{n[len(prefix) :]: a for n, a in arrays.items() if n.startswith(prefix)})
        layers.append(check_params(cfg, layer, dtype or _float_dtype(layer)))
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
        checked = check_params(cfg, layer, _float_dtype(layer))
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


def load_stack(
    file: str | os.PathLike | IO[bytes] | bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[LSTMConfig], list[LSTMParams], dict]:
    """Read a :func:`save_stack` file, or a :func:`save_params` file of an LSTM layer as a stack of
    one layer: (configs, params, meta). Checked as :func:`load_params` checks a layer."""
    with SafeNpz(file, "a weight file (.npz) of the app", limits) as archive:
        if "configs" not in archive:
            cfg, params = _read_params(archive, "lstm", limits)
            return [cfg], [params], {}
        try:
            layers = json.loads(archive.text("configs", missing="", not_text="its 'configs' is not JSON text"))
            if not isinstance(layers, list) or not 1 <= len(layers) <= min(MAX_STACK_LAYERS, limits.max_layers):
                raise ValueError(f"it must list 1 to {min(MAX_STACK_LAYERS, limits.max_layers)} layer configurations")
            configs = [LSTMConfig.from_dict(layer) for layer in layers]
            for cfg in configs:
                check_size(cfg, limits)
            unknown = sorted(set(archive.names) - {"format", "configs", "meta", *layer_entries(configs)})
            if unknown:
                raise ValueError(f"unknown entries {listed(unknown)}")
            params = read_layers(archive, configs)
            meta = {}
            if "meta" in archive:
                meta = json.loads(archive.text("meta", missing="", not_text="its 'meta' is not JSON text"))
        except (ValueError, TypeError, RecursionError) as error:
            raise ValueError(f"Not a layer-stack file of this app: {error}") from None
    return configs, params, meta if isinstance(meta, dict) else {}


def check_size(cfg: AnyConfig, limits: Limits) -> None:
    """Refuse a configuration larger than ``limits`` allow (before any of its weights are read)."""
    for name, value, high in (
        ("num_units", cfg.num_units, limits.max_units),
        ("num_proj", getattr(cfg, "num_proj", None) or 0, limits.max_units),
        ("input_size", cfg.input_size, limits.max_input_size),
    ):
        if value > high:
            raise ValueError(f"The file's cell has {name} = {value:,}; the app accepts at most {high:,}.")
