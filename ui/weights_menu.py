"""The Weights menu of Explore and Step through: the sidebar's random weights, a shipped demo, the
model trained on the Train page, or an uploaded file, kept for this session only (ui.trained)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from lstm_core.model_files import TORCH_EXPORT
from lstm_core.tasks import format_metric

from . import controls, runs, trained, urlstate
from .markup import escape, quote
from .model import TASK_METRIC_SEQUENCES, ModelSpec, Run, input_sequence

#: Where the Train page leaves the key of the model a learner trained (kept in the session's weights).
MY_TRAINED = "_my_trained"
#: Where an accepted upload's key is kept.
MY_UPLOAD = "_my_upload"
#: The session's own uploads and trained models (ui.trained.SessionWeights).
SESSION_WEIGHTS = "_session_weights"
_LAST_UPLOAD = "_last_upload_digest"
_MINE_MENU = "_mine_menu"


def session_weights() -> trained.SessionWeights:
    """This session's uploads and trained models (never shared with another session)."""
    if SESSION_WEIGHTS not in st.session_state:
        st.session_state[SESSION_WEIGHTS] = trained.SessionWeights()
    return st.session_state[SESSION_WEIGHTS]


def keep_weights(weights: trained.Weights, next_run: bool = False) -> None:
    """Keep ``weights`` in this session, saying which older ones made room for them (in the next
    run's notices with ``next_run``, for a caller that reruns the page)."""
    dropped = session_weights().add(weights)
    if dropped:
        (controls.notice_next_run if next_run else controls.notice)(
            f"This page keeps your last {trained.SESSION_ENTRIES} models and uploads: the oldest "
            f"({len(dropped)}) made room for this one.",
            "info",
        )


def _pick_mine(area) -> str | None:
    """With more than one model trained in this session, a menu of them (newest first) in ``area``;
    the one chosen becomes "yours" on every page. The key chosen, or None when there is no choice."""
    keys = session_weights().keys(trained.MINE)[::-1]
    if len(keys) < 2:
        return None
    if st.session_state.get(MY_TRAINED) not in keys:
        st.session_state[MY_TRAINED] = keys[0]
    st.session_state[_MINE_MENU] = st.session_state[MY_TRAINED]
    weights = session_weights()
    labels = {key: trained.short_name(weights.get(key)) for key in keys}
    area.selectbox(
        "Which of your models",
        keys,
        key=_MINE_MENU,
        format_func=labels.__getitem__,  # holds the labels only (see ui.controls.unit_label)
        on_change=_choose_mine,
        help=f"The models you trained in this session (the last {trained.SESSION_ENTRIES} are kept, with your uploads).",
    )
    return st.session_state[MY_TRAINED]


def _choose_mine() -> None:
    st.session_state[MY_TRAINED] = st.session_state[_MINE_MENU]


#: What the weights uploader says it takes (its caps included).
UPLOAD_HELP = (
    "The app's own .npz (a model saved by the Train page, one layer or all layers saved by Explore), "
    "or a trained LSTM from Keras or PyTorch: a Keras 3 model (.keras), a tf.keras / Keras 2 model (.h5), "
    "Keras weights (.weights.h5) with the model's config, or PyTorch weights (.safetensors). Read as data, "
    "never run: no Keras, no PyTorch, no pickle (a .pt/.pth file is refused with the one-line export to "
    f"safetensors). At most {trained.MAX_MODEL_UPLOAD_BYTES // 2**20} MB ({trained.MAX_UPLOAD_BYTES // 2**20} MB for an .npz), "
    f"{trained.MODEL_LIMITS.max_layers} LSTM layers of at most {trained.MODEL_LIMITS.max_units} units reading at most "
    f"{trained.MAX_MODEL_INPUT_SIZE} values per step; every array's shape is checked before it is read."
)
_NEEDS_CONFIG = "_weights_need_config"  # the digest of a weights-only file, which needs its config
_REFUSED = "_weights_refused"  # what the uploader holds, when it was refused


def refusal(error: ValueError) -> str:
    """A refusal as Markdown: escaped, the one-line safetensors export (for a pickle) as code."""
    text = str(error)
    if TORCH_EXPORT not in text:
        return escape(text)
    before, after = text.split(TORCH_EXPORT, 1)
    return f"{escape(before)}`{TORCH_EXPORT}`{escape(after)}"


