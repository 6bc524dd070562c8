"""lstm_core.grad: backpropagation through time, checked by central differences, exact identities
and PyTorch autograd (tests/data/torch_grad_golden.npz, made by scripts/make_torch_grad_golden.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lstm_core import LSTMConfig, LSTMParams, LSTMStateTuple, from_torch, init_params, run, run_stack
from lstm_core.grad import grad, grad_stack
from tests.helpers import DATA, MAX_RELATIVE_ERROR, assert_close, cells, numeric_gradient, relative_error

#: What central differences themselves can resolve, absolutely: float64 round-off in the loss (about
#: 1e-16 of a loss of order 10) divided by 2 EPS, over a few dozen elements. A gradient that is tiny
#: everywhere (f's peephole at forget_bias -5, where f is 0.007) is checked to this, not relative to itself.
NUMERIC_RESOLUTION = 1e-8
#: Central differences are meaningless across a kink (a clip bound, relu at 0): hypothesis examples
#: with a kinked value closer than this to its kink are replaced by others.
KINK_MARGIN = 1e-4


def random_problem(cfg: LSTMConfig, seed: int, batch: int = 2, time: int = 4):
    """Weights with non-zero biases, inputs, an initial state, lengths and the loss's weights R."""
    rng = np.random.default_rng(seed)
    params = init_params(cfg, seed=seed)
    params = replace(
        params,
        kernel=params.kernel * 1.5,
        bias=rng.normal(0, 0.5, params.bias.shape),
        **{name: rng.normal(0, 0.5, a.shape) for name, a in params.arrays().items() if name.startswith("w_")},
    )
    x = rng.normal(size=(batch, time, cfg.input_size))
    state = LSTMStateTuple(rng.normal(size=(batch, cfg.num_units)), rng.normal(0, 0.5, size=(batch, cfg.h_depth)))
    lengths = rng.integers(0, time + 1, size=batch)
    lengths[0] = time
    weights = (rng.normal(size=(batch, time, cfg.h_depth)), rng.normal(size=(batch, cfg.num_units)))
    weights += (rng.normal(size=(batch, cfg.h_depth)),)
    return params, x, state, lengths, weights


def distance_to_kink(cfg: LSTMConfig, trace) -> float:
    """How close any value that passes a kink (cell_clip, proj_clip, relu) came to it in ``trace``."""
    distances = [np.inf]
    if cfg.cell_clip is not None:
        raw = trace.f * trace.c_prev() + trace.i * trace.j
        distances.append(float(np.min(np.abs(np.abs(raw) - cfg.cell_clip))))
    if cfg.num_proj is not None and cfg.proj_clip is not None:
        distances.append(float(np.min(np.abs(np.abs(trace.m @ trace.params.proj_kernel) - cfg.proj_clip))))
    if cfg.input_activation == "relu":
        distances.append(float(np.min(np.abs(trace.j_pre))))
    if cfg.output_activation == "relu":
        distances.append(float(np.min(np.abs(trace.new_c))))
    return min(distances)


