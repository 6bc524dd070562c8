"""Open a learner's own trained LSTM: a Keras or PyTorch model file, read as data, never run as code.

Accepted (see :func:`open_model`):

- Keras 3 ``model.save("m.keras")``: a zip of ``config.json``, ``metadata.json`` and
  ``model.weights.h5``;
- tf.keras / Keras 2 ``model.save("m.h5")``: HDF5 with the config in its ``model_config`` attribute;
- weights only (Keras 3 ``m.weights.h5``, Keras 2 ``save_weights("m.h5")``) with the model's config
  given beside them (``model.to_json()`` or a .keras file's ``config.json``);
- PyTorch safetensors (``save_file(model.state_dict(), "m.safetensors")``) of an ``nn.LSTM`` or a
  module holding one, under any prefix (``encoder.lstm.weight_ih_l0``).

Every LSTM layer becomes a layer of the stack, in order, as (LSTMConfig, LSTMParams) ready for
:func:`lstm_core.run_stack`; other layers are listed by name and kind and not run. The reader
never imports Keras or PyTorch and never unpickles: HDF5 is read with h5py (links, external
storage and filters checked before any data is read), safetensors by its documented header, and a
``.pt``/``.pth`` pickle is refused with the one-line export to safetensors. What a file may carry
that the cell cannot run exactly is refused by name (Keras's ``unit_forget_bias`` only initialises
the bias, so it needs nothing: the trained bias is read, and ``forget_bias`` stays 0 as Keras adds
none at run time; dropout is not applied, as Keras applies it only in training) (:data:`REFUSED_LAYERS`,
:data:`REFUSED_OPTIONS`). Every cap below is checked before the data it limits is read, and
every problem is a ValueError a learner can read.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import re
import zlib
from dataclasses import dataclass, replace
from typing import IO, Any

import numpy as np

from .config import HARD_SIGMOID_NAMES, MAX_INPUT_SIZE, MAX_UNITS, LSTMConfig
from .convert import from_keras, from_torch
from .data_files import read_upload
from .forward import run_stack
from .params import LSTMParams
from .safe_archive import SafeZip, ZipLimits
from .trace import Trace
from .weights_io import save_params, stack_to_bytes

#: Caps on what a model file may be or claim, all checked before the data they limit is read.
MAX_MODEL_BYTES = 64 * 2**20  # the whole upload
MAX_CONFIG_BYTES = 2**20  # a model's JSON config (config.json, model_config, to_json())
MAX_ARRAYS = 1024  # datasets (HDF5) or tensors (safetensors) in one file
MAX_ARRAY_VALUES = 16_000_000  # values one array may claim (64 MB as float32)
MAX_HDF5_DEPTH = 12  # groups inside groups
MAX_HDF5_OBJECTS = 4096  # links of all groups together
MAX_MODEL_LAYERS = 256  # layers a model's config may list
MAX_LSTM_LAYERS = 16  # LSTM layers run as a stack
MAX_SAFETENSORS_HEADER = 2**20  # a safetensors file's JSON header
#: A .keras zip: its members, each inflated, and all of them together.
KERAS_ZIP_LIMITS = ZipLimits(max_members=64, max_member_bytes=MAX_MODEL_BYTES, max_total_bytes=MAX_MODEL_BYTES)

#: Layers refused by name (Keras class names; PyTorch GRU and RNN state dicts map to GRU and
#: SimpleRNN). The one place to change when the app gets more cells: a kind that gains a reader
#: leaves this table.
REFUSED_LAYERS: dict[str, str] = {
    "GRU": "a GRU layer; the app runs LSTM cells only so far",
    "SimpleRNN": "a plain RNN layer (SimpleRNN, nn.RNN); the app runs LSTM cells only so far",
    "CuDNNGRU": "a CuDNNGRU layer; the app runs LSTM cells only so far",
    "CuDNNLSTM": "a CuDNNLSTM layer (TensorFlow 1.x's GPU LSTM, with two biases and no options)",
    "Bidirectional": "a bidirectional layer (it also runs the sequence backwards and joins both)",
    "ConvLSTM1D": "a convolutional LSTM",
    "ConvLSTM2D": "a convolutional LSTM",
    "ConvLSTM3D": "a convolutional LSTM",
    "RNN": "a generic RNN layer around a cell (keras.layers.RNN)",
    "Masking": "masking (a Masking layer skips steps; the app runs every step)",
}
#: LSTM options refused by name: what they would change is not in the app's cell.
REFUSED_OPTIONS: dict[str, str] = {
    "go_backwards": "go_backwards (the layer reads each sequence from its end)",
    "stateful": "stateful (the layer carries its state from one batch to the next)",
    "mask_zero": "masking (mask_zero=True skips the padding steps; the app runs every step)",
}
#: Layers that do nothing when a model runs (Keras applies them only in training): they may sit
#: between two LSTM layers, which are then still fed by each other.
PASS_THROUGH = {
    "Dropout",
    "SpatialDropout1D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
}
#: Keras activation names -> the app's (``linear`` is the app's ``identity``).
KERAS_ACTIVATIONS = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "softsign": "softsign", "linear": "identity"}

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: What h5py raises on a damaged file (besides ValueError), found by bench/fuzz.py.
_HDF5_ERRORS = (OSError, RuntimeError, KeyError, TypeError, OverflowError, IndexError, AttributeError, SystemError)
_SAFETENSORS_DTYPES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip
_TORCH_KEY = re.compile(
    r"^(?P<module>(?:.+\.)?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)(?P<reverse>_reverse)?$"
)
TORCH_EXPORT = 'from safetensors.torch import save_file; save_file(model.state_dict(), "model.safetensors")'


class ConfigNeeded(ValueError):
    """A weights-only Keras file was given without the model's config: give it with ``config=``."""


