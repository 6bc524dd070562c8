"""Train: watch a small LSTM (or a plain RNN, or a GRU) learn a task that needs memory, live, and look
at what it learned."""

from __future__ import annotations

import streamlit as st

from lstm_core.experiments import RESULTS, read_csv
from lstm_core.sequences import one_hot, show_char
from lstm_core.tasks import TASKS, Task, format_metric, make_task, shipped_text, task_title
from lstm_core.training import TrainSettings, model_to_bytes, trained_meta
from lstm_core.variants import CHOICES, VARIANTS, is_lstm, variant_label
from ui import controls, keep, page, trained, urlstate, weights_menu
from ui import training_session as session
from viz.compare import Column, heatmaps_alt, value_heatmaps
from viz.gradflow import FB_COLORS, RNN_COLOR
from viz.heatmaps import heatmap_alt, trace_heatmaps
from viz.notes.training import cells_verdict, findings_summary, silent_wait_note, start_note, variants_verdict
from viz.training import (
    GRU_COLOR,
    answers_alt,
    answers_figure,
    busiest_units,
    colored_text,
    findings_figure,
    progress_figure,
)
from workers.pool import Busy

_LAST_TASK = "_train_last_task"
_PRESSED = "_train_pressed"  # set by the Train button's callback, taken by the run that follows
_EXPERIMENT_PRESSED = "_experiment_pressed"  # the same for the findings tab's small experiment

st.title("Train: watch a small LSTM learn to remember")
st.markdown(
    "Random weights show what the cell computes; trained weights show what it is **for**. Pick a task "
    "that needs memory, press **Train**, and watch the loss fall. Change this page's **forget_bias** or "
    "the cell (an LSTM variant, a plain RNN or a GRU) and train again: every run of this session stays on "
    "the chart, so you can compare."
)


def progress_chart(area, task: Task, label: str, **kwargs) -> None:
    """The loss and metric of this session's runs of ``task`` (``label``'s drawn thick) in ``area``."""
    runs = session.runs_of(task)
    alt = kwargs.pop(
        "alt", f"Loss and {task.metric_name} over the training steps of this session's runs of {task.title}."
    )
    with area:
        page.chart(progress_figure(runs, task, label, session.legend_names(list(runs))), alt=alt, **kwargs)


