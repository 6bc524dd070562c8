"""The URL-state schema: every control of the app, with its type, default and bounds, in one table.

As TensorFlow Playground's state.ts keeps its URL properties, this module is the single place that
says which keys a shared link may carry and what each accepts. It is plain Python (no Streamlit),
so the parser is tested directly, hypothesis included: whatever a URL holds, ``parse`` returns a
valid value or a message saying what is wrong and what is accepted -- it never raises. Messages quote
what the URL held through :func:`ui.markup.quote`, so a link cannot put Markdown on the page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from lstm_core.config import ACTIVATIONS
from lstm_core.sequences import MAX_FEATURES, MAX_STEPS, MAX_TEXT_CHARS, PRESETS
from lstm_core.tasks import TASKS
from lstm_core.variants import CHOICES

from .markup import quote

MAX_SEED = 2**31 - 1
MAX_APP_UNITS = 256
MAX_LAYERS = 3
LEARNING_RATES = ("0.001", "0.003", "0.01", "0.03", "0.1")
#: A custom sequence longer than this stays out of the URL (a link would get unwieldy).
MAX_URL_CUSTOM_CHARS = 8000
#: What a link's keys of work kept on the server look like (ui.shelf tokens, dot-separated).
_TOKENS = re.compile(r"[A-Za-z0-9_.-]*")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One control: its URL key (also its widget key), kind, default and bounds."""

    name: str
    kind: str  # "int", "float", "choice", "bool", "text", "tokens"
    default: Any
    label: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    max_chars: int = 0
    shared: bool = True  # a model control (sidebar) rather than a page's view control

    def accepted(self) -> str:
        """What this parameter accepts, in words."""
        if self.kind == "int":
            return f"a whole number from {_whole(self.low)} to {_whole(self.high)}"
        if self.kind == "float":
            step = f" in steps of {self.step:g}" if self.step else ""
            return f"a number from {self.low:g} to {self.high:g}{step}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "tokens":
            return f"keys of work kept on the server (letters, digits, - and _, separated by dots; at most {self.max_chars} characters)"
        return f"text of at most {self.max_chars:,} characters"

    def parse(self, raw: Any) -> tuple[Any, str | None]:
        """(value, None) for a valid raw URL value, or (default, message) for an invalid one."""
        if isinstance(raw, list):  # a repeated key: ?seed=1&seed=2
            raw = raw[-1] if raw else ""
        text = str(raw).strip()
        try:
            value = self._convert(text)
        except ValueError as why:
            reason = f" ({why})" if str(why) else ""
            return self.default, (
                f"**{self.name}**: {quote(text)} is not valid{reason}; it must be {self.accepted()}. "
                f"Using the default, {self.format(self.default)}."
            )
        return value, None

    def _convert(self, text: str) -> Any:
        if self.kind == "int":
            try:
                number = float(text)
            except ValueError:
                raise ValueError("not a number") from None
            if not math.isfinite(number) or number != int(number):
                raise ValueError("not a whole number")
            value = int(number)
            if not self.low <= value <= self.high:
                raise ValueError("out of range")
            return value
        if self.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise ValueError("not a number") from None
            if not math.isfinite(value):
                raise ValueError("not a finite number")
            if not self.low <= value <= self.high:
                raise ValueError("out of range")
            if self.step:
                value = round(round(value / self.step) * self.step, 10)
            return value
        if self.kind == "choice":
            if text not in self.choices:
                raise ValueError("")
            return text
        if self.kind == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError("")
        if len(text) > self.max_chars:
            raise ValueError("too long")
        if self.kind == "tokens" and not _TOKENS.fullmatch(text):
            raise ValueError("not a list of keys")
        return text

    def format(self, value: Any) -> str:
        """The value as the URL carries it."""
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "float":
            return f"{value:g}"
        return str(value)


def _whole(number: float) -> str:
    """A bound as a message writes it: 2000, 2,147,483,647."""
    return f"{int(number):,}" if number >= 10_000 else str(int(number))


def _int(name, default, low, high, label, shared=True) -> Param:
    return Param(name, "int", default, label, low=low, high=high, shared=shared)


def _float(name, default, low, high, step, label, shared=True) -> Param:
    return Param(name, "float", default, label, low=low, high=high, step=step, shared=shared)


