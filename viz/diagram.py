"""The classic LSTM cell drawing, coloured by the values of one unit at one step.

Laid out once, on a fixed 12 x 7 canvas, by :func:`cell_canvas`: the cell-state line along the
top (c_{t-1} -> x f -> + -> c_t), the four gates along the bottom fed by [x_t, h_{t-1}], the
output path on the right. It follows the configuration: peephole connections (dashed), the coupled
cell's 1 - f, cell clipping and the projection. Every element is filled with its value's colour on
the heatmaps' scales (gates on [0, 1]; j, c, h: red-blue around 0) and prints its number.

The canvas is a list of plain items (boxes, nodes, lines, arrows, texts) in data coordinates, with
each box's fill given as the value it shows (:class:`Fill`): :func:`cell_diagram` makes a Plotly
figure of it (Plotly shapes and annotations), and viz.livestep an SVG layout the browser animates,
so the drawing has one layout whichever draws it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from lstm_core.config import HARD_SIGMOID_NAMES

from .figure import figure
from .format import fmt
from .stepview import StepValues
from .style import FONT_FAMILY, GATE_COLOURS, GATE_SCALE, SIGNED_COLOURS, SIGNED_SCALE, ink, rgb_values, value_color

EDGE = "#444444"
PEEP = "#7a4fb3"


def vector_text(values, limit: int = 2, name: str | None = None) -> str:
    """A vector for a box of the drawing, short enough for its box at any size: all of it up to
    ``limit`` values, else its first value and "…"; for a one-hot vector, which entry is hot (``name``:
    what that entry stands for, e.g. a character). The equations below the drawing show every value."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) > limit and np.count_nonzero(values) == 1 and values.max() == 1:
        hot = int(np.argmax(values))
        return f"{html.escape(name, quote=False)} (one-hot)" if name else f"1 at {hot} of {len(values)}"
    if len(values) <= limit:
        return "[" + ", ".join(fmt(v, 2) for v in values) + "]"
    return f"[{fmt(values[0], 2)}, …]"


@dataclass(frozen=True, eq=False)
class Fill:
    """A box's fill: the colour of ``value`` on ``scale`` over [low, high], as the heatmaps colour it."""

    value: float
    scale: list
    low: float
    high: float

    def color(self) -> str:
        return value_color(self.value, self.scale, self.low, self.high)


@dataclass(frozen=True)
class Ink:
    """A box label's colour: near-black or white, whichever reads on box ``box``'s fill."""

    box: str


def ink_on(fill: str) -> str:
    """The colour of text on a box filled with ``fill`` (a colour scale's "rgb(...)" or a fixed colour)."""
    return ink(rgb_values(fill)) if fill.startswith("rgb(") else "#111111"


#: The canvas's extent in data coordinates, as the drawing shows it.
X_RANGE = (-0.1, 12.0)
Y_RANGE = (-0.15, 6.9)


@dataclass
class Canvas:
    """The drawing as plain items in data coordinates (y up), in drawing order. Items that show a
    value carry a ``name`` (the box, node or label of that value), by which a live view updates them."""

    items: list[dict] = field(default_factory=list)

    def box(self, name, x, y, w, h, fill, text, *, dash: str = "solid", size: float = 1.0) -> None:
        self.items.append({"kind": "rect", "name": name, "x": x, "y": y, "w": w, "h": h, "fill": fill, "dash": dash})
        self.label(x, y, text, Ink(name), size, name=name)

    def node(self, name, x, y, symbol: str, note: str, above: bool = False) -> None:
        self.items.append({"kind": "circle", "x": x, "y": y, "r": 0.3})
        self.label(x, y, f"<b>{symbol}</b>", "#111111", 1.3)
        if note:  # below and to the right of the node, or above it where a box follows on the line
            self.label(x + 0.38, y + (0.5 if above else -0.38), note, "#333333", 0.75, anchor="left", name=name)

    def label(self, x, y, text, color="#111111", size=1.0, anchor="center", name: str | None = None) -> None:
        self.items.append(
            {"kind": "text", "name": name, "x": x, "y": y, "text": text, "color": color, "size": size, "anchor": anchor}
        )

    def line(self, x0, y0, x1, y1, color=EDGE, width: float = 2) -> None:
        self.items.append({"kind": "line", "x0": x0, "y0": y0, "x1": x1, "y1": y1, "color": color, "width": width})

    def arrow(self, x0, y0, x1, y1, color=EDGE, dash: bool = False) -> None:
        self.items.append({"kind": "arrow", "x0": x0, "y0": y0, "x1": x1, "y1": y1, "color": color, "dash": dash})

    def fills(self) -> dict[str, Fill | str]:
        """Each box's fill, by the box's name."""
        return {item["name"]: item["fill"] for item in self.items if item["kind"] == "rect"}

    def texts(self) -> dict[str, str]:
        """The text of each named label (a box's, or a node's note), by name."""
        return {item["name"]: item["text"] for item in self.items if item["kind"] == "text" and item["name"]}


