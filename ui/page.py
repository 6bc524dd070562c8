"""What every page that shows a run has: a way to stop with a reason, and the sequence and layer shown."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from viz.figure import for_presenter

from . import controls, plotly_live
from .model import Run


def sequence_label(index: int) -> str:
    """What the sequence menu shows (module functions, not lambdas: see ui.controls.unit_label)."""
    return f"sequence {index + 1}"


def layer_label(layer: int) -> str:
    return f"layer {layer}"


class PageHalt(Exception):
    """Raised by :func:`halt`; app.py catches it, so the notices and the link are still written."""


def halt(message: str) -> NoReturn:
    """Say why the page stops here, and stop it. Unlike ``st.stop()``, app.py's code after the
    page still runs: the notices that explain the problem and the URL are not lost."""
    st.info(message)
    raise PageHalt


def choose_sequence_and_layer(model: Run, seq_area, layer_area) -> tuple[int, int]:
    """(sequence index, 1-based layer): radios where there is a choice, else (0, 1)."""
    batch = model.sequence.values.shape[0]
    layers = len(model.traces)
    seq = 0
    if batch > 1:
        seq = controls.select(
            "seq",
            container=seq_area,
            options=list(range(batch)),
            format_func=sequence_label,
            radio=True,
            help="This input holds several sequences (a batch); they run side by side, independently.",
        )
    layer = 1
    if layers > 1:
        layer = controls.select(
            "layer",
            container=layer_area,
            options=list(range(1, layers + 1)),
            format_func=layer_label,
            radio=True,
            help="Layer 1 reads the input; layer k + 1 reads layer k's output h.",
        )
    return seq, layer


#: The presenter switch's key (kept in the link as ``present=true``).
PRESENT = "present"
#: What presenter mode does to the page: no sidebar or header, the page's full width, larger text
#: and controls. Chart text is enlarged by viz.figure.for_presenter (see :func:`chart`).
PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
.stMainBlockContainer { max-width: 100%; padding: 0.6rem 2rem 2rem 2rem; }
.stMainBlockContainer h1 { font-size: 2.1rem; padding: 0.2rem 0 0.4rem 0; }
.stMainBlockContainer h2, .stMainBlockContainer h3 { font-size: 1.7rem; }
.stMainBlockContainer [data-testid="stMarkdownContainer"] p,
.stMainBlockContainer [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; line-height: 1.45; }
.stMainBlockContainer [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
.stMainBlockContainer [data-testid="stWidgetLabel"] p { font-size: 1.2rem; }
.stMainBlockContainer button p, .stMainBlockContainer [data-baseweb="select"] div,
.stMainBlockContainer input, .stMainBlockContainer textarea { font-size: 1.2rem; }
.stMainBlockContainer .katex { font-size: 1.45em; }
/* The slider's value sits above its thumb, clear of it, at the larger size. */
.stMainBlockContainer [data-testid="stSliderThumbValue"] { font-size: 1.1rem; transform: translateY(-0.45rem); }
.stMainBlockContainer [data-testid="stSlider"] { padding-top: 0.9rem; }
</style>
"""
_SWITCH_CSS = (
    # At the top right of the page's content, scrolling away with it (it covered text when it stayed
    # put); the page's title wraps before it.
    "<style>.stMainBlockContainer { position: relative; } "
    ".st-key-presenter_switch { position: absolute; top: 0.4rem; right: 1rem; z-index: 10; width: auto; "
    "background: rgba(255, 255, 255, 0.92); border-radius: 0.5rem; padding: 0 0.4rem; } "
    ".stMainBlockContainer h1 { padding-right: 11rem; }</style>"
)


def presenter_switch() -> bool:
    """The presenter-mode switch, pinned to the top right of every page (drawn by app.py); on, it
    hides the sidebar and enlarges the page. Returns whether it is on."""
    with st.container(key="presenter_switch"):
        on = controls.toggle(
            PRESENT,
            help="For the front of a classroom: large type and charts that fit a 1280 x 720 projector, no "
            "sidebar. Turn it off to get the controls back; the link keeps it (present=true).",
        )
    st.html(_SWITCH_CSS + (PRESENTER_CSS if on else ""))
    return on


def presenting() -> bool:
    """Whether the page is in presenter mode (the switch is drawn before every page)."""
    return bool(st.session_state.get(PRESENT, False))


def as_shown(fig, *, presenter_height: int | None = None, presenter_scale: float = 1.4):
    """``fig`` as :func:`chart` draws it: in presenter mode with its text enlarged (and that tall)."""
    return for_presenter(fig, scale=presenter_scale, height=presenter_height) if presenting() else fig


def chart(
    fig,
    *,
    key: str | None,
    alt: str,
    live: bool = False,
    presenter_height: int | None = None,
    presenter_scale: float = 1.4,
    **config,
) -> None:
    """Draw a Plotly figure where the page is: updated in place (ui.plotly_live) with ``live``, else
    st.plotly_chart; in presenter mode with its text enlarged and, with ``presenter_height``, that tall
    (what fits a 1280 x 720 projector under the page's title). ``config``: Plotly's config."""
    fig = as_shown(fig, presenter_height=presenter_height, presenter_scale=presenter_scale)
    config = {"displaylogo": False, **config}
    if live:
        plotly_live.plotly_chart(fig, key=key, alt=alt, config=config)
    else:
        st.plotly_chart(fig, key=key, alt=alt, config=config)  # key None: a chart redrawn in one place (st.empty)


def what_to_notice(notes: list[str], trace, container=None) -> None:
    """The page's "What to notice": sentences written from the run shown (viz.notice), headed by the
    forget_bias they were computed at (the live slider may show another until it is released)."""
    area = container or st
    area.markdown(
        f"**What to notice** (at forget_bias {trace.config.forget_bias:g}):\n"
        + "\n".join(f"- {note}" for note in notes)
    )