@dataclass(frozen=True)
class SkippedLayer:
    """A layer of the model that is listed, not run."""

    name: str
    kind: str  # "Embedding", "Dense", ... (Keras); "tensors" (PyTorch, where a state dict has no kinds)


@dataclass(frozen=True, eq=False)
class OpenedModel:
    """What was read from a model file.

    Attributes
    ----------
    description : str
        One line: ``"Keras 3 model 'sentiment': Embedding(skipped), LSTM(64) -> LSTM(32), Dense(skipped)"``.
    layers : tuple of (LSTMConfig, LSTMParams)
        The LSTM layers, in order: layer k's outputs are layer k+1's inputs.
    layer_names : tuple of str
        Each LSTM layer's name in the file.
    skipped : tuple of SkippedLayer
        Every other layer, in the file's order.
    library : str
        ``"Keras 3"``, ``"Keras 2"`` or ``"PyTorch"``.
    version : str
        The writing library's version as the file states it ("" where it does not).
    recurrent_activation : str
        The gates' function used (``LSTMConfig.recurrent_activation``), the same for every layer.
    notes : tuple of str
        What a learner should know: which hard sigmoid was used and why, what is not applied.
    """

    description: str
    layers: tuple[tuple[LSTMConfig, LSTMParams], ...]
    layer_names: tuple[str, ...]
    skipped: tuple[SkippedLayer, ...]
    library: str
    version: str
    recurrent_activation: str
    notes: tuple[str, ...] = ()

    @property
    def configs(self) -> list[LSTMConfig]:
        return [cfg for cfg, _ in self.layers]

    @property
    def params(self) -> list[LSTMParams]:
        return [params for _, params in self.layers]

    @property
    def input_size(self) -> int:
        """Features per step the first LSTM layer reads."""
        return self.layers[0][0].input_size

    def run(self, inputs: object, sequence_length: object = None) -> list[Trace]:
        """:func:`lstm_core.run_stack` of the LSTM layers on ``inputs`` (batch, time, input_size)."""
        return run_stack(self.configs, self.params, inputs, sequence_length=sequence_length)

    def meta(self) -> dict[str, Any]:
        """Where the layers came from, as plain JSON values."""
        return {
            "description": self.description,
            "library": self.library,
            "version": self.version,
            "layer_names": list(self.layer_names),
            "skipped": [[layer.name, layer.kind] for layer in self.skipped],
            "notes": list(self.notes),
        }

    def to_npz_bytes(self) -> bytes:
        """All LSTM layers as one of the app's layer-stack files (:func:`lstm_core.weights_io.load_stack`)."""
        return stack_to_bytes(self.configs, self.params, self.meta())

    def layer_npz_bytes(self, k: int) -> bytes:
        """Layer ``k`` alone as the app's one-layer weight file (:func:`lstm_core.load_params`)."""
        buffer = io.BytesIO()
        save_params(buffer, *self.layers[k])
        return buffer.getvalue()


def open_model(
    file: bytes | str | os.PathLike | IO[bytes],
    name: str = "",
    *,
    config: bytes | str | dict | None = None,
    module: str | None = None,
) -> OpenedModel:
    """Read the LSTM layers of a Keras or PyTorch model file.

    Parameters
    ----------
    file : bytes, path or binary file
        The model file, at most :data:`MAX_MODEL_BYTES`. Its kind is read from its content
        (zip, HDF5, safetensors, pickle); ``name`` only helps the messages.
    name : str
        The file's name as uploaded ("m.keras").
    config : bytes, str or dict, optional
        The model's Keras config (``model.to_json()``, or a .keras file's ``config.json``), for a
        weights-only file, which does not say its architecture.
    module : str, optional
        For a PyTorch state dict holding several LSTM modules: which one (e.g. ``"encoder.lstm"``).

    Returns
    -------
    OpenedModel
    """
    data, lower = read_upload(file, name, MAX_MODEL_BYTES, "The model file")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _open_keras_zip(data)
    if data.startswith(_HDF5_MAGIC):
        return _open_keras_hdf5(data, _parse_config(config, "The config given with the weights") if config else None)
    if _looks_like_safetensors(data):
        return _open_safetensors(data, module)
    if data[:1] == b"\x80" or lower.endswith((".pt", ".pth", ".pkl", ".bin", ".ckpt")):
        raise ValueError(_pickle_refusal())
    if data.lstrip()[:1] == b"{":
        raise ValueError(
            "This is a JSON file, perhaps a model's config: open the weights file (.weights.h5) "
            "and give this config beside it."
        )
    raise ValueError(
        "This is not a model file the app opens. Accepted: a Keras model (.keras, or .h5 from "
        "tf.keras), Keras weights (.weights.h5) with the model's config, or PyTorch weights as "
        ".safetensors."
    )


def _pickle_refusal() -> str:
    return (
        "PyTorch .pt/.pth files are Python pickles: opening one runs whatever code it carries, so the "
        "app never opens them. Save the weights as safetensors instead (one line, in your own Python "
        f"session): {TORCH_EXPORT} -- and open model.safetensors."
    )


def _refuse(what: str, why: str) -> ValueError:
    return ValueError(f"This model cannot be opened: {what} is {why}.")


# --- Keras: the config --------------------------------------------------------------------------


def _parse_config(config: bytes | str | dict, what: str) -> dict:
    """A Keras model config as a dict: parsed from JSON text within :data:`MAX_CONFIG_BYTES`."""
    if isinstance(config, dict):
        return config
    if isinstance(config, bytes | bytearray):
        if len(config) > MAX_CONFIG_BYTES:
            raise ValueError(f"{what} is {len(config):,} bytes; at most {MAX_CONFIG_BYTES:,} are accepted.")
        try:
            config = bytes(config).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{what} is not UTF-8 text.") from None
    if not isinstance(config, str):
        raise ValueError(f"{what} must be JSON text or a dict, not {type(config).__name__}.")
    if len(config) > MAX_CONFIG_BYTES:
        raise ValueError(f"{what} is {len(config):,} characters; at most {MAX_CONFIG_BYTES:,} are accepted.")
    try:
        parsed = json.loads(config)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{what} is not valid JSON ({str(error)[:80]}).") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"{what} must be a JSON object (a Keras model config).")
    return parsed


