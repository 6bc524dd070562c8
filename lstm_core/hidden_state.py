"""What the forward and backward passes of the cells whose whole state is ``h`` share.

TensorFlow's BasicRNNCell (:mod:`lstm_core.rnn`) and GRUCell (:mod:`lstm_core.gru`) pass one
array between steps, ``h`` (batch, num_units), which is also their output. This module checks
their arguments (the inputs and ``sequence_length`` as :mod:`lstm_core.run_inputs` does for the
LSTM, and the state ``h``), lays out the states a run fills and the fields every trace of theirs
has, and holds what both backward passes share: their checked arguments, the kernel gradient of
``concat([x_t, h]) @ kernel``, and the gradient record they return.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import HiddenStateConfig
from .params import check_params
from .run_inputs import (
    MAX_VALUES_PER_BUFFER,
    as_gradient,
    as_inputs,
    as_lengths,
    checked_floats,
    finished_steps,
    mask_ended_steps,
    rows_ended_by_step,
    valid_and_outputs,
)
from .trace import HiddenStateTrace

#: What the overflow message advises for these cells (they have no cell_clip).
OVERFLOW_ADVICE = (
    "With relu or identity activations the state can grow without bound; use a smaller weight scale or smaller inputs."
)


def as_hidden_state(initial_state: object, batch: int, units: int, dtype: np.dtype) -> np.ndarray:
    """The initial ``h`` as a contiguous (batch, num_units) array of ``dtype``; None means zeros."""
    if initial_state is None:
        return np.zeros((batch, units), dtype)
    if isinstance(initial_state, tuple | list) and len(initial_state) == 2 and np.ndim(initial_state[0]) == 2:
        raise ValueError(
            "This cell's state is h alone, one array of shape (batch, num_units); a (c, h) pair is an LSTM's state."
        )
    wrong_shape = f"initial_state must have shape (batch, num_units) = {(batch, units)}; got {{got}}."
    return np.ascontiguousarray(checked_floats(initial_state, dtype, (batch, units), "initial_state", wrong_shape))


@dataclass(frozen=True)
class RunArguments:
    """A run's arguments, checked: ``inputs`` (batch, time, input_size) in the run's dtype, the
    weights in that dtype, ``initial_state`` (batch, num_units), one length per row or None, and
    ``done`` (time, batch), True where a row has ended (None if none ends early)."""

    inputs: np.ndarray
    params: Any
    initial_state: np.ndarray
    sequence_length: np.ndarray | None
    done: np.ndarray | None

    def rows_ended_by_step(self) -> Iterable[np.ndarray | None]:
        """For each step, the rows that have ended, as a (batch, 1) mask to broadcast over units,
        or None where none has (every step, when no row ends early)."""
        return itertools.repeat(None) if self.done is None else rows_ended_by_step(self.done, column=True)


def run_arguments(
    config_type: type[HiddenStateConfig],
    cfg: HiddenStateConfig,
    params: object,
    inputs: object,
    initial_state: object,
    sequence_length: object,
    values_per_step: int,
) -> RunArguments:
    """Check a run's arguments for ``cfg``, which must be a ``config_type``; ``values_per_step``
    (per row and step) bounds the run's buffers.

    ``inputs`` (batch, time, input_size) or (time, input_size): float32 stays float32, float64
    stays float64, anything else numeric becomes float64, and ``params`` are cast to that dtype.
    ``initial_state``: ``h_0`` (batch, num_units), or None for zeros. ``sequence_length``: one
    length per row, as ``tf.nn.dynamic_rnn`` takes it (past a row's length its output is 0 and
    its state carried).
    """
    if not isinstance(cfg, config_type):
        raise ValueError(f"cfg must be a {config_type.__name__}, got {type(cfg).__name__}.")
    x = as_inputs(inputs, cfg.input_size)
    batch, time, _ = x.shape
    if batch * time * values_per_step > MAX_VALUES_PER_BUFFER:
        raise ValueError(
            f"This run would record {batch * time * values_per_step:,} values; the limit is "
            f"{MAX_VALUES_PER_BUFFER:,}. Use fewer sequences, steps or units."
        )
    p = check_params(cfg, params, x.dtype)
    lengths = as_lengths(sequence_length, batch, time)
    h0 = as_hidden_state(initial_state, batch, cfg.num_units, x.dtype)
    return RunArguments(x, p, h0, lengths, finished_steps(lengths, time))


def state_buffer(args: RunArguments) -> np.ndarray:
    """The run's time-major states, (time + 1, batch, num_units): ``[0]`` holds ``h_0`` and step t
    writes ``h_t`` into ``[t + 1]``, where step t + 1 reads it."""
    batch, time, _ = args.inputs.shape
    hidden = np.empty((time + 1, batch, args.initial_state.shape[1]), args.inputs.dtype)
    hidden[0] = args.initial_state
    return hidden


def trace_fields(cfg: HiddenStateConfig, args: RunArguments, hidden: np.ndarray) -> dict[str, Any]:
    """The fields every hidden-state trace has (:class:`~lstm_core.trace.HiddenStateTrace`), from the
    run's checked arguments and its filled :func:`state_buffer`."""
    new_h = hidden[1:].swapaxes(0, 1)
    valid, outputs = valid_and_outputs(args.done, new_h)
    return {
        "config": cfg,
        "params": args.params,
        "inputs": args.inputs,
        "initial_state": args.initial_state,
        "sequence_length": args.sequence_length,
        "new_h": new_h,
        "outputs": outputs,
        "valid": valid,
        "final_state": hidden[-1].copy(),
    }


