"""View selectors shared by the pages that show a run: which sequence of the batch, which layer."""

from __future__ import annotations

from dataclasses import replace
from typing import NoReturn

import streamlit as st

from lstm_core.tasks import format_metric
from ui import controls, runs, trained, urlstate
from ui.model import Model


class PageHalt(Exception):
    """Raised by :func:`halt`; app.py catches it, so the notices and the link are still written."""


def halt(message: str) -> NoReturn:
    """Say why the page stops here, and stop it. Unlike ``st.stop()``, app.py's code after the
    page still runs: the notices that explain the problem and the URL are not lost."""
    st.info(message)
    raise PageHalt


def choose_sequence_and_layer(model: Model, seq_area, layer_area) -> tuple[int, int]:
    """(sequence index, 1-based layer): radios where there is a choice, else (0, 1)."""
    batch = model.sequence.values.shape[0]
    layers = len(model.traces)
    seq = 0
    if batch > 1:
        seq = controls.select(
            "seq",
            container=seq_area,
            options=list(range(batch)),
            format_func=lambda b: f"sequence {b + 1}",
            radio=True,
            help="This input holds several sequences (a batch); they run side by side, independently.",
        )
    layer = 1
    if layers > 1:
        layer = controls.select(
            "layer",
            container=layer_area,
            options=list(range(1, layers + 1)),
            format_func=lambda k: f"layer {k}",
            radio=True,
            help="Layer 1 reads the input; layer k + 1 reads layer k's output h.",
        )
    return seq, layer


#: Where the Train page leaves the key of the model a learner trained (ui.trained.register).
MY_TRAINED = "_my_trained"


def model_with_chosen_weights(area, note_area) -> Model | None:
    """The run the page shows: the sidebar's model, or the same page with trained weights.

    A "Weights" menu in ``area`` (what the trained model learned goes in ``note_area``): random (the sidebar's seeded Glorot weights), a shipped demo
    (``demos/``), or the model trained on the Train page in this session.
    """
    options = ["random", *trained.DEMO_TITLES]
    mine = st.session_state.get(MY_TRAINED)
    if mine or urlstate.value("weights") == trained.MINE:
        options.append(trained.MINE)
    titles = {
        "random": "random (the sidebar's seed)",
        **trained.DEMO_TITLES,
        trained.MINE: "yours, from the Train page",
    }
    choice = controls.select(
        "weights",
        container=area,
        options=options,
        format_func=titles.get,
        help="Random weights show what the cell computes; trained ones show what it is for. Trained "
        "weights bring their own cell and inputs: the sidebar's cell and input settings are not used.",
    )
    if choice == "random":
        return runs.current_model()
    if choice == trained.MINE and not mine:
        controls.notice("You have not trained a model in this session yet: train one on the Train page.", "info")
        return runs.current_model()
    try:
        model = runs.model_for(replace(runs.current_spec(), trained=mine if choice == trained.MINE else choice))
    except ValueError as error:
        controls.notice(f"**These trained weights cannot be shown:** {error}", "error")
        return runs.current_model()
    meta = trained.load(model.spec.trained)[1]
    metric = meta.get("metric")
    result = (
        f", {meta['metric_name']} {format_metric(meta['metric_name'], metric)} on test sequences"
        if metric is not None
        else ""
    )
    note_area.caption(
        f"**{meta.get('title', 'Trained')}**: {meta.get('steps', '?')} training steps{result}. "
        "Its own cell and inputs; the sidebar's are not used."
    )
    return model
