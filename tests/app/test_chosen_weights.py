"""Compare and Gradient flow run the weights the learner chose (issues 21 and 18): a shipped demo, a
model trained in the session, an uploaded Keras or PyTorch file. Every number checked here is
computed again from the weights with lstm_core alone (run, run_stack, grad), never through the app's
own run helpers: Compare's column of the model's own cell is the model's run (the library's outputs,
for a PyTorch file), its other columns the variant built from the model's kernel; Gradient flow's
lines and heatmaps are lstm_core.grad of the model at forget_bias 0, 1 and the slider's value. Bad
or missing weights get a message, and the sidebar's random cell is shown."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from helpers import (
    DATA,
    chart_by_key,
    chart_traces,
    library_outputs,
    live_flow_notes,
    live_flow_sent,
    npy,
    open_page,
    page_text,
    press,
    upload,
)
from lstm_core import BasicRNNConfig, LSTMConfig, grad, init_params, params_to_bytes, run, run_stack
from lstm_core.model_files import open_model
from lstm_core.params import PEEPHOLE_FIELDS
from lstm_core.tasks import make_task
from lstm_core.training import Trainer, TrainSettings, model_to_bytes, trained_meta
from tools.browser import decode_traces
from ui import live_flow, trained, weights_menu
from ui.model import ModelSpec, run_model

COMPARE = "app_pages/compare.py"
FLOW = "app_pages/gradient_flow.py"
TOLERANCE = 1e-6  # float32 weights of the library files


def page(name: str, query: dict | None = None):
    return open_page(name, query, timeout=120)


def shown(at) -> str:
    return (
        page_text(at, "markdown", "caption", "info", "warning", "error", "success", sep=" ") + " " + live_flow_notes(at)
    )


def panels(at, key: str = "compare_values") -> dict[str, np.ndarray]:
    """{"quantity · column title": z (units, steps)} of one of Compare's charts."""
    return {name: t["z"] for name, t in decode_traces(chart_by_key(at, key)["data"]).items() if "z" in t}


def flow_heatmaps(at) -> dict[str, np.ndarray]:
    """{panel title: log10 |dL/dc_t| (units, steps)} of Gradient flow's heatmaps."""
    return {name: t["z"] for name, t in decode_traces(chart_by_key(at, "gradient_flow_heatmaps")["data"]).items()}


def flow_lines(at) -> dict[str, np.ndarray]:
    return {name: t["y"] for name, t in decode_traces(chart_by_key(at, "gradient_flow_lines")["data"]).items()}


def live_payload(at) -> dict:
    return live_flow_sent(at)


def dc_of(trace, seq: int = 0) -> np.ndarray:
    """dL/dc_t (steps, units) for L = sum(c_T), by lstm_core.grad."""
    return grad(trace, None, (np.ones((trace.inputs.shape[0], trace.config.num_units)), None)).dc[seq]


def at_forget_bias(configs, forget_bias: float) -> list[LSTMConfig]:
    return [replace(cfg, forget_bias=forget_bias) for cfg in configs]


def assert_flow_is_the_cores(at, configs, params, inputs, forget_bias: float, title: str, seq: int = 0):
    """The heatmap ``title`` and its line are lstm_core.grad of (configs, params) at ``forget_bias``."""
    trace = run_stack(at_forget_bias(configs, forget_bias), params, inputs)[0]
    dc = dc_of(trace, seq)
    np.testing.assert_allclose(flow_heatmaps(at)[title], np.log10(np.abs(dc)).T, rtol=1e-5, atol=1e-5, err_msg=title)
    norms = np.linalg.norm(dc, axis=1)
    np.testing.assert_allclose(flow_lines(at)[f"{title} · gradient"], norms / norms[-1], rtol=1e-5, err_msg=title)


# ----------------------------------------------------------------------------- the shipped demo


def recall():
    weights = trained.demo("recall")
    inputs = trained.task_sequence(weights.task, 0).values  # the 4 sequences the pages show
    return weights, inputs


