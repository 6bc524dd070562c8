"""The gradient-flow numbers against lstm_core.grad and the closed form, and its figures against Plotly's schema."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import validated
from lstm_core import LSTMConfig, LSTMParams, grad, init_params, run
from tools.browser import decode_traces
from viz.gradflow import (
    LOG_CEILING,
    LOG_FLOOR,
    closed_form,
    closed_form_steps,
    flow_heatmaps,
    flow_lines,
    forget_biases,
    gradient_flow,
    shared_range,
    steps_until_below,
)
from viz.notes.gradflow import what_to_notice


def random_trace(forget_bias: float = 1.0, steps: int = 30, units: int = 3, **options):
    cfg = LSTMConfig(input_size=2, num_units=units, forget_bias=forget_bias, **options)
    inputs = np.random.default_rng(0).normal(size=(2, steps, 2))
    return run(cfg, init_params(cfg, seed=1), inputs)


def zero_weight_trace(forget_bias: float, steps: int = 40, units: int = 3):
    """Every gate at its bias alone: f = sigmoid(forget_bias) at every step, and no path back
    through h (the recurrent kernel is 0), so dL/dc_t is exactly the closed form."""
    cfg = LSTMConfig(input_size=2, num_units=units, forget_bias=forget_bias)
    params = LSTMParams(kernel=np.zeros((2 + units, 4 * units)), bias=np.zeros(4 * units))
    return run(cfg, params, np.random.default_rng(0).normal(size=(1, steps, 2)))


@pytest.mark.parametrize("loss", ["c", "h"])
@pytest.mark.parametrize("options", [{}, {"use_peepholes": True}, {"coupled": True}, {"num_proj": 2}])
def test_the_flow_is_the_gradient_of_the_loss_on_the_last_step(loss: str, options: dict) -> None:
    trace = random_trace(**options)
    flow = gradient_flow(trace, batch=1, loss=loss)
    rows, units, depth = 2, trace.config.num_units, trace.config.h_depth
    final = (np.ones((rows, units)), None) if loss == "c" else (None, np.ones((rows, depth)))
    dc = grad(trace, None, final).dc[1]
    np.testing.assert_allclose(flow.log_dc, np.log10(np.abs(dc)), rtol=1e-6)
    norms = np.linalg.norm(dc, axis=1)
    np.testing.assert_allclose(flow.log_ratio, np.log10(norms / norms[-1]), atol=1e-12)
    assert flow.log_ratio[-1] == 0
    if loss == "c":
        np.testing.assert_array_equal(dc[-1], 1.0)  # L = sum(c_T): dL/dc_T = 1 for every unit
    # Through c alone, with the run's own forget gates: dL/dc_T * f_{t+1} * ... * f_T.
    product = np.flip(np.cumprod(np.flip(trace.f[1, 1:], 0), axis=0), 0)
    alone = np.vstack([dc[-1] * product, dc[-1]])
    np.testing.assert_allclose(
        flow.log_through_c, np.log10(np.linalg.norm(alone, axis=1) / np.linalg.norm(dc[-1])), atol=1e-9
    )


@pytest.mark.parametrize("forget_bias", [-2.0, 0.0, 1.0, 3.0])
def test_with_zero_weights_the_gradient_is_exactly_the_closed_form(forget_bias: float) -> None:
    flow = gradient_flow(zero_weight_trace(forget_bias))
    expected = np.log10(1 / (1 + np.exp(-forget_bias))) * np.arange(39, -1, -1)
    np.testing.assert_allclose(flow.log_closed_form, expected, atol=1e-12)
    np.testing.assert_allclose(flow.log_ratio, expected, atol=1e-9)
    np.testing.assert_allclose(flow.log_through_c, expected, atol=1e-9)
    np.testing.assert_allclose(flow.log_dc, np.repeat(expected[:, None], 3, axis=1), atol=1e-5)


def test_closed_form_and_steps_until_below_one_percent() -> None:
    sigmoid = 1 / (1 + math.exp(-1.0))
    np.testing.assert_allclose(10 ** closed_form(1.0, 5), [sigmoid**4, sigmoid**3, sigmoid**2, sigmoid, 1.0])
    assert closed_form_steps(0.0) == 7  # 0.5**6 = 1.6% > 1%, 0.5**7 = 0.8%
    assert closed_form_steps(1.0) == 15  # 0.731**14 = 1.25%, 0.731**15 = 0.91%
    for fb in (-1.0, 0.0, 0.5, 1.0, 2.0):
        assert steps_until_below(closed_form(fb, 200)) == closed_form_steps(fb)
    assert steps_until_below(np.zeros(10)) is None
    assert steps_until_below(np.log10([0.5, 0.009, 0.5, 1.0])) == 2  # the first crossing going back
    assert forget_biases(1.0) == [0.0, 1.0] and forget_biases(-0.5) == [-0.5, 0.0, 1.0]


def test_forget_bias_one_carries_the_gradient_further_back_than_zero() -> None:
    zero, one = (gradient_flow(random_trace(fb, steps=60)) for fb in (0.0, 1.0))
    assert one.log_ratio[0] > zero.log_ratio[0] + 2  # a hundred times more at the first step
    assert steps_until_below(one.log_ratio) > steps_until_below(zero.log_ratio)
    text = what_to_notice([zero, one], 1.0)
    assert f"after {steps_until_below(zero.log_ratio)} steps with **forget_bias 0**" in text
    assert "forget_bias 1 carries" in text


def test_vanishing_and_exploding_gradients_stay_finite_and_say_so() -> None:
    # 2000 steps at forget_bias -3: about 10^-100 per 70 steps, far below float64 at the start.
    vanishing = gradient_flow(zero_weight_trace(-3.0, steps=2000))
    assert vanishing.log_ratio[0] == LOG_FLOOR and vanishing.log_dc.min() == LOG_FLOOR
    assert "too small for a float64 number" in what_to_notice([vanishing], -3.0)
    # relu with large weights: the path through h multiplies the gradient at every step.
    cfg = LSTMConfig(input_size=2, num_units=4, forget_bias=1.0, activation="relu")
    trace = run(cfg, init_params(cfg, seed=0).scaled(3.0), np.sin(np.arange(400) / 5.0)[None, :, None].repeat(2, 2))
    exploding = gradient_flow(trace)
    for values in (exploding.log_dc, exploding.log_ratio, exploding.log_through_c):
        assert np.isfinite(values).all() and values.min() >= LOG_FLOOR and values.max() <= LOG_CEILING
    assert exploding.log_ratio.max() > 10
    assert "**grows** going back" in what_to_notice([exploding], 1.0)


def test_a_final_output_blind_to_the_cell_state_is_measured_against_the_largest_gradient() -> None:
    # relu, and every unit's c_T below 0: h_T = o * relu(c_T) does not depend on c_T, dL/dc_T = 0.
    cfg = LSTMConfig(input_size=1, num_units=3, activation="relu")
    inputs = -3 * np.abs(np.random.default_rng(2).normal(size=(1, 20, 1)))
    trace = run(cfg, init_params(cfg, seed=2), inputs)
    assert (trace.new_c[0, -1] <= 0).all()
    flow = gradient_flow(trace, loss="h")
    assert flow.zero_at_end and flow.log_dc[-1].max() == LOG_FLOOR
    assert flow.log_ratio.max() == 0 and np.isfinite(flow.log_ratio).all()
    text = what_to_notice([flow], 1.0)
    assert "h_T does not depend on c_T" in text and "dotted line" not in text


def test_one_step_and_bad_loss() -> None:
    flow = gradient_flow(random_trace(steps=1))
    assert flow.log_ratio.tolist() == [0.0] and flow.log_closed_form.tolist() == [0.0]
    with pytest.raises(ValueError, match="loss must be one of"):
        gradient_flow(random_trace(), loss="x")


def test_figures_are_valid_and_draw_the_numbers() -> None:
    flows = [gradient_flow(random_trace(fb)) for fb in (0.0, 1.0, 2.5)]
    heatmaps = validated(flow_heatmaps(flows, 2.5))
    panels = decode_traces(heatmaps["data"])
    assert list(panels) == ["forget_bias 0", "forget_bias 1", "forget_bias 2.5 (slider)"]
    np.testing.assert_array_equal(panels["forget_bias 1"]["z"], flows[1].log_dc.T.astype(np.float32))
    low, high = shared_range(flows)
    axis = heatmaps["layout"]["coloraxis"]
    assert (axis["cmin"], axis["cmax"]) == (low, high) and all(t["coloraxis"] == "coloraxis" for t in panels.values())
    assert all(float(v).is_integer() for v in axis["colorbar"]["tickvals"])  # whole powers of ten
    lines = decode_traces(validated(flow_lines(flows, 2.5))["data"])
    assert len(lines) == 9
    np.testing.assert_allclose(lines["forget_bias 1 · gradient"]["y"], 10 ** flows[1].log_ratio)
    dashed = lines["forget_bias 0 · closed form σ(0)^k = 0.500^k"]
    np.testing.assert_allclose(dashed["y"], 0.5 ** np.arange(29, -1, -1))
    assert (
        dashed["line"]["dash"] == "dash"
        and dashed["line"]["color"] == lines["forget_bias 0 · gradient"]["line"]["color"]
    )


def test_heatmaps_average_bins_of_steps_above_the_budget() -> None:
    flows = [gradient_flow(random_trace(fb, steps=100, units=4)) for fb in (0.0, 1.0)]
    spec = validated(flow_heatmaps(flows, 1.0, budget=400))  # 200 cells per panel: 2 steps per column
    z = decode_traces(spec["data"])["forget_bias 0"]["z"]
    assert z.shape == (4, 50)
    np.testing.assert_allclose(z[:, 0], flows[0].log_dc[:2].mean(axis=0), rtol=1e-5)
    assert "mean of 2 steps" in spec["layout"]["title"]["text"]


def test_the_slider_at_1_leaves_the_curves_of_forget_bias_1_as_they_are_elsewhere() -> None:
    """The slider's curves are a wide, faint halo; at 0 or 1 the slider's Flow is the page's own, and
    the fixed curves must not turn into a halo too (the browser would redraw them on the next release)."""
    flows = {fb: gradient_flow(random_trace(fb, steps=20)) for fb in (0.0, 1.0, 1.3)}
    fixed = [flows[0.0], flows[1.0]]
    at_one = flow_lines(fixed, math.nan, slider=flows[1.0]).to_plotly_json()["data"]
    elsewhere = flow_lines(fixed, math.nan, slider=flows[1.3]).to_plotly_json()["data"]
    assert all(t.get("opacity") == 0.6 for t in at_one[:3])  # the slider's halo
    for ours, theirs in zip(at_one[3:], elsewhere[3:], strict=True):
        assert "opacity" not in ours and ours["line"] == theirs["line"] and ours["name"] == theirs["name"]
