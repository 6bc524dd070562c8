"""lstm_core.sweep: a forget_bias sweep is exactly one run (and one backward pass) per value."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_core import LSTMConfig, LSTMStateTuple, grad_stack, init_params, run_stack
from lstm_core.sweep import grad_sweep, grid, run_sweep, sweep_grid
from lstm_core.variants import VARIANTS

QUANTITIES = ("i", "j", "f", "o", "i_pre", "j_pre", "f_pre", "o_pre", "new_c", "m", "new_h", "outputs")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_sweep_is_exactly_a_run_per_forget_bias(variant, dtype):
    rng = np.random.default_rng(3)
    configs = [VARIANTS[variant].config(3, 4), VARIANTS[variant].config(4, 2)]
    params = [init_params(cfg, seed=k, dtype=dtype) for k, cfg in enumerate(configs)]
    x = rng.normal(size=(2, 7, 3)).astype(dtype)
    states = [LSTMStateTuple(rng.normal(size=(2, c.num_units)), rng.normal(size=(2, c.h_depth))) for c in configs]
    lengths = np.array([7, 4])
    biases = [-3.0, 0.0, 1.0, 2.5]
    sweep = run_sweep(configs, params, x, biases, states, lengths)
    d_outputs = rng.normal(size=(2, 7, 2))
    grads = grad_sweep(sweep, d_outputs)
    for fb, traces, g in zip(biases, sweep, grads, strict=True):
        alone = run_stack([replace(c, forget_bias=fb) for c in configs], params, x, states, lengths)
        for layer, (ours, theirs) in enumerate(zip(traces, alone, strict=True)):
            assert ours.config.forget_bias == fb and ours.dtype == dtype
            for name in QUANTITIES:
                np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=f"{name} {layer}")
        for ours, theirs in zip(g, grad_stack(alone, d_outputs), strict=True):
            np.testing.assert_array_equal(ours.dc, theirs.dc)
            np.testing.assert_array_equal(ours.params.kernel, theirs.params.kernel)


def test_the_forget_bias_changes_what_the_sweep_records():
    cfg = LSTMConfig(input_size=2, num_units=3)
    low, high = run_sweep(cfg, init_params(cfg), np.ones((1, 5, 2)), [-2.0, 2.0])
    assert (low[0].f < high[0].f).all()  # more forget bias, a more open forget gate, at every step


def test_the_grid_fits_the_budget_or_is_refused_before_anything_runs():
    assert len(grid(0.1)) == 101 and grid(0.1)[0] == -5.0 and grid(0.1)[-1] == 5.0 and 1.0 in grid(0.1)
    assert len(sweep_grid(1000, 101_000)) == 101  # every 0.1
    assert len(sweep_grid(1000, 60_000)) == 51  # every 0.2
    assert len(sweep_grid(1000, 25_000)) == 21  # every 0.5
    assert sweep_grid(1000, 5_000) is None
    cfg = LSTMConfig(input_size=2, num_units=3)
    with pytest.raises(ValueError, match="finite"):
        run_sweep(cfg, init_params(cfg), np.ones((1, 2, 2)), [0.0, float("nan")])
    with pytest.raises(ValueError, match="at least one"):
        run_sweep(cfg, init_params(cfg), np.ones((1, 2, 2)), [])
