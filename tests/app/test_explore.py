"""The app and its Explore page through Streamlit's AppTest: what a user sees change."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers import (
    chart_spec,
    chart_traces,
    charts,
    explore_line,
    explore_value,
    live_views,
    open_page,
    page_text,
    set_explore,
)
from lstm_core.sequences import InputSpec
from ui import plotly_live
from ui.model import ModelSpec, run_model


def app(query: dict | None = None) -> AppTest:
    return open_page("app_pages/explore.py", query)


@pytest.fixture
def server_sliders(monkeypatch):
    """Explore as it is drawn without the live views (ui.live_explore): the server's sliders, table
    and printed state (LSTM_LIVE_CHARTS=0, as when the live views cannot start in a browser)."""
    monkeypatch.setenv(plotly_live.ENVIRONMENT, "0")


def notices(at: AppTest) -> str:
    return page_text(at, "warning", "error", "info")


def test_app_runs_and_draws_every_band() -> None:
    at = app()
    assert not at.exception
    traces = chart_traces(at, 0)
    assert list(traces) == ["x", "i", "j", "f", "o", "new_c", "new_h"]
    expected = run_model(ModelSpec()).traces[0]
    for name in ("i", "j", "f", "o", "new_c", "new_h"):
        z = traces[name]["z"]
        assert z.dtype == np.float32 and z.shape == (4, 60), name
        np.testing.assert_array_equal(z, getattr(expected, name)[0].T.astype(np.float32))
    drawn = charts(at)
    assert len(drawn) == 2  # the bands and the line chart
    assert all(chart.live for chart in drawn)  # both updated in place (ui.plotly_live), not redrawn
    assert all(chart.alt for chart in drawn)  # alt text on every chart
    assert drawn[0].alt.startswith("Heatmaps of one sequence") and drawn[1].alt.startswith(
        "Line chart of the cell state c"
    )
    assert all(chart.config == {"displaylogo": False} for chart in drawn)


@pytest.mark.parametrize("live", [True, False], ids=["live slider", "server slider"])
def test_moving_forget_bias_changes_the_forget_gate_heatmap(live: bool, monkeypatch) -> None:
    if not live:
        monkeypatch.setenv(plotly_live.ENVIRONMENT, "0")
    at = app()
    assert ("controls" in live_views(at)) == live
    before = chart_traces(at, 0)["f"]["z"]
    ids = [chart.id for chart in charts(at)]
    set_explore(at, forget_bias=3.0)
    after = chart_traces(at, 0)["f"]["z"]
    assert not np.array_equal(before, after)
    # The same element (key-based id) gets the new figure: the browser keeps the chart and updates it.
    assert charts(at)[0].id.endswith("heatmaps") and (charts(at)[0].id == ids[0] or not live)
    assert after.mean() > before.mean()  # a larger forget bias keeps more
    f_pre = chart_traces(at, 0)["f"]["customdata"]  # hover shows the raw f before the bias
    np.testing.assert_allclose(after, 1 / (1 + np.exp(-(f_pre.astype(np.float64) + 3.0))), rtol=1e-5)
    assert at.query_params["forget_bias"] == "3"  # and the link follows


def test_url_parameters_set_the_controls_and_reproduce_the_figures() -> None:
    query = {
        "num_units": "7",
        "forget_bias": "-1.5",
        "activation": "relu",
        "seed": "3",
        "preset": "ramp",
        "steps": "20",
    }
    at = app(query)
    assert not at.exception
    assert at.slider(key="num_units").value == 7
    assert explore_value(at, "forget_bias") == -1.5
    assert at.selectbox(key="activation").value == "relu"
    assert at.number_input(key="seed").value == 3
    assert at.selectbox(key="preset").value == "ramp"
    spec = ModelSpec(units=(7,), forget_bias=-1.5, activation="relu", seed=3, inputs=InputSpec(preset="ramp", steps=20))
    expected = run_model(spec).traces[0]
    z = chart_traces(at, 0)["o"]["z"]
    assert z.shape == (7, 20)
    np.testing.assert_array_equal(z, expected.o[0].T.astype(np.float32))
    # A second visitor with the same link sees the same numbers.
    np.testing.assert_array_equal(chart_traces(app(query), 0)["new_c"]["z"], chart_traces(at, 0)["new_c"]["z"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"num_units": "1000000000"}, ["num_units", "a whole number from 1 to 256"]),
        ({"forget_bias": "nan"}, ["forget_bias", "not a finite number", "-5 to 5"]),
        ({"preset": "nonsense"}, ["preset", "one of notebook_one_step"]),
        ({"seed": "-1"}, ["seed", "from 0 to"]),
        ({"steps": "2001"}, ["steps", "1 to 2000"]),
        ({"activation": "<script>alert(1)</script>"}, ["activation", "one of tanh"]),
        ({"hack": "1"}, ["hack", "not a setting of this app"]),
    ],
)
def test_bad_url_values_get_a_clear_message_and_the_defaults(query: dict, expected: list[str]) -> None:
    at = app(query)
    assert not at.exception
    text = notices(at)
    for fragment in expected:
        assert fragment in text, (fragment, text)
    default = run_model(ModelSpec()).traces[0]
    np.testing.assert_array_equal(chart_traces(at, 0)["f"]["z"], default.f[0].T.astype(np.float32))


def test_url_message_can_be_dismissed() -> None:
    at = app({"num_units": "0"})
    assert "num_units" in notices(at)
    at.button(key="dismiss_url_messages").click().run()
    assert "num_units" not in notices(at)


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        ("1,2; 3", "same number of features"),
        ("1, nan; 2, 3", "NaN or infinity"),
        ("1, abc", "'abc' is not a number"),
        ("[[1, 2], [3, Infinity]]", "not a finite number"),
        ("__import__('os').system('echo hi')", "is not a number"),
        (";".join(["1"] * 2001), "from 1 to 2000"),
        ("[" * 5000, "does not parse"),
    ],
)
def test_bad_custom_sequences_keep_the_last_valid_input(custom: str, expected: str) -> None:
    at = app({"preset": "custom", "custom": "1,2; 3,4; 5,6"})
    good = chart_traces(at, 0)["x"]["z"]
    assert good.shape == (2, 3)
    at.text_area(key="custom").set_value(custom).run()
    assert not at.exception
    assert expected in notices(at)
    np.testing.assert_array_equal(chart_traces(at, 0)["x"]["z"], good)


def test_custom_json_batch_gets_a_sequence_selector() -> None:
    at = app({"preset": "custom", "custom": "[[[1, 0], [0, 1]], [[0, 0], [1, 1]], [[5, 5], [5, 5]]]"})
    assert not at.exception
    selector = at.radio(key="seq")
    assert selector.options == ["sequence 1", "sequence 2", "sequence 3"]
    selector.set_value(2).run()
    np.testing.assert_array_equal(chart_traces(at, 0)["x"]["z"], np.full((2, 2), 5, np.float32))


def test_notebook_presets() -> None:
    at = app({"preset": "notebook_one_step"})
    assert chart_traces(at, 0)["x"]["z"].tolist() == [[3], [2], [2], [2], [2], [2]]
    at = app({"preset": "notebook_stacked", "layers": "2"})
    assert at.radio(key="seq").options == ["sequence 1", "sequence 2"]
    at.radio(key="layer").set_value(2).run()
    assert chart_traces(at, 0)["new_h"]["z"].shape == (5, 3)  # the notebook's 4 then 5 units


def test_text_preset_puts_characters_on_the_time_axis() -> None:
    at = app({"preset": "text", "text": "abcab"})
    assert chart_spec(at, 0)["layout"]["xaxis"]["ticktext"] == ["a", "b", "c", "a", "b"]
    assert chart_traces(at, 0)["x"]["z"].shape == (3, 5)  # one-hot over the alphabet a, b, c


def test_stack_shows_one_layer_at_a_time() -> None:
    at = app({"layers": "3", "num_units_2": "6", "num_units_3": "2"})
    assert at.radio(key="layer").options == ["layer 1", "layer 2", "layer 3"]
    assert chart_traces(at, 0)["new_h"]["z"].shape[0] == 4
    at.radio(key="layer").set_value(3).run()
    assert chart_traces(at, 0)["new_h"]["z"].shape[0] == 2
    assert at.query_params["layer"] == "3"


def test_pre_activation_toggle_shows_the_raw_split() -> None:
    at = app()
    at.toggle(key="pre").set_value(True).run()
    traces = chart_traces(at, 0)
    assert [name for name in traces][1:5] == ["i_pre", "j_pre", "f_pre", "o_pre"]
    expected = run_model(ModelSpec()).traces[0]
    np.testing.assert_array_equal(traces["f_pre"]["z"], expected.f_pre[0].T.astype(np.float32))


def test_numbers_at_the_selected_step_and_the_state_printout(server_sliders) -> None:
    at = app({"step": "5"})
    expected = run_model(ModelSpec()).traces[0]
    table = at.dataframe[0].value
    np.testing.assert_allclose(table["f"].to_numpy(), expected.f[0, 5])
    np.testing.assert_allclose(table["new_c"].to_numpy(), expected.new_c[0, 5])
    printed = at.code[0].value
    assert printed.startswith("LSTMStateTuple(") and f"{expected.new_c[0, 5, 0]:.8f}" in printed
    at.toggle(key="tuple").set_value(False).run()
    printed = at.code[0].value
    assert printed.startswith("array([[") and f"{expected.new_h[0, 5, 3]:.8f}" in printed


def test_step_beyond_the_sequence_is_clamped_with_a_note() -> None:
    at = app({"steps": "10", "step": "50"})
    assert not at.exception
    assert explore_value(at, "step") == 9
    assert "step" in notices(at)


def test_downloads_are_offered() -> None:
    at = app()
    labels = [b.label for b in at.get("download_button")] if at.get("download_button") else []
    assert len(at.get("download_button")) == 4, labels


def test_overflowing_configuration_reports_and_keeps_the_last_run() -> None:
    at = app({"activation": "identity", "weight_scale": "5", "steps": "2000", "preset": "constant", "num_units": "64"})
    assert not at.exception
    if "overflowed" in notices(at):  # identity with large weights can blow up; then it says so
        assert "cell_clip" in notices(at)


def test_a_link_that_cannot_run_says_why_instead_of_a_blank_page() -> None:
    """The first run overflows, so there is no earlier run to fall back on: the page stops, and
    the notice saying why (written after the page) must still appear."""
    at = app({"activation": "identity", "forget_bias": "5", "weight_scale": "5", "steps": "2000"})
    assert not at.exception
    shown = notices(at)
    assert "cannot be run" in shown and "overflowed at step 909" in shown
    assert "Nothing to show yet" in shown


def test_trained_demo_weights_replace_the_random_ones() -> None:
    """?weights=recall: the shipped model trained on delayed recall, on the task's own inputs."""
    from ui import trained

    at = open_page("app_pages/explore.py", {"weights": "recall"})
    model, _ = trained.load("recall")
    expected = run_model(ModelSpec(trained="recall")).traces[0]
    np.testing.assert_array_equal(expected.params.kernel, model.params[0].kernel)
    f = chart_traces(at)["f"]["z"]
    np.testing.assert_allclose(f, expected.f[0].T, rtol=1e-6)
    captions = page_text(at, "caption", sep=" ")
    assert "Delayed recall (10 steps)" in captions and "accuracy 100%" in captions
    # The sidebar's cell settings do not apply, and the sidebar says so with them greyed out.
    assert at.slider(key="num_units").disabled and not any(s.key == "forget_bias" for s in at.sidebar.slider)
    assert "the trained model's own; the forget_bias slider on this page changes it" in page_text(at.sidebar, "caption")
    assert "bring their own cell and inputs" in page_text(at.sidebar, "info")