@dataclass(frozen=True)
class _KerasLayer:
    kind: str
    name: str
    config: dict
    inbound: tuple[str, ...]


def _keras_layers(model_config: dict) -> tuple[str, str, list[_KerasLayer]]:
    """(model kind, model name, its layers in order) of a Keras 2 or Keras 3 model config."""
    kind = model_config.get("class_name")
    body = model_config.get("config")
    if kind not in ("Sequential", "Functional", "Model"):
        raise ValueError(
            f"The config describes a {str(kind)[:40]!r}, not a Keras Sequential or Functional model."
            if kind
            else "The config is not a Keras model config (no class_name)."
        )
    layers = body if isinstance(body, list) else body.get("layers") if isinstance(body, dict) else None
    if not isinstance(layers, list) or not layers:
        raise ValueError("The model config lists no layers.")
    if len(layers) > MAX_MODEL_LAYERS:
        raise ValueError(f"The model config lists {len(layers):,} layers; at most {MAX_MODEL_LAYERS} are accepted.")
    model_name = body.get("name", "") if isinstance(body, dict) else ""
    parsed = []
    for number, entry in enumerate(layers, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            raise ValueError(f"Layer {number} of the model config is not a layer (no class_name).")
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        layer_name = config.get("name", entry.get("name", f"layer {number}"))
        parsed.append(_KerasLayer(entry["class_name"], str(layer_name)[:100], config, _inbound(entry)))
    return kind, str(model_name)[:100], parsed


def _inbound(entry: dict) -> tuple[str, ...]:
    """Names of the layers feeding a Functional model's layer (Keras 2 and Keras 3 forms)."""
    names: list[str] = []

    def walk(value: Any, depth: int = 0) -> None:
        if depth > 20 or len(names) > 100:
            return
        if isinstance(value, dict):
            history = value.get("keras_history")  # Keras 3: {"keras_history": [name, node, tensor]}
            if isinstance(history, list) and history and isinstance(history[0], str):
                names.append(history[0])
            for key, item in value.items():
                if key != "keras_history":
                    walk(item, depth + 1)
        elif isinstance(value, list):
            if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):  # Keras 2
                names.append(value[0])
            else:
                for item in value:
                    walk(item, depth + 1)

    walk(entry.get("inbound_nodes", []))
    return tuple(dict.fromkeys(names))


def _check_chain(kind: str, layers: list[_KerasLayer], lstm_positions: list[int]) -> None:
    """The LSTM layers must feed each other directly (through pass-through layers at most)."""
    by_name = {layer.name: layer for layer in layers}
    for previous, position in itertools.pairwise(lstm_positions):
        between = layers[previous + 1 : position]
        for layer in between:
            if layer.kind not in PASS_THROUGH:
                raise ValueError(
                    f"This model cannot be run as a stack of its LSTM layers: {layer.kind} layer "
                    f"'{layer.name}' sits between LSTM layers '{layers[previous].name}' and "
                    f"'{layers[position].name}'; only Dropout-like layers, which do nothing when a model "
                    "runs, may sit between them."
                )
        if kind == "Sequential":
            continue
        source = layers[position]
        for _ in range(len(layers)):
            if len(source.inbound) != 1 or source.inbound[0] not in by_name:
                break
            source = by_name[source.inbound[0]]
            if source is layers[previous] or source.kind not in PASS_THROUGH:
                break
        if source is not layers[previous]:
            raise ValueError(
                f"This model cannot be run as a stack of its LSTM layers: LSTM layer '{layers[position].name}' "
                f"is not fed by LSTM layer '{layers[previous].name}' alone."
            )


def _gate_function(name: Any, major: int, layer: str) -> str:
    """LSTMConfig.recurrent_activation for a Keras ``recurrent_activation``."""
    if name == "sigmoid":
        return "sigmoid"
    if name == "hard_sigmoid":  # Keras 2 and Keras 3 define it differently: the file's version decides
        return "hard_sigmoid_keras3" if major >= 3 else "hard_sigmoid"
    shown = name if isinstance(name, str) else "a custom function"
    raise _refuse(
        f"LSTM layer '{layer}'",
        f"using recurrent_activation {str(shown)[:40]!r} (the app's gates are sigmoid or hard_sigmoid)",
    )


def _lstm_options(layer: _KerasLayer, major: int) -> tuple[str, str, bool, list[str]]:
    """(activation, recurrent_activation, use_bias, notes) of a Keras LSTM layer, or a refusal."""
    config = layer.config
    for option, why in REFUSED_OPTIONS.items():
        if config.get(option):
            raise _refuse(f"LSTM layer '{layer.name}'", f"using {why}")
    activation = config.get("activation", "tanh")
    if not isinstance(activation, str) or activation not in KERAS_ACTIVATIONS:
        shown = activation if isinstance(activation, str) else "a custom function"
        raise _refuse(
            f"LSTM layer '{layer.name}'",
            f"using activation {str(shown)[:40]!r} (the app's cell has {', '.join(KERAS_ACTIVATIONS)})",
        )
    gates = _gate_function(config.get("recurrent_activation", "sigmoid"), major, layer.name)
    notes = []
    if any(isinstance(config.get(k), int | float) and config.get(k) > 0 for k in ("dropout", "recurrent_dropout")):
        notes.append(f"layer '{layer.name}': its dropout is not applied (Keras applies it only in training)")
    return KERAS_ACTIVATIONS[activation], gates, config.get("use_bias", True) is not False, notes


def _keras_major(version: str) -> int:
    match = re.match(r"\s*(\d+)\.", version or "")
    return int(match.group(1)) if match else 0


