"""Explore's live views through AppTest: what the page sends the browser (the store of every forget
bias, the controls standing for the page's forget_bias, step and unit), what a release or a click
sets, and when the page goes back to the server's sliders and says why."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest

from helpers import chart_traces, live_views, open_page, page_text
from lstm_core.sequences import InputSpec
from ui import files, live_explore, plotly_live, sweeps, trained
from ui.model import ModelSpec, run_model
from viz.lines import lines_alt
from viz.live import unpack
from viz.notice import explore_notes, longest_memory

EXPLORE = "app_pages/explore.py"


def test_the_store_holds_the_pages_run_at_the_selected_forget_bias_and_every_other():
    at = open_page(EXPLORE, {"forget_bias": "-1.5", "step": "7"})
    views = live_views(at)
    assert set(views) == {"store", "controls", "heatmaps", "lines", "table", "state", "notes"}
    store, arrays = views["store"]
    controls, _ = views["controls"]
    assert controls["forget_bias"] == -1.5 and controls["step"] == 7 and controls["steps"] == 60
    assert all(views[role][0]["store"] == store["id"] for role in views if role != "store")
    k = store["biases"].index(-1.5)
    run = run_model(ModelSpec(forget_bias=-1.5)).traces[0]
    np.testing.assert_array_equal(arrays["f"][k], run.f[0])
    np.testing.assert_array_equal(arrays["new_c"][k], run.new_c[0])
    # The heatmaps the page draws are the run at the selected forget bias, as the server draws them.
    np.testing.assert_array_equal(chart_traces(at, 0)["f"]["z"], run.f[0].T.astype(np.float32))
    assert "set it with the slider on this page" in page_text(at.sidebar, "caption")
    assert at.get("slider") and not any(s.key in ("forget_bias", "step") for s in at.slider)


def test_a_release_elsewhere_changes_nothing_the_store_does_not_depend_on():
    """The store is the same bytes whatever forget bias or step is selected: Streamlit sends it once."""
    at = open_page(EXPLORE)
    before = next(n for n in at.main if n.type == "bidi_component" and n.proto.id.endswith("_store")).proto.bytes
    at.session_state["forget_bias"] = 2.3
    at.session_state["step"] = 12
    at.run()
    after = next(n for n in at.main if n.type == "bidi_component" and n.proto.id.endswith("_store")).proto.bytes
    assert after == before
    assert live_views(at)["controls"][0]["forget_bias"] == 2.3
    assert at.query_params["forget_bias"] == "2.3" and at.query_params["step"] == "12"


def test_above_the_budget_the_sweep_is_skipped_and_the_page_says_why():
    at = open_page(EXPLORE, {"steps": "300", "num_units": "32"})
    assert "controls" not in live_views(at) and "store" not in live_views(at)
    reason = page_text(at, "caption", sep=" ")
    assert (
        "Too large to precompute every forget_bias" in reason and f"at most {sweeps.LIVE_BYTES // 2**20} MB" in reason
    )
    assert at.slider(key="forget_bias").value == 1.0  # the server's slider, as before
    at.slider(key="forget_bias").set_value(2.0).run()
    assert at.query_params["forget_bias"] == "2"


def test_a_large_run_scrubs_on_a_coarser_grid_that_holds_the_value_set():
    at = open_page(EXPLORE, {"steps": "60", "num_units": "32", "forget_bias": "1.3"})
    store, _ = live_views(at)["store"]
    controls, _ = live_views(at)["controls"]
    assert 1.3 in store["biases"] and 1.2 in store["biases"] and 1.1 not in store["biases"]
    assert "stops every 0.2" in controls["note"]


def test_with_trained_weights_the_live_slider_is_the_trained_models_forget_bias():
    at = open_page(EXPLORE, {"weights": "recall"})
    controls, _ = live_views(at)["controls"]
    own = trained.demo("recall").configs[0].forget_bias
    assert controls["label"] == "forget_bias instead of the trained one" and controls["forget_bias"] == own
    at.session_state["trained_fb_on"] = True  # what releasing it at -3 sets (see the callback test below)
    at.session_state["trained_fb"] = -3.0
    at.run()
    # One forget_bias control: the box of changes says the value and offers the way back.
    assert not [t for t in at.toggle if t.key == "trained_fb_on"] and "forget_bias: -3 (changed)" in page_text(
        at, "caption"
    )
    assert at.query_params["trained_fb"] == "-3" and at.query_params["trained_fb_on"] == "true"
    store, arrays = live_views(at)["store"]
    assert live_views(at)["controls"][0]["forget_bias"] == -3.0
    run = run_model(ModelSpec(trained="recall", trained_forget_bias=-3.0), trained.demo("recall")).traces[0]
    np.testing.assert_array_equal(arrays["f"][store["biases"].index(-3.0)], run.f[0])


class FakeState(dict):
    """st.session_state for a callback run outside a script (the component's trigger value in it)."""


@pytest.fixture
def state(monkeypatch) -> FakeState:
    fake = FakeState()
    monkeypatch.setattr(live_explore.st, "session_state", fake)
    return fake


def test_releasing_the_slider_sets_the_pages_forget_bias(state):
    state[f"{live_explore.KEY}_controls"] = {"release": {"forget_bias": 2.5}}
    follow = live_explore.Follow(1.0, ModelSpec())
    live_explore._released(False, follow)
    assert state["forget_bias"] == 2.5
    # What the controls' own rerun is told, and what the downloads are then built from.
    assert state[live_explore.CHANGED] == ("release", 1.0, 2.5)
    assert follow.forget_bias == 2.5 and follow.spec == ModelSpec(forget_bias=2.5)
    state.clear()
    state[f"{live_explore.KEY}_controls"] = {"release": {"forget_bias": -0.4}}
    live_explore._released(True, live_explore.Follow(1.0, ModelSpec()))  # trained weights: their own, switched on
    assert state["trained_fb_on"] is True and state["trained_fb"] == -0.4 and "forget_bias" not in state


@pytest.mark.parametrize("value", [1.0, float("nan"), 7.0, "2", None, True, {"x": 1}])
def test_a_release_at_the_value_shown_or_a_bad_value_changes_nothing(state, value):
    state[f"{live_explore.KEY}_controls"] = {"release": {"forget_bias": value}}
    follow = live_explore.Follow(1.0, ModelSpec())
    live_explore._released(False, follow)
    assert "forget_bias" not in state and live_explore.CHANGED not in state and follow.forget_bias == 1.0


def test_clicking_a_cell_selects_its_step_and_unit(state):
    state[f"{live_explore.KEY}_controls"] = {"select": {"step": 12, "unit": 3}}
    live_explore._selected()
    assert state["step"] == 12 and state["unit"] == 3 and state[live_explore.CHANGED] == ("select",)
    state[f"{live_explore.KEY}_controls"] = {"select": {"step": -1, "unit": "2"}}
    live_explore._selected()  # nonsense from a browser is ignored
    assert state["step"] == 12 and state["unit"] == 3


def test_the_watchdog_and_the_module_report_a_failed_start(state):
    state[f"{live_explore.KEY}_watchdog"] = {"failed": "the live charts' code did not start"}
    live_explore._failed_watchdog()
    assert state[live_explore.FAILED] == "the live charts' code did not start"
    state[f"{live_explore.KEY}_controls"] = {"failed": "x" * 1000}
    live_explore._failed()
    assert state[live_explore.FAILED] == "x" * 300  # what a browser says is cut short


def test_when_the_live_views_cannot_start_the_page_says_so_and_keeps_every_value():
    at = open_page(EXPLORE, {"forget_bias": "2.5", "step": "4"})
    at.session_state[live_explore.FAILED] = "Could not load Plotly.js from /component/x"
    at.run()
    assert "controls" not in live_views(at)
    assert at.slider(key="forget_bias").value == 2.5 and at.slider(key="step").value == 4
    said = page_text(at, "caption", sep=" ")
    assert "could not start in this browser (Could not load Plotly.js" in said and "Everything you set is kept" in said
    at.button(key=f"{live_explore.KEY}_retry").click().run()
    assert "controls" in live_views(at) and live_views(at)["controls"][0]["forget_bias"] == 2.5


def test_the_setting_that_turns_live_charts_off_draws_the_server_sliders(monkeypatch):
    monkeypatch.setenv(plotly_live.ENVIRONMENT, "0")
    at = open_page(EXPLORE)
    assert not live_views(at) and at.slider(key="forget_bias").value == 1.0
    assert "Live scrubbing is off on this server" in page_text(at, "caption", sep=" ")


def test_a_cell_that_overflows_somewhere_on_the_grid_is_not_swept():
    query = {"activation": "identity", "weight_scale": "5", "steps": "1000"}
    spec = ModelSpec(activation="identity", weight_scale=5.0, inputs=InputSpec(steps=1000))
    run_model(spec)  # fine at forget_bias 1 ...
    with pytest.raises(ValueError, match="overflowed"):
        run_model(replace(spec, forget_bias=5.0))  # ... not at 5
    at = open_page(EXPLORE, query)
    assert "controls" not in live_views(at)
    assert "At forget_bias" in page_text(at, "caption", sep=" ") and "the cell overflows" in page_text(at, "caption")


def store_element(at):
    return next(
        node
        for node in at.main
        if node.type == "bidi_component" and node.proto.id.endswith(f"{live_explore.KEY}_store")
    )


def test_the_rerun_after_a_release_sends_only_the_id_of_the_store_the_browser_holds(state):
    state[f"{live_explore.KEY}_controls"] = {"release": {"forget_bias": 2.5, "held": "0123abcd"}}
    live_explore._released(False, live_explore.Follow(1.0, ModelSpec()))
    assert state[live_explore.HELD] == "0123abcd"
    state[f"{live_explore.KEY}_controls"] = {"select": {"step": 3, "held": "feedbeef"}}
    live_explore._selected()
    assert state[live_explore.HELD] == "feedbeef"


def test_a_held_store_is_sent_as_its_id_once_and_whole_when_the_browser_lacks_it():
    at = open_page("app_pages/explore.py")
    full = store_element(at).proto.bytes
    header, _ = unpack(full)
    at.session_state[live_explore.HELD] = header["id"]  # what the release's callback keeps
    at.run()
    stub = store_element(at).proto.bytes
    assert unpack(stub)[0] == {"role": "store", "id": header["id"], "held": True} and len(stub) < 200 < len(full)
    assert live_views(at)["controls"][0]["store"] == header["id"]  # the views still name that store
    at.run()  # a rerun not caused by the browser: the store whole, as ever
    assert store_element(at).proto.bytes == full
    at.session_state[live_explore.HELD] = "not-this-one"
    at.run()
    assert store_element(at).proto.bytes == full
    at.session_state[live_explore.HELD] = header["id"]
    at.session_state[live_explore.MISSING] = True  # the browser said it does not have it after all
    at.run()
    assert store_element(at).proto.bytes == full


def test_what_to_notice_is_written_at_every_forget_bias_and_shown_at_the_selected_one():
    """The notes view's sentences are viz.notice's of lstm_core's run at each forget bias (the
    markdown's bold runs split out), with the unit the line chart's default follows."""
    at = open_page(EXPLORE, {"forget_bias": "2"})
    store, _ = live_views(at)["store"]
    assert "notes" in live_views(at) and "What to notice" not in page_text(at, "markdown")
    for bias in (-3.0, 0.0, 2.0, 4.5):
        k = store["biases"].index(bias)
        run = run_model(ModelSpec(forget_bias=bias)).traces[0]
        assert ["**".join(runs) for runs in store["notes"][k]] == explore_notes(run, 0, None)
        memory = longest_memory(run, 0)
        assert store["memory_units"][k] == (memory.unit if memory else None)
    lines, _ = live_views(at)["lines"]
    units = sorted({unit for _, unit in lines["series"]})
    k = store["biases"].index(-3.0)
    assert lines["alts"][k] == lines_alt(run_model(ModelSpec(forget_bias=-3.0)).traces[0], 0, units)


def test_a_release_reruns_the_page_only_where_the_page_itself_changes():
    """A click, or a release with the sidebar's weights, reruns the controls alone; with trained
    weights (their box says whether forget_bias is changed) a release reruns the page, as do live
    views that failed (tested in the browser)."""
    live = live_explore.Live(b"", "id", np.zeros(3), 1.0, True, False, {}, (0, 3, 1))
    assert not live_explore._page_changes(live, ("select",))
    assert not live_explore._page_changes(live, ("release", 1.0, -2.0))
    assert live_explore._page_changes(replace(live, trained=True), ("release", 1.0, 1.5))
    assert not live_explore._page_changes(replace(live, trained=True), ("select",))


def test_the_line_charts_units_are_those_what_to_notice_follows_over_the_slider_and_hold_still():
    """Until the learner picks: the units What to notice names over the sweep, most forget biases
    first, then the first units; the same whatever the slider's value, so a release does not move them."""
    live = live_explore.Live(b"", "id", np.zeros(101), 1.0, True, False, {}, (3,) * 60 + (1,) * 30 + (None,) * 11)
    assert live_explore.lines_default(live, 4) == [0, 1, 3]
    live = replace(live, memory_units=(9,) * 50 + (5,) * 30 + (2,) * 20 + (7,))
    assert live_explore.lines_default(live, 32) == [2, 5, 9]
    assert live_explore.lines_default(replace(live, memory_units=(None,) * 101), 2) == [0, 1]
    at = open_page(EXPLORE, {"forget_bias": "-3"})
    shown = sorted({unit for _, unit in live_views(at)["lines"][0]["series"]})
    store, _ = live_views(at)["store"]
    followed = {u for u in store["memory_units"] if u is not None}
    assert len(shown) == 3 and (followed <= set(shown) if len(followed) <= 3 else len(followed & set(shown)) == 3)
    assert f"Until you pick: units {', '.join(map(str, shown))}, the ones What to notice talks about" in page_text(
        at, "caption"
    )
    at.session_state["forget_bias"] = 2.0  # what a release sets: the units stay
    at.run()
    assert sorted({unit for _, unit in live_views(at)["lines"][0]["series"]}) == shown
    at.session_state["units"] = "0,2"  # picked: the chart shows them, and the caption goes
    at.run()
    assert sorted({unit for _, unit in live_views(at)["lines"][0]["series"]}) == [0, 2]
    assert "Until you pick" not in page_text(at, "caption")


def test_the_downloads_are_built_at_the_forget_bias_released_since_they_were_drawn(state):
    follow = live_explore.Follow(1.0, ModelSpec())
    state[f"{live_explore.KEY}_controls"] = {"release": {"forget_bias": -2.5}}
    live_explore._released(False, follow)
    saved = json.loads(files._followed("config_json", follow, None, 0))
    assert saved["spec"]["forget_bias"] == -2.5 and saved["layers"][0]["forget_bias"] == -2.5
    with np.load(io.BytesIO(files._followed("trace_npz", follow, None, 0)), allow_pickle=False) as data:
        f = data["layer1_f"]
    np.testing.assert_array_equal(f, run_model(ModelSpec(forget_bias=-2.5)).traces[0].f)
