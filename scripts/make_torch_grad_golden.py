"""Make tests/data/torch_grad_golden.npz: gradients from PyTorch autograd, to check lstm_core.grad.

PyTorch is not a test dependency; regenerate with:

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python scripts/make_torch_grad_golden.py

Every case is float64 with the loss ``sum(outputs * r_out) + sum(c_T * r_c) + sum(h_T * r_h)``
for fixed random ``r_*``, and stores the inputs, the weights, the loss weights and autograd's
gradient of every leaf, as ``<case>__<name>``:

- ``nn_lstm`` and ``nn_lstm_proj``: ``torch.nn.LSTM`` itself (its own fused backward), without and
  with ``proj_size``; weights as ``param.<state_dict key>``, gradients as ``grad.param.<key>``.
- ``peepholes_clip`` and ``coupled_projection``: TensorFlow's LSTMCell equations written out in
  PyTorch ops (this file's ``tf_cell_run``), differentiated by autograd: peepholes with cell_clip,
  and the coupled input-forget gate with peepholes, projection and proj_clip, both with
  sequence_length (rows that end early carry their state, as tf.nn.dynamic_rnn). Weights are in
  lstm_core's layout (``param.kernel`` ...), gradients ``grad.kernel`` ..., and ``config`` is the
  LSTMConfig as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_grad_golden.npz"
BATCH, TIME = 3, 6


def loss_weights(gen: torch.Generator, out_width: int, units: int, depth: int) -> dict[str, torch.Tensor]:
    return {
        "r_out": torch.randn(BATCH, TIME, out_width, generator=gen, dtype=torch.float64),
        "r_c": torch.randn(BATCH, units, generator=gen, dtype=torch.float64),
        "r_h": torch.randn(BATCH, depth, generator=gen, dtype=torch.float64),
    }


def nn_lstm_case(name: str, *, input_size: int, hidden: int, proj: int = 0, seed: int) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    lstm = torch.nn.LSTM(input_size, hidden, proj_size=proj, batch_first=True).double()
    with torch.no_grad():
        for parameter in lstm.parameters():
            parameter.uniform_(-0.8, 0.8)
    depth = proj or hidden
    x = torch.randn(BATCH, TIME, input_size, generator=gen, dtype=torch.float64, requires_grad=True)
    h0 = (torch.randn(1, BATCH, depth, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()
    c0 = torch.randn(1, BATCH, hidden, generator=gen, dtype=torch.float64, requires_grad=True)
    r = loss_weights(gen, depth, hidden, depth)
    out, (h_n, c_n) = lstm(x, (h0, c0))
    loss = (out * r["r_out"]).sum() + (c_n[0] * r["r_c"]).sum() + (h_n[0] * r["r_h"]).sum()
    loss.backward()
    arrays = {"inputs": x, "h0": h0, "c0": c0, "outputs": out, "grad.inputs": x.grad}
    arrays.update({"grad.h0": h0.grad, "grad.c0": c0.grad, **r})
    for key, parameter in lstm.named_parameters():
        arrays[f"param.{key}"] = parameter
        arrays[f"grad.param.{key}"] = parameter.grad
    return {f"{name}__{k}": v.detach().numpy() for k, v in arrays.items()}


def tf_cell_run(cfg: dict, w: dict[str, torch.Tensor], x, c, h, lengths):
    """TensorFlow's LSTMCell (tf.compat.v1.nn.rnn_cell), step by step, in PyTorch ops."""
    units = cfg["num_units"]
    outputs = []
    for t in range(x.shape[1]):
        gates = torch.cat([x[:, t], h], dim=1) @ w["kernel"] + w["bias"]
        i_pre, j_pre, f_pre, o_pre = torch.split(gates, units, dim=1)
        f_in = f_pre + cfg["forget_bias"]
        if cfg["use_peepholes"]:
            f_in = f_in + w["w_f_diag"] * c
        f = torch.sigmoid(f_in)
        if cfg["coupled"]:
            i = 1 - f
        else:
            i_in = i_pre + (w["w_i_diag"] * c if cfg["use_peepholes"] else 0)
            i = torch.sigmoid(i_in)
        new_c = f * c + i * torch.tanh(j_pre)
        if cfg["cell_clip"] is not None:
            new_c = torch.clamp(new_c, -cfg["cell_clip"], cfg["cell_clip"])
        o_in = o_pre + (w["w_o_diag"] * new_c if cfg["use_peepholes"] else 0)
        new_h = torch.sigmoid(o_in) * torch.tanh(new_c)
        if cfg["num_proj"] is not None:
            new_h = new_h @ w["proj_kernel"]
            if cfg["proj_clip"] is not None:
                new_h = torch.clamp(new_h, -cfg["proj_clip"], cfg["proj_clip"])
        alive = (t < lengths)[:, None]
        c = torch.where(alive, new_c, c)
        h = torch.where(alive, new_h, h)
        outputs.append(torch.where(alive, new_h, torch.zeros_like(new_h)))
    return torch.stack(outputs, dim=1), c, h


