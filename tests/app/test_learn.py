"""The Learn page: every chapter runs; its numbers are lstm_core's; answers are hidden until chosen;
the chapter and the answers travel in the link; "Explore this yourself" opens the chapter's run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import as_read, chart_traces, explore_value, finish_training, open_page, page_text
from lstm_core import LSTMConfig, grad, init_params, run
from lstm_core.rnn import BasicRNNConfig, grad_basic_rnn, init_basic_rnn_params, run_basic_rnn
from lstm_core.sequences import InputSpec, make_inputs
from lstm_core.training import metric
from ui import lesson as lessons
from ui import trained
from viz.format import fmt
from viz.lesson import LETTERS
from viz.plan import FALLBACK_7, WARM_UP

LEARN = "app_pages/learn.py"


def chapter_page(number: int, answers: str = ""):
    return open_page(LEARN, {"chapter": str(number), **({"answers": answers} if answers else {})})


def answered(number: int, letter: str) -> str:
    return "-" * (number - 1) + letter


def shown_text(at) -> str:
    return page_text(at, "markdown", "success", "warning", "info", "caption")


def spike_run(forget_bias: float = 1.0):
    """Chapters 2 and 3's run, straight from lstm_core: 3 then 29 zeros, 4 units, seed 3."""
    x = np.zeros((1, lessons.SPIKE_STEPS, 1))
    x[0, 0, 0] = 3.0
    cfg = LSTMConfig(input_size=1, num_units=4, forget_bias=forget_bias)
    return run(cfg, init_params(cfg, seed=lessons.SPIKE_SEED), x)


def first_below_half(c: np.ndarray) -> int | None:
    below = np.nonzero(np.abs(c) / abs(c[0]) < 0.5)[0]
    return int(below[0]) if below.size else None


@pytest.mark.parametrize("number", range(1, lessons.CHAPTERS + 1))
def test_every_chapter_runs_and_hides_its_answer_until_one_is_chosen(number):
    at = chapter_page(number)
    assert at.header[0].value.startswith(f"{number}. ")
    assert not at.success and not at.warning  # no verdict before an answer
    assert "Choose an answer" in page_text(at, "caption")
    charts_before = len(at.get("plotly_chart"))
    question = at.radio(key=f"learn_answer_{number}")
    assert question.value is None
    question.set_value(question.options[0]).run()
    assert not at.exception
    assert at.success or at.warning or at.info  # the verdict (chapter 7: train first)
    assert at.query_params["answers"] == answered(number, "a")
    if number not in (3, 7):  # 3 replaces its chart; 7 draws after training
        assert len(at.get("plotly_chart")) > charts_before or at.code  # the reveal shows something new


def test_chapter_one_prints_the_notebooks_step_as_lstm_core_computes_it():
    at = chapter_page(1, "b")
    cfg = LSTMConfig(input_size=6, num_units=4)
    trace = run(cfg, init_params(cfg, seed=0), np.array([[[3, 2, 2, 2, 2, 2]]], dtype=np.float64))
    i, j, c = trace.i[0, 0, 0], trace.j[0, 0, 0], trace.new_c[0, 0, 0]
    assert f"i = {fmt(i)} of j = {fmt(j)} gives c = {fmt(c)}" in shown_text(at)
    assert "Right." in page_text(at, "success")
    printed = at.code[0].value
    assert printed.startswith("LSTMStateTuple(") and f"{trace.new_c[0, 0, 3]:.8f}"[:8] in printed


def test_chapter_two_half_life_is_the_runs():
    at = chapter_page(2, answered(2, "b"))
    trace = spike_run()
    unit = int(np.argmax(np.abs(trace.new_c[0, 0])))
    life = first_below_half(trace.new_c[0, :, unit])
    text = shown_text(at)
    assert f"Unit {unit}, the one the spike moved most" in text
    assert f"half of it is gone after {life} steps" in text
    assert "Right." in page_text(at, "success")  # it fades: the run says so