def cell_canvas(cfg, v: StepValues, *, c_bound: float = 1.0, x_name: str | None = None) -> Canvas:
    """The cell at step ``v.t`` for unit ``v.unit``; ``c_bound`` is the cell state's colour range (±);
    ``x_name``: what a one-hot input stands for at this step (e.g. the character), shown in x_t's box."""
    cv = Canvas()
    gate = lambda value: Fill(value, GATE_SCALE, 0.0, 1.0)  # noqa: E731
    signed = lambda value, bound=1.0: Fill(value, SIGNED_SCALE, -bound, bound)  # noqa: E731
    act = "tanh" if cfg.activation == "tanh" else cfg.activation
    sig = "σ" if getattr(cfg, "recurrent_activation", "sigmoid") == "sigmoid" else "σ<sub>hard</sub>"
    top, gates_y, bus_y = 6.0, 2.2, 0.9
    x_f, x_i, x_j, x_o = 2.0, 3.9, 5.3, 7.6
    mul_f, mul_ij, plus = (3.0, top), (4.6, 4.0), (6.0, top)
    clip_x = 7.2
    act_c, mul_o = (9.0, 4.6), (9.0, 3.0)
    proj_x = 9.95
    out_x = 11.2

    # The cell-state line along the top.
    cv.box("c_prev", 0.8, top, 1.3, 0.9, signed(v.c_prev, c_bound), f"<b>c<sub>t-1</sub></b><br>{v.c_prev:.3f}")
    cv.arrow(1.45, top, mul_f[0] - 0.3, top)
    cv.node("fc", *mul_f, "×", f"{v.f * v.c_prev:.3f}")
    cv.arrow(mul_f[0] + 0.3, top, plus[0] - 0.3, top)
    raw_c = v.f * v.c_prev + v.i * v.j
    cv.node("raw_c", *plus, "+", f"{raw_c:.3f}", above=cfg.cell_clip is not None)
    after = plus[0] + 0.3
    if cfg.cell_clip is not None:
        cv.arrow(after, top, clip_x - 0.55, top)
        cv.box("clip", clip_x, top, 1.1, 0.8, "#f2f2f2", f"clip<br>±{cfg.cell_clip:g}", size=0.85)
        after = clip_x + 0.55
    cv.arrow(after, top, out_x - 0.65, top)
    cv.box("c", out_x, top, 1.3, 0.9, signed(v.new_c, c_bound), f"<b>c<sub>t</sub></b><br>{v.new_c:.3f}")

    # The inputs: [x_t, h_{t-1}] feed every gate through one matmul.
    # As wide as the canvas leaves them: two signed values with two decimals each.
    in_x, in_w = 0.72, 1.6
    cv.box("x", in_x, 1.5, in_w, 0.8, "#f7f7f7", f"<b>x<sub>t</sub></b><br>{vector_text(v.x, 2, x_name)}", size=0.75)
    cv.box(
        "h_prev", in_x, 0.45, in_w, 0.8, "#f7f7f7", f"<b>h<sub>t-1</sub></b><br>{vector_text(v.h_prev, 1)}", size=0.75
    )
    cv.line(in_x + in_w / 2, bus_y, x_o, bus_y)
    cv.label(4.8, bus_y - 0.35, "[x<sub>t</sub>, h<sub>t-1</sub>] · W + b", "#333333", 0.8)
    gate_xs = [x_f, x_j, x_o] + ([] if cfg.coupled else [x_i])
    for x in gate_xs:
        cv.arrow(x, bus_y, x, gates_y - 0.45)

    # The gates.
    cv.box("f", x_f, gates_y, 1.1, 0.9, gate(v.f), f"<b>f</b> {sig}<br>{v.f:.3f}")
    cv.arrow(x_f, gates_y + 0.45, mul_f[0], top - 0.3)
    if cfg.coupled:
        cv.box("i", x_i, gates_y, 1.1, 0.9, gate(v.i), f"<b>1 - f</b><br>{v.i:.3f}")
        cv.arrow(x_f + 0.55, gates_y, x_i - 0.55, gates_y)
    else:
        cv.box("i", x_i, gates_y, 1.1, 0.9, gate(v.i), f"<b>i</b> {sig}<br>{v.i:.3f}")
    cv.box("j", x_j, gates_y, 1.1, 0.9, signed(v.j), f"<b>j</b> {act}<br>{v.j:.3f}")
    cv.arrow(x_i, gates_y + 0.45, mul_ij[0] - 0.2, mul_ij[1] - 0.25)
    cv.arrow(x_j, gates_y + 0.45, mul_ij[0] + 0.2, mul_ij[1] - 0.25)
    cv.node("ij", *mul_ij, "×", f"{v.i * v.j:.3f}")
    cv.arrow(mul_ij[0] + 0.2, mul_ij[1] + 0.25, plus[0] - 0.2, top - 0.25)
    cv.box("o", x_o, gates_y, 1.1, 0.9, gate(v.o), f"<b>o</b> {sig}<br>{v.o:.3f}")

    # The output path: act(c_t), times o, (projected), out.
    cv.arrow(act_c[0], top, act_c[0], act_c[1] + 0.35)
    cv.box("c_act", *act_c, 1.1, 0.7, signed(v.c_act), f"{act}(c)<br>{v.c_act:.3f}", size=0.85)
    cv.arrow(act_c[0], act_c[1] - 0.35, mul_o[0], mul_o[1] + 0.3)
    cv.arrow(x_o + 0.55, gates_y + 0.2, mul_o[0] - 0.25, mul_o[1] - 0.2)
    cv.node("m", *mul_o, "×", "" if cfg.num_proj is None else f"m {v.m:.3f}")
    after = mul_o[0] + 0.3
    if cfg.num_proj is not None:
        cv.arrow(after, mul_o[1], proj_x - 0.38, mul_o[1])
        cv.box("proj", proj_x, mul_o[1], 0.75, 0.7, "#f2f2f2", "W<sub>proj</sub>", size=0.8)
        after = proj_x + 0.38
        h_text = f"<b>h<sub>t</sub></b><br>{vector_text(v.new_h, 1)}"
        h_fill = "#f7f7f7"
    else:
        h_text = f"<b>h<sub>t</sub></b><br>{v.m:.3f}"
        h_fill = signed(v.m)
    cv.arrow(after, mul_o[1], out_x - 0.65, mul_o[1])
    cv.box("h", out_x, mul_o[1], 1.3, 0.9, h_fill, h_text, size=0.9 if cfg.num_proj is None else 0.7)

    # Peepholes: the cell state looks into the gates (c_{t-1} into i and f, the new c_t into o).
    if cfg.use_peepholes:
        cv.arrow(1.6, top - 0.45, x_f - 0.3, gates_y + 0.45, color=PEEP, dash=True)
        cv.label(1.2, 4.1, f"w<sub>f</sub>={v.w_f:.2f}", PEEP, 0.75)
        if not cfg.coupled:
            cv.arrow(2.4, top - 0.1, x_i - 0.35, gates_y + 0.45, color=PEEP, dash=True)
            cv.label(2.75, 3.2, f"w<sub>i</sub>={v.w_i:.2f}", PEEP, 0.75)
        cv.arrow(8.2, top, x_o + 0.2, gates_y + 0.45, color=PEEP, dash=True)
        # Left of its dotted line: to the right, the arrow from tanh(c) down to × would cross it.
        cv.label(7.85, 4.3, f"w<sub>o</sub>={v.w_o:.2f}", PEEP, 0.75, anchor="right")
    return cv


