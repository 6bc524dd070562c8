"""Variants side by side: the same inputs and weights through each cell, and what changes.

The variants are lstm_core.variants': TensorFlow's three cells (basic, peephole, coupled) and Greff
et al.'s one-change variants (LSTM: A Search Space Odyssey, 2017), and the two cells around the LSTM,
TensorFlow's plain RNN (BasicRNNCell) and GRU (GRUCell), on the same inputs with seeded weights of
their own. Each column shows its cell's own quantities: a row a cell does not have (the plain RNN's
gates, the LSTM's reset gate) is left empty and says so. Everything here is plain NumPy, pandas and
Plotly dicts: the page lays them out, the tests check the numbers. What the page writes about them
is viz.notes.compare's; the equations side by side are viz.equation_diff's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lstm_core import BasicRNNTrace, GRUTrace, LSTMConfig, Trace, param_count
from lstm_core.variants import CHOICES, VARIANTS

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
from .style import (
    BOUNDED_ACTIVATIONS,
    FONT_FAMILY,
    GATE_SCALE,
    SIGNED_SCALE,
    STYLES,
    UNBOUNDED,
    QuantityStyle,
    beyond,
    fixed_range,
    nice_bound,
)

#: The LSTM's quantities compared, one row of heatmaps each (and the rows of the differences).
ROWS: tuple[str, ...] = ("i", "j", "f", "o", "new_c", "new_h")
#: The GRU's own quantities (lstm_core.gru), drawn in rows of their own: c̃ is its candidate, not a cell state.
GRU_STYLES: dict[str, QuantityStyle] = {
    q.name: q
    for q in [
        QuantityStyle("r", "r", "reset gate", "How much of h(t−1) the candidate reads.", GATE_SCALE, (0.0, 1.0)),
        QuantityStyle(
            "u", "u", "update gate", "How much of h(t−1) is kept (1 − u of c̃ is written).", GATE_SCALE, (0.0, 1.0)
        ),
        QuantityStyle("c", "c̃", "candidate", "The new values h moves towards.", SIGNED_SCALE, (-1.0, 1.0)),
    ]
}
#: Every row the grid can have, in order, and the cells that have each ("lstm", "gru", "rnn").
ALL_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((name, ("lstm",)) for name in ROWS[:-1]),
    *((name, ("gru",)) for name in GRU_STYLES),
    ("new_h", ("lstm", "gru", "rnn")),
)
#: What an empty panel says: why the cell has no such row (and what plays its part, if anything).
MISSING = {
    ("rnn", "lstm"): "a plain RNN has no gates and no cell state",
    ("rnn", "gru"): "a plain RNN has no gates",
    ("gru", "i"): "no input gate in a GRU (1 − u writes)",
    ("gru", "j"): "no j in a GRU (its candidate c̃ is below)",
    ("gru", "f"): "no forget gate in a GRU (u keeps h)",
    ("gru", "o"): "no output gate in a GRU (h is let out whole)",
    ("gru", "new_c"): "no cell state in a GRU: its memory is h",
    ("lstm", "gru"): "an LSTM has no {title}",
}
#: Cells per comparison figure (all panels together) above which time is averaged over bins.
FIGURE_BUDGET = 3 * CELL_BUDGET

DEFAULT_VARIANTS = ("basic", "peephole", "coupled")
MAX_VARIANTS = 4


def cell_kind(trace) -> str:
    """ "lstm", "gru" or "rnn": which cell made ``trace``."""
    return "rnn" if isinstance(trace, BasicRNNTrace) else "gru" if isinstance(trace, GRUTrace) else "lstm"


@dataclass(frozen=True)
class Column:
    """One run shown in the comparison: a variant (or another cell), possibly at a forget_bias of its own."""

    key: str  # the variant's key (lstm_core.variants.CHOICES)
    label: str  # the column title
    trace: Trace | GRUTrace | BasicRNNTrace
    ref: int | None = None  # the column its differences are taken against

    @property
    def kind(self) -> str:
        return cell_kind(self.trace)

    def has(self, name: str) -> bool:
        """Whether this column's cell has quantity ``name`` (a row of :data:`ALL_ROWS`)."""
        return any(row == name and self.kind in kinds for row, kinds in ALL_ROWS)


