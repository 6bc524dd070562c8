"""Gradient flow: how much of an error at the last step reaches the cell state of each earlier step.

The loss sits on the last step, ``L = sum(c_T)`` (so dL/dc_T = 1 for every unit) or ``L = sum(h_T)``,
and :func:`lstm_core.grad` backpropagates it through the recorded run. Going back one step through
the cell state alone multiplies dL/dc by the forget gate ``f``; if every ``f`` sat at
``sigmoid(forget_bias)`` (pre-activation 0) and ``c`` were the only path back, ``k`` steps back
would keep ``sigmoid(forget_bias) ** k`` of it: the closed form drawn beside the real gradient.

Everything is kept as log10 of the magnitudes, so gradients that vanish below float64's smallest
number (2000 steps at forget_bias 0: 0.5 ** 2000) or grow past it (relu, identity) are drawn at the
edge of the scale (``LOG_FLOOR``, ``LOG_CEILING``) instead of as NaN. Plain NumPy and Plotly dicts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, hex_to_rgb

from lstm_core import BasicRNNTrace, GRUTrace, Trace, grad

from .figure import (
    band_colorbar,
    column_title,
    figure,
    panel_axes,
    panel_refs,
    row_heights,
    split_columns,
    step_axis,
    title_with_note,
    typed,
    unit_axis,
)
from .format import decade
from .heatmaps import CELL_BUDGET, TimeAxis
from .style import FONT_FAMILY

#: The losses the page offers: the key of the URL, and what it is in words.
LOSSES = {
    "c": "the final cell state, L = sum(c_T)",
    "h": "the final output, L = sum(h_T)",
}
#: What the page's menu calls each loss.
LOSS_TITLES = {"c": "final cell state c_T", "h": "final output h_T"}
#: log10 of the smallest and largest magnitudes drawn; beyond them, the edge of the scale.
LOG_FLOOR, LOG_CEILING = -300.0, 300.0
#: "Has the gradient vanished?": below this fraction of the last step's.
THRESHOLD = 0.01
#: Cells per heatmap figure (all panels together) above which time is averaged over bins.
FIGURE_BUDGET = 3 * CELL_BUDGET
#: Sequential and colour-blind safe (black, purple, orange, light yellow): unlike the gates' blue-green-yellow.
# As rgb() colours: Plotly.js 4.1 reads magma's first stop "#000004" as an invalid colour and draws
# its pale pink default instead, which made the smallest gradients look bright.
MAGNITUDE_SCALE: list = [
    [position, "rgb({}, {}, {})".format(*hex_to_rgb(colour))] for position, colour in get_colorscale("Magma")
]
#: One colour per forget_bias (Okabe-Ito): 0 vermillion, 1 blue, the slider's other value green.
FB_COLORS = {0.0: "#D55E00", 1.0: "#0072B2"}
OTHER_COLOR = "#009E73"


@dataclass(frozen=True)
class Flow:
    """The gradient of the loss with respect to every step's cell state, in one run.

    All arrays are log10 of magnitudes, clipped to [LOG_FLOOR, LOG_CEILING]; ``steps_back[t]`` is
    ``T - 1 - t`` (0 at the last step).

    Attributes
    ----------
    forget_bias : float
    log_dc : ndarray, shape (time, num_units)
        log10 |dL/dc_t| per unit.
    log_ratio : ndarray, shape (time,)
        log10 (||dL/dc_t|| / ||dL/dc_T||), the whole gradient relative to the last step's.
    log_closed_form : ndarray, shape (time,)
        log10 sigmoid(forget_bias) ** (T - 1 - t).
    log_through_c : ndarray, shape (time,)
        log10 of the ratio if ``c`` were the only path back, with the run's actual forget gates:
        ||dL/dc_T * prod(f_{t+1..T})|| / ||dL/dc_T||.
    mean_f, min_f, max_f : float
        The forget gates' mean, smallest and largest over the steps and units.
    overflowed : int
        Steps whose gradient exceeded float64 (drawn at the top of the scale).
    zero_at_end : bool
        dL/dc_T is 0 for every unit (h_T does not depend on c_T); ``log_ratio`` is then relative
        to the largest ||dL/dc_t|| instead.
    """

    forget_bias: float
    log_dc: np.ndarray
    log_ratio: np.ndarray
    log_closed_form: np.ndarray
    log_through_c: np.ndarray
    mean_f: float
    min_f: float
    max_f: float
    overflowed: int
    zero_at_end: bool = False

    @property
    def steps(self) -> int:
        return self.log_dc.shape[0]


def _log10_abs(values: np.ndarray) -> np.ndarray:
    """log10 |values|, 0 -> LOG_FLOOR, inf or NaN (an overflow) -> LOG_CEILING, without warnings."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.abs(values))
    logs = np.where(np.isfinite(values), logs, LOG_CEILING)
    return np.clip(logs, LOG_FLOOR, LOG_CEILING)


