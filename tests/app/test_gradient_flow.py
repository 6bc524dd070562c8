"""The Gradient flow page through AppTest: the plotted |dL/dc| is lstm_core.grad's, forget_bias 1 carries
the gradient further back than 0, the closed form is sigmoid(forget_bias)**(T - t), and odd inputs get a
message rather than a traceback."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from streamlit.testing.v1 import AppTest

from helpers import chart_by_key, live_flow_notes, open_page, page_text
from lstm_core import grad
from lstm_core.sequences import InputSpec
from tools.browser import decode_traces
from ui.model import ModelSpec, run_model

PAGE = "app_pages/gradient_flow.py"


def page(query: dict | None = None) -> AppTest:
    return open_page(PAGE, query, timeout=120)


def heatmaps(at: AppTest) -> dict[str, np.ndarray]:
    """{panel title: z (units, steps), log10 |dL/dc|}."""
    return {name: t["z"] for name, t in decode_traces(chart_by_key(at, "gradient_flow_heatmaps")["data"]).items()}


def lines(at: AppTest) -> dict[str, np.ndarray]:
    """{line name: y per step}."""
    return {name: t["y"] for name, t in decode_traces(chart_by_key(at, "gradient_flow_lines")["data"]).items()}


def expected_dc(spec: ModelSpec, layer: int = 1, seq: int = 0, loss: str = "c") -> np.ndarray:
    """dL/dc_t (steps, units) straight from the core, for L = sum(c_T) or sum(h_T) of ``layer``."""
    trace = run_model(spec).traces[layer - 1]
    rows = trace.inputs.shape[0]
    if loss == "c":
        final = (np.ones((rows, trace.config.num_units)), None)
    else:
        final = (None, np.ones((rows, trace.config.h_depth)))
    return grad(trace, None, final).dc[seq]


def shown(at: AppTest) -> str:
    """The page's text, What to notice included (the live notes at the slider's value)."""
    return page_text(at, "markdown", "caption", "info", "warning", "error") + "\n" + live_flow_notes(at)


def test_the_plotted_gradient_is_the_cores_at_forget_bias_zero_and_one() -> None:
    at = page()
    panels = heatmaps(at)
    # The live slider's panel beside forget_bias 0 and 1, at the page's value (1); the RNN: its own test.
    assert list(panels) == ["forget_bias 0", "forget_bias 1", "forget_bias 1 (slider)", "plain RNN (tanh)"]
    for title, fb in (("forget_bias 0", 0.0), ("forget_bias 1", 1.0), ("forget_bias 1 (slider)", 1.0)):
        dc = expected_dc(replace(ModelSpec(), forget_bias=fb))
        assert panels[title].shape == (4, 60)
        np.testing.assert_allclose(panels[title], np.log10(np.abs(dc)).T, rtol=1e-5, atol=1e-5, err_msg=title)
    assert all(chart.proto.alt for chart in at.get("plotly_chart"))  # alt text on both charts
    assert "L = sum(c_T)" in shown(at)


def test_forget_bias_one_decays_slower_than_zero_and_the_page_says_by_how_much() -> None:
    at = page()
    y = lines(at)
    zero, one = y["forget_bias 0 · gradient"], y["forget_bias 1 (slider) · gradient"]
    assert zero[-1] == one[-1] == 1  # relative to the last step
    assert one[0] > 1e3 * zero[0]  # at the first step, 59 steps back
    assert np.all(one[:-5] > zero[:-5])
    below = {name: 59 - int(np.nonzero(v < 0.01)[0].max()) for name, v in (("0", zero), ("1", one))}
    assert below["1"] > below["0"]
    text = shown(at)
    assert f"after {below['0']} steps with forget_bias 0" in text
    assert f"after {below['1']} steps with forget_bias 1 (slider)" in text


def test_the_closed_form_is_sigmoid_forget_bias_to_the_steps_back_for_every_bias_shown() -> None:
    at = page()
    at.session_state["forget_bias"] = 2.5  # what releasing the live slider at 2.5 sets (ui.live_flow)
    at.run()
    assert not at.exception
    y = lines(at)
    steps_back = np.arange(59, -1, -1)  # T - t with the last step t = T, as the issue counts them
    for fb in (0.0, 1.0, 2.5):
        sigmoid = 1 / (1 + np.exp(-fb))
        name = next(n for n in y if n.startswith(f"forget_bias {fb:g}") and "closed form" in n)
        np.testing.assert_allclose(y[name], sigmoid**steps_back, rtol=1e-12, err_msg=name)
    assert list(heatmaps(at)) == ["forget_bias 0", "forget_bias 1", "forget_bias 2.5 (slider)", "plain RNN (tanh)"]


def test_a_stacked_batch_shows_the_chosen_layer_and_sequence_with_either_loss() -> None:
    query = {"preset": "notebook_stacked", "layers": "2"}
    at = page(query)
    at.radio(key="layer").set_value(2).run()
    at.radio(key="seq").set_value(1).run()
    at.radio(key="flow_loss").set_value("h").run()
    assert not at.exception
    assert at.query_params["flow_loss"] == "h" and at.query_params["layer"] == "2"
    spec = ModelSpec(units=(4, 5), inputs=InputSpec(preset="notebook_stacked"))
    dc = expected_dc(spec, layer=2, seq=1, loss="h")
    z = heatmaps(at)["forget_bias 1 (slider)"]
    assert z.shape == (5, 3)
    np.testing.assert_allclose(z, np.log10(np.abs(dc)).T, rtol=1e-5, atol=1e-5)
    assert "layer 2 of 2: the loss is this layer's own final state" in shown(at)


def test_a_bad_link_gets_a_message_and_the_default() -> None:
    at = page({"flow_loss": "<script>", "layer": "7"})
    text = shown(at)
    assert "flow_loss" in text and "one of c, h" in text
    assert at.radio(key="flow_loss").value == "c"
    assert len(heatmaps(at)) == 4  # forget_bias 0 and 1, the slider's, and the plain RNN


def test_a_one_step_input_says_there_is_nothing_to_go_back_through() -> None:
    at = page({"preset": "notebook_one_step"})
    assert "single step" in shown(at)
    assert not at.get("plotly_chart")


def test_a_long_relu_run_stays_finite() -> None:
    at = page({"activation": "relu", "weight_scale": "3", "steps": "400"})
    for name, y in lines(at).items():
        assert np.all(np.isfinite(y)) and np.all(y > 0), name  # log axis: no zeros, no NaN
    for z in heatmaps(at).values():
        assert np.all(np.isfinite(z))
    assert "grows going back" in shown(at)


def test_a_far_lower_forget_bias_lies_on_the_floor_instead_of_squeezing_the_lesson() -> None:
    """At forget_bias -3 the gradient falls to 1e-78; the chart keeps 0 and 1 readable and says so."""
    at = page({"forget_bias": "-3"})
    spec = chart_by_key(at, "gradient_flow_lines")
    low, _ = spec["layout"]["yaxis"]["range"]
    lesson = [values for name, values in lines(at).items() if name.startswith(("forget_bias 0 ·", "forget_bias 1 ·"))]
    lowest = min(float(np.log10(v.min())) for v in lesson)
    assert lowest - 2.5 < low < lowest  # about a decade below the lesson's lowest curve, not 1e-78
    notes = " ".join(a["text"] for a in spec["layout"]["annotations"])
    assert "forget_bias -3 (slider): lower than the chart shows, down to 10<sup>−78</sup>" in notes
    assert spec["layout"]["hoverlabel"]["font"]["size"] >= 14


def test_a_far_lower_slider_value_does_not_rescale_the_lessons_heatmaps() -> None:
    scales = {}
    for fb in ("1", "-3"):
        fig = chart_by_key(page({"forget_bias": fb}), "gradient_flow_heatmaps")
        scales[fb] = (fig["layout"]["coloraxis"]["cmin"], fig["layout"]["coloraxis"]["cmax"])
        titles = [a["text"].replace("<br>", " ") for a in fig["layout"]["annotations"]]  # 4 panels: 2 lines
    assert scales["1"] == scales["-3"]  # forget_bias 0's panel looks the same whatever the slider says
    assert any(t.startswith("<b>forget_bias -3 (slider) (below 10") and t.endswith(": darkest)</b>") for t in titles)