def test_compare_runs_the_demo_weights_the_learner_chose():
    weights, inputs = recall()
    (cfg,), (params,) = weights.configs, weights.params
    at = page(COMPARE, {"weights": "recall"})
    assert at.selectbox(key="weights").value == "recall"  # the link's default: no key needed
    text = shown(at)
    assert "Delayed recall (10 steps)" in text  # the Weights menu says which weights run
    assert "basic (trained) is the model's own cell, as it ran" in text
    assert "The peephole weights are seeded (the sidebar's weight seed and scale" in text
    values = panels(at)
    own = run(cfg, params, inputs)
    for name in ("i", "f", "new_c", "new_h"):
        np.testing.assert_array_equal(values[f"{name} · basic (trained)"], getattr(own, name)[0].T.astype(np.float32))
    np.testing.assert_allclose(values["new_h · basic (trained)"][:, -1], own.final_state.h[0], rtol=1e-6)
    # Peephole: the model's kernel and bias, the peepholes seeded from the sidebar's weight seed (0).
    peephole_cfg = replace(cfg, use_peepholes=True)
    seeded = init_params(peephole_cfg, seed=0)
    peephole_params = replace(params, **{name: getattr(seeded, name) for name in PEEPHOLE_FIELDS})
    peephole = run(peephole_cfg, peephole_params, inputs)
    np.testing.assert_array_equal(values["new_h · peephole"], peephole.new_h[0].T.astype(np.float32))
    coupled = run(replace(cfg, coupled=True), params, inputs)  # the same kernel, its i block ignored
    np.testing.assert_array_equal(values["new_c · coupled (CIFG)"], coupled.new_c[0].T.astype(np.float32))
    table = at.dataframe[0].value
    assert list(table.columns) == ["basic (trained)", "peephole", "CIFG"]
    assert table.loc["parameters", "basic (trained)"] == str(params.kernel.size + params.bias.size)
    # Another sequence of the task: the same weights on it.
    at.radio(key="seq").set_value(2).run()
    np.testing.assert_array_equal(panels(at)["new_h · basic (trained)"], own.new_h[2].T.astype(np.float32))


def test_compare_with_the_demo_at_forget_bias_zero_and_one_changes_the_models_forget_bias():
    weights, inputs = recall()
    (cfg,), (params,) = weights.configs, weights.params
    at = page(COMPARE, {"weights": "recall", "variants": "basic,NFG", "fb01": "true", "peep_all": "true"})
    values = panels(at)
    for fb in (0.0, 1.0):
        with_peepholes = replace(cfg, use_peepholes=True, forget_bias=fb)
        seeded = init_params(with_peepholes, seed=0)
        expected = run(with_peepholes, replace(params, **{n: getattr(seeded, n) for n in PEEPHOLE_FIELDS}), inputs)
        z = values[f"f · basic, forget_bias {fb:g}"]  # with peepholes everywhere, basic is not the model's cell
        np.testing.assert_array_equal(z, expected.f[0].T.astype(np.float32))
    assert np.all(values["f · no forget gate (NFG), forget_bias 0"] == 1)
    assert "Each variant at forget_bias 0 and 1 (the model was trained with 1)." in shown(at)
    assert "With peepholes in every variant, none is the model's own cell (basic)" in shown(at)


