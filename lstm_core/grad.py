"""Backpropagation through time: the exact gradient of a loss through a recorded forward run.

The loss is whatever produced ``d_outputs`` (dL/d ``trace.outputs``, one value per output) and,
optionally, ``d_final_state`` (dL/d ``trace.final_state``). Going back from the last step, with
``dc`` and ``dh`` the gradients arriving at ``c_t`` and ``h_t`` (``act'`` the activation's
derivative, ``sigma'`` the gates': ``g * (1 - g)`` for the sigmoid; for a hard sigmoid 0.2 (Keras 2)
or 1/6 (Keras 3) inside its linear range and 0 where it clips, with TensorFlow's choice at the
two corners: Keras 2's clip_by_value passes the gradient there, Keras 3's relu6 does not)::

    dh   += d_outputs[t]
    dm    = (dh * [h_raw within proj_clip]) @ proj_kernel.T   # dm = dh without a projection
    do    = dm * act(c) * sigma'(o)                             # 0 under NOG
    dc   += dm * o * act'(c) + do * w_o_diag                    # the output peephole reads c_t
    dc_r  = dc * [c_raw within cell_clip]                        # 0 where the state was clipped
    di    = dc_r * j * sigma'(i)                                 # 0 under NIG or when coupled
    dj    = dc_r * i * act'(j_pre)
    df    = dc_r * (c_prev [- j when coupled]) * sigma'(f)       # 0 under NFG
    dc    = dc_r * f + di * w_i_diag + df * w_f_diag             # -> c_{t-1}
    dh    = [di, dj, df, do] @ kernel_h.T                        # -> h_{t-1}

Rows whose sequence has ended (``t >= sequence_length``) carried their state unchanged, so their
``dc`` and ``dh`` pass through untouched and their gates get no gradient. The gates'
pre-activation gradients of every step are kept, so the weights' gradients are a few large
matrix products after the loop rather than many small ones inside it.

Only the recurrence (``dc``, ``dh``) is sequential: each step is one matmul and about fifteen
elementwise NumPy calls, on time-major buffers; everything that does not depend on ``dc`` (the
``sigma'`` products above) is computed for all steps at once before the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import GATE_DERIVATIVES, activation_derivative
from .gru import GRUGradients, GRUTrace, grad_gru
from .params import LSTMParams
from .rnn import BasicRNNGradients, BasicRNNTrace, grad_basic_rnn
from .run_inputs import as_gradient, mask_ended_steps
from .trace import LSTMStateTuple, Trace


@dataclass(frozen=True, eq=False)
class Gradients:
    """dL/d everything that went into a run, and the gradient at every step.

    Attributes
    ----------
    params : LSTMParams
        dL/d each weight array, same shapes as ``trace.params`` (peepholes and projection only
        where the config has them). A weight the variant does not use (the i block of a coupled
        cell, a fixed gate's block and peephole) gets exactly 0.
    inputs : ndarray, shape (batch, time, input_size)
    initial_state : LSTMStateTuple
        dL/d ``c_0`` and dL/d ``h_0``.
    dc : ndarray, shape (batch, time, num_units)
        dL/d ``new_c`` at each step: everything the loss owes to the cell state after step t,
        through the outputs of step t and of every later step.
    dh : ndarray, shape (batch, time, h_depth)
        dL/d ``new_h`` at each step, likewise.
    gate_inputs : ndarray, shape (batch, time, 4 * num_units)
        dL/d ``gate_inputs``, the raw pre-activations, in TensorFlow's column order i, j, f, o
        (so ``gate_inputs[..., units:2 * units]`` is dL/d ``j_pre``).
    """

    params: LSTMParams
    inputs: np.ndarray
    initial_state: LSTMStateTuple
    dc: np.ndarray
    dh: np.ndarray
    gate_inputs: np.ndarray


def _gate_slopes(
    trace: Trace, time_major, i: np.ndarray, f: np.ndarray, o: np.ndarray, c_prev: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d gate / d (the gate's whole input) for i, f and o, time-major (time, batch, num_units).

    The sigmoid's slope follows from its value, ``g * (1 - g)``. A hard sigmoid's is a constant
    inside its linear range and 0 where it clips; whether a gate sitting exactly at 0 or 1 was
    clipped needs its input, rebuilt here as the forward pass formed it: pre-activation, forget
    bias (f) and peephole term (``c_{t-1}`` for i and f, ``c_t`` for o).
    """
    cfg = trace.config
    if cfg.recurrent_activation == "sigmoid":
        return i * (1 - i), f * (1 - f), o * (1 - o)
    derivative = GATE_DERIVATIVES[cfg.recurrent_activation]
    p, dtype = trace.params, trace.dtype
    # Not in place: time_major may return the trace's own (read-only by contract) buffer.
    i_in, f_in, o_in = (time_major(getattr(trace, name)) for name in ("i_pre", "f_pre", "o_pre"))
    f_in = f_in + dtype.type(cfg.forget_bias)
    if cfg.use_peepholes:
        i_in, f_in, o_in = i_in + p.w_i_diag * c_prev, f_in + p.w_f_diag * c_prev, o_in + p.w_o_diag * c
    return derivative(i_in, i), derivative(f_in, f), derivative(o_in, o)


def grad(
    trace: Trace | BasicRNNTrace | GRUTrace, d_outputs: object, d_final_state: object = None
) -> Gradients | BasicRNNGradients | GRUGradients:
    """Backpropagate through ``trace``.

    Parameters
    ----------
    trace : Trace
        A forward run (:func:`lstm_core.run`); the gradient is computed in its dtype.
    d_outputs : array_like, shape (batch, time, h_depth), or None
        dL/d ``trace.outputs``. Values at steps past a row's ``sequence_length`` are ignored
        (those outputs are constant zeros). None means zeros.
    d_final_state : LSTMStateTuple or (dc, dh) pair, optional
        dL/d ``trace.final_state``.

    Returns
    -------
    Gradients
        For a basic RNN's or a GRU's trace, that cell's own gradients (d_final_state is then dL/d
        the final h alone; :func:`lstm_core.rnn.grad_basic_rnn`, :func:`lstm_core.gru.grad_gru`).
    """
    if isinstance(trace, BasicRNNTrace):
        return grad_basic_rnn(trace, d_outputs, d_final_state)
    if isinstance(trace, GRUTrace):
        return grad_gru(trace, d_outputs, d_final_state)
    if not isinstance(trace, Trace):
        raise ValueError(f"grad needs a Trace from lstm_core.run, got {type(trace).__name__}.")
    cfg, p, dtype = trace.config, trace.params, trace.dtype
    batch, time, features = trace.inputs.shape
    units, depth = cfg.num_units, cfg.h_depth
    d_out = as_gradient(d_outputs, (batch, time, depth), dtype, "d_outputs")
    if d_final_state is None:
        d_final_state = (None, None)
    if not isinstance(d_final_state, tuple | list) or len(d_final_state) != 2:
        raise ValueError("d_final_state must be None, an LSTMStateTuple(c, h) or a (dc, dh) pair.")
    dc = as_gradient(d_final_state[0], (batch, units), dtype, "d_final_state.c")
    dh = as_gradient(d_final_state[1], (batch, depth), dtype, "d_final_state.h")

    def time_major(a: np.ndarray) -> np.ndarray:
        """A contiguous time-major copy: elementwise work on the trace's strided views is ~4x slower."""
        return np.ascontiguousarray(a.swapaxes(0, 1))

    i, j, f, o, c, c_act = (time_major(getattr(trace, name)) for name in ("i", "j", "f", "o", "new_c", "c_act"))
    c_prev = np.empty_like(c)
    c_prev[0], c_prev[1:] = trace.initial_state.c, c[:-1]
    slope_i, slope_f, slope_o = _gate_slopes(trace, time_major, i, f, o, c_prev, c)
    d_out = time_major(d_out)
    ended = mask_ended_steps(d_out, trace.valid)  # outputs past a row's end are constant zeros

    # Everything that does not depend on the gradient flowing back, for all steps at once:
    # ``through_c[t]`` holds d c_t / d (i_in, j_pre, f_in) in TensorFlow's block order, so one
    # broadcast multiply by dL/dc per step gives the three gates' gradients.
    with np.errstate(over="ignore", invalid="ignore"):
        through_c = np.empty((time, batch, 3, units), dtype)
        if cfg.no_input_gate or cfg.coupled:
            through_c[:, :, 0] = 0
        else:
            np.multiply(j, slope_i, out=through_c[:, :, 0])
        np.multiply(i, activation_derivative(cfg.input_activation)(time_major(trace.j_pre), j), out=through_c[:, :, 1])
        if cfg.no_forget_gate:
            through_c[:, :, 2] = 0
        else:
            np.multiply(c_prev - j if cfg.coupled else c_prev, slope_f, out=through_c[:, :, 2])
        out_gate = None if cfg.no_output_gate else c_act * slope_o  # d m / d o_in
        out_cell = o * activation_derivative(cfg.output_activation)(c, c_act)  # d m / d c, directly
    clip_c = None
    if cfg.cell_clip is not None:  # TensorFlow's clip_by_value passes the gradient where lo <= x <= hi
        clip_c = (np.abs(f * c_prev + i * j) <= dtype.type(cfg.cell_clip)).astype(dtype)
    m = time_major(trace.m)
    clip_h = None
    if cfg.num_proj is not None and cfg.proj_clip is not None:
        clip_h = (np.abs(m @ p.proj_kernel) <= dtype.type(cfg.proj_clip)).astype(dtype)

    peep = cfg.use_peepholes
    peep_i = peep and not (cfg.no_input_gate or cfg.coupled)
    peep_f = peep and not cfg.no_forget_gate
    peep_o = peep and out_gate is not None
    kernel_h_t = np.ascontiguousarray(p.kernel[features:].T)  # (4 * units, depth)
    proj_t = None if cfg.num_proj is None else np.ascontiguousarray(p.proj_kernel.T)

    d_gates = np.zeros((time, batch, 4 * units), dtype)  # TF order i, j, f, o; pre-activations
    d_ijf = d_gates[:, :, : 3 * units].reshape(time, batch, 3, units)
    d_i, d_f, d_o = (d_gates[:, :, k * units : (k + 1) * units] for k in (0, 2, 3))
    dc_steps = np.empty((time, batch, units), dtype)
    dh_steps = np.empty((time, batch, depth), dtype)
    dh_raw_steps = np.zeros((time, batch, depth), dtype) if proj_t is not None else None
    dh_from_next = dh  # dL/dh_t through step t + 1 (and the final state)
    multiply, add = np.multiply, np.add
    for t in range(time - 1, -1, -1):
        dh = add(dh_from_next, d_out[t], out=dh_steps[t])
        if proj_t is None:
            dm = dh
        else:
            dh_raw = dh if clip_h is None else multiply(dh, clip_h[t], out=dh_raw_steps[t])
            if clip_h is None:
                dh_raw_steps[t] = dh
            dm = dh_raw @ proj_t
        dc_here = multiply(dm, out_cell[t], out=dc_steps[t])
        add(dc_here, dc, out=dc_here)
        if out_gate is not None:
            multiply(dm, out_gate[t], out=d_o[t])
            if peep_o:
                dc_here += d_o[t] * p.w_o_diag
        dc_raw = dc_here if clip_c is None else dc_here * clip_c[t]
        multiply(dc_raw[:, None, :], through_c[t], out=d_ijf[t])
        dc_next = dc_raw * f[t]
        if peep_i:
            dc_next += d_i[t] * p.w_i_diag
        if peep_f:
            dc_next += d_f[t] * p.w_f_diag
        dh_from_next = d_gates[t] @ kernel_h_t
        rows = None if ended is None else ended[t]
        if rows is not None:  # rows that carried their state through this step pass dc, dh on
            d_gates[t, rows] = 0
            dc_next[rows] = dc[rows]
            dc_steps[t, rows] = dc[rows]
            dh_from_next[rows] = dh[rows]
            if dh_raw_steps is not None:
                dh_raw_steps[t, rows] = 0
        dc = dc_next

    # The weights' gradients: sums over every step and row, as large matrix products.
    flat_gates = d_gates.reshape(time * batch, 4 * units)
    x_tm = trace.inputs.swapaxes(0, 1).reshape(time * batch, features)
    h_prev = np.empty((time, batch, depth), dtype)
    h_prev[0], h_prev[1:] = trace.initial_state.h, trace.new_h[:, :-1].swapaxes(0, 1)
    d_kernel = np.empty_like(p.kernel)
    np.dot(x_tm.T, flat_gates, out=d_kernel[:features])
    np.dot(h_prev.reshape(time * batch, depth).T, flat_gates, out=d_kernel[features:])
    arrays: dict[str, np.ndarray | None] = {"kernel": d_kernel, "bias": flat_gates.sum(axis=0)}
    if peep:
        arrays["w_i_diag"] = np.einsum("tbu,tbu->u", d_i, c_prev)
        arrays["w_f_diag"] = np.einsum("tbu,tbu->u", d_f, c_prev)
        arrays["w_o_diag"] = np.einsum("tbu,tbu->u", d_o, c)
    if proj_t is not None:
        arrays["proj_kernel"] = m.reshape(time * batch, units).T @ dh_raw_steps.reshape(time * batch, depth)
    d_inputs = (flat_gates @ p.kernel[:features].T).reshape(time, batch, features)

    def batch_major(a: np.ndarray) -> np.ndarray:
        return a.swapaxes(0, 1)

    return Gradients(
        params=LSTMParams(**arrays),
        inputs=batch_major(d_inputs),
        initial_state=LSTMStateTuple(dc, dh_from_next),
        dc=batch_major(dc_steps),
        dh=batch_major(dh_steps),
        gate_inputs=batch_major(d_gates),
    )


def grad_stack(
    traces: Sequence[Trace], d_outputs: object, d_final_states: Sequence[object] | None = None
) -> list[Gradients]:
    """Backpropagate through :func:`lstm_core.run_stack`'s traces; one Gradients per layer.

    ``d_outputs`` is dL/d the last layer's outputs; each layer below receives the gradient of
    the inputs of the layer above. ``d_final_states`` (one per layer, or None) adds dL/d each
    layer's final state.
    """
    traces = list(traces)
    if not traces:
        raise ValueError("grad_stack needs at least one layer's trace.")
    if d_final_states is None:
        d_final_states = [None] * len(traces)
    d_final_states = list(d_final_states)
    if len(d_final_states) != len(traces):
        raise ValueError(f"grad_stack got {len(traces)} traces but {len(d_final_states)} final-state gradients.")
    grads: list[Gradients] = [None] * len(traces)  # type: ignore[list-item]
    upstream = d_outputs
    for k in range(len(traces) - 1, -1, -1):
        grads[k] = grad(traces[k], upstream, d_final_states[k])
        upstream = grads[k].inputs
    return grads
