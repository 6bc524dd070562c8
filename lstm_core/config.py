"""The cell's configuration: a small, frozen, hashable record (usable as a cache key).

The field names follow TensorFlow's ``tf.compat.v1.nn.rnn_cell.LSTMCell`` so that a reader of the
seeds recognises them: ``num_units``, ``forget_bias``, ``activation``, ``use_peepholes``,
``cell_clip``, ``num_proj``, ``proj_clip``. ``coupled`` selects the coupled input-forget gate
(CIFG) cell of TensorFlow 1.x contrib, where the input gate is ``i = 1 - f``.

Five more switches, all off by default (so TensorFlow parity is untouched), are the one-change
variants of Greff et al., "LSTM: A Search Space Odyssey" (2017): ``no_input_gate`` (i = 1),
``no_forget_gate`` (f = 1), ``no_output_gate`` (o = 1), ``no_input_activation`` (j = j_pre) and
``no_output_activation`` (m = o * c).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Self

import numpy as np

from .quoting import listed, shown

ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "softsign", "identity")
#: The gates' squashing function (Keras's ``recurrent_activation``): the logistic sigmoid, or one of
#: the two piecewise-linear "hard sigmoids" Keras models carry (see LSTMConfig).
RECURRENT_ACTIVATIONS: tuple[str, ...] = ("sigmoid", "hard_sigmoid", "hard_sigmoid_keras3")
#: How the hard sigmoids are named to a learner (in ``LSTMConfig.variant`` and in what a model
#: file reader says it used).
HARD_SIGMOID_NAMES: dict[str, str] = {
    "hard_sigmoid": "hard-sigmoid gates (Keras 2: clip(0.2x + 0.5, 0, 1))",
    "hard_sigmoid_keras3": "hard-sigmoid gates (Keras 3: relu6(x + 3) / 6)",
}
#: Greff et al.'s one-change switches, with their short names from the paper.
GREFF_FLAGS: dict[str, str] = {
    "no_input_gate": "NIG",
    "no_forget_gate": "NFG",
    "no_output_gate": "NOG",
    "no_input_activation": "NIAF",
    "no_output_activation": "NOAF",
}

#: Largest sizes the config accepts; far beyond anything a learner needs, small enough that
#: a typo cannot ask for gigabytes.
MAX_UNITS = 4096
MAX_INPUT_SIZE = 4096


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(
            f"{name} must be a whole number from {low} to {high}, got {shown(value)} ({type(value).__name__})."
        )
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}.")
    return value


def _check_activation(value: Any) -> None:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {shown(value)}.")


def _check_float(name: str, value: Any, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {shown(value)} ({type(value).__name__}).")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum} (or None for no clipping), got {value}.")
    return value


class CellConfigIO:
    """Reading a cell's configuration back from a dict or JSON; shared by every cell's config.

    A configuration names its cell under ``"cell"`` (``"basic_rnn"``, ``"gru"``); one without that
    key is an LSTM's. Each config class reads only its own cell and names the other one when given
    it; :func:`config_from_dict` reads any.
    """

    #: The cell's name in a configuration's ``"cell"`` entry.
    cell: ClassVar[str]
    #: What a learner calls the cell, for messages.
    title: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "cell" in cls.__dict__:
            CELL_CONFIGS[cls.cell] = cls

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Build a config from a plain dict, rejecting unknown or missing keys, or another cell's
        configuration, with a clear message."""
        if not isinstance(data, dict):
            raise ValueError(f"A configuration must be a JSON object, got {type(data).__name__}.")
        data = dict(data)
        cell = data.pop("cell", LSTM_CELL)
        if cell != cls.cell:
            other = CELL_CONFIGS.get(cell) if isinstance(cell, str) else None
            what = f"the {other.title} cell" if other else f"an unknown cell {shown(cell)}"
            if cell == LSTM_CELL:
                what += " (it names no cell, as LSTM configurations do)"
            raise ValueError(f"This configuration is for {what}, not the {cls.title} cell ({cls.__name__}).")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(map(str, data)) - known)
        if unknown:
            raise ValueError(
                f"Unknown configuration field(s): {listed(unknown)}. Accepted: {', '.join(sorted(known))}."
            )
        missing = [name for name in ("input_size", "num_units") if name not in data]
        if missing:
            raise ValueError(f"The configuration is missing {', '.join(missing)}.")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        return cls.from_dict(parse_json(text))


