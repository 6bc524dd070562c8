"""The gates' colours tell "mostly closed", "half" and "mostly open" apart at a glance, for everyone.

Colour-vision deficiencies are simulated with colorspacious (Machado et al. 2009, full severity);
distances are in CAM02-UCS, where about 1 is a just noticeable difference.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE
from plotly.colors import get_colorscale, hex_to_rgb, sample_colorscale, unlabel_rgb

from viz.style import GATE_SCALE, SIGNED_SCALE

VISION = {
    "normal": None,
    **{
        kind: {"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}
        for kind in ("deuteranomaly", "protanomaly", "tritanomaly")
    },
}


def rgb1(scale: list, position: float) -> np.ndarray:
    color = sample_colorscale(scale, [position])[0]
    values = hex_to_rgb(color) if color.startswith("#") else unlabel_rgb(color)
    return np.asarray(values, dtype=float) / 255


def seen(scale: list, positions, vision) -> list[np.ndarray]:
    colors = [rgb1(scale, p) for p in positions]
    return colors if vision is None else [np.clip(cspace_convert(c, vision, "sRGB1"), 0, 1) for c in colors]


def separation(scale: list, vision) -> float:
    """The smallest distance between the colours of 0.2, 0.5 and 0.8 (closed, half, open)."""
    closed, half, opened = seen(scale, (0.2, 0.5, 0.8), vision)
    return min(
        deltaE(a, b, input_space="sRGB1", uniform_space="CAM02-UCS") for a, b in ((closed, half), (half, opened))
    )


def chroma(scale: list, position: float) -> float:
    return float(cspace_convert(rgb1(scale, position), "sRGB1", "JCh")[1])


@pytest.mark.parametrize("vision", list(VISION))
def test_closed_half_and_open_are_far_apart_for_every_vision(vision):
    assert separation(GATE_SCALE, VISION[vision]) >= 20


def test_the_gates_range_is_coloured_not_grey():
    """Gates with random weights sit between 0.3 and 0.8: there every colour has a hue you can name."""
    assert min(chroma(GATE_SCALE, p) for p in np.linspace(0.25, 0.85, 7)) >= 25
    assert min(chroma(get_colorscale("Cividis"), p) for p in np.linspace(0.25, 0.85, 7)) < 10  # what it replaced


def test_dark_is_closed_and_light_is_open_and_open_is_not_the_signed_zero():
    lightness = [cspace_convert(rgb1(GATE_SCALE, p), "sRGB1", "JCh")[0] for p in np.linspace(0, 1, 11)]
    assert all(a < b for a, b in itertools.pairwise(lightness))  # reads in greyscale too
    white = rgb1(SIGNED_SCALE, 0.5)
    assert deltaE(rgb1(GATE_SCALE, 1.0), white, input_space="sRGB1", uniform_space="CAM02-UCS") >= 15
