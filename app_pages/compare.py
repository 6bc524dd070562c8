"""Compare: the same inputs and the same weights through two to four variants of the cell, and
beside them, if chosen, a plain RNN and a GRU (the same inputs, weights of their own)."""

from dataclasses import replace

import streamlit as st

from lstm_core.variants import CELLS, CHOICES, VARIANTS, is_lstm, variant_label
from ui import controls, page, runs, weights_menu
from ui.markup import escape
from ui.model import Run, variant_config
from viz.compare import (
    DEFAULT_VARIANTS,
    MAX_VARIANTS,
    difference_heatmaps,
    differences_alt,
    heatmaps_alt,
    make_columns,
    outliers,
    summary_table,
    value_heatmaps,
)
from viz.equation_diff import equation_columns, in_groups
from viz.notes.compare import cards
from viz.style import GATE_COLOURS, SIGNED_COLOURS


def trained_notes(base: Run, layer: int, chosen: list[str], *, fb01: bool, peep_all: bool) -> list[str]:
    """What the page says it did with trained weights: which column is the model as it ran, what the
    other variants take from it and what is seeded, the layer, the forget_bias."""
    cfg, layers = base.configs[layer - 1], len(base.configs)
    lstm = [key for key in chosen if is_lstm(key)]
    own = next((key for key in VARIANTS if variant_config(cfg, key, peep_all) == cfg), None)
    named = next((key for key in VARIANTS if variant_config(cfg, key) == cfg), None)  # without peep_all
    built = "built from the model's kernel and bias, not trained as that variant (a gate a variant fixes or couples ignores its block)"
    if own in lstm:
        said = [
            f"**{CHOICES[own].label} (trained)** is the model's own cell, as it ran; every other variant is {built}."
        ]
    elif peep_all and named:
        said = [
            f"With peepholes in every variant, none is the model's own cell ({CHOICES[named].label}): each is {built}."
        ]
    else:
        said = [
            f"The model's own cell is {escape(cfg.variant)}"
            + (f": choose **{CHOICES[own].label}** to see it as trained." if own else ", none of these variants.")
            + f" Each variant here is {built}."
        ]
    if any(variant_config(cfg, key, peep_all).use_peepholes for key in lstm):
        said.append(
            "Its own peepholes are kept, as trained."
            if cfg.use_peepholes
            else "The peephole weights are seeded (the sidebar's weight seed and scale, times the peephole "
            "strength); the kernel is the model's."
        )
    if layers > 1:
        said.append(
            f"Layer {layer} of {layers}: each variant replaces this layer alone"
            + (f" and reads what layer {layer - 1} output in the model's own run." if layer > 1 else ".")
        )
    trained_fb = base.weights.configs[layer - 1].forget_bias
    if fb01:
        said.append(f"Each variant at forget_bias 0 and 1 (the model was trained with {trained_fb:g}).")
    elif cfg.forget_bias != trained_fb:
        said.append(f"At forget_bias {cfg.forget_bias:g}, as you set it (the model was trained with {trained_fb:g}).")
    else:
        said.append(f"At forget_bias {cfg.forget_bias:g}, as trained.")
    said[-1] += weights_menu.folded_forget_bias(base.weights)
    if held := weights_menu.held_gate_note():
        said.append(held.strip()[:-1] + ": the variants make such changes.")
    return said


st.title("Compare: what does each connection change?")
main_chart = st.container() if page.presenting() else None  # presenter mode: every gate of every variant first
st.markdown(
    "The same input and the **same weights** go through each variant; only the one connection that "
    "defines the variant differs. The first variant you choose is the **reference**: the second chart "
    "shows every other variant minus it. Choose **basic** first to see what each change does on its own. "
    "The **plain RNN** and the **GRU** can join them: the same input, through cells of their own."
)

weights_row = st.columns([1, 2], vertical_alignment="bottom")
base = weights_menu.model_as_trained(*weights_row)  # the chosen weights as trained, or the sidebar's cell
if base is None:
    page.halt("Nothing to show yet: fix the settings on the left.")
