"""TensorFlow's BasicRNNCell over a whole sequence, every step recorded, and its exact backward pass.

``tf.compat.v1.nn.rnn_cell.BasicRNNCell(num_units, activation)`` computes, at each step t (``act``
the configured activation, tanh by default)::

    h_pre = concat([x_t, h_{t-1}]) @ kernel + bias     # (batch, num_units)
    new_h = act(h_pre)                                  # the output, and the state of step t + 1

with ``kernel`` (input_size + num_units, num_units), the input's rows first, and ``bias``
(num_units,). Keras' SimpleRNNCell is the same cell with the kernel in two parts (``kernel`` for
x, ``recurrent_kernel`` for h); PyTorch's nn.RNN too, with two biases that add up.

Vectorised: the input's share of every step is one matmul before the loop; each step is then one
matmul, one add and the activation, on time-major buffers, and the backward pass likewise one
matmul and two elementwise calls per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .activations import activation_derivative, activation_function
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


@dataclass(frozen=True, eq=False)
class BasicRNNParams(WeightArrays):
    """Weights of one BasicRNNCell, as TensorFlow stores them (its variables ``kernel`` and ``bias``).

    Parameters
    ----------
    kernel : ndarray, shape (input_size + num_units, num_units)
        Rows are ``[x; h]`` (the input's rows first): ``h_pre = concat([x_t, h_prev]) @ kernel + bias``.
    bias : ndarray, shape (num_units,)
        Zero at initialisation.
    """

    kernel: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class BasicRNNConfig(HiddenStateConfig):
    """Configuration of ``tf.compat.v1.nn.rnn_cell.BasicRNNCell``: ``new_h = act([x_t, h_prev] @ kernel + bias)``.

    Its fields, ``input_size``, ``num_units`` and ``activation`` (tanh by default), are
    :class:`~lstm_core.config.HiddenStateConfig`'s.
    """

    cell: ClassVar[str] = "basic_rnn"
    title: ClassVar[str] = "basic RNN"
    params_type: ClassVar[type] = BasicRNNParams

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """``kernel`` (input_size + num_units, num_units) and ``bias`` (num_units,)."""
        return {"kernel": (self.input_size + self.num_units, self.num_units), "bias": (self.num_units,)}


def init_basic_rnn_params(cfg: BasicRNNConfig, seed: int = 0, dtype: np.dtype | type = np.float64) -> BasicRNNParams:
    """Seeded weights as TensorFlow initialises BasicRNNCell: a Glorot-uniform kernel (the
    variable scope's default initialiser) and a zero bias."""
    (kernel_rng,) = seed_streams(seed, 1)
    shapes = cfg.param_shapes
    return BasicRNNParams(glorot_uniform(kernel_rng, shapes["kernel"]), np.zeros(shapes["bias"])).astype(dtype)


#: Per-step quantities of a basic RNN trace, in the order the app lists them.
BASIC_RNN_QUANTITIES: tuple[str, ...] = ("h_pre", "new_h", "outputs")


@dataclass(frozen=True, eq=False)
class BasicRNNTrace(HiddenStateTrace):
    """Everything one BasicRNNCell run computed (see :class:`lstm_core.trace.HiddenStateTrace` for
    ``new_h``, ``outputs``, ``valid``, the states and what produced the trace).

    Attributes
    ----------
    h_pre : ndarray, shape (batch, time, num_units)
        ``concat([x_t, h_prev]) @ kernel + bias``, before the activation: ``new_h = act(h_pre)``.
    """

    h_pre: np.ndarray

    quantities: ClassVar[tuple[str, ...]] = BASIC_RNN_QUANTITIES


def run_basic_rnn(
    cfg: BasicRNNConfig,
    params: BasicRNNParams,
    inputs: object,
    initial_state: object = None,
    sequence_length: object = None,
) -> BasicRNNTrace:
    """Run BasicRNNCell over ``inputs`` as ``tf.compat.v1.nn.dynamic_rnn`` does, recording every step.

    The arguments are :func:`lstm_core.run`'s, ``initial_state`` being ``h_0`` (batch, num_units),
    checked as :func:`lstm_core.hidden_state.run_arguments` says.
    """
    args = run_arguments(
        BasicRNNConfig, cfg, params, inputs, initial_state, sequence_length, values_per_step=cfg.num_units
    )
    x, p = args.inputs, args.params
    batch, time, features = x.shape
    units = cfg.num_units
    # The input's share of every step at once: h_pre[t] = x_t @ kernel_x + bias, then + h_prev @ kernel_h.
    h_pre = (time_major(x).reshape(time * batch, features) @ p.kernel[:features] + p.bias).reshape(time, batch, units)
    kernel_h = np.ascontiguousarray(p.kernel[features:])
    hidden = state_buffer(args)  # hidden[t] = h_{t-1}
    recurrent = np.empty((batch, units), x.dtype)
    act = activation_function(cfg.activation)
    ended = args.rows_ended_by_step()
    # Overflow only comes from huge inputs or weights or from a relu/identity cell whose state
    # grows without bound; raise_on_overflow reports it once, afterwards.
    with np.errstate(over="ignore", invalid="ignore"):
        for pre, h_prev, h, finished in zip(h_pre, hidden[:-1], hidden[1:], ended):  # noqa: B905 (ended repeats)
            np.dot(h_prev, kernel_h, out=recurrent)
            np.add(pre, recurrent, out=pre)
            act(pre, out=h)
            if finished is not None:  # rows past their length carry their state (dynamic_rnn's copy-through)
                np.copyto(h, h_prev, where=finished)
    raise_on_overflow((h_pre, hidden[1:]), OVERFLOW_ADVICE)
    return BasicRNNTrace(**trace_fields(cfg, args, hidden), h_pre=h_pre.swapaxes(0, 1))


@dataclass(frozen=True, eq=False)
class BasicRNNGradients(HiddenStateGradients):
    """:class:`lstm_core.hidden_state.HiddenStateGradients` (params, inputs, initial_state, dh) and

    Attributes
    ----------
    h_pre : ndarray, shape (batch, time, num_units)
        dL/d ``h_pre`` at each step (0 past a row's end).
    """

    h_pre: np.ndarray


def grad_basic_rnn(trace: BasicRNNTrace, d_outputs: object, d_final_state: object = None) -> BasicRNNGradients:
    """Backpropagate through a BasicRNNCell run.

    Going back from the last step, with ``dh`` the gradient arriving at ``h_t``::

        dh    += d_outputs[t]
        d_pre  = dh * act'(h_pre)
        dh     = d_pre @ kernel_h.T                                 # -> h_{t-1}

    Rows whose sequence has ended carried their state, so their ``dh`` passes through untouched
    and their step gets no gradient. The weights' gradients are sums over every step and row,
    a few large matrix products after the loop.

    The arguments are :func:`lstm_core.grad`'s, ``d_final_state`` being dL/d the final ``h``
    (batch, num_units), checked as :func:`lstm_core.hidden_state.grad_arguments` says.
    """
    if not isinstance(trace, BasicRNNTrace):
        raise ValueError(f"grad_basic_rnn needs a BasicRNNTrace from lstm_core.run, got {type(trace).__name__}.")
    args = grad_arguments(trace, d_outputs, d_final_state)
    cfg, p = trace.config, trace.params
    time, features = trace.inputs.shape[1:]
    h = args.h
    with np.errstate(over="ignore", invalid="ignore"):
        through_act = activation_derivative(cfg.activation)(time_major(trace.h_pre), h)  # d new_h / d h_pre
    kernel_h_t = np.ascontiguousarray(p.kernel[features:].T)
    d_pre = np.empty_like(h)
    dh_steps = np.empty_like(h)
    dh = args.d_final_state  # dL/dh_t through step t + 1 (and the final state)
    for t in range(time - 1, -1, -1):
        rows = args.ended[t]
        dh_here = np.add(dh, args.d_outputs[t], out=dh_steps[t])
        np.multiply(dh_here, through_act[t], out=d_pre[t])
        dh = d_pre[t] @ kernel_h_t
        if rows is not None:  # rows that carried their state through this step pass dh on
            d_pre[t, rows] = 0
            dh[rows] = dh_here[rows]

    x = time_major(trace.inputs)
    d_params = BasicRNNParams(kernel=kernel_gradient(x, args.h_prev, d_pre), bias=d_pre.sum(axis=(0, 1)))
    d_inputs = d_pre @ p.kernel[:features].T
    return BasicRNNGradients(
        params=d_params,
        inputs=d_inputs.swapaxes(0, 1),
        initial_state=dh,
        dh=dh_steps.swapaxes(0, 1),
        h_pre=d_pre.swapaxes(0, 1),
    )