def check_by_central_differences(cfg: LSTMConfig, seed: int, *, kinks_ok: bool = True) -> None:
    """``kinks_ok=False``: skip (hypothesis ``assume``) a problem that puts a value next to a kink."""
    params, x, state, lengths, (r_out, r_c, r_h) = random_problem(cfg, seed)
    if not kinks_ok:
        assume(distance_to_kink(cfg, run(cfg, params, x, state, lengths)) > KINK_MARGIN)

    def loss(params=params, x=x, state=state) -> float:
        trace = run(cfg, params, x, state, lengths)
        return float(
            (trace.outputs * r_out).sum() + (trace.final_state.c * r_c).sum() + (trace.final_state.h * r_h).sum()
        )

    g = grad(run(cfg, params, x, state, lengths), r_out, (r_c, r_h))
    checks = {f"params.{name}": (getattr(g.params, name), a, "params") for name, a in params.arrays().items()}
    checks["inputs"] = (g.inputs, x, "x")
    checks["initial_state.c"] = (g.initial_state.c, state.c, "c")
    checks["initial_state.h"] = (g.initial_state.h, state.h, "h")
    for what, (analytic, array, kind) in checks.items():
        if kind == "params":
            name = what.split(".")[1]
            numeric = numeric_gradient(lambda a, name=name: loss(params=replace(params, **{name: a})), array)
        elif kind == "x":
            numeric = numeric_gradient(lambda a: loss(x=a), array)
        elif kind == "c":
            numeric = numeric_gradient(lambda a: loss(state=LSTMStateTuple(a, state.h)), array)
        else:
            numeric = numeric_gradient(lambda a: loss(state=LSTMStateTuple(state.c, a)), array)
        assert analytic.shape == array.shape, what
        error = relative_error(analytic, numeric)
        absolute = float(np.linalg.norm(analytic - numeric))
        assert error <= MAX_RELATIVE_ERROR or absolute <= NUMERIC_RESOLUTION, (
            f"{cfg.variant} ({cfg}): {what} relative error {error:.2e} (absolute {absolute:.1e})"
        )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"use_peepholes": True},
        {"coupled": True, "use_peepholes": True},
        {"cell_clip": 0.6, "activation": "softsign"},
        {"num_proj": 2, "proj_clip": 0.3, "use_peepholes": True},
        {"no_input_gate": True, "no_output_activation": True},
        {"no_forget_gate": True, "use_peepholes": True, "activation": "sigmoid"},
        {"no_output_gate": True, "no_input_activation": True, "use_peepholes": True},
        {"activation": "relu", "forget_bias": 0.0},
        {"activation": "identity", "num_proj": 3},
        {"recurrent_activation": "hard_sigmoid", "use_peepholes": True, "forget_bias": 0.5},
        {"recurrent_activation": "hard_sigmoid_keras3", "coupled": True, "num_proj": 2},
    ],
    ids=lambda o: ",".join(o) or "basic",
)
def test_every_option_matches_central_differences(options):
    check_by_central_differences(LSTMConfig(input_size=3, num_units=4, **options), seed=len(options))


@settings(max_examples=40, deadline=None)
@given(cfg=cells(max_inputs=3, greff=True, min_clip=0.2, gates=True), seed=st.integers(0, 2**16))
def test_any_cell_matches_central_differences(cfg, seed):
    check_by_central_differences(cfg, seed, kinks_ok=False)


def test_the_clipped_state_passes_no_gradient():
    """Where cell_clip bites, i, j and f (which act only through the clipped sum) get exactly 0,
    as TensorFlow's clip_by_value; o still gets its gradient."""
    cfg = LSTMConfig(input_size=2, num_units=3, cell_clip=0.05)
    params, x, state, _, (r_out, r_c, r_h) = random_problem(cfg, seed=3, time=6)
    trace = run(cfg, params, x * 3, state)
    clipped = np.abs(trace.f * trace.c_prev() + trace.i * trace.j) > cfg.cell_clip
    assert 0.3 < clipped.mean() < 1  # both cases occur
    d = grad(trace, r_out, (r_c, r_h)).gate_inputs.reshape(*clipped.shape[:2], 4, 3)
    for block in (0, 1, 2):  # i, j, f
        assert not d[:, :, block][clipped].any()
        assert d[:, :, block][~clipped].all()
    assert d[:, :, 3].all()  # o reads the clipped state, so it still learns


@pytest.mark.parametrize(
    ("gates", "slope", "linear"),
    [
        ("hard_sigmoid", 0.2, {-2.5: True, 2.5: True, 2.6: False}),
        ("hard_sigmoid_keras3", 1 / 6, {-3.0: False, 3.0: False, 2.9: True}),
    ],
)
def test_hard_sigmoid_gates_pass_their_slope_inside_and_nothing_where_clipped(gates, slope, linear):
    """One unit whose gates all get the same input (bias only, zero kernel): the gradient of the
    output gate's value reaching its bias is the slope, or 0 where clipped. At the corners
    TensorFlow's choice: Keras 2's clip_by_value passes the gradient at -2.5 and 2.5, Keras 3's
    relu6 passes none at -3 and 3 (the same values tests/data/keras_golden.npz records
    from TensorFlow's autograd)."""
    cfg = LSTMConfig(input_size=1, num_units=1, forget_bias=0.0, recurrent_activation=gates)
    for x, inside in linear.items():
        params = LSTMParams(np.zeros((2, 4)), np.full(4, x))  # i, j, f, o all get x
        trace = run(cfg, params, np.zeros((1, 1, 1)))
        # d h / d o_in = act(c) * slope, and act(c) = tanh(i * tanh(x)) is not 0 here.
        d_o = grad(trace, np.ones((1, 1, 1))).gate_inputs[0, 0, 3]
        expected = trace.c_act[0, 0, 0] * slope if inside else 0.0
        assert_close(d_o, expected, 1e-15, 0, what=f"{gates} at {x}")


