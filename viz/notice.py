"""What to notice on Explore and Step through: sentences written from the run shown.

Each sentence names a unit, a step and the numbers that make it worth looking at: which unit holds a
memory longest and how long (:func:`longest_hold`), where a gate swings most (:func:`biggest_swing`),
and what the forget_bias alone would keep. Nothing is typed in: every number comes from the Trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_core import Trace

from .format import fmt
from .lesson import closed_form_half_life, gate

#: Below this |c| a value is too faint on the ±1 band to count as a memory.
MEMORY_FLOOR = 0.1
#: A hold shorter than this many steps is not called a memory.
MEMORY_STEPS = 3
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o"}


@dataclass(frozen=True)
class Hold:
    """Unit ``unit``'s c, from step ``start`` (where it is ``value``) to ``end`` (inclusive), keeps
    its sign and at least half of ``value``'s size; ``mean_f`` is f's mean over the steps after ``start``."""

    unit: int
    start: int
    end: int
    value: float
    mean_f: float

    @property
    def steps(self) -> int:
        return self.end - self.start + 1


def _holds_of(c: np.ndarray, f: np.ndarray, unit: int) -> Hold | None:
    """The longest hold of one unit's c (ties: the larger start value), from any local peak of |c|."""
    size = np.abs(c)
    previous = np.concatenate([[0.0], size[:-1]])
    following = np.concatenate([size[1:], [0.0]])
    peaks = np.nonzero((size >= MEMORY_FLOOR) & (size >= previous) & (size >= following))[0]
    best: Hold | None = None
    for start in peaks:
        rest = c[start:]
        broken = (np.sign(rest) != np.sign(c[start])) | (np.abs(rest) < size[start] / 2)
        end = start + (int(np.argmax(broken)) - 1 if broken.any() else rest.size - 1)
        mean_f = float(f[start + 1 : end + 1].mean()) if end > start else float(f[start])
        hold = Hold(unit, int(start), int(end), float(c[start]), mean_f)
        if best is None or (hold.steps, abs(hold.value)) > (best.steps, abs(best.value)):
            best = hold
    return best


def longest_hold(trace: Trace, batch: int = 0, units: list[int] | None = None) -> Hold | None:
    """The longest stretch in which one unit's cell state keeps at least half of a peak (None: no
    unit's |c| reaches :data:`MEMORY_FLOOR`)."""
    c = trace.new_c[batch].astype(np.float64)
    f = trace.f[batch].astype(np.float64)
    holds = [h for u in (units if units is not None else range(c.shape[1])) if (h := _holds_of(c[:, u], f[:, u], u))]
    return max(holds, key=lambda h: (h.steps, abs(h.value)), default=None)


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


def hold_sentence(hold: Hold | None, steps: int, labels: tuple[str, ...] | None = None, who: str = "") -> str:
    if hold is None or hold.steps < MEMORY_STEPS:
        longest = 0 if hold is None else hold.steps
        return (
            f"**No memory held for long{who}**: no c stays above half of a peak for more than "
            f"{longest} step{'s' * (longest != 1)}. Raise forget_bias and watch the c band darken and stretch."
        )
    to_end = " (the end of the sequence)" if hold.end == steps - 1 else ""
    return (
        f"**Unit {hold.unit} holds a memory longest{who}**: from {_at(hold.start, labels)}, where c = "
        f"{fmt(hold.value)}, its c keeps at least half of that for **{hold.steps} steps**, to "
        f"{_at(hold.end, labels)}{to_end}. Its forget gate averages f = {fmt(hold.mean_f)} over those steps: "
        f"each step keeps {hold.mean_f:.0%} of the old c, and i ⊙ j adds or takes the rest."
    )


def swing_sentence(swing: Swing | None, labels: tuple[str, ...] | None = None) -> str | None:
    if swing is None:
        return None
    verb = "opens" if swing.after > swing.before else "closes"
    return (
        f"**The biggest swing of a gate**: the {GATE_NAMES[swing.gate]} of unit {swing.unit} {verb} from "
        f"{fmt(swing.before, 2)} to {fmt(swing.after, 2)} at {_at(swing.t, labels)}."
    )


def bias_sentence(trace: Trace) -> str:
    fb = trace.config.forget_bias
    return (
        f"forget_bias = {fb:g} is added to every f before the sigmoid: a unit whose own f_pre is 0 would keep "
        f"σ({fb:g}) = {fmt(gate(fb))} of c per step, and lose half of it in {closed_form_half_life(fb):.1f} steps."
    )


def explore_notes(trace: Trace, batch: int = 0, labels: tuple[str, ...] | None = None) -> list[str]:
    """Explore's "What to notice": the longest-held memory, the biggest gate swing, forget_bias's share."""
    notes = [hold_sentence(longest_hold(trace, batch), trace.num_steps, labels)]
    swing = swing_sentence(biggest_swing(trace, batch), labels)
    return notes + ([swing] if swing else []) + [bias_sentence(trace)]


def step_notes(trace: Trace, batch: int, unit: int, labels: tuple[str, ...] | None = None) -> list[str]:
    """Step through's "What to notice" for one unit: where its memory is held, where its gates swing
    (steps worth stepping to)."""
    notes = [hold_sentence(longest_hold(trace, batch, [unit]), trace.num_steps, labels, who=" in this unit")]
    swing = swing_sentence(biggest_swing(trace, batch, [unit]), labels)
    return [notes[0].replace(f"Unit {unit} holds a memory longest in this unit", f"Unit {unit} holds a memory")] + (
        [swing] if swing else []
    )


def opening_step(trace: Trace, batch: int = 0) -> int:
    """Where Step through opens when no step is chosen: t = 1, the first step with a memory to keep,
    unless the sequence has one step or the run starts from a state of its own (then t = 0)."""
    starts_empty = not np.any(trace.initial_state.c[batch])
    return 1 if trace.num_steps > 1 and starts_empty else 0
