"""TensorFlow 1.x's GRUCell over a whole sequence, every step recorded, and its exact backward pass.

``tf.compat.v1.nn.rnn_cell.GRUCell(num_units, activation)`` computes, at each step t (``act`` the
configured activation, tanh by default)::

    r_pre, u_pre = split(concat([x_t, h_{t-1}]) @ gate_kernel + gate_bias, 2)   # each (batch, num_units)
    r, u = sigmoid(r_pre), sigmoid(u_pre)                     # reset gate, update gate
    c_pre = concat([x_t, r * h_{t-1}]) @ candidate_kernel + candidate_bias
    c = act(c_pre)                                            # the candidate
    new_h = u * h_{t-1} + (1 - u) * c                         # the output, and the next state

The reset gate multiplies ``h_{t-1}`` *before* the candidate's matmul. PyTorch's nn.GRU and Keras'
GRU with its default ``reset_after=True`` apply it *after* the matmul,
``c = act(x_t @ W_c + b_c + r * (h_{t-1} @ U_c + b_rc))``, with a second, recurrent candidate
bias: a different cell, which no choice of weights makes equal to this one. Keras' GRU with
``reset_after=False`` is this cell, with Keras' gate order z (= u), r, h and the kernel in two
parts. Note also which way u points: u = 1 keeps the old state, as in TensorFlow and PyTorch.

Vectorised: the input's share of the gates and of the candidate for every step is one matmul
each before the loop; each step is then two matmuls (gates, candidate) and about ten
elementwise NumPy calls, on time-major buffers. The gates' buffer holds ``-(r_pre, u_pre)``
during the loop (the argument :func:`~lstm_core.activations.sigmoid_of_negated` wants; the
weights are negated up front, which is exact) and is negated back after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .activations import activation_derivative, activation_function, negate, scalar, sigmoid_of_negated
from .config import HiddenStateConfig
from .hidden_state import (
    OVERFLOW_ADVICE,
    HiddenStateGradients,
    grad_arguments,
    kernel_gradient,
    run_arguments,
    state_buffer,
    time_major,
    trace_fields,
)
from .params import WeightArrays, glorot_uniform, seed_streams
from .run_inputs import raise_on_overflow
from .trace import HiddenStateTrace

#: TensorFlow's GRUCell initialises its gate bias to 1.0 (gates half open towards keeping h and
#: resetting nothing, sigmoid(1) = 0.73) and its candidate bias to 0.
GATE_BIAS_INIT = 1.0


@dataclass(frozen=True, eq=False)
class GRUParams(WeightArrays):
    """Weights of one GRUCell, as TensorFlow stores them (variables ``gates/kernel``, ``gates/bias``,
    ``candidate/kernel``, ``candidate/bias``).

    Parameters
    ----------
    gate_kernel : ndarray, shape (input_size + num_units, 2 * num_units)
        Rows are ``[x; h]`` (the input's rows first), column blocks r then u.
    gate_bias : ndarray, shape (2 * num_units,)
        1.0 at initialisation.
    candidate_kernel : ndarray, shape (input_size + num_units, num_units)
        Rows are ``[x; r * h]``.
    candidate_bias : ndarray, shape (num_units,)
        Zero at initialisation.
    """

    gate_kernel: np.ndarray
    gate_bias: np.ndarray
    candidate_kernel: np.ndarray
    candidate_bias: np.ndarray


@dataclass(frozen=True)
class GRUConfig(HiddenStateConfig):
    """Configuration of ``tf.compat.v1.nn.rnn_cell.GRUCell``, TensorFlow 1.x's GRU (the reset gate
    applied before the candidate's matmul; not PyTorch's nn.GRU nor Keras' default
    ``reset_after=True``, see :mod:`lstm_core.gru`).

    Its fields, ``input_size``, ``num_units`` and ``activation``, are
    :class:`~lstm_core.config.HiddenStateConfig`'s; ``activation`` (tanh by default) is the
    candidate's, and the gates are always sigmoids.
    """

    cell: ClassVar[str] = "gru"
    title: ClassVar[str] = "GRU"
    params_type: ClassVar[type] = GRUParams

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """``gate_kernel`` (input_size + num_units, 2 * num_units), ``gate_bias`` (2 * num_units,),
        ``candidate_kernel`` (input_size + num_units, num_units), ``candidate_bias`` (num_units,)."""
        rows, units = self.input_size + self.num_units, self.num_units
        return {
            "gate_kernel": (rows, 2 * units),
            "gate_bias": (2 * units,),
            "candidate_kernel": (rows, units),
            "candidate_bias": (units,),
        }


def init_gru_params(cfg: GRUConfig, seed: int = 0, dtype: np.dtype | type = np.float64) -> GRUParams:
    """Seeded weights as TensorFlow initialises GRUCell: Glorot-uniform kernels (the variable
    scope's default initialiser, each kernel from its own stream of ``seed``), the gate bias 1.0
    and the candidate bias 0."""
    gate_rng, candidate_rng = seed_streams(seed, 2)
    shapes = cfg.param_shapes
    params = GRUParams(
        gate_kernel=glorot_uniform(gate_rng, shapes["gate_kernel"]),
        gate_bias=np.full(shapes["gate_bias"], GATE_BIAS_INIT),
        candidate_kernel=glorot_uniform(candidate_rng, shapes["candidate_kernel"]),
        candidate_bias=np.zeros(shapes["candidate_bias"]),
    )
    return params.astype(dtype)


#: Per-step quantities of a GRU trace, in the order the app lists them.
GRU_QUANTITIES: tuple[str, ...] = ("r", "u", "c", "r_pre", "u_pre", "c_pre", "new_h", "outputs")


@dataclass(frozen=True, eq=False)
class GRUTrace(HiddenStateTrace):
    """Everything one GRUCell run computed (see :class:`lstm_core.trace.HiddenStateTrace` for
    ``new_h``, ``outputs``, ``valid``, the states and what produced the trace). Arrays are
    (batch, time, num_units).

    Attributes
    ----------
    r, u : ndarray
        The reset and update gates, ``sigmoid(r_pre)`` and ``sigmoid(u_pre)``.
    c : ndarray
        The candidate, ``act(c_pre)``: ``new_h = u * h_prev + (1 - u) * c``.
    r_pre, u_pre : ndarray
        The split of ``concat([x_t, h_prev]) @ gate_kernel + gate_bias``.
    c_pre : ndarray
        ``concat([x_t, r * h_prev]) @ candidate_kernel + candidate_bias``.
    """

    r: np.ndarray
    u: np.ndarray
    c: np.ndarray
    r_pre: np.ndarray
    u_pre: np.ndarray
    c_pre: np.ndarray

    quantities: ClassVar[tuple[str, ...]] = GRU_QUANTITIES


def run_gru(
    cfg: GRUConfig,
    params: GRUParams,
    inputs: object,
    initial_state: object = None,
    sequence_length: object = None,
) -> GRUTrace:
    """Run GRUCell over ``inputs`` as ``tf.compat.v1.nn.dynamic_rnn`` does, recording every step.

    The arguments are :func:`lstm_core.run`'s, ``initial_state`` being ``h_0`` (batch, num_units),
    checked as :func:`lstm_core.hidden_state.run_arguments` says.
    """
    args = run_arguments(
        GRUConfig, cfg, params, inputs, initial_state, sequence_length, values_per_step=6 * cfg.num_units
    )
    x, p = args.inputs, args.params
    batch, time, features = x.shape
    units, dtype = cfg.num_units, x.dtype
    x_rows = time_major(x).reshape(time * batch, features)
    # The input's share of every step at once, the gates' negated: gates_in[t] = -(x_t @ gate_kernel_x
    # + gate_bias), then - h_prev @ gate_kernel_h in the loop; candidate_in[t] likewise, not negated.
    gates_in = (x_rows @ -p.gate_kernel[:features] - p.gate_bias).reshape(time, batch, 2 * units)
    candidate_in = (x_rows @ p.candidate_kernel[:features] + p.candidate_bias).reshape(time, batch, units)
    gate_kernel_h = np.ascontiguousarray(-p.gate_kernel[features:])
    candidate_kernel_h = np.ascontiguousarray(p.candidate_kernel[features:])
    gates = np.empty((time, batch, 2 * units), dtype)  # r, u side by side
    candidate = np.empty((time, batch, units), dtype)
    hidden = state_buffer(args)  # hidden[t] = h_{t-1}
    gate_products = np.empty((batch, 2 * units), dtype)
    reset_state = np.empty((batch, units), dtype)
    candidate_products = np.empty((batch, units), dtype)
    kept = np.empty((batch, units), dtype)
    act = activation_function(cfg.activation)
    one = scalar(1.0, dtype)
    ended = args.rows_ended_by_step()
    steps = zip(gates_in, gates, gates[:, :, :units], gates[:, :, units:], candidate_in, candidate, ended)  # noqa: B905
    # Overflow only comes from huge inputs or weights or from a relu/identity candidate whose state
    # grows without bound; raise_on_overflow reports it once, afterwards.
    with np.errstate(over="ignore", invalid="ignore"):
        for t, (g_in, g, r, u, c_in, c, finished) in enumerate(steps):
            h_prev, h = hidden[t], hidden[t + 1]
            np.dot(h_prev, gate_kernel_h, out=gate_products)
            np.add(g_in, gate_products, out=g_in)
            sigmoid_of_negated(g_in, out=g)
            np.multiply(r, h_prev, out=reset_state)
            np.dot(reset_state, candidate_kernel_h, out=candidate_products)
            np.add(c_in, candidate_products, out=c_in)
            act(c_in, out=c)
            # new_h = u * h_prev + (1 - u) * c, in TensorFlow's order of operations, so that u = 1
            # keeps h_prev exactly.
            np.multiply(u, h_prev, out=h)
            np.subtract(one, u, out=kept)
            np.multiply(kept, c, out=kept)
            np.add(h, kept, out=h)
            if finished is not None:  # rows past their length carry their state (dynamic_rnn's copy-through)
                np.copyto(h, h_prev, where=finished)
    raise_on_overflow((gates_in, candidate_in, hidden[1:]), OVERFLOW_ADVICE)
    negate(gates_in, out=gates_in)  # back to TensorFlow's raw r_pre, u_pre

    def batch_major(a: np.ndarray) -> np.ndarray:
        return a.swapaxes(0, 1)

    return GRUTrace(
        **trace_fields(cfg, args, hidden),
        r=batch_major(gates[:, :, :units]),
        u=batch_major(gates[:, :, units:]),
        c=batch_major(candidate),
        r_pre=batch_major(gates_in[:, :, :units]),
        u_pre=batch_major(gates_in[:, :, units:]),
        c_pre=batch_major(candidate_in),
    )


@dataclass(frozen=True, eq=False)
class GRUGradients(HiddenStateGradients):
    """:class:`lstm_core.hidden_state.HiddenStateGradients` (params, inputs, initial_state, dh) and

    Attributes
    ----------
    r_pre, u_pre, c_pre : ndarray, shape (batch, time, num_units)
        dL/d the gates' and the candidate's pre-activations at each step (0 past a row's end).
    """

    r_pre: np.ndarray
    u_pre: np.ndarray
    c_pre: np.ndarray


def grad_gru(trace: GRUTrace, d_outputs: object, d_final_state: object = None) -> GRUGradients:
    """Backpropagate through a GRUCell run.

    Going back from the last step, with ``dh`` the gradient arriving at ``h_t``, ``h_prev`` the
    state the step read, ``act'`` the activation's derivative and ``sigma'(g) = g * (1 - g)``::

        dh     += d_outputs[t]
        d_u_pre = dh * (h_prev - c) * sigma'(u)
        d_c_pre = dh * (1 - u) * act'(c_pre)
        d_rh    = d_c_pre @ candidate_kernel_h.T          # dL/d (r * h_prev)
        d_r_pre = d_rh * h_prev * sigma'(r)
        dh      = dh * u + d_rh * r + [d_r_pre, d_u_pre] @ gate_kernel_h.T    # -> h_{t-1}

    Everything that does not depend on ``dh`` (the products after ``dh *`` and ``d_rh *``) is
    computed for all steps at once before the loop. Rows whose sequence has ended carried their
    state, so their ``dh`` passes through untouched and their step gets no gradient.

    The arguments are :func:`lstm_core.grad`'s, ``d_final_state`` being dL/d the final ``h``
    (batch, num_units), checked as :func:`lstm_core.hidden_state.grad_arguments` says.
    """
    if not isinstance(trace, GRUTrace):
        raise ValueError(f"grad_gru needs a GRUTrace from lstm_core.run, got {type(trace).__name__}.")
    args = grad_arguments(trace, d_outputs, d_final_state)
    cfg, p = trace.config, trace.params
    batch, time, features = trace.inputs.shape
    units = cfg.num_units
    r, u, c = (time_major(getattr(trace, name)) for name in ("r", "u", "c"))
    h, h_prev = args.h, args.h_prev
    with np.errstate(over="ignore", invalid="ignore"):
        through_u = (h_prev - c) * u * (1 - u)  # d new_h / d u_pre
        through_c = (1 - u) * activation_derivative(cfg.activation)(time_major(trace.c_pre), c)  # / d c_pre
        through_r = h_prev * r * (1 - r)  # d (r * h_prev) / d r_pre
    gate_kernel_h_t = np.ascontiguousarray(p.gate_kernel[features:].T)
    candidate_kernel_h_t = np.ascontiguousarray(p.candidate_kernel[features:].T)
    d_gates = np.empty((time, batch, 2 * units), h.dtype)  # dL/d (r_pre, u_pre)
    d_r_pre, d_u_pre = d_gates[:, :, :units], d_gates[:, :, units:]
    d_c_pre = np.empty_like(h)
    dh_steps = np.empty_like(h)
    d_reset_state = np.empty((batch, units), h.dtype)
    product = np.empty((batch, units), h.dtype)
    dh = args.d_final_state  # dL/dh_t through step t + 1 (and the final state)
    for t in range(time - 1, -1, -1):
        dh_here = np.add(dh, args.d_outputs[t], out=dh_steps[t])
        np.multiply(dh_here, through_u[t], out=d_u_pre[t])
        np.multiply(dh_here, through_c[t], out=d_c_pre[t])
        np.dot(d_c_pre[t], candidate_kernel_h_t, out=d_reset_state)
        np.multiply(d_reset_state, through_r[t], out=d_r_pre[t])
        dh = d_gates[t] @ gate_kernel_h_t
        dh += np.multiply(dh_here, u[t], out=product)
        dh += np.multiply(d_reset_state, r[t], out=product)
        rows = args.ended[t]
        if rows is not None:  # rows that carried their state through this step pass dh on
            d_gates[t, rows] = 0
            d_c_pre[t, rows] = 0
            dh[rows] = dh_here[rows]

    x = time_major(trace.inputs)
    d_params = GRUParams(
        gate_kernel=kernel_gradient(x, h_prev, d_gates),
        gate_bias=d_gates.sum(axis=(0, 1)),
        candidate_kernel=kernel_gradient(x, r * h_prev, d_c_pre),
        candidate_bias=d_c_pre.sum(axis=(0, 1)),
    )
    d_inputs = d_gates @ p.gate_kernel[:features].T + d_c_pre @ p.candidate_kernel[:features].T

    def batch_major(a: np.ndarray) -> np.ndarray:
        return a.swapaxes(0, 1)

    return GRUGradients(
        params=d_params,
        inputs=batch_major(d_inputs),
        initial_state=dh,
        dh=batch_major(dh_steps),
        r_pre=batch_major(d_r_pre),
        u_pre=batch_major(d_u_pre),
        c_pre=batch_major(d_c_pre),
    )