spec = runs.current_spec()
weights = base.weights  # None: the sidebar's seeded cell

pick = st.columns([3, 1.3, 1.3])
chosen = controls.multiselect_list(
    "variants",
    list(CHOICES),
    default=list(DEFAULT_VARIANTS),
    container=pick[0],
    format_func=variant_label,
    max_selections=MAX_VARIANTS,
    help="Two to four. basic, peephole and coupled are TensorFlow's LSTM cells; NIG, NFG, NOG, NIAF and NOAF "
    "are Greff et al.'s one-change variants (LSTM: A Search Space Odyssey, 2017); plain RNN and GRU are "
    "TensorFlow's BasicRNNCell and GRUCell (the GRU of TensorFlow 1.x: PyTorch's nn.GRU and Keras' default "
    "GRU apply the reset gate after the matmul, a slightly different cell).",
)
if len(chosen) >= MAX_VARIANTS:  # "Select all" stops here too: say so, rather than leave the rest out silently
    pick[0].caption(
        f"At most {MAX_VARIANTS} variants side by side (the first {MAX_VARIANTS} are shown): remove one to add another."
    )
with pick[1]:
    fb01 = controls.toggle(
        "fb01",
        help="Run every chosen variant at forget_bias 0 and at 1 (the sidebar's value is not used); "
        "the differences are then 1 minus 0 for each variant.",
    )
    peep_all = controls.toggle(
        "peep_all",
        help="Greff et al. start from a cell with peepholes and change one thing; turn this on to do the same.",
    )
any_peepholes = peep_all or any(VARIANTS[key].options.get("use_peepholes") for key in chosen if is_lstm(key))
peep_scale = spec.peephole_scale
if any_peepholes:
    peep_scale = controls.slider(
        "peep_scale",
        container=pick[2],
        help="Multiplies the peephole weights (seeded Glorot-uniform, from the weight seed). 0 turns them off. "
        "A trained model's own peepholes stay as trained.",
    )
else:
    pick[2].caption("Peephole strength: no chosen variant has peepholes.")

if len(chosen) < (1 if fb01 else 2):
    page.halt("Choose at least two variants to compare (or one, with forget_bias 0 vs 1).")

view = st.columns([1, 1, 1.2])
seq, layer = page.choose_sequence_and_layer(base, view[0], view[1])
shown_cfg = base.configs[layer - 1]  # the layer shown (the sidebar's cell's, or the trained one)
ran = []  # (variant key, column title, trace of the layer shown)
if weights is None:
    # Every variant on the sidebar's inputs, weights and state; at forget_bias 0 and 1 if asked.
    # A plain RNN or a GRU runs once: it has no forget_bias.
    forget_biases = [0.0, 1.0] if fb01 else [spec.forget_bias]
    wanted = [
        (key, fb, replace(spec, forget_bias=fb, peephole_scale=peep_scale).with_variant(key, peep_all))
        if is_lstm(key)
        else (key, None, spec)
        for key in chosen
        for fb in (forget_biases if is_lstm(key) else [None])
    ]
    try:
        runs.check_budget([variant_spec for *_, variant_spec in wanted], what="variant run")
    except ValueError as error:
        page.halt(f"**This comparison is too large:** {escape(error)}")
    for key, fb, variant_spec in wanted:
        try:
            model = runs.model_for(variant_spec) if is_lstm(key) else runs.cell_model_for(variant_spec, key)
        except ValueError as error:
            controls.notice(f"**{CHOICES[key].label}** cannot run with these settings: {escape(error)}", "error")
            continue
        label = CHOICES[key].label + (f", forget_bias {fb:g}" if fb01 and fb is not None else "")
        ran.append((key, label, model.traces[layer - 1]))