def _describe(head: str, parts: list[tuple[str, bool]]) -> str:
    """``head: A(skipped), LSTM(4) -> Dropout(skipped) -> LSTM(2), B(skipped)``: the LSTM chain
    joined by arrows, the rest by commas. ``parts`` is (text, is_lstm) in the file's order."""
    lstm = [k for k, (_, is_lstm) in enumerate(parts) if is_lstm]
    text = ""
    for k, (part, _) in enumerate(parts):
        if k:
            text += " -> " if lstm[0] < k <= lstm[-1] else ", "
        text += part
    return f"{head}: {text}"


# --- Keras: the files ---------------------------------------------------------------------------


def _open_keras_zip(data: bytes) -> OpenedModel:
    archive = SafeZip(data, "a Keras 3 model (.keras)", KERAS_ZIP_LIMITS)
    names = archive.names()
    if any(n.endswith("data.pkl") for n in names):
        raise ValueError(_pickle_refusal())
    if "config.json" not in names or "model.weights.h5" not in names:
        raise ValueError("This zip archive is not a Keras 3 model (.keras): it needs config.json and model.weights.h5.")
    config = _parse_config(archive.read("config.json", MAX_CONFIG_BYTES), "The model's config.json")
    version = ""
    if "metadata.json" in names:
        metadata = _parse_config(archive.read("metadata.json", MAX_CONFIG_BYTES), "The model's metadata.json")
        version = str(metadata.get("keras_version", ""))[:20]
    return _open_keras_hdf5(archive.read("model.weights.h5"), config, version or "3")


def _open_keras_hdf5(data: bytes, given_config: dict | None, zip_version: str | None = None) -> OpenedModel:
    with _Hdf5(data) as h5:
        root = h5.file
        model_config_text = h5.attr_text(root, "model_config")
        keras3_layout = "layers" in root and "layer_names" not in root.attrs and "model_weights" not in root
        version = zip_version or h5.attr_text(root, "keras_version") or ""
        if model_config_text is not None:
            config = _parse_config(model_config_text, "The file's model_config")
        elif given_config is not None:
            config = given_config
        else:
            raise ConfigNeeded(
                "This is a Keras weights file without the model's architecture: give the model's config "
                "beside it (model.to_json(), or config.json from a .keras file)."
            )
        if not version:
            version = str(config.get("keras_version", ""))[:20]
        major = _keras_major(version) or (3 if keras3_layout else 2)
        if major < 2:
            raise ValueError(f"This file was written by Keras {version}; Keras 2 and 3 files are accepted.")
        kind, model_name, layers = _keras_layers(config)
        positions = [k for k, layer in enumerate(layers) if layer.kind == "LSTM"]
        for layer in layers:
            if layer.kind in REFUSED_LAYERS:
                raise _refuse(f"layer '{layer.name}'", REFUSED_LAYERS[layer.kind])
            if layer.kind in ("Sequential", "Functional", "Model"):
                raise _refuse(f"layer '{layer.name}'", "a model inside the model; save the inner model on its own")
            if layer.config.get("mask_zero"):
                raise _refuse(f"layer '{layer.name}'", f"using {REFUSED_OPTIONS['mask_zero']}")
        if not positions:
            raise ValueError(
                f"This Keras model has no LSTM layer (its layers: {', '.join(x.kind for x in layers)[:200]})."
            )
        if len(positions) > MAX_LSTM_LAYERS:
            raise ValueError(f"This model has {len(positions)} LSTM layers; at most {MAX_LSTM_LAYERS} are run.")
        _check_chain(kind, layers, positions)
        weights = _keras3_weights if keras3_layout else _keras2_weights
        stack, notes, parts, skipped = [], [], [], []
        for layer in layers:
            if layer.kind == "InputLayer":
                continue
            if layer.kind != "LSTM":
                skipped.append(SkippedLayer(layer.name, layer.kind))
                parts.append((f"{layer.kind}(skipped)", False))
                continue
            activation, gates, use_bias, layer_notes = _lstm_options(layer, major)
            units = layer.config.get("units")
            if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
                raise ValueError(
                    f"LSTM layer '{layer.name}' has units {str(units)[:20]}; 1 to {MAX_UNITS} are accepted."
                )
            input_size = stack[-1][0].num_units if stack else None
            arrays = weights(h5, len(stack), layer.name, units, input_size, use_bias)
            cfg, params = from_keras(*arrays, activation=activation)
            stack.append((replace(cfg, recurrent_activation=gates), params))
            notes += layer_notes
            parts.append((f"LSTM({units})", True))
    library = f"Keras {major}"
    for gates in sorted({cfg.recurrent_activation for cfg, _ in stack} - {"sigmoid"}):
        written = f"Keras {version}" if version and version != "3" else library
        notes.insert(0, f"hard_sigmoid is read as {HARD_SIGMOID_NAMES[gates]}, as the file was written by {written}")
    all_gates = {cfg.recurrent_activation for cfg, _ in stack}
    if len(all_gates) > 1:
        notes.append("the layers' gates differ: " + ", ".join(sorted(all_gates)))
    return OpenedModel(
        description=_describe(f"{library} model '{model_name}'", parts),
        layers=tuple(stack),
        layer_names=tuple(layers[k].name for k in positions),
        skipped=tuple(skipped),
        library=library,
        version=version if version != "3" else "",
        recurrent_activation=stack[0][0].recurrent_activation,
        notes=tuple(notes),
    )


def _lstm_shapes(units: int, input_size: int | None, use_bias: bool, kernel_shape: tuple) -> list[tuple | None]:
    if input_size is None:  # the first layer: its input size is what its kernel says
        if len(kernel_shape) != 2 or not 1 <= kernel_shape[0] <= MAX_INPUT_SIZE:
            raise ValueError(
                f"The first LSTM layer's kernel has shape {kernel_shape}; expected (input_size, {4 * units})."
            )
        input_size = kernel_shape[0]
    return [(input_size, 4 * units), (units, 4 * units), (4 * units,) if use_bias else None]