def show_training() -> None:
    """The "Train a model" tab: settings, Train/Stop, the live charts, then the trained model."""
    row = st.columns([1.4, 1, 1.2, 1])
    task_key = controls.select("task", container=row[0], format_func=task_title)
    kind = TASKS[task_key]
    if st.session_state.get(_LAST_TASK, task_key) != task_key:  # a new task starts from its own defaults
        urlstate.set_value("task_size", kind.size_default)
        urlstate.set_value("train_steps", kind.default_steps)
    st.session_state[_LAST_TASK] = task_key
    if urlstate.value("task_size") == 0:
        urlstate.set_value("task_size", kind.size_default)
    if urlstate.value("train_steps") == 0:
        urlstate.set_value("train_steps", kind.default_steps)
    size = controls.number(
        "task_size",
        container=row[1],
        low=kind.size_low,
        high=kind.size_high,
        help=f"{kind.size_name}, {kind.size_low} to {kind.size_high}: how hard the task is.",
    )
    variant = controls.select(
        "train_variant",
        container=row[2],
        format_func=variant_label,
        help="The cell: an LSTM variant, as on the Compare page, or TensorFlow's plain RNN (BasicRNNCell) or "
        "GRU (GRUCell), which have no forget gate.",
    )
    units = controls.number("train_units", container=row[3])
    row = st.columns([1, 1, 1.2, 1])
    lstm = is_lstm(variant)
    forget_bias = controls.number(
        "train_fb",
        container=row[0],
        disabled=not lstm,
        help="Added to the forget gate's input at every step. This page's own: the sidebar's forget_bias is for the other pages."
        + ("" if lstm else " The plain RNN and the GRU have no forget gate, so it does not apply to them."),
    )
    lr = controls.select("lr", container=row[1], help="Adam's step size.")
    steps = controls.number("train_steps", container=row[2], low=1, help="Steps of Adam, 32 sequences each.")
    seed = controls.number("train_seed", container=row[3], help="The same seed gives the same weights and batches.")

    task: Task = make_task(task_key, size)
    settings = TrainSettings(
        units=int(units),
        variant=variant,
        forget_bias=float(forget_bias) if lstm else 1.0,  # not used by the other cells: one run whatever it says
        learning_rate=float(lr),
        seed=int(seed),
    )
    st.info(f"**{task.title}.** {task.description}")

    label = session.run_label(task, settings)
    buttons = st.columns([1, 1, 1, 3])
    steps = max(int(steps), 1)
    if st.session_state.pop(_PRESSED, False) and not session.active():  # Train, pressed: this run's settings
        try:
            # A short run is done before the page draws.
            session.train(task, settings, steps).job.wait(session.QUICK_SECONDS)
        except Busy:
            _say(
                "warning", "This session is already training two runs (the Learn page's?): wait for them or stop them."
            )
    for done_label, kind, message in session.collect():  # other runs' jobs that finished since the last run
        if done_label != label:
            _say(kind, f"{done_label}: {message}")
    if (said := session.note(label)) is not None:  # this run's last job: how it went, the reminder to download
        _say(*said)
    trainer = session.trainers().get(label)
    training = session.active()
    # Train and Stop act in their callbacks, before the page runs: the buttons below are then drawn
    # for what is going on (Train off and Stop on while a run trains) in the same run.
    buttons[0].button(
        f"Train {steps} steps" if trainer is None else f"Train {steps} more",
        type="primary",
        disabled=bool(training),
        on_click=st.session_state.__setitem__,
        args=(_PRESSED, True),
        help="Trains with Adam on fresh batches, in one of the server's worker processes; the chart updates as it goes."
        + (" One run at a time: stop the one training first." if training else ""),
    )
    buttons[1].button(
        "Stop",
        disabled=not training,
        on_click=session.stop_all,
        help="Stops training; the model keeps what it learned so far.",
    )
    if buttons[2].button(
        "Start over",
        disabled=trainer is None or label in training,
        help="Forget this run and start from new weights.",
    ):
        session.forget(task, settings)
        trainer = None

    chart = st.empty()
    status = st.empty()
    if training:

        def draw(found: dict) -> None:
            for running_label, pending in found.items():
                done, text = session.status_text(pending)
                if running_label != label:
                    text = f"{running_label}: {text}"
                st.progress(done, text=text)
            if not session.running():
                return  # waiting in the queue: the chart of the runs so far is drawn below, once
            shown = dict(session.runs_of(task))
            for running_label, pending in found.items():
                if pending.task.title == task.title:
                    shown[running_label] = session.progress(pending)
            if shown:
                page.chart(
                    progress_figure(shown, task, label, session.legend_names(list(shown))),
                    key=None,
                    alt=f"Loss and {task.metric_name} of this session's runs of {task.title}, as they train.",
                )

        with chart.container():
            session.watch(draw)
        if label in training:
            if not session.running() and session.runs_of(task):  # waiting: the runs so far, drawn once
                progress_chart(status, task, label, key="train_progress")
            return  # the model's details follow when it has finished (the page runs again then)

    runs = session.runs_of(task)
    if trainer is None:
        if training:  # another run of the session trains: the Train button waits for it
            st.info(
                "Nothing trained yet with these settings. One run trains at a time: when the run above has "
                f"finished (or you stop it), press **Train {steps} steps** to train these."
            )
        else:
            st.info(
                f"Nothing trained yet with these settings. Press **Train {steps} steps** to start: it takes "
                f"{'a few seconds' if task.key in ('recall', 'sine') else 'ten to thirty seconds'} on a laptop."
            )
        if runs and not session.running():  # the runs of this task so far stay on screen to compare the next one with
            progress_chart(
                chart,
                task,
                label,
                key="train_progress",
                alt=f"Loss and {task.metric_name} of this session's {len(runs)} earlier run(s) of {task.title}.",
            )
            compare_runs(task, runs)
        return

    if not session.running():
        progress_chart(
            chart,
            task,
            label,
            key="train_progress",
            alt=f"Loss and {task.metric_name} over the training steps of {len(runs)} run(s) of {task.title} in this session.",
        )
    compare_runs(task, runs)
    value = session.latest_metric(trainer)
    verdict = f"**Solved** at step {trainer.solved_at}" if trainer.solved_at is not None else "**Not solved yet**"
    status.markdown(
        f"{verdict}: after {trainer.steps_done} steps, {task.metric_name} "
        f"**{format_metric(task.metric_name, value)}** on 256 test sequences "
        f"(solved means {format_metric(task.metric_name, task.solved_at)}"
        f"{' or better' if task.higher_is_better else ' or lower'})."
    )

    cell_name = CHOICES[settings.variant].label
    st.subheader("What the trained model does")
    test = trainer.test_batch
    row_count = test.inputs.shape[0]
    pick = st.columns([1, 3])
    shown = int(pick[0].number_input("Test sequence", 0, row_count - 1, 0, key="train_test_row"))
    one = test.rows(shown, shown + 1)
    traces, outputs = trainer.model.run(one.inputs, one.lengths)
    page.chart(answers_figure(task, outputs, one), key="train_answers", alt=answers_alt(task, outputs, one, value))
    st.caption(
        "The answer comes from a linear read-out of the last layer's output h at each step"
        + ("; rings mark what was wanted." if task.output != "linear" else ".")
    )
    step_labels = tuple(str(t) for t in range(test.inputs.shape[1]))
    if lstm:
        page.chart(
            trace_heatmaps(
                traces[-1],
                0,
                step_labels=step_labels,
                feature_names=tuple(show_char(name) for name in task.input_names),
                title="The trained cell's gates on this test sequence",
            ),
            key="train_heatmaps",
            alt=heatmap_alt(traces[-1], 0, False),
        )
    else:  # the cell's own quantities, drawn as Compare draws them
        column = [Column(settings.variant, cell_name, traces[-1])]
        st.caption(
            f"The trained {cell_name}'s own quantities on this test sequence"
            + (
                ": the reset gate r, the update gate u (how much of h is kept), the candidate c̃ and h."
                if variant == "gru"
                else ": h is all it has."
            )
        )
        page.chart(value_heatmaps(column, 0, step_labels), key="train_heatmaps", alt=heatmaps_alt(column, 0))

    if task.key == "chars":
        st.subheader("The text, coloured by one unit")
        text = shipped_text()[:400]
        text = text[: text.rfind("\n") + 1] or text  # end at the end of a line
        values = one_hot(text, task.input_names)
        pick = st.columns([1, 1, 3])
        unit = int(controls.number("text_unit", container=pick[0], high=settings.units - 1))
        if lstm:
            by = controls.select("text_by", container=pick[1], format_func={"c": "cell state c", "h": "output h"}.get)
        else:
            by = "h"
            pick[1].caption(f"Coloured by h: the {cell_name} has no cell state.")
        text_traces, _ = trainer.model.run(values[None])
        quantity = text_traces[-1].new_c if by == "c" else text_traces[-1].new_h
        st.html(colored_text(text, quantity[0, :, min(unit, quantity.shape[2] - 1)]))
        busiest = ", ".join(str(u) for u in busiest_units(quantity[0]))
        st.caption(
            "Each character's background is the unit's value just after reading it: red positive, blue "
            "negative. Hover a character for the number. Look for units that track a line, a word or a rhyme: "
            f"the units whose colour changes most from one character to the next are {busiest}."
        )

    st.subheader("Use this model elsewhere")
    if not lstm:
        st.caption(
            f"Explore and Step through show LSTMs only, so a trained {cell_name} stays on this page: its answers and "
            "its quantities are above. Train an LSTM variant to open it there."
        )
        return
    use = st.columns([1, 1, 2])
    data = model_to_bytes(trainer.model, trained_meta(trainer, size, value))
    if use[0].button("Open on Explore", type="primary", help="See every gate of this model on the Explore page."):
        weights = trained.register(data)
        weights_menu.keep_weights(weights)
        st.session_state[weights_menu.MY_TRAINED] = weights.key
        keep.remember_mine(weights, data)
        urlstate.set_value("weights", trained.MINE)
        st.switch_page("app_pages/explore.py")
    use[1].download_button(
        "Download weights (.npz)",
        data,
        file_name=f"lstm_{task.key}_{settings.units}units.npz",
        mime="application/octet-stream",
    )