def make_columns(runs: list[tuple[str, str, Trace]], fb01: bool = False) -> list[Column]:
    """The comparison's columns from its runs, (variant key, column title, trace) each, with their
    references: every LSTM run against the first LSTM run; with ``fb01`` (each variant at forget_bias
    0, then at 1), each variant at 1 against itself at 0 when both ran, and no reference otherwise.
    A plain RNN or a GRU has weights of its own, so no difference with it is one connection's doing:
    it has no reference and is no one's."""
    columns = []
    lstm = [k for k, (_, _, trace) in enumerate(runs) if cell_kind(trace) == "lstm"]
    for k, (key, label, trace) in enumerate(runs):
        if cell_kind(trace) != "lstm":
            ref = None
        elif fb01:
            ref = k - 1 if k > 0 and runs[k - 1][0] == key else None
        else:
            ref = lstm[0] if k != lstm[0] else None
        columns.append(Column(key, label, trace, ref))
    return columns


def rows_of(columns: list[Column]) -> list[str]:
    """The rows the grid draws: every quantity at least one column's cell has, in :data:`ALL_ROWS`' order."""
    kinds = {c.kind for c in columns}
    return [name for name, have in ALL_ROWS if kinds & set(have)]


def style(name: str) -> QuantityStyle:
    """How row ``name`` is drawn and named (the GRU's rows have their own styles)."""
    return GRU_STYLES.get(name) or STYLES[name]


def missing_text(column: Column, name: str) -> str:
    """What an empty panel says: why ``column``'s cell has no ``name``."""
    row_kind = next(have for row, have in ALL_ROWS if row == name)[0]
    text = MISSING.get((column.kind, name)) or MISSING[(column.kind, row_kind)]
    return text.format(title=style(name).title)


# ----------------------------------------------------------------------------- heatmaps


@dataclass(frozen=True)
class _Row:
    name: str  # a Trace quantity
    label: str  # the row's title (left of the panels)
    values: list[np.ndarray | None]  # per panel, (steps, units); None: the cell has no such quantity
    zrange: tuple[float, float]  # one colour range for the whole row: the same colour is the same value
    scale: list  # [position, colour] pairs
    symbol: str
    panel_notes: list[str] | None = None  # written above each panel (its peak, what lies beyond the range)
    empty_notes: list[str] | None = None  # written in each empty panel: why it is empty


def cell_range(name: str, cfg) -> tuple[float, float]:
    """:func:`viz.style.fixed_range` for any cell: an LSTM's as there; a GRU's gates [0, 1], and its
    candidate and any h ±1 when the activation bounds them (±UNBOUNDED when it does not)."""
    if isinstance(cfg, LSTMConfig):
        return fixed_range(name, cfg)
    if name in GRU_STYLES and style(name).zrange == (0.0, 1.0):
        return (0.0, 1.0)
    bound = 1.0 if cfg.activation in BOUNDED_ACTIVATIONS else UNBOUNDED
    return (-bound, bound)


def _value_range(name: str, columns: list[Column]) -> tuple[float, float]:
    """One colour range for a row of panels, fixed by the cells (:func:`cell_range`): the range
    most of the columns that have the row have, so that one outlier (NFG's c) does not wash out the
    others; what a variant has beyond it is drawn saturated and named above its panel."""
    ranges = [cell_range(name, c.trace.config) for c in columns if c.has(name)]
    return max(dict.fromkeys(ranges), key=ranges.count)  # the most common; ties: the first column's


def _grid(rows: list[_Row], titles: list[str], steps: int, step_labels, title: str) -> go.Figure:
    """Panels of heatmaps: a row per quantity, a column per run, each row on one colour axis (so the
    same colour is the same value across the row), with a note above a panel where the row has one;
    values beyond the row's range are drawn at its ends and marked with white dots."""
    ncols = len(titles)
    units_per_row = [next(v for v in r.values if v is not None).shape[1] for r in rows]
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
            if values is None:  # the cell has no such quantity: an empty panel that says why
                annotations.append(_empty_panel(row.empty_notes[c], left + width / 2, (top + bottom) / 2, width))
                values = np.zeros((1, units_per_row[r]))
                layout.update(
                    panel_axes(
                        panel,
                        _empty_axis(left, width, last_row, steps, step_labels),
                        unit_axis(
                            units_per_row[r],
                            domain=[max(bottom, 0.0), top],
                            showticklabels=c == 0,
                            ticks="outside" if c == 0 else "",
                            tickfont={"size": 11},
                        ),
                    )
                )
                continue
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


