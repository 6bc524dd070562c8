"""Figures of the Train page: the loss and the task's metric as training goes, what the trained
model answers on a test sequence, and text coloured by one unit (as Karpathy's char-rnn figures)."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from lstm_core.sequences import show_char
from lstm_core.tasks import Batch, Task, format_metric
from lstm_core.training import Record, Trainer

from .figure import figure, log_ticks, step_ticks, typed
from .gradflow import RNN_COLOR
from .gradflow import color as forget_bias_color
from .style import FONT_FAMILY, GATE_SCALE, SIGNED_SCALE, ink, rgb_values

RUN_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: The GRU's colour wherever runs are coloured by forget_bias (it has none): Okabe-Ito's reddish purple.
GRU_COLOR = "#CC79A7"
#: Line styles that tell apart runs of one colour (runs at one forget_bias that differ otherwise).
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def run_styles(runs: dict[str, Trainer]) -> dict[str, tuple[str, str]]:
    """(colour, dash) of each run. When the runs differ by forget_bias, each LSTM run takes its
    forget_bias's colour, as on the Gradient flow page (0 vermillion, 1 blue, others green), the
    plain RNN black and the GRU purple (they have no forget_bias); runs of one colour are told
    apart by their dashes. Otherwise each run has a colour of its own."""
    lstm = {label: t for label, t in runs.items() if t.settings.variant not in ("rnn", "gru")}
    by_forget_bias = len({t.settings.forget_bias for t in lstm.values()}) > 1
    styles, used = {}, {}
    for n, (label, trainer) in enumerate(runs.items()):
        if not by_forget_bias:
            styles[label] = (RUN_COLORS[n % len(RUN_COLORS)], DASHES[(n // len(RUN_COLORS)) % len(DASHES)])
            continue
        variant = trainer.settings.variant
        colour = {"rnn": RNN_COLOR, "gru": GRU_COLOR}.get(variant) or forget_bias_color(trainer.settings.forget_bias)
        styles[label] = (colour, DASHES[used.get(colour, 0) % len(DASHES)])
        used[colour] = used.get(colour, 0) + 1
    return styles


#: A log axis's minor ticks at 2 to 9 times each power of ten ("D1"), unlabelled: left to itself
#: beside array-placed labels, Plotly packs them into a solid bar and a grey block of grid lines.
LOG_MINOR = {"ticks": "outside", "ticklen": 3, "dtick": "D1", "showgrid": True, "gridcolor": "#f2f2f2"}
#: The labelled ticks longer, so that their labels stand clear of the minor ticks.
LOG_MAJOR = {"ticks": "outside", "ticklen": 7}


def progress_figure(
    runs: dict[str, Trainer], task: Task, current: str, names: dict[str, str] | None = None
) -> go.Figure:
    """Loss per step (left, log scale) and the test metric (right) of each run of this session;
    the current settings' run drawn thick, the others thin, the 'solved' level dashed."""
    names = names or {}
    data = []
    styles = run_styles(runs)
    all_losses, all_metrics = [], []
    for label, trainer in runs.items():
        history = trainer.history
        if not history:
            continue
        color, dash = styles[label]
        width = 2.5 if label == current else 1.2
        steps = np.array([r.step for r in history], dtype=np.float32)
        losses = np.array([r.loss for r in history], dtype=np.float32)
        all_losses.append(losses)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": typed(steps),
                "y": typed(losses),
                "name": names.get(label, label),
                "legendgroup": label,
                "line": {"color": color, "width": width, "dash": dash},
                "hovertemplate": "step %{x}<br>loss %{y:.4g}<extra>" + html.escape(label) + "</extra>",
            }
        )
        evaluated = [r for r in history if r.metric is not None]
        if trainer.start_metric is not None:
            evaluated.insert(0, Record(0, float("nan"), float("nan"), trainer.start_metric))
        if evaluated:
            all_metrics += [r.metric for r in evaluated]
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": typed(np.array([r.step for r in evaluated], dtype=np.float32)),
                    "y": typed(np.array([r.metric for r in evaluated], dtype=np.float32)),
                    "xaxis": "x2",
                    "yaxis": "y2",
                    "name": names.get(label, label),
                    "legendgroup": label,
                    "showlegend": False,
                    "marker": {"size": 4},
                    "line": {"color": color, "width": width, "dash": dash},
                    "hovertemplate": f"step %{{x}}<br>{task.metric_name} %{{y:.4g}}<extra>{html.escape(names.get(label, label))}</extra>",
                }
            )
    percent = task.metric_name in ("accuracy", "sequences right")
    metric_axis: dict = {"title": {"text": task.metric_name}, "anchor": "x2"}
    if percent:
        metric_axis.update(range=[0, 1.02], tickformat=".0%")
    else:
        metric_axis.update(
            type="log",
            exponentformat="power",
            minor=LOG_MINOR,
            **LOG_MAJOR,
            **log_ticks(all_metrics),
        )
    layout = {
        "height": 330,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "font": {"family": FONT_FAMILY, "size": 13},
        "xaxis": {"domain": [0, 0.46], "title": {"text": "training step"}},
        "yaxis": {
            "type": "log",
            "title": {"text": "loss (log scale)"},
            "exponentformat": "power",
            # Minor ticks (2 to 9 times each power of ten): a log axis read without them looks linear.
            "minor": LOG_MINOR,
            **LOG_MAJOR,
            **log_ticks(np.concatenate(all_losses) if all_losses else []),
        },
        "xaxis2": {"domain": [0.56, 1], "title": {"text": "training step"}, "anchor": "y2"},
        "yaxis2": metric_axis,
        "legend": {"orientation": "h", "y": -0.25},
        "annotations": [
            {
                "text": "<b>Loss</b> on each training batch",
                "x": 0,
                "xref": "paper",
                "y": 1.13,
                "yref": "paper",
                "showarrow": False,
                "xanchor": "left",
            },
            {
                "text": f"<b>{task.metric_name.capitalize()}</b> on 256 test sequences (dashed: solved)",
                "x": 0.56,
                "xref": "paper",
                "y": 1.13,
                "yref": "paper",
                "showarrow": False,
                "xanchor": "left",
            },
        ],
        "shapes": [
            {
                "type": "line",
                "xref": "x2 domain",
                "x0": 0,
                "x1": 1,
                "yref": "y2",
                "y0": task.solved_at,
                "y1": task.solved_at,
                "line": {"color": "#444444", "dash": "dash", "width": 1},
            }
        ],
    }
    return figure(data, layout)