def test_a_trained_model_can_be_broken_and_its_accuracy_shows_it(server_sliders) -> None:
    """The classroom demo: lower the trained model's forget_bias (or hold a gate at 1) and watch it fail.
    (Without the live views, the box of changes has its own forget_bias switch and slider.)"""
    from ui import trained
    from ui.model import task_metric

    at = open_page("app_pages/explore.py", {"weights": "recall"})
    assert "accuracy 100% as trained" in page_text(at, "caption")
    at.toggle(key="trained_fb_on").set_value(True).run()
    assert at.slider(key="trained_fb").value == 1.0  # starts from the value it was trained with
    at.slider(key="trained_fb").set_value(-3.0).run()
    weights = trained.demo("recall")
    broken = ModelSpec(trained="recall", trained_forget_bias=-3.0)
    expected = run_model(broken, weights).traces[0]
    assert expected.config.forget_bias == -3.0
    np.testing.assert_allclose(chart_traces(at)["f"]["z"], expected.f[0].T, rtol=1e-6)
    accuracy = task_metric(broken, weights)
    assert accuracy < 0.5  # near the 25% of guessing
    assert f"{accuracy:.0%} with these changes: the changes broke it" in page_text(at, "caption")
    at.selectbox(key="fix_gate").set_value("f").run()  # and never forget, on top
    assert "NFG" in explore_line(at) and not at.exception
    assert at.query_params["trained_fb"] == "-3" and at.query_params["fix_gate"] == "f"