def _log10_norm(logs: np.ndarray, axis: int = -1) -> np.ndarray:
    """log10 of the Euclidean norm of vectors given as log10 of their elements' magnitudes,
    without leaving log space (the norm of 1e200-sized elements would overflow)."""
    top = np.max(logs, axis=axis, keepdims=True)
    scaled = np.sum(10.0 ** (2 * (logs - top)), axis=axis)
    return np.squeeze(top, axis=axis) + 0.5 * np.log10(scaled)


def closed_form(forget_bias: float, steps: int) -> np.ndarray:
    """log10 sigmoid(forget_bias) ** (T - 1 - t) for t = 0 .. T - 1: the product of ``T - 1 - t``
    forget gates that all sit at sigmoid(forget_bias), clipped at LOG_FLOOR."""
    log_sigmoid = -math.log1p(math.exp(-forget_bias)) / math.log(10)  # log10 sigmoid(fb), stable
    steps_back = np.arange(steps - 1, -1, -1, dtype=np.float64)
    return np.maximum(steps_back * log_sigmoid, LOG_FLOOR) + 0.0  # + 0.0: no -0.0 at the last step


#: The Flow fields kept of each run of the live slider's sweep (ui.live_flow), arrays and numbers:
#: all but its forget_bias, which the sweep's grid says.
FLOW_FIELDS = tuple(field.name for field in fields(Flow) if field.name != "forget_bias")


def flow_curves(traces: list[Trace], layer: int, seq: int, loss: str) -> dict[str, np.ndarray]:
    """What the live Gradient flow slider keeps of one run: the :func:`gradient_flow` of ``layer``
    (1-based) and sequence ``seq``, field by field (FLOW_FIELDS; also computed in a worker,
    workers.remote). :func:`flow_at` makes the Flow again."""
    flow = gradient_flow(traces[layer - 1], seq, loss)
    return {name: np.asarray(getattr(flow, name)) for name in FLOW_FIELDS}


def flow_at(arrays: dict[str, np.ndarray], k: int, forget_bias: float) -> Flow:
    """The Flow of the ``k``-th run of a sweep of :func:`flow_curves` (its arrays stacked along a first
    axis), at ``forget_bias``: the same numbers as :func:`gradient_flow` of that run."""
    values = {name: arrays[name][k] for name in FLOW_FIELDS}
    for name in ("mean_f", "min_f", "max_f"):
        values[name] = float(values[name])
    values["overflowed"], values["zero_at_end"] = int(values["overflowed"]), bool(values["zero_at_end"])
    return Flow(forget_bias=float(forget_bias), **values)


