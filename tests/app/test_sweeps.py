"""ui.sweeps: what a live slider swaps in is the page's own run at each forget bias, within limits."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np

from lstm_core.sequences import InputSpec
from ui import sweeps, trained
from ui.model import ModelSpec, run_model


def explore_arrays(traces):
    return {"new_c": traces[-1].new_c[0], "f": traces[-1].f[0]}


def test_each_entry_is_the_run_at_that_forget_bias_with_random_states_and_two_layers():
    spec = ModelSpec(units=(3, 2), init_state="random", peepholes=True, forget_bias=0.7)
    model = run_model(spec)
    live = sweeps.live_sweep(model, "test:last-layer", explore_arrays, bytes_per_run=10_000, seq=0)
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
    live = sweeps.live_sweep(model, "test:trained", explore_arrays, bytes_per_run=10_000, seq=0)
    k = live.index(2.0)
    changed = run_model(replace(spec, trained_forget_bias=2.0), weights)
    np.testing.assert_array_equal(live.arrays["new_c"][k], changed.traces[-1].new_c[0])


def test_the_grid_coarsens_then_the_sweep_is_skipped_with_the_reason():
    model = run_model(ModelSpec())
    coarse = sweeps.live_sweep(model, "test:coarse", explore_arrays, bytes_per_run=sweeps.LIVE_BYTES // 30, seq=0)
    assert coarse.step == 0.5 and len(coarse.biases) == 21
    skipped = sweeps.live_sweep(model, "test:skipped", explore_arrays, bytes_per_run=sweeps.LIVE_BYTES // 5, seq=0)
    assert skipped.biases is None and skipped.arrays == {}
    assert "8 MB" in skipped.reason and "through the server" in skipped.reason


def test_a_large_sweep_runs_in_a_worker_and_is_the_sweep_here(monkeypatch):
    """Over REMOTE_SWEEP_CELLS the sweep runs in a worker process (sequence seq kept): the same arrays, bit
    for bit, as the sweep here, for a forward quantity and a gradient taken from that sequence."""
    from viz.gradflow import FLOW_FIELDS, flow_curves, gradient_flow
    from workers import remote

    rows = np.random.default_rng(3).normal(size=(3, 30, 2)).round(3)  # three sequences of the learner's own
    custom = " | ".join("; ".join(",".join(f"{v:g}" for v in step) for step in seq) for seq in rows)
    spec = ModelSpec(
        units=(6, 5), init_state="random", peepholes=True, inputs=InputSpec(preset="custom", custom=custom)
    )
    model = run_model(spec)
    assert model.sequence.values.shape[0] == 3

    def extract(traces):
        flow = gradient_flow(traces[-1], 2, "c")
        return {"new_c": traces[-1].new_c[2], "h0": traces[0].new_h[2], "log_ratio": flow.log_ratio}

    sent = []
    there = remote.iter_sweep_remote
    monkeypatch.setattr(remote, "iter_sweep_remote", lambda *a: sent.append(a[6]) or there(*a))
    monkeypatch.setattr(sweeps, "REMOTE_SWEEP_CELLS", 10)
    far = sweeps.live_sweep(model, "test:remote", extract, bytes_per_run=10_000, seq=2)
    monkeypatch.setattr(sweeps, "REMOTE_SWEEP_CELLS", 10**12)
    here = sweeps.live_sweep(model, "test:here", extract, bytes_per_run=10_000, seq=2)
    assert sent == [2] and far.reason == here.reason == "" and len(far.biases) == 101
    for name in here.arrays:
        np.testing.assert_array_equal(far.arrays[name], here.arrays[name], err_msg=name)
    # Gradient flow's curves, computed in the worker itself (its backward passes too).
    flow = partial(flow_curves, layer=1, seq=1, loss="h")
    named = ("flow", {"layer": 1, "seq": 1, "loss": "h"})
    monkeypatch.setattr(sweeps, "REMOTE_SWEEP_CELLS", 10)
    far = sweeps.live_sweep(model, "test:remote-flow", flow, bytes_per_run=10_000, seq=1, named=named)
    monkeypatch.setattr(sweeps, "REMOTE_SWEEP_CELLS", 10**12)
    here = sweeps.live_sweep(model, "test:here-flow", flow, bytes_per_run=10_000, seq=1, named=named)
    assert sent == [2, 1] and set(far.arrays) == set(here.arrays) == set(FLOW_FIELDS)
    for name in here.arrays:
        np.testing.assert_array_equal(far.arrays[name], here.arrays[name], err_msg=name)


def test_a_sweep_that_overflows_in_a_worker_says_where(monkeypatch):
    model = run_model(
        ModelSpec(activation="identity", weight_scale=5.0, inputs=InputSpec(steps=1000))
    )  # fine at 1, not at 5
    monkeypatch.setattr(sweeps, "REMOTE_SWEEP_CELLS", 10)
    far = sweeps.live_sweep(model, "test:overflow-far", explore_arrays, bytes_per_run=100, seq=0)
    monkeypatch.setattr(sweeps, "REMOTE_SWEEP_CELLS", 10**12)
    here = sweeps.live_sweep(model, "test:overflow-here", explore_arrays, bytes_per_run=100, seq=0)
    assert far.biases is None and far.reason == here.reason and "overflows" in here.reason


def test_a_sweep_of_too_many_cells_is_skipped_before_anything_runs(monkeypatch):
    model = run_model(ModelSpec())
    ran = []
    monkeypatch.setattr(sweeps, "iter_sweep", lambda *a, **k: ran.append(1) or iter(()))
    monkeypatch.setattr(sweeps, "SWEEP_CELLS", 10)
    live = sweeps.live_sweep(model, "test:cells", explore_arrays, bytes_per_run=100, seq=0)
    assert live.biases is None and "cells" in live.reason and ran == []
