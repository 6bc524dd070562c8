"""Gradient flow: how far back an error at the last step reaches the cell state, at forget_bias 0 and 1,
and, beside it, how far it reaches a plain RNN's state on the same input."""

from dataclasses import replace
from functools import partial

import streamlit as st

from ui import controls, live_flow, page, runs, urlstate, weights_menu
from ui.markup import escape
from ui.sweeps import Live
from viz.gradflow import (
    LOSS_TITLES,
    LOSSES,
    floored,
    flow_heatmaps,
    flow_lines,
    forget_biases,
    grows_back,
    heatmaps_alt,
    lines_alt,
    rnn_name,
    with_rnn,
)
from viz.notes.gradflow import rnn_comparison, what_to_notice

st.title("Gradient flow: how far back can the cell's memory be trained?")
main_chart = st.container() if page.presenting() else None  # presenter mode: the line chart first
st.markdown(
    "A network learns from its error: the error at the end is sent **back through the steps** "
    "(backpropagation through time). The weights are shared by every step, and they get the sum of one "
    "correction per step, each as large as the part of the error that arrives there: if almost nothing "
    "arrives at step t, nothing is learned about what happened at step t. Going back one step through the cell state multiplies the error by the **forget gate f**: "
    "with forget_bias 0 a gate that has no reason to remember sits at σ(0) = 0.5 and halves it at every "
    "step; with forget_bias 1 it sits at σ(1) = 0.73. Below, the same weights and the same input at "
    "forget_bias 0 and 1, and at the value of the slider below; beside them, a **plain RNN** (TensorFlow's "
    "BasicRNNCell), which has no cell state: its error goes back through h alone."
)

live_flow.released_value()  # a run of the whole page: its spec already has the value released
weights_row = st.columns([1, 2], vertical_alignment="bottom")
base = weights_menu.model_as_trained(*weights_row)  # the chosen weights (at their forget_bias), or the sidebar's cell
if base is None:
    page.halt("Nothing to show yet: fix the settings on the left.")
weights = base.weights  # None: the sidebar's seeded cell
spec = base.spec  # the sidebar's (or the last one that ran: a notice says so), or the trained weights'
sidebar = runs.current_spec()  # with trained weights, its weight seed and scale make the plain RNN's
current = float(base.configs[0].forget_bias)  # the slider's: the sidebar's, or the trained weights' own

view = st.columns([1.6, 1, 1])
loss = controls.select(
    "flow_loss",
    container=view[0],
    options=list(LOSSES),
    format_func=LOSS_TITLES.get,
    radio=True,
    help="Where the error comes from: the sum of the last step's cell state (so ∂L/∂c_T = 1 for every unit), "
    "or of its output h_T (then ∂L/∂c_T = o_T · tanh'(c_T) with tanh: already smaller than 1).",
)
seq, layer = page.choose_sequence_and_layer(base, view[1], view[2])
live = live_flow.prepare(base, layer, seq, loss)  # the slider's curves at every forget_bias, or why not
row = st.columns([1, 1, 1])
if not isinstance(live, Live):  # through the server: each value released reruns the page
    if weights is None:
        controls.forget_bias_slider(row[0])
    else:
        weights_menu.trained_forget_bias_controls(weights, row[0], row[0])
    row[0].caption(live)
with row[0] if isinstance(live, Live) else row[1]:
    show_rnn = controls.toggle(
        "flow_rnn",
        help="A plain RNN (BasicRNNCell, the sidebar's activation and layers; with trained weights, one layer of "
        "the shown layer's size and activation, on its input) on the same input, with seeded weights of its own "
        "from the sidebar's weight seed and scale: its ‖∂L/∂h_t‖ for L = sum(h_T), on the same axes.",
    )