def gradient_flow(trace: Trace, batch: int = 0, loss: str = "c") -> Flow:
    """Backpropagate a loss on the last step of ``trace`` and measure what reaches each c_t.

    Parameters
    ----------
    trace : Trace
        One layer's run; for a layer of a stack the loss is that layer's own final state.
    batch : int
        The sequence of the batch measured.
    loss : {"c", "h"}
        ``L = sum(c_T)`` or ``L = sum(h_T)`` (see :data:`LOSSES`).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}.")
    cfg = trace.config
    rows, units, depth = trace.inputs.shape[0], cfg.num_units, cfg.h_depth
    final = (np.ones((rows, units)), None) if loss == "c" else (None, np.ones((rows, depth)))
    with np.errstate(all="ignore"):  # relu and identity can overflow going back; clipped below
        dc = grad(trace, None, final).dc[batch]  # (time, units)
    log_dc = _log10_abs(dc)
    overflowed = int(np.sum(~np.isfinite(dc).all(axis=1)))
    log_norm = _log10_norm(log_dc)
    zero_at_end = bool(log_dc[-1].max() <= LOG_FLOOR)  # L = sum(h_T) with h_T blind to c_T (relu, o = 0)
    log_ratio = np.clip(log_norm - (log_norm.max() if zero_at_end else log_norm[-1]), LOG_FLOOR, LOG_CEILING)

    # Through c alone: dL/dc_t = dL/dc_T * f_{t+1} * ... * f_T, a cumulative sum of log f from the end.
    log_f = _log10_abs(trace.f[batch].astype(np.float64))
    after = np.zeros_like(log_f)  # after[t] = sum of log f over the steps after t
    after[:-1] = np.cumsum(log_f[::-1], axis=0)[::-1][1:]
    through = _log10_norm(log_dc[-1] + after)
    log_through_c = np.clip(through - through[-1], LOG_FLOOR, LOG_CEILING)
    return Flow(
        forget_bias=float(cfg.forget_bias),
        log_dc=log_dc.astype(np.float32),  # drawn in float32 anyway; half the cache
        log_ratio=log_ratio,
        log_closed_form=closed_form(cfg.forget_bias, dc.shape[0]),
        log_through_c=log_through_c,
        mean_f=float(trace.f[batch].mean()),
        min_f=float(trace.f[batch].min()),
        max_f=float(trace.f[batch].max()),
        overflowed=overflowed,
        zero_at_end=zero_at_end,
    )


#: The plain RNN's line: black, dash-dot (no forget_bias colour: it has no forget gate).
RNN_COLOR = "rgb(0, 0, 0)"
RNN_NAME = "plain RNN (tanh)"


@dataclass(frozen=True)
class HiddenFlow:
    """The gradient of ``L = sum(h_T)`` with respect to every step's h, in one run of a cell whose
    whole state is h (a plain RNN, a GRU): what :class:`Flow` is for an LSTM's c.

    Attributes
    ----------
    log_dh : ndarray, shape (time, num_units)
        log10 |dL/dh_t| per unit, clipped to [LOG_FLOOR, LOG_CEILING].
    log_ratio : ndarray, shape (time,)
        log10 (||dL/dh_t|| / ||dL/dh_T||), clipped likewise.
    overflowed : int
        Steps whose gradient exceeded float64.
    activation : str
    """

    log_dh: np.ndarray
    log_ratio: np.ndarray
    overflowed: int
    activation: str = "tanh"

    @property
    def steps(self) -> int:
        return self.log_dh.shape[0]


def hidden_flow(trace: BasicRNNTrace | GRUTrace, batch: int = 0) -> HiddenFlow:
    """Backpropagate ``L = sum(h_T)`` through a plain RNN's (or a GRU's) run and measure what
    reaches each h_t: for these cells h is the state, so going back one step multiplies the error
    by the recurrent weights and the activation's slope (a GRU's also by its gates)."""
    rows, units = trace.inputs.shape[0], trace.config.num_units
    with np.errstate(all="ignore"):  # relu and identity can overflow going back; clipped below
        dh = grad(trace, None, np.ones((rows, units))).dh[batch]  # (time, units)
    log_dh = _log10_abs(dh)
    log_norm = _log10_norm(log_dh)
    return HiddenFlow(
        log_dh=log_dh,
        log_ratio=np.clip(log_norm - log_norm[-1], LOG_FLOOR, LOG_CEILING),
        overflowed=int(np.sum(~np.isfinite(dh).all(axis=1))),
        activation=trace.config.activation,
    )


def rnn_name(rnn: HiddenFlow) -> str:
    return RNN_NAME.replace("tanh", rnn.activation)


def forget_biases(current: float) -> list[float]:
    """The forget biases compared: 0, 1 and the slider's value when it is neither, ascending."""
    return sorted({0.0, 1.0, float(current)})


#: A gradient that somewhere going back exceeds this share of the last step's (log10) grows.
GROWS_ABOVE = math.log10(1.5)


def grows_back(log_ratio: np.ndarray) -> bool:
    """Whether the gradient grows going back (above GROWS_ABOVE of the last step's somewhere)."""
    return float(np.max(log_ratio)) > GROWS_ABOVE


def steps_until_below(log_ratio: np.ndarray, threshold: float = THRESHOLD) -> int | None:
    """Going back from the last step, how many steps until the ratio first falls below
    ``threshold``; None if it never does within the sequence."""
    below = np.nonzero(log_ratio[::-1] < math.log10(threshold))[0]
    return int(below[0]) if below.size else None