def test_gradient_flow_runs_the_demo_weights_at_forget_bias_zero_one_and_the_slider():
    weights, inputs = recall()
    at = page(FLOW, {"weights": "recall"})
    assert at.selectbox(key="weights").value == "recall"
    assert list(flow_heatmaps(at)) == ["forget_bias 0", "forget_bias 1", "forget_bias 1 (slider)", "plain RNN (tanh)"]
    for fb, title in ((0.0, "forget_bias 0"), (1.0, "forget_bias 1"), (1.0, "forget_bias 1 (slider)")):
        assert_flow_is_the_cores(at, weights.configs, weights.params, inputs, fb, title)
    assert "at the slider's value, now 1, as trained." in shown(at)
    # The plain RNN in place of the layer: seeded weights of its own (seed 0), on the same input.
    rnn_cfg = BasicRNNConfig(input_size=5, num_units=8)
    rnn_trace = run(rnn_cfg, init_params(rnn_cfg, seed=0), inputs)
    dh = grad(rnn_trace, None, np.ones((4, 8))).dh[0]
    np.testing.assert_allclose(
        flow_heatmaps(at)["plain RNN (tanh)"], np.log10(np.abs(dh)).T, rtol=1e-5, atol=1e-5, err_msg="rnn"
    )
    # The live slider carries the model's gradient at every forget_bias, and opens at the trained value.
    payload = live_payload(at)
    assert payload["value"] == 1.0 and payload["label"] == "forget_bias instead of the trained one"
    low = payload["figure"]["layout"]["yaxis"]["range"][0]
    k = payload["biases"].index(2.7)
    dc = dc_of(run_stack(at_forget_bias(weights.configs, 2.7), weights.params, inputs)[0])
    norms = np.linalg.norm(dc, axis=1)
    expected = 10.0 ** np.maximum(np.log10(norms / norms[-1]), low)
    np.testing.assert_allclose(payload["curves"][k]["y"][0], expected, rtol=1e-9)


def test_a_released_slider_changes_the_trained_forget_bias_here_and_on_explore(monkeypatch):
    weights, inputs = recall()
    at = page(FLOW, {"weights": "recall"})
    # What releasing the live slider at 2.5 sets (ui.live_flow._released, tested below).
    at.session_state["trained_fb_on"] = True
    at.session_state["trained_fb"] = 2.5
    at.run()
    assert not at.exception
    assert list(flow_heatmaps(at)) == ["forget_bias 0", "forget_bias 1", "forget_bias 2.5 (slider)", "plain RNN (tanh)"]
    assert_flow_is_the_cores(at, weights.configs, weights.params, inputs, 2.5, "forget_bias 2.5 (slider)")
    assert at.query_params["trained_fb"] == "2.5" and at.query_params["trained_fb_on"] == "true"
    at.switch_page("app_pages/explore.py").run()
    assert "forget_bias: 2.5 (changed)" in page_text(at, "caption")
    at.switch_page(COMPARE).run()  # Compare starts from the model as the learner left it
    own = run(replace(weights.configs[0], forget_bias=2.5), weights.params[0], inputs)
    np.testing.assert_array_equal(panels(at)["f · basic (trained)"], own.f[0].T.astype(np.float32))
    assert "At forget_bias 2.5, as you set it (the model was trained with 1)." in shown(at)

    state = {live_flow.KEY: {"release": {"forget_bias": 1.0}}}
    monkeypatch.setattr(live_flow.st, "session_state", state)
    live_flow._released(1.0)  # back at the trained value: as trained again
    assert state["trained_fb"] == 1.0 and state["trained_fb_on"] is False and "forget_bias" not in state
    state[live_flow.KEY] = {"release": {"forget_bias": -0.5}}
    live_flow._released(1.0)
    assert state["trained_fb"] == -0.5 and state["trained_fb_on"] is True


def test_without_live_charts_the_trained_forget_bias_has_the_servers_slider(monkeypatch):
    from ui import plotly_live

    monkeypatch.setenv(plotly_live.ENVIRONMENT, "0")
    weights, inputs = recall()
    at = page(FLOW, {"weights": "recall"})
    at.toggle(key="trained_fb_on").set_value(True).run()
    at.slider(key="trained_fb").set_value(-1.0).run()
    assert not at.exception
    assert_flow_is_the_cores(at, weights.configs, weights.params, inputs, -1.0, "forget_bias -1 (slider)")


# ----------------------------------------------------------------------------- an uploaded file