def _plotly(cv: Canvas, font_size: int) -> tuple[list[dict], list[dict]]:
    """(Plotly shapes, Plotly annotations) of a canvas."""
    shapes, annotations = [], []
    fills = {name: fill.color() if isinstance(fill, Fill) else fill for name, fill in cv.fills().items()}
    for item in cv.items:
        kind = item["kind"]
        if kind in ("rect", "circle"):
            half_w, half_h = (item["w"] / 2, item["h"] / 2) if kind == "rect" else (item["r"], item["r"])
            shapes.append(
                {
                    "type": kind,
                    "x0": item["x"] - half_w,
                    "x1": item["x"] + half_w,
                    "y0": item["y"] - half_h,
                    "y1": item["y"] + half_h,
                    "fillcolor": fills[item["name"]] if kind == "rect" else "white",
                    "line": {"color": EDGE, "width": 1.5, **({"dash": item["dash"]} if kind == "rect" else {})},
                    "layer": "below",
                }
            )
        elif kind == "line":
            shapes.append(
                {
                    "type": "line",
                    **{key: item[key] for key in ("x0", "x1", "y0", "y1")},
                    "line": {"color": item["color"], "width": item["width"]},
                }
            )
        elif kind == "text":
            color = item["color"]
            annotations.append(
                {
                    "x": item["x"],
                    "y": item["y"],
                    "text": item["text"],
                    "showarrow": False,
                    "xanchor": item["anchor"],
                    "font": {
                        "color": ink_on(fills[color.box]) if isinstance(color, Ink) else color,
                        "size": round(font_size * item["size"]),
                    },
                }
            )
        else:  # an arrow; Plotly arrows cannot be dashed: a dashed line with a solid head
            x0, y0, x1, y1, dash = item["x0"], item["y0"], item["x1"], item["y1"], item["dash"]
            if dash:
                shapes.append(
                    {
                        "type": "line",
                        "x0": x0,
                        "y0": y0,
                        "x1": x1,
                        "y1": y1,
                        "line": {"color": item["color"], "width": 2, "dash": "dot"},
                    }
                )
            annotations.append(
                {
                    "x": x1,
                    "y": y1,
                    "ax": x0 if not dash else x1 - (x1 - x0) * 0.15,
                    "ay": y0 if not dash else y1 - (y1 - y0) * 0.15,
                    "xref": "x",
                    "yref": "y",
                    "axref": "x",
                    "ayref": "y",
                    "text": "",
                    "showarrow": True,
                    "arrowhead": 2,
                    "arrowsize": 1.2,
                    "arrowwidth": 2,
                    "arrowcolor": item["color"],
                }
            )
    return shapes, annotations


