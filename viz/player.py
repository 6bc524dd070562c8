"""A step player that animates in the browser: Plotly frames, no server round trip per frame.

One unit over time as two small heatmaps (the gates i, f, o on [0, 1]; j, c, h around 0), a cursor
box on the current step, and a bar chart of that step's values. Play/pause and three speeds are
Plotly buttons; the slider under the chart scrubs. Pressing play runs entirely in the browser, so a
class of thirty pressing play does not load the server.
"""

from __future__ import annotations

import math

import numpy as np

from lstm_core import Trace

from .figure import figure, typed
from .style import FONT_FAMILY, GATE_SCALE, SIGNED_SCALE, value_color

#: At most this many frames; longer sequences are played every k-th step.
MAX_FRAMES = 300
SPEEDS = {"▶ Play": 450, "▶▶ Fast": 120, "▷ Slow": 1000}
BARS = ("i", "j", "f", "o", "c", "h")
CURSORS, BAR = (2, 3), 4  # trace indices the frames update


def frame_steps(steps: int, limit: int = MAX_FRAMES) -> list[int]:
    stride = max(1, math.ceil(steps / limit))
    return list(range(0, steps, stride))


def _bar_values(rows: dict[str, np.ndarray], t: int) -> list[float]:
    return [float(rows[name][t]) for name in BARS]


