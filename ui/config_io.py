"""Read a configuration file a learner uploads: the JSON that Explore's "Configuration (.json)"
button saves, a share link's settings written as JSON, or lstm_core configurations.

Plain Python (no Streamlit). Every value goes through the same :data:`ui.schema.SCHEMA` checks as a
share link, so a file can set nothing a link could not. :func:`read_config` raises ValueError (with
a message) for a file it cannot read at all; otherwise it returns the settings to apply and a
message for each part it could not use. Nothing in the file is ever executed.

Accepted forms (a JSON object, at most :data:`MAX_CONFIG_BYTES`):

- ``{"spec": {...}, "layers": [...]}``: Explore's download. ``spec`` is the app's ModelSpec; the
  ``layers`` (each layer's LSTMConfig) follow from it and are not read.
- ``{"forget_bias": 0.5, "num_units": 8, ...}``: settings under their URL names (README, "Share
  links"), as a link carries them.
- ``{"input_size": 6, "num_units": 4, ...}`` (one ``LSTMConfig.to_dict()``) or ``{"layers": [...]}``
  (one per layer): the cell only; the inputs and the seed stay as they are.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from lstm_core import LSTMConfig
from lstm_core.config import GREFF_FLAGS
from lstm_core.sequences import MAX_PASTE_CHARS

from .markup import quote
from .schema import MAX_LAYERS, SCHEMA, Param

#: The largest configuration file read (a long custom sequence fits; a configuration is otherwise tiny).
#: 1 MB as Streamlit counts it: the uploader's own limit (max_upload_size=1) shows and enforces the same.
MAX_CONFIG_BYTES = 1024 * 1024

UNIT_KEYS = ("num_units", "num_units_2", "num_units_3")
#: The settings that describe the cell (what an lstm_core configuration sets).
CELL_KEYS = ("layers", *UNIT_KEYS, "forget_bias", "activation", "peepholes", "coupled", "cell_clip", "num_proj")
#: Every shared model control (the sidebar): what a full configuration sets, defaults included.
MODEL_KEYS = tuple(name for name, param in SCHEMA.items() if param.shared)

#: ModelSpec fields that are sidebar controls of the same name.
_SPEC_SCALARS = ("forget_bias", "activation", "peepholes", "coupled", "cell_clip", "num_proj", "seed", "weight_scale")
_SPEC_SCALARS += ("init_state",)
#: InputSpec fields -> their controls.
_INPUT_KEYS = {"preset": "preset", "steps": "steps", "features": "features", "seed": "input_seed"}
_INPUT_KEYS |= {"text": "text", "custom": "custom"}
#: A file may hold a custom sequence as long as the text box takes (a link holds less).
_PARAMS: dict[str, Param] = {**SCHEMA, "custom": replace(SCHEMA["custom"], max_chars=MAX_PASTE_CHARS)}


def read_config(data: bytes) -> tuple[dict[str, Any], list[str]]:
    """(settings to apply, by control name; a message per part not used). Raises ValueError with a
    message when the file is not a configuration at all."""
    if len(data) > MAX_CONFIG_BYTES:
        raise ValueError(f"the file is {len(data):,} bytes; a configuration is at most {MAX_CONFIG_BYTES:,} bytes.")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError("the file is not text (UTF-8): a configuration is a JSON file.") from None
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to be a configuration.") from None
    except ValueError as error:
        raise ValueError(f"the file is not valid JSON ({str(error)[:120]}).") from None
    if not isinstance(document, dict):
        raise ValueError(f"a configuration is a JSON object {{...}}, not a {_json_type(document)}.")
    if not document:
        raise ValueError("the JSON object is empty: it sets nothing.")

    if "spec" in document:
        raw, messages = _from_spec(document["spec"])
        resets = MODEL_KEYS
    elif "input_size" in document or isinstance(document.get("layers"), list):
        layers = document["layers"] if isinstance(document.get("layers"), list) else [document]
        raw, messages = _from_cells(layers)
        resets = CELL_KEYS
    else:
        raw, messages = dict(document), []
        resets = MODEL_KEYS

    values = {name: SCHEMA[name].default for name in resets}
    for key, value in raw.items():
        param = _PARAMS.get(str(key))
        if param is None:
            messages.append(f"{quote(key)} is not a setting of this app and was ignored.")
            continue
        if isinstance(value, (list, dict)) or value is None:
            messages.append(
                f"**{key}**: a {_json_type(value)} is not valid; it must be {param.accepted()}. "
                f"Using the default, {param.format(param.default)}."
            )
            values[key] = param.default
            continue
        values[key], message = param.parse(value)
        if message:
            messages.append(message)
    if not any(str(key) in _PARAMS for key in raw):
        raise ValueError("it holds no setting of this app (see the README's list of settings).")
    return values, messages


def _from_spec(spec: Any) -> tuple[dict[str, Any], list[str]]:
    """The controls that Explore's saved ``spec`` (a ModelSpec as JSON) describes."""
    if not isinstance(spec, dict):
        raise ValueError(f'"spec" must be a JSON object, not a {_json_type(spec)}.')
    raw: dict[str, Any] = {}
    messages: list[str] = []
    for key, value in spec.items():
        if key == "units":
            if isinstance(value, list) and 1 <= len(value) <= MAX_LAYERS:
                raw["layers"] = len(value)
                raw.update(zip(UNIT_KEYS, value, strict=False))
            else:
                messages.append(f"**units** must list 1 to {MAX_LAYERS} layer sizes; using one layer of 4 units.")
        elif key == "inputs":
            if not isinstance(value, dict):
                messages.append("**inputs** must be a JSON object; using the default input.")
                continue
            for field, item in value.items():
                if field in _INPUT_KEYS:
                    raw[_INPUT_KEYS[field]] = item
                else:
                    messages.append(f"{quote('inputs.' + str(field))} is not an input setting and was ignored.")
        elif key in _SPEC_SCALARS:
            raw[key] = value
        elif key == "trained":
            if value in SCHEMA["weights"].choices and value not in ("mine", "upload"):
                raw["weights"] = value
            elif value == "":
                raw["weights"] = "random"
            else:
                messages.append(
                    "The file was saved with weights of your own, which a configuration does not hold: "
                    "choose **Weights: from a file you upload** and upload the weights file too."
                )
        elif key == "greff":
            if value:
                messages.append("Greff et al.'s switches are chosen on the Compare page; they were ignored here.")
        elif key == "peephole_scale":
            if value != 1.0:
                messages.append("The peephole strength is chosen on the Compare page; it was ignored here.")
        else:
            messages.append(f"{quote('spec.' + str(key))} is not a setting of this app and was ignored.")
    return raw, messages


