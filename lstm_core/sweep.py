"""The cell at many forget biases at once: what a live forget_bias slider swaps in as its thumb moves.

:func:`run_sweep` runs a stack of LSTM layers once per forget bias of a grid (every layer gets that
forget bias, as the app's sidebar gives it) and :func:`grad_sweep` backpropagates a loss through
each. Each entry is exactly the run :func:`lstm_core.run_stack` (and :func:`lstm_core.grad`) makes
at that forget bias, bit for bit: the sweep runs them one after another rather than as one batch,
because a batched run sums its matmuls in another order and differs in the last bits. One batched
run would be 3 to 15 times faster; run by run, 101 values take 27 ms for a 60-step, 4-unit cell and
0.17 s at 200 steps of 64 units (``python -m bench.sweep``), well inside a page's rerun.

:func:`sweep_grid` says which grid fits a budget of values, so that a sweep that would exceed what
a page may send is never started: the sizes are checked before anything is allocated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np

from .config import LSTMConfig
from .forward import run_stack
from .grad import Gradients, grad_stack
from .params import LSTMParams
from .trace import Trace

#: The forget biases a live slider can take (the app's slider: -5 to 5 in steps of 0.1).
LOW, HIGH = -5.0, 5.0
#: The grid steps tried, finest first, when a budget leaves no room for 0.1.
GRID_STEPS = (0.1, 0.2, 0.5, 1.0)


def grid(step: float, low: float = LOW, high: float = HIGH) -> np.ndarray:
    """The forget biases from ``low`` to ``high`` every ``step``, rounded as the slider rounds them."""
    count = round((high - low) / step) + 1
    return np.round(low + step * np.arange(count), 10)


def sweep_grid(values_per_run: int, budget: int, *, low: float = LOW, high: float = HIGH) -> np.ndarray | None:
    """The finest grid of GRID_STEPS whose runs together hold at most ``budget`` values
    (``values_per_run`` each), or None when even the coarsest does not fit."""
    for step in GRID_STEPS:
        values = grid(step, low, high)
        if len(values) * values_per_run <= budget:
            return values
    return None


def run_sweep(
    configs: LSTMConfig | Sequence[LSTMConfig],
    params: LSTMParams | Sequence[LSTMParams],
    inputs: object,
    forget_biases: Sequence[float] | np.ndarray,
    initial_states: Sequence[object] | None = None,
    sequence_length: object = None,
) -> list[list[Trace]]:
    """One stack of traces per forget bias: ``run_stack`` with every layer's config at that forget bias.

    Parameters
    ----------
    configs, params : one layer's, or one per layer (as :func:`lstm_core.run_stack` takes them)
    inputs : array_like, shape (batch, time, input_size)
    forget_biases : sequence of float, at least one, each finite
    initial_states, sequence_length : as :func:`lstm_core.run_stack`

    Returns
    -------
    list of list of Trace
        ``result[k][layer]`` is the trace of ``layer`` at ``forget_biases[k]``.
    """
    return list(iter_sweep(configs, params, inputs, forget_biases, initial_states, sequence_length))


def iter_sweep(
    configs: LSTMConfig | Sequence[LSTMConfig],
    params: LSTMParams | Sequence[LSTMParams],
    inputs: object,
    forget_biases: Sequence[float] | np.ndarray,
    initial_states: Sequence[object] | None = None,
    sequence_length: object = None,
) -> Iterator[list[Trace]]:
    """:func:`run_sweep` one forget bias at a time: yields each stack of traces in turn, so that a
    caller keeping only part of each run (one sequence of one layer) never holds them all."""
    if isinstance(configs, LSTMConfig):
        configs, params = [configs], [params]
    configs, params = list(configs), list(params)
    biases = [float(fb) for fb in np.asarray(forget_biases, dtype=np.float64).reshape(-1)]
    if not biases:
        raise ValueError("A sweep needs at least one forget bias.")
    if not all(math.isfinite(fb) for fb in biases):
        raise ValueError("Every forget bias of a sweep must be a finite number.")
    # Checked above, when called; the runs happen as the caller asks for them.
    return (
        run_stack([replace(cfg, forget_bias=fb) for cfg in configs], params, inputs, initial_states, sequence_length)
        for fb in biases
    )


def grad_sweep(
    sweep: Sequence[Sequence[Trace]], d_outputs: object, d_final_states: Sequence[object] | None = None
) -> list[list[Gradients]]:
    """:func:`lstm_core.grad_stack` of each stack of a :func:`run_sweep`, with the same loss for all."""
    return [grad_stack(traces, d_outputs, d_final_states) for traces in sweep]