def flow_body(spec, current: float) -> None:
    # The same spec at each forget_bias: same weights, same input (for layer 1; a higher layer's input is
    # the output of the layers below, which forget_bias changes too).
    # With trained weights, trained_forget_bias sets the forget_bias of every layer (ui.model.changed_configs).
    specs = [
        replace(spec, forget_bias=fb) if weights is None else replace(spec, trained_forget_bias=fb)
        for fb in forget_biases(current)
    ]
    try:
        runs.check_budget(specs + specs[:1] * show_rnn, weights, what="run")
    except ValueError as error:
        page.halt(f"**This gradient flow is too large:** {escape(error)}")
    flows, errors = runs.gradient_flows(specs, layer, seq, loss, weights)
    for error in errors:
        controls.notice(error, "error")
    rnn = None
    if show_rnn:
        try:
            rnn = (
                runs.rnn_flow(spec, layer, seq)
                if weights is None
                else runs.trained_rnn_flow(base, layer, seq, sidebar.seed, sidebar.weight_scale)
            )
        except ValueError as error:
            controls.notice(f"**The plain RNN** cannot run with these settings: {escape(error)}", "error")
    if not flows:
        page.halt("No forget_bias could run; change the settings on the left.")
    if flows[0].steps == 1:
        page.halt(
            "This input has a single step, so there is nothing to go back through: ∂L/∂c at the only step is the "
            "loss's own gradient. Choose an input with more steps (e.g. the sine wave) to see the gradient fade."
        )
    steps, layers = flows[0].log_dc.shape[0], len(base.traces)
    step_labels = base.sequence.step_labels

    where = f"layer {layer} of {layers}: the loss is this layer's own final state" if layers > 1 else "one layer"
    st.caption(
        f"The loss is {LOSSES[loss]}: one number that depends on everything the cell did; "
        f"{'∂L/∂c_T = 1 for every unit, so what you see is how that 1 shrinks (or grows) going back. ' if loss == 'c' else ''}"
        f"{'Here ∂L/∂c_T = o_T · act′(c_T) per unit, below 1; the line chart divides by it, so its curves look much like the c loss: the heatmaps show the absolute values. ' if loss == 'h' else ''}"
        f"{steps} step{'s' if steps > 1 else ''}, {where}"
        + (f", sequence {seq + 1} of the batch" if base.sequence.values.shape[0] > 1 else "")
        + "."
        + (
            " forget_bias also changes the layers below, so this layer's input differs between the runs."
            if layer > 1
            else ""
        )
        + (
            f" The trained model at forget_bias 0 and 1 and at the slider's value, now {current:g}"
            + (
                ", as trained"
                if current == weights.configs[0].forget_bias
                else f" (trained with {weights.configs[0].forget_bias:g})"
            )
            + (", in every layer." if layers > 1 else ".")
            + weights_menu.folded_forget_bias(weights)
            + weights_menu.held_gate_note()
            + (
                " Trained weights move the gates, and the path back through h, away from σ(forget_bias): with these "
                "the error even **grows** going back at forget_bias 0 and 1 (What to notice says how much). Choose "
                "random weights in the Weights menu for the textbook picture of a fading error."
                if any(grows_back(f.log_ratio) for f in flows if f.forget_bias in (0.0, 1.0))
                else ""
            )
            if weights is not None
            else ""
        )
    )

    st.subheader("How much of the error reaches each step")
    st.caption(
        "Solid: the real gradient ‖∂L/∂c_t‖, as a fraction of the last step's (log scale: each grid line is ten "
        "times smaller). Dashed, same colour: the **closed form** σ(forget_bias)^k at the step k steps before the last: what "
        "would arrive if every forget gate sat at σ(forget_bias) (its weights adding nothing, pre-activation 0) "
        "and the cell state were the only way back. Dotted: the cell state as the only way back, but with this "
        "run's actual forget gates. The real gradient also flows back through h and the gates, which can add to "
        "it or cancel it. Click a legend entry to hide a line."
        + (
            f" Black dash-dot: the {rnn_name(rnn)}'s ‖∂L/∂h_t‖ for L = sum(h_T), as a fraction of the last step's: "
            "it has no cell state, so h is the only way back. "
            + (
                "The same input, the same weight seed and scale, weights of its own (it cannot share the LSTM's kernel)."
                if weights is None
                else f"In place of layer {layer}, on the input it read"
                + (" at the slider's forget_bias" if layer > 1 else "")
                + ", with seeded weights of its own (the sidebar's weight seed and scale: it cannot share the LSTM's kernel)."
            )
            if rnn is not None
            else ""
        )
        + (" Values below 10⁻³⁰⁰, too small for a float64 number, are drawn at 10⁻³⁰⁰." if floored(flows) else "")
    )
    if isinstance(live, Live):
        flow_store = live_flow.store(live, rnn)
    with main_chart or st.container():
        if isinstance(live, Live):
            chart = partial(
                live_chart,
                live,
                flow_store,
                step_labels=step_labels,
                shown=lambda fig: page.as_shown(fig if rnn is None else with_rnn(fig, rnn), presenter_height=520),
            )
            if weights is None:  # a release reruns the slider's part alone: the rest follows it in the browser
                st.fragment(chart)(current)
            else:  # trained weights: their forget_bias is the Weights menu's too, so the page reruns
                chart(current, trained_fb=weights.configs[0].forget_bias)
        else:
            page.chart(
                flow_lines(flows, current, step_labels, compact=page.presenting(), rnn=rnn),
                key="gradient_flow_lines",
                alt=lines_alt(flows, current, rnn),
                presenter_height=560,
            )

    st.subheader("What to notice")
    if isinstance(live, Live):  # written at every value: they follow the thumb
        live_flow.notes(live, flow_store, current, presenting=page.presenting())
    else:
        st.markdown(what_to_notice(flows, current))
        if rnn is not None:
            st.markdown(rnn_comparison(flows, rnn, current))

    st.subheader("Per unit: |∂L/∂c_t| at every step" + (" (the plain RNN's |∂L/∂h_t|)" if rnn is not None else ""))
    st.caption(
        (
            "One panel for forget_bias 0, one for 1, one for the slider's value (the last LSTM panel: it follows "
            "the thumb whenever it rests, and at its release)"
            if isinstance(live, Live)
            else "One panel per forget_bias"
        )
        + (" and one for the plain RNN (its |∂L/∂h_t|)" if rnn is not None else "")
        + ", one row per unit, one column per step; all panels share one colour scale "
        "(powers of ten), so the same colour is the same size of gradient. Bright: the error arrives; dark: it "
        "has vanished; exact zeros (a gate shut at exactly 0, or less than float64 can hold) take the darkest "
        "colour. Hover a cell for its value."
        + (
            " The cell state is clipped (cell_clip): where it was, no gradient passes."
            if base.configs[layer - 1].cell_clip
            else ""
        )
    )
    if isinstance(live, Live):
        live_flow.heatmaps(live, flow_store, current, step_labels, rnn=rnn, shown=page.as_shown)
    else:
        page.chart(
            flow_heatmaps(flows, current, step_labels, rnn=rnn),
            key=live_flow.HEATMAPS_KEY,
            alt=heatmaps_alt(flows, current, rnn),
            live=True,  # a change redraws only what changed, in place
        )


def live_chart(live, flow_store, current: float, *, step_labels, shown, trained_fb: float | None = None) -> None:
    """The live slider and its line chart at ``current``. With the sidebar's weights, a fragment: a
    release reruns it alone, at the value released, and saves the link (What to notice and the
    heatmaps are the store's, in the browser, and follow the slider there)."""
    if st.session_state.get(live_flow.FAILED):
        st.rerun()  # the live chart did not start in this browser: the page draws the server's slider
    released = live_flow.released_value()
    live_flow.draw(
        live,
        flow_store,
        current if released is None else released,
        step_labels,
        presenting=page.presenting(),
        shown=shown,
        trained_fb=trained_fb,
    )
    if released is not None:  # this part's own rerun: what the end of the page's run does
        urlstate.save(controls.rendered())


flow_body(spec, current)
