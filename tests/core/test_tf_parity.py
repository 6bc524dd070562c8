"""lstm_core against real TensorFlow: tests/data/tf_golden.npz, made by scripts/make_tf_golden.py."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_close, case_arrays, tf_golden
from lstm_core import LSTMConfig, LSTMParams, LSTMStateTuple, from_keras, run, run_stack

MANIFEST, _ = tf_golden()
TF_CASES = sorted(name for name, meta in MANIFEST["cases"].items() if meta["source"] == "dynamic_rnn")
RTOL = 1e-9


def build(case: str) -> tuple[list[LSTMConfig], list[LSTMParams], dict[str, np.ndarray]]:
    meta = MANIFEST["cases"][case]
    arrays = case_arrays(case)
    configs, params = [], []
    input_size = meta["input_size"]
    for layer, spec in enumerate(meta["layers"]):
        cfg = LSTMConfig(
            input_size=input_size,
            num_units=spec["num_units"],
            forget_bias=spec["forget_bias"],
            activation=spec["activation"],
            use_peepholes=spec.get("use_peepholes", False),
            cell_clip=spec.get("cell_clip"),
            num_proj=spec.get("num_proj"),
            proj_clip=spec.get("proj_clip"),
        )
        fields = ("kernel", "bias", "w_i_diag", "w_f_diag", "w_o_diag", "proj_kernel")
        params.append(LSTMParams(**{f: arrays.get(f"{f}_{layer}") for f in fields}))
        configs.append(cfg)
        input_size = cfg.h_depth
    return configs, params, arrays


def initial_states(arrays: dict, layers: int) -> list | None:
    if "initial_c_0" not in arrays:
        return None
    return [LSTMStateTuple(arrays[f"initial_c_{k}"], arrays[f"initial_h_{k}"]) for k in range(layers)]


def test_fixture_covers_every_option() -> None:
    specs = [spec for name in TF_CASES for spec in MANIFEST["cases"][name]["layers"]]
    assert {s["activation"] for s in specs} == {"tanh", "relu", "sigmoid", "softsign", "identity"}
    assert {s["cell"] for s in specs} == {"BasicLSTMCell", "LSTMCell"}
    assert len({s["forget_bias"] for s in specs}) >= 5
    for option in ("use_peepholes", "cell_clip", "num_proj", "proj_clip"):
        assert any(s.get(option) for s in specs), option
    assert any("sequence_length" in case_arrays(name) for name in TF_CASES)
    assert any(len(MANIFEST["cases"][name]["layers"]) == 3 for name in TF_CASES)


@pytest.mark.parametrize("case", TF_CASES)
def test_outputs_and_final_state_match_tensorflow(case: str) -> None:
    configs, params, arrays = build(case)
    traces = run_stack(
        configs, params, arrays["inputs"], initial_states(arrays, len(configs)), arrays.get("sequence_length")
    )
    assert_close(traces[-1].outputs, arrays["outputs"], RTOL, what=f"{case} outputs")
    for layer, trace in enumerate(traces):
        assert_close(trace.final_state.c, arrays[f"final_c_{layer}"], RTOL, what=f"{case} layer {layer} c")
        assert_close(trace.final_state.h, arrays[f"final_h_{layer}"], RTOL, what=f"{case} layer {layer} h")


@pytest.mark.parametrize("case", [c for c in TF_CASES if "gate_pre_0" in case_arrays(c)])
def test_raw_gate_split_matches_tensorflow_at_every_step(case: str) -> None:
    """TF's own i, j, f, o (read from its graph) equal the trace's i_pre, j_pre, f_pre, o_pre."""
    configs, params, arrays = build(case)
    traces = run_stack(configs, params, arrays["inputs"], initial_states(arrays, len(configs)))
    for layer, trace in enumerate(traces):
        expected = arrays[f"gate_pre_{layer}"]  # (batch, time, 4, units) in TF order i, j, f, o
        for k, name in enumerate(("i_pre", "j_pre", "f_pre", "o_pre")):
            assert_close(getattr(trace, name), expected[:, :, k], RTOL, what=f"{case} layer {layer} {name}")


def test_clipping_cases_really_clip() -> None:
    """The clip fixtures only prove something if the clip was active in them."""
    configs, params, arrays = build("lstm_cell_clip")
    trace = run(configs[0], params[0], arrays["inputs"], initial_states(arrays, 1)[0])
    assert np.isclose(np.abs(trace.new_c), 0.4).any()
    configs, params, arrays = build("lstm_proj_clip_peepholes")
    trace = run(configs[0], params[0], arrays["inputs"])
    assert np.isclose(np.abs(trace.new_h), 0.15).any()


def test_sequence_length_zero_row_keeps_the_initial_state() -> None:
    configs, params, arrays = build("dynamic_rnn_sequence_length")
    state = initial_states(arrays, 1)[0]
    trace = run(configs[0], params[0], arrays["inputs"], state, arrays["sequence_length"])
    assert list(arrays["sequence_length"]) == [7, 3, 0]
    assert_close(trace.final_state.c[2], state.c[2], 0, 0)
    assert np.all(trace.outputs[2] == 0) and np.all(trace.outputs[1, 3:] == 0)
    assert not trace.valid[1, 3:].any() and trace.valid[1, :3].all()


def test_notebook_one_step_matches_tensorflow() -> None:
    """The seed notebook: BasicLSTMCell(4) on [[3, 2, 2, 2, 2, 2]], one step, zero state."""
    configs, params, arrays = build("notebook_one_step")
    trace = run(configs[0], params[0], [[3, 2, 2, 2, 2, 2]])
    assert trace.new_h.shape == (1, 1, 4)
    assert_close(trace.final_state.c, arrays["final_c_0"], RTOL)
    assert_close(trace.final_state.h, arrays["final_h_0"], RTOL)
    # As the notebook shows, the cell's output is its new h.
    assert_close(trace.outputs[:, 0], trace.final_state.h, 0, 0)


def test_notebook_stacked_keras_cells_match_tensorflow() -> None:
    """The notebook's StackedRNNCells([LSTMCell(4), LSTMCell(5)]) on its (2, 3, 6) sample, with the
    Keras weights converted by from_keras: (2, 3, 5) outputs equal to TensorFlow's."""
    arrays = case_arrays("notebook_keras_stacked")
    configs, params = [], []
    for layer in range(2):
        cfg, p = from_keras(
            arrays[f"keras_kernel_{layer}"], arrays[f"keras_recurrent_kernel_{layer}"], arrays[f"keras_bias_{layer}"]
        )
        assert cfg.forget_bias == 0.0
        configs.append(cfg)
        params.append(p)
    traces = run_stack(configs, params, arrays["inputs"])
    assert traces[-1].outputs.shape == (2, 3, 5)
    assert_close(traces[-1].outputs, arrays["outputs"], RTOL)
    # The two sequences share their first step, so their first outputs agree (as the notebook shows).
    assert_close(traces[-1].outputs[0, 0], traces[-1].outputs[1, 0], 0, 0)


def test_blog_batch_shapes() -> None:
    """The blog's dynamic_rnn: batch 2, 3 steps, 4 inputs, 4 units -> outputs (2, 3, 4), c and h (2, 4)."""
    configs, params, arrays = build("blog_batch2")
    trace = run(configs[0], params[0], arrays["inputs"])
    assert trace.outputs.shape == (2, 3, 4)
    assert trace.final_state.c.shape == trace.final_state.h.shape == (2, 4)
    # Its last output is its final h, as the blog's printout shows.
    assert_close(trace.outputs[:, -1], trace.final_state.h, 0, 0)