def closed_form_steps(forget_bias: float, threshold: float = THRESHOLD) -> float:
    """Steps back until sigmoid(forget_bias) ** k < threshold: the smallest such whole k."""
    log_sigmoid = -math.log1p(math.exp(-forget_bias)) / math.log(10)
    return math.floor(math.log10(threshold) / log_sigmoid) + 1


def label(forget_bias: float, current: float) -> str:
    return f"forget_bias {forget_bias:g}" + (" (slider)" if forget_bias == current else "")


def color(forget_bias: float) -> str:
    return FB_COLORS.get(forget_bias, OTHER_COLOR)


def _decade_ticks(low: float, high: float) -> list[float]:
    """Whole powers of ten from ``low`` to ``high`` (log10), at most about seven of them."""
    span = max(high - low, 1.0)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200) if span / s <= 7)
    first = math.ceil(low / step) * step
    return [float(v) for v in np.arange(first, high + 1e-9, step)]


def floored(flows: list[Flow]) -> bool:
    """Whether a line reaches LOG_FLOOR: a gradient or closed form too small for float64."""
    return any(min(f.log_ratio.min(), f.log_closed_form.min(), f.log_through_c.min()) <= LOG_FLOOR for f in flows)


def shared_range(flows: list[Flow], rnn: HiddenFlow | None = None) -> tuple[float, float]:
    """One colour range for every panel (log10): from the smallest magnitude of forget_bias 0 and 1
    (the lesson's panels: a slider's far lower forget_bias, down to 10^-90, does not stretch the
    scale and change how they look; its smaller values take the darkest colour, and its title says
    so) to the largest shown (the plain RNN's panel too, if given), at least one decade wide, in whole
    decades. Exact zeros (at LOG_FLOOR: a gate shut at exactly 0, or an underflow) do not stretch it either."""
    lesson = [f for f in flows if f.forget_bias in (0.0, 1.0)] or flows
    values = np.concatenate([f.log_dc.ravel() for f in lesson])
    nonzero = values[values > LOG_FLOOR]
    low = float(nonzero.min()) if nonzero.size else LOG_FLOOR
    high = max([float(f.log_dc.max()) for f in flows] + ([float(rnn.log_dh.max())] if rnn is not None else []))
    low, high = math.floor(low), math.ceil(high)
    if high - low < 1:
        low = high - 1
    return float(low), float(high)


