"""The Weights menu of Explore and Step through: the sidebar's random weights, a shipped demo, the
model trained on the Train page, or an uploaded file, kept for this session only (ui.trained)."""

from __future__ import annotations

import streamlit as st

from . import controls, runs, trained, urlstate
from .markup import escape, quote
from .model import Run

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


def model_with_chosen_weights(area, note_area) -> Run | None:
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