else:
    # The trained layer shown, as each variant: its kernel in another cell, on the input it read in
    # the model's own run (ui.model.trained_variant); the model's own cell is that run itself.
    forget_biases = [0.0, 1.0] if fb01 else [shown_cfg.forget_bias]
    for key in chosen:
        own = is_lstm(key) and variant_config(shown_cfg, key, peep_all) == shown_cfg
        for fb in forget_biases if is_lstm(key) else [None]:
            try:
                trace = (
                    runs.trained_variant(
                        base,
                        layer,
                        key,
                        fb,
                        peepholes_everywhere=peep_all,
                        peephole_scale=peep_scale,
                        seed=spec.seed,
                        weight_scale=spec.weight_scale,
                    )
                    if is_lstm(key)
                    else runs.trained_cell(base, layer, key, spec.seed, spec.weight_scale)
                )
            except ValueError as error:
                controls.notice(f"**{CHOICES[key].label}** cannot be made from these weights: {escape(error)}", "error")
                break
            label = (
                CHOICES[key].label
                + (" (trained)" if own else "")
                + (f", forget_bias {fb:g}" if fb01 and fb is not None else "")
            )
            ran.append((key, label, trace))
if len(ran) < 2:
    page.halt("Fewer than two variants could run: choose others, or change the settings on the left.")
others = [CHOICES[key].label for key in dict.fromkeys(key for key, *_ in ran) if key in CELLS]

columns = make_columns(ran, fb01)
step_labels = base.sequence.step_labels
steps = base.sequence.values.shape[1]

notes = []
if weights is None:
    if fb01:
        notes.append("Each variant at forget_bias 0 and 1; the sidebar's forget_bias is not used here.")
    notes.append(
        "Each variant sets its own peepholes and coupling, so the sidebar's two switches are not used here"
        + (", and every variant has peepholes (basic and peephole are then the same cell)." if peep_all else ".")
    )
else:
    notes.extend(trained_notes(base, layer, chosen, fb01=fb01, peep_all=peep_all))
kept = [name for name, on in (("cell_clip", shown_cfg.cell_clip), ("num_proj", shown_cfg.num_proj)) if on]
if kept:
    notes.append(
        f"{'The sidebar' if weights is None else 'The model'}'s {' and '.join(kept)} "
        f"appl{'y' if len(kept) > 1 else 'ies'} to every LSTM variant."
    )
if others:
    notes.append(
        f"The {' and the '.join(others)} cannot share the LSTM's kernel: {'they have' if len(others) > 1 else 'it has'} "
        "seeded weights of {0} own (TensorFlow's initialisers, the sidebar's weight seed and scale), the same "
        "input and activation; forget_bias, peepholes, cell_clip and num_proj are the LSTM's and do not apply.".format(
            "their" if len(others) > 1 else "its"
        )
    )
st.caption(" ".join(notes) + f" {steps} steps, layer {layer}.")

st.subheader("Every gate of every variant")
beyond_scale = outliers(columns, seq)
st.caption(
    "A column per variant, a row per quantity. Each row has **one** colour scale for all its columns, fixed by "
    f"the cells (not by the data), so the same colour means the same value: gates {GATE_COLOURS}; signed "
    f"values {SIGNED_COLOURS}."
    + (
        " A cell that does not have a row's quantity gets an empty panel that says so: the plain RNN has only h, "
        "the GRU its reset gate r, update gate u and candidate c̃ (not a cell state: its memory is h itself); "
        "h, the output every cell has, is on one scale for all."
        if others
        else ""
    )
    + (
        " Where a variant goes beyond its row's scale, the colour stops at the end and white dots mark the cells: "
        + "; ".join(beyond_scale)
        + "."
        if beyond_scale
        else ""
    )
)
with main_chart or st.container():
    page.chart(
        value_heatmaps(columns, seq, step_labels),
        key="compare_values",
        alt=heatmaps_alt(columns, seq),
        presenter_height=600,
    )