def answers_figure(task: Task, outputs: np.ndarray, batch: Batch, row: int = 0) -> go.Figure:
    """What the trained model answers on one test sequence, against what the task wanted.

    Numbers (linear tasks): the answer and the target as lines over the steps that count.
    Classes and yes/no outputs: the answer's probabilities as a heatmap (outputs x steps), the
    wanted outputs marked with rings.
    """
    steps = outputs.shape[1]
    if batch.lengths is not None:
        steps = int(batch.lengths[row])
    x = np.arange(steps, dtype=np.float32)
    mask = batch.mask[row, :steps] > 0
    layout = {
        "height": 260 if task.output == "linear" else 120 + 24 * task.output_size,
        "margin": {"l": 70, "r": 20, "t": 30, "b": 45},
        "font": {"family": FONT_FAMILY, "size": 13},
        "xaxis": {"title": {"text": "step t"}, **step_ticks(steps, None)},
        "legend": {"orientation": "h", "y": 1.15},
    }
    if task.output == "linear":
        answer = outputs[row, :steps, 0].astype(np.float32)
        target = batch.targets[row, :steps, 0].astype(np.float32)
        asked = mask  # the wanted value only where the task asks for one
        data = [
            {
                "type": "scatter",
                "mode": "lines+markers" if asked.sum() > 1 else "markers",
                "x": typed(x[asked]),
                "y": typed(target[asked]),
                "name": "wanted",
                "marker": {"size": 10, "symbol": "circle-open", "color": "#111111"},
                "line": {"color": "#111111", "dash": "dot"},
                "hovertemplate": "step %{x}<br>wanted %{y:.4f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": typed(x),
                "y": typed(answer),
                "name": "model's answer",
                "marker": {"size": 6, "color": "#D55E00"},
                "line": {"color": "#D55E00"},
                "hovertemplate": "step %{x}<br>answer %{y:.4f}<extra></extra>",
            },
        ]
        layout["yaxis"] = {"title": {"text": task.output_names[0]}}
        return figure(data, layout)
    z = outputs[row, :steps].T.astype(np.float32)  # (outputs, steps)
    wanted_t, wanted_k = np.nonzero((batch.targets[row, :steps] > 0.5) & mask[:, None])
    data = [
        {
            "type": "heatmap",
            "z": typed(z),
            "x": typed(x),
            "y": [show_char(name) for name in task.output_names],
            "zmin": 0,
            "zmax": 1,
            "colorscale": GATE_SCALE,
            "colorbar": {"title": {"text": "probability"}, "len": 1, "thickness": 12},
            "hovertemplate": "step %{x}, %{y}: %{z:.3f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": typed(wanted_t.astype(np.float32)),
            "y": [show_char(task.output_names[k]) for k in wanted_k],
            "name": "wanted",
            "marker": {"size": 12, "symbol": "circle-open", "color": "#D55E00", "line": {"width": 2.5}},
            "hovertemplate": "step %{x}: %{y} wanted<extra></extra>",
        },
    ]
    layout["yaxis"] = {"title": {"text": "output"}, "type": "category", "autorange": "reversed"}
    return figure(data, layout)


