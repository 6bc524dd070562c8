"""Input sequences for the explainer: the seeds' examples, generated signals, text, and a parser for
sequences typed or pasted by a learner (never ``eval``: JSON or plain numbers only).

Every sequence is a float64 array of shape (batch, time, features) with a label per step (shown on
the time axis: the step number, or the character for text) and a name per feature.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from .quoting import shown

MAX_STEPS = 2000
MAX_FEATURES = 64
MAX_SEQUENCES = 8
MAX_TEXT_CHARS = 2000
MAX_VALUE = 1e6
#: The most characters a pasted sequence may have (about 2000 x 64 short numbers).
MAX_PASTE_CHARS = 400_000

NOTEBOOK_ONE_STEP = [[[3, 2, 2, 2, 2, 2]]]
NOTEBOOK_STACKED = [
    [[1, 2, 3, 4, 3, 2], [1, 2, 1, 1, 1, 2], [1, 2, 2, 2, 2, 2]],
    [[1, 2, 3, 4, 3, 2], [3, 2, 2, 1, 1, 2], [0, 0, 0, 0, 3, 2]],
]

#: Preset name -> what the learner sees in the selector.
PRESETS: dict[str, str] = {
    "notebook_one_step": "Notebook: one step",
    "notebook_stacked": "Notebook: stacked",
    "sine": "Sine wave",
    "square": "Square wave",
    "step": "Step",
    "impulse": "Impulse",
    "ramp": "Ramp",
    "constant": "Constant",
    "random": "Random (normal)",
    "text": "Text (one-hot characters)",
    "custom": "Custom",
}
GENERATED = ("sine", "square", "step", "impulse", "ramp", "constant", "random")
PRESET_HELP: dict[str, str] = {
    "notebook_one_step": "TensorFlow's tutorial notebook's single input [[3, 2, 2, 2, 2, 2]]: one step of 6 features.",
    "notebook_stacked": "TensorFlow's tutorial notebook's (2, 3, 6) sample: two sequences of 3 steps, 6 features.",
    "sine": "Feature k is sin(2*pi*t/16 + k*pi/features): a smooth, periodic signal.",
    "square": "The sign of the sine wave: +1 for 8 steps, -1 for 8 steps, and so on.",
    "step": "0 for the first quarter of the steps, then 1: watch the cell react to a change.",
    "impulse": "1 at the first step, 0 afterwards: how long does the cell remember it?",
    "ramp": "Rises evenly from -1 to 1 over the steps.",
    "constant": "1 at every step: the cell settles to a fixed point.",
    "random": "Independent standard normal values (seeded).",
    "text": "Each character is one step, one-hot over the text's alphabet.",
    "custom": "Your own numbers: rows are steps, columns features.",
}


@dataclass(frozen=True)
class InputSpec:
    """What to feed the cell: a preset and its (small) settings. Hashable: a cache key."""

    preset: str = "sine"
    steps: int = 60
    features: int = 2
    seed: int = 0
    text: str = "hello world"
    custom: str = ""  # the compact text form of a custom sequence (see parse_sequence)


@dataclass(frozen=True)
class Sequence:
    """An input batch with the labels the app shows."""

    values: np.ndarray  # (batch, time, features), float64
    step_labels: tuple[str, ...]
    feature_names: tuple[str, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape  # type: ignore[return-value]


def _check_size(name: str, value: int, high: int) -> None:
    if not 1 <= value <= high:
        raise ValueError(f"{name} must be from 1 to {high}; got {value}.")


def generate(kind: str, steps: int, features: int, seed: int = 0) -> np.ndarray:
    """A generated signal of shape (steps, features); see :data:`PRESET_HELP` for each kind."""
    _check_size("The number of steps T", steps, MAX_STEPS)
    _check_size("The number of features D", features, MAX_FEATURES)
    t = np.arange(steps, dtype=np.float64)[:, None]
    k = np.arange(features, dtype=np.float64)[None, :]
    phase = 2 * np.pi * t / 16 + k * np.pi / features
    if kind == "sine":
        return np.sin(phase)
    if kind == "square":
        return np.where(np.sin(phase + 1e-9) >= 0, 1.0, -1.0)
    if kind == "step":
        return np.repeat((t >= steps // 4).astype(np.float64), features, axis=1)
    if kind == "impulse":
        return np.repeat((t == 0).astype(np.float64), features, axis=1)
    if kind == "ramp":
        return np.repeat(np.linspace(-1, 1, steps)[:, None], features, axis=1)
    if kind == "constant":
        return np.ones((steps, features))
    if kind == "random":
        return np.random.default_rng(seed).standard_normal((steps, features))
    raise ValueError(f"Unknown signal {kind!r}; accepted: {', '.join(GENERATED)}.")


def one_hot(text: str, alphabet: tuple[str, ...]) -> np.ndarray:
    """``text`` as (len(text), len(alphabet)) one-hot rows, one step per character: what a cell reads
    of a text (the text preset, the character model). Every character must be in ``alphabet``."""
    index = {ch: n for n, ch in enumerate(alphabet)}
    values = np.zeros((len(text), len(alphabet)))
    values[np.arange(len(text)), [index[ch] for ch in text]] = 1.0
    return values


def one_hot_text(text: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """(one-hot array (len(text), alphabet size), alphabet): the text preset, over the text's own
    sorted alphabet, within the app's sizes."""
    if not text:
        raise ValueError("The text is empty: type at least one character.")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"The text has {len(text):,} characters; at most {MAX_TEXT_CHARS:,} fit.")
    alphabet = tuple(sorted(set(text)))
    if len(alphabet) > MAX_FEATURES:
        raise ValueError(
            f"The text uses {len(alphabet)} different characters; at most {MAX_FEATURES} fit (one feature each)."
        )
    return one_hot(text, alphabet), alphabet


