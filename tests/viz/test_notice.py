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
def test_the_memory_kept_is_the_product_of_the_forget_gates_and_halves_as_the_closed_form(forget_bias: float) -> None:
    kept = 1 / (1 + math.exp(-forget_bias))
    memory = notice.longest_memory(decay_run(forget_bias, steps=40))
    # Zero weights: every f is sigmoid(forget_bias), so the gates keep kept ** k of c_0 after k steps.
    assert memory.unit == 0 and memory.start == 0 and memory.value == pytest.approx(kept)
    np.testing.assert_allclose(memory.kept, kept ** np.arange(1, 40), rtol=1e-12)
    assert memory.mean_f == pytest.approx(kept, rel=1e-12)
    expected = math.floor(math.log(0.5) / math.log(kept)) + 1  # the first whole step with less than half left
    assert memory.half_gone == expected
    sentence = notice.memory_sentence(memory)
    if expected >= notice.MEMORY_STEPS:
        assert f"half of it is gone after {expected} steps" in sentence
        assert f"keep {notice._share(kept ** (expected - 1))} of it after {expected - 1} steps" in sentence
    else:  # forget_bias 0: half is gone after two steps
        assert sentence.startswith("**Nothing is kept for long**") and f"after {expected} steps" in sentence


def test_a_memory_the_sequence_is_too_short_to_halve_says_how_much_is_left() -> None:
    memory = notice.longest_memory(decay_run(5.0, steps=12))
    kept = 1 / (1 + math.exp(-5.0))
    assert memory.half_gone is None
    assert f"{kept**11:.0%} of it is still there at t = 11**, 11 steps later" in notice.memory_sentence(memory)


def test_the_unit_whose_gates_keep_most_is_chosen_and_a_faint_cell_has_none() -> None:
    assert notice.longest_memory(decay_run(-3.0)) is None  # c_0 = 0.047: too faint to follow
    assert notice.memory_sentence(None).startswith("**No memory to follow**")
    cfg = LSTMConfig(input_size=2, num_units=6)
    x = np.random.default_rng(4).standard_normal((1, 25, 2))
    trace = run(cfg, init_params(cfg, seed=4), x)
    memory = notice.longest_memory(trace)
    for unit in range(6):
        c, f = trace.new_c[0, :, unit], trace.f[0, :, unit]
        written = np.nonzero(np.abs(c[:-3]) >= notice.MEMORY_FLOOR)[0]
        if written.size:
            per_step = np.exp(np.log(f[written[0] + 1 :]).mean())
            assert per_step <= memory.mean_f + 1e-12


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
    sentence = notice.swing_sentence(swing)
    assert (f"unit {unit} {verb} from" in sentence) == (jump >= notice.SWING)
    assert ("No gate swings much" in sentence) == (jump < notice.SWING)


def test_step_through_opens_on_the_first_step_with_a_memory_to_keep() -> None:
    cfg = LSTMConfig(input_size=1, num_units=2)
    params = init_params(cfg, seed=0)
    assert notice.opening_step(run(cfg, params, np.ones((1, 6, 1)))) == 1
    assert notice.opening_step(run(cfg, params, np.ones((1, 1, 1)))) == 0  # one step: nothing else to show
    assert notice.opening_step(decay_run(1.0)) == 0  # a state of its own: t = 0 already keeps something


def test_the_forget_bias_sentence_is_the_closed_form() -> None:
    sentence = notice.bias_sentence(decay_run(1.0))
    kept = 1 / (1 + math.exp(-1.0))
    exact = math.log(0.5) / math.log(kept)
    assert f"σ(1) = {kept:.3f}" in sentence and f"gone after {math.floor(exact) + 1} steps" in sentence
    assert f"at t = {exact:.1f}" in sentence


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_what_the_gates_keep_is_said_so_that_a_learner_can_check_it_by_hand(seed: int) -> None:
    """The shares quoted are the products of the forget gates (the table's f, multiplied step by step):
    at least half one step before the step named, less after it; a mean per step is quoted only where
    it to the power of the steps is what the sentence says is left."""
    cfg = LSTMConfig(input_size=2, num_units=4, forget_bias=2.0)
    x = np.random.default_rng(seed).standard_normal((1, 40, 2))
    memory = notice.longest_memory(run(cfg, init_params(cfg, seed=seed), x))
    gone, sentence = memory.half_gone, notice.memory_sentence(memory)
    if gone is None:
        per_step = memory.mean_f
        assert f"f = {notice.fmt(per_step)}" in sentence
        assert per_step**memory.f.size == pytest.approx(memory.kept[-1], rel=1e-9)
    else:
        before, after = memory.kept[gone - 2], memory.kept[gone - 1]
        assert before >= 0.5 > after
        assert (
            f"{notice._share(before)} of it after {gone - 1} steps and {notice._share(after)} after {gone}" in sentence
        )
    assert notice._share(0.50004) == "50.004%" and notice._share(0.4671) == "46.7%"
