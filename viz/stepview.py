"""One step of one unit, in numbers: where every value of the cell comes from.

:func:`step_values` collects the scalars of unit ``u`` at step ``t`` from a trace (nothing is
recomputed except the intermediate sums an equation prints). :func:`equations` writes the active
variant's equations in LaTeX, once in symbols and once with those numbers substituted, and
:func:`sentences` says in plain words what each gate did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_core import Trace

from .format import fmt

#: Decimals printed in the equations and sentences (the tests compare at this precision).
DIGITS = 4
ACT_LATEX = {
    "tanh": r"\tanh",
    "relu": r"\operatorname{relu}",
    "sigmoid": r"\sigma",
    "softsign": r"\operatorname{softsign}",
    "identity": "",
}


#: The gates' function as the equations write it (LSTMConfig.recurrent_activation): Keras's hard
#: sigmoids are written apart, and the drawing's note says which one (viz.diagram.colour_note).
GATE_LATEX = {"sigmoid": r"\sigma", "hard_sigmoid": r"\sigma_{hard}", "hard_sigmoid_keras3": r"\sigma_{hard}"}


def gate_latex(cfg) -> str:
    """The symbol of ``cfg``'s gate function in the equations: σ, or σ_hard for a hard sigmoid."""
    return GATE_LATEX[getattr(cfg, "recurrent_activation", "sigmoid")]


@dataclass(frozen=True)
class StepValues:
    """The scalars of one unit at one step (and the vectors it reads)."""

    t: int
    unit: int
    x: np.ndarray  # x_t, [input_size]
    h_prev: np.ndarray  # h_{t-1}, [h_depth]
    c_prev: float
    i_pre: float
    j_pre: float
    f_pre: float
    o_pre: float
    i: float
    j: float
    f: float
    o: float
    new_c: float
    c_act: float
    m: float
    new_h: np.ndarray  # h_t, [h_depth] (the projection mixes units, so all of it)
    w_i: float | None = None
    w_f: float | None = None
    w_o: float | None = None


#: The per-step scalars of one unit that :class:`StepValues` holds, as the trace names them.
UNIT_SCALARS = ("i_pre", "j_pre", "f_pre", "o_pre", "i", "j", "f", "o", "new_c", "c_act", "m")


def unit_arrays(trace: Trace, batch: int, unit: int) -> dict[str, np.ndarray]:
    """Everything :func:`values_at` reads of unit ``unit`` of sequence ``batch``, at every step, in
    float64: the inputs ``x`` [T, input_size], the states each step reads (``h_prev`` [T, h_depth],
    ``c_prev`` [T]), the unit's gates and states [T] and the layer's output ``new_h`` [T, h_depth]."""
    h = np.asarray(trace.new_h[batch], dtype=np.float64)
    c = np.asarray(trace.new_c[batch, :, unit], dtype=np.float64)
    return {
        "x": np.asarray(trace.inputs[batch], dtype=np.float64),
        "h_prev": np.concatenate([np.asarray(trace.initial_state.h[batch], dtype=np.float64)[None], h[:-1]]),
        "c_prev": np.concatenate([[float(trace.initial_state.c[batch, unit])], c[:-1]]),
        **{name: np.asarray(getattr(trace, name)[batch, :, unit], dtype=np.float64) for name in UNIT_SCALARS},
        "new_h": h,
    }


def peephole_weights(trace: Trace, unit: int) -> dict[str, float | None]:
    """The unit's peephole weights w_i, w_f, w_o (None each without peepholes)."""
    peep = trace.config.use_peepholes
    params = trace.params
    return {f"w_{gate}": float(getattr(params, f"w_{gate}_diag")[unit]) if peep else None for gate in ("i", "f", "o")}


def values_at(arrays: dict[str, np.ndarray], t: int, unit: int, weights: dict[str, float | None]) -> StepValues:
    """The StepValues of step ``t`` from :func:`unit_arrays` (of one run, or of one forget bias of a sweep)."""
    return StepValues(
        t=t,
        unit=unit,
        x=arrays["x"][t],
        h_prev=arrays["h_prev"][t],
        c_prev=float(arrays["c_prev"][t]),
        **{name: float(arrays[name][t]) for name in UNIT_SCALARS},
        new_h=arrays["new_h"][t],
        **weights,
    )


def step_values(trace: Trace, batch: int, t: int, unit: int) -> StepValues:
    return values_at(unit_arrays(trace, batch, unit), t, unit, peephole_weights(trace, unit))


def num(value: float, digits: int = DIGITS) -> str:
    """A number as the equations print it (ASCII minus for LaTeX, no negative zero)."""
    return fmt(value, digits, minus="-")


def term(value: float) -> str:
    """A number inside a longer expression: negative values in parentheses."""
    return f"({num(value)})" if num(value).startswith("-") else num(value)


#: What the equations show, as their caption says it (Markdown).
EQUATIONS_NOTE = (
    "Each equation in symbols, then with this step's numbers (rounded to 4 decimals). σ is the sigmoid, ⊙ "
    "multiplies element by element; the `_pre` values are TensorFlow's raw split of `[x_t, h_(t-1)] W + b`."
)