def _say(kind: str, message: str) -> None:
    {"success": st.success, "info": st.info, "warning": st.warning}.get(kind, st.error)(message)


def compare_runs(task: Task, runs: dict) -> None:
    """Under the chart: the note on step 0's accuracy, and a table of this session's runs of ``task``."""
    names = session.legend_names(list(runs))
    starts = [(names[name], t.start_metric) for name, t in runs.items() if t.start_metric is not None]
    if task.metric_name == "accuracy" and starts:
        st.caption(start_note(starts, task.output_size, one_answer=task.key == "recall"))
    if len(runs) < 2:
        return
    rows = [
        {
            "run": names[name],
            "steps": t.steps_done,
            "solved at step": t.solved_at if t.solved_at is not None else "not yet",
            f"{task.metric_name} at step 0": format_metric(task.metric_name, t.start_metric)
            if t.start_metric is not None
            else "",
            f"{task.metric_name} now": format_metric(task.metric_name, session.latest_metric(t)),
        }
        for name, t in runs.items()
    ]
    st.dataframe(rows, hide_index=True)


#: The page's two tabs; only the open one runs (a class training at once does not redraw the findings
#: with every press), so switching tabs reruns the page.
TABS = ["Train a model", "Published findings, checked"]
tab_train, tab_results = st.tabs(TABS, key="train_tab", on_change="rerun")
if tab_train.open:
    with tab_train:
        show_training()