def test_compare_runs_an_uploaded_pytorch_model_on_its_chosen_layer():
    name = "torch_encoder.safetensors"
    golden = library_outputs(name)
    opened = open_model((DATA / name).read_bytes(), name)
    at = page("app_pages/explore.py", {"weights": "upload"})  # opened on Explore, then Compare
    upload(at, name, (DATA / name).read_bytes())
    upload(at, "inputs.npy", npy(golden["inputs"]), key="data_file")
    at.switch_page(COMPARE).run()
    assert not at.exception and at.query_params["weights"] == "upload"
    assert "PyTorch state dict" in shown(at)
    assert "run on your own data" in page_text(at, "info")  # the sidebar says its inputs are not used
    at.radio(key="layer").set_value(2).run()
    for seq in (0, 1):
        at.radio(key="seq").set_value(seq).run()
        values = panels(at)
        # The model's own cell at its layer 2: PyTorch's own outputs and final state.
        np.testing.assert_allclose(values["new_h · basic (trained)"], golden["outputs"][seq].T, atol=TOLERANCE, rtol=0)
        np.testing.assert_allclose(
            values["new_c · basic (trained)"][:, -1], golden["c_n"][1, seq], atol=TOLERANCE, rtol=0
        )
    # The coupled variant replaces layer 2 alone: it reads layer 1's outputs as the model ran them.
    below = run(opened.configs[0], opened.params[0], golden["inputs"])
    coupled = run(replace(opened.configs[1], coupled=True), opened.params[1], below.outputs)
    np.testing.assert_allclose(values["new_h · coupled (CIFG)"], coupled.new_h[1].T, rtol=1e-6, atol=1e-7)
    text = shown(at)
    assert "Layer 2 of 2: each variant replaces this layer alone and reads what layer 1 output" in text
    assert (
        "PyTorch adds no forget_bias at run time" in text
        and "At forget_bias 0, as trained. PyTorch adds no forget_bias" in text
    )


def test_gradient_flow_notes_on_a_short_trained_run_say_what_holds_over_its_steps():
    """The recall demo's 10 steps back at forget_bias 3: gates whose mean (0.99) is far from σ(3) are not
    said to sit near it, closed-form step counts beyond the sequence say so, and the RNN's sentences
    name the RNN."""
    at = page(FLOW, {"weights": "recall", "trained_fb_on": "true", "trained_fb": "3"})
    notes = live_flow_notes(at)
    assert (
        "(the closed form falls below after 7, 15 and 95 steps; 15 and 95 are more than the 10 steps there are)"
        in notes
    )
    assert (
        "is close to the closed form over these 10 steps, though the gates are not at σ(3) = 0.95 (their mean is 0.99)"
        in notes
    )
    assert "the gates sit near" not in notes
    assert "The plain RNN (tanh)'s state has no additive path" in notes
    # The caption says that these trained weights make the error grow, and where the textbook picture is.
    assert "with these the error even grows going back at forget_bias 0 and 1" in shown(at)
    assert "grows going back" not in shown(page(FLOW, {"weights": "random"}))


def test_gradient_flow_runs_an_uploaded_keras_model_at_zero_and_one():
    name = "keras3_sentiment.keras"
    golden = library_outputs(name)
    opened = open_model((DATA / name).read_bytes(), name)
    at = page(FLOW, {"weights": "upload"})  # uploaded on Gradient flow itself
    upload(at, name, (DATA / name).read_bytes())
    upload(at, "inputs.npy", npy(golden["lstm_inputs"]), key="data_file")
    assert "Keras 3 model 'sentiment'" in shown(at)
    # Keras adds no forget_bias: 0 is the model as trained, the slider's value; 1 adds one to it.
    assert list(flow_heatmaps(at))[:3] == ["forget_bias 0", "forget_bias 1", "forget_bias 0 (slider)"]
    for fb, title in ((0.0, "forget_bias 0 (slider)"), (1.0, "forget_bias 1")):
        assert_flow_is_the_cores(at, opened.configs, opened.params, golden["lstm_inputs"], fb, title)
    assert "Keras 3 adds no forget_bias at run time" in shown(at)
    # The model as trained is Keras's own: its first layer's outputs at forget_bias 0.
    own = run_stack(opened.configs, opened.params, golden["lstm_inputs"])
    np.testing.assert_allclose(own[0].outputs, golden["outputs_0"], atol=TOLERANCE, rtol=0)
    at.radio(key="layer").set_value(2).run()
    trace = run_stack(opened.configs, opened.params, golden["lstm_inputs"])[1]
    np.testing.assert_allclose(
        flow_heatmaps(at)["forget_bias 0 (slider)"], np.log10(np.abs(dc_of(trace))).T, rtol=1e-5, atol=1e-5
    )


