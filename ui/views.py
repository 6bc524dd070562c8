"""View selectors shared by the pages that show a run: which sequence of the batch, which layer."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from ui import controls
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
