"""The equations of several variants side by side, what each changes against the reference marked.

:func:`equation_columns` writes each variant's equations (:func:`viz.stepview.equations`) with
:func:`highlight`'s marks, and a plain RNN's or a GRU's own (:func:`cell_equations`, not marked: they
are other cells, not one change); :func:`in_groups` says how many go side by side.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from lstm_core.variants import CHOICES

from .compare import Column
from .stepview import _act, equations, step_values

#: What a variant adds, in its equations.
HIGHLIGHT = "#D55E00"
#: Variants side by side at the most: a peephole equation needs about a third of the page's width.
PER_ROW = 3


_TOKEN = re.compile(
    r"\\operatorname\{[^}]*\}|\\text\{[^}]*\}|\\[A-Za-z]+|\\.|[A-Za-z](?:_\{[^}]*\}|_[A-Za-z0-9])?|\d+(?:\.\d+)?|\S"
)


def _tokens(latex: str) -> list[str]:
    plain = latex.replace(r"\left(", "(").replace(r"\right)", ")")
    return _TOKEN.findall(plain)


def highlight(latex: str, reference: str | None) -> str:
    """``latex`` with what differs from ``reference`` marked: added terms coloured, removed ones
    struck through. Both are single equations in the form :func:`viz.stepview.equations` writes."""
    ours = _tokens(latex)
    if reference is None:
        return " ".join(ours)
    theirs = _tokens(reference)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=theirs, b=ours, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(ours[j1:j2])
            continue
        if i2 > i1:
            out.append(r"{\color{#999999}\cancel{" + " ".join(theirs[i1:i2]) + "}}")
        if j2 > j1:
            out.append(r"{\color{" + HIGHLIGHT + "}" + " ".join(ours[j1:j2]) + "}")
    return " ".join(out)


@dataclass(frozen=True)
class EquationColumn:
    """One variant's equations as the page writes them: its label and one LaTeX line per equation."""

    label: str
    lines: list[str]  # f, i, j, c, o, h (and the projection), in viz.stepview.equations' order


def cell_equations(column: Column) -> list[str]:
    """A plain RNN's or a GRU's equations, in TensorFlow's order (lstm_core.rnn, lstm_core.gru)."""
    act = column.trace.config.activation
    if column.kind == "rnn":
        return [r"h_t = " + _act(act, r"W \left[x_t;\ h_{t-1}\right] + b")]
    return [
        r"r_t = \sigma\left(W_r \left[x_t;\ h_{t-1}\right] + b_r\right)",
        r"u_t = \sigma\left(W_u \left[x_t;\ h_{t-1}\right] + b_u\right)",
        r"\tilde{c}_t = " + _act(act, r"W_c \left[x_t;\ r_t \odot h_{t-1}\right] + b_c"),
        r"h_t = u_t \odot h_{t-1} + (1 - u_t) \odot \tilde{c}_t",
    ]


def equation_columns(columns: list[Column], batch: int = 0, fb01: bool = False) -> list[EquationColumn]:
    """The equations of each variant of ``columns`` (once per variant with ``fb01``: forget_bias does not
    change them), each LSTM's line marked against the first LSTM's, which is written plain; a plain
    RNN's and a GRU's own equations unmarked. Columns with fewer lines are padded with empty lines at
    the top, so that every cell's h_t is on the last line, side by side."""
    ordered = [c for c in columns if not fb01 or c.ref is None]
    size = r"\small " if len(ordered) > 2 else ""
    lstm = [c for c in ordered if c.kind == "lstm"]
    lines = {id(c): equations(c.trace.config, step_values(c.trace, batch, 0, 0)) for c in lstm}
    reference = {eq.name: eq.symbolic for eq in lines[id(lstm[0])]} if lstm else {}
    written = []
    for column in ordered:
        if column.kind == "lstm":
            first = column is lstm[0]
            text = [highlight(eq.symbolic, None if first else reference.get(eq.name)) for eq in lines[id(column)]]
        else:
            text = cell_equations(column)
        written.append((CHOICES[column.key].label, [size + line for line in text]))
    depth = max(len(text) for _, text in written)
    return [EquationColumn(label, [""] * (depth - len(text)) + text) for label, text in written]


def in_groups(items: list, most: int = PER_ROW) -> tuple[list[list], int]:
    """``items`` in as few groups of at most ``most`` as will do, all of one size but maybe the last
    (four in two groups of two, not three and one): (the groups, that size)."""
    count = math.ceil(len(items) / most)
    size = math.ceil(len(items) / count)
    return [items[start : start + size] for start in range(0, len(items), size)], size
