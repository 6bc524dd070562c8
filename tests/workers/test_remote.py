"""The largest runs are computed in a worker process (workers.remote): the traces that come back are
the run here, bit for bit, for every kind of LSTM layer; a run that fails there fails here with the
core's own message; and the app's large runs go that way."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import LSTMConfig, init_params, run_stack
from workers import remote


def same(here, there) -> None:
    for a, b in zip(here, there, strict=True):
        for name, array in a.arrays().items():
            np.testing.assert_array_equal(array, b.arrays()[name], err_msg=name)
        np.testing.assert_array_equal(a.c_act, b.c_act)
        assert a.config == b.config


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_stack_run_in_a_worker_is_the_run_here(dtype):
    configs = [
        LSTMConfig(input_size=3, num_units=16, forget_bias=1.0),
        LSTMConfig(input_size=16, num_units=8, use_peepholes=True, num_proj=4, cell_clip=2.0),
    ]
    params = [init_params(cfg, seed=k).astype(dtype) for k, cfg in enumerate(configs)]
    inputs = np.random.default_rng(0).normal(size=(3, 40, 3)).astype(dtype)
    lengths = np.array([40, 17, 0])
    same(run_stack(configs, params, inputs, None, lengths), remote.run_stack(configs, params, inputs, None, lengths))


def test_greff_variants_and_given_initial_states_come_back_the_same():
    from lstm_core.trace import LSTMStateTuple

    cfg = LSTMConfig(input_size=2, num_units=5, coupled=True, activation="relu", cell_clip=3.0)
    params = [init_params(cfg, seed=4)]
    rng = np.random.default_rng(1)
    state = [LSTMStateTuple(rng.normal(size=(2, 5)), rng.normal(size=(2, 5)))]
    inputs = rng.normal(size=(2, 30, 2))
    same(run_stack([cfg], params, inputs, state), remote.run_stack([cfg], params, inputs, state))


def test_a_run_that_overflows_there_says_so_here():
    cfg = LSTMConfig(input_size=3, num_units=4, activation="identity")
    params = [init_params(cfg).scaled(1e300)]
    inputs = np.ones((1, 5, 3))
    with pytest.raises(ValueError) as here:
        run_stack([cfg], params, inputs)
    with pytest.raises(ValueError) as there:
        remote.run_stack([cfg], params, inputs)
    assert str(there.value) == str(here.value)


def test_the_apps_large_runs_are_computed_in_a_worker(monkeypatch):
    from ui import model as models
    from ui.model import ModelSpec

    sent = []
    real = remote.run_stack
    monkeypatch.setattr(remote, "run_stack", lambda *args: sent.append(args) or real(*args))
    from dataclasses import replace

    spec = ModelSpec()
    models.run_model(spec)
    assert not sent  # a small run stays here
    big = replace(spec, units=(64,)).with_inputs(steps=2000)
    large = models.run_model(big)
    assert len(sent) == 1 and large.traces[0].new_h.shape[1:] == (2000, 64)
    same(run_stack(large.configs, large.params, large.sequence.values), large.traces)
