"""All visual encoding in one place (as CNN Explainer's config.js): names, symbols, colour scales,
fixed ranges and the descriptions a newcomer reads next to each quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from plotly.colors import get_colorscale, sample_colorscale


def _part(scale: list, low: float, high: float, samples: int = 9) -> list:
    """The stretch [low, high] of a colour scale, as a scale of its own."""
    positions = np.linspace(low, high, samples)
    return [[float(k / (samples - 1)), color] for k, color in enumerate(sample_colorscale(scale, list(positions)))]


#: The gates on [0, 1]: ColorBrewer's YlGnBu reversed, dark blue (closed) through teal (half) to yellow
#: (open), stopped short of its near-white end so that an open gate never looks like the signed
#: scale's zero. Chosen so that "mostly closed" (0.2), "half" (0.5) and "mostly open" (0.8) are far
#: apart for everyone: at least 25 CAM02-UCS units between any two, with normal vision and with full
#: deuteranomaly, protanomaly and tritanomaly (tests/viz/test_colour_scales.py simulates them with
#: colorspacious); cividis, the previous scale, put 0.3 to 0.8 in near-identical greys.
GATE_SCALE: list = _part(get_colorscale("YlGnBu_r"), 0.0, 0.9)
#: Signed values: a diverging red-blue, blue negative, white zero, red positive. Scales are spelled
#: out as [position, colour] lists: the figures skip Plotly's validation, which is what turns a name
#: such as "RdBu_r" into colours (Plotly.js itself knows no "_r" names, and draws its own, grey-centred "RdBu").
SIGNED_SCALE: list = get_colorscale("RdBu_r")
#: What the colours mean, as the pages say it.
GATE_COLOURS = "dark blue: closed (0), teal: half open, yellow: open (1)"
SIGNED_COLOURS = "blue: negative, white: 0, red: positive"
FONT_FAMILY = "Source Sans Pro, Arial, sans-serif"


@dataclass(frozen=True)
class QuantityStyle:
    """How the figures draw and name one quantity of a Trace (lstm_core.trace.QUANTITIES lists the
    quantities themselves)."""

    name: str  # the Trace attribute
    symbol: str  # how the equations write it
    title: str  # what it is, in words
    description: str  # one sentence for a newcomer
    scale: list  # [position, colour] pairs, as GATE_SCALE and SIGNED_SCALE
    zrange: tuple[float, float] | None  # fixed colour range; None: symmetric around 0, from the data


STYLES: dict[str, QuantityStyle] = {
    q.name: q
    for q in [
        QuantityStyle(
            "i",
            "i",
            "input gate",
            "How much of the new input j is written into the cell (0 = none, 1 = all).",
            GATE_SCALE,
            (0.0, 1.0),
        ),
        QuantityStyle(
            "j",
            "j",
            "new input",
            "The candidate values that could be written into the cell.",
            SIGNED_SCALE,
            (-1.0, 1.0),
        ),
        QuantityStyle(
            "f",
            "f",
            "forget gate",
            "How much of the old cell state is kept (0 = forget, 1 = keep).",
            GATE_SCALE,
            (0.0, 1.0),
        ),
        QuantityStyle(
            "o", "o", "output gate", "How much of the squashed cell state is let out as h.", GATE_SCALE, (0.0, 1.0)
        ),
        QuantityStyle(
            "new_c", "c", "cell state", "The cell's memory after the step: f * c_prev + i * j.", SIGNED_SCALE, None
        ),
        QuantityStyle(
            "new_h",
            "h",
            "output",
            "The cell's output after the step: o * tanh(c); also its next input.",
            SIGNED_SCALE,
            (-1.0, 1.0),
        ),
        QuantityStyle(
            "i_pre",
            "i_pre",
            "input gate, before the sigmoid",
            "[x_t, h_prev] @ kernel + bias, i block.",
            SIGNED_SCALE,
            None,
        ),
        QuantityStyle(
            "j_pre",
            "j_pre",
            "new input, before the activation",
            "[x_t, h_prev] @ kernel + bias, j block.",
            SIGNED_SCALE,
            None,
        ),
        QuantityStyle(
            "f_pre",
            "f_pre",
            "forget gate, before forget_bias and the sigmoid",
            "[x_t, h_prev] @ kernel + bias, f block.",
            SIGNED_SCALE,
            None,
        ),
        QuantityStyle(
            "o_pre",
            "o_pre",
            "output gate, before the sigmoid",
            "[x_t, h_prev] @ kernel + bias, o block.",
            SIGNED_SCALE,
            None,
        ),
    ]
}
PRE = {"i": "i_pre", "j": "j_pre", "f": "f_pre", "o": "o_pre"}
BOUNDED_ACTIVATIONS = ("tanh", "softsign", "sigmoid")


def nice_bound(value: float) -> float:
    """A round number >= value (1, 1.5, 2, 3, 5, 7.5 times a power of ten), for colour ranges."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 3, 5, 7.5, 10):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10 * power


#: The colour range of a quantity nothing bounds (a relu or identity cell's j, c or h, the gates'
#: pre-activations): sigmoid(5) = 0.993, so past ±5 a gate is as good as shut or open.
UNBOUNDED = 5.0


