"""What Step through's live view shows at every step and forget bias, made once, in Python.

ui/live_step.js draws the cell (viz.diagram's canvas, as SVG), the unrolled view (viz.unrolled),
a timeline of the unit, the equations (MathML made from viz.stepview's LaTeX by latex2mathml) and
the sentences (viz.stepview). Play, a step or a drag of forget_bias only picks which precomputed
frame to show: every number, word and colour of every frame is made here by the functions that
draw the page without the live view (the same canvas, equations and sentences), and sent as a
viz.frametable table (templates once, a line of numbers per frame).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import numpy as np
from latex2mathml.converter import convert

from . import unrolled
from .diagram import X_RANGE, Y_RANGE, Fill, Ink, cell_canvas, ink_on, vector_text
from .frametable import SLOT, Kind, encode
from .stepview import StepValues, equations, num, sentences, values_at
from .style import SIGNED_SCALE, color_channels, hex_color, ink

#: The drawing's text size in data units: 14 px when the drawing is 600 px wide (live_step.js keeps
#: every text at least 10 px, 18 in presenter mode, as viz.figure.for_presenter does the Plotly drawing's).
FONT = 0.28
_TAGS = re.compile(r"</?(?:b|sub)>")
#: A number latex2mathml keeps as it is (<mn>8888.8888</mn>), standing for a slot while it converts.
_PLACEHOLDER = "8888.8888"


def svg_text(markup: str) -> str:
    """A drawing label (Plotly's HTML subset: <b>, <sub>, <br>) as SVG tspans, one per line,
    centred on the label's position (the browser puts the <text> there)."""
    lines = markup.split("<br>")
    out = []
    for k, line in enumerate(lines):
        if "<" in _TAGS.sub("", line):
            raise ValueError(f"unexpected markup in a drawing label: {markup!r}")
        inner = (
            line.replace("<b>", '<tspan font-weight="bold">')
            .replace("<sub>", '<tspan baseline-shift="sub" font-size="70%">')
            .replace("</b>", "</tspan>")
            .replace("</sub>", "</tspan>")
        )
        dy = -0.6 * (len(lines) - 1) if k == 0 else 1.2
        out.append(f'<tspan x="0" dy="{dy:g}em">{inner}</tspan>')
    return "".join(out)


def mathml(latex: str) -> str:
    """LaTeX as MathML (display block), which Chromium draws without a script."""
    return convert(latex.replace(SLOT, _PLACEHOLDER), display="block").replace(_PLACEHOLDER, SLOT)


def _minus(number: str) -> str:
    return number.replace("-", "−")  # as KaTeX typesets the equations' "-"


def _escaped(text: str) -> str:
    return html.escape(text, quote=False)


#: How each piece of a frame reaches the browser, by the prefix of its name.
KINDS = {
    "svg": Kind(svg_text),  # a drawing label
    "eq": Kind(mathml, _minus),  # an equation with the numbers
    "say": Kind(_escaped),  # a sentence of "What happened"
    "v": Kind(_escaped),  # a value as the unrolled view and the timeline print it
    "fill": Kind(str, whole=True),  # a box's colour
    "ink": Kind(str, whole=True),  # the colour of a box's label
}


def frame_texts(cfg, v: StepValues, *, c_bound: float, x_name: str | None) -> tuple[dict, dict]:
    """({piece name: text}, {box name: Fill or colour}) of one step of one unit."""
    canvas = cell_canvas(cfg, v, c_bound=c_bound, x_name=x_name)
    texts = {f"svg:{name}": text for name, text in canvas.texts().items()}
    texts.update({f"eq:{eq.name}": eq.numeric for eq in equations(cfg, v)})
    texts.update({f"say:{name}": text for name, text in sentences(cfg, v).items()})
    own = cfg.num_proj is None  # the unit's own output is h (else the projection mixes the units into h)
    texts.update(
        {
            **{f"v:{gate}": num(getattr(v, gate), 3) for gate in "fijo"},
            "v:c": num(v.new_c, 3),
            "v:c_prev": num(v.c_prev, 3),
            "v:h": num(v.m, 3) if own else vector_text(v.new_h, 1),
            "v:h_prev": num(v.h_prev[v.unit], 3) if own else vector_text(v.h_prev, 1),
            "v:x": "x = " + (x_name or vector_text(v.x, 2)),
        }
    )
    fills = canvas.fills()
    fills["fc"] = Fill(v.f * v.c_prev, SIGNED_SCALE, -c_bound, c_bound)  # the belt after x f
    fills["h_in"] = Fill(float(v.h_prev[v.unit]), SIGNED_SCALE, -1.0, 1.0) if own else "#f7f7f7"  # h into the step
    return texts, fills


def _colours(fills: list[dict]) -> list[dict[str, str]]:
    """Each frame's {"fill:<box>": "#rrggbb", "ink:<box>": label colour}, the colours of each box
    computed for all frames at once (viz.style.color_channels)."""
    out: list[dict[str, str]] = [{} for _ in fills]
    inks: dict[tuple, str] = {}
    for name, first in fills[0].items():
        if isinstance(first, Fill):
            values = np.array([frame[name].value for frame in fills], dtype=np.float64)
            channels = [tuple(rgb) for rgb in color_channels(values, first.scale, first.low, first.high).tolist()]
            colors = ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in channels]
            labels = [inks.setdefault(rgb, ink(rgb)) for rgb in channels]
        else:
            colors = [hex_color(frame[name]) for frame in fills]
            labels = [ink_on(frame[name]) for frame in fills]
        for frame, color, label in zip(out, colors, labels, strict=True):
            frame[f"fill:{name}"] = color
            frame[f"ink:{name}"] = label
    return out


