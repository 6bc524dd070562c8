"""The forward pass: TensorFlow's LSTMCell over a whole sequence, recording every intermediate.

For each step t (TensorFlow's ``LSTMCell.call``, with ``act`` the configured activation)::

    gate_inputs = concat([x_t, h_{t-1}]) @ kernel + bias        # (batch, 4 * num_units)
    i_pre, j_pre, f_pre, o_pre = split(gate_inputs, 4)           # TF order: i, j, f, o
    i = sigmoid(i_pre + w_i_diag * c_{t-1})                     # peephole term only if use_peepholes
    f = sigmoid(f_pre + forget_bias + w_f_diag * c_{t-1})
    i = 1 - f                                                    # instead, when coupled (CIFG)
    j = act(j_pre)
    new_c = clip(f * c_{t-1} + i * j, cell_clip)                 # clip only if cell_clip is set
    o = sigmoid(o_pre + w_o_diag * new_c)                        # the output peephole reads new_c
    m = o * act(new_c)
    new_h = clip(m @ proj_kernel, proj_clip)                     # only if num_proj; else new_h = m

``sigmoid`` is the gates' function, ``recurrent_activation``: the logistic sigmoid, or Keras's hard
sigmoid (``clip(0.2 x + 0.5, 0, 1)`` in Keras 2, ``relu6(x + 3) / 6`` in Keras 3), each computed
from the negated input as the sigmoid is (below).

Greff et al.'s variants change one line each: NIG sets i = 1, NFG f = 1, NOG o = 1; NIAF drops
``act`` from j, NOAF from ``act(new_c)``.

**To read the cell, start with** :func:`lstm_core.reference.naive_steps`: the same equations written
plainly, one gate a line with its own W, U and b, every option an ``if``. The tests prove this fast
version equal to it for every combination of options (tests/core/test_greff.py, hypothesis) and
to TensorFlow (test_tf_parity.py). What follows is the same maths arranged for speed.

Vectorised as Karpathy's batched LSTM keeps IFOG and IFOGf: every quantity goes into a
preallocated, time-major buffer; each step is one matmul and about ten NumPy calls, none of them a
Python loop over batch, units or gates. For large batches the input's share of every step is one
matmul before the loop; for small ones it rides along in the per-step matmul (``xh``). Each NumPy
call costs about a microsecond, so at small sizes their number *is* the run time, and three
layout choices keep it low:

- the kernel's column blocks are reordered to o, f, i, j, so the sigmoid gates (o, f, i) are one
  contiguous block, activated by a single exp;
- the sigmoid blocks of the kernel, bias and forget bias are negated up front, so each step's
  buffer already holds ``-(pre-activation)``, the argument ``sigmoid_of_negated`` wants (the raw
  pre-activations are recovered after the loop in two vectorised calls);
- ``c_{t-1}`` and ``j`` are stored side by side (``cell_j``), as are f and i, so
  ``f * c_{t-1} + i * j`` is one multiply and one add.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .activations import GATE_FUNCTIONS_OF_NEGATED, activation_function, negate, scalar, sigmoid_of_negated
from .config import LSTMConfig
from .gru import GRUConfig, GRUParams, GRUTrace, run_gru
from .params import LSTMParams, check_params
from .rnn import BasicRNNConfig, BasicRNNParams, BasicRNNTrace, run_basic_rnn
from .run_inputs import (
    MAX_VALUES_PER_BUFFER,
    as_inputs,
    as_lengths,
    checked_floats,
    finished_steps,
    raise_on_overflow,
    rows_ended_by_step,
    valid_and_outputs,
)
from .trace import LSTMStateTuple, Trace

# Internal column blocks o, f, i, j, as indices into TensorFlow's (i, j, f, o).
_INTERNAL_ORDER = (3, 2, 0, 1)


def _as_state(initial_state: object, batch: int, cfg: LSTMConfig, dtype: np.dtype) -> LSTMStateTuple:
    units, depth = cfg.num_units, cfg.h_depth
    if initial_state is None:
        return LSTMStateTuple(np.zeros((batch, units), dtype), np.zeros((batch, depth), dtype))
    if isinstance(initial_state, np.ndarray) and initial_state.ndim == 2:
        # state_is_tuple=False: the concatenated [c, h] TensorFlow used to pass around.
        if initial_state.shape != (batch, units + depth):
            raise ValueError(
                f"A concatenated initial_state must have shape (batch, num_units + h_depth) = "
                f"{(batch, units + depth)}; got {initial_state.shape}."
            )
        initial_state = (initial_state[:, :units], initial_state[:, units:])
    if not isinstance(initial_state, tuple | list) or len(initial_state) != 2:
        raise ValueError("initial_state must be None, an LSTMStateTuple(c, h) or a (c, h) pair.")
    parts = []
    for name, value, width in (("c", initial_state[0], units), ("h", initial_state[1], depth)):
        wrong_shape = (
            f"initial_state.{name} must have shape (batch, {'num_units' if name == 'c' else 'h_depth'})"
            f" = {(batch, width)}; got {{got}}."
        )
        array = checked_floats(value, dtype, (batch, width), f"initial_state.{name}", wrong_shape)
        parts.append(np.ascontiguousarray(array))
    return LSTMStateTuple(*parts)


def run(
    cfg: LSTMConfig | BasicRNNConfig | GRUConfig,
    params: LSTMParams | BasicRNNParams | GRUParams,
    inputs: object,
    initial_state: object = None,
    sequence_length: object = None,
) -> Trace | BasicRNNTrace | GRUTrace:
    """Run the cell over ``inputs`` and record every intermediate value.

    Parameters
    ----------
    cfg : LSTMConfig
    params : LSTMParams
        Cast to the inputs' dtype.
    inputs : array_like, shape (batch, time, input_size) or (time, input_size)
        float32 stays float32, float64 stays float64, anything else becomes float64.
    initial_state : LSTMStateTuple, (c, h) pair, concatenated (batch, num_units + h_depth) array, or None
        None means zeros. ``c`` is (batch, num_units), ``h`` is (batch, h_depth).
    sequence_length : array_like of int, shape (batch,), optional
        As ``tf.nn.dynamic_rnn``: at ``t >= sequence_length[b]`` the output is 0 and the row's
        state is carried unchanged.

    Returns
    -------
    Trace
        For a :class:`~lstm_core.BasicRNNConfig` or :class:`~lstm_core.GRUConfig`, that cell's
        own trace (:func:`lstm_core.rnn.run_basic_rnn`, :func:`lstm_core.gru.run_gru`).
    """
    if isinstance(cfg, BasicRNNConfig):
        return run_basic_rnn(cfg, params, inputs, initial_state, sequence_length)
    if isinstance(cfg, GRUConfig):
        return run_gru(cfg, params, inputs, initial_state, sequence_length)
    if not isinstance(cfg, LSTMConfig):
        raise ValueError(f"cfg must be an LSTMConfig, got {type(cfg).__name__}.")
    x = as_inputs(inputs, cfg.input_size)
    p = check_params(cfg, params, x.dtype)
    batch, time, _ = x.shape
    if batch * time * 4 * max(cfg.num_units, cfg.h_depth) > MAX_VALUES_PER_BUFFER:
        raise ValueError(
            f"This run would record {batch * time * 4 * cfg.num_units:,} gate values; the limit is "
            f"{MAX_VALUES_PER_BUFFER:,}. Use fewer sequences, steps or units."
        )
    state0 = _as_state(initial_state, batch, cfg, x.dtype)
    lengths = as_lengths(sequence_length, batch, time)
    done = finished_steps(lengths, time)
    buffers = _forward(cfg, p, x, state0, done)
    _check_finite(buffers)
    return _trace(cfg, p, x, state0, lengths, done, buffers)


#: Fold the inputs into the per-step matmul while that adds at most this many multiply-adds per
#: step (batch * input_size * 4 * num_units); above it, one matmul over all steps is cheaper.
FOLD_INPUTS_MAX = 65_536


def _forward(
    cfg: LSTMConfig, p: LSTMParams, x: np.ndarray, state0: LSTMStateTuple, done: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The time loop, on time-major buffers (see the module docstring for their layout)."""
    batch, time, features = x.shape
    units, depth, dtype = cfg.num_units, cfg.h_depth, x.dtype
    f_ = slice(units, 2 * units)  # the forget gate's internal column block (o, f, i, j)
    # One weight matrix for the row [x_t, h_prev, 1]: the kernel's rows, then the bias, with
    # columns in internal order, the sigmoid blocks (o, f, i) negated and the forget bias folded
    # into f: xh_t @ weights = (-o_pre, -(f_pre + forget_bias), -i_pre, j_pre).
    columns = np.arange(4 * units).reshape(4, units)[list(_INTERNAL_ORDER)].ravel()
    sign = np.ones(4 * units, dtype)
    sign[: 3 * units] = -1
    weights = np.empty((features + depth + 1, 4 * units), dtype)
    weights[:-1] = p.kernel[:, columns]
    weights[-1] = p.bias[columns]
    weights[-1, f_] += dtype.type(cfg.forget_bias)
    weights *= sign

    # xh[t] = [x_t, h_{t-1}, 1]: step t writes its h straight into xh[t + 1], where step t + 1
    # reads it, so the per-step matmul needs no concatenation and no separate bias add. For large
    # batches the input's share is instead one big matmul before the loop (far more efficient
    # than the same flops spread over the steps), and xh holds just h.
    fold = batch * features * 4 * units <= FOLD_INPUTS_MAX
    gates_in = np.empty((time, batch, 4 * units), dtype)
    if fold:
        xh = np.empty((time + 1, batch, features + depth + 1), dtype)
        xh[:time, :, :features] = x.swapaxes(0, 1)
        xh[time, :, :features] = 0
        xh[:, :, -1] = 1
        h_slots = xh[:, :, features:-1]
    else:
        xh = h_slots = np.empty((time + 1, batch, depth), dtype)
        x_time_major = np.ascontiguousarray(x.swapaxes(0, 1)).reshape(time * batch, features)
        np.dot(x_time_major, weights[:features], out=gates_in.reshape(time * batch, 4 * units))
        gates_in += weights[-1]
        weights = np.ascontiguousarray(weights[features:-1])
    h_slots[0] = state0.h
    buffers = {
        "xh": xh,
        "gates_in": gates_in,  # signed pre-activations, as above
        "gates": np.empty((time, batch, 3 * units), dtype),  # sigmoid(o), sigmoid(f), sigmoid(i)
        "cell_j": np.empty((time + 1, batch, 2 * units), dtype),  # [t] = (c_{t-1}, j_t)
        "h_prev": h_slots[0],
        "hidden": h_slots[1:],
    }
    buffers["m"] = buffers["hidden"] if cfg.num_proj is None else np.empty((time, batch, units), dtype)
    buffers["cell_j"][0, :, :units] = state0.c
    buffers["cell_j"][time, :, units:] = 0  # no j after the last step

    # Overflow only comes from huge inputs or weights, or from a relu/identity cell whose state
    # grows without bound; _check_finite reports it once, afterwards, instead of at every step.
    with np.errstate(over="ignore", invalid="ignore"):
        _steps(cfg, p, weights, buffers, done, fold)
    return buffers


