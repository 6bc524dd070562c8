"""A plain, readable LSTM: four separate weight matrices per input, one gate at a time.

This is the seeds' hand-written LSTM (``Wi, Ui, bi`` for the input gate, and so on), in NumPy. It
is deliberately slow and obvious: the tests check the fast, fused :func:`lstm_core.run` against it,
and bench/core.py times it as the baseline. :func:`naive_steps` covers every option of
:class:`~lstm_core.LSTMConfig` (peepholes, coupled, clipping, projection, Greff's variants, the hard-sigmoid gates), one
``if`` per option, written from the equations rather than from the fast code.
:func:`naive_basic_rnn` and :func:`naive_gru` do the same for TensorFlow's BasicRNNCell and GRUCell.
"""

from __future__ import annotations

import numpy as np

from .config import LSTMConfig
from .gru import GRUConfig, GRUParams
from .params import LSTMParams
from .rnn import BasicRNNConfig, BasicRNNParams

_ACT = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "identity": lambda x: x,
}


def split_weights(cfg: LSTMConfig, params: LSTMParams) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The fused kernel as the seeds' per-gate matrices: ``{gate: (W, U, b)}`` for i, j, f, o,
    with ``W`` (input_size, num_units) reading x and ``U`` (h_depth, num_units) reading h."""
    weights = {}
    for gate in ("i", "j", "f", "o"):
        block, bias = params.gate_block(gate)
        weights[gate] = (block[: cfg.input_size], block[cfg.input_size :], bias)
    return weights


#: The gates' functions by ``recurrent_activation``, written from their definitions.
_GATE = {
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0),  # Keras 2
    "hard_sigmoid_keras3": lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,  # relu6(x + 3) / 6
}


def naive_steps(cfg: LSTMConfig, params: LSTMParams, inputs: np.ndarray, initial_state=None) -> dict[str, np.ndarray]:
    """Run any configured cell step by step; every quantity stacked as (batch, time, width)."""
    w = split_weights(cfg, params)
    batch, time, _ = inputs.shape
    if initial_state is None:
        c = np.zeros((batch, cfg.num_units), inputs.dtype)
        h = np.zeros((batch, cfg.h_depth), inputs.dtype)
    else:
        c, h = (np.asarray(a, inputs.dtype) for a in initial_state)
    act_j, act_c = _ACT[cfg.input_activation], _ACT[cfg.output_activation]
    gate = _GATE[cfg.recurrent_activation]
    record: dict[str, list[np.ndarray]] = {name: [] for name in ("i", "j", "f", "o", "new_c", "m", "new_h")}
    for t in range(time):
        x = inputs[:, t]
        # The four pre-activations, each from its own W, U, b (the seeds' per-gate form).
        pre = {gate: x @ W + h @ U + b for gate, (W, U, b) in w.items()}
        f_in = pre["f"] + cfg.forget_bias
        i_in = pre["i"]
        if cfg.use_peepholes:
            f_in = f_in + params.w_f_diag * c
            i_in = i_in + params.w_i_diag * c
        forget_gate = np.ones_like(c) if cfg.no_forget_gate else gate(f_in)
        if cfg.coupled:
            input_gate = 1.0 - forget_gate
        elif cfg.no_input_gate:
            input_gate = np.ones_like(c)
        else:
            input_gate = gate(i_in)
        new_input = act_j(pre["j"])
        c = forget_gate * c + input_gate * new_input
        if cfg.cell_clip is not None:
            c = np.clip(c, -cfg.cell_clip, cfg.cell_clip)
        o_in = pre["o"]
        if cfg.use_peepholes:
            o_in = o_in + params.w_o_diag * c
        output_gate = np.ones_like(c) if cfg.no_output_gate else gate(o_in)
        m = output_gate * act_c(c)
        h = m
        if cfg.num_proj is not None:
            h = m @ params.proj_kernel
            if cfg.proj_clip is not None:
                h = np.clip(h, -cfg.proj_clip, cfg.proj_clip)
        for name, value in zip(record, (input_gate, new_input, forget_gate, output_gate, c, m, h), strict=True):
            record[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in record.items()}


def naive_lstm(cfg: LSTMConfig, params: LSTMParams, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the cell step by step; returns (h for every step (batch, time, h_depth), final c)."""
    steps = naive_steps(cfg, params, inputs)
    return steps["new_h"], steps["new_c"][:, -1]


def naive_basic_rnn(cfg: BasicRNNConfig, params: BasicRNNParams, inputs: np.ndarray, initial_state=None) -> np.ndarray:
    """TensorFlow's BasicRNNCell step by step, the kernel split into ``W`` (reading x) and ``U``
    (reading h): ``h = act(x @ W + h @ U + b)``. Returns h for every step, (batch, time, num_units)."""
    W, U = params.kernel[: cfg.input_size], params.kernel[cfg.input_size :]
    batch, time, _ = inputs.shape
    h = np.zeros((batch, cfg.num_units)) if initial_state is None else np.asarray(initial_state, float)
    act = _ACT[cfg.activation]
    steps = []
    for t in range(time):
        h = act(inputs[:, t] @ W + h @ U + params.bias)
        steps.append(h)
    return np.stack(steps, axis=1)


def naive_gru(cfg: GRUConfig, params: GRUParams, inputs: np.ndarray, initial_state=None) -> dict[str, np.ndarray]:
    """TensorFlow's GRUCell step by step, one matrix per gate and per input (``W_r, U_r, b_r`` for
    the reset gate, and so on), as the GRU is usually written. Returns r, u, c and new_h for every
    step, each (batch, time, num_units)."""
    d, n = cfg.input_size, cfg.num_units
    W_r, U_r, b_r = params.gate_kernel[:d, :n], params.gate_kernel[d:, :n], params.gate_bias[:n]
    W_u, U_u, b_u = params.gate_kernel[:d, n:], params.gate_kernel[d:, n:], params.gate_bias[n:]
    W_c, U_c, b_c = params.candidate_kernel[:d], params.candidate_kernel[d:], params.candidate_bias
    batch, time, _ = inputs.shape
    h = np.zeros((batch, n)) if initial_state is None else np.asarray(initial_state, float)
    act = _ACT[cfg.activation]
    record: dict[str, list[np.ndarray]] = {name: [] for name in ("r", "u", "c", "new_h")}
    for t in range(time):
        x = inputs[:, t]
        reset = _GATE["sigmoid"](x @ W_r + h @ U_r + b_r)
        update = _GATE["sigmoid"](x @ W_u + h @ U_u + b_u)
        candidate = act(x @ W_c + (reset * h) @ U_c + b_c)
        h = update * h + (1 - update) * candidate
        for name, value in zip(record, (reset, update, candidate, h), strict=True):
            record[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in record.items()}
