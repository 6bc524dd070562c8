"""The unrolled view: a few consecutive steps of one unit side by side, as colah's LSTM post draws them.

Each step is a compact cell: its four gates as coloured squares, the cell state c running through
the top of every cell as one belt (x f, then + i j), the output h running along the bottom into the
next cell, x_t entering from below. Between two cells the belt and the h line carry the value that
passes from one step to the next, printed and coloured: the recurrence, drawn.

The layout is plain items in data coordinates (y up), in viz.diagram's vocabulary (rect, circle,
line, arrow, text); what changes with the step names a piece of the live view (viz.livestep) and
the cell ``slot`` it belongs to: slot k shows step ``first + k``, where the browser picks ``first``
so that the selected step is in view.
"""

from __future__ import annotations

from .diagram import EDGE

#: Cells shown side by side.
CELLS = 5
CELL_W, GAP, LEFT = 2.3, 1.45, 1.0
BELT_Y, GATES_Y, H_Y, X_Y = 3.05, 1.75, 0.35, -0.75
CELL_BOTTOM, CELL_TOP = 0.85, 3.45
H_TAP = 0.3  # where h goes into a cell (from its left edge) and comes out (from its right edge)
#: Text size in data units (times each text's ``size``), before a page's scale; line widths are in
#: px at a 14 px font (viz.livestep.svg_items).
FONT = 0.3
Y_RANGE = (-1.25, 4.35)


def x_range(cells: int) -> tuple[float, float]:
    return (0.0, LEFT + cells * CELL_W + (cells + 1) * GAP)


def piece(name: str, slot: int) -> dict:
    """A value the browser fills in: piece ``name`` of the step cell ``slot`` shows."""
    return {"piece": name, "slot": slot}


def unrolled_items(cfg, cells: int = CELLS) -> list[dict]:
    """The unrolled view of ``cells`` steps (the gates a ``cfg`` cell has: a coupled cell's i is 1 - f).
    Every item of a step carries its slot, and so does what it hands the next step (the belt and the
    h line after it, with their values)."""
    items: list[dict] = []

    def text(x, y, value, size=1.0, color="#222222", slot=None, weight="normal"):
        items.append(
            {"kind": "text", "x": x, "y": y, "text": value, "color": color, "size": size, "anchor": "center"}
            | {"weight": weight, "slot": slot}
        )

    def line(x0, x1, y, color, slot):
        # A dark edge under the coloured line, so that a value near 0 (white) still shows its belt.
        items.append({"kind": "line", "x0": x0, "y0": y, "x1": x1, "y1": y, "color": EDGE, "width": 9, "slot": slot})
        items.append({"kind": "line", "x0": x0, "y0": y, "x1": x1, "y1": y, "color": color, "width": 5.5, "slot": slot})

    def arrow(x0, y0, x1, y1, slot):
        items.append({"kind": "arrow", "x0": x0, "y0": y0, "x1": x1, "y1": y1, "slot": slot})

    def handed(left: float, slot: int) -> None:
        """What goes into the cell whose left edge is at ``left``: the state step ``slot`` made (the
        initial state for slot -1, as the first step shown reads it). The h line runs from where the
        step before lets h out to where this one takes it in."""
        first = slot < 0
        c, h, h_fill = ("c_prev", "h_prev", "h_in") if first else ("c", "h", "h")
        owner = 0 if first else slot
        line(left - GAP, left, BELT_Y, piece(f"fill:{c}", owner), owner)
        line(left - GAP - (0 if first else H_TAP), left + H_TAP, H_Y, piece(f"fill:{h_fill}", owner), owner)
        text(left - GAP / 2, BELT_Y + 0.34, piece(f"v:{c}", owner), slot=owner)
        text(left - GAP / 2, H_Y - 0.34, piece(f"v:{h}", owner), slot=owner)

    text(0.45, BELT_Y, "<b>c</b>", 1.2)
    text(0.45, H_Y, "<b>h</b>", 1.2)
    for k in range(cells):
        left = LEFT + GAP + k * (CELL_W + GAP)
        right, mid = left + CELL_W, left + CELL_W / 2
        handed(left, k - 1)
        items.append(
            {
                "kind": "rect",
                "role": "cell",
                "x": mid,
                "y": (CELL_BOTTOM + CELL_TOP) / 2,
                "w": CELL_W,
                "h": CELL_TOP - CELL_BOTTOM,
                "fill": "#fafafa",
                "dash": "solid",
                "slot": k,
            }
        )
        # The belt through the cell: x f (the memory kept), then + i j (what is written).
        times, plus = mid - 0.5, mid + 0.5
        line(left, times - 0.2, BELT_Y, piece("fill:c_prev", k), k)
        line(times + 0.2, plus - 0.2, BELT_Y, piece("fill:fc", k), k)
        line(plus + 0.2, right, BELT_Y, piece("fill:c", k), k)
        for x, symbol in ((times, "×"), (plus, "+")):
            items.append({"kind": "circle", "x": x, "y": BELT_Y, "r": 0.2, "slot": k})
            text(x, BELT_Y, f"<b>{symbol}</b>", 1.1, slot=k)
        for g, name in enumerate("fijo"):
            x = mid + (g - 1.5) * 0.52
            items.append(
                {"kind": "rect", "x": x, "y": GATES_Y, "w": 0.46, "h": 0.46, "fill": piece(f"fill:{name}", k)}
                | {"dash": "solid", "slot": k}
            )
            text(x, GATES_Y, f"<b>{name}</b>", 1.0, piece(f"ink:{name}", k), slot=k)
        arrow(times, GATES_Y + 0.23, times, BELT_Y - 0.2, k)
        arrow(mid + 0.26, GATES_Y + 0.23, plus, BELT_Y - 0.2, k)
        # h_{t-1} and x_t go in at the bottom; h_t comes out at the bottom right, into the next step.
        arrow(left + H_TAP, H_Y, left + H_TAP, CELL_BOTTOM, k)
        arrow(mid, X_Y + 0.28, mid, CELL_BOTTOM, k)
        arrow(right - H_TAP, CELL_BOTTOM, right - H_TAP, H_Y, k)
        text(mid, X_Y, piece("v:x", k), 0.9, "#333333", slot=k)
        text(mid, CELL_BOTTOM + 0.3, {"step": k}, 0.9, "#444444", slot=k)
    handed(LEFT + cells * (CELL_W + GAP) + GAP, cells - 1)  # what the last step shown hands on
    return items
