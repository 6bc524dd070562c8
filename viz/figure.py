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

from .format import chart_text

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


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_ticks(values) -> dict:
    """Labels for a log axis over ``values``, written out in full at 1, 2 and 5 times each power of
    ten (only the powers when the values span more than three decades; every digit when they span
    less than 1-2-5 labels): on a short log axis Plotly labels its minor ticks with a bare digit, so
    the 2 of 0.2 reads as 2. {} (Plotly's own) when fewer than two labels would fall among the values."""
    found = np.asarray(values, dtype=float)
    found = found[np.isfinite(found) & (found > 0)]
    if found.size == 0:
        return {}
    low, high = float(found.min()), float(found.max())
    powers = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    for mantissas in [(1,)] if len(powers) > 4 else [(1, 2, 5), tuple(range(1, 10))]:
        ticks = [float(f"{m}e{p}") for p in powers for m in mantissas if low <= m * 10.0**p <= high]
        if len(ticks) >= 2:
            return {"tickmode": "array", "tickvals": ticks, "ticktext": [_log_tick_text(t) for t in ticks]}
    return {}


def _log_tick_text(value: float) -> str:
    if 1e-3 <= value < 1e4:
        return f"{value:g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}×{power}"


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
        axis.update(tickmode="array", tickvals=list(range(len(names))), ticktext=[chart_text(n) for n in names])
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
    if steps <= 3:  # even with every_step off: no ticks at half steps on a sequence this short
        axis.update(tickmode="linear", dtick=1, range=[-0.5, steps - 0.5])
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


#: In presenter mode no chart text is smaller than this (px): legible from the back of a classroom.
PRESENTER_MIN_FONT = 18


def for_presenter(fig: go.Figure, *, scale: float = 1.4, height: int | None = None) -> go.Figure:
    """``fig`` for a projector: every font scale times larger and at least PRESENTER_MIN_FONT px, the
    margins grown with the text they hold, and, with ``height``, the figure that tall. A new figure;
    ``fig`` is unchanged."""
    spec = fig.to_plotly_json()
    layout = spec["layout"]
    _grow_fonts(spec["data"], scale)
    _grow_fonts(layout, scale)
    layout.setdefault("font", {}).setdefault("size", PRESENTER_MIN_FONT)  # grown above when it was set
    for axis in (key for key in layout if key.startswith(("xaxis", "yaxis"))):  # ticks follow the main font
        layout[axis].setdefault("tickfont", {}).setdefault("size", PRESENTER_MIN_FONT)
        title = layout[axis].get("title")
        if isinstance(title, dict) and title.get("text"):
            title.setdefault("font", {}).setdefault("size", PRESENTER_MIN_FONT)
    for note in layout.get("annotations", []):  # offsets in pixels grow with the text beside them
        for shift in ("xshift", "yshift"):
            if isinstance(note.get(shift), int | float):
                note[shift] = round(note[shift] * scale)
    legend = layout.setdefault("legend", {})
    legend.setdefault("font", {}).setdefault("size", PRESENTER_MIN_FONT)
    beside = legend.get("orientation") != "h" and legend.get("x", 1.02) > 1
    if beside:  # a legend beside the plot would take a third of a projector's width
        legend.update(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom")
    layout.setdefault("hoverlabel", {}).setdefault("font", {}).setdefault("size", PRESENTER_MIN_FONT)
    if "margin" in layout:
        layout["margin"] = {side: round(value * scale) for side, value in layout["margin"].items()}
    if height is not None:
        layout["height"] = height
    _thin_ticks(spec["data"], layout)
    return figure(spec["data"], layout, spec.get("frames"))


def _plot_px(layout: dict) -> float:
    """The height of the plotting area in pixels (the figure's, less its top and bottom margins)."""
    margin = layout.get("margin", {})
    return layout.get("height", 450) - margin.get("t", 100) - margin.get("b", 80)


def _every(count: int, room_px: float, font_px: float) -> int:
    """How far apart ``count`` evenly spaced labels must be picked so that each has 1.3 lines of room
    (1: all of them fit)."""
    if count <= 1:
        return 1
    return max(1, math.ceil(count * 1.3 * font_px / max(room_px, 1.0)))


def _thin_ticks(data: list, layout: dict) -> None:
    """At presenter size, keep only as many tick labels as fit: a stacked band's unit numbers and a
    short colour bar's three ticks would otherwise overlap (their ends are kept)."""
    plot = _plot_px(layout)
    domains = [axis.get("domain", [0, 1]) for key, axis in layout.items() if key.startswith("yaxis")]
    for key, axis in layout.items():
        if not key.startswith("yaxis") or not isinstance(axis.get("tickvals"), list):
            continue
        low, high = axis.get("domain", [0, 1])
        font = axis.get("tickfont", {}).get("size", PRESENTER_MIN_FONT)
        values = axis["tickvals"]
        room = (high - low) * plot
        if _every(len(values), room, font) > 1:  # crowded: the first and last only (or the first alone)
            # An end label is centred on its row and reaches half a line beyond it, into the gap to the
            # next band, whose own end label reaches into the same gap: both fit if the gap holds what
            # a line is taller than a row.
            gaps = [low - other[1] for other in domains if other[1] <= low + 1e-9 and other != [low, high]]
            gaps += [other[0] - high for other in domains if other[0] >= high - 1e-9 and other != [low, high]]
            gap = min(gaps, default=1.0) * plot
            ends_fit = room > 2 * 1.3 * font and 1.3 * font - room / len(values) <= gap
            # One label only: the last, whose number says how many rows the band has (0 is the top).
            keep = [0, len(values) - 1] if ends_fit else [len(values) - 1]
            axis["tickvals"] = [values[k] for k in keep]
            if isinstance(axis.get("ticktext"), list):
                axis["ticktext"] = [axis["ticktext"][k] for k in keep]
    bars = [trace["colorbar"] for trace in data if isinstance(trace.get("colorbar"), dict)]
    bars += [value["colorbar"] for key, value in layout.items() if key.startswith("coloraxis") and "colorbar" in value]
    for bar in bars:
        values = bar.get("tickvals")
        if isinstance(values, list) and len(values) > 1:
            font = bar.get("tickfont", {}).get("size", PRESENTER_MIN_FONT)
            room = bar.get("len", 1) * plot
            if _every(len(values), room, font) > 1:  # the ends, or the top alone on a very short bar
                keep = [0, len(values) - 1] if room > 2 * 1.3 * font else [len(values) - 1]
                bar["tickvals"] = [values[k] for k in keep]
                if isinstance(bar.get("ticktext"), list):
                    bar["ticktext"] = [bar["ticktext"][k] for k in keep]


def _grow_fonts(node, scale: float) -> None:
    """Every ``{"size": s}`` under a key that names a font, in place: ``max(s * scale, PRESENTER_MIN_FONT)``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if "font" in key and isinstance(value, dict) and isinstance(value.get("size"), int | float):
                value["size"] = max(round(value["size"] * scale), PRESENTER_MIN_FONT)
            _grow_fonts(value, scale)
    elif isinstance(node, list):
        for item in node:
            _grow_fonts(item, scale)
