"""LSTM explainer: entry point. `streamlit run app.py` (or `bash scripts/app.sh`).

Draws the shared model controls (sidebar) once for every page, so switching pages keeps the
configuration and the link, then runs the chosen page.
"""

import contextlib
from pathlib import Path

import streamlit as st

st.set_page_config(
    page_title="LSTM explainer",
    # A file of our own: a material icon as page_icon is fetched from a font server on the internet,
    # and a classroom may have none.
    page_icon=str(Path(__file__).resolve().parent / "ui" / "static" / "icon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
    menu_items={"About": "An interactive explainer of TensorFlow's LSTM cell, gate by gate, step by step."},
)

from ui import controls, keep, runs, urlstate, weights_menu  # noqa: E402
from ui.page import PageHalt, presenter_switch  # noqa: E402  (after set_page_config)

controls.begin_run()
runs.begin_run()
urlstate.load_once()
keep.restore_once()  # what the link names that a reload or a restart took away
notices = st.container()

page = st.navigation(
    [
        st.Page("app_pages/learn.py", title="Learn", icon=":material/school:", default=True),
        st.Page("app_pages/explore.py", title="Explore", icon=":material/grid_view:"),
        st.Page("app_pages/step_through.py", title="Step through", icon=":material/skip_next:"),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:"),
        st.Page("app_pages/gradient_flow.py", title="Gradient flow", icon=":material/trending_down:"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    ]
)
urlstate.carry_over(page.title)  # the step, unit, sequence, layer and weights a page had
# The sidebar says when the page does not use it (trained weights, the Train page's own cell).
unused, inputs_unused, seeds_used = weights_menu.sidebar_use(page.title)
fb_on_page = page.title in controls.FORGET_BIAS_ON_PAGE
runs.set_spec(
    controls.model_controls(
        unused, inputs_unused, forget_bias_on_page=fb_on_page, hidden=page.title == "Learn", seeds_used=seeds_used
    )
)
presenter_switch()
with contextlib.suppress(PageHalt):  # the page said why it stopped; notices and link follow
    page.run()

controls.show_notices(notices)
keep.reconnect_watch()
keep.link()
urlstate.save(controls.rendered())
