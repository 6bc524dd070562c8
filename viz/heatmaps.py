"""Heatmaps of a trace: time on x, unit on y, one row per quantity, all on one shared time axis.

Figures are built from contiguous float32 arrays (Plotly sends them as binary), with fixed colour
ranges so a change is seen as a change. Above a cell budget the time axis is averaged over bins
of consecutive steps (said in the title and the hover); below it every cell is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lstm_core import Trace

from .figure import (
    axis_suffix,
    band_colorbar,
    band_label,
    figure,
    row_heights,
    stack_bands,
    step_axis,
    title_with_note,
    typed,
    unit_axis,
)
from .format import cut_label, fmt, rounded_ticks
from .style import FONT_FAMILY, PRE, SIGNED_SCALE, STYLES, beyond, color_range, fitted_range

#: Cells per heatmap above which the time axis is averaged over bins, so that seven rows of them
#: stay quick to send and to draw (bench/app_latency.py times Explore's largest configuration, binned).
CELL_BUDGET = 40_000


@dataclass(frozen=True)
class TimeAxis:
    """Which steps a heatmap column stands for: ``factor`` consecutive steps per column."""

    steps: int
    factor: int

    @classmethod
    def fit(cls, steps: int, rows: int, budget: int = CELL_BUDGET) -> TimeAxis:
        factor = max(1, math.ceil(steps * rows / budget))
        return cls(steps, factor)

    @property
    def columns(self) -> int:
        return math.ceil(self.steps / self.factor)

    def pool(self, values: np.ndarray) -> np.ndarray:
        """(steps, rows) -> (rows, columns) float32, the mean over each bin of steps."""
        values = np.asarray(values, dtype=np.float64)
        if self.factor == 1:
            return np.ascontiguousarray(values.T, dtype=np.float32)
        padded = np.full((self.columns * self.factor, values.shape[1]), np.nan)
        padded[: self.steps] = values
        pooled = np.nanmean(padded.reshape(self.columns, self.factor, -1), axis=1)
        return np.ascontiguousarray(pooled.T, dtype=np.float32)

    def x(self) -> np.ndarray:
        """The x position of each column: its first step (exact), or its bin's centre."""
        starts = np.arange(self.columns) * self.factor
        if self.factor == 1:
            return starts.astype(np.float32)
        ends = np.minimum(starts + self.factor, self.steps) - 1
        return ((starts + ends) / 2).astype(np.float32)

    def note(self) -> str:
        if self.factor == 1:
            return ""
        return f"each column is the mean of {self.factor} steps ({self.steps:,} steps in {self.columns} columns)"

    @property
    def step_word(self) -> str:
        """What the hover calls a column's x: "step", or "steps around" a bin's centre."""
        return "step" if self.factor == 1 else "steps around"

    @property
    def hover_note(self) -> str:
        """The hover's last line: that a cell is a mean over a bin, or nothing."""
        return f"<br>(mean of {self.factor} steps)" if self.factor > 1 else ""