def flow_heatmaps(
    flows: list[Flow],
    current: float,
    step_labels: tuple[str, ...] | None = None,
    budget: int = FIGURE_BUDGET,
    rnn: HiddenFlow | None = None,
    *,
    slider: Flow | None = None,
    z_range: tuple[float, float] | None = None,
) -> go.Figure:
    """|dL/dc_t| per unit and step, one panel per forget_bias, side by side, on one log colour scale;
    with ``rnn``, the plain RNN's |dL/dh_t| in a last panel on the same scale.

    With ``slider`` (the live slider's, ui.live_flow): ``flows`` are forget_bias 0 and 1, and the
    slider's panel follows them at any value (0 and 1 too: the panels stay put while the browser swaps
    its :func:`heatmap_panel`), on ``z_range``, fixed over every value the slider can take."""
    steps, units = flows[0].log_dc.shape
    panels = [(label(f.forget_bias, current), color(f.forget_bias), f.log_dc, "c") for f in flows]
    if slider is not None:
        panels.append((slider_name(slider.forget_bias), OTHER_COLOR, slider.log_dc, "c"))
    if rnn is not None:
        panels.append((rnn_name(rnn), RNN_COLOR, rnn.log_dh, "h"))
    axis = heatmap_axis(steps, units, len(panels), budget)
    x = axis.x()
    zmin, zmax = z_range or shared_range(flows, rnn)
    ticks = _decade_ticks(zmin, zmax)
    colorbar = {
        **band_colorbar(1.0, 0.0, zmin, zmax, [decade(t) for t in ticks], tickvals=ticks),
        "title": {"text": "|∂L/∂c|" + (", |∂L/∂h|" if rnn is not None else ""), "side": "right", "font": {"size": 12}},
    }
    lefts, width = split_columns(len(panels), 0.03)
    traces, layout, annotations = [], {}, []
    steps_back = axis.pool((steps - 1 - np.arange(steps, dtype=np.float64))[:, None])[0]
    # A title on two lines (its note under it); the live slider's may be, at some value.
    wrapped = slider is not None and len(panels) > 3
    for k, ((name, colour, log_values, state), left) in enumerate(zip(panels, lefts, strict=True)):
        panel = heatmap_panel(name, log_values, state, axis, zmin, len(panels))
        traces.append(
            {
                "type": "heatmap",
                "name": panel["name"],
                "z": panel["z"],
                "x": typed(x),
                "y": typed(np.arange(units, dtype=np.float32)),
                "customdata": typed(np.broadcast_to(steps_back, (units, len(steps_back))).astype(np.float32)),
                "coloraxis": "coloraxis",
                "hovertemplate": panel["hovertemplate"],
                **panel_refs(k),
            }
        )
        wrapped = wrapped or "<br>" in panel["title"]
        annotations.append(
            {**column_title("", left + width / 2, yanchor="bottom", color=colour), "text": panel["title"]}
        )
        xaxis = step_axis(
            steps,
            step_labels,
            domain=[left, left + width],
            title={"text": "step t", "font": {"size": 12}},
            showgrid=False,
            zeroline=False,
        )
        yaxis = unit_axis(units, showticklabels=k == 0, title={"text": "unit" if k == 0 else ""})
        layout.update(panel_axes(k, xaxis, yaxis, match_y=True))
    note = axis.note()
    layout.update(
        coloraxis={"colorscale": MAGNITUDE_SCALE, "cmin": zmin, "cmax": zmax, "colorbar": colorbar},
        annotations=annotations,
        height=int(row_heights([units])[0] * 1.6 + 130),
        margin={"l": 60, "r": 80, "t": (64 if note else 34) + (20 if wrapped else 0), "b": 50},
        font={"family": FONT_FAMILY, "size": 13},
        title={**title_with_note("", note), "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 6}},
        plot_bgcolor="white",
    )
    return figure(traces, layout)


def heatmap_axis(steps: int, units: int, panels: int, budget: int = FIGURE_BUDGET) -> TimeAxis:
    """The time axis of :func:`flow_heatmaps`'s ``panels`` panels (steps pooled to fit ``budget``)."""
    return TimeAxis.fit(steps, units, max(1, budget // panels))


def heatmap_panel(name: str, log_values: np.ndarray, state: str, axis: TimeAxis, zmin: float, panels: int) -> dict:
    """One panel of :func:`flow_heatmaps` as it is drawn: its trace's ``z`` (the log10 magnitudes
    ``log_values``, (steps, units), pooled by ``axis``: typed), ``name`` and ``hovertemplate``, and its
    ``title``'s text (saying when some cells lie below the colour scale's ``zmin``)."""
    hover = (
        f"{name}<br>{axis.step_word} %{{x}} (%{{customdata:.0f}} steps before the end)<br>unit %{{y}}"
        f"<br>|∂L/∂{state}| = 10^%{{z:.2f}}"
        + (f"<br>(mean of the log over {axis.factor} steps)" if axis.factor > 1 else "")
    )
    below = bool(((log_values > LOG_FLOOR) & (log_values < zmin)).any())
    # Four panels are too narrow for the note on the title's line: it goes under it.
    title = name + (f"{'<br>' if panels > 3 else ' '}(below {decade(zmin)}: darkest)" if below else "")
    return {
        "z": typed(axis.pool(log_values)),
        "name": name,
        "hovertemplate": hover + "<extra></extra>",
        "title": column_title(title, 0.0)["text"],
    }


#: The three curves of one forget_bias, in the order they are drawn: (kind, Flow attribute, dash, width).
CURVES = (
    ("gradient", "log_ratio", "solid", 2.5),
    ("closed form", "log_closed_form", "dash", 1.8),
    ("through c alone", "log_through_c", "dot", 1.8),
)


#: What the line styles mean, under the chart when the legend names the gradients only.
STYLE_NOTE = "solid: the gradient, dashed: σ(forget_bias)^k, dotted: through c alone"
#: The hover text after a curve's name (its step, how far before the end, the fraction).
HOVER_TAIL = "<br>step %{x}, %{customdata:.0f} steps before the end<br>%{text} of the last step's<extra></extra>"


def curve_names(forget_bias: float, name: str) -> list[str]:
    """The legend names of one forget_bias's three curves (:data:`CURVES`)."""
    sigmoid = 1 / (1 + math.exp(-forget_bias))
    kinds = ("gradient", f"closed form σ({forget_bias:g})^k = {sigmoid:.3f}^k", "through c alone")
    return [f"{name} · {kind}" for kind in kinds]


def slider_name(forget_bias: float) -> str:
    return f"forget_bias {forget_bias:g} (slider)"


def flow_lines(
    flows: list[Flow],
    current: float,
    step_labels: tuple[str, ...] | None = None,
    *,
    slider: Flow | None = None,
    y_range: tuple[float, float] | None = None,
    compact: bool = False,
    rnn: HiddenFlow | None = None,
) -> go.Figure:
    """||dL/dc_t|| / ||dL/dc_T|| per step (solid, log y) for each forget_bias, with its closed form
    sigmoid(forget_bias) ** (T - 1 - t) dashed and the path through c alone dotted, in its colour.

    ``slider``: the live slider's forget_bias, drawn last, in its own colour even when it is 0 or 1
    (the browser swaps its three curves as the slider moves); ``y_range``: the axis's (low, high)
    log10, fixed over every value the slider can take. ``compact`` (presenter mode): the legend names
    each forget_bias's gradient only, and a note on the chart says what dashed and dotted are.
    ``rnn``: a plain RNN's ||dL/dh_t|| / ||dL/dh_T|| on the same axes, black dash-dot, drawn last
    (the slider's curves stay the first three)."""
    steps = flows[0].steps
    x = np.arange(steps, dtype=np.float32)
    steps_back = (steps - 1 - np.arange(steps)).astype(np.float32)
    markers = steps <= 60
    low, high = y_range or line_range(flows + ([slider] if slider else []), rnn)
    traces = []
    drawn = [(flow, label(flow.forget_bias, current), color(flow.forget_bias)) for flow in flows]
    if slider is not None:  # first, under the others and wider: at 0 or 1 a halo around their curves
        drawn.insert(0, (slider, slider_name(slider.forget_bias), OTHER_COLOR))
    for k, (flow, name, colour) in enumerate(drawn):
        halo = slider is not None and k == 0  # the slider's own curves (at 0 or 1 it is the same Flow as a fixed one)
        for (kind, attribute, dash, width), full_name in zip(CURVES, curve_names(flow.forget_bias, name), strict=True):
            values = getattr(flow, attribute)
            traces.append(
                {
                    "type": "scatter",
                    "name": full_name,
                    "legendgroup": name,
                    "x": typed(x),
                    # At the axis's floor, not below it: a curve that falls further lies along the bottom
                    # (a note says how far it goes). float64: float32 stops at 1e-38.
                    "y": typed(10.0 ** np.maximum(values, low - 0.2)),
                    "text": [f"{power_of_text(v)}" for v in values],
                    "customdata": typed(steps_back),
                    "mode": "lines+markers" if markers and kind == "gradient" else "lines",
                    **({"showlegend": False} if compact and kind != "gradient" else {}),
                    "line": {"color": colour, "dash": dash, "width": width + 3 if halo else width},
                    **({"opacity": 0.6} if halo else {}),
                    "marker": {"size": 5},
                    "hovertemplate": full_name.replace(" · ", ", ") + HOVER_TAIL,
                }
            )
    if rnn is not None:
        traces.append(rnn_line(rnn, low))
    title = "step t (the loss is on the last step)" + (f" · {STYLE_NOTE}" if compact else "")
    xaxis = step_axis(steps, step_labels, tickangle=None, title={"text": title}, zeroline=False)
    threshold = math.log10(THRESHOLD)
    return figure(
        traces,
        {
            "height": 420,
            "margin": {"l": 70, "r": 20, "t": 30, "b": 50},
            "font": {"family": FONT_FAMILY, "size": 13},
            "xaxis": xaxis,
            "yaxis": {
                "title": {"text": "share of the last step's gradient" if rnn is not None else "‖∂L/∂c_t‖ / ‖∂L/∂c_T‖"},
                "type": "log",
                "range": [low - 0.2, high + 0.2],
                **({"dtick": 1} if high - low <= 12 else {}),  # one label per decade, no 2, 3, 5 between
                "exponentformat": "power",
                "gridcolor": "#e5e5e5",
            },
            "legend": {"groupclick": "toggleitem", "x": 1.01, "y": 1},
            "hoverlabel": {"font": {"size": 14}, "bgcolor": "white", "bordercolor": "#999999"},
            "plot_bgcolor": "white",
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "yref": "y",
                    "x0": 0,
                    "x1": 1,
                    "y0": THRESHOLD,
                    "y1": THRESHOLD,
                    "line": {"color": "#777777", "width": 1, "dash": "dashdot"},
                }
            ],
            "annotations": [
                *below_floor_notes(flows, current, low, slider, rnn),
                {
                    "text": "1%",
                    "xref": "paper",
                    "yref": "y",
                    "x": 0,
                    "y": threshold,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 11, "color": "#555555"},
                },
            ],
        },
    )


