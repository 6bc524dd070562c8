"""The Train page through AppTest: training runs and what the charts show, several runs compared,
the trained model on Explore, the coloured text, bad links, and the published-findings tab."""

from __future__ import annotations

import re

import numpy as np
from streamlit.testing.v1 import AppTest

from helpers import chart_by_key, charts, explore_line, open_page, open_tab, page_text, press
from tools.browser import decode_traces
from ui.weights_menu import MY_TRAINED

PAGE = "app_pages/train.py"


def train_page(query: dict | None = None) -> AppTest:
    return open_page(PAGE, query, timeout=120)


def trainers(at: AppTest) -> dict:
    return at.session_state["_trainers"]


def text(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in [*at.markdown, *at.info])


def test_before_training_the_page_says_what_to_do():
    at = train_page()
    assert "Nothing trained yet" in text(at)
    assert "Delayed recall (10 steps)" in text(at)
    assert [b.label for b in at.button][:3] == ["Train 300 steps", "Stop", "Start over"]
    # One forget_bias on screen that counts: the sidebar's is greyed out, and the sidebar says why.
    assert at.slider(key="forget_bias").disabled and not at.number_input(key="train_fb").disabled
    assert "trains its own cell" in page_text(at.sidebar, "info")


def test_training_learns_delayed_recall_and_the_charts_show_that_run():
    at = press(train_page({"train_steps": "120"}), "Train")
    (trainer,) = trainers(at).values()
    assert trainer.steps_done == 120
    # Seeded: delayed recall over 10 steps is solved at the evaluation after step 48.
    assert trainer.solved_at == 48 and "**Solved** at step 48" in text(at)
    spec = chart_by_key(at, "train_progress")
    traces = [next(iter(decode_traces([t]).values())) for t in spec["data"]]
    losses = next(t for t in traces if t.get("yaxis", "y") == "y")
    np.testing.assert_allclose(losses["y"], [r.loss for r in trainer.history], rtol=1e-6)
    metric = [r.metric for r in trainer.history if r.metric is not None]
    assert metric[-1] > metric[0]  # it learned something
    # The answers chart is the trained model's output on test sequence 0.
    answers = decode_traces(chart_by_key(at, "train_answers")["data"])
    heat = next(t for t in answers.values() if t["type"] == "heatmap")
    _, outputs = trainer.model.run(trainer.test_batch.inputs[:1])
    np.testing.assert_allclose(heat["z"], outputs[0].T, rtol=1e-5, atol=1e-6)
    # "Train more" continues the same run.
    press(at, "Train 120 more")
    assert trainers(at)[next(iter(trainers(at)))].steps_done == 240


def test_runs_with_other_settings_stay_on_the_chart():
    at = press(train_page({"train_steps": "30", "train_fb": "0"}), "Train")
    at.number_input(key="train_fb").set_value(1.0).run()
    press(at, "Train")
    labels = list(trainers(at))
    assert len(labels) == 2 and "forget_bias 0" in labels[0] and "forget_bias 1" in labels[1]
    # The legend names each run by what differs.
    names = {t["name"] for t in chart_by_key(at, "train_progress")["data"]}
    assert names == {"forget_bias 0", "forget_bias 1"}


def test_the_trained_model_opens_on_explore():
    at = press(train_page({"train_steps": "40"}), "Train")
    press(at, "Open on Explore")
    assert at.session_state[MY_TRAINED].startswith("mine:")
    assert at.selectbox(key="weights").value == "mine"
    captions = page_text(at, "caption", sep=" ")
    assert "Delayed recall (10 steps)" in captions and "40 training steps" in captions
    # Explore now runs the trained weights: 16 units, the task's 5 inputs.
    assert "BasicLSTMCell(num_units=16" in explore_line(at) and "11 steps of 5 features" in explore_line(at)


def test_the_character_model_colours_the_text_by_a_unit():
    at = press(train_page({"task": "chars", "train_steps": "5", "train_units": "6"}), "Train")
    (trainer,) = trainers(at).values()
    (html,) = [h.proto.body for h in at.get("html") if "<span title=" in h.proto.body]
    titles = [float(v) for v in re.findall(r'title="([-+0-9.]+)"', html)]
    assert 350 < len(titles) < 400
    from lstm_core.tasks import shipped_text

    chars = shipped_text()[:400]
    chars = chars[: chars.rfind("\n") + 1]  # the page ends the text at the end of a line
    index = {ch: k for k, ch in enumerate(trainer.task.input_names)}
    traces, _ = trainer.model.run(np.eye(len(index))[[index[c] for c in chars]][None])
    np.testing.assert_allclose(titles, traces[-1].new_c[0, :, 0], atol=5e-4)
    at.number_input(key="text_unit").set_value(3).run()
    (html,) = [h.proto.body for h in at.get("html") if "<span title=" in h.proto.body]
    titles = [float(v) for v in re.findall(r'title="([-+0-9.]+)"', html)]
    np.testing.assert_allclose(titles, traces[-1].new_c[0, :, 3], atol=5e-4)
    # The caption points at the units worth colouring by: the three whose colour (c over its largest
    # |c|) changes most from one character to the next.
    c = traces[-1].new_c[0]
    score = [np.abs(np.diff(c[:, u])).mean() / np.abs(c[:, u]).max() for u in range(6)]
    busiest = sorted(range(6), key=lambda u: -score[u])[:3]
    captions = page_text(at, "caption", sep=" ")
    assert f"from one character to the next are {busiest[0]}, {busiest[1]}, {busiest[2]}." in captions, captions


