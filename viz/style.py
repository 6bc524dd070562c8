"""All visual encoding in one place (as CNN Explainer's config.js): names, symbols, colour scales,
fixed ranges and the descriptions a newcomer reads next to each quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from plotly.colors import get_colorscale, sample_colorscale

#: Colour-blind-safe scales: cividis for the sigmoid gates on [0, 1], a diverging red-blue for
#: signed values (blue negative, white zero, red positive). Spelled out as [position, colour]
#: lists: the figures skip Plotly's validation, which is what turns a name such as "RdBu_r"
#: into colours (Plotly.js itself knows no "_r" names, and draws its own, grey-centred "RdBu").
GATE_SCALE: list = get_colorscale("Cividis")
SIGNED_SCALE: list = get_colorscale("RdBu_r")
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


def color_range(name: str, data: np.ndarray, activation: str = "tanh") -> tuple[float, float]:
    """The fixed colour range of a quantity: [0, 1] for gates, [-1, 1] for j and h when the
    activation bounds them, otherwise symmetric around 0 and rounded up from the data."""
    quantity = STYLES[name]
    bounded = activation in BOUNDED_ACTIVATIONS
    if quantity.zrange is not None and (name not in ("j", "new_h") or bounded):
        return quantity.zrange
    peak = float(np.max(np.abs(data))) if data.size else 1.0
    bound = nice_bound(peak) if peak > 0 else 1.0
    if name in ("j", "new_h"):
        bound = max(bound, 1.0)
    return (-bound, bound)


def value_color(value: float, scale: list, low: float, high: float) -> str:
    """The colour a heatmap would give ``value`` on ``scale`` over [low, high] (clipped)."""
    position = 0.5 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    return sample_colorscale(scale, [position])[0]


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
