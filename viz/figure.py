"""Fast Plotly figures: plain dicts with binary float32 arrays, wrapped without re-validation, and
the layout of heatmap panels (Explore's stacked bands, Compare's grid, Gradient flow's row).

Plotly's graph objects validate every property as they are set, which for Explore's stacked
heatmaps cost more than the rest of a rerun (bench/app_latency.py times the rerun). The figures
here are built as the JSON Plotly.js reads (the tests validate each one fully against Plotly's
schema), with arrays pre-encoded as typed arrays, then wrapped in a ``go.Figure`` without
validation.

Panels are laid out in paper coordinates: :func:`stack_bands` stacks bands of rows from the top,
:func:`split_columns` puts panels side by side; :func:`unit_axis` and :func:`step_axis` carry the
tick rules of a panel's unit (y) and step (x) axes, :func:`panel_axes` ties a panel's two axes
together, :func:`band_colorbar`, :func:`band_label` and :func:`column_title` label them.
"""

from __future__ import annotations

import base64
import math

import numpy as np
import plotly.graph_objects as go

_DTYPES = {np.dtype(np.float32): "f4", np.dtype(np.float64): "f8", np.dtype(np.int32): "i4", np.dtype(np.int8): "i1"}


def typed(values) -> dict:
    """A Plotly.js typed array: {"dtype": "f4", "bdata": base64 of the bytes, "shape": "rows, cols"}."""
    array = np.asarray(values)
    if array.dtype not in _DTYPES:
        array = array.astype(np.float32)
    array = np.ascontiguousarray(array)
    spec = {"dtype": _DTYPES[array.dtype], "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in array.shape)
    return spec


def step_ticks(steps: int, step_labels: tuple[str, ...] | None) -> dict:
    """x-axis ticks that name the steps (e.g. the characters of a text input), at most about 80; {} if plain numbers."""
    if step_labels is None or all(label == str(t) for t, label in enumerate(step_labels)):
        return {}
    ticks = list(range(0, steps, max(1, math.ceil(steps / 80))))
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [step_labels[t] for t in ticks]}


def row_heights(rows: list[int]) -> list[float]:
    """The height in px of a band of heatmap rows for each of ``rows`` (a band's number of rows)."""
    # A band's height grows with its number of units, within limits, so 2 and 256 units both read.
    return [float(np.clip(24 + 14 * n if n <= 8 else 60 + 4 * n, 60, 220)) for n in rows]


def stack_bands(heights: list[float], gap: float, top_margin: float = 0.0) -> tuple[list[tuple[float, float]], float]:
    """Bands ``heights`` px tall stacked from the top of the plot, ``gap`` px apart, below ``top_margin`` px.

    Returns
    -------
    bands : list of (bottom, top), one per band
        In paper coordinates; rounding can put the last bottom a hair below 0 (clip it for an axis domain).
    total : float
        The px height they fill, gaps and top margin included: the plot area's height.
    """
    total = sum(heights) + gap * (len(heights) - 1) + top_margin
    bands = []
    top = 1.0 - top_margin / total
    for height in heights:
        bottom = top - height / total
        bands.append((bottom, top))
        top = bottom - gap / total
    return bands, total


def split_columns(count: int, gap: float) -> tuple[list[float], float]:
    """``count`` equal panels side by side, ``gap`` apart (paper coordinates): (each one's left edge, the width)."""
    width = (1 - gap * (count - 1)) / count
    return [c * (width + gap) for c in range(count)], width


def unit_axis(units: int, names: tuple[str, ...] | None = None, **options) -> dict:
    """The y-axis of a heatmap of ``units`` rows (units, or input features with ``names``): row 0 at the
    top, like a printed array; every row numbered up to 12 rows, named up to 16 names. ``options`` are
    further axis properties (domain, tickfont, ...)."""
    axis = {"autorange": "reversed", "showgrid": False, "zeroline": False, **options}
    if names is not None and len(names) <= 16:
        axis.update(tickmode="array", tickvals=list(range(len(names))), ticktext=list(names))
    elif units <= 12:
        axis.update(tickmode="array", tickvals=list(range(units)))
    return axis


