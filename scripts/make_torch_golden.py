"""Make tests/data/torch_golden.npz: real PyTorch nn.LSTM runs, to prove from_torch / to_torch.

PyTorch is not a test dependency; regenerate with:

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python scripts/make_torch_golden.py

Cases (float64, batch_first): a one-layer LSTM with non-zero biases and a random initial state,
one with a projection (proj_size), and a two-layer stack. Stored per case as ``<case>__<name>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_golden.npz"


def lstm_case(name: str, *, input_size: int, hidden: int, layers: int = 1, proj: int = 0, seed: int) -> dict:
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(input_size, hidden, num_layers=layers, proj_size=proj, batch_first=True).double()
    with torch.no_grad():
        for parameter in lstm.parameters():
            parameter.uniform_(-0.8, 0.8)  # wider than the default, so the gates saturate sometimes
    depth = proj or hidden
    x = torch.randn(3, 6, input_size, dtype=torch.float64)
    h0 = torch.randn(layers, 3, depth, dtype=torch.float64) * 0.5
    c0 = torch.randn(layers, 3, hidden, dtype=torch.float64)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x, (h0, c0))
    arrays = {"inputs": x, "outputs": out, "h_n": h_n, "c_n": c_n, "h0": h0, "c0": c0}
    for key, value in lstm.state_dict().items():
        arrays[key] = value
    return {f"{name}__{k}": v.detach().numpy() for k, v in arrays.items()}


def main() -> int:
    arrays: dict[str, np.ndarray] = {}
    arrays.update(lstm_case("one_layer", input_size=5, hidden=4, seed=1))
    arrays.update(lstm_case("projection", input_size=5, hidden=4, proj=3, seed=2))
    arrays.update(lstm_case("two_layers", input_size=5, hidden=4, layers=2, seed=3))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, torch_version=np.array(torch.__version__), **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, PyTorch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