SCHEMA: dict[str, Param] = {
    p.name: p
    for p in [
        # The input sequence.
        Param("preset", "choice", "sine", "Input", choices=tuple(PRESETS)),
        _int("steps", 60, 1, MAX_STEPS, "Steps T"),
        _int("features", 2, 1, MAX_FEATURES, "Features D"),
        _int("input_seed", 0, 0, MAX_SEED, "Input seed"),
        Param("text", "text", "hello world", "Text", max_chars=MAX_TEXT_CHARS),
        Param("custom", "text", "3,2,2; 1,0,1; 0,0,0", "Custom sequence", max_chars=MAX_URL_CUSTOM_CHARS),
        # The cell.
        _int("layers", 1, 1, MAX_LAYERS, "Layers"),
        _int("num_units", 4, 1, MAX_APP_UNITS, "num_units (layer 1)"),
        _int("num_units_2", 5, 1, MAX_APP_UNITS, "num_units (layer 2)"),
        _int("num_units_3", 3, 1, MAX_APP_UNITS, "num_units (layer 3)"),
        _float("forget_bias", 1.0, -5.0, 5.0, 0.1, "forget_bias"),
        Param("activation", "choice", "tanh", "activation", choices=ACTIVATIONS),
        Param("peepholes", "bool", False, "Peephole connections"),
        Param("coupled", "bool", False, "Coupled input-forget gate (CIFG)"),
        _float("cell_clip", 0.0, 0.0, 10.0, 0.1, "cell_clip (0 = off)"),
        _int("num_proj", 0, 0, MAX_APP_UNITS, "num_proj (0 = off)"),
        # The weights and the initial state.
        _int("seed", 0, 0, MAX_SEED, "Weight seed"),
        _float("weight_scale", 1.0, 0.1, 5.0, 0.1, "Weight scale"),
        Param("init_state", "choice", "zeros", "Initial state", choices=("zeros", "random")),
        # The pages' view: Explore and Step through.
        Param(
            "weights",
            "choice",
            "recall",
            "Weights",
            choices=("random", "recall", "adding", "spikes", "mine", "upload"),
            shared=False,
        ),
        Param("trained_fb_on", "bool", False, "Change its forget_bias", shared=False),
        _float("trained_fb", 1.0, -5.0, 5.0, 0.1, "forget_bias instead of the trained one", shared=False),
        Param("fix_gate", "choice", "none", "Hold a gate at 1", choices=("none", "f", "i", "o"), shared=False),
        _int("seq", 0, 0, 7, "Sequence shown", shared=False),
        _int("layer", 1, 1, MAX_LAYERS, "Layer shown", shared=False),
        _int("step", 0, 0, MAX_STEPS - 1, "Selected step t", shared=False),
        Param("pre", "bool", False, "Show pre-activations", shared=False),
        Param("fit", "bool", False, "Fit colours to the data", shared=False),
        Param("tuple", "bool", True, "state_is_tuple", shared=False),
        Param("units", "text", "", "Units in the line chart", max_chars=2000, shared=False),
        # The Step-through page's view.
        _int("unit", 0, 0, MAX_APP_UNITS - 1, "Unit", shared=False),
        Param("present", "bool", False, "Presenter mode", shared=False),
        # The Compare page's view.
        Param("variants", "text", "basic,peephole,coupled", "Variants", max_chars=200, shared=False),
        Param("peep_all", "bool", False, "Peepholes in all", shared=False),
        _float("peep_scale", 1.0, 0.0, 5.0, 0.1, "Peephole strength", shared=False),
        Param("fb01", "bool", False, "forget_bias 0 vs 1", shared=False),
        # The Train page (its own cell and inputs: the task's).
        Param("task", "choice", "recall", "Task", choices=tuple(TASKS), shared=False),
        _int("task_size", 0, 0, 200, "Task size", shared=False),
        Param("train_variant", "choice", "basic", "Cell", choices=tuple(CHOICES), shared=False),
        _int("train_units", 16, 1, 64, "num_units", shared=False),
        _float("train_fb", 1.0, -5.0, 5.0, 0.1, "forget_bias", shared=False),
        Param("lr", "choice", "0.01", "Learning rate", choices=LEARNING_RATES, shared=False),
        _int("train_steps", 0, 0, 5000, "Training steps", shared=False),
        _int("train_seed", 0, 0, MAX_SEED, "Training seed", shared=False),
        _int("text_unit", 0, 0, 63, "Unit that colours the text", shared=False),
        Param("text_by", "choice", "c", "Colour by", choices=("c", "h"), shared=False),
        # The Gradient-flow page's view.
        Param("flow_loss", "choice", "c", "Loss on the last step", choices=("c", "h"), shared=False),
        Param("flow_rnn", "bool", True, "Plain RNN beside it", shared=False),
        # The Learn page: the chapter shown and the answers given (one letter per chapter, - for none).
        _int("chapter", 1, 1, 7, "Chapter", shared=False),
        Param("answers", "text", "", "Answers given", max_chars=7, shared=False),
        # Work kept on the server (ui.shelf), by key: so that a reload finds it again.
        Param("runs", "tokens", "", "This session's trained runs", max_chars=200, shared=False),
        Param("mine", "tokens", "", "The trained model opened on Explore", max_chars=40, shared=False),
        Param("custom_ref", "tokens", "", "A custom sequence too long for the link", max_chars=40, shared=False),
    ]
}


def parse_query(query: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Validate a whole query string: (values of the valid known keys, messages for the rest).

    Unknown keys are reported too, so a typo in a shared link does not pass silently.
    """
    values: dict[str, Any] = {}
    messages: list[str] = []
    for key, raw in query.items():
        param = SCHEMA.get(key)
        if param is None:
            known = ", ".join(SCHEMA)
            messages.append(f"{quote(key)} is not a setting of this app and was ignored (known: {known}).")
            continue
        value, message = param.parse(raw)
        if message:
            messages.append(message)
        else:
            values[key] = value
    return values, messages


def to_query(values: dict[str, Any]) -> dict[str, str]:
    """The URL form of ``values``: only keys that differ from their default, so links stay short."""
    out = {}
    for key, value in values.items():
        param = SCHEMA.get(key)
        if param is not None and value != param.default:
            out[key] = param.format(value)
    return out