def step_axis(
    steps: int,
    step_labels: tuple[str, ...] | None,
    *,
    every_step: bool = True,
    tickangle: int | None = 0,
    **options,
) -> dict:
    """An x-axis of ``steps`` steps: ticks that name the steps (:func:`step_ticks`, at ``tickangle``;
    None lets Plotly tilt them), or with ``every_step`` a tick at every step up to 30 steps.
    ``options`` are further axis properties (domain, title, ...)."""
    axis = dict(options)
    if named := step_ticks(steps, step_labels):
        axis.update(named)
        if tickangle is not None:
            axis["tickangle"] = tickangle
    elif every_step and steps <= 30:
        axis.update(tickmode="linear", dtick=1)
    return axis


def axis_suffix(panel: int) -> str:
    """How Plotly numbers the axes of panel ``panel`` (0, 1, ...): x and y, then x2 and y2, ..."""
    return "" if panel == 0 else str(panel + 1)


def panel_refs(panel: int) -> dict:
    """The axes a trace of panel ``panel`` (0, 1, ... across then down) is drawn on: x, y; x2, y2; ..."""
    return {"xaxis": f"x{axis_suffix(panel)}", "yaxis": f"y{axis_suffix(panel)}"}


def panel_axes(panel: int, xaxis: dict, yaxis: dict, *, match_y: bool = False) -> dict:
    """The layout entries of panel ``panel``'s own x and y axes, anchored to each other; every panel's
    x range follows the first's (zoom one, zoom all), and with ``match_y`` its y range too."""
    suffix = axis_suffix(panel)
    xaxis, yaxis = {**xaxis, "anchor": f"y{suffix}"}, {**yaxis, "anchor": f"x{suffix}"}
    if panel:
        xaxis["matches"] = "x"
        if match_y:
            yaxis["matches"] = "y"
    return {f"xaxis{suffix}": xaxis, f"yaxis{suffix}": yaxis}


def band_colorbar(
    top: float, bottom: float, zmin: float, zmax: float, ticktext: list[str], tickvals: list[float] | None = None
) -> dict:
    """The colour bar of one band of stacked heatmaps (``top`` and ``bottom`` in paper coordinates):
    beside the band, ticks at both ends and in the middle unless ``tickvals`` says where."""
    return {
        "len": (top - bottom) * 0.92,
        "y": (top + bottom) / 2,
        "yanchor": "middle",
        "thickness": 12,
        "x": 1.005,
        "tickfont": {"size": 11},
        "outlinewidth": 0,
        "tickmode": "array",
        "tickvals": [zmin, (zmin + zmax) / 2, zmax] if tickvals is None else tickvals,
        "ticktext": ticktext,
    }


def band_label(text: str, middle: float, x: float = 0.0, xshift: int = 0) -> dict:
    """The title of one band of stacked heatmaps, right-aligned in the left margin at height ``middle``."""
    label = {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": x,
        "y": middle,
        "xanchor": "right",
        "yanchor": "middle",
        "align": "right",
        "showarrow": False,
        "font": {"size": 13},
    }
    if xshift:
        label["xshift"] = xshift
    return label


def column_title(text: str, middle: float, *, yanchor: str = "top", color: str | None = None) -> dict:
    """The bold title of a column of panels, centred at ``middle`` (paper) at the top of the plot,
    just inside it (``yanchor="top"``) or just above it ("bottom")."""
    return {
        "text": f"<b>{text}</b>",
        "xref": "paper",
        "yref": "paper",
        "x": middle,
        "y": 1.0,
        "xanchor": "center",
        "yanchor": yanchor,
        "showarrow": False,
        "font": {"size": 14} if color is None else {"size": 14, "color": color},
    }


def title_with_note(title: str, note: str) -> dict:
    """A figure title, left-aligned, with a smaller second line (e.g. how the time axis was binned)."""
    return {
        "text": title + (f"<br><span style='font-size:12px'>{note}</span>" if note else ""),
        "x": 0,
        "xanchor": "left",
    }


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """Wrap trace and layout dicts (already in Plotly.js form) in a Figure, skipping validation."""
    spec: dict = {"data": data, "layout": layout}
    if frames:
        spec["frames"] = frames
    return go.Figure(spec, _validate=False)
