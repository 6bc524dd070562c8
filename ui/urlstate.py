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
_KEPT = "_kept_values"
_PAGE = "_page_shown"


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


def carry_over(page: str) -> None:
    """On the first run of a page after another, give its controls the values they last had (call
    after st.navigation, before any widget). Streamlit resets a widget whose parameters differ from
    the last page's widget under the same key (the step slider's bounds or help): set here, the
    learner's value wins."""
    if st.session_state.get(_PAGE) == page:
        return
    st.session_state[_PAGE] = page
    for name, kept in st.session_state.get(_KEPT, {}).items():
        st.session_state[name] = kept


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
    """Give a control its value before its widget is made (so the widget needs no value=): the one
    it had when last seen on any page, else its default. Streamlit forgets a widget's value when
    the page changes; the learner's step, unit or weights should not be."""
    if name not in st.session_state:
        st.session_state[name] = st.session_state.get(_KEPT, {}).get(name, SCHEMA[name].default)


def chosen(name: str) -> bool:
    """Whether ``name`` has a value of the learner's: from the link, a widget or another page."""
    return name in st.session_state or name in st.session_state.get(_KEPT, {})


def set_value(name: str, new: Any) -> None:
    """Set a control from outside its widget (a callback, a file, a lesson's link); kept for every
    page at once, even if this run ends before :func:`save` (st.switch_page)."""
    st.session_state[name] = new
    st.session_state.setdefault(_KEPT, {})[name] = new


def save(names: list[str]) -> None:
    """Write the controls ``names`` (those on screen this run) to the URL, non-default ones only,
    and keep every control's value for the pages that show it next (see :func:`ensure_default`)."""
    kept = st.session_state.setdefault(_KEPT, {})
    kept.update({name: st.session_state[name] for name in SCHEMA if name in st.session_state})
    current = {name: st.session_state[name] for name in names if name in st.session_state}
    query = {key: text for key, text in to_query(current).items() if len(text) <= max(SCHEMA[key].max_chars, 64)}
    if {key: st.query_params.get(key) for key in st.query_params} != query:
        st.query_params.from_dict(query)
