"""Explore: set forget_bias and the step by the charts, num_units and the inputs in the sidebar; watch every gate evolve."""

import streamlit as st

from lstm_core import LSTMStateTuple
from ui import controls, files, live_explore, page, plotly_live, urlstate, weights_menu
from ui.markup import quote
from viz.heatmaps import heatmap_alt, trace_heatmaps
from viz.lines import lines_alt, state_lines
from viz.notice import explore_notes, longest_memory
from viz.numbers import cell_signature, state_repr, step_table, summarised
from viz.style import GATE_COLOURS, SIGNED_COLOURS, STYLES

st.title("Explore: every gate at every step")
# In presenter mode the heatmaps (and the live sliders) come first, so that a projector shows them whole.
main_chart = st.container() if page.presenting() else None
st.markdown(
    "The cell reads its input **one step at a time, left to right**. Each band below is one quantity "
    f"of the cell; each column is a step, each row a unit. The gates **i, f, o** go from 0 to 1 ({GATE_COLOURS}); "
    f"**j**, the cell state **c** and the output **h** are signed ({SIGNED_COLOURS}). Hover a cell "
    "for its exact value. Drag **forget_bias** or the step by the charts, or change the settings on the "
    "left, and watch what moves."
)

weights_row = st.columns([1, 2], vertical_alignment="bottom")
model = weights_menu.model_with_chosen_weights(*weights_row, forget_bias_by_charts=plotly_live.live())
if model is None:
    page.halt("Nothing to show yet: fix the settings on the left.")

steps = model.sequence.values.shape[1]
layers = len(model.traces)
view = st.columns([1, 1, 1.2])
seq, layer = page.choose_sequence_and_layer(model, view[0], view[1])
show_pre = controls.toggle(
    "pre",
    container=view[2],
    help="Show i, j, f, o before their nonlinearity: the raw split of [x_t, h_prev] @ kernel + bias, what TensorFlow's code calls i, j, f, o.",
)
fit = controls.toggle(
    "fit",
    container=view[2],
    help="Stretch the colours of each signed band (x, j, c, h) over the values it holds; the gates keep 0 to 1. "
    "Off (the default), the ranges are fixed by the cell, so that a change you make shows as a change of colour: "
    "fit to the data, a faint band looks as strong as a bold one.",
)
trace = model.traces[layer - 1]
cfg = trace.config

label_of = model.sequence.step_labels
live = live_explore.prepare(model, seq, layer, show_pre=show_pre, fit=fit, compact=page.presenting())
about = (
    f"on {steps} step{'s' if steps > 1 else ''} of {cfg.input_size} feature{'s' if cfg.input_size > 1 else ''} "
    f"-- layer {layer} of {layers}, {model.params[layer - 1].count():,} weights."
)
follow = None  # with live charts: what a release changes for the downloads (they are not drawn again)
if isinstance(live, live_explore.Live):
    follow = live_explore.Follow(live.forget_bias, model.spec)
    with main_chart or st.container():  # in presenter mode the sliders sit right above the heatmaps
        live_explore.draw_store(live)
        live_explore.draw_controls(live, follow, steps=steps, sentence=about, presenting=page.presenting())
    step = int(urlstate.value("step"))  # brought inside the sequence by draw_controls
else:  # through the server: each value released reruns the page
    scrub = st.columns([1, 2])
    if model.weights is None:  # trained weights: their forget_bias is changed beside the Weights menu
        controls.forget_bias_slider(scrub[0])
        scrub[0].caption(live)
    else:
        scrub[0].caption(live)
    live_explore.retry_button(scrub[0])
    step = controls.slider(
        "step", container=scrub[1], high=steps - 1, help="The step whose numbers are shown below, marked on the charts."
    )
    label = label_of[step]
    st.markdown(
        f"**{cell_signature(cfg)}** {about} Selected step **t = {step}**"
        + (f" (character {quote(label)})" if label != str(step) else "")
        + "."
    )
if cfg.coupled:
    st.caption("Coupled cell (CIFG): i = 1 - f. The kernel keeps its four blocks; the i block is computed but ignored.")

fig = trace_heatmaps(
    trace,
    seq,
    show_pre=show_pre,
    step=step,
    step_labels=label_of,
    feature_names=model.sequence.feature_names if layer == 1 else None,
    fit=fit,
    below=model.configs[layer - 2] if layer > 1 else None,
    compact=page.presenting(),
)
with main_chart or st.container():
    if isinstance(live, live_explore.Live):
        shown = page.as_shown(fig, presenter_height=560)  # under the sliders, whole on a projector
        live_explore.draw_heatmaps(live, shown, alt=heatmap_alt(trace, seq, show_pre), config={"displaylogo": False})
    else:
        page.chart(fig, key="explore_heatmaps", alt=heatmap_alt(trace, seq, show_pre), live=True, presenter_height=600)
if isinstance(live, live_explore.Live):  # at the forget bias the sliders show, while they move too
    live_explore.draw_notes(live, presenting=page.presenting())