#: The Plotly drawing's font size in px: line widths are given in px at that size.
NOMINAL_PX = 14


def svg_items(items: list[dict], top: float, font: float) -> list[dict]:
    """Layout items (data coordinates, y up; viz.diagram's or viz.unrolled's) as live_step.js draws
    them: y measured down from ``top``; text sizes and line widths in data units (``font`` is a
    text's size, a line's px are at a 14 px font); a named box's fill and label, and a named note,
    taken from the frame's pieces."""
    px = font / NOMINAL_PX
    out = []
    for item in items:
        kind, name = item["kind"], item.get("name")
        spec = {"kind": kind, "slot": item.get("slot")}
        if kind in ("rect", "circle"):
            spec.update({"x": item["x"], "y": top - item["y"], "stroke": round(1.5 * px, 4)})
            if kind == "rect":
                spec.update({"w": item["w"], "h": item["h"], "role": item.get("role")})
                spec["fill"] = {"piece": f"fill:{name}"} if name else item["fill"]
                spec["dash"] = item["dash"] != "solid"
            else:
                spec["r"] = item["r"]
        elif kind in ("line", "arrow"):
            spec.update({"x0": item["x0"], "y0": top - item["y0"], "x1": item["x1"], "y1": top - item["y1"]})
            spec.update({"color": item.get("color", "#444444"), "width": round(item.get("width", 2) * px, 4)})
            spec["dash"] = bool(item.get("dash"))
        else:  # text
            color = item["color"]
            spec.update({"x": item["x"], "y": top - item["y"], "size": round(font * item["size"], 4)})
            spec.update({"anchor": item["anchor"], "weight": item.get("weight", "normal")})
            spec["color"] = {"piece": f"ink:{color.box}"} if isinstance(color, Ink) else color
            text = {"piece": f"svg:{name}"} if name else item["text"]
            spec["text"] = svg_text(text) if isinstance(text, str) else text
        out.append(spec)
    return out


def _view(x_range: tuple[float, float], y_range: tuple[float, float]) -> list[float]:
    return [x_range[0], 0.0, x_range[1] - x_range[0], y_range[1] - y_range[0]]


#: The timeline's rows: (box whose colour a row shows, its label).
TIMELINE = (("f", "f"), ("i", "i"), ("j", "j"), ("o", "o"), ("c", "c"), ("h", "h"))


def payload(
    cfg,
    arrays: list[dict[str, np.ndarray]],
    biases: list[float],
    *,
    unit: int,
    weights: dict,
    c_bound: float,
    x_names: list[str | None],
    step_names: list[str],
) -> dict:
    """Everything the live view shows of unit ``unit``: ``arrays[k]`` are viz.stepview.unit_arrays
    of the run at forget bias ``biases[k]`` (``cfg`` the layer's cell, ``weights`` the unit's
    peepholes); ``x_names[t]`` what a one-hot x_t stands for (or None), ``step_names[t]`` how the
    page names step t after its number (e.g. " (character 'h')", or "")."""
    steps = len(x_names)
    frames, fills = [], []
    for bias, run in zip(biases, arrays, strict=True):
        at_bias = replace(cfg, forget_bias=float(bias))
        for t in range(steps):
            texts, boxes = frame_texts(at_bias, values_at(run, t, unit, weights), c_bound=c_bound, x_name=x_names[t])
            frames.append(texts)
            fills.append(boxes)
    for frame, colours in zip(frames, _colours(fills), strict=True):
        frame.update(colours)
    first = values_at(arrays[0], 0, unit, weights)
    canvas = cell_canvas(cfg, first, c_bound=c_bound, x_name=x_names[0])
    cells = min(unrolled.CELLS, steps)
    rows = [(box, label) for box, label in TIMELINE if box != "h" or cfg.num_proj is None]
    return {
        "steps": steps,
        "stepNames": step_names,
        "biases": [float(b) for b in biases],
        "drawing": {"view": _view(X_RANGE, Y_RANGE), "items": svg_items(canvas.items, Y_RANGE[1], FONT)},
        "unrolled": {
            "cells": cells,
            "view": _view(unrolled.x_range(cells), unrolled.Y_RANGE),
            "items": svg_items(unrolled.unrolled_items(cfg, cells), unrolled.Y_RANGE[1], unrolled.FONT),
        },
        "timeline": [[box, label] for box, label in rows],
        "equations": [{"name": eq.name, "symbolic": mathml(eq.symbolic)} for eq in equations(cfg, first)],
        "sentences": list(sentences(cfg, first)),
        "table": encode(frames, KINDS),
    }