#: The line chart's floor: this many decades below the lowest curve of forget_bias 0 or 1 (the
#: lesson), so that a sidebar forget_bias of -3 (down to 10^-78) does not squeeze the lesson's curves
#: into the top of the chart; what falls further lies on the floor, with a note saying how far it goes.
FLOOR_MARGIN = 1.0


def line_range(flows: list[Flow], rnn: HiddenFlow | None = None) -> tuple[float, float]:
    """(lowest, highest) log10 of the line chart's y axis (see FLOOR_MARGIN); a plain RNN's line
    (``rnn``) raises the top if it grows, but does not lower the floor: where it falls further, it
    lies on the floor with a note, as the other lines do."""
    lesson = [f for f in flows if f.forget_bias in (0.0, 1.0)] or flows
    low = min(min(float(f.log_ratio.min()), float(f.log_closed_form.min())) for f in lesson)
    high = max(max(float(f.log_ratio.max()), float(f.log_through_c.max())) for f in flows)
    if rnn is not None:
        high = max(high, float(rnn.log_ratio.max()))
    low = max(math.floor(low - FLOOR_MARGIN), LOG_FLOOR)
    return min(low, -2.0), max(math.ceil(high), 0.0)


def rnn_line(rnn: HiddenFlow, low: float) -> dict:
    """The plain RNN's line on the chart whose floor is ``low`` (log10): ||dL/dh_t|| / ||dL/dh_T||,
    black dash-dot, on the floor where it falls below it."""
    steps = rnn.steps
    name = rnn_name(rnn)
    return {
        "type": "scatter",
        "name": f"{name} · ‖∂L/∂h_t‖",
        "x": typed(np.arange(steps, dtype=np.float32)),
        "y": typed(10.0 ** np.maximum(rnn.log_ratio, low - 0.2)),
        "text": [power_of_text(v) for v in rnn.log_ratio],
        "customdata": typed((steps - 1 - np.arange(steps)).astype(np.float32)),
        "mode": "lines",
        "line": {"color": RNN_COLOR, "dash": "dashdot", "width": 2.5},
        "hovertemplate": f"{name}, ‖∂L/∂h_t‖" + HOVER_TAIL,
    }


