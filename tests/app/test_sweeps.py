"""ui.sweeps: what a live slider swaps in is the page's own run at each forget bias, within limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lstm_core.sequences import InputSpec
from ui import sweeps, trained
from ui.model import ModelSpec, run_model


def explore_arrays(traces):
    return {"new_c": traces[-1].new_c[0], "f": traces[-1].f[0]}


def test_each_entry_is_the_run_at_that_forget_bias_with_random_states_and_two_layers():
    spec = ModelSpec(units=(3, 2), init_state="random", peepholes=True, forget_bias=0.7)
    model = run_model(spec)
    live = sweeps.live_sweep(model, "test:last-layer", explore_arrays, bytes_per_run=10_000)
    assert live.reason == "" and live.step == 0.1 and len(live.biases) == 101
    for fb in (-5.0, 0.7, 1.0, 4.9):
        k = live.index(fb)
        assert abs(live.biases[k] - fb) < 1e-9
        alone = run_model(replace(spec, forget_bias=fb))
        np.testing.assert_array_equal(live.arrays["new_c"][k], alone.traces[-1].new_c[0])
        np.testing.assert_array_equal(live.arrays["f"][k], alone.traces[-1].f[0])


def test_trained_weights_sweep_their_own_forget_bias():
    weights = trained.demo("recall")
    spec = ModelSpec(trained=weights.key, inputs=InputSpec())
    model = run_model(spec, weights)
    live = sweeps.live_sweep(model, "test:trained", explore_arrays, bytes_per_run=10_000)
    k = live.index(2.0)
    changed = run_model(replace(spec, trained_forget_bias=2.0), weights)
    np.testing.assert_array_equal(live.arrays["new_c"][k], changed.traces[-1].new_c[0])


def test_the_grid_coarsens_then_the_sweep_is_skipped_with_the_reason():
    model = run_model(ModelSpec())
    coarse = sweeps.live_sweep(model, "test:coarse", explore_arrays, bytes_per_run=sweeps.LIVE_BYTES // 30)
    assert coarse.step == 0.5 and len(coarse.biases) == 21
    skipped = sweeps.live_sweep(model, "test:skipped", explore_arrays, bytes_per_run=sweeps.LIVE_BYTES // 5)
    assert skipped.biases is None and skipped.arrays == {}
    assert "8 MB" in skipped.reason and "through the server" in skipped.reason


def test_a_sweep_of_too_many_cells_is_skipped_before_anything_runs(monkeypatch):
    model = run_model(ModelSpec())
    ran = []
    monkeypatch.setattr(sweeps, "iter_sweep", lambda *a, **k: ran.append(1) or iter(()))
    monkeypatch.setattr(sweeps, "SWEEP_CELLS", 10)
    live = sweeps.live_sweep(model, "test:cells", explore_arrays, bytes_per_run=100)
    assert live.biases is None and "cells" in live.reason and ran == []