def step_player(
    trace: Trace,
    batch: int,
    unit: int,
    *,
    start: int = 0,
    step_labels: tuple[str, ...] | None = None,
    c_bound: float = 1.0,
    font_size: int = 13,
):
    steps = trace.num_steps
    rows = {
        "i": trace.i[batch, :, unit],
        "j": trace.j[batch, :, unit],
        "f": trace.f[batch, :, unit],
        "o": trace.o[batch, :, unit],
        "c": trace.new_c[batch, :, unit],
        "h": trace.m[batch, :, unit],
    }
    labels = step_labels or tuple(str(t) for t in range(steps))
    out = "h" if trace.config.num_proj is None else "m"  # with a projection, the unit's own output is m
    x = np.arange(steps, dtype=np.float32)
    gates = np.stack([rows["i"], rows["f"], rows["o"]]).astype(np.float32)
    signed = np.stack([rows["j"], rows["c"] / max(c_bound, 1e-12), rows["h"]]).astype(np.float32)
    hover_signed = np.stack([rows["j"], rows["c"], rows["h"]]).astype(np.float32)
    bound = max(1.0, c_bound)

    def cursor(t: int) -> dict:
        return {
            "type": "scatter",
            "x": [t - 0.5, t + 0.5, t + 0.5, t - 0.5, t - 0.5],
            "y": [-0.5, -0.5, 2.5, 2.5, -0.5],
        }

    # Each bar in the colour its value has in the drawing and the heatmaps (not a colour per quantity).
    bar_scales = [(GATE_SCALE, 0.0, 1.0) if n in "ifo" else (SIGNED_SCALE, -1.0, 1.0) for n in BARS]
    bar_scales[BARS.index("c")] = (SIGNED_SCALE, -c_bound, c_bound)

    def bars(t: int) -> dict:
        values = _bar_values(rows, t)
        colors = [value_color(v, *scale) for v, scale in zip(values, bar_scales, strict=True)]
        return {
            "type": "bar",
            "y": values,
            "text": [f"{v:.3f}" for v in values],
            "marker": {"color": colors, "line": {"color": "#555555", "width": 1}},
        }

    data = [
        {
            "type": "heatmap",
            "name": "gates",
            "z": typed(gates),
            "x": typed(x),
            "y": [0, 1, 2],
            "zmin": 0,
            "zmax": 1,
            "colorscale": GATE_SCALE,
            "showscale": False,
            "xaxis": "x",
            "yaxis": "y",
            "text": [["i"] * steps, ["f"] * steps, ["o"] * steps],
            "hovertemplate": "step %{x}<br>%{text} = %{z:.4f}<extra></extra>",
        },
        {
            "type": "heatmap",
            "name": "values",
            "z": typed(signed),
            "customdata": typed(hover_signed),
            "x": typed(x),
            "y": [0, 1, 2],
            "zmin": -1,
            "zmax": 1,
            "colorscale": SIGNED_SCALE,
            "showscale": False,
            "xaxis": "x",
            "yaxis": "y2",
            "text": [["j"] * steps, ["c"] * steps, [out] * steps],
            "hovertemplate": "step %{x}<br>%{text} = %{customdata:.4f}<extra></extra>",
        },
        *(
            {
                "type": "scatter",
                "name": f"cursor {k}",
                **cursor(start),
                "mode": "lines",
                "line": {"color": "#111111", "width": 3},
                "xaxis": "x",
                "yaxis": axis,
                "hoverinfo": "skip",
            }
            for k, axis in enumerate(("y", "y2"), start=1)
        ),
        {
            "type": "bar",
            "name": "values at the step",
            "x": [*BARS[:-1], out],
            **bars(start),
            "textposition": "outside",
            "cliponaxis": False,
            "xaxis": "x2",
            "yaxis": "y3",
            "hovertemplate": "%{x} = %{y:.4f}<extra></extra>",
        },
    ]
    shown = frame_steps(steps)
    frames = [{"name": str(t), "data": [cursor(t), cursor(t), bars(t)], "traces": [*CURSORS, BAR]} for t in shown]

    def animate(duration: int) -> dict:
        return {
            "frame": {"duration": duration, "redraw": True},
            "transition": {"duration": 0},
            "fromcurrent": True,
            "mode": "immediate",
        }

    active = min(range(len(shown)), key=lambda k: abs(shown[k] - start))
    # Play from the selected step on (Plotly's fromcurrent has no current frame before a first play).
    queue = [str(t) for t in shown[active:]] or [str(shown[-1])]
    buttons = [{"label": label, "method": "animate", "args": [queue, animate(ms)]} for label, ms in SPEEDS.items()]
    buttons.append(
        {
            "label": "❚❚ Pause",
            "method": "animate",
            "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
        }
    )
    slider = {
        "active": active,
        "currentvalue": {"prefix": "step t = ", "font": {"size": font_size + 2}},
        "pad": {"t": 60, "b": 0},
        "len": 0.86,
        "x": 0.14,
        "steps": [
            {
                "label": labels[t] if len(shown) <= 60 else (labels[t] if k % max(1, len(shown) // 20) == 0 else ""),
                "method": "animate",
                "args": [
                    [str(t)],
                    {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}},
                ],
            }
            for k, t in enumerate(shown)
        ],
    }
    layout = {
        "height": 430 + 4 * font_size,
        "margin": {"l": 40, "r": 20, "t": 50, "b": 30},
        "font": {"family": FONT_FAMILY, "size": font_size},
        "showlegend": False,
        "plot_bgcolor": "white",
        "xaxis": {"domain": [0, 0.64], "range": [-0.5, steps - 0.5], "title": {"text": "step t"}, "anchor": "y2"},
        "yaxis": {
            "domain": [0.55, 1.0],
            "range": [2.5, -0.5],
            "tickvals": [0, 1, 2],
            "ticktext": ["i", "f", "o"],
            "fixedrange": True,
        },
        "yaxis2": {
            "domain": [0.0, 0.45],
            "range": [2.5, -0.5],
            "tickvals": [0, 1, 2],
            "ticktext": ["j", "c", out],
            "fixedrange": True,
        },
        "xaxis2": {"domain": [0.72, 1.0], "anchor": "y3", "fixedrange": True},
        "yaxis3": {
            "domain": [0.0, 1.0],
            "range": [-bound * 1.25, bound * 1.25],
            "anchor": "x2",
            "fixedrange": True,
            "zeroline": True,
            "zerolinecolor": "#999999",
        },
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "right",
                "showactive": False,
                "x": 0.0,
                "xanchor": "left",
                "y": 1.16,
                "yanchor": "top",
                "pad": {"r": 6, "t": 0},
                "buttons": buttons,
            }
        ],
        "sliders": [slider],
    }
    if len(shown) < steps:
        layout["title"] = {
            "text": f"every {shown[1] - shown[0]}th step is a frame",
            "x": 0.99,
            "xanchor": "right",
            "font": {"size": 12},
        }
    return figure(data, layout, frames)