def with_rnn(fig: go.Figure, rnn: HiddenFlow) -> go.Figure:
    """A line chart of :func:`flow_lines` drawn without ``rnn`` (the live slider's, ui.live_flow) with
    the plain RNN's line added last (the slider's curves stay the first three, as the browser
    expects), its note if it falls below the floor, and the axis raised if it grows above the top."""
    low = float(fig.layout.yaxis.range[0]) + 0.2
    top = float(fig.layout.yaxis.range[1])
    data = [*fig.data, go.Scatter(rnn_line(rnn, low))]
    notes = [a for a in fig.layout.annotations if not str(a.text).startswith("1%")]
    note = below_floor_note(rnn_name(rnn), RNN_COLOR, float(rnn.log_ratio.min()), low, len(notes))
    out = go.Figure(data=data, layout=fig.layout, skip_invalid=True)
    if note is not None:
        out.add_annotation(note)
    out.update_layout(
        yaxis_range=[low - 0.2, max(top, math.ceil(float(rnn.log_ratio.max())) + 0.2)],
        yaxis_title_text="share of the last step's gradient",
    )
    return out


def lowest_of(log_ratio: np.ndarray, log_closed_form: np.ndarray) -> float:
    """The lowest log10 of a gradient and its closed form (what may fall below the chart's floor)."""
    return min(float(log_ratio.min()), float(log_closed_form.min()))


