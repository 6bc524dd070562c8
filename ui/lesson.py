"""The Learn page's runs: each chapter's settings, its runs (kept in the shared cache), its chapter.

viz.lesson writes the chapters from the runs; app_pages/learn.py draws them. Every run here is the
app's own (ui.model.run_model, ui.runs' cache), on settings each chapter chooses; "Explore this
yourself" opens a page with exactly those settings (:func:`explore_values`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lstm_core.experiments import RESULTS, read_csv
from lstm_core.sequences import InputSpec
from lstm_core.tasks import make_task
from lstm_core.training import Trainer, TrainSettings
from lstm_core.variants import variant_label
from viz import lesson
from viz.compare import make_columns
from viz.gradflow import gradient_flow, hidden_flow

from . import runs, trained
from .config_io import MODEL_KEYS
from .model import ModelSpec, run_model
from .schema import SCHEMA

CHAPTERS = 7
#: Chapters 2, 3, 5 and 6: one spike of 3 at step 0, then 30 steps of silence.
SPIKE_STEPS = 30
SPIKE = "; ".join(["3", *["0"] * (SPIKE_STEPS - 1)])
#: The weights' seed of those chapters: one whose spike unit's decay follows sigma(fb)^t closely
#: at forget_bias 0 to 3, so that the closed form is seen to hold (and, at 3, where it stops).
SPIKE_SEED = 3
SPIKE_SPEC = ModelSpec(seed=SPIKE_SEED, inputs=InputSpec(preset="custom", custom=SPIKE))
ONE_STEP_SPEC = ModelSpec(inputs=InputSpec(preset="notebook_one_step"))
#: Chapter 5: the Gradient flow page's own default input (a sine wave), on which a plain RNN's error
#: vanishes as it usually does; after the spike's silence it would not (tanh' = 1 near h = 0).
FLOW_SPEC = ModelSpec(inputs=InputSpec(preset="sine", steps=60, features=2))
#: Chapter 4: the shipped recall model, and the forget_bias that breaks it.
BROKEN_FB = -2.0
#: Chapter 6's variants, on the spike.
VARIANTS_SHOWN = ("basic", "peephole", "coupled", "NFG")
#: Chapter 7: delayed recall, small and fast (under a second per run on this machine's CPU).
TRAIN_DELAY = 20
TRAIN_STEPS = 300
TRAIN_SETTINGS = TrainSettings(units=8, learning_rate=0.03, seed=0)


def _run(spec: ModelSpec, weights: trained.Weights | None = None):
    return runs.cached(f"run:{runs.cache_key(spec)}", lambda: run_model(spec, weights))


def spike_values(**changes) -> dict:
    """The sidebar settings of the spike run (every shared control at its default otherwise)."""
    return {"preset": "custom", "custom": SPIKE, "seed": SPIKE_SEED} | changes


def explore_values(chapter: lesson.Chapter) -> dict:
    """The controls "Explore this yourself" sets: every shared model control at its default, then the
    chapter's own (so that what the learner changed elsewhere does not change what it shows)."""
    values = {name: SCHEMA[name].default for name in MODEL_KEYS}
    values.update({"weights": "random", "trained_fb_on": False, "fix_gate": "none", "seq": 0, "layer": 1})
    if chapter.number in (2, 3, 6):
        values.update(spike_values())
    if chapter.number == 5:
        values.update({"preset": "sine", "steps": FLOW_SPEC.inputs.steps, "features": FLOW_SPEC.inputs.features})
    values.update(chapter.explore_settings)
    return values


def chapter(number: int, compact: bool = False) -> lesson.Chapter:
    """Chapter ``number`` (1 to 6; chapter 7 is :func:`train_chapter`), its runs from the shared cache;
    ``compact``: its heatmaps' labels as presenter mode draws them."""
    return runs.cached(f"lesson:{number}:{compact}", lambda: _BUILDERS[number](compact))


def _one_step(compact: bool = False) -> lesson.Chapter:
    return lesson.one_step(_run(ONE_STEP_SPEC).traces[0])


def _memory(compact: bool = False) -> lesson.Chapter:
    return lesson.memory(_run(SPIKE_SPEC).traces[0])


def _forget_bias(compact: bool = False) -> lesson.Chapter:
    return lesson.forget_bias_chapter(
        {fb: _run(replace(SPIKE_SPEC, forget_bias=fb)).traces[0] for fb in lesson.FB_VALUES}
    )


def _trained(compact: bool = False) -> lesson.Chapter:
    weights = trained.demo("recall")
    spec = ModelSpec(trained=weights.key)
    broken = replace(spec, trained_forget_bias=BROKEN_FB)
    return lesson.trained_chapter(
        _run(spec, weights).traces[0],
        _run(broken, weights).traces[0],
        runs.task_metric(spec, weights),
        runs.task_metric(broken, weights),
        weights.configs[0].forget_bias,
        BROKEN_FB,
        compact,
    )


def rnn_log_ratio(spec: ModelSpec) -> np.ndarray:
    """log10 ||dL/dh_t|| / ||dL/dh_T|| of a plain tanh RNN (BasicRNNCell) on ``spec``'s input, with
    as many units and the same seed, for the loss L = sum(h_T): the Gradient flow page's RNN line
    (ui.runs.run_cell, viz.gradflow.hidden_flow)."""
    return hidden_flow(runs.run_cell(spec, "rnn").traces[0]).log_ratio


def _gradient(compact: bool = False) -> lesson.Chapter:
    flows = [gradient_flow(_run(replace(FLOW_SPEC, forget_bias=fb)).traces[0], 0, "c") for fb in (0.0, 1.0)]
    return lesson.gradient_chapter(flows, rnn_log_ratio(FLOW_SPEC))


def _variants(compact: bool = False) -> lesson.Chapter:
    columns = make_columns(
        [(key, variant_label(key), _run(SPIKE_SPEC.with_variant(key)).traces[0]) for key in VARIANTS_SHOWN]
    )
    return lesson.variants_chapter(columns, read_csv(RESULTS / "variants_summary.csv"))


_BUILDERS = {1: _one_step, 2: _memory, 3: _forget_bias, 4: _trained, 5: _gradient, 6: _variants}


def train_task():
    return make_task("recall", TRAIN_DELAY)


def train_settings(forget_bias: float) -> TrainSettings:
    return replace(TRAIN_SETTINGS, forget_bias=forget_bias)


def train_chapter(trainers: dict[float, Trainer]) -> lesson.Chapter:
    """Chapter 7 from the session's two runs (each trained TRAIN_STEPS steps, or none yet)."""
    finished = {fb: t for fb, t in trainers.items() if t.steps_done >= TRAIN_STEPS or t.solved_at is not None}
    return lesson.train_chapter(
        {fb: t.solved_at for fb, t in finished.items()},
        {fb: t.history[-1].metric for fb, t in finished.items() if t.history and t.history[-1].metric is not None},
        TRAIN_STEPS,
        TRAIN_DELAY,
    )