LAYER = LSTMConfig(input_size=2, num_units=5, use_peepholes=True)  # reads the sidebar's 2-feature sine
LAYER_PARAMS = init_params(LAYER, seed=9)


def test_an_uploaded_layer_with_peepholes_keeps_them_on_compare_and_runs_on_the_sidebars_inputs():
    at = page(COMPARE, {"weights": "upload", "variants": "basic,peephole"})
    upload(at, "layer.npz", params_to_bytes(LAYER, LAYER_PARAMS))
    inputs = run_model(ModelSpec()).sequence.values  # the sidebar's default sine
    values = panels(at)
    own = run(LAYER, LAYER_PARAMS, inputs)
    np.testing.assert_array_equal(values["new_h · peephole (trained)"], own.new_h[0].T.astype(np.float32))
    without = run(replace(LAYER, use_peepholes=False), replace(LAYER_PARAMS, **dict.fromkeys(PEEPHOLE_FIELDS)), inputs)
    np.testing.assert_array_equal(values["new_h · basic"], without.new_h[0].T.astype(np.float32))
    assert "Its own peepholes are kept, as trained." in shown(at)
    assert "only the inputs below are used here" in page_text(at, "info")
    assert not at.sidebar.number_input(key="seed").disabled  # it still seeds the GRU's and RNN's weights
    assert at.sidebar.slider(key="num_units").disabled


# ----------------------------------------------------------------------------- a model trained in the session


def trained_here(variant: str = "basic", steps: int = 30):
    """A model trained on delayed recall for a few steps, kept as the Train page keeps it."""
    trainer = Trainer(make_task("recall", 10), TrainSettings(units=6, variant=variant, seed=1))
    trainer.train(steps)
    return trained.register(model_to_bytes(trainer.model, trained_meta(trainer, 10, 0.5)))


def with_mine(name: str, weights, query: dict | None = None):
    at = page(name, {"weights": "mine", **(query or {})})
    session = trained.SessionWeights()
    session.add(weights)
    at.session_state[weights_menu.SESSION_WEIGHTS] = session
    at.session_state[weights_menu.MY_TRAINED] = weights.key
    at.run()
    assert not at.exception, at.exception
    return at


def test_compare_and_gradient_flow_run_the_model_trained_in_the_session():
    weights = trained_here()
    inputs = trained.task_sequence(weights.task, 0).values
    at = with_mine(COMPARE, weights)
    assert "Delayed recall (10 steps): 30 training steps" in shown(at)
    own = run(weights.configs[0], weights.params[0], inputs)
    np.testing.assert_array_equal(panels(at)["new_h · basic (trained)"], own.new_h[0].T.astype(np.float32))
    at.switch_page(FLOW).run()
    assert at.selectbox(key="weights").value == "mine"
    assert_flow_is_the_cores(at, weights.configs, weights.params, inputs, 1.0, "forget_bias 1 (slider)")
    assert_flow_is_the_cores(at, weights.configs, weights.params, inputs, 0.0, "forget_bias 0")


def test_a_variant_that_needs_weights_the_model_never_trained_is_refused_by_name():
    weights = trained_here("coupled", steps=5)  # a coupled cell never trains its input gate's block
    inputs = trained.task_sequence(weights.task, 0).values
    at = with_mine(COMPARE, weights, {"variants": "basic,coupled,NFG,NIG"})
    errors = page_text(at, "error", sep=" ")
    assert "basic cannot be made from these weights: it needs the weights of the input gate i, which this " in errors
    assert "(coupled (CIFG)) does not use, so they were never trained" in errors
    assert "no forget gate (NFG) cannot be made from these weights: it needs the weights of the input gate i" in errors
    assert "no input gate (NIG) cannot" not in errors  # NIG reads no input gate either: well defined
    values = panels(at)
    assert {name.split(" · ")[1] for name in values} == {"coupled (CIFG) (trained)", "no input gate (NIG)"}
    own = run(weights.configs[0], weights.params[0], inputs)
    np.testing.assert_array_equal(values["i · coupled (CIFG) (trained)"], own.i[0].T.astype(np.float32))


