"""Backward-pass speed of lstm_core.grad against PyTorch autograd's backward of nn.LSTM.

    python -m bench.grad            # prints a markdown table (medians, float32, two threads)

Both sides differentiate the same loss, sum(outputs * R), with respect to every weight and the
inputs. The backward columns time the backward pass alone, on a forward pass done beforehand
(lstm_core: ``grad(trace, R)``; PyTorch: ``torch.autograd.grad(..., retain_graph=True)``); the
last columns time forward and backward together. Target at (32, 100, 16, 64): lstm_core's
backward at most 2x PyTorch's. Needs torch for the comparison (``pip install torch``).
"""

from __future__ import annotations

import datetime
import sys

from bench.common import alternating_medians, limit_threads, machine, table

limit_threads(2)

import numpy as np  # noqa: E402

from lstm_core import LSTMConfig, init_params, run  # noqa: E402
from lstm_core.grad import grad  # noqa: E402

SIZES = [(1, 50, 6, 8), (32, 100, 16, 64), (32, 500, 64, 256)]
TARGET_SIZE, TARGET = (32, 100, 16, 64), 2.0


def torch_fns(batch: int, time: int, input_size: int, units: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    lstm = torch.nn.LSTM(input_size, units, batch_first=True).float()
    x = torch.randn(batch, time, input_size, requires_grad=True)
    r = torch.randn(batch, time, units)
    leaves = [x, *lstm.parameters()]
    out, _ = lstm(x)

    def backward():
        return torch.autograd.grad(out, leaves, grad_outputs=r, retain_graph=True)

    def both():
        y, _ = lstm(x)
        return torch.autograd.grad(y, leaves, grad_outputs=r)

    return backward, both


def main() -> int:
    rows = []
    for size in SIZES:
        batch, time, input_size, units = size
        cfg = LSTMConfig(input_size=input_size, num_units=units)
        params = init_params(cfg, seed=0, dtype=np.float32)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(batch, time, input_size)).astype(np.float32)
        r = rng.normal(size=(batch, time, units)).astype(np.float32)
        trace = run(cfg, params, x)
        fns = {
            "core": lambda trace=trace, r=r: grad(trace, r),
            "core_both": lambda cfg=cfg, params=params, x=x, r=r: grad(run(cfg, params, x), r),
        }
        torch_pair = torch_fns(*size)
        if torch_pair:
            fns["torch"], fns["torch_both"] = torch_pair
        medians = alternating_medians(fns)
        ms = {name: f"{1000 * value:.2f}" for name, value in medians.items()}
        ratio = both_ratio = "n/a"
        verdict = ""
        if torch_pair:
            value = medians["core"] / medians["torch"]
            ratio = f"{value:.2f}x"
            both_ratio = f"{medians['core_both'] / medians['torch_both']:.2f}x"
            if size == TARGET_SIZE:
                verdict = f"<= {TARGET:g}x " + ("ok" if value <= TARGET else "MISSED")
        rows.append(
            [
                str(size),
                ms["core"],
                ms.get("torch", "n/a"),
                ratio,
                ms["core_both"],
                ms.get("torch_both", "n/a"),
                both_ratio,
                verdict,
            ]
        )
    try:
        import torch

        versions = f"NumPy {np.__version__}, PyTorch {torch.__version__}"
    except ImportError:
        versions = f"NumPy {np.__version__}, PyTorch not installed"
    print(f"Backward pass, float32, 2 threads, median ms ({machine()}) -- {datetime.date.today()}")
    print(versions)
    print()
    headers = [
        "(batch, time, input, units)",
        "lstm_core backward",
        "PyTorch backward",
        "ratio",
        "lstm_core fwd+bwd",
        "PyTorch fwd+bwd",
        "ratio",
        "target",
    ]
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
