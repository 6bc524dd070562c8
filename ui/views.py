"""View selectors shared by the pages that show a run: which sequence of the batch, which layer."""

from __future__ import annotations

from functools import partial
from typing import NoReturn

import streamlit as st

from ui import config_io, controls, exports, runs, trained, urlstate
from ui.markup import escape, quote
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


#: Where the Train page leaves the key of the model a learner trained (kept in the session's weights).
MY_TRAINED = "_my_trained"
#: Where an accepted upload's key is kept.
MY_UPLOAD = "_my_upload"
#: The session's own uploads and trained models (ui.trained.SessionWeights).
SESSION_WEIGHTS = "_session_weights"
_LAST_UPLOAD = "_last_upload_digest"


def session_weights() -> trained.SessionWeights:
    """This session's uploads and trained models (never shared with another session)."""
    if SESSION_WEIGHTS not in st.session_state:
        st.session_state[SESSION_WEIGHTS] = trained.SessionWeights()
    return st.session_state[SESSION_WEIGHTS]


def keep_weights(weights: trained.Weights) -> None:
    """Keep ``weights`` in this session, saying which older ones made room for them."""
    dropped = session_weights().add(weights)
    if dropped:
        controls.notice(
            f"This page keeps your last {trained.SESSION_ENTRIES} models and uploads: the oldest "
            f"({len(dropped)}) made room for this one.",
            "info",
        )


def _upload(area) -> str | None:
    """A file uploader for weights; the key of the last file that passed every check."""
    file = area.file_uploader(
        "Weights file (.npz)",
        type=["npz"],
        key="weights_file",
        max_upload_size=trained.MAX_UPLOAD_BYTES // (1024 * 1024),
        help="A model saved by the Train page, or one layer saved by Explore's download (or by "
        "lstm_core.save_params after from_keras / from_torch). Checked completely; never unpickled.",
    )
    if file is not None:
        data = file.getvalue()
        digest = trained.digest(data)  # by content: a new file with an old name is a new file
        if st.session_state.get(_LAST_UPLOAD) != digest:
            st.session_state[_LAST_UPLOAD] = digest
            try:
                weights = trained.accept_upload(data)
            except ValueError as error:
                kept = " The weights shown before stay." if st.session_state.get(MY_UPLOAD) else ""
                controls.notice(f"**{quote(file.name)} was not loaded:** {escape(error)}{kept}", "error")
            else:
                keep_weights(weights)
                st.session_state[MY_UPLOAD] = weights.key
    return st.session_state.get(MY_UPLOAD)


WEIGHT_TITLES = {
    "random": "random (the sidebar's seed)",
    **trained.DEMO_TITLES,
    trained.MINE: "yours, from the Train page",
    trained.UPLOAD: "from a file you upload",
}


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
    choice = controls.select(
        "weights",
        container=area,
        options=options,
        format_func=WEIGHT_TITLES.get,
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
        weights = trained.resolve(key, session_weights())
        model = runs.model_for(runs.current_spec(), weights)
    except ValueError as error:
        controls.notice(f"**These weights cannot be shown:** {escape(error)}", "error")
        return runs.current_model()
    note_area.caption(trained.describe(weights))
    return model


#: Each download: (file name with {layer}, MIME type).
DOWNLOADS = {
    "trace_csv": ("lstm_trace_layer{layer}.csv", "text/csv"),
    "trace_npz": ("lstm_trace.npz", "application/octet-stream"),
    "weights_npz": ("lstm_weights_layer{layer}.npz", "application/octet-stream"),
}


def download_button(area, kind: str, label: str, model: Model, layer: int, **kwargs) -> None:
    """A download of ``model`` (ui.exports.BUILDERS[kind], layer index ``layer``), built on the first
    click and once per run for everyone; a file over exports.MAX_DOWNLOAD_BYTES gets a message instead."""
    size = exports.estimated_bytes(kind, model, layer)
    if size > exports.MAX_DOWNLOAD_BYTES:
        area.caption(
            f"{label}: about {size / 2**20:,.0f} MB, more than the {exports.MAX_DOWNLOAD_BYTES / 2**20:.0f} MB a download "
            'may be on this shared server. Run it with lstm_core in Python (README, "The core"), or use fewer steps.'
        )
        return
    file_name, mime = DOWNLOADS[kind]
    area.download_button(
        label,
        partial(runs.download, kind, model.spec, model.weights, layer),
        file_name=file_name.format(layer=layer + 1),
        mime=mime,
        on_click="ignore",
        **kwargs,
    )


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
        controls.notice_next_run(
            f"**{quote(file.name)} was not opened:** {escape(error)} The settings stay as they were.", "error"
        )
        return
    controls.apply_settings(values)
    controls.notice_next_run(f"Opened {quote(file.name)}: its settings are now in the sidebar and the link.", "success")
    if problems:
        controls.notice_next_run("Some of its settings could not be used:\n\n" + controls.bulleted(problems), "warning")