def answers_alt(task: Task, outputs: np.ndarray, batch: Batch, value: float) -> str:
    return (
        f"What the trained model answers on a test sequence of {task.title}, against what was wanted. "
        f"Over the 256 test sequences its {task.metric_name} is {format_metric(task.metric_name, value)}."
    )


def colored_text(text: str, values: np.ndarray, bound: float | None = None) -> str:
    """``text`` as HTML, each character's background coloured by its value (blue negative, red
    positive, white 0), its value in a tooltip. Every character is escaped."""
    bound = bound or max(float(np.abs(values).max()), 1e-9)
    scale = [np.array(rgb_values(color)) for _, color in SIGNED_SCALE]
    spans = []
    for ch, value in zip(text, values, strict=True):
        position = (np.clip(value / bound, -1, 1) + 1) / 2 * (len(scale) - 1)
        low = int(np.floor(position))
        high = min(low + 1, len(scale) - 1)
        rgb = scale[low] + (scale[high] - scale[low]) * (position - low)
        shown = "⏎<br>" if ch == "\n" else ("&nbsp;" if ch == " " else html.escape(ch))
        spans.append(
            f'<span title="{value:+.3f}" style="background: rgb({int(rgb[0])},{int(rgb[1])},{int(rgb[2])}); '
            f'color: {ink(rgb)}">{shown}</span>'
        )
    return (
        '<div style="font-family: ui-monospace, monospace; font-size: 1.05rem; line-height: 1.7; '
        'padding: 0.6rem; border: 1px solid #ddd; border-radius: 0.4rem">' + "".join(spans) + "</div>"
    )


def busiest_units(values: np.ndarray, count: int = 3) -> list[int]:
    """The ``count`` units (``values``: (time, units)) whose colour in :func:`colored_text` changes most
    from one character to the next, most first: the mean absolute step-to-step change over the unit's
    largest absolute value (its colour range). A unit that drifts to its limit and stays there, one
    colour over the whole text, scores low however large its spread."""
    values = np.asarray(values, dtype=np.float64)
    change = np.abs(np.diff(values, axis=0)).mean(axis=0) if len(values) > 1 else np.zeros(values.shape[1])
    score = change / np.maximum(np.abs(values).max(axis=0), 1e-9)
    return [int(u) for u in np.argsort(-score, kind="stable")[:count]]


def findings_figure(
    summary: list[dict],
    value: str,
    title: str,
    labels: dict[str, str] | None = None,
    colors: dict[str, str] | None = None,
) -> go.Figure:
    """Grouped bars of one column of an experiment's summary (``success_rate`` or
    ``median_steps_to_solve``): one group per task, one bar per setting; unsolved settings get no
    bar, and a bar of steps says how many runs it stands for when some did not solve the task."""
    labels, colors = labels or {}, colors or {}
    settings = list(dict.fromkeys(row["setting"] for row in summary))
    tasks = list(dict.fromkeys(row["task"] for row in summary))
    data = []
    for n, setting in enumerate(settings):
        rows = {row["task"]: row for row in summary if row["setting"] == setting}
        y = [float(rows[t][value]) if t in rows and rows[t][value] not in ("", None) else None for t in tasks]
        text = []
        for t, height in zip(tasks, y, strict=True):
            row = rows.get(t)
            if height is None or row is None:
                text.append("")
            elif value == "success_rate":
                text.append(f"{height:.0%}")
            else:
                partial = int(row["solved"]) < int(row["runs"])
                text.append(f"{height:.0f}" + (f"<br>{row['solved']}/{row['runs']} solved" if partial else ""))
        data.append(
            {
                "type": "bar",
                "name": labels.get(setting, setting),
                "x": tasks,
                "y": y,
                "marker": {
                    "color": colors.get(
                        setting, RUN_COLORS[n % len(RUN_COLORS)] if len(settings) <= len(RUN_COLORS) else None
                    )
                },
                "text": text,
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": "%{x}<br>" + html.escape(labels.get(setting, setting)) + ": %{y}<extra></extra>",
            }
        )
    axis: dict = {"title": {"text": title}}
    if value == "success_rate":
        axis.update(range=[0, 1.12], tickformat=".0%")
    layout = {
        "barmode": "group",
        "height": 300,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
        "font": {"family": FONT_FAMILY, "size": 13},
        "yaxis": axis,
        "legend": {"orientation": "h", "y": -0.2},
    }
    return figure(data, layout)
