"""A plain, readable LSTM: four separate weight matrices per input, one gate at a time.

This is the seeds' hand-written LSTM (``Wi, Ui, bi`` for the input gate, and so on), in NumPy. It
is deliberately slow and obvious: the tests check the fast, fused :func:`lstm_core.run` against it,
and bench/core.py times it as the baseline. Basic cell only (no peepholes, clipping, projection).
"""

from __future__ import annotations

import numpy as np

from .config import LSTMConfig
from .params import LSTMParams


def split_weights(cfg: LSTMConfig, params: LSTMParams) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The fused kernel as the seeds' per-gate matrices: ``{gate: (W, U, b)}`` for i, j, f, o,
    with ``W`` (input_size, num_units) reading x and ``U`` (num_units, num_units) reading h."""
    weights = {}
    for gate in ("i", "j", "f", "o"):
        block, bias = params.gate_block(gate)
        weights[gate] = (block[: cfg.input_size], block[cfg.input_size :], bias)
    return weights


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def naive_lstm(cfg: LSTMConfig, params: LSTMParams, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the basic cell step by step; returns (h for every step (batch, time, units), final c)."""
    if cfg.use_peepholes or cfg.coupled or cfg.num_proj or cfg.cell_clip is not None or cfg.activation != "tanh":
        raise ValueError("naive_lstm covers the basic tanh cell only.")
    w = split_weights(cfg, params)
    batch, time, _ = inputs.shape
    h = np.zeros((batch, cfg.num_units), inputs.dtype)
    c = np.zeros((batch, cfg.num_units), inputs.dtype)
    outputs = []
    for t in range(time):
        x = inputs[:, t]
        input_gate = _sigmoid(x @ w["i"][0] + h @ w["i"][1] + w["i"][2])
        forget_gate = _sigmoid(x @ w["f"][0] + h @ w["f"][1] + w["f"][2] + cfg.forget_bias)
        output_gate = _sigmoid(x @ w["o"][0] + h @ w["o"][1] + w["o"][2])
        new_input = np.tanh(x @ w["j"][0] + h @ w["j"][1] + w["j"][2])
        c = forget_gate * c + input_gate * new_input
        h = output_gate * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), c