def test_chapter_three_measures_each_forget_bias_and_marks_the_longest_memory_right():
    unit = int(np.argmax(np.abs(spike_run().new_c[0, 0])))
    lives = {fb: first_below_half(spike_run(fb).new_c[0, :, unit]) for fb in (-3.0, 0.0, 1.0, 3.0)}
    longest = max(lives, key=lambda fb: math.inf if lives[fb] is None else lives[fb])
    right = "abcd"[(-3.0, 0.0, 1.0, 3.0).index(longest)]
    wrong = next(letter for letter in "abcd" if letter != right)
    at = chapter_page(3, answered(3, wrong))
    assert f"Not quite: it is “forget_bias {longest:g}”" in page_text(at, "warning")
    text = shown_text(at)
    for fb, life in lives.items():
        said = f"{life} step" if life is not None else "more than 29 steps"
        assert f"forget_bias {fb:g}: σ({fb:g}) = {1 / (1 + math.exp(-fb)):.3f}; half of c is gone after {said}" in text
    kept = abs(spike_run(3.0).new_c[0, -1, unit]) / abs(spike_run(3.0).new_c[0, 0, unit])
    assert (
        f"at forget_bias 3 this unit still holds {kept:.0%} of the spike" in text
        or f"grows to {kept:.1f} times" in text
    )
    curves = chart_traces(at)
    measured = curves["forget_bias 0: measured"]["y"]
    np.testing.assert_allclose(
        measured, np.abs(spike_run(0.0).new_c[0, :, unit]) / abs(spike_run(0.0).new_c[0, 0, unit]), rtol=1e-6
    )
    before = chapter_page(3)
    assert list(chart_traces(before)) == ["forget_bias 1: measured", "σ(1)^t = 0.73^t"]  # the others after the answer


def test_chapter_four_breaks_the_trained_model_with_the_accuracy_lstm_core_measures():
    weights = trained.demo("recall")
    task = weights.task
    batch = task.batch(np.random.default_rng([20261201, 5]), 256)
    model = weights.model
    _, outputs = model.run(batch.inputs, batch.lengths)
    as_trained = metric(task, outputs, batch)
    from dataclasses import replace

    broken_model = replace(model, configs=tuple(replace(c, forget_bias=lessons.BROKEN_FB) for c in model.configs))
    _, broken_outputs = broken_model.run(batch.inputs, batch.lengths)
    broken = metric(task, broken_outputs, batch)
    at = chapter_page(4, answered(4, "c"))
    text = shown_text(at)
    assert f"the trained model gets {as_trained:.0%} of 256 fresh sequences right" in text
    assert f"accuracy is {broken:.0%}" in text
    verdict = page_text(at, "success", "warning")
    assert ("Right." in verdict) == (broken < 0.4)


def test_chapter_five_compares_the_lstm_with_a_plain_rnn_from_their_own_gradients():
    x = make_inputs(InputSpec(preset="sine", steps=60, features=2)).values
    ratios = {}
    for fb in (0.0, 1.0):
        cfg = LSTMConfig(input_size=2, num_units=4, forget_bias=fb)
        trace = run(cfg, init_params(cfg, seed=0), x)
        dc = grad(trace, None, (np.ones((1, 4)), None)).dc[0]
        norms = np.linalg.norm(dc, axis=1)
        ratios[fb] = norms[-21] / norms[-1]
    rnn_cfg = BasicRNNConfig(input_size=2, num_units=4)
    rnn = run_basic_rnn(rnn_cfg, init_basic_rnn_params(rnn_cfg, seed=0), x)
    dh = np.linalg.norm(grad_basic_rnn(rnn, None, np.ones((1, 4))).dh[0], axis=1)
    at = chapter_page(5, answered(5, "c"))
    from viz.lesson import fmt_log

    text = shown_text(at)
    assert f"the error is {fmt_log(math.log10(ratios[0.0]))} of itself at forget_bias 0" in text
    assert f"{fmt_log(math.log10(ratios[1.0]))} at forget_bias 1" in text
    assert f"{fmt_log(math.log10(dh[-21] / dh[-1]))} through the plain RNN" in text
    assert "plain RNN (tanh), same input" in chart_traces(at)


