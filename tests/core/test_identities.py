"""Exact identities every LSTM trace must satisfy, for every variant."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import assert_close
from lstm_core import LSTMConfig, LSTMParams, LSTMStateTuple, init_params, run, run_stack
from lstm_core.activations import activation_function
from lstm_core.reference import naive_lstm

VARIANTS = {
    "basic": {},
    "peepholes": {"use_peepholes": True},
    "coupled": {"coupled": True},
    "coupled_peepholes": {"coupled": True, "use_peepholes": True},
    "projection": {"num_proj": 2, "proj_clip": 0.3},
    "relu": {"activation": "relu", "forget_bias": -0.5},
    "hard_sigmoid_peepholes": {"recurrent_activation": "hard_sigmoid", "use_peepholes": True},
    "hard_sigmoid_keras3_coupled": {"recurrent_activation": "hard_sigmoid_keras3", "coupled": True},
}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


GATE = {
    "sigmoid": sigmoid,
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "hard_sigmoid_keras3": lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6,
}


def setup(variant: str, seed: int = 0, batch: int = 3, time: int = 8, input_size: int = 4):
    cfg = LSTMConfig(input_size=input_size, num_units=5, **VARIANTS[variant])
    params = init_params(cfg, seed=seed).scaled(2.0)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, input_size))
    state = LSTMStateTuple(rng.normal(size=(batch, 5)), rng.normal(size=(batch, cfg.h_depth)))
    return cfg, params, x, state


@pytest.mark.parametrize("variant", VARIANTS)
def test_cell_update_identity_is_exact(variant: str) -> None:
    cfg, params, x, state = setup(variant)
    trace = run(cfg, params, x, state)
    assert np.array_equal(trace.new_c, trace.f * trace.c_prev() + trace.i * trace.j)
    assert np.array_equal(trace.m, trace.o * trace.c_act)
    assert_close(trace.c_act, activation_function(cfg.activation)(trace.new_c), 0, 0)


@pytest.mark.parametrize("variant", VARIANTS)
def test_gates_follow_their_definitions(variant: str) -> None:
    cfg, params, x, state = setup(variant)
    t = run(cfg, params, x, state)
    c_prev = t.c_prev()
    peep = cfg.use_peepholes
    w_i, w_f, w_o = (params.w_i_diag, params.w_f_diag, params.w_o_diag) if peep else (0, 0, 0)
    gate = GATE[cfg.recurrent_activation]
    f = gate(t.f_pre + cfg.forget_bias + w_f * c_prev)
    assert_close(t.f, f, 1e-12)
    assert_close(t.i, 1 - f if cfg.coupled else gate(t.i_pre + w_i * c_prev), 1e-12)
    assert_close(t.o, gate(t.o_pre + w_o * t.new_c), 1e-12)  # the output peephole reads new_c
    assert_close(t.j, activation_function(cfg.activation)(t.j_pre), 1e-12)
    # The raw split is [x_t, h_prev] @ kernel + bias, in TensorFlow's block order i, j, f, o.
    gate_inputs = np.concatenate([x, t.h_prev()], axis=2) @ params.kernel + params.bias
    raw = np.concatenate([t.i_pre, t.j_pre, t.f_pre, t.o_pre], axis=2)
    assert_close(raw, gate_inputs, 1e-12)
    if cfg.num_proj:
        assert_close(t.new_h, np.clip(t.m @ params.proj_kernel, -cfg.proj_clip, cfg.proj_clip), 1e-12)
    else:
        assert t.new_h is t.m or np.array_equal(t.new_h, t.m)


def test_coupled_input_gate_is_one_minus_forget_exactly() -> None:
    cfg, params, x, state = setup("coupled_peepholes")
    trace = run(cfg, params, x, state)
    assert np.array_equal(trace.i, 1 - trace.f)


def test_coupled_ignores_the_input_gate_block() -> None:
    cfg, params, x, state = setup("coupled")
    kernel = params.kernel.copy()
    kernel[:, :5] = 123.0  # the i block
    other = LSTMParams(kernel, params.bias)
    assert np.array_equal(run(cfg, params, x, state).new_h, run(cfg, other, x, state).new_h)


def test_zero_weights_decay_the_cell_state_by_sigmoid_forget_bias_per_step() -> None:
    cfg = LSTMConfig(input_size=3, num_units=4, forget_bias=1.0)
    zero = LSTMParams(np.zeros((7, 16)), np.zeros(16))
    c0 = np.array([[1.0, -2.0, 0.5, 3.0]])
    trace = run(cfg, zero, np.zeros((1, 50, 3)), LSTMStateTuple(c0, np.zeros((1, 4))))
    assert_close(trace.final_state.c, c0 * sigmoid(1.0) ** 50, 1e-12)
    ratio = trace.final_state.c[0, 0] / c0[0, 0]
    assert 1.55e-7 < ratio < 1.6e-7  # forget_bias 1 keeps 1.6e-7 of c_0 after 50 steps
    # i = f = o = sigmoid(0) = 0.5 except f = sigmoid(1); j = tanh(0) = 0.
    assert np.all(trace.i == 0.5) and np.all(trace.j == 0) and np.allclose(trace.f, sigmoid(1.0))


@pytest.mark.parametrize("variant", VARIANTS)
def test_batch_equals_rows_run_one_by_one(variant: str) -> None:
    cfg, params, x, state = setup(variant, batch=4)
    whole = run(cfg, params, x, state)
    for b in range(4):
        row = run(cfg, params, x[b : b + 1], LSTMStateTuple(state.c[b : b + 1], state.h[b : b + 1]))
        for name in ("i", "j", "f", "o", "new_c", "new_h"):
            assert_close(getattr(row, name)[0], getattr(whole, name)[b], 1e-13, 1e-15, what=name)


@pytest.mark.parametrize("variant", VARIANTS)
def test_one_run_equals_chained_single_steps(variant: str) -> None:
    cfg, params, x, state = setup(variant)
    whole = run(cfg, params, x, state)
    for t in range(x.shape[1]):
        step = run(cfg, params, x[:, t : t + 1], state)
        assert_close(step.new_h[:, 0], whole.new_h[:, t], 1e-13, 1e-15)
        state = step.final_state
    assert_close(state.c, whole.final_state.c, 1e-13, 1e-15)


def test_fused_kernel_equals_the_seeds_per_gate_lstm() -> None:
    cfg = LSTMConfig(input_size=6, num_units=4, forget_bias=1.0)
    params = init_params(cfg, seed=3)
    params = LSTMParams(params.kernel, np.random.default_rng(0).normal(size=16))
    x = np.random.default_rng(1).normal(size=(2, 9, 6))
    h, c = naive_lstm(cfg, params, x)
    trace = run(cfg, params, x)
    assert_close(trace.new_h, h, 1e-12)
    assert_close(trace.final_state.c, c, 1e-12)


def test_sequence_length_final_state_equals_the_truncated_run() -> None:
    cfg, params, x, state = setup("peepholes")
    trace = run(cfg, params, x, state, sequence_length=[8, 5, 1])
    for b, length in enumerate([8, 5, 1]):
        row = run(cfg, params, x[b : b + 1, :length], LSTMStateTuple(state.c[b : b + 1], state.h[b : b + 1]))
        assert_close(trace.final_state.c[b], row.final_state.c[0], 1e-13)
        assert_close(trace.outputs[b, :length], row.outputs[0], 1e-13)
        assert np.all(trace.outputs[b, length:] == 0)
        # The carried state repeats in new_c after the end.
        assert np.all(trace.new_c[b, length:] == trace.new_c[b, length - 1])


def test_stack_feeds_each_layer_the_previous_outputs() -> None:
    cfgs = [LSTMConfig(input_size=6, num_units=4), LSTMConfig(input_size=4, num_units=5)]
    params = [init_params(c, seed=k) for k, c in enumerate(cfgs)]
    x = np.array(
        [
            [[1, 2, 3, 4, 3, 2], [1, 2, 1, 1, 1, 2], [1, 2, 2, 2, 2, 2]],
            [[1, 2, 3, 4, 3, 2], [3, 2, 2, 1, 1, 2], [0, 0, 0, 0, 3, 2]],
        ]
    )
    traces = run_stack(cfgs, params, x)
    assert traces[-1].outputs.shape == (2, 3, 5)
    assert np.array_equal(traces[1].inputs, traces[0].outputs)
    assert np.array_equal(traces[1].new_h, run(cfgs[1], params[1], traces[0].outputs).new_h)


def test_stack_rejects_mismatched_layers_naming_the_layer() -> None:
    cfgs = [LSTMConfig(input_size=6, num_units=4), LSTMConfig(input_size=3, num_units=5)]
    with pytest.raises(ValueError, match="Layer 2 has input_size 3, but layer 1 outputs 4"):
        run_stack(cfgs, [init_params(c) for c in cfgs], np.zeros((1, 2, 6)))


def test_concatenated_state_is_the_same_as_the_tuple() -> None:
    cfg, params, x, state = setup("basic")
    as_tuple = run(cfg, params, x, state)
    as_concat = run(cfg, params, x, state.concatenated())
    assert np.array_equal(as_tuple.new_h, as_concat.new_h)
    assert as_tuple.final_state.concatenated().shape == (3, 10)


def test_dtypes_are_kept_or_promoted() -> None:
    cfg = LSTMConfig(input_size=6, num_units=4)
    params = init_params(cfg)
    x64 = np.random.default_rng(0).normal(size=(2, 5, 6))
    t32 = run(cfg, params, x64.astype(np.float32))
    t64 = run(cfg, params, x64)
    for name in ("i", "j", "f", "o", "i_pre", "new_c", "new_h", "outputs"):
        assert getattr(t32, name).dtype == np.float32, name
        assert getattr(t64, name).dtype == np.float64, name
    assert t32.final_state.c.dtype == np.float32
    assert_close(t32.new_h, t64.new_h, 1e-5, 1e-6)
    assert run(cfg, params, [[3, 2, 2, 2, 2, 2]]).new_h.dtype == np.float64
    assert run(cfg, params, np.ones((1, 2, 6), dtype=np.int32)).new_h.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_does_not_warn_or_overflow_for_huge_inputs(dtype) -> None:
    cfg = LSTMConfig(input_size=2, num_units=3, use_peepholes=True)
    params = init_params(cfg, seed=1).scaled(1e4)
    x = np.array([[[1e3, -1e3], [-5e2, 5e2], [1e4, 1e4]]], dtype=dtype)
    # Underflow (a tiny gate times a small state) is left at NumPy's default, which is silent.
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        trace = run(cfg, params, x)
    for name in ("i", "f", "o"):
        gate = getattr(trace, name)
        assert np.isfinite(gate).all() and gate.min() >= 0 and gate.max() <= 1
    assert (trace.f == 0).any() or (trace.f == 1).any()  # really saturated


def test_trace_frame_and_npz(tmp_path) -> None:
    cfg, params, x, state = setup("projection", batch=2, time=3)
    trace = run(cfg, params, x, state)
    frame = trace.to_frame(["f", "new_h"])
    assert list(frame.columns) == ["batch", "t", "unit", "quantity", "value"]
    assert len(frame) == 2 * 3 * 5 + 2 * 3 * 2
    row = frame[(frame.quantity == "f") & (frame.batch == 1) & (frame.t == 2) & (frame.unit == 4)]
    assert row.value.item() == trace.f[1, 2, 4]
    path = tmp_path / "trace.npz"
    trace.to_npz(path)
    with np.load(path, allow_pickle=False) as data:
        assert np.array_equal(data["f"], trace.f)
        assert np.array_equal(data["param_proj_kernel"], params.proj_kernel)
        assert LSTMConfig.from_json(str(data["config"])) == cfg


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["sigmoid", "softsign", "relu", "identity", "tanh"])
def test_every_activation_gives_the_same_numbers_in_float32_and_float64(activation: str, dtype) -> None:
    """NumPy 2.4's float32 ``negative`` miscomputes strided columns; the sigmoid activation
    (applied to a column block of the gate buffer) once gave 0.60 where 0.45 was right."""
    cfg = LSTMConfig(input_size=1, num_units=1, forget_bias=0.0, activation=activation)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 1))
    params = init_params(cfg, seed=0)
    exact = run(cfg, params, x)
    trace = run(cfg, params, x.astype(dtype))
    for name in ("j", "new_c", "new_h"):
        assert_close(getattr(trace, name), getattr(exact, name), 1e-6, 1e-6, what=name)
    assert_close(trace.j, activation_function(activation)(exact.j_pre), 1e-6, 1e-6)