@dataclass(frozen=True)
class Equation:
    name: str  # the quantity it defines: "i", "j", "f", "new_c", "o", "new_h", ...
    symbolic: str  # LaTeX with symbols
    numeric: str  # LaTeX with the numbers substituted; ends with "= <the value>"
    value: float  # the value it ends with (the trace's)


def _act(name: str, inner: str) -> str:
    latex = ACT_LATEX[name]
    return f"{latex}\\left({inner}\\right)" if latex else inner


def _sigmoid_gate(
    name: str, pre: float, w: float | None, state: float, state_symbol: str, value: float, peep: bool, s: str
) -> Equation:
    """``name_t = s(name_pre [+ w_name * state])``: the input or output gate (``s`` the gate function's LaTeX)."""
    symbolic = rf"{name}_t = {s}\left({name}_{{pre}}" + (rf" + w_{name} \odot {state_symbol}" if peep else "")
    inner = (term(pre) + f" + {term(w)} \\times {term(state)}") if peep else num(pre)
    total = pre + (w * state if peep else 0.0)
    numeric = f"{name}_t = {s}\\left({inner}\\right)" + (f" = {s}\\left({num(total)}\\right)" if peep else "")
    return Equation(name, symbolic + r"\right)", f"{numeric} = {num(value)}", value)


def equations(cfg, v: StepValues) -> list[Equation]:
    """The cell's equations for ``cfg``'s variant, unit ``v.unit`` at step ``v.t``, in TensorFlow's order."""
    out: list[Equation] = []
    s = gate_latex(cfg)
    peep = cfg.use_peepholes
    fb = cfg.forget_bias
    act_j, act_c = cfg.input_activation, cfg.output_activation

    # The forget gate first: the coupled cell's input gate is defined from it.
    if cfg.no_forget_gate:
        out.append(Equation("f", "f_t = 1", "f_t = 1", v.f))
    else:
        f_sym = rf"f_t = {s}\left(f_{{pre}} + b_{{forget}}" + (r" + w_f \odot c_{t-1}" if peep else "") + r"\right)"
        f_inner = f"{term(v.f_pre)} + {term(fb)}" + (f" + {term(v.w_f)} \\times {term(v.c_prev)}" if peep else "")
        f_sum = v.f_pre + fb + (v.w_f * v.c_prev if peep else 0.0)
        f_num = f"f_t = {s}\\left({f_inner}\\right) = {s}\\left({num(f_sum)}\\right) = {num(v.f)}"
        out.append(Equation("f", f_sym, f_num, v.f))

    if cfg.coupled:
        out.append(Equation("i", r"i_t = 1 - f_t", f"i_t = 1 - {term(v.f)} = {num(v.i)}", v.i))
    elif cfg.no_input_gate:
        out.append(Equation("i", "i_t = 1", "i_t = 1", v.i))
    else:
        out.append(_sigmoid_gate("i", v.i_pre, v.w_i, v.c_prev, "c_{t-1}", v.i, peep, s))

    j_num = f"j_t = {_act(act_j, num(v.j_pre))} = {num(v.j)}" if ACT_LATEX[act_j] else f"j_t = {num(v.j)}"
    out.append(Equation("j", "j_t = " + _act(act_j, "j_{pre}"), j_num, v.j))

    raw_c = v.f * v.c_prev + v.i * v.j
    c_sym = r"c_t = f_t \odot c_{t-1} + i_t \odot j_t"
    c_num = f"c_t = {term(v.f)} \\times {term(v.c_prev)} + {term(v.i)} \\times {term(v.j)}"
    if cfg.cell_clip is not None:
        clip = num(cfg.cell_clip)
        c_sym = rf"c_t = \operatorname{{clip}}\left(f_t \odot c_{{t-1}} + i_t \odot j_t,\ \pm {cfg.cell_clip:g}\right)"
        c_num = (
            f"c_t = \\operatorname{{clip}}\\left({term(v.f)} \\times {term(v.c_prev)} + {term(v.i)} \\times "
            f"{term(v.j)},\\ \\pm {clip}\\right) = \\operatorname{{clip}}\\left({num(raw_c)}\\right)"
        )
    out.append(Equation("new_c", c_sym, f"{c_num} = {num(v.new_c)}", v.new_c))

    if cfg.no_output_gate:
        out.append(Equation("o", "o_t = 1", "o_t = 1", v.o))
    else:  # the output peephole reads the new cell state
        out.append(_sigmoid_gate("o", v.o_pre, v.w_o, v.new_c, "c_t", v.o, peep, s))

    out_name, out_symbol = ("new_h", "h") if cfg.num_proj is None else ("m", "m")
    m_sym = f"{out_symbol}_t = o_t \\odot " + _act(act_c, "c_t")
    m_num = f"{out_symbol}_t = {term(v.o)} \\times " + (
        f"{_act(act_c, num(v.new_c))} = {term(v.o)} \\times {term(v.c_act)}" if ACT_LATEX[act_c] else term(v.new_c)
    )
    out.append(Equation(out_name, m_sym, f"{m_num} = {num(v.m)}", v.m))
    if cfg.num_proj is not None:
        h_sym = r"h_t = m_t\, W_{proj}" + (
            rf" \text{{, clipped to }} \pm {cfg.proj_clip:g}" if cfg.proj_clip is not None else ""
        )
        shown = ", ".join(num(value) for value in v.new_h[:6]) + (r", \dots" if v.new_h.size > 6 else "")
        h_num = (
            rf"h_t = m_t\, W_{{proj}} = \left[{shown}\right] \quad ({v.new_h.size}\text{{ values, mixing all units}})"
        )
        out.append(Equation("proj", h_sym, h_num, float(v.new_h[0])))
    return out


