"""Small sequence tasks that show what an LSTM is for: each one needs memory across time.

Every task makes seeded batches of ``(inputs, targets, mask)``: ``inputs`` (batch, time,
input_size), ``targets`` (batch, time, output_size) and ``mask`` (batch, time), the weight of each
step in the loss (1 where the task asks for an answer). The read-out on top of the LSTM is linear,
followed by the task's output function: ``softmax`` (one class per step, cross-entropy),
``sigmoid`` (independent yes/no outputs, binary cross-entropy) or ``linear`` (a number, squared error).

- delayed recall: a symbol at step 0, a cue ``delay`` steps later; answer the symbol at the cue.
- adding: Hochreiter & Schmidhuber (1997): the sum of the two marked values of a random sequence.
- spike timing: after a start spike, emit a spike every ``period`` steps (after Gers et al. 2002).
- embedded Reber grammar: predict which symbols may come next (Hochreiter & Schmidhuber 1997);
  the second symbol (T or P) must be remembered to the end of the string.
- sine continuation: predict the next value of a sine wave of random frequency and phase.
- characters: predict the next character of a short text that ships with the project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np

from .quoting import shown

TEXT_FILE = Path(__file__).resolve().parent / "data" / "rhymes.txt"


@dataclass(frozen=True)
class Batch:
    inputs: np.ndarray  # (batch, time, input_size)
    targets: np.ndarray  # (batch, time, output_size)
    mask: np.ndarray  # (batch, time): 1 where the step counts in the loss
    lengths: np.ndarray | None = None  # per-row sequence lengths (Reber strings differ)

    def rows(self, start: int, stop: int) -> Batch:
        """The sequences ``start`` to ``stop - 1`` of this batch."""
        lengths = None if self.lengths is None else self.lengths[start:stop]
        return Batch(self.inputs[start:stop], self.targets[start:stop], self.mask[start:stop], lengths)


@dataclass(frozen=True)
class Task:
    """A task: how to make batches, how to read the output, and when it counts as solved."""

    key: str
    title: str
    description: str
    input_size: int
    output_size: int
    output: str  # "softmax", "sigmoid" or "linear"
    make: Callable[[np.random.Generator, int], Batch] = field(repr=False)
    metric_name: str  # "accuracy", "sequences right" or "mean squared error"
    solved_at: float  # the metric's value that counts as solved
    higher_is_better: bool = True
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    size: int | None = None  # the size option it was made with (make_task)

    def batch(self, rng: np.random.Generator, size: int) -> Batch:
        return self.make(rng, size)

    def is_solved(self, metric: float) -> bool:
        return metric >= self.solved_at if self.higher_is_better else metric <= self.solved_at


def _one_hot(indices: np.ndarray, size: int) -> np.ndarray:
    return np.eye(size)[indices]


# --- delayed recall -----------------------------------------------------------------------------

RECALL_SYMBOLS = ("A", "B", "C", "D")


def delayed_recall(delay: int = 10) -> Task:
    """A symbol (one of four) at step 0, nothing, then a cue at step ``delay``: answer the symbol."""
    if not 1 <= delay <= 1000:
        raise ValueError(f"delay must be from 1 to 1000 steps, got {delay}.")
    n = len(RECALL_SYMBOLS)

    def make(rng: np.random.Generator, size: int) -> Batch:
        symbols = rng.integers(0, n, size)
        x = np.zeros((size, delay + 1, n + 1))
        x[:, 0, :n] = _one_hot(symbols, n)
        x[:, delay, n] = 1  # the cue
        y = np.zeros((size, delay + 1, n))
        y[:, delay] = _one_hot(symbols, n)
        mask = np.zeros((size, delay + 1))
        mask[:, delay] = 1
        return Batch(x, y, mask)

    return Task(
        key="recall",
        title=f"Delayed recall ({delay} steps)",
        description=(
            f"A symbol (A to D) arrives at step 0; {delay} steps later a cue asks for it. The cell must "
            "hold it in memory all that time: chance is 25%."
        ),
        input_size=n + 1,
        output_size=n,
        output="softmax",
        make=make,
        metric_name="accuracy",
        solved_at=0.99,
        input_names=(*RECALL_SYMBOLS, "cue"),
        output_names=RECALL_SYMBOLS,
    )


# --- the adding problem -------------------------------------------------------------------------


def adding(length: int = 30) -> Task:
    """Hochreiter & Schmidhuber's adding problem: random values, two of them marked; their sum."""
    if not 4 <= length <= 1000:
        raise ValueError(f"length must be from 4 to 1000 steps, got {length}.")

    def make(rng: np.random.Generator, size: int) -> Batch:
        x = np.zeros((size, length, 2))
        x[:, :, 0] = rng.uniform(0, 1, (size, length))
        half = length // 2
        first, second = rng.integers(0, half, size), rng.integers(half, length, size)
        rows = np.arange(size)
        x[rows, first, 1] = x[rows, second, 1] = 1
        y = np.zeros((size, length, 1))
        y[:, -1, 0] = x[rows, first, 0] + x[rows, second, 0]
        mask = np.zeros((size, length))
        mask[:, -1] = 1
        return Batch(x, y, mask)

    return Task(
        key="adding",
        title=f"Adding problem ({length} steps)",
        description=(
            "Each step brings a random number in [0, 1] and a marker; two numbers are marked, one in "
            "each half. At the last step, answer their sum. Always answering 1 scores a squared error "
            "of about 0.17; solved below 0.01."
        ),
        input_size=2,
        output_size=1,
        output="linear",
        make=make,
        metric_name="mean squared error",
        solved_at=0.01,
        higher_is_better=False,
        input_names=("value", "marker"),
        output_names=("sum",),
    )


