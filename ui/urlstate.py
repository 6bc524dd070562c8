"""Keep every control in the URL: read it once when a session starts, write it after every run.

Widgets take their values from ``st.session_state`` under their schema name (which is also their
URL key). On a session's first run, :func:`load_once` validates the query string against
:data:`ui.schema.SCHEMA`; valid values seed the widgets, invalid ones leave the default and a
message saying what was wrong and what is accepted. :func:`save` writes the non-default values
back, so the address bar is always a link that reproduces the page.

Streamlit's own ``bind="query-params"`` silently drops invalid values; the project wants the
learner told, hence this small layer.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from .schema import SCHEMA, parse_query, to_query

_LOADED = "_url_loaded"
_MESSAGES = "_url_messages"


def load_once() -> None:
    """Seed session state from the URL on the session's first run (later runs keep the user's)."""
    if st.session_state.get(_LOADED):
        return
    st.session_state[_LOADED] = True
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    values, messages = parse_query(query)
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state[_MESSAGES] = messages


def messages() -> list[str]:
    """The problems found in the URL this session started with."""
    return list(st.session_state.get(_MESSAGES, []))


def dismiss_messages() -> None:
    st.session_state[_MESSAGES] = []


def value(name: str) -> Any:
    """The current value of a control: session state, or the schema default."""
    ensure_default(name)
    return st.session_state[name]


def ensure_default(name: str) -> None:
    """Give a control its default before its widget is made (so the widget needs no value=)."""
    if name not in st.session_state:
        st.session_state[name] = SCHEMA[name].default


def set_value(name: str, new: Any) -> None:
    st.session_state[name] = new


def save(names: list[str]) -> None:
    """Write the controls ``names`` (those on screen this run) to the URL, non-default ones only."""
    current = {name: st.session_state[name] for name in names if name in st.session_state}
    query = {key: text for key, text in to_query(current).items() if len(text) <= max(SCHEMA[key].max_chars, 64)}
    if {key: st.query_params.get(key) for key in st.query_params} != query:
        st.query_params.from_dict(query)
