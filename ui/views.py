"""View selectors shared by the pages that show a run: which sequence of the batch, which layer."""

from __future__ import annotations

from dataclasses import replace
from typing import NoReturn

import streamlit as st

from lstm_core.tasks import format_metric
from ui import config_io, controls, runs, trained, urlstate
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


#: Where an accepted upload's key is kept (ui.trained.accept_upload).
MY_UPLOAD = "_my_upload"


def _upload(area) -> str | None:
    """A file uploader for weights; the key of the last file that passed every check."""
    file = area.file_uploader(
        "Weights file (.npz)",
        type=["npz"],
        key="weights_file",
        help="A model saved by the Train page, or one layer saved by Explore's download (or by "
        "lstm_core.save_params after from_keras / from_torch). Checked completely; never unpickled.",
    )
    if file is not None and st.session_state.get("_upload_name") != (file.name, file.size):
        st.session_state["_upload_name"] = (file.name, file.size)
        try:
            st.session_state[MY_UPLOAD] = trained.accept_upload(file.getvalue())
        except ValueError as error:
            kept = " The weights shown before stay." if st.session_state.get(MY_UPLOAD) else ""
            controls.notice(f"**{file.name} was not loaded:** {error}{kept}", "error")
    return st.session_state.get(MY_UPLOAD)


def model_with_chosen_weights(area, note_area) -> Model | None:
    """The run the page shows: the sidebar's model, or the same page with other weights.

    A "Weights" menu in ``area`` (what the weights are goes in ``note_area``): random (the
    sidebar's seeded Glorot weights), a shipped demo (``demos/``), the model trained on the Train
    page in this session, or an uploaded file.
    """
    options = ["random", *trained.DEMO_TITLES]
    mine = st.session_state.get(MY_TRAINED)
    if mine or urlstate.value("weights") == trained.MINE:
        options.append(trained.MINE)
    options.append(trained.UPLOAD)
    titles = {
        "random": "random (the sidebar's seed)",
        **trained.DEMO_TITLES,
        trained.MINE: "yours, from the Train page",
        trained.UPLOAD: "from a file you upload",
    }
    choice = controls.select(
        "weights",
        container=area,
        options=options,
        format_func=titles.get,
        help="Random weights show what the cell computes; trained ones show what it is for. A trained "
        "model brings its own cell and inputs; one uploaded layer brings its cell and runs on the sidebar's inputs.",
    )
    if choice == "random":
        return runs.current_model()
    if choice == trained.UPLOAD:
        key = _upload(note_area)
        if key is None:
            note_area.caption("Upload a weight file to see it here; until then the sidebar's random weights are shown.")
            return runs.current_model()
    elif choice == trained.MINE:
        key = mine
        if not key:
            controls.notice("You have not trained a model in this session yet: train one on the Train page.", "info")
            return runs.current_model()
    else:
        key = choice
    try:
        model = runs.model_for(replace(runs.current_spec(), trained=key))
        meta = trained.layers(key)[2]
    except ValueError as error:
        controls.notice(f"**These weights cannot be shown:** {error}", "error")
        return runs.current_model()
    if not meta:  # one uploaded layer
        note_area.caption(
            f"**Uploaded weights**: {model.configs[0].variant} cell; the sidebar's inputs, its cell settings not used."
        )
        return model
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


def config_upload(area) -> None:
    """A file uploader that opens a saved configuration (JSON): its settings replace the sidebar's."""
    area.file_uploader(
        "Open a configuration (.json)",
        type=["json"],
        key="config_file",
        max_upload_size=config_io.MAX_CONFIG_BYTES // (1024 * 1024),
        on_change=_open_config,
        help="A file saved by the button on the left, or settings written as JSON under their link names "
        "(forget_bias, num_units, ...). Every value is checked as a shared link's would be.",
    )


def _open_config() -> None:
    """Callback (runs before the widgets are drawn): apply the uploaded file's settings, or say why not."""
    file = st.session_state.get("config_file")
    if file is None:  # the file was removed from the uploader: nothing changes
        return
    try:
        values, problems = config_io.read_config(file.getvalue())
    except ValueError as error:
        controls.notice_next_run(f"**{file.name} was not opened:** {error} The settings stay as they were.", "error")
        return
    controls.apply_settings(values)
    controls.notice_next_run(f"Opened **{file.name}**: its settings are now in the sidebar and the link.", "success")
    if problems:
        controls.notice_next_run(
            "Some of its settings could not be used:\n\n" + "\n".join(f"- {m}" for m in problems), "warning"
        )