def test_with_the_live_slider_the_box_of_changes_says_the_forget_bias_and_puts_the_trained_one_back() -> None:
    at = open_page("app_pages/explore.py", {"weights": "recall", "trained_fb_on": "true", "trained_fb": "-3"})
    assert not [t for t in at.toggle if t.key == "trained_fb_on"]  # one forget_bias control: the live slider
    assert "forget_bias: -3 (changed)" in page_text(at, "caption") and "the changes broke it" in page_text(
        at, "caption"
    )
    at.button(key="trained_fb_reset").click().run()
    assert "forget_bias: 1, as trained" in page_text(at, "caption") and "trained_fb_on" not in at.query_params


def test_large_runs_go_to_their_own_small_cache() -> None:
    """A class trying the largest sizes must not fill the server's memory with 48 of them."""
    from ui import runs

    assert not runs.is_large(ModelSpec())
    assert not runs.is_large(ModelSpec(units=(64,), inputs=InputSpec(steps=1000)))
    assert runs.is_large(ModelSpec(units=(256, 256, 256), inputs=InputSpec(steps=2000, features=8)))
    assert runs.is_large(ModelSpec(units=(256,), inputs=InputSpec(steps=500)))


def test_stacked_layers_print_every_layers_state_as_multirnncell_does(server_sliders) -> None:
    at = app({"layers": "2", "num_units": "3", "num_units_2": "2", "step": "4"})
    run = run_model(ModelSpec(units=(3, 2))).traces
    printed = at.code[0].value
    assert printed.startswith("(") and printed.count("LSTMStateTuple(") == 2
    for trace in run:  # each layer's own c after step 4, in order
        assert f"{trace.new_c[0, 4, 0]:.8f}" in printed
    assert printed.index(f"{run[0].new_c[0, 4, 0]:.8f}") < printed.index(f"{run[1].new_c[0, 4, 0]:.8f}")