def test_bad_links_get_a_message_and_the_page_still_works():
    at = train_page({"task": "nonsense", "train_units": "1000000", "lr": "7"})
    messages = " ".join(str(w.value) for w in [*at.warning, *at.info, *at.error])
    assert "task" in messages and "train_units" in messages and "lr" in messages
    assert at.selectbox(key="task").value == "recall" and at.number_input(key="train_units").value == 16


def findings_tab() -> AppTest:
    return open_tab(train_page(), "Published findings, checked")


def test_only_the_open_tab_runs():
    at = train_page()
    assert not at.dataframe and "Three published findings" not in text(at)  # the findings wait for their tab
    assert not [c for c in charts(at) if "findings" in c.id]
    at = open_tab(at, "Published findings, checked")
    assert "Three published findings" in text(at) and len(at.dataframe) == 3
    assert len([c for c in charts(at) if "findings" in c.id]) == 3
    assert not [b for b in at.button if b.label.startswith("Train 300")]  # the Train tab's controls are not run
    at = open_tab(at, "Train a model")
    assert [b.label for b in at.button][:3] == ["Train 300 steps", "Stop", "Start over"]


def test_published_findings_tab_shows_the_shipped_results():
    at = findings_tab()
    tables = at.dataframe
    assert len(tables) == 3  # forget_bias, variants, and the cells (tests/app/test_other_cells.py)
    fb = tables[0].value
    assert set(fb["setting"]) == {"forget_bias=0", "forget_bias=1"}
    assert set(tables[1].value["setting"]) >= {
        "basic",
        "coupled (CIFG)",
        "no forget gate (NFG)",
    }  # every variant, named
    # The bars are the summary's numbers: success rate per delay at forget_bias 1.
    bars = {t["name"]: t["y"] for t in chart_by_key(at, "findings_forget_bias")["data"]}
    at_one = fb[fb["setting"] == "forget_bias=1"]
    assert bars["forget_bias=1"] == [float(v) for v in at_one["success_rate"]]


def test_the_small_experiment_runs_live_in_a_worker():
    from lstm_core.experiments import forget_bias_runs

    at = findings_tab()
    at.number_input(key="live_delay").set_value(5).run()
    at.number_input(key="live_seeds").set_value(1).run()
    next(b for b in at.button if b.label.startswith("Train forget_bias 0 and 1")).click().run()
    job = at.session_state["_live_experiment"]
    assert job.request == {"kind": "forget_bias", "delay": 5, "seeds": 1}  # in a worker process, not the page
    button = next(b for b in at.button if b.label.startswith("Train forget_bias 0 and 1"))
    assert button.disabled or not job.active  # one experiment at a time
    assert job.wait(120)
    at.run()
    (table,) = [t.value for t in at.dataframe if "forget_bias" in t.value.columns]
    assert sorted(table["forget_bias"]) == [0.0, 1.0]
    assert table["solved"].all() and (table["steps"] <= 600).all()  # a 5-step delay is learned either way
    # The rows are the experiment's own runs, as lstm_core.experiments trains them.
    expected = {(fb, seed): fn() for _, fb, seed, fn in forget_bias_runs([5], 1, 600)}
    for row in table.to_dict("records"):
        result = expected[(row["forget_bias"], row["seed"])]
        assert (row["solved"], row["steps"], row["accuracy"]) == (result.solved, result.steps, round(result.metric, 3))


def test_a_run_waiting_for_a_worker_says_how_many_are_ahead(monkeypatch):
    from dataclasses import asdict

    from lstm_core.training import TrainSettings
    from workers import pool as workers

    busy = workers.Pool(1)
    monkeypatch.setattr(workers, "_SHARED", busy)
    slow = {"task": "chars", "size": 40, "settings": asdict(TrainSettings(units=32)), "steps": 5000}
    others = [busy.submit("another student", "slow", slow), busy.submit("a third", "slow", slow)]
    try:
        at = train_page({"train_steps": "30"})
        next(b for b in at.button if b.label.startswith("Train")).click().run()
        (bar,) = at.get("progress")
        assert "Waiting: 1 other run is ahead of yours. The server trains 1 run at a time." in bar.proto.text
        assert "Stop" in [b.label for b in at.button if not b.disabled]
        press(at, "Stop")  # a queued run leaves the queue: nothing was trained
        assert not trainers(at) and "Cancelled while it waited: nothing was trained" in text(at)
    finally:
        busy.close()
    assert all(job.state != "done" for job in others)