def show_char(ch: str) -> str:
    """A character as the time axis shows it (space and control characters made visible)."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(ch, ch if ch.isprintable() else f"U+{ord(ch):04X}")


_ROW_SPLIT = re.compile(r"[;\n]")
_VALUE_SPLIT = re.compile(r"[,\s]+")


def parse_sequence(text: str) -> np.ndarray:
    """Parse a typed or pasted sequence into a (batch, time, features) float64 array.

    Accepted forms (never evaluated as code):

    - rows of numbers: ``3,2,2; 1,0,1`` -- rows (steps) split by ``;`` or new lines, values by
      commas or spaces; several sequences split by ``|``;
    - JSON: a list of numbers (one feature), a list of rows, or a list of sequences of rows.

    Raises ValueError saying what is wrong and what is accepted.
    """
    if not isinstance(text, str):
        raise ValueError("The sequence must be text.")
    if len(text) > MAX_PASTE_CHARS:
        raise ValueError(f"The sequence is {len(text):,} characters long; at most {MAX_PASTE_CHARS:,} are accepted.")
    stripped = text.strip()
    if not stripped:
        raise ValueError("The sequence is empty. Type rows like 3,2,2; 1,0,1 or a JSON list of lists.")
    is_json = stripped[0] == "["
    nested = _parse_json(stripped) if is_json else [_parse_rows(part) for part in stripped.split("|")]
    return _to_array(nested)


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "[":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "]":
            depth -= 1
    return deepest


def _parse_json(text: str) -> list:
    if (depth := _bracket_depth(text)) > 3:
        raise ValueError(
            f"This looks like JSON but does not parse: lists nested {depth} deep; at most 3 levels "
            "(sequences, steps, features) are accepted."
        )
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise ValueError(f"This looks like JSON but does not parse: {error}.") from None
    if not isinstance(data, list) or not data:
        raise ValueError("JSON input must be a non-empty list: [[3, 2, 2], [1, 0, 1]].")
    if all(_is_number(v) for v in data):  # one feature: [1, 2, 3]
        return [[[v] for v in data]]
    if all(isinstance(row, list) and all(_is_number(v) for v in row) for row in data):
        return [data]
    return data


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_rows(text: str) -> list[list[float]]:
    rows = []
    for line_number, line in enumerate(_ROW_SPLIT.split(text), start=1):
        line = line.strip().strip(",")
        if not line:
            continue
        row = []
        for token in _VALUE_SPLIT.split(line):
            if not token:
                continue
            try:
                value = float(token)
            except ValueError:
                raise ValueError(
                    f"Row {line_number}: {shown(token, 20)} is not a number. Use rows like 3,2,2; 1,0,1."
                ) from None
            row.append(value)
        rows.append(row)
    if not rows:
        raise ValueError("A sequence has no rows. Use rows like 3,2,2; 1,0,1.")
    return rows


def _to_array(nested: list) -> np.ndarray:
    if len(nested) > MAX_SEQUENCES:
        raise ValueError(f"There are {len(nested)} sequences; at most {MAX_SEQUENCES} are accepted.")
    lengths = set()
    widths = set()
    for s, sequence in enumerate(nested, start=1):
        if not isinstance(sequence, list) or not sequence:
            raise ValueError(f"Sequence {s} must be a non-empty list of rows.")
        lengths.add(len(sequence))
        for r, row in enumerate(sequence, start=1):
            if not isinstance(row, list) or not row or not all(_is_number(v) for v in row):
                raise ValueError(f"Sequence {s}, row {r} must be a non-empty list of numbers.")
            widths.add(len(row))
    if len(widths) > 1:
        raise ValueError(f"Every row needs the same number of features; found rows with {sorted(widths)} values.")
    if len(lengths) > 1:
        raise ValueError(f"Every sequence needs the same number of steps; found {sorted(lengths)}.")
    steps, features = lengths.pop(), widths.pop()
    _check_size("The number of steps", steps, MAX_STEPS)
    _check_size("The number of features per step", features, MAX_FEATURES)
    values = np.array(nested, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("The sequence contains NaN or infinity; only finite numbers are accepted.")
    if np.abs(values).max() > MAX_VALUE:
        raise ValueError(f"Values must be between -{MAX_VALUE:g} and {MAX_VALUE:g}.")
    return values


def format_sequence(values: np.ndarray) -> str:
    """The compact text form parse_sequence reads back: ``3,2,2; 1,0,1``, sequences split by ``|``."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2:
        values = values[None]
    return " | ".join("; ".join(",".join(_short(v) for v in row) for row in seq) for seq in values)


def _short(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (a table edit must not round the rest)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def make_inputs(spec: InputSpec) -> Sequence:
    """Build the input batch for ``spec``. Raises ValueError with a learner-readable message."""
    if spec.preset == "notebook_one_step":
        values = np.array(NOTEBOOK_ONE_STEP, dtype=np.float64)
    elif spec.preset == "notebook_stacked":
        values = np.array(NOTEBOOK_STACKED, dtype=np.float64)
    elif spec.preset in GENERATED:
        values = generate(spec.preset, spec.steps, spec.features, spec.seed)[None]
    elif spec.preset == "text":
        one_hot, alphabet = one_hot_text(spec.text)
        return Sequence(
            values=one_hot[None],
            step_labels=tuple(show_char(ch) for ch in spec.text),
            feature_names=tuple(f"'{show_char(ch)}'" for ch in alphabet),
        )
    elif spec.preset == "custom":
        values = parse_sequence(spec.custom)
    else:
        raise ValueError(f"Unknown input preset {shown(spec.preset)}; accepted: {', '.join(PRESETS)}.")
    _, steps, features = values.shape
    return Sequence(
        values=values,
        step_labels=tuple(str(t) for t in range(steps)),
        feature_names=tuple(f"x{k}" for k in range(features)),
    )