def printed(value: float, digits: int = 3) -> float:
    """``value`` as the page prints it, so that numbers derived from it agree with what the reader sees."""
    return float(num(value, digits))


def percent(value: float) -> str:
    """A gate as a percentage, from the gate as printed (3 decimals): 0.445 is 44.5%, never 44% beside 0.445."""
    return f"{printed(value) * 100:.1f}%"


def sentences(cfg, v: StepValues) -> dict[str, str]:
    """One plain sentence per gate and for the state, generated from the numbers."""
    out = {
        "f": (
            f"Forget gate {num(v.f, 3)}: keeps {percent(v.f)} of the old memory c = {num(v.c_prev, 3)}, "
            f"which contributes {num(v.f * v.c_prev, 3)}."
        ),
    }
    if cfg.coupled:
        out["i"] = (
            f"Input gate 1 - f = {num(v.i, 3)}: what is forgotten is replaced, so it lets in {percent(v.i)} "
            f"of the candidate {num(v.j, 3)}, adding {num(v.i * v.j, 3)}."
        )
    else:
        out["i"] = (
            f"Input gate {num(v.i, 3)}: lets in {percent(v.i)} of the candidate j = {num(v.j, 3)}, "
            f"adding {num(v.i * v.j, 3)}."
        )
    out["j"] = f"New input j = {num(v.j, 3)}: the candidate value, {cfg.activation} of j_pre = {num(v.j_pre, 3)}."
    # The change between the two numbers as printed, so that a reader's subtraction checks out.
    change = printed(v.new_c) - printed(v.c_prev)
    direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
    clipped = ""
    if cfg.cell_clip is not None and abs(v.f * v.c_prev + v.i * v.j) > cfg.cell_clip:
        clipped = f" (clipped to ±{cfg.cell_clip:g})"
    out["new_c"] = f"Cell state: {num(v.c_prev, 3)} -> {num(v.new_c, 3)}{clipped}, " + (
        f"{direction} by {num(abs(change), 3)}." if change else "unchanged to three decimals."
    )
    out["o"] = f"Output gate {num(v.o, 3)}: shows {percent(v.o)} of {cfg.activation}(c) = {num(v.c_act, 3)}, " + (
        f"so the output is {num(v.m, 3)}."
        if cfg.num_proj is None
        else f"so m = {num(v.m, 3)}, which the projection mixes with the other units' m into h."
    )
    return out


#: The matrix view is written out in full up to these sizes (the rest gets shapes and the unit's columns).
MATRIX_MAX_ROWS = 10
MATRIX_MAX_COLS = 8


def _bmatrix(rows: np.ndarray, digits: int = 2) -> str:
    rows = np.atleast_2d(rows)
    body = r" \\ ".join(" & ".join(f"{value:.{digits}f}" for value in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def matrix_view(cfg, params, v: StepValues) -> tuple[str, bool]:
    """(LaTeX of gate_inputs = [x_t, h_{t-1}] @ kernel + bias, split into i, j, f, o; whether written in full)."""
    xh = np.concatenate([v.x, v.h_prev])
    kernel = np.asarray(params.kernel, dtype=np.float64)
    bias = np.asarray(params.bias, dtype=np.float64)
    gate_inputs = xh @ kernel + bias
    n, d, h = cfg.num_units, cfg.input_size, cfg.h_depth
    shapes = (
        rf"\underbrace{{[x_t,\ h_{{t-1}}]}}_{{1 \times {d + h}}}\ \underbrace{{W}}_{{{d + h} \times {4 * n}}}"
        rf" + \underbrace{{b}}_{{1 \times {4 * n}}} = \underbrace{{[\,i_{{pre}}\ |\ j_{{pre}}\ |\ f_{{pre}}\ |\ o_{{pre}}\,]}}_{{1 \times 4 \cdot {n}}}"
    )
    if xh.size > MATRIX_MAX_ROWS or 4 * n > MATRIX_MAX_COLS:
        return shapes, False
    split = r"\ \Big|\ ".join(
        rf"\underbrace{{{_bmatrix(gate_inputs[k * n : (k + 1) * n])}}}_{{{name}_{{pre}}}}"
        for k, name in enumerate("ijfo")
    )
    full = rf"{_bmatrix(xh)}\ {_bmatrix(kernel)} + {_bmatrix(bias)} = {split}"
    return shapes + r" \\[1em] " + full, True