def tf_cell_case(name: str, cfg: dict, *, input_size: int, seed: int) -> dict[str, np.ndarray]:
    gen = torch.Generator().manual_seed(seed)
    units = cfg["num_units"]
    depth = cfg["num_proj"] or units

    def leaf(*shape, scale=1.0):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).requires_grad_()

    weights = {"kernel": leaf(input_size + depth, 4 * units, scale=0.6), "bias": leaf(4 * units, scale=0.3)}
    if cfg["use_peepholes"]:
        weights.update({k: leaf(units, scale=0.5) for k in ("w_i_diag", "w_f_diag", "w_o_diag")})
    if cfg["num_proj"] is not None:
        weights["proj_kernel"] = leaf(units, depth, scale=0.6)
    x = leaf(BATCH, TIME, input_size, scale=1.5)
    c0, h0 = leaf(BATCH, units), leaf(BATCH, depth, scale=0.5)
    lengths = torch.tensor([TIME, 2, 4])
    r = loss_weights(gen, depth, units, depth)
    outputs, c_t, h_t = tf_cell_run(cfg, weights, x, c0, h0, lengths)
    loss = (outputs * r["r_out"]).sum() + (c_t * r["r_c"]).sum() + (h_t * r["r_h"]).sum()
    loss.backward()
    arrays = {"inputs": x, "c0": c0, "h0": h0, "outputs": outputs, "lengths": lengths, **r}
    arrays.update({"grad.inputs": x.grad, "grad.c0": c0.grad, "grad.h0": h0.grad})
    for key, tensor in weights.items():
        arrays[f"param.{key}"] = tensor
        # A weight the cell never reads (the coupled cell's w_i_diag) has no autograd gradient: 0.
        arrays[f"grad.{key}"] = torch.zeros_like(tensor) if tensor.grad is None else tensor.grad
    out = {f"{name}__{k}": v.detach().numpy() for k, v in arrays.items()}
    out[f"{name}__config"] = np.array(json.dumps({"input_size": input_size, **cfg}))
    return out


def main() -> int:
    torch.set_default_dtype(torch.float64)
    base = {"forget_bias": 1.0, "use_peepholes": True, "coupled": False, "cell_clip": None}
    base.update({"num_proj": None, "proj_clip": None, "num_units": 4})
    arrays: dict[str, np.ndarray] = {}
    arrays.update(nn_lstm_case("nn_lstm", input_size=5, hidden=4, seed=1))
    arrays.update(nn_lstm_case("nn_lstm_proj", input_size=5, hidden=4, proj=3, seed=2))
    arrays.update(tf_cell_case("peepholes_clip", {**base, "cell_clip": 0.7}, input_size=3, seed=3))
    coupled = {**base, "coupled": True, "num_proj": 3, "proj_clip": 0.4, "forget_bias": 0.5}
    arrays.update(tf_cell_case("coupled_projection", coupled, input_size=3, seed=4))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, torch_version=np.array(torch.__version__), **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, PyTorch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