def parse_json(text: str | bytes) -> Any:
    """``text`` parsed as JSON, or a ValueError saying it is not a configuration's JSON."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"The configuration is not valid JSON: {error}") from None


#: The config class of each cell by its ``cell`` name; filled as the classes are defined.
CELL_CONFIGS: dict[str, type] = {}
LSTM_CELL = "lstm"


def config_from_dict(data: Any) -> LSTMConfig | HiddenStateConfig:
    """Any cell's configuration from a plain dict: the class its ``"cell"`` entry names (none: LSTM)."""
    if not isinstance(data, dict):
        raise ValueError(f"A configuration must be a JSON object, got {type(data).__name__}.")
    cell = data.get("cell", LSTM_CELL)
    if not isinstance(cell, str) or cell not in CELL_CONFIGS:
        raise ValueError(f"Unknown cell {shown(cell)}; accepted: {', '.join(CELL_CONFIGS)}.")
    return CELL_CONFIGS[cell].from_dict(data)


@dataclass(frozen=True)
class LSTMConfig(CellConfigIO):
    """Configuration of one LSTM layer, in TensorFlow's vocabulary.

    Parameters
    ----------
    input_size : int
        Features per timestep (the width of ``x_t``), 1 to 4096.
    num_units : int
        Units in the cell: the width of the cell state ``c`` (and of ``h`` unless ``num_proj``).
    forget_bias : float
        Added to the forget gate's pre-activation at every step, as BasicLSTMCell does
        (default 1.0); it is not stored in the bias vector.
    activation : str
        One of ``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"softsign"``, ``"identity"``; applied to
        the new input ``j`` and to the new cell state before the output gate.
    use_peepholes : bool
        Diagonal peephole connections: ``c_{t-1}`` into i and f, ``c_t`` into o.
    coupled : bool
        Coupled input-forget gate (CIFG): ``i = 1 - f``. The kernel keeps its four blocks and the
        i block is ignored, so every variant runs on one weight set; with peepholes only f and o
        have them.
    cell_clip : float or None
        If set, the cell state is clipped to ``[-cell_clip, cell_clip]`` after each step.
    num_proj : int or None
        If set, the output ``m = o * act(c)`` is projected to ``num_proj`` values:
        ``h = m @ proj_kernel``, and ``h`` (width ``num_proj``) is what recurs.
    proj_clip : float or None
        If set (and ``num_proj`` is), the projected output is clipped to
        ``[-proj_clip, proj_clip]``.
    no_input_gate, no_forget_gate, no_output_gate : bool
        Greff et al.'s NIG, NFG, NOG: the gate is fixed at 1 (its kernel block and peephole are
        computed but unused). NIG and NFG cannot be combined with ``coupled``, which defines i
        from f.
    no_input_activation : bool
        Greff et al.'s NIAF: ``j = j_pre``, no activation on the new input.
    no_output_activation : bool
        Greff et al.'s NOAF: ``m = o * c``, no activation on the cell state before the output gate.
    recurrent_activation : str
        The function of the gates i, f and o (Keras's name for it). ``"sigmoid"`` (the default,
        TensorFlow's cells, Keras 3 and tf.keras 2.x) is ``1 / (1 + exp(-x))``. The other two are
        the piecewise-linear "hard sigmoid" of Keras models, which Keras 2 and Keras 3 define
        differently, so they have two names: ``"hard_sigmoid"`` is Keras 2's (and TensorFlow
        1.x's Keras, the default there), ``clip(0.2 * x + 0.5, 0, 1)``, linear on [-2.5, 2.5];
        ``"hard_sigmoid_keras3"`` is Keras 3's, ``relu6(x + 3) / 6``, linear on [-3, 3].
    """

    input_size: int
    num_units: int
    forget_bias: float = 1.0
    activation: str = "tanh"
    use_peepholes: bool = False
    coupled: bool = False
    cell_clip: float | None = None
    num_proj: int | None = None
    proj_clip: float | None = None
    no_input_gate: bool = False
    no_forget_gate: bool = False
    no_output_gate: bool = False
    no_input_activation: bool = False
    no_output_activation: bool = False
    recurrent_activation: str = "sigmoid"

    cell: ClassVar[str] = LSTM_CELL
    title: ClassVar[str] = "LSTM"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "input_size", _check_int("input_size", self.input_size, 1, MAX_INPUT_SIZE))
        set_(self, "num_units", _check_int("num_units", self.num_units, 1, MAX_UNITS))
        set_(self, "forget_bias", _check_float("forget_bias", self.forget_bias))
        _check_activation(self.activation)
        if not isinstance(self.recurrent_activation, str) or self.recurrent_activation not in RECURRENT_ACTIVATIONS:
            raise ValueError(
                f"recurrent_activation must be one of {', '.join(RECURRENT_ACTIVATIONS)}; "
                f"got {shown(self.recurrent_activation)}."
            )
        for flag in ("use_peepholes", "coupled", *GREFF_FLAGS):
            value = getattr(self, flag)
            if not isinstance(value, bool):
                raise ValueError(f"{flag} must be True or False, got {shown(value)}.")
        for flag in ("no_input_gate", "no_forget_gate"):
            if self.coupled and getattr(self, flag):
                raise ValueError(
                    f"coupled (i = 1 - f) cannot be combined with {flag}: the coupled cell defines its "
                    "input gate from the forget gate. Turn one of them off."
                )
        if self.cell_clip is not None:
            set_(self, "cell_clip", _check_float("cell_clip", self.cell_clip, minimum=0.0))
        if self.num_proj is not None:
            set_(self, "num_proj", _check_int("num_proj", self.num_proj, 1, MAX_UNITS))
        if self.proj_clip is not None:
            set_(self, "proj_clip", _check_float("proj_clip", self.proj_clip, minimum=0.0))

    @property
    def h_depth(self) -> int:
        """Width of the recurrent output h: ``num_proj`` if set, else ``num_units``."""
        return self.num_proj if self.num_proj is not None else self.num_units

    @property
    def input_activation(self) -> str:
        """The activation of the new input j: ``activation``, or identity under NIAF."""
        return "identity" if self.no_input_activation else self.activation

    @property
    def output_activation(self) -> str:
        """The activation of the cell state before the output gate: ``activation``, or identity under NOAF."""
        return "identity" if self.no_output_activation else self.activation

    @property
    def fixed_gates(self) -> tuple[str, ...]:
        """The gates held at 1 (Greff et al.'s NIG, NFG, NOG), in TensorFlow's order."""
        flags = (("i", self.no_input_gate), ("f", self.no_forget_gate), ("o", self.no_output_gate))
        return tuple(gate for gate, fixed in flags if fixed)

    @property
    def variant(self) -> str:
        """A short human name of the cell this config describes."""
        parts = ["coupled (CIFG)" if self.coupled else "basic"]
        if self.use_peepholes:
            parts.append("peepholes")
        parts.extend(short for flag, short in GREFF_FLAGS.items() if getattr(self, flag))
        if self.cell_clip is not None:
            parts.append(f"cell clip {self.cell_clip:g}")
        if self.num_proj is not None:
            parts.append(f"projection to {self.num_proj}")
        if self.recurrent_activation != "sigmoid":
            parts.append(HARD_SIGMOID_NAMES[self.recurrent_activation])
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        # No "cell" key: LSTM configurations were written without one before the other cells
        # existed, and every reader takes its absence to mean the LSTM.
        return asdict(self)