def _upload(area) -> str | None:
    """A file uploader for weights (the app's .npz or a Keras or PyTorch file; a weights-only Keras
    file gets a second uploader for its config); the key of the last file that passed every check.
    A refused file changes nothing: the weights shown before stay."""
    file = area.file_uploader(
        "Weights file (.npz, .keras, .h5, .safetensors)",
        type=trained.UPLOAD_TYPES,
        key="weights_file",
        max_upload_size=trained.MAX_MODEL_UPLOAD_BYTES // (1024 * 1024),
        help=UPLOAD_HELP,
    )
    if file is None:
        return st.session_state.get(MY_UPLOAD)
    data = file.getvalue()
    attempt = trained.digest(data)  # by content: a new file with an old name is a new file
    config = None
    if st.session_state.get(_NEEDS_CONFIG) == attempt:
        config = _config_upload(area, file.name)
        if config is None:
            return st.session_state.get(MY_UPLOAD)
        attempt += trained.digest(config)
    if st.session_state.get(_LAST_UPLOAD) == attempt:
        if st.session_state.get(_REFUSED) == attempt:  # still in the uploader: say it is not what is shown
            shown = "the weights opened before are shown" if st.session_state.get(MY_UPLOAD) else "nothing was opened"
            area.caption(f"{quote(file.name)} was not loaded (the message said why); {shown}.")
        return st.session_state.get(MY_UPLOAD)
    st.session_state[_LAST_UPLOAD] = attempt
    try:
        weights = trained.accept_upload(data, file.name, config)
    except ValueError as error:
        if trained.needs_config(error) and config is None:
            st.session_state[_NEEDS_CONFIG] = attempt
            _config_upload(area, file.name)  # empty until the learner gives it
            return st.session_state.get(MY_UPLOAD)
        kept = " The weights shown before stay." if st.session_state.get(MY_UPLOAD) else ""
        controls.notice(f"**{quote(file.name)} was not loaded:** {refusal(error)}{kept}", "error")
        st.session_state[_REFUSED] = attempt
    else:
        keep_weights(weights, next_run=True)
        st.session_state[MY_UPLOAD] = weights.key
        controls.notice_next_run(f"Opened {quote(file.name)}.", "success")
        st.rerun()  # the sidebar (drawn before the page) then says what these weights use
    return st.session_state.get(MY_UPLOAD)