# ----------------------------------------------------------------------------- bad or missing weights


@pytest.mark.parametrize("name", [COMPARE, FLOW])
def test_weights_mine_with_nothing_trained_says_so_and_shows_the_sidebars_cell(name):
    at = page(name, {"weights": "mine"})
    assert "You have not trained a model in this session yet" in page_text(at, "info")
    if name == COMPARE:
        expected = run_model(ModelSpec()).traces[0]
        np.testing.assert_array_equal(panels(at)["new_h · basic"], expected.new_h[0].T.astype(np.float32))
    else:
        assert_flow_is_the_cores_of_the_sidebar(at)


def assert_flow_is_the_cores_of_the_sidebar(at):
    model = run_model(ModelSpec())
    assert_flow_is_the_cores(at, model.configs, model.params, model.sequence.values, 1.0, "forget_bias 1 (slider)")


@pytest.mark.parametrize("name", [COMPARE, FLOW])
def test_an_upload_of_another_input_width_waits_for_the_right_input(name):
    wide = LSTMConfig(input_size=5, num_units=3)
    at = upload(page(name, {"weights": "upload"}), "wide.npz", params_to_bytes(wide, init_params(wide, seed=1)))
    warning = page_text(at, "warning", sep=" ")
    assert "Not run yet: the uploaded layer reads 5 feature(s) per step but the input has 2" in warning
    assert "Until then the sidebar's random weights are shown." in warning
    if name == COMPARE:
        assert "new_h · basic" in panels(at)
    else:
        assert_flow_is_the_cores_of_the_sidebar(at)


@pytest.mark.parametrize("name", [COMPARE, FLOW])
def test_a_link_to_an_upload_from_another_browser_shows_the_sidebars_cell(name):
    at = page(name, {"weights": "upload"})
    assert "Upload a weight file to see it here" in page_text(at, "caption")
    assert not at.exception and charts_drawn(at)


def charts_drawn(at) -> bool:
    return bool(at.get("plotly_chart")) or any(node.type == "bidi_component" for node in at.main)


def test_the_weights_chosen_on_compare_carry_to_gradient_flow_and_the_link():
    at = page(COMPARE)  # open_page: random weights
    at.selectbox(key="weights").set_value("adding").run()
    assert at.query_params["weights"] == "adding" and "Adding problem" in shown(at)
    at.switch_page(FLOW).run()
    assert at.selectbox(key="weights").value == "adding" and at.query_params["weights"] == "adding"
    weights = trained.demo("adding")
    inputs = trained.task_sequence(weights.task, 0).values
    assert_flow_is_the_cores(at, weights.configs, weights.params, inputs, 1.0, "forget_bias 1 (slider)")
    at.switch_page("app_pages/step_through.py").run()
    assert at.selectbox(key="weights").value == "adding"


def test_the_live_slider_runs_own_data_of_several_lengths_as_the_page_does():
    """Two sequences of 9 and 5 steps: the shorter is padded and run with its length; the slider's
    curves at every value are that run's (the sweep passes the lengths too)."""
    layer = LSTMConfig(input_size=2, num_units=3)
    params = init_params(layer, seed=4)
    rows = [f"{np.sin(t):.3f},{np.cos(t / 2):.3f}" for t in range(9)]
    csv = "\n".join(rows) + "\n\n" + "\n".join(rows[:5]) + "\n"
    at = upload(page(FLOW, {"weights": "upload"}), "layer.npz", params_to_bytes(layer, params))
    upload(at, "two.csv", csv.encode(), key="data_file")
    at.radio(key="seq").set_value(1).run()
    values = np.zeros((2, 9, 2))
    values[0] = [[float(v) for v in row.split(",")] for row in rows]
    values[1, :5] = values[0, :5]
    payload = live_payload(at)
    low = payload["figure"]["layout"]["yaxis"]["range"][0]
    for fb in (-2.0, 1.0, 3.5):
        trace = run(replace(layer, forget_bias=fb), params, values, None, np.array([9, 5]))
        dc = dc_of(trace, 1)
        norms = np.linalg.norm(dc, axis=1)
        expected = 10.0 ** np.maximum(np.log10(norms / norms[-1]), low)
        np.testing.assert_allclose(payload["curves"][payload["biases"].index(fb)]["y"][0], expected, rtol=1e-9)