def fixed_range(name: str, cfg) -> tuple[float, float]:
    """The colour range of quantity ``name`` of a cell ``cfg`` (an LSTMConfig), from the cell alone,
    never from the data, so that a change of forget_bias or of the input shows as a change of colour.

    Gates [0, 1]; j and h ±1 when their activation bounds them (±UNBOUNDED when it does not);
    the cell state ±cell_clip when clipped, else ±1 when the new input is bounded: it can grow past
    that (by up to 1 a step), and then it is drawn saturated and marked; the pre-activations ±UNBOUNDED.
    """
    if name in ("i", "f", "o"):
        return (0.0, 1.0)
    if name == "j":
        bound = 1.0 if cfg.input_activation in BOUNDED_ACTIVATIONS else UNBOUNDED
    elif name == "new_c":
        if cfg.cell_clip is not None:
            bound = cfg.cell_clip or 1.0
        else:
            bound = 1.0 if cfg.input_activation in BOUNDED_ACTIVATIONS else UNBOUNDED
    elif name in ("new_h", "m"):
        if cfg.num_proj is not None and cfg.proj_clip is not None:
            bound = cfg.proj_clip or 1.0
        else:
            bound = 1.0 if cfg.output_activation in BOUNDED_ACTIVATIONS else UNBOUNDED
    else:  # the pre-activations
        bound = UNBOUNDED
    return (-bound, bound)


def fitted_range(name: str, data: np.ndarray) -> tuple[float, float]:
    """A range fitted to ``data`` ("fit to data"): [0, 1] for the gates, else symmetric around 0 and
    rounded up from the data's largest magnitude."""
    if name in ("i", "f", "o"):
        return (0.0, 1.0)
    peak = float(np.max(np.abs(data))) if data.size else 1.0
    bound = nice_bound(peak) if peak > 0 and math.isfinite(peak) else 1.0
    return (-bound, bound)


def color_range(name: str, data: np.ndarray, cfg, *, fit: bool = False) -> tuple[float, float]:
    """The colour range a figure draws ``name`` with: :func:`fixed_range` of the cell, or with ``fit``
    :func:`fitted_range` of the data."""
    return fitted_range(name, data) if fit else fixed_range(name, cfg)


def beyond(data: np.ndarray, low: float, high: float) -> tuple[int, float]:
    """(how many values of ``data`` lie outside [low, high], the largest magnitude among them)."""
    outside = (data < low) | (data > high)
    count = int(np.count_nonzero(outside))
    return count, float(np.max(np.abs(data[outside]))) if count else 0.0


def value_color(value: float, scale: list, low: float, high: float) -> str:
    """The colour a heatmap would give ``value`` on ``scale`` over [low, high] (clipped)."""
    return value_colors(np.array([value], dtype=np.float64), scale, low, high)[0]


def value_colors(values: np.ndarray, scale: list, low: float, high: float) -> list[str]:
    """:func:`value_color` of every value at once, "rgb(r, g, b)" each."""
    return [f"rgb({r}, {g}, {b})" for r, g, b in color_channels(values, scale, low, high).tolist()]


def color_channels(values: np.ndarray, scale: list, low: float, high: float) -> np.ndarray:
    """The red, green and blue (whole numbers, 0 to 255) :func:`value_color` gives each value: what
    Plotly's ``sample_colorscale`` makes of each position, computed in the same order (so bit for bit
    the same colours, tested), for the thousands of colours a live view precomputes."""
    values = np.asarray(values, dtype=np.float64)
    if high <= low:
        positions = np.full(values.shape, 0.5)
    else:
        positions = np.minimum(np.maximum((values - low) / (high - low), 0.0), 1.0)
    stops = np.array([float(stop) for stop, _ in scale])
    colors = np.array([rgb_values(color) for _, color in scale]) / 255.0
    upper = np.searchsorted(stops, positions, side="left")
    lower = upper - 1  # -1 at position 0: the last stop, as in sample_colorscale (its weight is then 0)
    weight = (positions - stops[lower]) / (stops[upper] - stops[lower])
    mixed = colors[lower] + weight[:, None] * (colors[upper] - colors[lower])
    return np.round(mixed * 255.0).astype(int)


def hex_color(color: str) -> str:
    """A colour as "#rrggbb", from "rgb(r, g, b)" (whole numbers) or "#rrggbb"."""
    if color.startswith("#"):
        return color.lower()
    return "#" + "".join(f"{round(channel):02x}" for channel in rgb_values(color))


def rgb_values(color: str) -> tuple[float, float, float]:
    """The red, green and blue (0 to 255) of "#rrggbb" or "rgb(r, g, b)", as a colour scale writes them."""
    color = color.strip()
    if color.startswith("rgb"):
        red, green, blue = (float(v) for v in color[color.index("(") + 1 : -1].split(",")[:3])
        return red, green, blue
    color = color.lstrip("#")
    red, green, blue = (float(int(color[k : k + 2], 16)) for k in (0, 2, 4))
    return red, green, blue


def ink(rgb) -> str:
    """Near-black or white, whichever reads better on a fill of colour ``rgb`` (0 to 255 each): black
    where the fill's luma (ITU-R BT.601 weights) is above 140, a little past the middle, because
    black text on mid-tones reads better than white."""
    red, green, blue = (float(v) for v in rgb)
    return "#111111" if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else "#ffffff"