else:
    page.what_to_notice(explore_notes(trace, seq, label_of), trace)
with st.expander("What each band shows"):
    for name in ("i", "j", "f", "o", "new_c", "new_h"):
        q = STYLES[name]
        st.markdown(f"- **{q.symbol}**, {q.title}: {q.description}")
    st.markdown(
        "- The colour range of each band is fixed by the cell, not by the data, so a change is a change: [0, 1] "
        "for the gates; ±1 for j and h with tanh, which bounds them. Nothing bounds c (each step adds i ⊙ j to "
        "what f keeps), so its ±1 is only where the band's colours end (±cell_clip when c is clipped; ±5 where "
        "nothing bounds a quantity, and for the pre-activations). A value beyond its band's range keeps the end "
        "colour and gets a white dot; the band's label says how many and how far. *Fit colours to the data* "
        "stretches each signed band over its own values instead; the gates keep [0, 1]."
    )

st.subheader("Cell state and output of chosen units")
unit_count = cfg.num_units
if isinstance(live, live_explore.Live):  # until units are picked: those What to notice follows over the slider's range
    default = live_explore.lines_default(live, unit_count)
    chosen = controls.multiselect_units("units", unit_count, default=default)
    if not str(urlstate.value("units")).strip():
        st.caption(
            f"Until you pick: unit{'s' * (len(default) != 1)} {', '.join(map(str, default))}, "
            "the ones What to notice talks about as forget_bias moves (then the first units)."
        )
else:  # What to notice's unit among them
    memory = longest_memory(trace, seq)
    chosen = controls.multiselect_units("units", unit_count, first=memory.unit if memory else None)
if chosen and isinstance(live, live_explore.Live):
    live_explore.draw_lines(
        live,
        page.as_shown(state_lines(trace, seq, chosen, step_labels=label_of)),
        alt=lines_alt(trace, seq, chosen),
        config={"displaylogo": False},
        units=chosen,
        h_depth=cfg.h_depth,
    )
elif chosen:
    page.chart(
        state_lines(trace, seq, chosen, step=step, step_labels=label_of),
        key="explore_lines",
        alt=lines_alt(trace, seq, chosen),
        live=True,
    )
else:
    st.caption("Choose at least one unit.")

st.subheader(
    "The numbers at the selected step" if isinstance(live, live_explore.Live) else f"The numbers at step t = {step}"
)
st.caption(
    "One row per unit. *_pre are TensorFlow's raw split of [x_t, h_prev] @ kernel + bias, before the "
    "nonlinearity and before forget_bias: f = σ(f_pre + forget_bias). c_prev is the state the step started from."
)
if isinstance(live, live_explore.Live):
    live_explore.draw_table(live)
else:
    table = step_table(trace, seq, step)
    six_places = {name: st.column_config.NumberColumn(format="%.6f") for name in table.columns}
    st.dataframe(table, column_config=six_places, width="stretch")
as_tuple = controls.toggle(
    "tuple",
    help="TensorFlow's state_is_tuple: True passes LSTMStateTuple(c, h); False, the deprecated form, one array with c and h side by side.",
)
rows = slice(seq, seq + 1)
stacked = layers > 1  # MultiRNNCell's state: one LSTMStateTuple per layer
after_step = [LSTMStateTuple(t.new_c[rows, step], t.new_h[rows, step]) for t in model.traces]
final = [LSTMStateTuple(t.final_state.c[rows], t.final_state.h[rows]) for t in model.traces]
if isinstance(live, live_explore.Live) and live.printable:
    live_explore.draw_state(live, as_tuple=as_tuple, layers=layers, summarised=any(summarised(s) for s in final))
    states_on_server = ()
else:
    states_on_server = ((f"State after step {step}", after_step), ("Final state (after the last step)", final))
for heading, states in states_on_server:
    shown = states if stacked else states[0]
    st.markdown(
        f"{heading}, printed as TensorFlow's tutorial notebook prints it"
        + (f" (a tuple of {layers} layers' states, as MultiRNNCell returns it)" if stacked else "")
        + ":"
    )
    st.code(state_repr(shown, as_tuple), language="python")
    if any(summarised(s) for s in states):
        with st.expander(f"All {max(t.config.num_units for t in model.traces)} values of each vector"):
            st.code(state_repr(shown, as_tuple, summarise=False), language="python")

st.subheader("Save and open")
cols = st.columns(4)
for column, (kind, label, icon) in zip(
    cols,
    [
        ("trace_csv", "Trace, long table (.csv)", "table"),
        ("trace_npz", "Trace, all arrays (.npz)", "data_array"),
        ("weights_npz", f"Weights of layer {layer} (.npz)", "scale"),
        ("config_json", "Configuration (.json)", "settings"),
    ],
    strict=True,
):
    files.download_button(column, kind, label, model, layer - 1, follow=follow, icon=f":material/{icon}:")
files.config_upload(st)