def _keras3_weights(h5: _Hdf5, index: int, name: str, units: int, input_size: int | None, use_bias: bool) -> list:
    # Keras 3 names each layer's group by its class, numbered in order: lstm, lstm_1, lstm_2 ...
    path = f"layers/{'lstm' if index == 0 else f'lstm_{index}'}/cell/vars"
    group = h5.group(path, f"the weights of LSTM layer '{name}'")
    shapes = _lstm_shapes(units, input_size, use_bias, h5.shape(group, "0", name))
    return [
        None if shape is None else h5.read(group, str(k), shape, f"LSTM layer '{name}'")
        for k, shape in enumerate(shapes)
    ]


def _keras2_weights(h5: _Hdf5, index: int, name: str, units: int, input_size: int | None, use_bias: bool) -> list:
    root = h5.file.get("model_weights", h5.file)
    group = h5.group(f"{root.name.rstrip('/')}/{name}", f"the weights of LSTM layer '{name}'")
    weight_names = h5.attr_names(group, "weight_names")
    if len(weight_names) != (3 if use_bias else 2):
        raise ValueError(
            f"LSTM layer '{name}' has {len(weight_names)} weights in the file; expected {3 if use_bias else 2}."
        )
    shapes = _lstm_shapes(units, input_size, use_bias, h5.shape(group, weight_names[0], name))
    return [
        None if shape is None else h5.read(group, wn, shape, f"LSTM layer '{name}'")
        for wn, shape in zip([*weight_names, None][:3], shapes, strict=True)
    ]


