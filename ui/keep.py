"""Nothing a learner made lost without a word: what a reload, a shared link or a server restart
brings back from the server's shelf (ui.shelf), and what it says about the rest.

Streamlit starts an empty session whenever a tab reloads or reconnects. :func:`restore_once`, on a
session's first run, takes back what its link names: the Train page's runs (``runs=``), the trained
model opened on Explore (``mine=``) and a custom sequence too long for the link (``custom_ref=``);
for whatever the shelf no longer holds it says what was lost and why (the server restarted, or the
work was kept its hours and dropped). :func:`link` puts those keys in the link on every run.
"""

from __future__ import annotations

import streamlit as st

from . import controls, shelf, trained, urlstate, weights_menu
from . import training_session as session
from .schema import MAX_URL_CUSTOM_CHARS

_RESTORED = "_restored_from_link"
_CUSTOM = "_custom_on_shelf"  # (digest of the text, its token)
_MINE_TOKENS = "_mine_tokens"  # weights key -> its token on the shelf


def restore_once() -> None:
    """On a session's first run (after urlstate.load_once), take back what its link names."""
    if st.session_state.get(_RESTORED):
        return
    st.session_state[_RESTORED] = True
    again = "The same settings and seed train the same model again on the Train page."
    listed = str(st.session_state.get("runs", ""))
    if listed:
        back, going, lost = session.restore(listed)
        if back:
            controls.notice(
                f"This page was reloaded (or opened from a link): {back} trained run{'s' * (back > 1)} came back "
                "from the server.",
                "info",
            )
        if going:
            controls.notice(
                f"This page was reloaded: {'your run goes' if going == 1 else f'your {going} runs go'} on training "
                "on the server; the Train page shows the progress.",
                "info",
            )
        if lost:
            controls.notice(
                f"**{len(lost)} trained run{'s' * (len(lost) > 1)} this link names {'are' if len(lost) > 1 else 'is'} "
                f"gone:** {lost[0]}. {again}",
                "warning",
            )
    token = str(st.session_state.get("mine", ""))
    if token:
        entry = shelf.SHELF.get(token) if shelf.is_token(token) else None
        if entry is not None:
            weights = trained.register(entry["model"])
            weights_menu.keep_weights(weights)
            st.session_state[weights_menu.MY_TRAINED] = weights.key
            st.session_state.setdefault(_MINE_TOKENS, {})[weights.key] = token
        else:
            controls.notice(
                f"**The trained model this link opens is gone:** {shelf.why_missing(token)}. {again}",
                "warning",
            )
            urlstate.set_value("mine", "")
    if st.session_state.get("weights") == trained.UPLOAD:
        controls.notice(
            "This link showed a file you uploaded; the server does not keep uploads after a reload: upload it again.",
            "info",
        )
    token = str(st.session_state.get("custom_ref", ""))
    if token:
        text = shelf.SHELF.get(token) if shelf.is_token(token) else None
        if isinstance(text, str):
            urlstate.set_value("custom", text)
            st.session_state[_CUSTOM] = (trained.digest(text.encode()), token)
        else:
            controls.notice(
                f"**This link's custom sequence is gone:** it was longer than {MAX_URL_CUSTOM_CHARS:,} characters, "
                f"too long to travel in a link, so the server kept it, and {shelf.why_missing(token)}. The default "
                "sequence is shown: paste yours again.",
                "warning",
            )
        urlstate.set_value("custom_ref", "")


#: How often the reconnect watch's fragment runs on its own (it draws nothing): rarely, see below.
_WATCH_SECONDS = 3600


def _nothing() -> None:
    pass


def reconnect_watch() -> None:
    """Make Streamlit's browser code run the page again when it reconnects to the server.

    After a lost connection (the server restarted, a laptop slept), Streamlit's frontend requests a
    run on reconnecting only if a fragment with ``run_every`` is on the page; otherwise the page keeps
    showing what it showed, a trained model the new server no longer has included, until the next
    click. This empty fragment (it runs by itself once an hour, drawing nothing) makes every page
    rerun on reconnect, so that :func:`restore_once` says at once what the restart took away.
    """
    st.fragment(_nothing, run_every=_WATCH_SECONDS)()


def remember_mine(weights: trained.Weights, data: bytes) -> None:
    """Keep a model opened on Explore from the Train page on the shelf, so that a reload finds it."""
    token = shelf.new_token()
    shelf.SHELF.put(token, {"model": data})
    st.session_state.setdefault(_MINE_TOKENS, {})[weights.key] = token
    urlstate.set_value("mine", token)


def link() -> None:
    """Put this session's keys of kept work in the link (call before urlstate.save)."""
    urlstate.set_value("runs", session.listed())
    mine = st.session_state.get(weights_menu.MY_TRAINED)
    urlstate.set_value("mine", st.session_state.get(_MINE_TOKENS, {}).get(mine, "") if mine else "")
    text = str(urlstate.value("custom"))
    reference = ""
    if len(text) > MAX_URL_CUSTOM_CHARS:
        digest = trained.digest(text.encode())
        kept = st.session_state.get(_CUSTOM)
        if kept is None or kept[0] != digest or kept[1] not in shelf.SHELF:
            kept = (digest, shelf.new_token())
            shelf.SHELF.put(kept[1], text)
            st.session_state[_CUSTOM] = kept
        reference = kept[1]
    urlstate.set_value("custom_ref", reference)
    for name in ("runs", "mine", "custom_ref"):
        controls.in_link(name)