def _config_upload(area, name: str) -> bytes | None:
    """The second uploader of a weights-only Keras file: its model's config; its bytes, if given."""
    message = area.empty()
    config_file = area.file_uploader(
        "The model's config (.json)",
        type=["json"],
        key="weights_config_file",
        max_upload_size=max(trained.MAX_MODEL_CONFIG_BYTES // 2**20, 1),
        help=f"At most {trained.MAX_MODEL_CONFIG_BYTES // 2**20} MB of JSON, read as data: no custom objects, no Lambda layers.",
    )
    if config_file is None:
        message.info(
            f"{quote(name)} holds weights only, not the model's layers: give the model's config beside it, "
            "the JSON of `model.to_json()` saved to a file, or the `config.json` inside the model's .keras file."
        )
        return None
    return config_file.getvalue()


#: Where the learner's own input data is kept: (digest, file name, lstm_core.data_files.DataFile).
MY_DATA = "_my_data"
_LAST_DATA = "_last_data_digest"
DATA_HELP = (
    "A CSV: one row per step, one column per feature, a first row of feature names if you like; several "
    "sequences separated by a blank line or named in a column headed `sequence` (they may differ in length). "
    "Or a NumPy .npy array of shape (time,), (time, features) or (batch, time, features), read without pickle. "
    f"At most {trained.MAX_DATA_UPLOAD_BYTES // 2**20} MB. The model's first LSTM layer says how many features it needs."
)


def _forget_data() -> None:
    st.session_state.pop(MY_DATA, None)
    st.session_state.pop(_LAST_DATA, None)


def _with_own_data(area, weights: trained.Weights) -> trained.Weights:
    """An uploader for the learner's own input (CSV or .npy) beside uploaded weights; ``weights``
    run on it when it fits (a new file that does not fit is refused, and the data before stays)."""
    needed = weights.configs[0].input_size
    file = area.file_uploader(
        f"Your own input data (.csv or .npy, {needed} feature{'s' * (needed > 1)} per step)",
        type=trained.DATA_TYPES,
        key="data_file",
        max_upload_size=max(trained.MAX_DATA_UPLOAD_BYTES // (1024 * 1024), 1),
        help=DATA_HELP,
    )
    if file is not None:
        data = file.getvalue()
        data_digest = trained.digest(data)
        if st.session_state.get(_LAST_DATA) != (data_digest, weights.key):
            st.session_state[_LAST_DATA] = (data_digest, weights.key)
            try:
                opened = trained.read_input_data(data, file.name)
                combined = trained.with_data(weights, opened, data_digest)  # refused here if it does not fit
                runs.check_budget([runs.current_spec()], combined)  # or is more than a page may compute
            except ValueError as error:
                kept = " The input shown before stays." if st.session_state.get(MY_DATA) else ""
                controls.notice(f"**{quote(file.name)} was not loaded:** {escape(error)}{kept}", "error")
            else:
                st.session_state[MY_DATA] = (data_digest, file.name, opened)
                controls.notice_next_run(f"Opened {quote(file.name)} as the input.", "success")
                st.rerun()  # the sidebar (drawn before the page) then says its inputs are not used
    kept = st.session_state.get(MY_DATA)
    if file is not None and (kept is None or kept[0] != trained.digest(file.getvalue())):
        shown = f"the input is still {quote(kept[1])}" if kept else "the sidebar's inputs are used"
        area.caption(f"{quote(file.name)} was not loaded (the message said why); {shown}.")
    if kept is None:
        return weights
    data_digest, name, opened = kept
    try:
        combined = trained.with_data(weights, opened, data_digest, name)
    except ValueError as error:
        area.warning(f"Your data {quote(name)} is not used with these weights: {escape(error)}")
        return weights
    if combined.key not in session_weights():
        keep_weights(combined)
    area.button("Use the sidebar's inputs instead", key="data_forget", on_click=_forget_data, icon=":material/undo:")
    return combined


def _wrong_width(weights: trained.Weights) -> bool:
    """Whether the sidebar's inputs have another width than the uploaded weights read."""
    return input_sequence(runs.current_spec()).values.shape[2] != weights.configs[0].input_size


def _converted_download(area, weights: trained.Weights) -> None:
    """The layers read from a Keras or PyTorch file, as the app's .npz (opened here again, or with
    lstm_core.load_stack)."""
    if "description" not in weights.meta:
        return
    count = len(weights.configs)
    area.download_button(
        f"Download the converted weights (.npz, {count} layer{'s' * (count > 1)})",
        partial(trained.stack_bytes, weights),
        file_name="converted_lstm.npz",
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
        help="All LSTM layers in the app's own format: open it here again, or in Python with lstm_core.load_stack.",
    )


WEIGHT_TITLES = {
    "random": "random (the sidebar's seed)",
    **trained.DEMO_TITLES,
    trained.MINE: "yours, from the Train page",
    trained.UPLOAD: "from a file you upload",
}


def chosen_weights(area, note_area) -> trained.Weights | None:
    """The Weights menu in ``area``, and in ``note_area`` what the choice needs and what it is (the
    uploader and the data uploader, which of your trained models, what the weights are): the chosen
    weights, or None for the sidebar's random ones, also when the chosen ones cannot be used (a
    message says why)."""
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
        return None
    if choice == trained.UPLOAD:
        key = _upload(note_area)
        if key is None:
            note_area.caption("Upload a weight file to see it here; until then the sidebar's random weights are shown.")
            return None
    elif choice == trained.MINE:
        key = _pick_mine(note_area) or mine
        if not key:
            controls.notice(
                "You have not trained a model in this session yet: train one on the Train page. Until then the "
                "sidebar's random weights are shown.",
                "info",
            )
            return None
    else:
        key = choice
    try:
        weights = trained.resolve(key, session_weights())
    except ValueError as error:
        controls.notice(f"**These weights cannot be shown:** {escape(error)}", "error")
        return None
    if choice == trained.UPLOAD and weights.task is None:
        weights = _with_own_data(note_area, weights)
    note_area.caption(trained.describe(weights))
    if choice == trained.UPLOAD:
        _converted_download(note_area, weights)
    return weights


def run_chosen(spec: ModelSpec, weights: trained.Weights, note_area) -> Run | None:
    """The run of ``weights`` with ``spec``'s changes on top; when it cannot run, a message and the
    sidebar's random weights' run instead (an uploaded layer waiting for an input of its width is
    not a fault: ``note_area`` says what it needs)."""
    try:
        return runs.model_for(spec, weights)
    except ValueError as error:
        waiting = weights.key.startswith(f"{trained.UPLOAD}:") and weights.task is None and weights.data is None
        if waiting and _wrong_width(weights):
            # Not a fault: the model waits for an input of its width, asked for beside its uploader.
            note_area.warning(f"**Not run yet:** {escape(error)} Until then the sidebar's random weights are shown.")
        else:
            controls.notice(f"**These weights cannot be shown:** {escape(error)}", "error")
        return runs.current_model()


def model_with_chosen_weights(area, note_area, forget_bias_by_charts: bool = False) -> Run | None:
    """The run the page shows: the sidebar's model, or the same page with other weights.

    A "Weights" menu in ``area`` (what the weights are goes in ``note_area``): random (the
    sidebar's seeded Glorot weights), a shipped demo (``demos/``), the model trained on the Train
    page in this session, or an uploaded file (:func:`chosen_weights`). ``forget_bias_by_charts``:
    the page's live slider changes a trained model's forget_bias (see :func:`_changes`).
    """
    weights = chosen_weights(area, note_area)
    if weights is None:
        return runs.current_model()
    spec = _changes(weights, forget_bias_by_charts)
    model = run_chosen(spec, weights, note_area)
    if model is not None and model.weights is not None and weights.task is not None:
        _metric_line(spec, weights)
    return model


def trained_forget_bias() -> float | None:
    """The forget_bias the learner gave the trained weights (beside Explore's and Step through's
    Weights menu, or with Gradient flow's slider), or None: as trained. Kept in the link."""
    changed, value = controls.in_link("trained_fb_on"), controls.in_link("trained_fb")
    return float(value) if changed else None


def folded_forget_bias(weights: trained.Weights) -> str:
    """For a Keras or PyTorch model, why its forget_bias is 0 (a sentence, leading space), else ""."""
    library = str(weights.meta.get("library", ""))
    if library != "PyTorch" and not library.startswith("Keras"):
        return ""
    return (
        f" {escape(library)} adds no forget_bias at run time: the forget gate's bias is inside the model's "
        "bias, so forget_bias 0 is the model as trained, and 1 adds one to every forget gate."
    )


def held_gate_note() -> str:
    """For Compare and Gradient flow, which start from trained weights as trained: that a gate held at
    1 beside Explore's Weights menu is not held there (a sentence, leading space), or ""."""
    if urlstate.value("fix_gate") == "none":
        return ""
    return " The gate you held at 1 beside Explore's Weights menu is not held here."


def model_as_trained(area, note_area) -> Run | None:
    """The Weights menu of the pages that change the model themselves (Compare's variants, Gradient
    flow's forget biases), and the run they start from: the chosen weights as trained, at the
    forget_bias the learner gave them (:func:`trained_forget_bias`) but with no gate held at 1
    (those pages make such changes themselves); else the sidebar's random weights' run."""
    weights = chosen_weights(area, note_area)
    if weights is None:
        return runs.current_model()
    return run_chosen(replace(runs.current_spec(), trained_forget_bias=trained_forget_bias()), weights, note_area)


#: The pages that run the Weights menu's choice; of them, those that add seeded weights of their own
#: to trained ones (a variant's peepholes, the plain RNN and the GRU), with what they seed.
WEIGHTS_PAGES = ("Explore", "Step through", "Compare", "Gradient flow")
SEEDED_EXTRAS = {
    "Compare": "the peepholes a variant adds, the plain RNN's and the GRU's",
    "Gradient flow": "the plain RNN's",
}


def sidebar_use(page_title: str) -> tuple[str | None, bool, bool]:
    """(why the page ``page_title`` does not use the sidebar's cell, or None; whether it ignores its
    inputs too; whether it still uses the weight seed and scale, for seeded weights it adds to
    trained ones), from the Weights menu's choice: what app.py passes to controls.model_controls."""
    if page_title == "Learn":
        return (
            "Each chapter of the lesson chooses its own cell and inputs: these settings are for the other pages.",
            True,
            False,
        )
    if page_title == "Train":
        return (
            "The Train page trains its own cell on its task's inputs, set on the page: these settings are for the other pages.",
            True,
            False,
        )
    if page_title not in WEIGHTS_PAGES or urlstate.value("weights") == "random":
        return None, False, False
    extras = SEEDED_EXTRAS.get(page_title)
    seeds = f" The weight seed and scale still make this page's seeded weights ({extras})." if extras else ""
    if urlstate.value("weights") == trained.UPLOAD:
        key = st.session_state.get(MY_UPLOAD)
        weights = session_weights().get(key) if key else None
        if weights is None:
            return None, False, False
        if weights.task is None:
            kept = st.session_state.get(MY_DATA)
            if kept is not None and kept[2].num_features == weights.configs[0].input_size:
                return (
                    "The uploaded weights run on your own data: these settings are not used here." + seeds,
                    True,
                    bool(extras),
                )
            return (
                "The uploaded weights bring their own cell: only the inputs below are used here." + seeds,
                False,
                bool(extras),
            )
    elif urlstate.value("weights") == trained.MINE and not st.session_state.get(MY_TRAINED):
        return None, False, False
    change = " Change the trained model beside its Weights menu." if page_title in ("Explore", "Step through") else ""
    return (
        "The trained weights bring their own cell and inputs: these settings are for random weights." + seeds + change,
        True,
        bool(extras),
    )


#: What fixing each gate at 1 does, as the menu says it.
FIXED_GATES = {
    "none": "none",
    "f": "f = 1: it never forgets",
    "i": "i = 1: it writes all of j",
    "o": "o = 1: it shows all of its memory",
}
_GATE_FLAGS = {"f": "no_forget_gate", "i": "no_input_gate", "o": "no_output_gate"}


def fixed_gate_label(key: str) -> str:
    return FIXED_GATES[key]


def _reset_forget_bias() -> None:
    urlstate.set_value("trained_fb_on", False)


def trained_forget_bias_controls(weights: trained.Weights, switch_area, slider_area) -> float | None:
    """The switch (in ``switch_area``) and the slider (``slider_area``), through the server, that give
    the trained ``weights`` another forget_bias: its value, or None (as trained)."""
    trained_fb = weights.configs[0].forget_bias
    changed = controls.toggle(
        "trained_fb_on",
        container=switch_area,
        on_change=controls.start_at,
        args=("trained_fb_on", "trained_fb", trained_fb),
        help="Use a different forget_bias, instead of the trained one, at every step.",
    )
    forget_bias = controls.slider(
        "trained_fb",
        container=slider_area,
        disabled=not changed,
        help=f"Replaces the trained value, {trained_fb:g}. Lower it and the memory fades faster.",
    )
    return float(forget_bias) if changed else None


def _changes(weights: trained.Weights, by_charts: bool = False) -> ModelSpec:
    """The "Change the trained model" controls (a classroom's favourite: break it and watch it fail):
    its forget_bias and a gate held at 1, on top of the trained weights; the spec they make. With
    ``by_charts`` the page's live slider sets the forget_bias: the box says its value and offers a
    way back to the trained one."""
    trained_fb = weights.configs[0].forget_bias
    coupled = any(cfg.coupled for cfg in weights.configs)
    box = st.container(border=True)
    box.markdown(
        "**Change the trained model** and watch what it does: its weights stay as trained. "
        f"Trained with forget_bias **{trained_fb:g}**."
    )
    cols = box.columns([1.2, 1.4, 1.6])
    if by_charts:  # the page's live forget_bias slider sets trained_fb (and trained_fb_on)
        forget_bias = trained_forget_bias()
        cols[0].caption(
            f"forget_bias: **{forget_bias:g}** (changed)"
            if forget_bias is not None
            else f"forget_bias: **{trained_fb:g}**, as trained"
        )
        cols[1].caption("Drag the forget_bias slider by the charts to change it.")
        if forget_bias is not None:
            cols[1].button("Back to the trained forget_bias", key="trained_fb_reset", on_click=_reset_forget_bias)
    else:
        forget_bias = trained_forget_bias_controls(weights, cols[0], cols[1])
    gates = ["none", "f", "o"] if coupled else ["none", *_GATE_FLAGS]
    gate = controls.select(
        "fix_gate",
        container=cols[2],
        options=gates,
        format_func=fixed_gate_label,
        help="Hold one gate at 1 in every layer (Greff et al.'s NFG, NIG, NOG), whatever the weights say."
        + (" A coupled cell's input gate is 1 - f, so it cannot be held on its own." if coupled else ""),
    )
    return replace(
        runs.current_spec(),
        trained_forget_bias=forget_bias,
        greff=(_GATE_FLAGS[gate],) if gate != "none" else (),
    )


def _metric_line(spec: ModelSpec, weights: trained.Weights) -> None:
    """How well the model does its task as trained and with the changes, on the same fresh sequences."""
    task = weights.task
    as_trained = runs.task_metric(replace(spec, trained_forget_bias=None, greff=()), weights)
    line = f"On {TASK_METRIC_SEQUENCES} fresh {task.title} sequences: {task.metric_name} **{format_metric(task.metric_name, as_trained)}** as trained"
    if spec.trained_forget_bias is not None or spec.greff:
        changed = runs.task_metric(spec, weights)
        line += f", **{format_metric(task.metric_name, changed)}** with these changes"
        if task.is_solved(as_trained) and not task.is_solved(changed):
            line += ": the changes broke it"
    st.caption(line + ".")
