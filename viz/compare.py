"""Variants side by side: the same inputs and weights through each cell, and what changes.

The variants are lstm_core.variants': TensorFlow's three cells (basic, peephole, coupled) and Greff
et al.'s one-change variants (LSTM: A Search Space Odyssey, 2017). Everything here is plain NumPy, pandas and Plotly
dicts: the page lays them out, the tests check the numbers. What the page writes about them is
viz.notes.compare's; the equations side by side are viz.equation_diff's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lstm_core import Trace, param_count
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
from .heatmaps import CELL_BUDGET, TimeAxis, saturation_marks
from .style import FONT_FAMILY, SIGNED_SCALE, STYLES, beyond, fixed_range, nice_bound

#: The quantities compared, one row of heatmaps each.
ROWS: tuple[str, ...] = ("i", "j", "f", "o", "new_c", "new_h")
#: Cells per comparison figure (all panels together) above which time is averaged over bins.
FIGURE_BUDGET = 3 * CELL_BUDGET

DEFAULT_VARIANTS = ("basic", "peephole", "coupled")
MAX_VARIANTS = 4


@dataclass(frozen=True)
class Column:
    """One run shown in the comparison: a variant, possibly at a forget_bias of its own."""

    key: str  # the variant's key
    label: str  # the column title
    trace: Trace
    ref: int | None = None  # the column its differences are taken against


def make_columns(runs: list[tuple[str, str, Trace]], fb01: bool = False) -> list[Column]:
    """The comparison's columns from its runs, (variant key, column title, trace) each, with their
    references: every run against the first; with ``fb01`` (each variant at forget_bias 0, then at
    1), each variant at 1 against itself at 0 when both ran, and no reference otherwise."""
    columns = []
    for k, (key, label, trace) in enumerate(runs):
        same_variant_before = k > 0 and runs[k - 1][0] == key
        ref = (k - 1 if same_variant_before else None) if fb01 else (0 if k else None)
        columns.append(Column(key, label, trace, ref))
    return columns


# ----------------------------------------------------------------------------- heatmaps


@dataclass(frozen=True)
class _Row:
    name: str  # a Trace quantity
    label: str  # the row's title (left of the panels)
    values: list[np.ndarray]  # per panel, (steps, units)
    zrange: tuple[float, float]  # one colour range for the whole row: the same colour is the same value
    scale: list  # [position, colour] pairs
    symbol: str
    panel_notes: list[str] | None = None  # written above each panel (its peak, what lies beyond the range)


def _value_range(name: str, columns: list[Column]) -> tuple[float, float]:
    """One colour range for a row of panels, fixed by the cells (viz.style.fixed_range): the range
    most of the variants have, so that one outlier (NFG's c) does not wash out the others; what a
    variant has beyond it is drawn saturated and named above its panel."""
    ranges = [fixed_range(name, c.trace.config) for c in columns]
    return max(dict.fromkeys(ranges), key=ranges.count)  # the most common; ties: the first column's


def _grid(rows: list[_Row], titles: list[str], steps: int, step_labels, title: str) -> go.Figure:
    """Panels of heatmaps: a row per quantity, a column per run, each row on one colour axis (so the
    same colour is the same value across the row), with a note above a panel where the row has one;
    values beyond the row's range are drawn at its ends and marked with white dots."""
    ncols = len(titles)
    units_per_row = [v[0].shape[1] for v in (r.values for r in rows)]
    shown = [_short_title(t) for t in titles]
    axis = TimeAxis.fit(steps, max(units_per_row), FIGURE_BUDGET // (len(rows) * ncols))
    x = axis.x()
    top_margin = 54.0 if any("<br>" in t for t in shown) else 34.0  # room for the column titles...
    if rows and rows[0].panel_notes and any(rows[0].panel_notes):
        top_margin += 26.0  # ...and for the notes above the first row's panels, under them
    bands, total = stack_bands(row_heights(units_per_row), gap=30.0, top_margin=top_margin)
    lefts, width = split_columns(ncols, 0.025 if ncols > 1 else 0.0)
    traces, layout = [], {}
    annotations = [column_title(text, left + width / 2) for text, left in zip(shown, lefts, strict=True)]
    for r, (row, (bottom, top)) in enumerate(zip(rows, bands, strict=True)):
        coloraxis = "coloraxis" if r == 0 else f"coloraxis{r + 1}"
        zmin, zmax = row.zrange
        colorbar = band_colorbar(top, bottom, zmin, zmax, ticks(zmin, zmax))
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
            heatmap["coloraxis"] = coloraxis
            outside = (z < zmin) | (z > zmax)
            if outside.any():
                heatmap["text"] = np.where(outside, "<br>beyond the row's colour range: drawn at its end", "").tolist()
                heatmap["hovertemplate"] = hover.replace("<extra>", "%{text}<extra>")
            note = row.panel_notes[c] if row.panel_notes else ""
            if note:
                annotations.append(
                    {
                        "text": note,
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
            if outside.any():
                refs = panel_refs(panel)
                traces.append(saturation_marks(outside, x, refs["yaxis"], refs["xaxis"]))
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
    return title.replace(", forget_bias ", "<br>fb ")


def _label(name: str) -> str:
    q = STYLES[name]
    return f"<b>{q.symbol}</b><br>{q.title.replace(' ', '<br>', 1) if len(q.title) > 10 else q.title}"


def value_heatmaps(columns: list[Column], batch: int = 0, step_labels=None, names: tuple[str, ...] = ROWS) -> go.Figure:
    """Each quantity (of ``names``) of each run, on one colour axis per quantity (so equal colours are
    equal values), fixed by the cells; a variant that goes beyond it is named above its panel
    ("beyond ±1: up to 7.5")."""
    rows = []
    for name in names:
        values = [getattr(c.trace, name)[batch] for c in columns]
        zrange = _value_range(name, columns)
        notes = []
        for v in values:
            count, peak = beyond(v, *zrange)
            short = len(columns) > 4  # narrow panels: the number alone (the caption says what it is)
            words = f"up to {fmt(peak, 2)}" if short else f"beyond ±{fmt(zrange[1], 2)}: up to {fmt(peak, 2)}"
            notes.append(words if count else "")
        label = _label(name) + (f"<br>colours ±{fmt(zrange[1], 2)}" if zrange != (0.0, 1.0) else "")
        rows.append(_Row(name, label, values, zrange, STYLES[name].scale, STYLES[name].symbol, notes))
    steps = columns[0].trace.num_steps
    return _grid(rows, [c.label for c in columns], steps, step_labels, "")


def outliers(columns: list[Column], batch: int = 0) -> list[str]:
    """What each variant has beyond its row's colour range, in words: "NFG's c exceeds the scale
    (±1): up to 7.5"; empty when nothing does."""
    said = []
    for name in ROWS:
        zrange = _value_range(name, columns)
        for column in columns:
            count, peak = beyond(getattr(column.trace, name)[batch], *zrange)
            if count:
                said.append(
                    f"{_short_title(column.label).replace('<br>', ', ')}'s {STYLES[name].symbol} exceeds the scale "
                    f"(±{fmt(zrange[1], 2)}): up to {fmt(peak, 2)}"
                )
    return said


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
    """Run minus reference for every quantity, on one symmetric diverging scale per quantity (so a
    0.036 change looks smaller than a 0.39 one), each panel's own largest difference written above it."""
    rows = []
    for name, values in differences(columns, batch).items():
        peaks = [float(np.max(np.abs(v))) for v in values]
        bound = nice_bound(max(peaks)) if max(peaks) > 0 else 1.0
        q = STYLES[name]
        label = f"<b>Δ{q.symbol}</b><br>{q.title}<br>colours ±{tick(bound)}"
        short = len(peaks) > 4
        notes = ["identical" if peak == 0 else f"{'' if short else 'largest '}±{tick(peak)}" for peak in peaks]
        rows.append(_Row(name, label, values, (-bound, bound), SIGNED_SCALE, f"Δ{q.symbol}", notes))
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


def half_life_text(trace: Trace, batch: int = 0) -> str:
    """:func:`half_life` as the table and the notes print it: "3.2 steps", or "never (f = 1)"."""
    value = half_life(trace, batch)
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
        record["memory half-life"] = half_life_text(t, batch)
        record[f"c₀ kept after {t.num_steps} steps"] = fraction(c0_kept(t, batch))
        records.append(record)
    return pd.DataFrame(records).set_index("variant").T
