"""What the learner picked on one page is what the next page shows: step, unit, sequence, layer, weights."""

from __future__ import annotations

from helpers import explore_value, open_page, page_text, set_explore


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
    at.selectbox(key="weights").set_value("recall").run()
    at.radio(key="seq").set_value(2).run()
    at.switch_page("app_pages/explore.py").run()
    assert at.selectbox(key="weights").value == "recall" and at.radio(key="seq").value == 2
    assert at.query_params["weights"] == "recall" and at.query_params["seq"] == "2"


def test_forget_bias_is_set_by_the_page_where_it_is_shown_and_the_value_carries():
    at = open_page("app_pages/explore.py")
    assert "set it with the slider on this page" in page_text(at, "caption")
    assert not any(s.key == "forget_bias" for s in at.sidebar.slider)
    set_explore(at, forget_bias=-2.0)
    at.switch_page("app_pages/compare.py").run()  # Compare's is in the sidebar
    assert at.sidebar.slider(key="forget_bias").value == -2.0
    at.switch_page("app_pages/gradient_flow.py").run()
    assert at.slider(key="forget_bias").value == -2.0 and at.query_params["forget_bias"] == "-2"