def test_unused_weights_get_exactly_zero_gradient():
    for flags, blocks, peepholes in (
        ({"coupled": True}, ("i",), ("w_i_diag",)),
        ({"no_input_gate": True}, ("i",), ("w_i_diag",)),
        ({"no_forget_gate": True}, ("f",), ("w_f_diag",)),
        ({"no_output_gate": True}, ("o",), ("w_o_diag",)),
    ):
        cfg = LSTMConfig(input_size=2, num_units=3, use_peepholes=True, **flags)
        params, x, state, lengths, (r_out, r_c, r_h) = random_problem(cfg, seed=5)
        g = grad(run(cfg, params, x, state, lengths), r_out, (r_c, r_h))
        for gate in blocks:
            kernel, bias = g.params.gate_block(gate)
            assert not kernel.any() and not bias.any(), (flags, gate)
        for name in peepholes:
            assert not getattr(g.params, name).any(), (flags, name)
        # ...and every other block does get a gradient.
        for gate in {"i", "j", "f", "o"} - set(blocks):
            assert g.params.gate_block(gate)[0].any(), (flags, gate)


def test_ended_sequences_pass_their_gradient_through_unchanged():
    cfg = LSTMConfig(input_size=2, num_units=3)
    params, x, state, _, (r_out, r_c, r_h) = random_problem(cfg, seed=7, time=5)
    lengths = np.array([5, 2])
    g = grad(run(cfg, params, x, state, lengths), r_out, (r_c, r_h))
    assert not g.inputs[1, 2:].any()  # steps after the end do not matter
    # Length 2: the final state is the state after step 1, so its gradient arrives there intact.
    assert_close(g.dc[1, 2:], np.broadcast_to(r_c[1], (3, 3)), what="dc carried")
    # The same gradient as running the short row alone.
    short = grad(run(cfg, params, x[1:, :2], (state.c[1:], state.h[1:])), r_out[1:, :2], (r_c[1:], r_h[1:]))
    assert_close(g.inputs[1, :2], short.inputs[0], what="inputs")
    assert_close(g.initial_state.c[1], short.initial_state.c[0], what="c0")


def test_stack_matches_central_differences():
    cfgs = [
        LSTMConfig(input_size=2, num_units=3, use_peepholes=True),
        LSTMConfig(input_size=3, num_units=2, num_proj=2),
    ]
    rng = np.random.default_rng(11)
    params = [init_params(c, seed=k) for k, c in enumerate(cfgs)]
    x = rng.normal(size=(2, 4, 2))
    r_out = rng.normal(size=(2, 4, 2))
    lengths = np.array([4, 3])

    def loss(params=params, x=x) -> float:
        return float((run_stack(cfgs, params, x, sequence_length=lengths)[-1].outputs * r_out).sum())

    grads = grad_stack(run_stack(cfgs, params, x, sequence_length=lengths), r_out)
    numeric = numeric_gradient(lambda a: loss(x=a), x)
    assert relative_error(grads[0].inputs, numeric) <= MAX_RELATIVE_ERROR
    for layer in range(2):
        numeric = numeric_gradient(
            lambda a, layer=layer: loss(
                params=[replace(p, kernel=a) if k == layer else p for k, p in enumerate(params)]
            ),
            params[layer].kernel,
        )
        assert relative_error(grads[layer].params.kernel, numeric) <= MAX_RELATIVE_ERROR, layer


