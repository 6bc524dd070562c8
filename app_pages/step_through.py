"""Step through: one timestep of one unit, the cell diagram, the equations with the real numbers,
played, stepped and scrubbed (the step and forget_bias) in the browser (ui.live_step)."""

import streamlit as st

from ui import controls, live_step, page, urlstate, weights_menu
from ui.markup import quote
from viz.diagram import cell_diagram, colour_note, diagram_alt
from viz.notice import longest_memory, opening_step, step_notes
from viz.numbers import cell_signature
from viz.stepview import EQUATIONS_NOTE, equations, matrix_view, sentences, step_values
from viz.style import color_range


def server_side_step(model, seq: int, layer: int, unit: int, step: int) -> None:
    """Step ``step`` as the page drew it before the live view: a Plotly drawing, the sentences, st.latex."""
    trace = model.traces[layer - 1]
    cfg = trace.config
    v = step_values(trace, seq, step, unit)
    label = model.sequence.step_labels[step]
    _, c_bound = color_range("new_c", trace.new_c[seq], cfg)  # the heatmaps' range
    st.markdown(
        f"**{cell_signature(cfg)}**, layer {layer}: step **t = {step}**"
        + (f" (character {quote(label)})" if label != str(step) else "")
        + f", unit **{unit}** of {cfg.num_units}."
    )
    left, right = st.columns([3, 2])
    with left:
        page.chart(
            cell_diagram(cfg, v, c_bound=c_bound, x_name=f"'{label}'" if layer == 1 and label != str(step) else None),
            key="cell_diagram",
            alt=diagram_alt(cfg, v),
            presenter_height=540,
            presenter_scale=1.35,
            displayModeBar=False,
        )
        st.caption(colour_note(cfg, c_bound))
    with right:
        st.subheader("What happened")
        for text in sentences(cfg, v).values():
            st.markdown(f"- {text}")
    st.subheader("The equations")
    st.caption(EQUATIONS_NOTE)
    for eq in equations(cfg, v):
        st.latex(rf"\begin{{gathered}}{eq.symbolic} \\ {eq.numeric}\end{{gathered}}")


st.title("Step through: one step, one unit, every number")
present = page.presenting()
# In presenter mode the drawing comes first, so that a projector shows it whole; the controls follow.
drawing_area = st.container() if present else None
st.markdown(
    "Pick a unit: the drawing, the sentences and the equations show where each number of step **t** "
    "comes from. Press **▶ Play** to watch the steps go by, drag the step or **forget_bias** and watch "
    "every number follow, or use **◀ / ▶** (or the arrow keys); below the drawing, the same cell "
    "*unrolled* over the last few steps shows what one step hands the next."
)

weights_row = st.columns([1, 2], vertical_alignment="bottom")
model = weights_menu.model_with_chosen_weights(*weights_row, forget_bias_by_charts=True)
if model is None:
    page.halt("Nothing to show yet: fix the settings on the left.")

steps = model.sequence.values.shape[1]
view = st.columns([1, 1, 1])
seq, layer = page.choose_sequence_and_layer(model, view[0], view[1])
trace = model.traces[layer - 1]
cfg = trace.config
if not urlstate.chosen("unit") and not urlstate.chosen("step"):
    # A first visit opens where something happens: the unit that keeps a memory longest, at t = 1,
    # the first step with a memory to keep (not t = 0, where c_prev is 0 and f has nothing to do).
    memory = longest_memory(trace, seq)
    urlstate.set_value("unit", memory.unit if memory is not None else 0)
    urlstate.set_value("step", opening_step(trace, seq))
unit = controls.select(
    "unit",
    container=view[2],
    options=list(range(cfg.num_units)),
    format_func=controls.unit_label,
    help="Each unit is one cell of the layer; they all read the same [x_t, h_(t-1)] but have their own weights.",
)
controls.clamp("step", 0, steps - 1)

with drawing_area or st.container():
    shown = live_step.show(model, seq, layer, unit, urlstate.value("step"), present=present)
if shown.reason:
    # The slider the live view cannot be: through the server (trained weights: beside the Weights menu).
    if model.weights is None:
        controls.forget_bias_slider(st.columns([1, 2])[0])
    st.caption(shown.reason)

with live_step.fallback():
    # The page without the live view: every step and forget_bias goes through the server.
    if model.weights is None and not shown.reason:
        controls.forget_bias_slider(st.columns([1, 2])[0])
    nav = st.columns([1, 10, 1], vertical_alignment="bottom")
    nav[0].button(
        "◀",
        key="step_prev",
        on_click=controls.move_step,
        args=(-1, steps - 1),
        help="Previous step",
        disabled=steps == 1,
    )
    nav[2].button(
        "▶",
        key="step_next",
        on_click=controls.move_step,
        args=(1, steps - 1),
        help="Next step",
        disabled=steps == 1,
    )
    step = controls.slider("step", container=nav[1], high=steps - 1, help="The step t whose numbers are shown.")
    if not live_step.running():  # drawn in full until the live view says it runs (then hidden anyway)
        server_side_step(model, seq, layer, unit, step)

page.what_to_notice(step_notes(trace, seq, unit, model.sequence.step_labels), trace)
step = urlstate.value("step")
with st.expander(
    f"The matrix view at t = {step} (the step last paused at): why the kernel has 4 × num_units columns",
    expanded=False,
):
    latex, full = matrix_view(cfg, trace.params, step_values(trace, seq, step, unit))
    st.markdown(
        "All four gates come from **one** matrix product: the input and the previous output, side by side, "
        "times one kernel whose columns are the i, j, f, o blocks, plus one bias. TensorFlow then splits the "
        "result into four equal parts."
    )
    st.latex(latex)
    if not full:
        st.caption(
            "Too large to write out in full (up to 10 values in [x_t, h_(t-1)] and 2 units are); the shapes still hold."
        )