@dataclass(frozen=True)
class HiddenStateConfig(CellConfigIO):
    """The configuration every cell whose whole state is its output ``h`` shares: TensorFlow's
    ``BasicRNNCell`` and ``GRUCell`` take just these (see :class:`lstm_core.BasicRNNConfig` and
    :class:`lstm_core.GRUConfig`).

    Parameters
    ----------
    input_size : int
        Features per timestep (the width of ``x_t``), 1 to 4096.
    num_units : int
        Units in the cell: the width of ``h``, its state and its output, 1 to 4096.
    activation : str
        One of ``"tanh"`` (TensorFlow's default), ``"relu"``, ``"sigmoid"``, ``"softsign"``,
        ``"identity"``.
    """

    input_size: int
    num_units: int
    activation: str = "tanh"

    #: The record of the cell's weights, with one field per entry of :attr:`param_shapes`.
    params_type: ClassVar[type]

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "input_size", _check_int("input_size", self.input_size, 1, MAX_INPUT_SIZE))
        set_(self, "num_units", _check_int("num_units", self.num_units, 1, MAX_UNITS))
        _check_activation(self.activation)

    @property
    def h_depth(self) -> int:
        """Width of the recurrent output h: ``num_units``."""
        return self.num_units

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of each weight array of the cell, by field name, in TensorFlow's layout."""
        raise NotImplementedError

    @property
    def variant(self) -> str:
        """A short human name of the cell this config describes."""
        return self.title if self.activation == "tanh" else f"{self.title}, {self.activation}"

    def to_dict(self) -> dict[str, Any]:
        """The fields and ``"cell"``, so that a saved file says which cell it is."""
        return {"cell": self.cell, **asdict(self)}
