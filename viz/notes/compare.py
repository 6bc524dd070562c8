"""What to notice in Compare's charts: a few sentences per run, from its numbers and its reference's.

A run is credited with its variant's change only against the cell it changes in one place
(:func:`parent_of`); anything else gets the ranges and a hint to put basic first. :func:`cards`
gives the page one card per run: its title, its variant's summary and source, and the notes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_core import GREFF_FLAGS, param_count
from lstm_core.variants import CHOICES, VARIANTS

from ..compare import Column, half_life_text
from ..format import fmt
from ..style import BOUNDED_ACTIVATIONS


def _range(values: np.ndarray) -> str:
    return f"[{fmt(values.min(), 2)}, {fmt(values.max(), 2)}]"


def _peak(a: np.ndarray, b: np.ndarray) -> str:
    return fmt(float(np.max(np.abs(a - b))), 3)


def parent_of(column: Column, reference: Column) -> bool:
    """Whether ``reference`` is the cell ``column`` changes in one place (basic, or the peephole
    cell when every variant has peepholes), so that a difference can be put down to that change."""
    ours, theirs = column.trace.config, reference.trace.config
    if theirs.forget_bias != ours.forget_bias or theirs.coupled or any(getattr(theirs, flag) for flag in GREFF_FLAGS):
        return False
    if column.key == "peephole":
        return not theirs.use_peepholes
    return theirs.use_peepholes == ours.use_peepholes


def what_to_notice(column: Column, reference: Column | None, batch: int = 0) -> str:
    """A few sentences on what this run shows, from its numbers (and its reference's)."""
    t, cfg = column.trace, column.trace.config
    f, c, h = t.f[batch], t.new_c[batch], t.new_h[batch]
    clip_note = " (c is clipped, so this is only approximate)" if cfg.cell_clip is not None else ""
    if reference is None:
        if cfg.no_forget_gate:
            memory = "There is no forget gate (f = 1): c never forgets"
        else:
            sigma = 1 / (1 + np.exp(-cfg.forget_bias))
            memory = (
                f"The forget gate averages {fmt(f.mean(), 2)} (forget_bias {cfg.forget_bias:g} alone would give "
                f"σ({cfg.forget_bias:g}) = {fmt(sigma, 2)}): c loses half of what it holds every "
                f"{half_life_text(t, batch)}{clip_note}"
            )
        return f"The reference. {memory}. c stays within {_range(c)}, h within {_range(h)}."
    r = reference.trace
    rf, rc, rh = r.f[batch], r.new_c[batch], r.new_h[batch]
    name = reference.label
    if column.key == reference.key:  # the same variant at another forget_bias
        if cfg.no_forget_gate:
            return (
                "Without a forget gate, forget_bias has nothing to act on: f = 1 at both, and the runs are identical."
            )
        return (
            f"forget_bias {cfg.forget_bias:g} against {r.config.forget_bias:g}: f averages {fmt(f.mean(), 2)} "
            f"instead of {fmt(rf.mean(), 2)}, so c's half-life is {half_life_text(t, batch)} instead of "
            f"{half_life_text(r, batch)}{clip_note}. That is why TensorFlow adds 1 by default: a cell that starts "
            "out remembering can learn what to forget; one that starts out forgetting gets little gradient from "
            f"far back. c spans {_range(c)} against {_range(rc)}."
        )
    if float(np.max(np.abs(h - rh))) == 0 and float(np.max(np.abs(c - rc))) == 0:
        same_cell = (
            r.config.use_peepholes and not r.config.coupled and not any(getattr(r.config, g) for g in GREFF_FLAGS)
        )
        if column.key == "peephole" and same_cell:
            return f"Identical to {name}: with peepholes everywhere, {name} has them too, so they are the same cell."
        why = {
            "peephole": "the peephole strength is 0",
            "NOAF": f"{cfg.activation}(c) = c for every value c took here",
            "NIAF": f"{cfg.activation}(j) = j for every value j took here",
        }.get(column.key, "this change has no effect on these inputs")
        return f"Identical to {name} on these inputs: {why}."
    if not parent_of(column, reference):
        return (
            f"{name} is not the cell this variant changes in one place, so the differences mix several changes. "
            f"c spans {_range(c)} against {_range(rc)}; h spans {_range(h)} against {_range(rh)}. Put basic first "
            "to see this variant's own effect."
        )
    key = column.key
    if key == "peephole":
        p = t.params
        peeps = np.concatenate([p.w_i_diag, p.w_f_diag, p.w_o_diag])
        return (
            f"The peepholes add w ⊙ c to the gates, with weights in {_range(peeps)}. Against {name}, f moves by "
            f"up to {_peak(f, rf)} and o by up to {_peak(t.o[batch], r.o[batch])}; the gates move most where "
            "|c| is large. Set the peephole strength to 0 and the difference maps go blank."
        )
    if key == "coupled":
        ours, theirs = param_count(cfg)["total"], param_count(r.config)["total"]
        return (
            f"i = 1 − f: a unit writes exactly as much as it forgets. Here i averages {fmt(t.i[batch].mean(), 2)} "
            f"against {fmt(r.i[batch].mean(), 2)} in {name}: with f near {fmt(f.mean(), 2)}, little is written. "
            f"{ours:,} parameters instead of {theirs:,} (the i block is not used). c spans {_range(c)} "
            f"against {_range(rc)}."
        )
    if key == "NIG":
        return (
            f"i = 1: every step adds all of j to c, so c spans {_range(c)} against {_range(rc)} in {name}. "
            "The cell can no longer choose what to write, only what to forget."
        )
    if key == "NFG":
        clipped = " up to the clip" if cfg.cell_clip is not None else ""
        return (
            f"f = 1: nothing is forgotten and c only accumulates{clipped}: it spans {_range(c)} against "
            f"{_range(rc)} in {name}, whose half-life is {half_life_text(r, batch)}. Greff et al. found that "
            "removing the forget gate hurts most tasks badly."
        )
    if key == "NOG":
        bounded = cfg.output_activation in BOUNDED_ACTIVATIONS
        return (
            f"o = 1: all of {cfg.activation}(c) is let out, so |h| averages {fmt(np.abs(h).mean(), 3)} against "
            f"{fmt(np.abs(rh).mean(), 3)} in {name}."
            + (f" h still stays within {cfg.activation}'s range." if bounded else "")
        )
    if key == "NIAF":
        return (
            f"j = j_pre is not squashed: j spans {_range(t.j[batch])} against {_range(r.j[batch])} in {name}, "
            f"and c spans {_range(c)} against {_range(rc)}."
        )
    if key == "NOAF":
        return (
            f"h = o ⊙ c is not squashed by {cfg.activation}: h spans {_range(h)} against {_range(rh)} in {name}. "
            "Greff et al. found that removing the output activation hurts: h then grows with c."
        )
    return f"Against {name}: c spans {_range(c)} instead of {_range(rc)}; h spans {_range(h)} instead of {_range(rh)}."


def other_cell_notice(column: Column, lstm: Column | None, batch: int = 0) -> str:
    """What a plain RNN's or a GRU's run shows, from its numbers (and the first LSTM's parameters)."""
    t, cfg = column.trace, column.trace.config
    h = t.new_h[batch]
    ours = param_count(cfg)["total"]
    if lstm is not None:
        theirs = param_count(lstm.trace.config)["total"]
        size = f"{ours:,} parameters, {ours / theirs:.2f} of {lstm.label}'s {theirs:,}"
    else:
        size = f"{ours:,} parameters"
    if column.kind == "rnn":
        slope = ""
        if cfg.activation == "tanh":
            slope = (
                f" Going back one step, the error is multiplied by the weights and by tanh's slope, 1 − h², which "
                f"averages {fmt(float((1 - h.astype(np.float64) ** 2).mean()), 2)} here: Gradient flow shows what "
                "that does over many steps."
            )
        return (
            f"No gates and no cell state: h = {cfg.activation}(W [x; h(t−1)] + b) is all it has, and h spans "
            f"{_range(h)}. {size} (one block of weights where the LSTM has four).{slope}"
        )
    u, r = t.u[batch], t.r[batch]
    return (
        f"Two gates and no cell state: its memory is h itself. The update gate u averages {fmt(u.mean(), 2)}, so h "
        f"keeps that much of itself each step and halves every {half_life_text(t, batch)} (u plays f's part; TensorFlow "
        f"starts its bias at 1). The reset gate r averages {fmt(r.mean(), 2)}. h spans {_range(h)}. {size} "
        "(three blocks where the LSTM has four)."
    )


@dataclass(frozen=True)
class Card:
    """One "What to notice" card: the run's title, its variant's summary and source, and the notes."""

    title: str
    summary: str
    source: str
    text: str


def cards(
    columns: list[Column], batch: int = 0, *, fb01: bool = False, peepholes_everywhere: bool = False
) -> list[Card]:
    """A card per run of ``columns``; with ``fb01``, one per variant (its run at forget_bias 1 against 0).
    With ``peepholes_everywhere`` every variant has peepholes, so basic's card describes the peephole
    cell it has become, and the other changes' cards say they have them too."""
    shown = [c for c in columns if c.ref is not None or c.kind != "lstm"] if fb01 else columns
    lstm = next((c for c in columns if c.kind == "lstm"), None)
    out = []
    for column in shown:
        variant = CHOICES[column.key]
        if column.kind != "lstm":
            out.append(Card(variant.label, variant.summary, variant.source, other_cell_notice(column, lstm, batch)))
            continue
        summary, source = variant.summary, variant.source
        if peepholes_everywhere and column.key == "basic":
            summary = "BasicLSTMCell given peepholes, as every variant is here: the peephole cell."
            source = VARIANTS["peephole"].source
        elif peepholes_everywhere and column.key != "peephole":
            summary += " Here with peepholes, as every variant."
        reference = columns[column.ref] if column.ref is not None else None
        title = variant.label + (", forget_bias 1 against 0" if fb01 else "")
        out.append(Card(title, summary, source, what_to_notice(column, reference, batch)))
    return out
