"""Greff et al.'s one-change variants (NIG, NFG, NOG, NIAF, NOAF) and the coupled cell (CIFG):
each changes exactly the line it names, and the whole trace agrees with the plain per-gate reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import assert_close, cells
from lstm_core import GREFF_FLAGS, LSTMConfig, LSTMStateTuple, init_params, param_count, run
from lstm_core.reference import naive_steps

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_variant(flags: dict, seed: int = 0, **extra):
    cfg = LSTMConfig(input_size=3, num_units=5, forget_bias=0.5, **flags, **extra)
    params = init_params(cfg, seed=seed).scaled(2.0)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 7, 3)) * 2
    state = LSTMStateTuple(rng.normal(size=(2, 5)), rng.normal(size=(2, cfg.h_depth)))
    return cfg, params, x, state, run(cfg, params, x, state)


@pytest.mark.parametrize("peepholes", [False, True])
def test_each_variant_changes_exactly_its_line(peepholes: bool) -> None:
    _, _, _, _, base = run_variant({}, use_peepholes=peepholes)
    assert not np.any(base.i == 1) and not np.any(base.f == 1) and not np.any(base.o == 1)

    _, _, _, _, t = run_variant({"no_input_gate": True}, use_peepholes=peepholes)
    assert np.all(t.i == 1.0)
    _, _, _, _, t = run_variant({"no_forget_gate": True}, use_peepholes=peepholes)
    assert np.all(t.f == 1.0)
    assert np.array_equal(t.new_c, t.c_prev() + t.i * t.j)  # nothing is ever forgotten
    _, _, _, _, t = run_variant({"no_output_gate": True}, use_peepholes=peepholes)
    assert np.all(t.o == 1.0)
    assert np.array_equal(t.new_h, np.tanh(t.new_c))
    _, _, _, _, t = run_variant({"no_input_activation": True}, use_peepholes=peepholes)
    assert np.array_equal(t.j, t.j_pre)
    assert np.abs(t.j).max() > 1  # unbounded now: the scaled weights push j_pre past tanh's range
    _, _, _, _, t = run_variant({"no_output_activation": True}, use_peepholes=peepholes)
    assert np.array_equal(t.new_h, t.o * t.new_c)
    assert np.array_equal(t.c_act, t.new_c)
    _, _, _, _, t = run_variant({"coupled": True}, use_peepholes=peepholes)
    assert np.array_equal(t.i, 1 - t.f)


@pytest.mark.parametrize("flag", list(GREFF_FLAGS))
def test_first_step_differs_from_basic_only_downstream_of_the_change(flag: str) -> None:
    """Same weights, same inputs: at step 0 the raw pre-activations agree, and the gates the
    variant does not touch (before the cell update) are equal."""
    _, _, _, _, base = run_variant({})
    _, _, _, _, t = run_variant({flag: True})
    for name in ("i_pre", "j_pre", "f_pre", "o_pre"):
        assert np.array_equal(getattr(t, name)[:, 0], getattr(base, name)[:, 0]), name
    untouched = {"no_input_gate": ("f", "j"), "no_forget_gate": ("i", "j"), "no_output_gate": ("i", "f", "j", "new_c")}
    untouched |= {"no_input_activation": ("i", "f", "o"), "no_output_activation": ("i", "f", "j", "o", "new_c")}
    for name in untouched[flag]:
        assert np.array_equal(getattr(t, name)[:, 0], getattr(base, name)[:, 0]), (flag, name)
    assert not np.allclose(t.new_h, base.new_h)


@SETTINGS
@given(
    cfg=cells(max_inputs=4, forget_bias=3.0, min_clip=0.1, greff=True, gates=True),
    seed=st.integers(0, 2**31),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_every_combination_agrees_with_the_plain_reference(cfg: LSTMConfig, seed: int, dtype) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 5, cfg.input_size)).astype(dtype)
    state = LSTMStateTuple(rng.normal(size=(2, cfg.num_units)), rng.normal(size=(2, cfg.h_depth)))
    params = init_params(cfg, seed=seed % 1000)
    trace = run(cfg, params, x, state)
    expected = naive_steps(cfg, params.astype(np.float64), x.astype(np.float64), state)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    for name, values in expected.items():
        assert_close(getattr(trace, name), values, tolerance, tolerance, what=name)


def test_parameter_counts_follow_greff() -> None:
    def total(**flags) -> int:
        return param_count(LSTMConfig(input_size=6, num_units=4, **flags))["total"]

    block = (6 + 4) * 4 + 4  # one gate's weights and biases
    assert total() == 4 * block == 176
    for flag in ("no_input_gate", "no_forget_gate", "no_output_gate"):
        assert total(**{flag: True}) == 3 * block
    assert total(no_input_activation=True) == total(no_output_activation=True) == total()
    assert total(use_peepholes=True) == 4 * block + 3 * 4
    assert total(coupled=True, use_peepholes=True) == 3 * block + 2 * 4
    basic = param_count(LSTMConfig(input_size=6, num_units=4))
    cifg = param_count(LSTMConfig(input_size=6, num_units=4, coupled=True))
    assert cifg["gate weights"] == 0.75 * basic["gate weights"]  # CIFG: 25% fewer gate weights
    assert param_count(LSTMConfig(input_size=6, num_units=4, num_proj=2))["projection"] == 8
    # The count is what init_params makes, less the blocks a variant does not use.
    cfg = LSTMConfig(input_size=6, num_units=4, use_peepholes=True)
    assert param_count(cfg)["total"] == init_params(cfg).count()


@pytest.mark.parametrize("flag", ["no_input_gate", "no_forget_gate"])
def test_coupled_cannot_be_combined_with_a_removed_input_or_forget_gate(flag: str) -> None:
    with pytest.raises(ValueError, match=f"coupled.*{flag}"):
        LSTMConfig(input_size=2, num_units=2, coupled=True, **{flag: True})


def test_flags_must_be_booleans_and_default_off() -> None:
    cfg = LSTMConfig(input_size=2, num_units=2)
    assert cfg.fixed_gates == () and cfg.input_activation == cfg.output_activation == "tanh"
    with pytest.raises(ValueError, match="no_output_gate must be True or False"):
        LSTMConfig(input_size=2, num_units=2, no_output_gate=1)
    assert LSTMConfig.from_json(LSTMConfig(input_size=2, num_units=2, no_forget_gate=True).to_json()).no_forget_gate


def test_variant_names() -> None:
    assert LSTMConfig(input_size=2, num_units=2, use_peepholes=True, no_output_activation=True).variant == (
        "basic, peepholes, NOAF"
    )
