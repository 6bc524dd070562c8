"""Make tests/data/torch_rnn_grad_golden.npz: PyTorch autograd gradients of TensorFlow's BasicRNNCell
and GRUCell, to check lstm_core.rnn and lstm_core.gru's backward passes.

PyTorch is not a test dependency; regenerate with:

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python scripts/make_torch_rnn_grad_golden.py

A file of its own, not more cases in tests/data/torch_grad_golden.npz: regenerating that file on
this machine's PyTorch build changes its outputs and gradients in the last bits (about 1e-16
relative), and its LSTM cases are kept as they were made.

Every case is float64 with the loss ``sum(outputs * r_out) + sum(h_T * r_h)`` for fixed random
``r_*``, and stores the inputs, the weights, the loss weights and autograd's gradient of every
leaf, as ``<case>__<name>``:

- ``rnn_tanh``, ``rnn_relu``, ``gru_tanh``, ``gru_softsign``: TensorFlow's cells written out in
  PyTorch ops (``basic_rnn_run``, ``gru_run``), with sequence_length (rows that end early carry
  their state, as tf.nn.dynamic_rnn) and an initial state. Weights in lstm_core's layout
  (``param.kernel`` ...), gradients ``grad.kernel`` ..., ``config`` the cell's config as JSON.
- ``nn_rnn``: ``torch.nn.RNN`` itself (its own fused backward), the same cell as BasicRNNCell with
  two biases that add up; weights as ``param.<state_dict key>``, gradients ``grad.param.<key>``.
- ``nn_gru``: ``torch.nn.GRU``'s outputs only, to show that it is another cell (its reset gate
  acts after the candidate's matmul).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_grad_golden import BATCH, TIME

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_rnn_grad_golden.npz"
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "softsign": torch.nn.functional.softsign}


def basic_rnn_run(cfg: dict, w: dict[str, torch.Tensor], x, h, lengths):
    """TensorFlow's BasicRNNCell (tf.compat.v1.nn.rnn_cell), step by step, in PyTorch ops."""
    act = ACTIVATIONS[cfg["activation"]]
    outputs = []
    for t in range(x.shape[1]):
        new_h = act(torch.cat([x[:, t], h], dim=1) @ w["kernel"] + w["bias"])
        alive = (t < lengths)[:, None]
        h = torch.where(alive, new_h, h)
        outputs.append(torch.where(alive, new_h, torch.zeros_like(new_h)))
    return torch.stack(outputs, dim=1), h


def gru_run(cfg: dict, w: dict[str, torch.Tensor], x, h, lengths):
    """TensorFlow 1.x's GRUCell (tf.compat.v1.nn.rnn_cell), step by step, in PyTorch ops."""
    act = ACTIVATIONS[cfg["activation"]]
    outputs = []
    for t in range(x.shape[1]):
        gates = torch.sigmoid(torch.cat([x[:, t], h], dim=1) @ w["gate_kernel"] + w["gate_bias"])
        r, u = torch.split(gates, cfg["num_units"], dim=1)
        c = act(torch.cat([x[:, t], r * h], dim=1) @ w["candidate_kernel"] + w["candidate_bias"])
        new_h = u * h + (1 - u) * c
        alive = (t < lengths)[:, None]
        h = torch.where(alive, new_h, h)
        outputs.append(torch.where(alive, new_h, torch.zeros_like(new_h)))
    return torch.stack(outputs, dim=1), h


def loss_weights(gen: torch.Generator, units: int) -> dict[str, torch.Tensor]:
    return {
        "r_out": torch.randn(BATCH, TIME, units, generator=gen, dtype=torch.float64),
        "r_h": torch.randn(BATCH, units, generator=gen, dtype=torch.float64),
    }


def cell_case(name: str, cfg: dict, *, seed: int) -> dict[str, np.ndarray]:
    gen = torch.Generator().manual_seed(seed)
    units, rows = cfg["num_units"], cfg["input_size"] + cfg["num_units"]

    def leaf(*shape, scale=1.0):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).requires_grad_()

    if cfg["cell"] == "gru":
        weights = {
            "gate_kernel": leaf(rows, 2 * units, scale=0.6),
            "gate_bias": leaf(2 * units, scale=0.5),
            "candidate_kernel": leaf(rows, units, scale=0.6),
            "candidate_bias": leaf(units, scale=0.3),
        }
        run = gru_run
    else:
        weights = {"kernel": leaf(rows, units, scale=0.5), "bias": leaf(units, scale=0.3)}
        run = basic_rnn_run
    x = leaf(BATCH, TIME, cfg["input_size"], scale=1.5)
    h0 = leaf(BATCH, units, scale=0.5)
    lengths = torch.tensor([TIME, 2, 4])
    r = loss_weights(gen, units)
    outputs, h_t = run(cfg, weights, x, h0, lengths)
    loss = (outputs * r["r_out"]).sum() + (h_t * r["r_h"]).sum()
    loss.backward()
    arrays = {"inputs": x, "h0": h0, "outputs": outputs, "lengths": lengths, **r}
    arrays.update({"grad.inputs": x.grad, "grad.h0": h0.grad})
    for key, tensor in weights.items():
        arrays[f"param.{key}"] = tensor
        arrays[f"grad.{key}"] = tensor.grad
    out = {f"{name}__{k}": v.detach().numpy() for k, v in arrays.items()}
    out[f"{name}__config"] = np.array(json.dumps(cfg))
    return out


def nn_case(
    name: str, module: type, *, input_size: int, hidden: int, seed: int, backward: bool
) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    layer = module(input_size, hidden, batch_first=True).double()
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.uniform_(-0.8, 0.8)
    x = torch.randn(BATCH, TIME, input_size, generator=gen, dtype=torch.float64, requires_grad=True)
    h0 = (torch.randn(1, BATCH, hidden, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()
    r = loss_weights(gen, hidden)
    out, h_n = layer(x, h0)
    arrays = {"inputs": x, "h0": h0, "outputs": out, **r}
    if backward:
        ((out * r["r_out"]).sum() + (h_n[0] * r["r_h"]).sum()).backward()
        arrays.update({"grad.inputs": x.grad, "grad.h0": h0.grad})
    for key, parameter in layer.named_parameters():
        arrays[f"param.{key}"] = parameter
        if backward:
            arrays[f"grad.param.{key}"] = parameter.grad
    return {f"{name}__{k}": v.detach().numpy() for k, v in arrays.items()}


def main() -> int:
    torch.set_default_dtype(torch.float64)
    arrays: dict[str, np.ndarray] = {}
    for name, cell, activation, seed in (
        ("rnn_tanh", "basic_rnn", "tanh", 11),
        ("rnn_relu", "basic_rnn", "relu", 12),
        ("gru_tanh", "gru", "tanh", 13),
        ("gru_softsign", "gru", "softsign", 14),
    ):
        cfg = {"cell": cell, "input_size": 3, "num_units": 4, "activation": activation}
        arrays.update(cell_case(name, cfg, seed=seed))
    arrays.update(nn_case("nn_rnn", torch.nn.RNN, input_size=5, hidden=4, seed=21, backward=True))
    arrays.update(nn_case("nn_gru", torch.nn.GRU, input_size=5, hidden=4, seed=22, backward=False))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, torch_version=np.array(torch.__version__), **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, PyTorch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
