"""Variants side by side: the same inputs and weights through each cell, and what changes.

The variants are lstm_core.variants': TensorFlow's three cells (basic, peephole, coupled) and Greff
et al.'s one-change variants (LSTM: A Search Space Odyssey, 2017). Everything here is plain NumPy, pandas and Plotly
dicts: the page lays them out, the tests check the numbers.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lstm_core import GREFF_FLAGS, Trace, param_count
from lstm_core.variants import VARIANTS

from .figure import (
    band_colorbar,
    band_label,
    column_title,
    figure,
    panel_axes,
    panel_refs,
    row_heights,
    split_columns,
    stack_bands,
    step_axis,
    title_with_note,
    typed,
    unit_axis,
)
from .format import fmt, fraction, tick, ticks
from .heatmaps import CELL_BUDGET, TimeAxis
from .style import BOUNDED_ACTIVATIONS, FONT_FAMILY, SIGNED_SCALE, STYLES, nice_bound

#: The quantities compared, one row of heatmaps each.
ROWS: tuple[str, ...] = ("i", "j", "f", "o", "new_c", "new_h")
#: Cells per comparison figure (all panels together) above which time is averaged over bins.
FIGURE_BUDGET = 3 * CELL_BUDGET
HIGHLIGHT = "#D55E00"


DEFAULT_VARIANTS = ("basic", "peephole", "coupled")
MAX_VARIANTS = 4


@dataclass(frozen=True)
class Column:
    """One run shown in the comparison: a variant, possibly at a forget_bias of its own."""

    key: str  # the variant's key
    label: str  # the column title
    trace: Trace
    ref: int | None = None  # the column its differences are taken against


# ----------------------------------------------------------------------------- heatmaps


@dataclass(frozen=True)
class _Row:
    name: str  # a Trace quantity
    label: str  # the row's title (left of the panels)
    values: list[np.ndarray]  # per panel, (steps, units)
    zrange: tuple[float, float]
    scale: str
    symbol: str
    panel_bounds: list[float] | None = None  # per panel ±bound instead of one axis for the row


def _value_range(name: str, columns: list[Column], values: list[np.ndarray]) -> tuple[float, float]:
    """One colour range for a row of panels: fixed where every variant bounds the quantity."""
    fixed = STYLES[name].zrange
    if name in ("i", "f", "o"):
        return fixed
    if name == "j":
        bounded = all(c.trace.config.input_activation in BOUNDED_ACTIVATIONS for c in columns)
    elif name == "new_h":
        bounded = all(
            c.trace.config.output_activation in BOUNDED_ACTIVATIONS and c.trace.config.num_proj is None for c in columns
        )
    else:
        bounded = False
    if bounded:
        return fixed
    peak = max(float(np.max(np.abs(v))) for v in values)
    bound = nice_bound(peak) if peak > 0 else 1.0
    return (-bound, bound)


def _grid(rows: list[_Row], titles: list[str], steps: int, step_labels, title: str) -> go.Figure:
    """Panels of heatmaps: a row per quantity, a column per run. A row shares one colour axis,
    unless it has ``panel_bounds``: then each panel is scaled to its own ±bound, written above it."""
    ncols = len(titles)
    units_per_row = [v[0].shape[1] for v in (r.values for r in rows)]
    shown = [_short_title(t) for t in titles]
    axis = TimeAxis.fit(steps, max(units_per_row), FIGURE_BUDGET // (len(rows) * ncols))
    x = axis.x()
    top_margin = 54.0 if any("<br>" in t for t in shown) else 34.0  # room for the column titles
    bands, total = stack_bands(row_heights(units_per_row), gap=30.0, top_margin=top_margin)
    lefts, width = split_columns(ncols, 0.025 if ncols > 1 else 0.0)
    traces, layout = [], {}
    annotations = [column_title(text, left + width / 2) for text, left in zip(shown, lefts, strict=True)]
    for r, (row, (bottom, top)) in enumerate(zip(rows, bands, strict=True)):
        coloraxis = "coloraxis" if r == 0 else f"coloraxis{r + 1}"
        zmin, zmax = row.zrange
        colorbar = band_colorbar(top, bottom, zmin, zmax, ticks(zmin, zmax))
        if row.panel_bounds is None:
            layout[coloraxis] = {"colorscale": row.scale, "cmin": zmin, "cmax": zmax, "colorbar": colorbar}
        xshift = -30 if max(units_per_row) <= 10 else -38  # clear of the unit numbers
        annotations.append(band_label(row.label, (top + bottom) / 2, xshift=xshift))
        last_row = r == len(rows) - 1
        for c, (values, run_title, left) in enumerate(zip(row.values, titles, lefts, strict=True)):
            panel = r * ncols + c
            z = axis.pool(values)
            hover = (
                f"{run_title}<br>{axis.step_word} %{{x}}<br>unit %{{y}}<br>{row.symbol} = %{{z:.4f}}"
                + axis.hover_note
                + "<extra></extra>"
            )
            heatmap = {
                "type": "heatmap",
                "name": f"{row.name} · {run_title}",
                "z": typed(z),
                "x": typed(x),
                "y": typed(np.arange(z.shape[0], dtype=np.float32)),
                "hovertemplate": hover,
                **panel_refs(panel),
            }
            if row.panel_bounds is None:
                heatmap["coloraxis"] = coloraxis
            else:
                bound = row.panel_bounds[c]
                last = c == ncols - 1  # its colour bar is the row's legend: smaller, same, larger
                scaled = bound or 1.0  # identical panels: all zero, drawn in the middle colour
                heatmap.update(zmin=-scaled, zmax=scaled, colorscale=row.scale, showscale=last)
                if last:
                    heatmap["colorbar"] = {
                        **colorbar,
                        "tickvals": [-scaled, 0, scaled],
                        "ticktext": ["smaller", "same", "larger"],
                    }
                annotations.append(
                    {
                        "text": "identical" if bound == 0 else f"±{tick(bound)}",
                        "xref": "paper",
                        "yref": "paper",
                        "x": left + width,
                        "y": top,
                        "xanchor": "right",
                        "yanchor": "bottom",
                        "showarrow": False,
                        "font": {"size": 11, "color": "#555555"},
                    }
                )
            traces.append(heatmap)
            xaxis = {
                "domain": [left, left + width],
                "showgrid": False,
                "zeroline": False,
                "showticklabels": last_row,  # one time axis under the grid
                "ticks": "outside" if last_row else "",
                "tickfont": {"size": 11},
            }
            if last_row:
                xaxis = step_axis(
                    steps, step_labels, every_step=False, **xaxis, title={"text": "step t", "font": {"size": 12}}
                )
            yaxis = unit_axis(
                values.shape[1],
                domain=[max(bottom, 0.0), top],
                showticklabels=c == 0,  # the unit numbers once per row, left of the grid
                ticks="outside" if c == 0 else "",
                tickfont={"size": 11},
            )
            layout.update(panel_axes(panel, xaxis, yaxis))
    note = axis.note()
    layout.update(
        annotations=annotations,
        height=int(total + 90 + (24 if title or note else 0)),
        margin={"l": 150, "r": 70, "t": 40 if title or note else 10, "b": 50},
        font={"family": FONT_FAMILY, "size": 13},
        title=title_with_note(title, note),
        plot_bgcolor="white",
    )
    return figure(traces, layout)


def _short_title(title: str) -> str:
    """A column title for the figure: the variant's abbreviation, the forget bias on a second line."""
    for variant in sorted(VARIANTS.values(), key=lambda v: -len(v.label)):
        title = title.replace(variant.label, variant.short)
    return title.replace(", forget_bias", "<br>forget_bias")