def time_major(array: np.ndarray) -> np.ndarray:
    """A contiguous (time, batch, ...) copy of a batch-major array: elementwise work on strided
    views is several times slower."""
    return np.ascontiguousarray(array.swapaxes(0, 1))


@dataclass(frozen=True)
class GradArguments:
    """A backward pass's arguments, checked, and the states it reads, all time-major: dL/d the
    outputs (zero past each row's end) and dL/d the final ``h``; for each step the rows that have
    ended by then (None where none has); ``h`` after and ``h_prev`` before each step (time, batch,
    num_units)."""

    d_outputs: np.ndarray
    d_final_state: np.ndarray
    ended: list[np.ndarray | None]
    h: np.ndarray
    h_prev: np.ndarray


def grad_arguments(trace: HiddenStateTrace, d_outputs: object, d_final_state: object) -> GradArguments:
    """Check the gradients that arrive at ``trace``'s outputs and final state.

    ``d_outputs``: dL/d ``trace.outputs`` (batch, time, num_units), or None for zeros; values past a
    row's ``sequence_length`` are ignored (those outputs are constant zeros). ``d_final_state``:
    dL/d ``trace.final_state`` (batch, num_units), or None. Gradients come back in the trace's dtype.
    """
    batch, time, _ = trace.inputs.shape
    units, dtype = trace.config.num_units, trace.dtype
    d_out = time_major(as_gradient(d_outputs, (batch, time, units), dtype, "d_outputs"))
    if isinstance(d_final_state, tuple | list) and len(d_final_state) == 2 and np.ndim(d_final_state[0]) == 2:
        raise ValueError(
            "d_final_state is dL/d h alone here, one array of shape (batch, num_units), not a (dc, dh) pair."
        )
    dh = as_gradient(d_final_state, (batch, units), dtype, "d_final_state").copy()
    ended = mask_ended_steps(d_out, trace.valid) or [None] * time
    h = time_major(trace.new_h)
    return GradArguments(d_out, dh, ended, h, np.concatenate([trace.initial_state[None], h[:-1]]))


def kernel_gradient(x: np.ndarray, h: np.ndarray, d_pre: np.ndarray) -> np.ndarray:
    """dL/d a kernel read as ``concat([x_t, h_t]) @ kernel``, from the time-major rows it read
    (``x`` (time, batch, input_size), ``h`` (time, batch, num_units)) and dL/d its products
    ``d_pre`` (time, batch, width): one matrix product per part, summed over every step and row."""
    time, batch, width = d_pre.shape
    flat = d_pre.reshape(time * batch, width)
    return np.concatenate([x.reshape(time * batch, -1).T @ flat, h.reshape(time * batch, -1).T @ flat])


@dataclass(frozen=True, eq=False)
class HiddenStateGradients:
    """What both backward passes return: dL/d everything that went into a run, and dL/d h at every step.

    Attributes
    ----------
    params : BasicRNNParams or GRUParams
        dL/d each weight array, same shapes as ``trace.params``.
    inputs : ndarray, shape (batch, time, input_size)
    initial_state : ndarray, shape (batch, num_units)
        dL/d ``h_0``.
    dh : ndarray, shape (batch, time, num_units)
        dL/d ``new_h`` at each step: everything the loss owes to the state after step t, through
        the outputs of step t and of every later step.
    """

    params: Any
    inputs: np.ndarray
    initial_state: np.ndarray
    dh: np.ndarray