def _steps(
    cfg: LSTMConfig,
    p: LSTMParams,
    weights: np.ndarray,
    buffers: dict[str, np.ndarray],
    done: np.ndarray | None,
    fold: bool,
) -> None:
    """The step loop: fills ``buffers`` (time-major) in place, one step after another."""
    xh, gates_in, gates, cell_j, hidden, m_out = (
        buffers[k] for k in ("xh", "gates_in", "gates", "cell_j", "hidden", "m")
    )
    time, batch, units = m_out.shape
    o_, f_, i_, j_ = (slice(k * units, (k + 1) * units) for k in range(4))
    dtype = gates.dtype
    act_j = activation_function(cfg.input_activation)
    act_c = activation_function(cfg.output_activation)
    # The gates' function of their negated input; the (default) sigmoid is inlined below.
    gate_of_negated = GATE_FUNCTIONS_OF_NEGATED[cfg.recurrent_activation]
    inline_sigmoid = gate_of_negated is sigmoid_of_negated
    one = scalar(1.0, dtype)
    peep, coupled = cfg.use_peepholes, cfg.coupled
    fixed_o, fixed_f = cfg.no_output_gate, cfg.no_forget_gate
    # Gates fixed at 1 (Greff's NIG, NFG, NOG) are filled once here and left out of the loop's
    # work where they sit at an end of the block below; f, in its middle, is refilled each step.
    for gate, block in (("i", i_), ("f", f_), ("o", o_)):
        if gate in cfg.fixed_gates:
            gates[:, :, block] = one
    # The sigmoid gates activated together before the cell update: o, f, i; without o when it has a
    # peephole (o reads new_c) or is fixed; without i when coupled (i = 1 - f) or fixed.
    first = f_.start if peep or fixed_o else 0
    last = f_.stop if coupled or cfg.no_input_gate else i_.stop
    if peep:
        peep_fi = np.concatenate([p.w_f_diag, p.w_i_diag]).reshape(2, units)[: (last - first) // units]
        w_o = p.w_o_diag
    clip_c = None if cfg.cell_clip is None else (scalar(-cfg.cell_clip, dtype), scalar(cfg.cell_clip, dtype))
    clip_h = None if cfg.proj_clip is None else (scalar(-cfg.proj_clip, dtype), scalar(cfg.proj_clip, dtype))
    products = np.empty((batch, 2 * units), dtype)
    recurrent = np.empty((batch, 4 * units), dtype)
    product_c, product_j = products[:, :units], products[:, units:]
    unused = itertools.repeat(None)
    # Every step's views, made once before the loop (a view costs about as much as a small NumPy
    # call), only the ones this variant uses: each field holds one view per step (or repeats None).
    per_step = _Step(
        xh=xh[:-1],
        gate_inputs=gates_in,
        signed_inputs=gates_in[:, :, first:last] if not peep else unused,
        peephole_inputs=gates_in[:, :, first:last].reshape(time, batch, -1, units) if peep else unused,
        o_input=gates_in[:, :, o_] if peep else unused,
        j_pre=gates_in[:, :, j_],
        gates_together=gates[:, :, first:last] if not peep else gates[:, :, first:last].reshape(time, batch, -1, units),
        o=gates[:, :, o_],
        f=gates[:, :, f_] if coupled or fixed_f else unused,
        i=gates[:, :, i_] if coupled else unused,
        f_and_i=gates[:, :, f_.start : i_.stop],
        c_prev_and_j=cell_j[:-1],
        j=cell_j[:-1, :, units:],
        new_c=cell_j[1:, :, :units],
        m=m_out,
        h=hidden if cfg.num_proj is not None else unused,
        finished=unused if done is None else rows_ended_by_step(done, column=True),
    )
    project = cfg.num_proj is not None
    # Local names: each step makes ~10 calls, and a global lookup per call is measurable here
    # (python -m bench.core times the small sizes, where the calls are the run time).
    dot, add, subtract, multiply, exp, reciprocal = np.dot, np.add, np.subtract, np.multiply, np.exp, np.reciprocal
    c_prev, h_prev = cell_j[0, :, :units], buffers["h_prev"]
    # Step by step, the fields of _Step by name. (Not a _Step per step, read by attribute: building it
    # and ~35 attribute reads cost about a microsecond a step, a quarter of a step at small sizes;
    # python -m bench.core.) Not strict: the None placeholders repeat forever; the rest has `time` steps.
    for (
        xh_t, gate_inputs, signed_inputs, peephole_inputs, o_input, j_pre, gates_together,
        o, f, i, f_and_i, c_prev_and_j, j, new_c, m, h, finished,
    ) in zip(*per_step):  # noqa: B905  # fmt: skip
        # gate_inputs = [x_t, h_{t-1}] @ kernel + bias, signed: (-o_pre, -(f_pre + forget_bias), -i_pre, j_pre)
        if fold:
            dot(xh_t, weights, out=gate_inputs)
        else:
            dot(xh_t, weights, out=recurrent)
            add(gate_inputs, recurrent, out=gate_inputs)
        # f = sigmoid(f_pre + forget_bias [+ w_f * c_{t-1}]), i = sigmoid(i_pre [+ w_i * c_{t-1}]), and o
        # with them when it has no peephole: one exp for all (sigmoid(x) = 1 / (1 + exp(-x))).
        if peep:
            multiply(c_prev[:, None, :], peep_fi, out=gates_together)
            subtract(peephole_inputs, gates_together, out=gates_together)
            gate_of_negated(gates_together)
        elif inline_sigmoid:  # sigmoid_of_negated(signed_inputs, out=gates_together), inlined
            exp(signed_inputs, out=gates_together)
            add(gates_together, one, out=gates_together)
            reciprocal(gates_together, out=gates_together)
        else:
            gate_of_negated(signed_inputs, out=gates_together)
        if coupled:  # i = 1 - f
            subtract(one, f, out=i)
        elif fixed_f:  # NFG: f = 1
            f.fill(one)
        act_j(j_pre, out=j)  # j = act(j_pre)

        # new_c = f * c_{t-1} + i * j  [clipped to cell_clip]
        multiply(f_and_i, c_prev_and_j, out=products)
        add(product_c, product_j, out=new_c)
        if clip_c is not None:
            np.clip(new_c, *clip_c, out=new_c)
        if peep and not fixed_o:  # o = sigmoid(o_pre + w_o * new_c): the output gate reads the new state
            multiply(new_c, w_o, out=o)
            subtract(o_input, o, out=o)
            gate_of_negated(o)
        act_c(new_c, out=m)  # m = o * act(new_c)
        multiply(o, m, out=m)
        if not project:
            h = m
        else:  # new_h = m @ proj_kernel  [clipped to proj_clip]
            np.matmul(m, p.proj_kernel, out=h)
            if clip_h is not None:
                np.clip(h, *clip_h, out=h)
        if finished is not None:  # rows past their sequence_length carry their state (dynamic_rnn)
            np.copyto(new_c, c_prev, where=finished)
            np.copyto(h, h_prev, where=finished)
        c_prev, h_prev = new_c, h


class _Step(NamedTuple):
    """The views of one step into the time-major buffers (None where this variant needs none).

    ``_steps`` builds one whose every field holds all the steps' views, and walks them together."""

    xh: np.ndarray  # [x_t, h_{t-1}, 1] (or h_{t-1} alone, when the inputs' share is done before the loop)
    gate_inputs: np.ndarray  # the signed pre-activations (-o, -f, -i, j), (batch, 4 * units)
    signed_inputs: np.ndarray | None  # those of the sigmoid gates computed together (no peepholes)
    peephole_inputs: np.ndarray | None  # the same as (batch, gates, units), when f and i read c_{t-1}
    o_input: np.ndarray | None  # the output gate's signed input, when it reads new_c
    j_pre: np.ndarray  # the new input before its activation
    gates_together: np.ndarray  # where the gates computed together go: (o,) f, i
    o: np.ndarray
    f: np.ndarray | None  # its own view, when it is set apart (coupled, NFG)
    i: np.ndarray | None  # its own view, when it is 1 - f (coupled)
    f_and_i: np.ndarray  # (f, i) side by side
    c_prev_and_j: np.ndarray  # (c_{t-1}, j) side by side: f * c_prev + i * j is one multiply and one add
    j: np.ndarray
    new_c: np.ndarray
    m: np.ndarray  # o * act(new_c); it is new_h without a projection
    h: np.ndarray | None  # new_h, when there is a projection
    finished: np.ndarray | None  # (batch, 1): the rows that ended before this step, if any did


def _check_finite(buffers: dict[str, np.ndarray]) -> None:
    """Raise a learner-readable ValueError if any step overflowed (see :func:`raise_on_overflow`)."""
    cell = buffers["cell_j"][1:, :, : buffers["m"].shape[2]]
    raise_on_overflow((buffers["gates_in"], cell, buffers["hidden"]))


def _trace(
    cfg: LSTMConfig,
    p: LSTMParams,
    x: np.ndarray,
    state0: LSTMStateTuple,
    lengths: np.ndarray | None,
    done: np.ndarray | None,
    buffers: dict[str, np.ndarray],
) -> Trace:
    """Batch-major views of the time-major buffers, by name."""
    units = cfg.num_units
    o_, f_, i_, j_ = (slice(k * units, (k + 1) * units) for k in range(4))
    gates_in, gates, cell_j, hidden = buffers["gates_in"], buffers["gates"], buffers["cell_j"], buffers["hidden"]
    # Undo the sign flip (and the folded forget bias): the trace shows TensorFlow's raw split.
    negate(gates_in[:, :, : 3 * units], out=gates_in[:, :, : 3 * units])
    gates_in[:, :, f_] -= x.dtype.type(cfg.forget_bias)

    def batch_major(a: np.ndarray) -> np.ndarray:
        return a.swapaxes(0, 1)

    new_h = batch_major(hidden)
    valid, outputs = valid_and_outputs(done, new_h)
    new_c = cell_j[1:, :, :units]
    return Trace(
        config=cfg,
        params=p,
        inputs=x,
        initial_state=state0,
        sequence_length=lengths,
        i=batch_major(gates[:, :, i_]),
        j=batch_major(cell_j[:-1, :, units:]),
        f=batch_major(gates[:, :, f_]),
        o=batch_major(gates[:, :, o_]),
        i_pre=batch_major(gates_in[:, :, i_]),
        j_pre=batch_major(gates_in[:, :, j_]),
        f_pre=batch_major(gates_in[:, :, f_]),
        o_pre=batch_major(gates_in[:, :, o_]),
        new_c=batch_major(new_c),
        m=batch_major(buffers["m"]),
        new_h=new_h,
        outputs=outputs,
        valid=valid,
        final_state=LSTMStateTuple(new_c[-1].copy(), hidden[-1].copy()),
    )


def run_stack(
    configs: Sequence[LSTMConfig | BasicRNNConfig | GRUConfig],
    params: Sequence[LSTMParams | BasicRNNParams | GRUParams],
    inputs: object,
    initial_states: Sequence[object] | None = None,
    sequence_length: object = None,
) -> list[Trace | BasicRNNTrace | GRUTrace]:
    """Run stacked layers as TensorFlow's MultiRNNCell: layer k's outputs are layer k+1's inputs.

    Returns one trace per layer (each layer's cell's own: the layers of a stack are usually all
    LSTMs, all basic RNNs or all GRUs); the last layer's ``outputs`` are the stack's output.
    """
    configs, params = list(configs), list(params)
    if not configs:
        raise ValueError("run_stack needs at least one layer.")
    if len(params) != len(configs):
        raise ValueError(f"run_stack got {len(configs)} configs but {len(params)} parameter sets.")
    if initial_states is None:
        initial_states = [None] * len(configs)
    initial_states = list(initial_states)
    if len(initial_states) != len(configs):
        raise ValueError(f"run_stack got {len(configs)} layers but {len(initial_states)} initial states.")
    for k in range(1, len(configs)):
        if configs[k].input_size != configs[k - 1].h_depth:
            raise ValueError(
                f"Layer {k + 1} has input_size {configs[k].input_size}, but layer {k} outputs "
                f"{configs[k - 1].h_depth} values per step; they must match."
            )
    traces: list[Trace | BasicRNNTrace | GRUTrace] = []
    layer_inputs = inputs
    for cfg, layer_params, state in zip(configs, params, initial_states, strict=True):
        trace = run(cfg, layer_params, layer_inputs, state, sequence_length)
        traces.append(trace)
        layer_inputs = trace.outputs
    return traces