def _label(name: str) -> str:
    q = STYLES[name]
    return f"<b>{q.symbol}</b><br>{q.title.replace(' ', '<br>', 1) if len(q.title) > 10 else q.title}"


def value_heatmaps(columns: list[Column], batch: int = 0, step_labels=None) -> go.Figure:
    """Each quantity of each run, on one colour axis per quantity (so equal colours are equal values)."""
    rows = []
    for name in ROWS:
        values = [getattr(c.trace, name)[batch] for c in columns]
        zrange = _value_range(name, columns, values)
        label = _label(name) + (f"<br>colours ±{fmt(zrange[1], 2)}" if zrange != STYLES[name].zrange else "")
        rows.append(_Row(name, label, values, zrange, STYLES[name].scale, STYLES[name].symbol))
    steps = columns[0].trace.num_steps
    return _grid(rows, [c.label for c in columns], steps, step_labels, "")


def differences(columns: list[Column], batch: int = 0) -> dict[str, list[np.ndarray]]:
    """{quantity: [run minus its reference, for each column that has one]}, (steps, units) each."""
    pairs = [(c, columns[c.ref]) for c in columns if c.ref is not None]
    return {name: [getattr(a.trace, name)[batch] - getattr(b.trace, name)[batch] for a, b in pairs] for name in ROWS}


def difference_titles(columns: list[Column]) -> list[str]:
    titles = []
    for c in columns:
        if c.ref is None:
            continue
        ref = columns[c.ref]
        if c.key == ref.key:  # one variant at two forget biases
            fb, ref_fb = c.trace.config.forget_bias, ref.trace.config.forget_bias
            titles.append(f"{VARIANTS[c.key].label}, forget_bias {fb:g} − {ref_fb:g}")
        else:
            titles.append(f"{c.label} − {ref.label}")
    return titles