def test_float32_gradient_stays_float32_and_agrees_with_float64():
    cfg = LSTMConfig(input_size=3, num_units=4, use_peepholes=True)
    params, x, state, _, (r_out, _, _) = random_problem(cfg, seed=2)
    g64 = grad(run(cfg, params, x, state), r_out)
    g32 = grad(run(cfg, params.astype(np.float32), x.astype(np.float32), state), r_out)
    assert g32.params.kernel.dtype == np.float32 and g32.inputs.dtype == np.float32
    assert_close(g32.params.kernel, g64.params.kernel, rtol=1e-4, atol=1e-5, what="kernel")


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"d_outputs": np.zeros((1, 2, 3))}, "d_outputs must have shape"),
        ({"d_outputs": np.full((2, 4, 4), np.nan)}, "NaN"),
        ({"d_final_state": (1, 2, 3)}, "d_final_state must be"),
        ({"d_final_state": (np.zeros((2, 5)), None)}, "d_final_state.c must have shape"),
    ],
)
def test_bad_gradients_are_rejected_clearly(bad, message):
    cfg = LSTMConfig(input_size=3, num_units=4)
    params, x, *_ = random_problem(cfg, seed=0)
    trace = run(cfg, params, x)
    arguments = {"d_outputs": np.zeros((2, 4, 4)), **bad}
    with pytest.raises(ValueError, match=message):
        grad(trace, **arguments)


# --- PyTorch autograd ------------------------------------------------------------------------


def torch_cases() -> dict[str, dict[str, np.ndarray]]:
    with np.load(DATA / "torch_grad_golden.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        if "__" in key:
            case, name = key.split("__", 1)
            cases.setdefault(case, {})[name] = value
    return cases


@pytest.mark.parametrize("case", ["nn_lstm", "nn_lstm_proj"])
def test_nn_lstm_backward_matches_pytorch_autograd(case):
    """nn.LSTM's own backward (PyTorch autograd), on the same weights via from_torch; the
    gradients converted to TensorFlow's layout the same way (both biases get the same gradient)."""
    arrays = torch_cases()[case]

    def layer(prefix: str) -> list:
        names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0")
        return [arrays.get(f"{prefix}{name}") for name in names]

    cfg, params = from_torch(*layer("param."))
    w_ih, w_hh, b_ih, _, w_hr = layer("grad.param.")
    _, expected = from_torch(w_ih, w_hh, b_ih, None, w_hr)
    state = LSTMStateTuple(arrays["c0"][0], arrays["h0"][0])
    trace = run(cfg, params, arrays["inputs"], state)
    assert_close(trace.outputs, arrays["outputs"], what="outputs (forward)")
    g = grad(trace, arrays["r_out"], (arrays["r_c"], arrays["r_h"]))
    for name, value in expected.arrays().items():
        assert_close(getattr(g.params, name), value, what=name)
    assert_close(g.inputs, arrays["grad.inputs"], what="inputs")
    assert_close(g.initial_state.c, arrays["grad.c0"][0], what="c0")
    assert_close(g.initial_state.h, arrays["grad.h0"][0], what="h0")


@pytest.mark.parametrize("case", ["peepholes_clip", "coupled_projection"])
def test_tensorflow_cell_written_in_pytorch_matches_autograd(case):
    """TensorFlow's LSTMCell equations written in PyTorch (scripts/make_torch_grad_golden.py),
    differentiated by autograd: peepholes and cell_clip; coupled gates with projection and proj_clip."""
    arrays = torch_cases()[case]
    cfg = LSTMConfig.from_json(str(arrays["config"]))
    names = ("kernel", "bias", "w_i_diag", "w_f_diag", "w_o_diag", "proj_kernel")
    params = init_params(cfg)
    params = replace(params, **{n: arrays[f"param.{n}"] for n in names if f"param.{n}" in arrays})
    state = LSTMStateTuple(arrays["c0"], arrays["h0"])
    trace = run(cfg, params, arrays["inputs"], state, arrays["lengths"])
    assert_close(trace.outputs, arrays["outputs"], what="outputs (forward)")
    g = grad(trace, arrays["r_out"], (arrays["r_c"], arrays["r_h"]))
    for name in names:
        if f"grad.{name}" in arrays:
            assert_close(getattr(g.params, name), arrays[f"grad.{name}"], what=name)
    assert_close(g.inputs, arrays["grad.inputs"], what="inputs")
    assert_close(g.initial_state.c, arrays["grad.c0"], what="c0")
    assert_close(g.initial_state.h, arrays["grad.h0"], what="h0")
