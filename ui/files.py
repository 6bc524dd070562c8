"""Files in and out of a page: the downloads of a run and the configuration uploader."""

from __future__ import annotations

from functools import partial

import streamlit as st

from . import config_io, controls, exports, runs
from .markup import escape, quote
from .model import Run

#: Each download: (file name with {layer}, MIME type).
DOWNLOADS = {
    "trace_csv": ("lstm_trace_layer{layer}.csv", "text/csv"),
    "trace_npz": ("lstm_trace.npz", "application/octet-stream"),
    "weights_npz": ("lstm_weights_layer{layer}.npz", "application/octet-stream"),
    "config_json": ("lstm_config.json", "application/json"),
}


def download_button(area, kind: str, label: str, model: Run, layer: int, follow=None, **kwargs) -> None:
    """A download of ``model`` (ui.exports.BUILDERS[kind], layer index ``layer``), built on the first
    click and once per run for everyone; a file over exports.MAX_DOWNLOAD_BYTES gets a message instead.
    ``follow`` (an object with a ``spec``, e.g. ui.live_explore.Follow): the file is built from its
    spec at the click, which a live slider's release may have changed without drawing this button again."""
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
        partial(_followed, kind, follow, model.weights, layer)
        if follow is not None
        else partial(runs.download, kind, model.spec, model.weights, layer),
        file_name=file_name.format(layer=layer + 1),
        mime=mime,
        on_click="ignore",
        **kwargs,
    )


def _followed(kind: str, follow, weights, layer: int) -> bytes:
    return runs.download(kind, follow.spec, weights, layer)


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
