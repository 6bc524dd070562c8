"""Cached runs of the model, shared across sessions and keyed on the small spec, never on arrays."""

from __future__ import annotations

import streamlit as st

from lstm_core.sequences import make_inputs

from . import controls
from .model import Model, ModelSpec, digest, run_model

_SPEC = "_spec"
_LAST_MODEL_KEY = "_last_model_key"
#: A custom sequence longer than this is keyed by its fingerprint rather than its text.
_KEY_TEXT_MAX = 2000
#: A run with more cells than this (sequences x steps x units, all layers; about 100 bytes each) is
#: "large": the largest allowed run (2000 steps, 3 x 256 units) records about 160 MB.
LARGE_CELLS = 100_000


@st.cache_data(max_entries=48, show_spinner="Running the LSTM...")
def _run_cached(key: str, _spec: ModelSpec) -> Model:
    # ``key`` is the cache key; ``_spec`` (not hashed) is what it stands for.
    return run_model(_spec)


@st.cache_data(max_entries=4, show_spinner="Running the LSTM...")
def _run_cached_large(key: str, _spec: ModelSpec) -> Model:
    # Large runs get their own, small cache, so a class trying the largest sizes holds a few of
    # them (about 160 MB each at most), not 48.
    return run_model(_spec)


def is_large(spec: ModelSpec) -> bool:
    """Whether ``spec``'s run goes to the small cache of large runs (trained models never do)."""
    if spec.trained:
        return False
    batch, steps, _ = make_inputs(spec.inputs).values.shape
    return batch * steps * sum(spec.units) > LARGE_CELLS


def _cached(key: str, spec: ModelSpec) -> Model:
    return (_run_cached_large if is_large(spec) else _run_cached)(key, spec)


def set_spec(spec: ModelSpec) -> None:
    """Record the spec of this run (app.py, after the shared controls)."""
    st.session_state[_SPEC] = spec


def cache_key(spec: ModelSpec) -> str:
    custom = spec.inputs.custom
    if len(custom) > _KEY_TEXT_MAX:
        values = make_inputs(spec.inputs).values
        spec = spec.with_inputs(custom=f"sha256:{digest(values)}")
    return spec.key()


def model_for(spec: ModelSpec) -> Model:
    """The (cached) run of any spec, e.g. a variant of the current one; ValueError if it cannot run."""
    return _cached(cache_key(spec), spec)


def current_spec() -> ModelSpec:
    """The spec the shared controls describe in this run."""
    return st.session_state[_SPEC]


def current_model() -> Model | None:
    """The run of the current spec; on a run error (e.g. overflow), a notice and the last good run."""
    spec: ModelSpec = st.session_state[_SPEC]
    try:
        key = cache_key(spec)
        model = _cached(key, spec)
    except ValueError as error:
        controls.notice(f"**This configuration cannot be run:** {error}", "error")
        last = st.session_state.get(_LAST_MODEL_KEY)
        if last is None:
            return None
        controls.notice("Showing the last configuration that ran.", "info")
        return _cached(*last)
    st.session_state[_LAST_MODEL_KEY] = (key, spec)
    return model