# --- spike timing -------------------------------------------------------------------------------


def spike_timing(period: int = 5) -> Task:
    """A start spike at a random step in the first period; answer with a spike every ``period`` steps."""
    if not 2 <= period <= 100:
        raise ValueError(f"period must be from 2 to 100 steps, got {period}.")
    length = 5 * period

    def make(rng: np.random.Generator, size: int) -> Batch:
        start = rng.integers(0, period, size)
        x = np.zeros((size, length, 1))
        x[np.arange(size), start, 0] = 1
        t = np.arange(length)[None, :]
        since = t - start[:, None]
        y = ((since > 0) & (since % period == 0)).astype(float)[:, :, None]
        return Batch(x, y, np.ones((size, length)))

    return Task(
        key="spikes",
        title=f"Spike timing (every {period} steps)",
        description=(
            f"One start spike, then silence: answer with a spike exactly every {period} steps after it "
            "and nothing in between. The cell has to count; a sequence is right when every step is."
        ),
        input_size=1,
        output_size=1,
        output="sigmoid",
        make=make,
        metric_name="sequences right",
        solved_at=0.95,
        input_names=("start",),
        output_names=("spike",),
    )


# --- the embedded Reber grammar -----------------------------------------------------------------

REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
# Reber's graph: state -> [(symbol, next state)]; state 6 emits the final E.
_REBER = {0: [("T", 1), ("P", 2)], 1: [("S", 1), ("X", 3)], 2: [("T", 2), ("V", 4)], 3: [("X", 2), ("S", 5)]}
_REBER[4] = [("P", 3), ("V", 5)]


def _reber_string(rng: np.random.Generator) -> tuple[list[str], list[set[str]]]:
    """An embedded Reber string and, for each symbol but the last, the set of valid next symbols."""
    symbols, valid = ["B"], [{"T", "P"}]
    branch = "T" if rng.random() < 0.5 else "P"
    symbols.append(branch)
    valid.append({"B"})
    symbols.append("B")  # the inner string
    state = 0
    valid.append({s for s, _ in _REBER[0]})
    while state != 5:
        choices = _REBER[state]
        symbol, state = choices[rng.integers(len(choices))]
        symbols.append(symbol)
        valid.append({s for s, _ in _REBER[state]} if state != 5 else {"E"})
    symbols.append("E")
    valid.append({branch})  # the long-range dependency: the branch taken at the start
    symbols.append(branch)
    valid.append({"E"})
    symbols.append("E")
    return symbols, valid


def reber(max_length: int = 40) -> Task:
    """Embedded Reber grammar: predict the set of symbols that may come next."""
    n = len(REBER_SYMBOLS)
    index = {s: k for k, s in enumerate(REBER_SYMBOLS)}

    def make(rng: np.random.Generator, size: int) -> Batch:
        strings = []
        while len(strings) < size:
            symbols, valid = _reber_string(rng)
            if len(symbols) - 1 <= max_length:
                strings.append((symbols, valid))
        length = max(len(s) - 1 for s, _ in strings)
        x = np.zeros((size, length, n))
        y = np.zeros((size, length, n))
        mask = np.zeros((size, length))
        lengths = np.zeros(size, np.int64)
        for row, (symbols, valid) in enumerate(strings):
            steps = len(symbols) - 1
            lengths[row] = steps
            x[row, np.arange(steps), [index[s] for s in symbols[:-1]]] = 1
            for t, allowed in enumerate(valid[:steps]):
                y[row, t, [index[s] for s in allowed]] = 1
            mask[row, :steps] = 1
        return Batch(x, y, mask, lengths)

    return Task(
        key="reber",
        title="Embedded Reber grammar",
        description=(
            "Strings like B T B P V V E T E: at each symbol, predict every symbol that may come next. "
            "The hard part: the second symbol (T or P) must be remembered to the end, where it repeats. "
            "A string is right when every step's prediction is exactly the allowed set."
        ),
        input_size=n,
        output_size=n,
        output="sigmoid",
        make=make,
        metric_name="sequences right",
        solved_at=0.95,
        input_names=REBER_SYMBOLS,
        output_names=REBER_SYMBOLS,
    )


# --- sine continuation --------------------------------------------------------------------------