lstm_columns = [c for c in columns if c.kind == "lstm"]
reference_words = (
    "each variant at forget_bias 1 minus itself at 0"
    if fb01
    else f"each variant minus {lstm_columns[0].label}"
    if len(lstm_columns) > 1
    else "one connection at a time"
)
st.subheader("What changes: " + reference_words)
if others:
    st.caption(
        f"The {' and the '.join(others)} {'are' if len(others) > 1 else 'is'} not in this chart: with weights of "
        f"{'their' if len(others) > 1 else 'its'} own, a difference from an LSTM would not be what one connection "
        "changes. Compare them with the LSTM in the chart above and in the numbers below."
    )
if not any(c.ref is not None for c in columns):
    st.info("Choose at least two LSTM variants (or forget_bias 0 vs 1) to see what one change does.")
else:
    st.caption(
        "Red: larger than the reference, blue: smaller, white: the same. Each row has one scale, from 0 to the "
        "largest difference in the row **rounded up** (the bound is written on the left), so a small change "
        "looks small; each panel's own largest difference is written above it. "
        + (
            "forget_bias enters f at every step, so f differs everywhere; the other rows change through c and h."
            if fb01
            else "A gate whose formula the variant changes differs from the start (through a peephole, once c is "
            "not 0). The gates it does not touch change only through h: not at all at the first step, which "
            "every variant starts from the same state, then more as h carries the difference back into them."
        )
    )
    page.chart(
        difference_heatmaps(columns, seq, step_labels), key="compare_differences", alt=differences_alt(columns, seq)
    )

st.subheader("In numbers")
st.caption(
    "Parameters count only the weights a variant uses (the coupled cell has no input-gate block). "
    "Memory half-life: the steps after which the forget gates have halved what c held (median over "
    "units). c₀ kept: the product of f over all steps, i.e. how much of the initial cell state is still "
    "in c at the end (with a zero initial state there is nothing to keep, but the number still says how "
    "fast the cell forgets)."
    + (" cell_clip is on, so both are only approximate." if shown_cfg.cell_clip else "")
    + (
        " For the GRU, its update gate u plays f's part for h: the half-life and h₀ kept are u's. "
        "—: the cell has no such quantity (no forget gate to add forget_bias to, no gates in a plain RNN)."
        if others
        else " —: the variant has no forget gate, so forget_bias has nothing to act on."
        if any(c.kind == "lstm" and c.trace.config.no_forget_gate for c in columns)
        else ""
    )
)
table = summary_table(columns, seq)
st.dataframe(table, width="stretch", height=35 * (len(table) + 1) + 3)  # every row, no scrolling

st.subheader("What to notice")
noticed = cards(columns, seq, fb01=fb01, peepholes_everywhere=peep_all)
per_row = min(len(noticed), 4)
for start in range(0, len(noticed), per_row):
    for cell, card in zip(st.columns(per_row), noticed[start : start + per_row], strict=False):
        with cell.container(border=True):
            st.markdown(f"**{card.title}**  \n*{card.summary}* ({card.source})")
            st.markdown(card.text)

st.subheader("The equations side by side")
st.caption(
    "Against the reference: what a variant adds is in orange, what it removes is struck through. "
    "b_forget is forget_bias; w_i, w_f, w_o are the peephole weights."
    + (
        " The plain RNN and the GRU are other cells, not one change, so their equations are not marked; h_t, "
        "which every cell has, is on the last line. [x; h] is the input and the last output side by side, "
        "as TensorFlow concatenates them."
        if others
        else ""
    )
)
st.html("<style>.stMainBlockContainer .katex-display { overflow-x: auto; overflow-y: hidden; }</style>")
written = equation_columns(columns, seq, fb01)
groups, per_group = in_groups(written)  # each group compared with the same reference
for group in groups:
    for head, variant in zip(st.columns(per_group), group, strict=False):
        head.markdown(f"**{variant.label}**")
    for k in range(len(written[0].lines)):  # one row per equation, so the variants' lines sit side by side
        for cell, variant in zip(st.columns(per_group), group, strict=False):
            if variant.lines[k]:  # a cell with fewer equations leaves its first lines empty
                cell.latex(variant.lines[k])