def test_the_chapter_and_the_answers_round_trip_through_the_link():
    at = chapter_page(2)
    at.button(key="learn_next").click().run()
    assert at.query_params["chapter"] == "3" and at.header[0].value.startswith("3. ")
    at.radio(key="learn_answer_3").set_value("forget_bias 3").run()
    assert at.query_params["answers"] == "--d"
    again = open_page(LEARN, dict(at.query_params))  # the link, opened by another student
    assert again.header[0].value.startswith("3. ") and again.radio(key="learn_answer_3").value == "forget_bias 3"
    assert "Right." in page_text(again, "success") and "answers chosen in 1 of 7 chapters" in as_read(
        again.get("progress")[0].proto.text
    )
    again.button(key="learn_back").click().run()
    assert again.query_params["chapter"] == "2" and again.query_params["answers"] == "--d"


def test_a_garbled_answers_link_is_read_as_far_as_it_makes_sense():
    at = chapter_page(1, "z?b")
    assert not at.success and not at.warning  # "z" is no answer
    assert at.radio(key="learn_answer_1").value is None
    at = chapter_page(3, "z?d")
    assert "Right." in page_text(at, "success")


def test_explore_this_yourself_opens_the_page_with_the_chapters_run():
    at = chapter_page(3)
    at.session_state["peepholes"] = True  # the learner's own settings elsewhere do not leak in
    at.run()
    at.button(key="learn_explore").click().run()  # the page switches within this run
    assert not at.exception and at.title[0].value.startswith("Explore")
    assert explore_value(at, "forget_bias") == 3.0
    assert at.sidebar.selectbox(key="preset").value == "custom" and not at.sidebar.checkbox(key="peepholes").value
    c = chart_traces(at)["new_c"]["z"]
    np.testing.assert_allclose(c, spike_run(3.0).new_c[0].T, atol=1e-6)


def test_the_teachers_plan_walks_every_chapter_with_its_answer():
    at = chapter_page(1)
    plan = at.get("download_button")[0]
    text = next(e.value for e in at.markdown if "50-minute class" in str(e.value))
    for number in range(1, lessons.CHAPTERS):
        chapter = lessons.chapter(number)
        assert f"{number}. {chapter.title}" in text
        assert (
            f"**Answer:** **{LETTERS[chapter.question.answer]}. {chapter.question.options[chapter.question.answer]}**"
            in text
        )
    assert "44-50 min · 7. Train it yourself" in text
    assert all(symbol in text for symbol in WARM_UP) and FALLBACK_7 in text  # the symbols, then the live run's fallback
    assert plan.proto.label == "Download the plan (.md)"


def test_chapter_seven_trains_both_and_answers_from_the_runs():
    from ui.training_session import run_label

    at = chapter_page(7, answered(7, "b"))
    assert "Train both to see the answer" in page_text(at, "info")
    at.button(key="learn_train").click().run(timeout=180)
    finish_training(at)
    assert not at.exception
    task = lessons.train_task()
    runs = {fb: at.session_state["_trainers"][run_label(task, lessons.train_settings(fb))] for fb in (0.0, 1.0)}
    assert all(run.steps_done == lessons.TRAIN_STEPS for run in runs.values())
    verdict = page_text(at, "success", "warning")
    for fb, trainer in runs.items():
        said = (
            f"solved at step {trainer.solved_at}"
            if trainer.solved_at is not None
            else f"not solved in {lessons.TRAIN_STEPS} steps"
        )
        assert f"forget_bias {fb:g}: {said}, accuracy {trainer.history[-1].metric:.0%}" in verdict
    first = {fb: trainer.solved_at if trainer.solved_at is not None else math.inf for fb, trainer in runs.items()}
    assert ("Right." in verdict) == (first[1.0] < first[0.0])
    assert {"forget_bias 0", "forget_bias 1"} <= set(chart_traces(at))  # both runs' curves