def cell_diagram(
    cfg, v: StepValues, *, c_bound: float = 1.0, font_size: int = 14, height: int = 440, x_name: str | None = None
):
    """The Plotly figure of :func:`cell_canvas`."""
    shapes, annotations = _plotly(cell_canvas(cfg, v, c_bound=c_bound, x_name=x_name), font_size)
    layout = {
        "shapes": shapes,
        "annotations": annotations,
        "xaxis": {"range": list(X_RANGE), "visible": False, "fixedrange": True},
        "yaxis": {"range": list(Y_RANGE), "visible": False, "fixedrange": True},
        "height": height,
        "margin": {"l": 5, "r": 5, "t": 5, "b": 5},
        "font": {"family": FONT_FAMILY, "size": font_size},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "showlegend": False,
    }
    return figure([{"type": "scatter", "x": [], "y": [], "hoverinfo": "skip"}], layout)


def colour_note(cfg, c_bound: float) -> str:
    """What the drawing's colours mean (its caption)."""
    gates = getattr(cfg, "recurrent_activation", "sigmoid")
    return (
        f"Colours as on Explore: gates {GATE_COLOURS}; j and h from -1 to 1 ({SIGNED_COLOURS}); c from "
        f"-{c_bound:g} to {c_bound:g}."
        + (" Dotted: peephole connections." if cfg.use_peepholes else "")
        + (f" σ_hard: the gates use {HARD_SIGMOID_NAMES[gates]}, as the model file says." if gates != "sigmoid" else "")
    )


def diagram_alt(cfg, v: StepValues) -> str:
    parts = [
        f"LSTM cell diagram at step {v.t}, unit {v.unit}: c_(t-1) = {v.c_prev:.3f};",
        f"forget gate f = {v.f:.3f}; input gate i = {v.i:.3f}" + (" (1 - f, coupled)" if cfg.coupled else "") + ";",
        f"new input j = {v.j:.3f}; output gate o = {v.o:.3f}; new cell state c_t = {v.new_c:.3f};",
        f"output h_t = {v.m:.3f}" + (" before the projection" if cfg.num_proj is not None else "") + ".",
    ]
    if cfg.use_peepholes:
        parts.append("Dashed peephole connections run from the cell state into the i, f and o gates.")
    if cfg.cell_clip is not None:
        parts.append(f"The cell state is clipped to ±{cfg.cell_clip:g}.")
    return " ".join(parts)
