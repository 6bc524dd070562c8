"""`python -m lstm_core`: the seed notebook's example, printed the way TensorFlow prints it."""

from __future__ import annotations

import numpy as np

from . import LSTMConfig, init_params, run, run_stack


def main() -> None:
    np.set_printoptions(precision=8, suppress=True)
    cfg = LSTMConfig(input_size=6, num_units=4, forget_bias=1.0)
    trace = run(cfg, init_params(cfg, seed=0), [[3, 2, 2, 2, 2, 2]])
    print("BasicLSTMCell(4) on [[3, 2, 2, 2, 2, 2]] (Glorot weights, seed 0), one step:")
    print(trace.final_state)
    for gate, name in (("i", "input gate"), ("j", "new input"), ("f", "forget gate"), ("o", "output gate")):
        print(f"  {gate} ({name}): {getattr(trace, gate)[0, 0]}")

    sample = [[[1, 2, 3, 4, 3, 2], [1, 2, 1, 1, 1, 2], [1, 2, 2, 2, 2, 2]],
              [[1, 2, 3, 4, 3, 2], [3, 2, 2, 1, 1, 2], [0, 0, 0, 0, 3, 2]]]  # fmt: skip
    layers = [LSTMConfig(input_size=6, num_units=4), LSTMConfig(input_size=4, num_units=5)]
    traces = run_stack(layers, [init_params(c, seed=k) for k, c in enumerate(layers)], sample)
    print(f"\nStacked 4 then 5 units on the (2, 3, 6) sample -> outputs {traces[-1].outputs.shape}:")
    print(traces[-1].outputs)


if __name__ == "__main__":
    main()
