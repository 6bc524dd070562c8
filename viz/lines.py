"""Line charts of chosen units over time."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_core import Trace

from .figure import figure, step_axis, typed
from .format import fmt
from .style import FONT_FAMILY

#: Okabe-Ito colours, one per unit (colour-blind safe); the cycle repeats after eight.
UNIT_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def state_lines(
    trace: Trace, batch: int, units: list[int], step: int | None = None, step_labels: tuple[str, ...] | None = None
) -> go.Figure:
    """new_c (solid) and new_h (dotted) of the chosen units over time, one colour per unit.

    ``step`` draws a dashed line at that step and a dot on each line where it crosses it (one
    trace for all the dots: a marker on every step of every line cost more to draw than the rest
    of the chart, as bench/plotly_draw.py measured, and hides the curves' shape)."""
    steps = trace.num_steps
    x = np.arange(steps, dtype=np.float32)
    traces = []
    dots: dict[str, list] = {"y": [], "color": []}
    for n, unit in enumerate(units):
        color = UNIT_COLORS[n % len(UNIT_COLORS)]
        for name, dash, symbol in (("new_c", "solid", "c"), ("new_h", "dot", "h")):
            values = getattr(trace, name)[batch]
            if unit >= values.shape[1]:
                continue
            traces.append(
                {
                    "type": "scatter",
                    "x": typed(x),
                    "y": typed(values[:, unit].astype(np.float32)),
                    "mode": "lines",
                    "line": {"color": color, "dash": dash, "width": 2.5 if name == "new_c" else 2},
                    "name": f"{symbol} unit {unit}",
                    "legendgroup": f"unit {unit}",
                    "hovertemplate": f"step %{{x}}<br>{symbol}[{unit}] = %{{y:.4f}}<extra></extra>",
                }
            )
            if step is not None and 0 <= step < steps:
                dots["y"].append(float(values[step, unit]))
                dots["color"].append(color)
    shapes = []
    if step is not None and 0 <= step < steps:
        if dots["y"]:
            traces.append(
                {
                    "type": "scatter",
                    "x": [step] * len(dots["y"]),
                    "y": dots["y"],
                    "mode": "markers",
                    "marker": {"size": 8, "color": dots["color"], "line": {"color": "white", "width": 1}},
                    "name": f"step {step}",
                    "showlegend": False,
                    "hoverinfo": "skip",
                }
            )
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": step,
                "x1": step,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#111111", "width": 1.5, "dash": "dash"},
            }
        )
    # Whole steps only: on 1 or 3 steps Plotly would otherwise put ticks at 0.5 and 1.5.
    xaxis = step_axis(steps, step_labels, title={"text": "step t"}, zeroline=False, tickformat="d")
    return figure(
        traces,
        dict(
            height=340,
            margin={"l": 60, "r": 20, "t": 30, "b": 50},
            font={"family": FONT_FAMILY, "size": 13},
            xaxis=xaxis,
            yaxis={"title": {"text": "value"}, "zeroline": True, "zerolinecolor": "#999999"},
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},  # above the plot, never over a line
            plot_bgcolor="white",
            hovermode="x unified",
            shapes=shapes,
        ),
    )


def lines_alt(trace: Trace, batch: int, units: list[int]) -> str:
    return lines_text(trace.new_c[batch], units)


def lines_text(c: np.ndarray, units: list[int]) -> str:
    """The line chart's text alternative, from c (steps, units) of the sequence shown."""
    parts = [
        f"unit {unit}: c from {fmt(c[:, unit].min())} to {fmt(c[:, unit].max())}, ends at {fmt(c[-1, unit])}"
        for unit in units
    ]
    return (
        f"Line chart of the cell state c (solid) and output h (dotted) over {c.shape[0]} steps; "
        + "; ".join(parts)
        + "."
    )
