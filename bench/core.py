"""Forward-pass speed of lstm_core against a plain per-gate NumPy loop and PyTorch, for each cell.

    python -m bench.core            # prints a markdown table (medians, float32, two threads)

lstm_core records every quantity (the LSTM's i, j, f, o before and after their nonlinearity,
new_c, new_h; the GRU's r, u and candidate before and after theirs, new_h; the basic RNN's h_pre
and new_h); PyTorch returns only outputs and the final state. The LSTM runs against nn.LSTM, the
basic RNN against nn.RNN (the same cell), the GRU against nn.GRU (the same cost, but another cell:
its reset gate acts after the candidate's matmul). Targets on a 2-core machine, for the LSTM:
lstm_core at most 1.5x PyTorch's time at the largest size and at most 4x at the two small ones.
"""

from __future__ import annotations

import datetime
import sys

from bench.common import alternating_medians, limit_threads, machine, table

limit_threads(2)

import numpy as np  # noqa: E402

from lstm_core import BasicRNNConfig, GRUConfig, LSTMConfig, init_params, run  # noqa: E402
from lstm_core.reference import naive_basic_rnn, naive_gru, naive_lstm  # noqa: E402

SIZES = [(1, 50, 6, 8), (1, 1000, 16, 64), (32, 500, 64, 256)]
TARGETS = {0: 4.0, 1: 4.0, 2: 1.5}
#: Each cell: (its config, its plain NumPy loop, the PyTorch module timed beside it, targets or None).
CELLS = {
    "LSTM": (LSTMConfig, naive_lstm, "LSTM", TARGETS),
    "basic RNN": (BasicRNNConfig, naive_basic_rnn, "RNN", None),
    "GRU": (GRUConfig, naive_gru, "GRU", None),
}


def torch_forward(module: str, batch: int, time: int, input_size: int, units: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    layer = getattr(torch.nn, module)(input_size, units, batch_first=True).float()
    x = torch.randn(batch, time, input_size)

    def forward():
        with torch.inference_mode():
            return layer(x)

    return forward


def main() -> int:
    rows = []
    for cell, (config_type, naive, module, targets) in CELLS.items():
        for k, (batch, time, input_size, units) in enumerate(SIZES):
            cfg = config_type(input_size=input_size, num_units=units)
            params = init_params(cfg, seed=0, dtype=np.float32)
            x = np.random.default_rng(0).normal(size=(batch, time, input_size)).astype(np.float32)
            fns = {
                "core": lambda cfg=cfg, params=params, x=x: run(cfg, params, x),
                "naive": lambda cfg=cfg, params=params, x=x, naive=naive: naive(cfg, params, x),
            }
            forward = torch_forward(module, batch, time, input_size, units)
            if forward:
                fns["torch"] = forward
            medians = alternating_medians(fns)
            core, naive_s, torch_s = medians["core"], medians["naive"], medians.get("torch")
            ratio = f"{core / torch_s:.2f}x" if torch_s else "n/a"
            target = ""
            if targets:
                verdict = "" if not torch_s else ("ok" if core / torch_s <= targets[k] else "MISSED")
                target = f"<= {targets[k]}x {verdict}".strip()
            rows.append(
                [
                    cell,
                    f"({batch}, {time}, {input_size}, {units})",
                    f"{core * 1e3:.2f}",
                    f"{naive_s * 1e3:.2f}",
                    f"{torch_s * 1e3:.2f}" if torch_s else "not installed",
                    f"nn.{module}",
                    ratio,
                    target,
                ]
            )
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    print(
        f"Forward pass, float32, 2 threads, median ms over alternating warm blocks -- {datetime.date.today()}, {machine()}"
    )
    print(f"NumPy {np.__version__}, PyTorch {torch_version}\n")
    print(
        table(
            [
                "cell",
                "(batch, time, input, units)",
                "lstm_core (all recorded)",
                "per-gate NumPy loop",
                "PyTorch",
                "PyTorch module",
                "lstm_core / PyTorch",
                "target",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