class _Hdf5:
    """An HDF5 file in memory, its whole tree checked against the caps when opened: only hard
    links, at most :data:`MAX_HDF5_DEPTH` deep and :data:`MAX_HDF5_OBJECTS` links, at most
    :data:`MAX_ARRAYS` datasets, each claiming at most :data:`MAX_ARRAY_VALUES` values, none
    virtual or stored in an external file."""

    def __init__(self, data: bytes) -> None:
        import h5py  # only the model reader needs it

        self.h5py = h5py
        try:
            self.file = h5py.File(io.BytesIO(data), "r")
        except (*_HDF5_ERRORS, ValueError) as error:
            raise ValueError(f"This HDF5 file is damaged or not a Keras file ({_short(error)}).") from None
        try:
            self._check_tree()
        except _HDF5_ERRORS as error:
            self.file.close()
            raise ValueError(f"This HDF5 file is damaged ({_short(error)}).") from None
        except ValueError:
            self.file.close()
            raise

    def __enter__(self) -> _Hdf5:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.file.close()
        if isinstance(error, _HDF5_ERRORS):
            raise ValueError(f"This HDF5 file is damaged ({_short(error)}).") from None

    def _check_tree(self) -> None:
        h5py = self.h5py
        pending, links, datasets = [(self.file, 0)], 0, 0
        while pending:
            group, depth = pending.pop()
            if depth > MAX_HDF5_DEPTH:
                raise ValueError(f"This HDF5 file nests groups more than {MAX_HDF5_DEPTH} deep; refused.")
            links += len(group)
            if links > MAX_HDF5_OBJECTS:
                raise ValueError(f"This HDF5 file holds more than {MAX_HDF5_OBJECTS:,} objects; refused.")
            for name in group:
                link = group.get(name, getlink=True)
                if isinstance(link, h5py.SoftLink | h5py.ExternalLink) or not isinstance(link, h5py.HardLink):
                    kind = "an external link" if isinstance(link, h5py.ExternalLink) else "a soft link"
                    raise ValueError(
                        f"This HDF5 file holds {kind} ({group.name}/{name}); a model file has none. Refused."
                    )
                item = group[name]
                if isinstance(item, h5py.Group):
                    pending.append((item, depth + 1))
                elif isinstance(item, h5py.Dataset):
                    datasets += 1
                    if datasets > MAX_ARRAYS:
                        raise ValueError(f"This HDF5 file holds more than {MAX_ARRAYS:,} datasets; refused.")
                    self._check_declared(item)

    def _check_declared(self, dataset) -> None:
        count = math.prod(dataset.shape or ())
        if count > MAX_ARRAY_VALUES or count * dataset.dtype.itemsize > 8 * MAX_ARRAY_VALUES:
            raise ValueError(
                f"The dataset {dataset.name} claims {count:,} values (at most {MAX_ARRAY_VALUES:,}); refused unread."
            )
        plist = dataset.id.get_create_plist()
        if dataset.is_virtual or plist.get_external_count():
            raise ValueError(f"The dataset {dataset.name} keeps its data in other files; refused.")
        if dataset.chunks is not None and math.prod(dataset.chunks) > MAX_ARRAY_VALUES:
            raise ValueError(
                f"The dataset {dataset.name} claims chunks of {math.prod(dataset.chunks):,} values; refused."
            )

    def group(self, path: str, what: str):
        item = self.file.get(path)
        if not isinstance(item, self.h5py.Group):
            raise ValueError(f"The file has no {what} (no {path}); is the config that of another model?")
        return item

    def shape(self, group, name: str, layer: str) -> tuple[int, ...]:
        item = group.get(name)
        if not isinstance(item, self.h5py.Dataset):
            raise ValueError(f"The weights of LSTM layer '{layer}' are missing ({group.name}/{name}).")
        return tuple(item.shape)

    def attr_text(self, item, name: str) -> str | None:
        """A text attribute (e.g. ``model_config``), its shape and size checked first."""
        if name not in item.attrs:
            return None
        attribute = self.h5py.h5a.open(item.id, name.encode())
        if attribute.shape not in ((), (1,)) or attribute.dtype.kind not in "SOU":
            raise ValueError(f"The attribute {name!r} is not text.")
        value = item.attrs[name]
        value = value.reshape(-1)[0] if isinstance(value, np.ndarray) else value
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str) or len(value) > MAX_CONFIG_BYTES:
            raise ValueError(f"The attribute {name!r} is not text of at most {MAX_CONFIG_BYTES:,} characters.")
        return value

    def attr_names(self, item, name: str) -> list[str]:
        """A list-of-names attribute (``weight_names``), its shape checked first."""
        if name not in item.attrs:
            raise ValueError(f"{item.name} has no {name!r}: this is not a Keras 2 weights file.")
        attribute = self.h5py.h5a.open(item.id, name.encode())
        if len(attribute.shape) != 1 or attribute.shape[0] > 16 or attribute.dtype.kind not in "SOU":
            raise ValueError(f"The attribute {name!r} of {item.name} is not a short list of names.")
        return [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in item.attrs[name]]

    def read(self, group, name: str, shape: tuple[int, ...], what: str) -> np.ndarray:
        """One float dataset of exactly ``shape``, checked before its data is read; finite."""
        dataset = group.get(name)
        if not isinstance(dataset, self.h5py.Dataset):
            raise ValueError(f"The weights of {what} are missing ({group.name}/{name}).")
        if tuple(dataset.shape) != shape:
            raise ValueError(
                f"The weights of {what} do not fit its config: {dataset.name} has shape {tuple(dataset.shape)}, "
                f"the config implies {shape}."
            )
        if dataset.dtype.kind != "f" or dataset.dtype.itemsize not in (2, 4, 8):
            raise ValueError(f"{dataset.name} holds {dataset.dtype} values; weights are floating-point numbers.")
        plist = dataset.id.get_create_plist()
        filters = [plist.get_filter(k)[0] for k in range(plist.get_nfilters())]
        if not filters:
            array = dataset[()]
        elif set(filters) <= {self.h5py.h5z.FILTER_DEFLATE, self.h5py.h5z.FILTER_SHUFFLE}:
            array = self._read_chunks(dataset, filters)
        else:
            raise ValueError(
                f"{dataset.name} is compressed with HDF5 filter {filters}; only deflate (gzip) and shuffle are accepted."
            )
        array = np.asarray(array, np.float64 if dataset.dtype.itemsize == 8 else np.float32)
        if not np.isfinite(array).all():
            raise ValueError(f"The weights of {what} contain NaN or infinite values ({dataset.name}).")
        return array

    def _read_chunks(self, dataset, filters: list[int]) -> np.ndarray:
        """A compressed dataset, each chunk inflated here under a hard cap of its own size (HDF5's
        own deflate filter grows its buffer as far as the data inflates)."""
        dataset_id, chunk, dtype = dataset.id, dataset.chunks, dataset.dtype
        chunk_bytes = math.prod(chunk) * dtype.itemsize
        expected = math.prod(math.ceil(s / c) for s, c in zip(dataset.shape, chunk, strict=True))
        if dataset_id.get_num_chunks() != expected:
            raise ValueError(f"{dataset.name} has {dataset_id.get_num_chunks()} chunks written, not {expected}.")
        out = np.empty(dataset.shape, dtype)
        for index in range(expected):
            info = dataset_id.get_chunk_info(index)
            if info.size > chunk_bytes + 4096:
                raise ValueError(f"A chunk of {dataset.name} is {info.size:,} bytes, more than it can hold.")
            mask, raw = dataset_id.read_direct_chunk(info.chunk_offset)
            for position in reversed(range(len(filters))):
                if mask & (1 << position):
                    continue  # this filter was skipped for this chunk
                if filters[position] == self.h5py.h5z.FILTER_DEFLATE:
                    inflater = zlib.decompressobj()
                    try:
                        raw = inflater.decompress(raw, chunk_bytes + 1)
                    except zlib.error as error:
                        raise ValueError(f"A chunk of {dataset.name} is damaged ({error}).") from None
                    if len(raw) != chunk_bytes or not inflater.eof:
                        raise ValueError(
                            f"A chunk of {dataset.name} does not inflate to the {chunk_bytes:,} bytes it claims; refused."
                        )
                elif len(raw) == chunk_bytes:  # shuffle: byte k of every value was stored together
                    raw = np.frombuffer(raw, np.uint8).reshape(dtype.itemsize, -1).T.tobytes()
            if len(raw) != chunk_bytes:
                raise ValueError(f"A chunk of {dataset.name} is {len(raw):,} bytes, not {chunk_bytes:,}.")
            block = np.frombuffer(raw, dtype).reshape(chunk)
            where = tuple(
                slice(o, min(o + c, s)) for o, c, s in zip(info.chunk_offset, chunk, dataset.shape, strict=True)
            )
            if any(o % c or o >= s for o, c, s in zip(info.chunk_offset, chunk, dataset.shape, strict=True)):
                raise ValueError(f"A chunk of {dataset.name} lies outside it.")
            out[where] = block[tuple(slice(0, w.stop - w.start) for w in where)]
        return out


def _short(error: BaseException) -> str:
    return str(error)[:120] or type(error).__name__


# --- PyTorch safetensors --------------------------------------------------------------------------


def _looks_like_safetensors(data: bytes) -> bool:
    return len(data) >= 10 and data[8:9] == b"{" and int.from_bytes(data[:8], "little") > 1


@dataclass(frozen=True)
class _Tensor:
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


