"""What to notice on Explore and Step through: sentences written from the run shown.

Each sentence names a unit, a step and the numbers that make it worth looking at: which unit holds a
memory longest and how long (:func:`longest_memory`), where a gate swings most (:func:`biggest_swing`),
and what the forget_bias alone would keep. Nothing is typed in: every number comes from the Trace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lstm_core import Trace

from .format import fmt


def gate(forget_bias: float) -> float:
    """sigmoid(forget_bias): where a forget gate sits when its weights add nothing."""
    return 1.0 / (1.0 + math.exp(-forget_bias))


def closed_form_half_life(forget_bias: float) -> float:
    """Steps until sigmoid(forget_bias) ** t falls to one half: log(1/2) / log(sigmoid(fb))."""
    return math.log(0.5) / math.log(gate(forget_bias))


#: Below this |c| a value is too faint on the ±1 band to count as a memory.
MEMORY_FLOOR = 0.1
#: A hold shorter than this many steps is not called a memory.
MEMORY_STEPS = 3
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o"}


@dataclass(frozen=True)
class Memory:
    """What unit ``unit``'s forget gates keep of the first clear value its cell state held.

    ``value`` is c at step ``start`` (the first step where |c| reaches :data:`MEMORY_FLOOR`, with at
    least :data:`MEMORY_STEPS` steps after it); ``f`` holds the forget gates of the steps after it, so
    ``kept[k] = f[0] * ... * f[k]`` is the share of ``value`` the forget gates alone pass on to step
    start + k + 1: what would be left if nothing were written on top (the lesson's
    sigma(forget_bias)^t, with the run's real gates). ``c_end`` is what c actually is at the last step."""

    unit: int
    start: int
    value: float
    f: np.ndarray
    c_end: float

    @property
    def kept(self) -> np.ndarray:
        return np.cumprod(self.f)

    @property
    def end(self) -> int:
        return self.start + self.f.size

    @property
    def mean_f(self) -> float:
        """The forget gates' geometric mean after ``start``: the share of the memory kept per step."""
        return float(np.exp(np.mean(np.log(np.maximum(self.f, 1e-300)))))

    @property
    def half_gone(self) -> int | None:
        """Steps after ``start`` until less than half of ``value`` is kept (None: not within the sequence)."""
        below = np.nonzero(self.kept < 0.5)[0]
        return int(below[0]) + 1 if below.size else None


def _memory_of(c: np.ndarray, f: np.ndarray, unit: int) -> Memory | None:
    written = np.nonzero(np.abs(c[: c.size - MEMORY_STEPS]) >= MEMORY_FLOOR)[0]
    if written.size == 0:
        return None
    start = int(written[0])
    return Memory(unit, start, float(c[start]), f[start + 1 :], float(c[-1]))


def longest_memory(trace: Trace, batch: int = 0, units: list[int] | None = None) -> Memory | None:
    """The unit whose forget gates keep its first clear memory best (the highest share kept per
    step; ties: the larger value), or None when no unit's c reaches :data:`MEMORY_FLOOR` early enough."""
    c = trace.new_c[batch].astype(np.float64)
    f = trace.f[batch].astype(np.float64)
    found = [m for u in (units if units is not None else range(c.shape[1])) if (m := _memory_of(c[:, u], f[:, u], u))]
    return max(found, key=lambda m: (round(m.mean_f, 12), abs(m.value)), default=None)


@dataclass(frozen=True)
class Swing:
    """Gate ``gate`` of unit ``unit`` goes from ``before`` (step t - 1) to ``after`` (step t)."""

    gate: str
    unit: int
    t: int
    before: float
    after: float


def biggest_swing(trace: Trace, batch: int = 0, units: list[int] | None = None) -> Swing | None:
    """The largest change of i, f or o from one step to the next (None: a single step). A coupled
    cell's i is 1 - f, so only f is looked at there."""
    if trace.num_steps < 2:
        return None
    chosen = list(units) if units is not None else list(range(trace.config.num_units))
    best: Swing | None = None
    for name in ("f", "o") if trace.config.coupled else ("i", "f", "o"):
        values = getattr(trace, name)[batch][:, chosen].astype(np.float64)
        jumps = np.abs(np.diff(values, axis=0))
        t, k = np.unravel_index(int(np.argmax(jumps)), jumps.shape)
        if best is None or jumps[t, k] > abs(best.after - best.before):
            best = Swing(name, chosen[k], int(t) + 1, float(values[t, k]), float(values[t + 1, k]))
    return best


def _at(t: int, labels: tuple[str, ...] | None) -> str:
    label = labels[t] if labels is not None and t < len(labels) else str(t)
    return f"t = {t}" + (f" ('{label}')" if label != str(t) else "")


def _share(kept: float) -> str:
    """A share as a percentage, with the decimals it takes not to read as exactly one half."""
    for places in range(1, 6):
        text = f"{kept:.{places}%}"
        if float(text[:-1]) != 50:
            return text
    return f"{kept:.6%}"


def memory_sentence(
    memory: Memory | None, labels: tuple[str, ...] | None = None, who: str = "", headline: str | None = None
) -> str:
    """What the longest memory's forget gates keep, in the lesson's terms (half gone after N steps).
    ``who`` follows the headlines that speak of every unit; ``headline`` replaces the one that names
    the unit found (Step through's, of its one unit)."""
    if memory is None:
        return (
            f"**No memory to follow{who}**: c never reaches ±{MEMORY_FLOOR:g} early enough to watch what happens "
            "to it. Try a stronger input, or the trained weights."
        )
    gone = memory.half_gone
    written = f"c = {fmt(memory.value)} is written at {_at(memory.start, labels)}"
    # What the gates keep, multiplied step by step as the table's f can be multiplied by hand (their
    # mean per step would not say on which step half is gone: the gates differ from step to step).
    if gone is not None and gone < MEMORY_STEPS:
        return (
            f"**Nothing is kept for long{who}**: "
            + (
                f"in unit {memory.unit}, "
                if who
                else f"even in unit {memory.unit}, whose memory lasts longest of the units whose c reaches "
                f"±{MEMORY_FLOOR:g}, "
            )
            + f"{written} and its forget gates, multiplied step by step, leave "
            f"{_share(memory.kept[gone - 1])} of it after {gone} step{'s' * (gone != 1)}. Raise forget_bias and watch f and c."
        )
    headline = headline or f"Unit {memory.unit} keeps a memory longest{who}"
    if gone is None:
        per_step = memory.mean_f  # to the power of the steps, what is left
        kept = (
            f"its forget gates keep on average {per_step:.1%} of it per step (f = {fmt(per_step)}), so "
            f"**{memory.kept[-1]:.0%} of it is still there at {_at(memory.end, labels)}**, {memory.f.size} steps later"
        )
    else:
        kept = (
            f"multiplied step by step, its forget gates keep {_share(memory.kept[gone - 2])} of it after {gone - 1} "
            f"steps and {_share(memory.kept[gone - 1])} after {gone}: **half of it is gone after {gone} steps**"
        )
    return (
        f"**{headline}**: {written}; {kept}. What c actually holds also depends on what i ⊙ j writes on top: "
        f"it ends at {fmt(memory.c_end)}."
    )


#: A change of a gate from one step to the next smaller than this is not called a swing.
SWING = 0.2


def swing_sentence(swing: Swing | None, labels: tuple[str, ...] | None = None) -> str | None:
    if swing is None:
        return None
    size = abs(swing.after - swing.before)
    if size < SWING:
        return (
            f"**No gate swings much**: the largest change of a gate from one step to the next is {fmt(size, 2)} "
            f"(the {GATE_NAMES[swing.gate]} of unit {swing.unit} at {_at(swing.t, labels)}): this cell reads its "
            "input without ever switching a gate open or shut."
        )
    verb = "opens" if swing.after > swing.before else "closes"
    return (
        f"**The biggest swing of a gate**: the {GATE_NAMES[swing.gate]} of unit {swing.unit} {verb} from "
        f"{fmt(swing.before, 2)} to {fmt(swing.after, 2)} at {_at(swing.t, labels)}."
    )


def bias_sentence(trace: Trace) -> str:
    fb = trace.config.forget_bias
    exact = closed_form_half_life(fb)
    steps = math.floor(exact) + 1  # the first whole step with less than half left, as the notes count
    return (
        f"forget_bias = {fb:g} is added to every f before the sigmoid: a unit whose own f_pre is 0 would keep "
        f"σ({fb:g}) = {fmt(gate(fb))} of c per step, so more than half of it would be gone after {steps} "
        f"step{'s' * (steps != 1)} (σ({fb:g})^t = 1/2 at t = {exact:.1f})."
    )


def explore_notes(trace: Trace, batch: int = 0, labels: tuple[str, ...] | None = None) -> list[str]:
    """Explore's "What to notice": the longest-held memory, the biggest gate swing, forget_bias's share."""
    notes = [memory_sentence(longest_memory(trace, batch), labels)]
    swing = swing_sentence(biggest_swing(trace, batch), labels)
    return notes + ([swing] if swing else []) + [bias_sentence(trace)]


def step_notes(trace: Trace, batch: int, unit: int, labels: tuple[str, ...] | None = None) -> list[str]:
    """Step through's "What to notice" for one unit: what its forget gates keep of its first memory,
    where its gates swing (steps worth stepping to)."""
    memory = memory_sentence(
        longest_memory(trace, batch, [unit]), labels, who=" here", headline=f"Unit {unit}'s memory"
    )
    swing = swing_sentence(biggest_swing(trace, batch, [unit]), labels)
    return [memory] + ([swing] if swing else [])


def opening_step(trace: Trace, batch: int = 0) -> int:
    """Where Step through opens when no step is chosen: t = 1, the first step with a memory to keep,
    unless the sequence has one step or the run starts from a state of its own (then t = 0)."""
    starts_empty = not np.any(trace.initial_state.c[batch])
    return 1 if trace.num_steps > 1 and starts_empty else 0