def test_long_vectors_are_summarised_with_every_value_one_click_away(server_sliders) -> None:
    at = app({"num_units": "256", "steps": "5"})
    trace = run_model(ModelSpec(units=(256,), inputs=InputSpec(steps=5))).traces[0]
    short, full = at.code[0].value, at.code[1].value
    assert "..." in short and len(short) < 800  # first and last four of each vector
    assert f"{trace.new_c[0, 0, 0]:.8f}" in short and f"{trace.new_c[0, 0, 255]:.8f}" in short
    assert f"{trace.new_c[0, 0, 100]:.8f}" not in short and f"{trace.new_c[0, 0, 100]:.8f}" in full
    assert any(e.label.startswith("All 256 values") for e in at.expander)


def _band(at, name: str) -> dict:
    return next(t for t in chart_spec(at, 0)["data"] if t.get("name") == name)


def test_the_cell_states_colours_do_not_follow_the_data():
    """A sine at forget_bias -3 must look fainter than at 1: the range is fixed by the cell, not fitted."""
    weak, strong = app({"forget_bias": "-3"}), app({"forget_bias": "1"})
    for at in (weak, strong):
        assert (_band(at, "new_c")["zmin"], _band(at, "new_c")["zmax"]) == (-1.0, 1.0)
    c_weak = run_model(ModelSpec(forget_bias=-3.0)).traces[0].new_c
    c_strong = run_model(ModelSpec()).traces[0].new_c
    assert np.abs(c_weak).max() < 0.5 * np.abs(c_strong).max()  # so it is drawn paler, as it should be
    fitted = app({"forget_bias": "-3", "fit": "true"})
    assert _band(fitted, "new_c")["zmax"] < 0.5  # fit to the data: stretched over its own values


def test_values_beyond_the_range_are_saturated_marked_and_counted():
    at = app({"forget_bias": "5"})
    c = run_model(ModelSpec(forget_bias=5.0)).traces[0].new_c[0]
    outside = int((np.abs(c) > 1).sum())
    assert outside > 0
    band = _band(at, "new_c")
    assert sum(cell != "" for row in band["text"] for cell in row) == outside
    assert "%{text}" in band["hovertemplate"]
    marks = [t for t in chart_spec(at, 0)["data"] if t.get("name") == "beyond the colour range"]
    assert len(marks) == 1 and len(chart_traces(at)["beyond the colour range"]["x"]) == outside
    labels = " ".join(a["text"] for a in chart_spec(at, 0)["layout"]["annotations"])
    assert f"dots: {outside:,} beyond" in labels and f"up to {np.abs(c).max():.2f}" in labels


def test_a_higher_layers_input_is_the_h_below_on_hs_scale():
    at = app({"layers": "2", "layer": "2"})
    band = _band(at, "x")
    assert (band["zmin"], band["zmax"]) == (-1.0, 1.0)
    labels = " ".join(a["text"] for a in chart_spec(at, 0)["layout"]["annotations"]).replace("<br>", " ")
    assert "x = h</b> h of the layer below" in labels


def test_the_custom_table_fits_three_features_in_the_sidebar() -> None:
    """Narrow columns and no index column: x0, x1 and x2 all show in the sidebar's width."""
    import json

    at = app({"preset": "custom"})
    (table,) = [node for node in at.sidebar if node.type == "dataframe"]
    columns = json.loads(table.proto.columns)
    assert all(columns[name]["width"] == "small" for name in ("x0", "x1", "x2"))
    assert columns["_index"]["hidden"]