def sine(length: int = 40) -> Task:
    """Predict the next value of a sine wave of random frequency and phase."""
    if not 4 <= length <= 1000:
        raise ValueError(f"length must be from 4 to 1000 steps, got {length}.")

    def make(rng: np.random.Generator, size: int) -> Batch:
        omega = rng.uniform(0.15, 0.6, (size, 1))
        phase = rng.uniform(0, 2 * np.pi, (size, 1))
        wave = np.sin(omega * np.arange(length + 1)[None, :] + phase)
        mask = np.ones((size, length))
        mask[:, :3] = 0  # a few steps to hear the frequency first
        return Batch(wave[:, :-1, None], wave[:, 1:, None], mask)

    return Task(
        key="sine",
        title=f"Sine continuation ({length} steps)",
        description=(
            "A sine wave of random speed and phase arrives one value per step; predict the next value. "
            "From the third step on, the cell has heard enough to know the speed. Solved below 0.001."
        ),
        input_size=1,
        output_size=1,
        output="linear",
        make=make,
        metric_name="mean squared error",
        solved_at=1e-3,
        higher_is_better=False,
        input_names=("sin(t)",),
        output_names=("sin(t+1)",),
    )


# --- characters ---------------------------------------------------------------------------------


@cache
def shipped_text() -> str:
    """The short public-domain text the character model learns (nursery rhymes)."""
    return TEXT_FILE.read_text(encoding="utf-8")


def character_codes(text: str, alphabet: tuple[str, ...]) -> np.ndarray:
    """Each character of ``text`` as its index in ``alphabet``."""
    index = {ch: k for k, ch in enumerate(alphabet)}
    return np.array([index[ch] for ch in text])


def characters(length: int = 40, text: str | None = None) -> Task:
    """Predict the next character of a short text, from windows of ``length`` characters."""
    text = shipped_text() if text is None else text
    alphabet = tuple(sorted(set(text)))
    if len(text) <= length + 1 or len(alphabet) < 2:
        raise ValueError("The text must be longer than one window and use at least two characters.")
    codes = character_codes(text, alphabet)
    n = len(alphabet)

    def make(rng: np.random.Generator, size: int) -> Batch:
        starts = rng.integers(0, len(codes) - length - 1, size)
        windows = codes[starts[:, None] + np.arange(length + 1)[None, :]]
        return Batch(_one_hot(windows[:, :-1], n), _one_hot(windows[:, 1:], n), np.ones((size, length)))

    return Task(
        key="chars",
        title="Characters (nursery rhymes)",
        description=(
            f"Read {len(text):,} characters of nursery rhymes, {length} at a time, and predict each next "
            f"character ({n} possible). Counted as solved at 60% right."
        ),
        input_size=n,
        output_size=n,
        output="softmax",
        make=make,
        metric_name="accuracy",
        solved_at=0.6,
        input_names=alphabet,
        output_names=alphabet,
    )


@dataclass(frozen=True)
class TaskKind:
    """A task the app offers, before its size is chosen: how to make it, its one size option and how
    many training steps the Train page starts with (bench/train.py times each at that)."""

    key: str
    title: str  # "Delayed recall": menus
    make: Callable[[int], Task] = field(repr=False)
    size_name: str  # what its size option is: "Delay (steps)"
    size_default: int
    size_low: int
    size_high: int
    default_steps: int


#: Every task by key, in menu order.
TASKS: dict[str, TaskKind] = {
    kind.key: kind
    for kind in [
        TaskKind("recall", "Delayed recall", delayed_recall, "Delay (steps)", 10, 1, 200, 300),
        TaskKind("adding", "Adding problem", adding, "Sequence length", 20, 4, 200, 800),
        TaskKind("spikes", "Spike timing", spike_timing, "Spike period", 5, 2, 20, 400),
        TaskKind("reber", "Embedded Reber grammar", reber, "Longest string", 40, 10, 100, 600),
        TaskKind("sine", "Sine continuation", sine, "Sequence length", 40, 4, 200, 300),
        TaskKind("chars", "Characters (nursery rhymes)", characters, "Sequence length", 40, 5, 200, 400),
    ]
}


def task_title(key: str) -> str:
    """What a menu shows for a task (a module function: see ui.controls.unit_label)."""
    return TASKS[key].title


def make_task(key: str, size: int | None = None) -> Task:
    """The task ``key`` of :data:`TASKS` with its size option (delay, length, ...) or the default."""
    if key not in TASKS:
        raise ValueError(f"Unknown task {shown(key)}; accepted: {', '.join(TASKS)}.")
    kind = TASKS[key]
    size = kind.size_default if size is None else int(size)
    return replace(kind.make(size), size=size)


def format_metric(metric_name: str, value: float) -> str:
    """A task metric as a learner reads it: a percentage, or the squared error to 3 digits."""
    if metric_name in ("accuracy", "sequences right"):
        return f"{value:.0%}"
    return f"{value:.3g}"
