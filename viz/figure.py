"""Fast Plotly figures: plain dicts with binary float32 arrays, wrapped without re-validation.

Plotly's graph objects validate every property as they are set, which costs ~100 ms for a
7-band heatmap figure, more than everything else in a rerun. The figures here are built as the
JSON Plotly.js reads (the tests validate each one fully against Plotly's schema), with arrays
pre-encoded as typed arrays, then wrapped in a ``go.Figure`` without validation.
"""

from __future__ import annotations

import base64

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
    ticks = list(range(0, steps, max(1, -(-steps // 80))))
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [step_labels[t] for t in ticks]}


def band_colorbar(top: float, bottom: float, zmin: float, zmax: float, ticktext: list[str]) -> dict:
    """The colour bar of one band of stacked heatmaps (``top`` and ``bottom`` in paper coordinates):
    beside the band, ticks at both ends and in the middle."""
    return {
        "len": (top - bottom) * 0.92,
        "y": (top + bottom) / 2,
        "yanchor": "middle",
        "thickness": 12,
        "x": 1.005,
        "tickfont": {"size": 11},
        "outlinewidth": 0,
        "tickmode": "array",
        "tickvals": [zmin, (zmin + zmax) / 2, zmax],
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