def _safetensors_header(data: bytes) -> tuple[dict[str, _Tensor], memoryview]:
    """The tensors a safetensors file declares, each checked (dtype, shape, offsets in range, no
    overlaps or gaps), and the data buffer they index."""
    size = int.from_bytes(data[:8], "little")
    if size > MAX_SAFETENSORS_HEADER or 8 + size > len(data):
        raise ValueError(
            f"This safetensors file's header claims {size:,} bytes "
            f"({'more than the file holds' if 8 + size > len(data) else f'at most {MAX_SAFETENSORS_HEADER:,} are accepted'}); refused."
        )
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"This safetensors file's header is not valid JSON ({_short(error)}).") from None
    if not isinstance(header, dict):
        raise ValueError("This safetensors file's header is not a JSON object.")
    header.pop("__metadata__", None)
    if len(header) > MAX_ARRAYS:
        raise ValueError(
            f"This safetensors file declares {len(header):,} tensors; at most {MAX_ARRAYS:,} are accepted."
        )
    buffer = memoryview(data)[8 + size :]
    tensors = {}
    for name, entry in header.items():
        what = f"tensor {name[:80]!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"This safetensors file's {what} is not described by dtype, shape and data_offsets.")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(dtype, str) or dtype not in _SAFETENSORS_DTYPES:
            raise ValueError(f"This safetensors file's {what} has the unknown dtype {str(dtype)[:20]!r}.")
        if not isinstance(shape, list) or len(shape) > 8 or not all(_whole(n) for n in shape):
            raise ValueError(f"This safetensors file's {what} has no valid shape.")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_whole(n) for n in offsets):
            raise ValueError(f"This safetensors file's {what} has no valid data_offsets.")
        count = math.prod(shape)
        if count > MAX_ARRAY_VALUES:
            raise ValueError(
                f"This safetensors file's {what} claims {count:,} values (at most {MAX_ARRAY_VALUES:,}); refused."
            )
        start, end = offsets
        if not start <= end <= len(buffer) or end - start != count * _SAFETENSORS_DTYPES[dtype]:
            raise ValueError(
                f"This safetensors file's {what} lies about its data: offsets {offsets} for {count:,} "
                f"{dtype} values in {len(buffer):,} bytes of data."
            )
        tensors[name] = _Tensor(dtype, tuple(shape), start, end)
    position = 0
    for tensor in sorted(tensors.values(), key=lambda t: (t.start, t.end)):
        if tensor.start != position:
            raise ValueError("This safetensors file's tensors overlap or leave gaps; it is damaged.")
        position = tensor.end
    if position != len(buffer):
        raise ValueError("This safetensors file's data does not match its header; it is damaged.")
    return tensors, buffer


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _tensor_array(buffer: memoryview, name: str, tensor: _Tensor) -> np.ndarray:
    """One float tensor as float32 or float64 (float16 and bfloat16 widened to float32)."""
    raw = buffer[tensor.start : tensor.end]
    if tensor.dtype == "F64":
        array = np.frombuffer(raw, "<f8")
    elif tensor.dtype == "F32":
        array = np.frombuffer(raw, "<f4").astype(np.float32)
    elif tensor.dtype == "F16":
        array = np.frombuffer(raw, "<f2").astype(np.float32)
    elif tensor.dtype == "BF16":  # the top half of a float32
        array = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        raise ValueError(f"The tensor {name!r} holds {tensor.dtype} values; weights are floating-point numbers.")
    array = array.reshape(tensor.shape)
    if not np.isfinite(array).all():
        raise ValueError(f"The tensor {name!r} contains NaN or infinite values.")
    return array


def _open_safetensors(data: bytes, module: str | None) -> OpenedModel:
    tensors, buffer = _safetensors_header(data)
    modules: dict[str, dict[int, dict[str, str]]] = {}
    for name in tensors:
        match = _TORCH_KEY.match(name)
        if match is None:
            continue
        if match["reverse"]:
            owner = match["module"].rstrip(".")
            raise _refuse(f"module '{owner}'" if owner else "this nn.LSTM", REFUSED_LAYERS["Bidirectional"])
        modules.setdefault(match["module"].rstrip("."), {}).setdefault(int(match["layer"]), {})[match["kind"]] = name
    if not modules:
        raise ValueError("This safetensors file holds no nn.LSTM weights (weight_ih_l0, weight_hh_l0, ...).")
    if module is None and len(modules) > 1:
        raise ValueError(f"This state dict holds several recurrent modules ({', '.join(sorted(modules))}); choose one.")
    chosen = module if module is not None else next(iter(modules))
    if chosen not in modules:
        raise ValueError(f"The state dict has no module {chosen!r}; it has {', '.join(sorted(modules))}.")
    layers = modules[chosen]
    if sorted(layers) != list(range(len(layers))) or len(layers) > MAX_LSTM_LAYERS:
        raise ValueError(
            f"The module {chosen!r} has layers {sorted(layers)[:20]}; expected 0 to n - 1, n at most {MAX_LSTM_LAYERS}."
        )
    stack = []
    for k in range(len(layers)):
        names = layers[k]
        if "weight_ih" not in names or "weight_hh" not in names:
            raise ValueError(f"Layer {k} of {chosen!r} lacks weight_ih_l{k} or weight_hh_l{k}.")
        _check_torch_shapes(chosen, k, {kind: tensors[name].shape for kind, name in names.items()}, stack)
        arrays = {kind: _tensor_array(buffer, name, tensors[name]) for kind, name in names.items()}
        stack.append(
            from_torch(
                arrays["weight_ih"],
                arrays["weight_hh"],
                arrays.get("bias_ih"),
                arrays.get("bias_hh"),
                arrays.get("weight_hr"),
            )
        )
    lstm_names = {name for layer in layers.values() for name in layer.values()}
    skipped: list[SkippedLayer] = []
    parts: list[tuple[str, bool]] = []
    prefix = f"{chosen}." if chosen else ""
    for name in tensors:
        if name in lstm_names:
            if not parts or not parts[-1][1]:
                chain = " -> ".join(
                    f"LSTM({c.num_units}{f', proj {c.num_proj}' if c.num_proj else ''})" for c, _ in stack
                )
                parts.append((f"{chosen or 'nn.LSTM'}: {chain}" if chosen else chain, True))
            continue
        owner = name.rsplit(".", 1)[0] if "." in name else name
        if name.startswith(prefix) and prefix:
            owner = chosen
        if not any(s.name == owner for s in skipped):
            skipped.append(SkippedLayer(owner, "tensors"))
            parts.append((f"{owner}(skipped)", False))
    return OpenedModel(
        description=_describe("PyTorch state dict", parts),
        layers=tuple(stack),
        layer_names=tuple(f"{prefix}l{k}" for k in range(len(stack))),
        skipped=tuple(skipped),
        library="PyTorch",
        version="",
        recurrent_activation="sigmoid",
    )


