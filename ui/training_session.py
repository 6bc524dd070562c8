"""The Train page's runs: this session's trainers, and training one live with its chart redrawn as it goes.

How Stop works: Streamlit runs a page's script from the top on every click, interrupting the run in
progress. A click on **Stop** (or on anything else) during :func:`train_live` interrupts its loop
between two steps; the trainer keeps every step it finished (it is in the session's runs already),
and the page, run again, shows the model as it stands.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import streamlit as st

from lstm_core.tasks import Task, make_task
from lstm_core.training import Trainer, TrainSettings, init_model
from lstm_core.variants import CHOICES, is_lstm
from viz.gradflow import gradient_flow, hidden_flow

from . import runs

_TRAINERS = "_trainers"
#: The most runs a session keeps (the oldest goes first): each a few small weight sets.
MAX_RUNS = 6
#: How often the live chart redraws while training, in seconds.
UPDATE_SECONDS = 0.4


def run_label(task: Task, settings: TrainSettings) -> str:
    """A run's full name: the key of this session's runs. A plain RNN or a GRU has no forget_bias
    (the part says so, so that every label has the same parts for :func:`legend_names`)."""
    forget_bias = f"forget_bias {settings.forget_bias:g}" if is_lstm(settings.variant) else "no forget gate"
    return (
        f"{task.title}, {CHOICES[settings.variant].short}, {settings.units} units, {forget_bias}, "
        f"lr {settings.learning_rate:g}, seed {settings.seed}"
    )


def trainers() -> dict[str, Trainer]:
    """This session's runs by :func:`run_label`, oldest first."""
    return st.session_state.setdefault(_TRAINERS, {})


def runs_of(task: Task) -> dict[str, Trainer]:
    """This session's runs of ``task`` (what its progress chart overlays)."""
    return {name: run for name, run in trainers().items() if run.task.title == task.title}


def start(task: Task, settings: TrainSettings) -> Trainer:
    """A new run, evaluated once before training (the chart's first point), kept in the session."""
    trainer = Trainer(task, settings)
    trainer.evaluate()
    runs = trainers()
    runs[run_label(task, settings)] = trainer
    while len(runs) > MAX_RUNS:
        runs.pop(next(iter(runs)))
    return trainer


def forget(task: Task, settings: TrainSettings) -> None:
    """Drop the run of these settings ("Start over")."""
    trainers().pop(run_label(task, settings), None)


def train_live(trainer: Trainer, steps: int, redraw: Callable[[float, str], None]) -> float:
    """Train ``trainer`` ``steps`` more steps, evaluating now and then, and call ``redraw(done, text)``
    (done from 0 to 1) at most every UPDATE_SECONDS and at the end; returns the seconds it took.
    A click anywhere interrupts it between two steps (see the module docstring)."""
    started = last_draw = time.perf_counter()
    target = trainer.steps_done + steps
    evaluate_every = max(5, min(25, steps // 20))
    while trainer.steps_done < target:
        trainer.step()
        if trainer.steps_done % evaluate_every == 0 or trainer.steps_done == target:
            trainer.evaluate()
        now = time.perf_counter()
        if now - last_draw > UPDATE_SECONDS or trainer.steps_done == target:
            last_draw = now
            done = 1 - (target - trainer.steps_done) / steps
            redraw(done, f"Step {trainer.steps_done} of {target} ({now - started:.0f} s)")
    return time.perf_counter() - started


def latest_metric(trainer: Trainer) -> float:
    """The test metric of the trainer's last evaluation (evaluating now if its last step has none)."""
    last = trainer.history[-1] if trainer.history else None
    return last.metric if last is not None and last.metric is not None else trainer.evaluate()


def legend_names(labels: list[str]) -> dict[str, str]:
    """Each run named by what differs between the runs shown (all of it when there is one run)."""
    parts = [label.split(", ") for label in labels]
    if len(parts) < 2 or len({len(p) for p in parts}) > 1:
        return {label: label for label in labels}
    differ = [k for k in range(len(parts[0])) if len({p[k] for p in parts}) > 1]
    return {label: ", ".join(p[k] for k in differ) or label for label, p in zip(labels, parts, strict=True)}


#: The silent wait measured under the cells' findings: the longest delay of the experiment, five seeds.
SILENT_DELAY, SILENT_SEEDS = 40, 5


def silent_wait_shares(delay: int = SILENT_DELAY, seeds: int = SILENT_SEEDS) -> tuple[float, float]:
    """(plain RNN, LSTM): the median share of the error at the cue of delayed recall that reaches the
    symbol's step, in untrained cells of the experiment's size (16 units, seeds 0 to ``seeds`` - 1):
    ||dL/dh_0|| / ||dL/dh_T|| for the RNN, ||dL/dc_0|| / ||dL/dc_T|| for the LSTM. Kept in the shared cache."""

    def compute() -> tuple[float, float]:
        task = make_task("recall", delay)
        batch = task.batch(np.random.default_rng(0), 1)
        shares: dict[str, list[float]] = {"rnn": [], "basic": []}
        for seed in range(seeds):
            for cell, values in shares.items():
                (trace,), _ = init_model(task, TrainSettings(units=16, variant=cell, seed=seed)).run(batch.inputs)
                flow = hidden_flow(trace) if cell == "rnn" else gradient_flow(trace, 0, "c")
                values.append(10.0 ** float(flow.log_ratio[0]))
        return float(np.median(shares["rnn"])), float(np.median(shares["basic"]))

    return runs.cached(f"silent_wait:{delay}:{seeds}", compute)
