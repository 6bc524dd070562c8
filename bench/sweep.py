"""A forget_bias sweep run by run against one batched run, at the sizes a live slider is for.

    .venv/bin/python -m bench.sweep

lstm_core.sweep.run_sweep runs the cell once per forget bias (101 values, -5 to 5 every 0.1): each
entry is then bit for bit the run lstm_core.run makes. A batched run (every value's sequences
stacked along the batch, the forget bias folded per row) would sum its matmuls in another order and
differ in the last bits; this prints what running them one after another costs against it.
"""

from __future__ import annotations

import time

from bench.common import limit_threads, machine, table

limit_threads(2)

import numpy as np  # noqa: E402

from lstm_core import LSTMConfig, init_params, run  # noqa: E402
from lstm_core.sweep import grid, run_sweep  # noqa: E402

SIZES = [(1, 60, 2, 4), (1, 60, 2, 32), (1, 200, 8, 64)]


def best_of(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> int:
    biases = grid(0.1)
    rows = []
    for batch, steps, features, units in SIZES:
        cfg = LSTMConfig(input_size=features, num_units=units)
        params = init_params(cfg, seed=1)
        x = np.random.default_rng(0).standard_normal((batch, steps, features))
        looped = best_of(lambda cfg=cfg, params=params, x=x: run_sweep(cfg, params, x, biases))
        stacked = np.concatenate([x] * len(biases))
        batched = best_of(lambda cfg=cfg, params=params, stacked=stacked: run(cfg, params, stacked))
        rows.append([str((batch, steps, features, units)), f"{looped:.1f}", f"{batched:.1f}"])
    print(f"{len(biases)} forget biases, float64, best of 5, ms -- {machine()}\n")
    print(table(["(batch, time, input, units)", "run_sweep (one run per value)", "one batched run"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
