"""Property tests (hypothesis) over shapes, dtypes, configs and invalid arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import cells
from lstm_core import LSTMConfig, LSTMParams, LSTMStateTuple, init_params, run

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    cfg=cells(gates=True),
    batch=st.integers(1, 3),
    time=st.integers(1, 6),
    dtype=st.sampled_from([np.float32, np.float64, np.int64]),
    seed=st.integers(0, 2**31),
    scale=st.floats(0.1, 5.0),
)
def test_any_config_runs_with_right_shapes_dtypes_and_identities(cfg, batch, time, dtype, seed, scale):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(batch, time, cfg.input_size)) * 3).astype(dtype)
    trace = run(cfg, init_params(cfg, seed=seed).scaled(scale), x)
    out_dtype = np.float32 if dtype == np.float32 else np.float64
    units, depth = cfg.num_units, cfg.h_depth
    for name in ("i", "j", "f", "o", "i_pre", "j_pre", "f_pre", "o_pre", "new_c", "c_act", "m"):
        array = getattr(trace, name)
        assert array.shape == (batch, time, units), name
        assert array.dtype == out_dtype, name
        assert np.isfinite(array).all(), name
    assert trace.new_h.shape == trace.outputs.shape == (batch, time, depth)
    assert trace.final_state.c.shape == (batch, units) and trace.final_state.h.shape == (batch, depth)
    for gate in ("i", "f", "o"):
        assert getattr(trace, gate).min() >= 0 and getattr(trace, gate).max() <= 1
    if cfg.cell_clip is None:
        assert np.array_equal(trace.new_c, trace.f * trace.c_prev() + trace.i * trace.j)
    else:
        assert np.abs(trace.new_c).max() <= cfg.cell_clip
    if cfg.coupled:
        assert np.array_equal(trace.i, 1 - trace.f)
    if cfg.proj_clip is not None:
        assert np.abs(trace.new_h).max() <= cfg.proj_clip


@SETTINGS
@given(cfg=cells(), seed=st.integers(0, 1000))
def test_same_seed_same_weights_and_kernel_independent_of_peepholes(cfg, seed):
    a, b = init_params(cfg, seed=seed), init_params(cfg, seed=seed)
    for name, array in a.arrays().items():
        assert np.array_equal(array, getattr(b, name))
    other = LSTMConfig(**{**cfg.to_dict(), "use_peepholes": not cfg.use_peepholes, "coupled": not cfg.coupled})
    assert np.array_equal(init_params(other, seed=seed).kernel, a.kernel)
    limit = np.sqrt(6 / (cfg.input_size + cfg.h_depth + 4 * cfg.num_units))
    assert np.abs(a.kernel).max() <= limit and np.all(a.bias == 0)


@given(st.dictionaries(st.sampled_from(["num_units", "input_size", "num_proj"]), st.integers(-10, 0), min_size=1))
def test_nonpositive_sizes_are_rejected_naming_the_field(bad):
    with pytest.raises(ValueError) as error:
        LSTMConfig(**{"input_size": 2, "num_units": 2, **bad})
    assert any(name in str(error.value) for name in bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activation": "swish"}, "activation must be one of tanh, relu, sigmoid, softsign, identity"),
        ({"cell_clip": -1.0}, "cell_clip must be at least 0"),
        ({"proj_clip": -0.5, "num_proj": 2}, "proj_clip must be at least 0"),
        ({"forget_bias": float("nan")}, "forget_bias must be a finite number"),
        ({"forget_bias": "1"}, "forget_bias must be a number"),
        ({"num_units": 2.5}, "num_units must be a whole number"),
        ({"num_units": True}, "num_units must be a whole number"),
        ({"num_units": 10**9}, "num_units must be from 1 to 4096"),
        ({"use_peepholes": "yes"}, "use_peepholes must be True or False"),
        (
            {"recurrent_activation": "hard_swish"},
            "recurrent_activation must be one of sigmoid, hard_sigmoid, hard_sigmoid_keras3",
        ),
    ],
)
def test_invalid_config_values_say_what_is_accepted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LSTMConfig(**{"input_size": 2, "num_units": 2, **kwargs})


def test_config_is_hashable_and_json_round_trips():
    cfg = LSTMConfig(input_size=3, num_units=4, use_peepholes=True, num_proj=2)
    assert {cfg: 1}[LSTMConfig.from_json(cfg.to_json())] == 1
    with pytest.raises(ValueError, match="Unknown configuration field"):
        LSTMConfig.from_dict({"input_size": 1, "num_units": 1, "__class__": "x"})
    with pytest.raises(ValueError, match="missing num_units"):
        LSTMConfig.from_dict({"input_size": 1})


CFG = LSTMConfig(input_size=3, num_units=2)
PARAMS = init_params(CFG)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: run(CFG, PARAMS, np.zeros((1, 4, 5))), "5 feature\\(s\\) per timestep but the cell's input_size is 3"),
        (lambda: run(CFG, PARAMS, np.zeros((4,))), "must have shape \\(batch, time, input_size\\)"),
        (lambda: run(CFG, PARAMS, np.zeros((1, 0, 3))), "at least one sequence and one timestep"),
        (lambda: run(CFG, PARAMS, [[1, 2, 3], [1, 2]]), "rectangular array of numbers"),
        (lambda: run(CFG, PARAMS, [["a", "b", "c"]]), "real numbers"),
        (
            lambda: run(CFG, PARAMS, np.array([[[1, np.nan, 0]]])),
            "NaN or infinite values \\(first at sequence 0, step 0, feature 1\\)",
        ),
        (lambda: run(CFG, PARAMS, np.array([[[1, np.inf, 0]]])), "NaN or infinite"),
        (
            lambda: run(CFG, LSTMParams(np.zeros((4, 8)), np.zeros(8)), np.zeros((1, 1, 3))),
            "params.kernel should have shape \\(5, 8\\)",
        ),
        (
            lambda: run(CFG, LSTMParams(PARAMS.kernel, np.zeros(7)), np.zeros((1, 1, 3))),
            "params.bias should have shape \\(8,\\)",
        ),
        (
            lambda: run(CFG, LSTMParams(PARAMS.kernel * np.nan, PARAMS.bias), np.zeros((1, 1, 3))),
            "params.kernel contains NaN",
        ),
        (
            lambda: run(LSTMConfig(input_size=3, num_units=2, use_peepholes=True), PARAMS, np.zeros((1, 1, 3))),
            "w_i_diag is required with use_peepholes",
        ),
        (
            lambda: run(CFG, PARAMS, np.zeros((2, 1, 3)), LSTMStateTuple(np.zeros((1, 2)), np.zeros((2, 2)))),
            "initial_state.c must have shape",
        ),
        (
            lambda: run(CFG, PARAMS, np.zeros((1, 1, 3)), LSTMStateTuple(np.zeros((1, 2)), np.full((1, 2), np.nan))),
            "initial_state.h contains NaN",
        ),
        (lambda: run(CFG, PARAMS, np.zeros((1, 1, 3)), np.zeros((1, 5))), "concatenated initial_state must have shape"),
        (lambda: run(CFG, PARAMS, np.zeros((2, 3, 3)), sequence_length=[1]), "one length per sequence"),
        (lambda: run(CFG, PARAMS, np.zeros((2, 3, 3)), sequence_length=[1, 4]), "from 0 to 3"),
        (lambda: run(CFG, PARAMS, np.zeros((1, 3, 3)), sequence_length=[1.5]), "whole numbers"),
        (lambda: run("cfg", PARAMS, np.zeros((1, 3, 3))), "cfg must be an LSTMConfig"),
        (lambda: init_params(CFG, seed=-1), "seed must be a whole number >= 0"),
    ],
)
def test_bad_arguments_raise_clear_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@SETTINGS
@given(
    x=arrays(
        np.float64,
        st.tuples(st.integers(1, 2), st.integers(1, 3), st.just(3)),
        elements=st.floats(allow_nan=True, allow_infinity=True),
    )
)
def test_arbitrary_float_inputs_either_run_finite_or_raise_value_error(x):
    try:
        trace = run(CFG, PARAMS, x)
    except ValueError as error:
        if np.isfinite(x).all():  # finite but so large that the gate inputs overflow
            assert "overflowed at step" in str(error)
        else:
            assert "NaN or infinite" in str(error)
    else:
        assert np.isfinite(trace.new_h).all()


def test_unbounded_growth_is_reported_with_its_step():
    cfg = LSTMConfig(input_size=1, num_units=2, activation="identity", forget_bias=5.0)
    base = init_params(cfg, seed=0)
    params = LSTMParams(np.abs(base.kernel) * 50, base.bias)  # all-positive feedback: j grows with h
    with pytest.raises(ValueError, match="overflowed at step [0-9]+.*cell_clip"):
        run(cfg, params, np.ones((1, 400, 1)))
    clipped = LSTMConfig(**{**cfg.to_dict(), "cell_clip": 10.0})
    assert np.isfinite(run(clipped, params, np.ones((1, 400, 1))).new_h).all()
