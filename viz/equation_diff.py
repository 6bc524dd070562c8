"""The equations of several variants side by side, what each changes against the reference marked.

:func:`equation_columns` writes each variant's equations (:func:`viz.stepview.equations`) with
:func:`highlight`'s marks; :func:`in_groups` says how many go side by side.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from lstm_core.variants import VARIANTS

from .compare import Column
from .stepview import equations, step_values

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


def equation_columns(columns: list[Column], batch: int = 0, fb01: bool = False) -> list[EquationColumn]:
    """The equations of each variant of ``columns`` (once per variant with ``fb01``: forget_bias does not
    change them), each line marked against the first variant's, which is written plain."""
    ordered = [c for c in columns if not fb01 or c.ref is None]
    lines = [equations(c.trace.config, step_values(c.trace, batch, 0, 0)) for c in ordered]
    reference = {eq.name: eq.symbolic for eq in lines[0]}
    size = r"\small " if len(ordered) > 2 else ""
    return [
        EquationColumn(
            VARIANTS[column.key].label,
            [size + highlight(eq.symbolic, None if k == 0 else reference.get(eq.name)) for eq in eqs],
        )
        for k, (column, eqs) in enumerate(zip(ordered, lines, strict=True))
    ]


def in_groups(items: list, most: int = PER_ROW) -> tuple[list[list], int]:
    """``items`` in as few groups of at most ``most`` as will do, all of one size but maybe the last
    (four in two groups of two, not three and one): (the groups, that size)."""
    count = math.ceil(len(items) / most)
    size = math.ceil(len(items) / count)
    return [items[start : start + size] for start in range(0, len(items), size)], size