def _empty_panel(text: str, middle_x: float, middle_y: float, width: float) -> dict:
    """The label of an empty panel, in its middle, wrapped to the panel's width."""
    words, lines, line = text.split(), [], ""
    per_line = max(12, int(width * 110))  # about the characters that fit the panel
    for word in words:
        if line and len(line) + 1 + len(word) > per_line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return {
        "text": "<br>".join(lines),
        "xref": "paper",
        "yref": "paper",
        "x": middle_x,
        "y": middle_y,
        "xanchor": "center",
        "yanchor": "middle",
        "showarrow": False,
        "font": {"size": 11, "color": "#777777"},
    }


def _empty_axis(left: float, width: float, last_row: bool, steps: int, step_labels) -> dict:
    """The x axis of an empty panel: the same domain and range as its column's, a light frame."""
    xaxis = {
        "domain": [left, left + width],
        "range": [-0.5, steps - 0.5],
        "showgrid": False,
        "zeroline": False,
        "showticklabels": last_row,
        "ticks": "outside" if last_row else "",
        "showline": True,
        "mirror": True,
        "linecolor": "#dddddd",
        "tickfont": {"size": 11},
    }
    return step_axis(steps, step_labels, every_step=False, **xaxis) if last_row else xaxis


def _short_title(title: str) -> str:
    """A column title for the figure: the variant's abbreviation, the forget bias on a second line."""
    for variant in sorted(CHOICES.values(), key=lambda v: -len(v.label)):
        title = title.replace(variant.label, variant.short)
    return title.replace(", forget_bias ", "<br>fb ")


def _label(name: str) -> str:
    q = style(name)
    return f"<b>{q.symbol}</b><br>{q.title.replace(' ', '<br>', 1) if len(q.title) > 10 else q.title}"


def value_heatmaps(
    columns: list[Column], batch: int = 0, step_labels=None, names: tuple[str, ...] | None = None
) -> go.Figure:
    """Each quantity (of ``names``, by default :func:`rows_of` the columns) of each run, on one colour
    axis per quantity (so equal colours are equal values), fixed by the cells; a variant that goes
    beyond it is named above its panel ("beyond ±1: up to 7.5"); a cell without the quantity gets an
    empty panel that says so."""
    rows = []
    for name in names or rows_of(columns):
        values = [getattr(c.trace, name)[batch] if c.has(name) else None for c in columns]
        empty = ["" if c.has(name) else missing_text(c, name) for c in columns]
        zrange = _value_range(name, columns)
        notes = []
        for v in values:
            if v is None:
                notes.append("")
                continue
            count, peak = beyond(v, *zrange)
            short = len(columns) > 4  # narrow panels: the number alone (the caption says what it is)
            words = f"up to {fmt(peak, 2)}" if short else f"beyond ±{fmt(zrange[1], 2)}: up to {fmt(peak, 2)}"
            notes.append(words if count else "")
        label = _label(name) + (f"<br>colours ±{fmt(zrange[1], 2)}" if zrange != (0.0, 1.0) else "")
        rows.append(_Row(name, label, values, zrange, style(name).scale, style(name).symbol, notes, empty))
    steps = columns[0].trace.num_steps
    return _grid(rows, [c.label for c in columns], steps, step_labels, "")