def test_a_gate_held_at_1_on_explore_is_not_held_on_compare_or_gradient_flow_and_they_say_so():
    weights, inputs = recall()
    at = page("app_pages/explore.py", {"weights": "recall", "fix_gate": "f"})
    assert np.all(chart_traces(at)["f"]["z"] == 1)  # Explore holds f at 1
    at.switch_page(COMPARE).run()
    own = run(weights.configs[0], weights.params[0], inputs)
    np.testing.assert_array_equal(panels(at)["f · basic (trained)"], own.f[0].T.astype(np.float32))
    assert "The gate you held at 1 beside Explore's Weights menu is not held here: the variants make" in shown(at)
    at.switch_page(FLOW).run()
    assert_flow_is_the_cores(at, weights.configs, weights.params, inputs, 1.0, "forget_bias 1 (slider)")
    assert "The gate you held at 1 beside Explore's Weights menu is not held here." in shown(at)
    at.switch_page("app_pages/explore.py").run()
    assert np.all(chart_traces(at)["f"]["z"] == 1)  # and Explore still holds it


def test_the_model_trained_on_the_train_page_runs_on_compare_and_after_a_reload_on_gradient_flow():
    at = press(open_page("app_pages/train.py", {"train_steps": "40", "train_units": "5"}, timeout=120), "Train")
    press(at, "Open on Explore")
    weights = at.session_state[weights_menu.SESSION_WEIGHTS].get(at.session_state[weights_menu.MY_TRAINED])
    inputs = trained.task_sequence(weights.task, 0).values
    at.switch_page(COMPARE).run()
    assert at.selectbox(key="weights").value == "mine" and "40 training steps" in shown(at)
    own = run(weights.configs[0], weights.params[0], inputs)
    np.testing.assert_array_equal(panels(at)["new_h · basic (trained)"], own.new_h[0].T.astype(np.float32))
    # A reload of Gradient flow's link (a new session): the same model, back from the server's shelf.
    at.switch_page(FLOW).run()
    link = {key: at.query_params[key] for key in at.query_params}
    assert link["weights"] == "mine" and link["mine"]
    again = open_page(FLOW, {key: value[-1] if isinstance(value, list) else value for key, value in link.items()})
    assert "40 training steps" in shown(again)
    assert_flow_is_the_cores(again, weights.configs, weights.params, inputs, 1.0, "forget_bias 1 (slider)")


def test_a_pytorch_model_with_a_projection_keeps_it_in_every_variant():
    name = "torch_projection.safetensors"  # proj_size: TensorFlow's num_proj, h has 2 values of 6 units
    golden = library_outputs(name)
    opened = open_model((DATA / name).read_bytes(), name)
    at = upload(page(COMPARE, {"weights": "upload", "variants": "basic,NOAF"}), name, (DATA / name).read_bytes())
    upload(at, "inputs.npy", npy(golden["inputs"]), key="data_file")
    at.radio(key="layer").set_value(2).run()
    values = panels(at)
    np.testing.assert_allclose(values["new_h · basic (trained)"], golden["outputs"][0].T, atol=TOLERANCE, rtol=0)
    below = run(opened.configs[0], opened.params[0], golden["inputs"])
    noaf = run(replace(opened.configs[1], no_output_activation=True), opened.params[1], below.outputs)
    np.testing.assert_allclose(values["new_h · no output activation (NOAF)"], noaf.new_h[0].T, rtol=1e-6, atol=1e-7)
    assert "The model's num_proj applies to every LSTM variant." in shown(at)
