"""What the learner picked on one page is what the next page shows: step, unit, sequence, layer, weights."""

from __future__ import annotations

from helpers import explore_value, gradient_flow_value, open_page, page_text, set_explore


def test_the_step_chosen_on_explore_opens_step_through_there_and_back():
    at = set_explore(open_page("app_pages/explore.py"), step=5)
    at.switch_page("app_pages/step_through.py").run()
    assert at.slider(key="step").value == 5 and at.query_params["step"] == "5"
    assert "step t = 5" in page_text(at, "markdown")
    at.selectbox(key="unit").set_value(2).run()
    at.slider(key="step").set_value(7).run()
    at.switch_page("app_pages/compare.py").run()  # a page without these controls keeps them too
    at.switch_page("app_pages/explore.py").run()
    assert explore_value(at, "step") == 7
    at.switch_page("app_pages/step_through.py").run()
    assert at.selectbox(key="unit").value == 2 and at.slider(key="step").value == 7


def test_sequence_layer_and_trained_weights_carry_across_pages():
    at = open_page("app_pages/explore.py", {"preset": "random", "layers": "2"})
    at.radio(key="layer").set_value(2).run()
    at.switch_page("app_pages/step_through.py").run()
    assert at.radio(key="layer").value == 2
    at.selectbox(key="weights").set_value("adding").run()
    at.radio(key="seq").set_value(2).run()
    at.switch_page("app_pages/explore.py").run()
    assert at.selectbox(key="weights").value == "adding" and at.radio(key="seq").value == 2
    assert at.query_params["weights"] == "adding" and at.query_params["seq"] == "2"


def test_forget_bias_is_set_by_the_page_where_it_is_shown_and_the_value_carries():
    at = open_page("app_pages/explore.py")
    assert "set it with the slider on this page" in page_text(at, "caption")
    assert not any(s.key == "forget_bias" for s in at.sidebar.slider)
    set_explore(at, forget_bias=-2.0)
    at.switch_page("app_pages/compare.py").run()  # Compare's is in the sidebar
    assert at.sidebar.slider(key="forget_bias").value == -2.0
    at.switch_page("app_pages/gradient_flow.py").run()
    assert gradient_flow_value(at) == -2.0 and at.query_params["forget_bias"] == "-2"


def test_each_model_trained_in_the_session_can_be_chosen_on_explore_and_step_through():
    from dataclasses import asdict

    from lstm_core.tasks import make_task
    from lstm_core.training import TrainSettings, init_model, model_to_bytes
    from ui import trained, weights_menu

    task = make_task("recall", 10)
    session = trained.SessionWeights()
    keys = []
    for units, fb in ((3, 0.0), (5, 1.0)):
        settings = TrainSettings(units=units, forget_bias=fb)
        meta = {"task": "recall", "size": 10, "title": task.title, "steps": 40, "settings": asdict(settings)}
        weights = trained.register(model_to_bytes(init_model(task, settings), meta))
        session.add(weights)
        keys.append(weights.key)
    at = open_page("app_pages/explore.py")
    at.session_state[weights_menu.SESSION_WEIGHTS] = session
    at.session_state[weights_menu.MY_TRAINED] = keys[1]  # "Open on Explore" of the second
    at.run()
    at.selectbox(key="weights").set_value("mine").run()
    menu = at.selectbox(key="_mine_menu")
    assert (
        menu.options
        == [
            "Delayed recall (10 steps), 5 units, forget_bias 1, 40 steps",
            "Delayed recall (10 steps), 3 units, forget_bias 0, 40 steps",
        ]
        and menu.index == 0
    )
    assert chart_units(at) == 5
    menu.select_index(1).run()
    assert chart_units(at) == 3
    at.switch_page("app_pages/step_through.py").run()
    assert at.selectbox(key="_mine_menu").index == 1 and len(at.selectbox(key="unit").options) == 3


def chart_units(at) -> int:
    from helpers import chart_traces

    return chart_traces(at)["f"]["z"].shape[0]