def _from_cells(layers: list) -> tuple[dict[str, Any], list[str]]:
    """The cell controls that lstm_core configurations (one per layer) describe."""
    if not 1 <= len(layers) <= MAX_LAYERS:
        raise ValueError(f"the app runs 1 to {MAX_LAYERS} layers; the file has {len(layers)}.")
    configs = []
    for k, layer in enumerate(layers, start=1):
        try:
            configs.append(LSTMConfig.from_dict(layer))
        except (TypeError, ValueError) as error:  # from_dict names the field and the accepted values
            raise ValueError(f"layer {k}: {error}") from None
    first = configs[0]
    raw: dict[str, Any] = {"layers": len(configs)}
    raw.update(zip(UNIT_KEYS, (cfg.num_units for cfg in configs), strict=False))
    raw.update(
        forget_bias=first.forget_bias,
        activation=first.activation,
        peepholes=first.use_peepholes,
        coupled=first.coupled,
        cell_clip=first.cell_clip or 0.0,
        num_proj=first.num_proj or 0,
    )
    messages = []
    if any(replace(cfg, input_size=1, num_units=1) != replace(first, input_size=1, num_units=1) for cfg in configs):
        messages.append("The layers differ in more than their size; the app gives every layer layer 1's settings.")
    if any(getattr(first, flag) for flag in GREFF_FLAGS):
        messages.append("Greff et al.'s switches are chosen on the Compare page; they were ignored here.")
    return raw, messages


def _json_type(value: Any) -> str:
    names = {dict: "JSON object", list: "list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "number")