def lowest_drawn(flow: Flow) -> float:
    return lowest_of(flow.log_ratio, flow.log_closed_form)


def below_floor_note(name: str, colour: str, lowest: float, low: float, position: int) -> dict | None:
    """The note at the bottom of the chart (the ``position``-th from the bottom) for curves that fall
    below the floor ``low`` (down to ``lowest``); None if they do not."""
    if lowest >= low - 0.2:
        return None
    return {
        "text": f"{name}: lower than the chart shows, down to {decade(round(lowest))}",
        "xref": "paper",
        "yref": "paper",
        "x": 1,
        "y": 0.02 + 0.07 * position,
        "xanchor": "right",
        "yanchor": "bottom",
        "showarrow": False,
        "bgcolor": "rgba(255,255,255,0.85)",
        "font": {"size": 12, "color": colour},
    }


def below_floor_notes(
    flows: list[Flow], current: float, low: float, slider: Flow | None = None, rnn: HiddenFlow | None = None
) -> list[dict]:
    """A note at the bottom of the chart for each forget_bias (and the plain RNN) whose curves fall
    below its floor."""
    drawn = [(label(f.forget_bias, current), color(f.forget_bias), lowest_drawn(f)) for f in flows]
    if rnn is not None:
        drawn.append((rnn_name(rnn), RNN_COLOR, float(rnn.log_ratio.min())))
    if slider is not None:
        drawn.append((slider_name(slider.forget_bias), OTHER_COLOR, lowest_drawn(slider)))
    notes = []
    for name, colour, lowest in drawn:
        if (note := below_floor_note(name, colour, lowest, low, len(notes))) is not None:
            notes.append(note)
    return notes


def power_of_text(log_value: float) -> str:
    """A fraction given as its log10, as the hover prints it: 0.0123, or 3.2e-78 (any size)."""
    if log_value >= -4:
        return f"{10**log_value:.3g}"
    exponent = math.floor(log_value)
    return f"{10 ** (log_value - exponent):.2g}e{exponent}"


def _after(steps: int | None, total_back: int) -> str:
    if steps is None:
        return f"not within the {total_back} steps back"
    return f"after {steps} step{'s' if steps != 1 else ''}"


def heatmaps_alt(flows: list[Flow], current: float, rnn: HiddenFlow | None = None) -> str:
    parts = []
    if rnn is not None:
        first, last = rnn.log_dh[0], rnn.log_dh[-1]
        parts.append(
            f"{rnn_name(rnn)} (|dL/dh|): at the last step 10^{last.max():.1f}, at the first step from "
            f"10^{first.min():.1f} to 10^{first.max():.1f}"
        )
    for flow in flows:
        first, last = flow.log_dc[0], flow.log_dc[-1]
        parts.append(
            f"{label(flow.forget_bias, current)}: at the last step 10^{last.max():.1f}, at the first step "
            f"from 10^{first.min():.1f} to 10^{first.max():.1f}"
        )
    return (
        f"Heatmaps of the gradient magnitude |dL/dc| per unit (rows) and step (columns), {flows[0].steps} steps, "
        "log colour scale, one panel per forget_bias: " + "; ".join(parts) + "."
    )


def lines_alt(flows: list[Flow], current: float, rnn: HiddenFlow | None = None) -> str:
    parts = []
    if rnn is not None:
        parts.append(
            f"{rnn_name(rnn)}: below 1% {_after(steps_until_below(rnn.log_ratio), rnn.steps - 1)} back, "
            f"10^{rnn.log_ratio[0]:.1f} at the first step"
        )
    for flow in flows:
        actual = steps_until_below(flow.log_ratio)
        parts.append(
            f"{label(flow.forget_bias, current)}: below 1% {_after(actual, flow.steps - 1)} back, "
            f"10^{flow.log_ratio[0]:.1f} at the first step against 10^{flow.log_closed_form[0]:.1f} in the closed form"
        )
    return (
        "Line chart, log scale: the gradient norm at each step relative to the last step's, with the closed form "
        "sigmoid(forget_bias)^(steps back) dashed: " + "; ".join(parts) + "."
    )