def difference_heatmaps(columns: list[Column], batch: int = 0, step_labels=None) -> go.Figure:
    """Run minus reference for every quantity, on a symmetric diverging scale per quantity."""
    rows = []
    for name, values in differences(columns, batch).items():
        peaks = [float(np.max(np.abs(v))) for v in values]
        q = STYLES[name]
        label = f"<b>Δ{q.symbol}</b><br>{q.title}"
        rows.append(_Row(name, label, values, (-1.0, 1.0), SIGNED_SCALE, f"Δ{q.symbol}", panel_bounds=peaks))
    steps = columns[0].trace.num_steps
    return _grid(rows, difference_titles(columns), steps, step_labels, "")


def heatmaps_alt(columns: list[Column], batch: int = 0) -> str:
    parts = []
    for c in columns:
        t = c.trace
        parts.append(
            f"{c.label}: f mean {fmt(t.f[batch].mean())}, c from {fmt(t.new_c[batch].min())} to "
            f"{fmt(t.new_c[batch].max())}, h from {fmt(t.new_h[batch].min())} to {fmt(t.new_h[batch].max())}"
        )
    return "Heatmaps of i, j, f, o, c and h for each variant side by side, time on x, unit on y. " + "; ".join(parts)


def differences_alt(columns: list[Column], batch: int = 0) -> str:
    diffs = differences(columns, batch)
    parts = []
    for k, title in enumerate(difference_titles(columns)):
        peaks = ", ".join(f"{name} up to {fmt(float(np.max(np.abs(diffs[name][k]))))}" for name in ROWS)
        parts.append(f"{title}: {peaks}")
    return "Heatmaps of the differences, per quantity: " + "; ".join(parts)


# ----------------------------------------------------------------------------- numbers


def c0_kept(trace: Trace, batch: int = 0) -> float:
    """How much of the initial cell state is still in c after the last step: the product of f
    over the steps (exact without clipping), averaged over units."""
    return float(np.prod(trace.f[batch].astype(np.float64), axis=0).mean())


def half_life(trace: Trace, batch: int = 0) -> float:
    """Steps until the forget gates have halved what c held, at their average rate (median over
    units): ``log(1/2) / mean(log f)``; infinite where f = 1."""
    with np.errstate(divide="ignore"):
        rate = np.log(trace.f[batch].astype(np.float64)).mean(axis=0)  # per unit, <= 0
    steps = np.where(rate < 0, np.log(0.5) / np.where(rate < 0, rate, -1.0), np.inf)
    return float(np.median(steps))


def _steps(value: float) -> str:
    return "never (f = 1)" if not np.isfinite(value) else f"{value:.1f} steps"


def _gate_stats(values: np.ndarray) -> str:
    return f"{fmt(values.mean(), 2)} ({fmt(values.min(), 2)} to {fmt(values.max(), 2)})"


def summary_table(columns: list[Column], batch: int = 0) -> pd.DataFrame:
    """One column per run (as the charts): parameters, each gate's mean (min to max), the ranges of
    c and h, how fast c forgets and how much of c_0 is left at the end."""
    records = []
    for c in columns:
        t, cfg = c.trace, c.trace.config
        record = {
            "variant": _short_title(c.label).replace("<br>", ", "),
            "forget_bias": f"{cfg.forget_bias:g}",
            "parameters": f"{param_count(cfg)['total']:,}",
        }
        for gate in ("i", "j", "f", "o"):
            record[f"{gate}: mean (min to max)"] = _gate_stats(getattr(t, gate)[batch])
        record["c range"] = f"{fmt(t.new_c[batch].min(), 2)} to {fmt(t.new_c[batch].max(), 2)}"
        record["h range"] = f"{fmt(t.new_h[batch].min(), 2)} to {fmt(t.new_h[batch].max(), 2)}"
        record["memory half-life"] = _steps(half_life(t, batch))
        record[f"c₀ kept after {t.num_steps} steps"] = fraction(c0_kept(t, batch))
        records.append(record)
    return pd.DataFrame(records).set_index("variant").T


# ----------------------------------------------------------------------------- words


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
                f"{_steps(half_life(t, batch))}{clip_note}"
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
            f"instead of {fmt(rf.mean(), 2)}, so c's half-life is {_steps(half_life(t, batch))} instead of "
            f"{_steps(half_life(r, batch))}{clip_note}. That is why TensorFlow adds 1 by default: a cell that starts "
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
            f"{_range(rc)} in {name}, whose half-life is {_steps(half_life(r, batch))}. Greff et al. found that "
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


# ----------------------------------------------------------------------------- equations

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
