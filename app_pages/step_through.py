"""Step through: one timestep of one unit, the cell diagram, the equations with the real numbers."""

import streamlit as st

from ui import controls, page, weights_menu
from ui.markup import quote
from viz.diagram import cell_diagram, diagram_alt
from viz.numbers import cell_signature
from viz.player import frame_steps, step_player
from viz.stepview import equations, matrix_view, sentences, step_values
from viz.style import color_range

PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
.stMainBlockContainer { max-width: 100%; padding: 1.5rem 2.5rem; }
.stMainBlockContainer [data-testid="stMarkdownContainer"] p,
.stMainBlockContainer [data-testid="stMarkdownContainer"] li { font-size: 1.45rem; line-height: 1.5; }
.stMainBlockContainer h1 { font-size: 2.6rem; }
.stMainBlockContainer .katex { font-size: 1.55em; }
.stMainBlockContainer button p { font-size: 1.3rem; }
</style>
"""


st.title("Step through: one step, one unit, every number")
top = st.columns([3, 1])
top[0].markdown(
    "Pick a step **t** and a unit: the drawing, the equations and the sentences below show where each "
    "number of that step comes from. Use **◀ / ▶** (or the arrow keys) to walk through time, or press "
    "**Play** on the animation at the bottom."
)
present = controls.toggle(
    "present",
    container=top[1],
    help="For the front of a classroom: large type and a large diagram, no sidebar. Toggle again to get the controls back.",
)
if present:
    st.html(PRESENTER_CSS)

weights_row = st.columns([1, 2], vertical_alignment="bottom")
model = weights_menu.model_with_chosen_weights(*weights_row)
if model is None:
    page.halt("Nothing to show yet: fix the settings on the left.")

steps = model.sequence.values.shape[1]
view = st.columns([1, 1, 1])
seq, layer = page.choose_sequence_and_layer(model, view[0], view[1])
trace = model.traces[layer - 1]
cfg = trace.config
unit = controls.select(
    "unit",
    container=view[2],
    options=list(range(cfg.num_units)),
    format_func=controls.unit_label,
    help="Each unit is one cell of the layer; they all read the same [x_t, h_(t-1)] but have their own weights.",
)

nav = st.columns([1, 10, 1], vertical_alignment="bottom")
nav[0].button(
    "◀",
    key="step_prev",
    on_click=controls.move_step,
    args=(-1, steps - 1),
    shortcut="Left",
    help="Previous step (←)",
    disabled=steps == 1,
)
nav[2].button(
    "▶",
    key="step_next",
    on_click=controls.move_step,
    args=(1, steps - 1),
    shortcut="Right",
    help="Next step (→)",
    disabled=steps == 1,
)
step = controls.slider("step", container=nav[1], high=steps - 1, help="The step t whose numbers are shown.")

v = step_values(trace, seq, step, unit)
label = model.sequence.step_labels[step]
_, c_bound = color_range("new_c", trace.new_c[seq], cfg)  # the heatmaps' range
st.markdown(
    f"**{cell_signature(cfg)}**, layer {layer}: step **t = {step}**"
    + (f" (character {quote(label)})" if label != str(step) else "")
    + f", unit **{unit}** of {cfg.num_units}."
)

left, right = st.columns([3, 2] if not present else [5, 2])
with left:
    st.plotly_chart(
        cell_diagram(
            cfg,
            v,
            c_bound=c_bound,
            font_size=20 if present else 14,
            height=640 if present else 440,
            x_name=f"'{label}'" if layer == 1 and label != str(step) else None,
        ),
        key="cell_diagram",
        alt=diagram_alt(cfg, v),
        config={"displayModeBar": False, "staticPlot": False},
    )
    st.caption(
        f"Colours as on Explore: gates from 0 (dark blue) to 1 (yellow); j and h from -1 (blue) to 1 (red); "
        f"c from -{c_bound:g} to {c_bound:g}." + (" Dotted: peephole connections." if cfg.use_peepholes else "")
    )
with right:
    st.subheader("What happened")
    for text in sentences(cfg, v).values():
        st.markdown(f"- {text}")

st.subheader("The equations")
st.caption(
    "Each equation in symbols, then with this step's numbers (rounded to 4 decimals). σ is the sigmoid, ⊙ multiplies "
    "element by element; the `_pre` values are TensorFlow's raw split of `[x_t, h_(t-1)] W + b`."
)
for eq in equations(cfg, v):
    st.latex(rf"\begin{{gathered}}{eq.symbolic} \\ {eq.numeric}\end{{gathered}}")

with st.expander("The matrix view: why the kernel has 4 × num_units columns", expanded=False):
    latex, full = matrix_view(cfg, trace.params, v)
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

st.subheader("Play it")
shown = frame_steps(steps)
st.caption(
    f"The animation runs in your browser ({len(shown)} frames), without asking the server: press **▶ Play**, "
    "pause, or drag the slider under it. Play starts from the selected step. The box marks the step; the bars are that step's values of unit "
    f"{unit}. It moves on its own: the drawing, sentences and equations above stay at t = {step} until you "
    "pick a step with the slider or the ◀ / ▶ buttons."
)
st.plotly_chart(
    step_player(
        trace,
        seq,
        unit,
        start=step,
        step_labels=model.sequence.step_labels,
        c_bound=c_bound,
        font_size=16 if present else 13,
    ),
    key="step_player",
    alt=f"Animation of unit {unit}'s gates, cell state and output over {steps} steps, with play and pause buttons.",
    config={"displayModeBar": False},
)