def findings_chart(name: str, metric: str, label: str, alt: str, **style) -> list[dict] | None:
    """Chart an experiment's shipped summary (results/<name>_summary.csv; ``style``: findings_figure's
    labels or colors) and return it; before the experiment has been run, say how to run it and return None."""
    summary = read_csv(RESULTS / f"{name}_summary.csv")
    if not summary:
        st.caption(f"Not computed yet: run `python -m lstm_core.experiments {name.replace('_', '-')}`.")
        return None
    page.chart(findings_figure(summary, metric, label, **style), key=f"findings_{name}", alt=alt)
    return summary


def show_findings() -> None:
    """The "Published findings, checked" tab: the shipped experiments' results, and a small one to run."""
    if session.active():
        st.info(
            "A run of yours is training on the **Train a model** tab: it goes on while you read here, "
            "and its model is there when you go back."
        )
    st.markdown(
        "Three published findings, rerun on this project's own cells. The tables come from "
        "`python -m lstm_core.experiments forget-bias`, `... variants` (from minutes to an hour on 2 cores) and "
        "`... cells` (about a minute); "
        "each run trains until the task is solved or its step budget is spent (2000 steps for delayed "
        "recall; 1500 at length 20 and 3000 at length 50 for the adding problem). A model that always "
        "gives the same answer scores a little under the 25% chance of guessing, as the unsolved runs do."
    )
    st.subheader("forget_bias 0 or 1? Delayed recall over long delays")
    st.markdown(
        "Gers et al. (2000) added the forget gate; Jozefowicz et al. (2015) found that initialising its bias "
        "to **1** closes most of the gap between the LSTM and the GRU. With forget_bias 0 the gate starts "
        "half closed, so a memory fades like 0.5^t; with 1 it starts at 0.73."
    )
    summary = findings_chart(
        "forget_bias",
        "success_rate",
        "seeds that solved it",
        alt="Share of seeds that solved delayed recall, for each delay, at forget_bias 0 and 1.",
        colors={f"forget_bias={fb:g}": color for fb, color in FB_COLORS.items()},
    )
    if summary is not None:
        st.markdown(findings_summary(summary))
        st.dataframe(summary, hide_index=True)
    st.subheader("Which parts of the cell matter? The adding problem for every variant")
    st.markdown(
        "Greff et al. (2017) trained eight variants on three tasks: coupling the input and forget gates "
        "(CIFG) or dropping the peepholes cost little; removing the forget gate or the output activation hurt."
    )
    short = {key: VARIANTS[key].short for key in VARIANTS}
    summary = findings_chart(
        "variants",
        "median_steps_to_solve",
        "median steps to solve",
        alt="Median training steps each cell variant needed to solve the adding problem (no bar: not solved).",
        labels=short,
    )
    if summary is not None:
        st.markdown(
            variants_verdict(summary, short) + " Against the paper: coupling the gates (CIFG) and dropping the "
            "peepholes cost nothing here, as Greff et al. found. Removing the forget gate cost one seed of three "
            "at length 50 and removing the output activation nothing: less than in their tasks, perhaps "
            "because the adding problem never has to forget anything (the answer is a sum over the whole "
            "sequence) and its values stay small. Three seeds and no "
            "hyper-parameter search, against their 200 settings per variant on speech, handwriting and music."
        )
        for row in summary:
            row["setting"] = VARIANTS[row["setting"]].label if row["setting"] in VARIANTS else row["setting"]
        st.dataframe(summary, hide_index=True)

    st.subheader("Why not a plain RNN? Delayed recall for the plain RNN, the GRU and the LSTM")
    st.markdown(
        "Bengio et al. (1994) showed that a plain RNN's error vanishes over long delays, and Hochreiter and "
        "Schmidhuber (1997) built the LSTM so that it would not; Chung et al. (2014) and Jozefowicz et al. (2015) "
        "found the GRU about as good as the LSTM. Here TensorFlow's BasicRNNCell, GRUCell and the basic LSTM "
        "(forget_bias 1), 16 units each, learn delayed recall at delays 10, 20 and 40, ten seeds each, up to 2000 "
        "steps (the task is checked every 25 steps, so 25 is the fastest possible)."
    )
    summary = findings_chart(
        "cells",
        "success_rate",
        "seeds that solved it",
        alt="Share of seeds that solved delayed recall at delays 10, 20 and 40, for the plain RNN, the GRU and the LSTM.",
        colors={"RNN": RNN_COLOR, "GRU": GRU_COLOR, "LSTM": FB_COLORS[1.0]},
    )
    if summary is not None:
        st.markdown(
            cells_verdict(summary) + " Against the papers: this delayed recall is **silent** between the symbol "
            "and the cue (every input is 0), so nothing has to be protected from new input, and near h = 0 tanh's "
            "slope is 1: the plain RNN's error need not vanish. "
            + silent_wait_note(session.SILENT_DELAY, *session.silent_wait_shares(), session.SILENT_SEEDS)
            + " The vanishing gradient the papers describe shows on inputs that keep moving h (Gradient flow's sine "
            "wave); the tasks of Bengio et al. and Hochreiter and Schmidhuber fill the wait with distracting input. "
            "Ten seeds and no hyper-parameter search."
        )
        st.dataframe(summary, hide_index=True)

    st.subheader("Run a small version now")
    live = st.columns([1, 1, 2])
    delay = int(live[0].number_input("Delay (steps)", 5, 60, 20, key="live_delay"))
    live_seeds = int(live[1].number_input("Seeds", 1, 3, 2, key="live_seeds"))
    job = session.experiment()
    if st.session_state.pop(_EXPERIMENT_PRESSED, False) and not (job is not None and job.active):
        try:
            job = session.start_experiment(delay, live_seeds)
        except Busy:
            st.warning("This session is already training two runs: wait for them or stop them, then try again.")
    st.button(
        f"Train forget_bias 0 and 1 on delayed recall ({2 * live_seeds} runs of up to 600 steps)",
        disabled=job is not None and job.active,
        on_click=st.session_state.__setitem__,
        args=(_EXPERIMENT_PRESSED, True),
        help="The runs train one after the other in one of the server's worker processes.",
    )
    session.watch_experiment()
    rows, said = session.collect_experiment()  # finished since the last run: its rows (a stopped one's, so far)
    if rows:
        st.session_state["_live_results"] = rows
    if said is not None:
        _say(*said)
    if "_live_results" in st.session_state:
        st.dataframe(st.session_state["_live_results"], hide_index=True)


if tab_results.open:
    with tab_results:
        show_findings()