def outliers(columns: list[Column], batch: int = 0) -> list[str]:
    """What each variant has beyond its row's colour range, in words: "NFG's c exceeds the scale
    (±1): up to 7.5"; empty when nothing does."""
    said = []
    for name in rows_of(columns):
        zrange = _value_range(name, columns)
        for column in columns:
            if not column.has(name):
                continue
            count, peak = beyond(getattr(column.trace, name)[batch], *zrange)
            if count:
                said.append(
                    f"{_short_title(column.label).replace('<br>', ', ')}'s {style(name).symbol} exceeds the scale "
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
        h = f"h from {fmt(t.new_h[batch].min())} to {fmt(t.new_h[batch].max())}"
        if c.kind == "lstm":
            parts.append(
                f"{c.label}: f mean {fmt(t.f[batch].mean())}, c from {fmt(t.new_c[batch].min())} to "
                f"{fmt(t.new_c[batch].max())}, {h}"
            )
        elif c.kind == "gru":
            parts.append(f"{c.label}: r mean {fmt(t.r[batch].mean())}, u mean {fmt(t.u[batch].mean())}, {h}")
        else:
            parts.append(f"{c.label} (only h): {h}")
    symbols = [style(name).symbol for name in rows_of(columns)]
    shown = ", ".join(symbols[:-1]) + " and " + symbols[-1]
    if all(c.kind == "lstm" for c in columns):
        return f"Heatmaps of {shown} for each variant side by side, time on x, unit on y. " + "; ".join(parts)
    return (
        f"Heatmaps of {shown} for each cell side by side, time on x, unit on y; a cell without a quantity "
        "has an empty panel. " + "; ".join(parts)
    )


def differences_alt(columns: list[Column], batch: int = 0) -> str:
    diffs = differences(columns, batch)
    parts = []
    for k, title in enumerate(difference_titles(columns)):
        peaks = ", ".join(f"{name} up to {fmt(float(np.max(np.abs(diffs[name][k]))))}" for name in ROWS)
        parts.append(f"{title}: {peaks}")
    return "Heatmaps of the differences, per quantity: " + "; ".join(parts)


# ----------------------------------------------------------------------------- numbers


def keep_gate(trace, batch: int = 0) -> np.ndarray | None:
    """The gate that says how much of the state is kept at each step: an LSTM's f (of c), a GRU's
    u (of h); None for a plain RNN, which has no such gate."""
    kind = cell_kind(trace)
    return trace.f[batch] if kind == "lstm" else trace.u[batch] if kind == "gru" else None


def c0_kept(trace, batch: int = 0) -> float:
    """How much of the initial state is still in it after the last step: the product of the keep
    gate (:func:`keep_gate`) over the steps (exact for an LSTM's c without clipping; for a GRU's h
    it is the share of h_0 carried through u alone), averaged over units."""
    return float(np.prod(keep_gate(trace, batch).astype(np.float64), axis=0).mean())


def half_life(trace, batch: int = 0) -> float:
    """Steps until the keep gates (:func:`keep_gate`) have halved what the state held, at their
    average rate (median over units): ``log(1/2) / mean(log f)``; infinite where the gate is 1."""
    with np.errstate(divide="ignore"):
        rate = np.log(keep_gate(trace, batch).astype(np.float64)).mean(axis=0)  # per unit, <= 0
    steps = np.where(rate < 0, np.log(0.5) / np.where(rate < 0, rate, -1.0), np.inf)
    return float(np.median(steps))


def half_life_text(trace, batch: int = 0) -> str:
    """:func:`half_life` as the table and the notes print it: "3.2 steps", or "never (f = 1)"; "—"
    for a plain RNN, which has no gate to keep its state with."""
    if keep_gate(trace, batch) is None:
        return "—"
    value = half_life(trace, batch)
    return "never (f = 1)" if not np.isfinite(value) else f"{value:.1f} steps"


def _gate_stats(values: np.ndarray) -> str:
    return f"{fmt(values.mean(), 2)} ({fmt(values.min(), 2)} to {fmt(values.max(), 2)})"


#: What the table writes where a cell has no such quantity.
NONE = "—"


def summary_table(columns: list[Column], batch: int = 0) -> pd.DataFrame:
    """One column per run (as the charts): forget_bias (— where the cell has no forget gate to add
    it to), parameters, each gate's mean (min to max), the ranges of the state and h, how fast the
    state is forgotten and how much of the initial state is left at the end; — where the cell has
    no such quantity."""
    rows = rows_of(columns)
    kinds = {c.kind for c in columns} - {"rnn"}
    kept = {frozenset({"lstm"}): "c₀", frozenset({"gru"}): "h₀"}.get(frozenset(kinds), "c₀ (LSTM) or h₀ (GRU)")
    records = []
    for c in columns:
        t, cfg = c.trace, c.trace.config
        uses_fb = c.kind == "lstm" and not cfg.no_forget_gate
        record = {
            "variant": _short_title(c.label).replace("<br>", ", "),
            "forget_bias": f"{cfg.forget_bias:g}" if uses_fb else NONE,
            "parameters": f"{param_count(cfg)['total']:,}",
        }
        for gate in ("i", "j", "f", "o", "r", "u"):
            if gate in rows:
                record[f"{gate}: mean (min to max)"] = _gate_stats(getattr(t, gate)[batch]) if c.has(gate) else NONE
        for name, words in (("new_c", "c range"), ("c", "c̃ range (GRU candidate)"), ("new_h", "h range")):
            if name in rows:
                values = getattr(t, name)[batch] if c.has(name) else None
                record[words] = NONE if values is None else f"{fmt(values.min(), 2)} to {fmt(values.max(), 2)}"
        record["memory half-life"] = half_life_text(t, batch)
        record[f"{kept} kept after {t.num_steps} step{'s' if t.num_steps != 1 else ''}"] = (
            NONE if c.kind == "rnn" else fraction(c0_kept(t, batch))
        )
        records.append(record)
    return pd.DataFrame(records).set_index("variant").T
