"""What to notice (viz.notice): every sentence's numbers are the run's, recomputed here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_core import LSTMConfig, LSTMStateTuple, init_params, run
from viz import notice


def decay_run(forget_bias: float, steps: int = 12):
    """Zero weights and c_0 = 1 in unit 0: i = 1/2, j = 0, so c_t = sigmoid(forget_bias) ** (t + 1) exactly."""
    cfg = LSTMConfig(input_size=1, num_units=2, forget_bias=forget_bias)
    params = init_params(cfg, seed=0)
    params = type(params)(kernel=np.zeros_like(params.kernel), bias=np.zeros_like(params.bias))
    state = LSTMStateTuple(c=np.array([[1.0, 0.0]]), h=np.zeros((1, 2)))
    return run(cfg, params, np.zeros((1, steps, 1)), initial_state=state)


@pytest.mark.parametrize("forget_bias", [0.0, 1.0, 3.0])
def test_the_longest_hold_is_the_closed_form_of_a_pure_decay(forget_bias: float) -> None:
    kept = 1 / (1 + math.exp(-forget_bias))
    hold = notice.longest_hold(decay_run(forget_bias, steps=40))
    # c_t / c_0 = kept ** t stays >= 1/2 for t <= log(1/2) / log(kept): that many steps after the start, plus the start.
    assert hold.unit == 0 and hold.start == 0
    assert hold.steps == math.floor(math.log(0.5) / math.log(kept)) + 1
    assert hold.mean_f == pytest.approx(kept, abs=1e-12)
    sentence = notice.hold_sentence(hold, 40)
    if hold.steps >= notice.MEMORY_STEPS:
        assert f"**{hold.steps} steps**" in sentence and f"f = {kept:.3f}" in sentence
    else:  # forget_bias 0: half of c is gone after two steps
        assert f"for more than {hold.steps} steps" in sentence


def test_a_faint_or_short_memory_is_not_called_a_memory() -> None:
    assert notice.longest_hold(decay_run(-3.0)) is None  # c_0 = 0.047: too faint to be seen on the band
    hold = notice.longest_hold(decay_run(-1.0))
    assert hold.steps < notice.MEMORY_STEPS
    assert notice.hold_sentence(hold, 12).startswith("**No memory held for long**")


def brute_force_swing(trace, batch: int = 0):
    best = None
    for name in ("i", "f", "o"):
        values = getattr(trace, name)[batch]
        for t in range(1, values.shape[0]):
            for unit in range(values.shape[1]):
                jump = abs(values[t, unit] - values[t - 1, unit])
                if best is None or jump > best[0]:
                    best = (jump, name, unit, t)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_biggest_swing_is_the_largest_step_to_step_change_of_a_gate(seed: int) -> None:
    cfg = LSTMConfig(input_size=2, num_units=5)
    x = np.random.default_rng(seed).standard_normal((1, 20, 2))
    trace = run(cfg, init_params(cfg, seed=seed), x)
    swing = notice.biggest_swing(trace)
    jump, name, unit, t = brute_force_swing(trace)
    assert (swing.gate, swing.unit, swing.t) == (name, unit, t)
    assert abs(swing.after - swing.before) == pytest.approx(jump)
    values = getattr(trace, name)[0]
    assert (swing.before, swing.after) == (values[t - 1, unit], values[t, unit])
    verb = "opens" if swing.after > swing.before else "closes"
    assert f"unit {unit} {verb} from" in notice.swing_sentence(swing)


def test_step_through_opens_on_the_first_step_with_a_memory_to_keep() -> None:
    cfg = LSTMConfig(input_size=1, num_units=2)
    params = init_params(cfg, seed=0)
    assert notice.opening_step(run(cfg, params, np.ones((1, 6, 1)))) == 1
    assert notice.opening_step(run(cfg, params, np.ones((1, 1, 1)))) == 0  # one step: nothing else to show
    assert notice.opening_step(decay_run(1.0)) == 0  # a state of its own: t = 0 already keeps something


def test_the_forget_bias_sentence_is_the_closed_form() -> None:
    sentence = notice.bias_sentence(decay_run(1.0))
    kept = 1 / (1 + math.exp(-1.0))
    assert f"σ(1) = {kept:.3f}" in sentence and f"{math.log(0.5) / math.log(kept):.1f} steps" in sentence