def trace_heatmaps(
    trace: Trace,
    batch: int = 0,
    *,
    show_pre: bool = False,
    step: int | None = None,
    step_labels: tuple[str, ...] | None = None,
    feature_names: tuple[str, ...] | None = None,
    budget: int = CELL_BUDGET,
    title: str = "",
    fit: bool = False,
    below=None,
    compact: bool = False,
) -> go.Figure:
    """The input and i, j, f, o, new_c, new_h of one sequence (``batch``) of ``trace``, stacked.

    With ``show_pre`` the gate rows show the raw pre-activations instead. ``step`` draws a marker
    on that step. Hover shows step, unit, value and the pre-activation.

    Colour ranges are fixed by the cell (viz.style.fixed_range), so that a change is seen as a
    change; ``fit`` fits them to the data instead. A value beyond its band's range is drawn in the
    range's end colour, marked with a cross, named in the hover and counted on the band's label.
    ``below``: the config of the layer under this one, whose output h is this layer's input (the
    input band is then labelled and coloured as that h); None for the first layer. ``compact``: band
    labels of two short lines (presenter mode, where the bands are short and the text large).
    """
    cfg = trace.config
    steps = trace.num_steps
    inputs = trace.inputs[batch]
    rows: list[tuple[str, np.ndarray, np.ndarray | None]] = [("x", inputs, None)]
    for gate in ("i", "j", "f", "o"):
        name = PRE[gate] if show_pre else gate
        rows.append((name, getattr(trace, name)[batch], getattr(trace, PRE[gate])[batch]))
    rows.append(("new_c", trace.new_c[batch], None))
    rows.append(("new_h", trace.new_h[batch], None))

    # A file's feature names label the input's rows: its band title moves left of them, and the
    # margin grows to hold both (in paper units, as the live view places the titles: room for the
    # names on the narrowest plot, about 540 px at 1280 px; the margin for the widest, 1300 px).
    widest = max((len(cut_label(n)) for n in feature_names or ()), default=0) if below is None else 0
    title_x = -(7 * widest + 20) / 540 if widest > 3 else -0.06
    margin_left = min(max(190, round(-title_x * 1300 + 90)), 280)
    axis = TimeAxis.fit(steps, max(a.shape[1] for _, a, _ in rows), budget)
    x = axis.x()
    bands, total = stack_bands(row_heights([a.shape[1] for _, a, _ in rows]), gap=28.0)
    traces, layout, annotations = [], {}, []
    for n, ((name, values, pre), (bottom, top)) in enumerate(zip(rows, bands, strict=True)):
        if name == "x" and below is not None:  # a higher layer reads the output h of the one below
            zmin, zmax = color_range("new_h", values, below, fit=fit)
            scale, label, symbol = SIGNED_SCALE, "h of the layer below", "x = h"
            names = None
        elif name == "x":  # the input does not change with the cell: a range from the input itself
            zmin, zmax = fitted_range("x", values)
            scale, label, symbol = SIGNED_SCALE, "input", "x"
            names = feature_names or tuple(f"x{d}" for d in range(values.shape[1]))
        else:
            zmin, zmax = color_range(name, values, cfg, fit=fit)
            scale = STYLES[name].scale
            label, symbol = STYLES[name].title, STYLES[name].symbol
            names = None
        z = axis.pool(values)
        hover = f"{axis.step_word} %{{x}}<br>{'feature' if name == 'x' else 'unit'} %{{y}}<br>{symbol} = %{{z:.4f}}"
        count, peak = beyond(z, zmin, zmax)
        if count:
            hover += "%{text}"
        customdata = None
        if pre is not None and name in ("i", "j", "f", "o"):
            customdata = axis.pool(pre)
            extra = f" (+ forget_bias {cfg.forget_bias:g})" if name == "f" else ""
            hover += f"<br>{name}_pre = %{{customdata:.4f}}{extra}"
        hover += axis.hover_note
        colorbar = band_colorbar(top, bottom, zmin, zmax, rounded_ticks(zmin, zmax))
        heatmap = {
            "type": "heatmap",
            "name": name,
            "z": typed(z),
            "x": typed(x),
            "y": typed(np.arange(z.shape[0], dtype=np.float32)),
            "zmin": zmin,
            "zmax": zmax,
            "colorscale": scale,
            "colorbar": colorbar,
            "hovertemplate": hover + "<extra></extra>",
            "xaxis": "x",  # one time axis for every band
            "yaxis": f"y{axis_suffix(n)}",
        }
        if customdata is not None:
            heatmap["customdata"] = typed(customdata)
        if count:
            outside = (z < zmin) | (z > zmax)
            heatmap["text"] = np.where(
                outside, f"<br>too big for the colours (±{fmt(zmax, 2)}): drawn in the end colour", ""
            ).tolist()
            traces.append(saturation_marks(outside, x, f"y{axis_suffix(n)}"))
        traces.insert(len(traces) - (1 if count else 0), heatmap)
        text = band_text(name, symbol, label, (zmin, zmax), count, peak, compact=compact)
        annotations.append(band_label(text, (top + bottom) / 2, x=title_x if name == "x" else -0.06))
        layout[f"yaxis{axis_suffix(n)}"] = unit_axis(
            values.shape[1], names, domain=[max(bottom, 0.0), top], tickfont={"size": 11}
        )

    xaxis = step_axis(
        steps, step_labels, title={"text": "step t"}, showgrid=False, zeroline=False, anchor=f"y{len(rows)}"
    )
    shapes = []
    if step is not None and 0 <= step < steps:
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": step - 0.5,
                "x1": step + 0.5,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#111111", "width": 2},
                "fillcolor": "rgba(0,0,0,0)",
            }
        )
    note = axis.note()
    layout.update(
        xaxis=xaxis,
        shapes=shapes,
        annotations=annotations,
        height=int(total + 110),
        margin={"l": margin_left, "r": 70, "t": 50 if title or note else 20, "b": 50},
        font={"family": FONT_FAMILY, "size": 13},
        title=title_with_note(title, note),
        plot_bgcolor="white",
    )
    return figure(traces, layout)