def _check_torch_shapes(module: str, k: int, shapes: dict[str, tuple], below: list) -> None:
    """Refuse GRU / RNN weights by name and wrong shapes before any tensor is read."""
    ih, hh = shapes["weight_ih"], shapes["weight_hh"]
    where = f"layer {k} of module '{module}'" if module else f"layer {k} of this nn.LSTM"
    if len(ih) != 2 or len(hh) != 2:
        raise ValueError(f"The weights of {where} are not matrices (weight_ih {ih}, weight_hh {hh}).")
    hidden = shapes["weight_hr"][1] if "weight_hr" in shapes and len(shapes["weight_hr"]) == 2 else hh[1]
    rows = ih[0]
    if hidden and rows == 3 * hidden:
        raise _refuse(where, REFUSED_LAYERS["GRU"])
    if hidden and rows == hidden:
        raise _refuse(where, REFUSED_LAYERS["SimpleRNN"])
    if rows != 4 * hidden or hh[0] != rows or not 1 <= hidden <= MAX_UNITS:
        raise ValueError(f"The weights of {where} are not an LSTM's: weight_ih {ih}, weight_hh {hh}.")
    if below and ih[1] != below[-1][0].h_depth:
        raise ValueError(
            f"Layer {k} of {module!r} reads {ih[1]} values per step, but layer {k - 1} outputs {below[-1][0].h_depth}."
        )
    if not 1 <= ih[1] <= MAX_INPUT_SIZE:
        raise ValueError(f"Layer {k} of {module!r} reads {ih[1]} values per step; 1 to {MAX_INPUT_SIZE} are accepted.")


# --- Reading in a child process -------------------------------------------------------------------

#: The first bytes of the files open_model reads with h5py: HDF5, and a zip (a .keras file holds HDF5).
H5PY_READS = (_HDF5_MAGIC, b"PK\x03\x04", b"PK\x05\x06")
#: Seconds a model file may take to read in :func:`open_model_isolated`: a damaged HDF5 file can make
#: the HDF5 library loop (bench.fuzz found one whose attribute read never returns) or crash.
READ_SECONDS = 20.0
#: The address space a reading child may use (it holds at most a 64 MB file and its arrays).
CHILD_BYTES = 2 * 2**30


def _limit_child() -> None:  # pragma: no cover (runs in the child, before Python starts there)
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_BYTES, CHILD_BYTES))


def _child_main() -> None:
    """``python -m lstm_core.model_files``: read one model file from stdin (a JSON line of name,
    config and module, then the file's bytes) and write back ``ok``, ``config`` or ``refused`` and a
    line, then the app's own stack file (ok) or the message."""
    import sys

    header = json.loads(sys.stdin.buffer.readline())
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    try:
        opened = open_model(data, header["name"], config=header["config"], module=header["module"])
        out.write(b"ok\n" + opened.to_npz_bytes())
    except ConfigNeeded as error:
        out.write(b"config\n" + str(error).encode())
    except ValueError as error:
        out.write(b"refused\n" + str(error).encode())
    except Exception as error:  # a damaged file: said, never raised past here
        out.write(b"refused\n" + f"This file is damaged ({_short(error)}).".encode())
    out.flush()


def open_model_isolated(
    data: bytes,
    name: str = "",
    *,
    config: bytes | str | None = None,
    module: str | None = None,
    seconds: float = READ_SECONDS,
) -> OpenedModel:
    """:func:`open_model`, for the files it reads with h5py (HDF5, and the .keras zip that holds
    one), in a separate Python process with a time and a memory limit, so that a file that makes the
    HDF5 library loop or crash costs at most ``seconds`` and a message, never the server. Only bytes
    cross: the file in, the app's own stack file (:meth:`OpenedModel.to_npz_bytes`, read back by
    :func:`load_stack`, which checks it as any upload) out. Other files are read here, as ever."""
    import subprocess
    import sys

    from .weights_io import load_stack

    data = bytes(data)
    if not data[:8].startswith(H5PY_READS):
        return open_model(data, name, config=config, module=module)
    text = config.decode("utf-8", "replace") if isinstance(config, bytes) else config
    header = json.dumps({"name": name, "config": text, "module": module}).encode() + b"\n"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lstm_core.model_files"],
            input=header + data,
            capture_output=True,
            timeout=seconds,
            preexec_fn=_limit_child if os.name == "posix" else None,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ValueError(
            f"This file could not be read in {seconds:g} s (a damaged HDF5 file can make the reader loop); refused."
        ) from None
    kind, _, rest = done.stdout.partition(b"\n")
    if kind == b"config":
        raise ConfigNeeded(rest.decode("utf-8", "replace"))
    if kind == b"refused":
        raise ValueError(rest.decode("utf-8", "replace"))
    if kind != b"ok":
        raise ValueError("The reader stopped on this file (it is damaged); refused.")
    configs, params, meta = load_stack(rest)
    return OpenedModel(
        description=meta["description"],
        layers=tuple(zip(configs, params, strict=True)),
        layer_names=tuple(meta["layer_names"]),
        skipped=tuple(SkippedLayer(layer_name, kind) for layer_name, kind in meta["skipped"]),
        library=meta["library"],
        version=meta["version"],
        recurrent_activation=configs[0].recurrent_activation,
        notes=tuple(meta["notes"]),
    )


if __name__ == "__main__":
    _child_main()