def band_text(
    name: str, symbol: str, label: str, zrange: tuple[float, float], count: int, peak: float, *, compact: bool = False
) -> str:
    """The label of one band: its symbol and title, its colour range when that is not the usual
    [0, 1] or ±1 (always for c and the input), and how many values lie beyond it, up to how far
    (``count``, ``peak``). ``compact``: two short lines (presenter mode)."""
    zmin, zmax = zrange
    stated = name in ("new_c", "x") or (zmin, zmax) not in ((0.0, 1.0), (-1.0, 1.0))
    range_note = f"<br>colours ±{fmt(zmax, 2)}" if stated else ""
    if count:
        range_note += f"<br>dots: {count:,} beyond,<br>up to {fmt(peak, 2)}"
    if compact:  # the symbol, then the range (or a short title): two lines fit a short band
        second = range_note.split("<br>")[1] if range_note else (label if len(label) <= 12 else "")
        return f"<b>{symbol}</b>" + (f"<br>{second}" if second else "")
    return f"<b>{symbol}</b><br>{_wrapped(label)}{range_note}"


#: The most saturated cells marked with a dot (more would cost more to draw than they tell).
MAX_MARKS = 3000


def saturation_marks(outside: np.ndarray, x: np.ndarray, yaxis: str, xaxis: str = "x") -> dict:
    """A scatter of small white dots on the cells of ``outside`` (rows, columns) that lie beyond their
    band's colour range (at most MAX_MARKS of them), on axes ``xaxis`` and ``yaxis``."""
    rows, columns = np.nonzero(outside)
    rows, columns = rows[:MAX_MARKS], columns[:MAX_MARKS]
    return {
        "type": "scatter",
        "mode": "markers",
        "name": "beyond the colour range",
        "x": typed(x[columns]),
        "y": typed(rows.astype(np.float32)),
        # A small white dot in each such cell: on the scale's dark ends it shows, and where many
        # saturate together the band turns dotted rather than solid.
        "marker": {"symbol": "circle", "size": 3, "color": "#ffffff", "line": {"width": 0}},
        "hoverinfo": "skip",
        "showlegend": False,
        "xaxis": xaxis,
        "yaxis": yaxis,
    }


def _wrapped(label: str) -> str:
    """A band's title in lines of about 16 characters, so that "input gate, before the sigmoid"
    fits the left margin instead of running off it."""
    words, lines, line = label.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > 16:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def heatmap_alt(trace: Trace, batch: int = 0, show_pre: bool = False) -> str:
    """A text alternative for :func:`trace_heatmaps`, from the numbers shown."""
    parts = []
    for gate in ("i", "j", "f", "o"):
        name = PRE[gate] if show_pre else gate
        values = getattr(trace, name)[batch]
        parts.append(f"{name} from {fmt(values.min())} to {fmt(values.max())} (mean {fmt(values.mean())})")
    c, h = trace.new_c[batch], trace.new_h[batch]
    return (
        f"Heatmaps of one sequence over {trace.num_steps} steps and {trace.config.num_units} units, "
        f"top to bottom: the input ({trace.inputs.shape[2]} features), "
        + "; ".join(parts)
        + f"; cell state c from {fmt(c.min())} to {fmt(c.max())}; output h from {fmt(h.min())} to {fmt(h.max())}."
    )
