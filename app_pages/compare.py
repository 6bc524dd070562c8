"""Compare: the same inputs and the same weights through two to four variants of the cell."""

from dataclasses import replace

import streamlit as st

from lstm_core.variants import VARIANTS, variant_label
from ui import controls, page, runs
from ui.markup import escape
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

st.title("Compare: what does each connection change?")
main_chart = st.container() if page.presenting() else None  # presenter mode: every gate of every variant first
st.markdown(
    "The same input and the **same weights** go through each variant; only the one connection that "
    "defines the variant differs. The first variant you choose is the **reference**: the second chart "
    "shows every other variant minus it. Choose **basic** first to see what each change does on its own."
)

base = runs.current_model()
if base is None:
    page.halt("Nothing to show yet: fix the settings on the left.")
spec = runs.current_spec()

pick = st.columns([3, 1.3, 1.3])
chosen = controls.multiselect_list(
    "variants",
    list(VARIANTS),
    default=list(DEFAULT_VARIANTS),
    container=pick[0],
    format_func=variant_label,
    max_selections=MAX_VARIANTS,
    help="Two to four. basic, peephole and coupled are TensorFlow's cells; NIG, NFG, NOG, NIAF and NOAF "
    "are Greff et al.'s one-change variants (LSTM: A Search Space Odyssey, 2017).",
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
any_peepholes = peep_all or any(VARIANTS[key].options.get("use_peepholes") for key in chosen)
peep_scale = spec.peephole_scale
if any_peepholes:
    peep_scale = controls.slider(
        "peep_scale",
        container=pick[2],
        help="Multiplies the peephole weights (seeded Glorot-uniform, from the weight seed). 0 turns them off.",
    )
else:
    pick[2].caption("Peephole strength: no chosen variant has peepholes.")

if len(chosen) < (1 if fb01 else 2):
    page.halt("Choose at least two variants to compare (or one, with forget_bias 0 vs 1).")

# The runs: every variant on the sidebar's inputs, weights and state; at forget_bias 0 and 1 if asked.
forget_biases = [0.0, 1.0] if fb01 else [spec.forget_bias]
wanted = [
    (key, fb, replace(spec, forget_bias=fb, peephole_scale=peep_scale).with_variant(key, peep_all))
    for key in chosen
    for fb in forget_biases
]
try:
    runs.check_budget([variant_spec for *_, variant_spec in wanted], what="variant run")
except ValueError as error:
    page.halt(f"**This comparison is too large:** {escape(error)}")
ran = []  # (variant key, column title, Model)
for key, fb, variant_spec in wanted:
    try:
        model = runs.model_for(variant_spec)
    except ValueError as error:
        controls.notice(f"**{VARIANTS[key].label}** cannot run with these settings: {escape(error)}", "error")
        continue
    label = VARIANTS[key].label + (f", forget_bias {fb:g}" if fb01 else "")
    ran.append((key, label, model))
if len(ran) < 2:
    page.halt("Fewer than two variants could run; change the settings on the left.")

view = st.columns([1, 1, 1.2])
seq, layer = page.choose_sequence_and_layer(base, view[0], view[1])
columns = make_columns([(key, label, model.traces[layer - 1]) for key, label, model in ran], fb01)
step_labels = base.sequence.step_labels
steps = base.sequence.values.shape[1]

notes = []
if fb01:
    notes.append("Each variant at forget_bias 0 and 1; the sidebar's forget_bias is not used here.")
notes.append(
    "Each variant sets its own peepholes and coupling, so the sidebar's two switches are not used here"
    + (", and every variant has peepholes (basic and peephole are then the same cell)." if peep_all else ".")
)
if spec.cell_clip or spec.num_proj:
    notes.append("The sidebar's cell_clip and num_proj apply to every variant.")
st.caption(" ".join(notes) + f" {steps} steps, layer {layer}.")

st.subheader("Every gate of every variant")
beyond_scale = outliers(columns, seq)
st.caption(
    "A column per variant, a row per quantity. Each row has **one** colour scale for all its columns, fixed by "
    f"the cells (not by the data), so the same colour means the same value: gates {GATE_COLOURS}; signed "
    f"values {SIGNED_COLOURS}."
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

reference_words = (
    "each variant at forget_bias 1 minus itself at 0" if fb01 else f"each variant minus {columns[0].label}"
)
st.subheader("What changes: " + reference_words)
st.caption(
    "Red: larger than the reference, blue: smaller, white: the same. Each row has one scale, up to the "
    "largest difference in the row (written on the left), so a small change looks small; each panel's own "
    "largest difference is written above it. "
    + (
        "forget_bias enters f at every step, so f differs everywhere; the other rows change through c and h."
        if fb01
        else "A gate whose formula the variant changes differs from the start (through a peephole, once c is "
        "not 0). The gates it does not touch change only through h: not at all at the first step, which "
        "every variant starts from the same state, then more as h carries the difference back into them."
    )
)
page.chart(difference_heatmaps(columns, seq, step_labels), key="compare_differences", alt=differences_alt(columns, seq))

st.subheader("In numbers")
st.caption(
    "Parameters count only the weights a variant uses (the coupled cell has no input-gate block). "
    "Memory half-life: the steps after which the forget gates have halved what c held (median over "
    "units). c₀ kept: the product of f over all steps, i.e. how much of the initial cell state is still "
    "in c at the end (with a zero initial state there is nothing to keep, but the number still says how "
    "fast the cell forgets)." + (" cell_clip is on, so both are only approximate." if spec.cell_clip else "")
)
st.dataframe(summary_table(columns, seq), width="stretch")

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
)
st.html("<style>.stMainBlockContainer .katex-display { overflow-x: auto; overflow-y: hidden; }</style>")
written = equation_columns(columns, seq, fb01)
groups, per_group = in_groups(written)  # each group compared with the same reference
for group in groups:
    for head, variant in zip(st.columns(per_group), group, strict=False):
        head.markdown(f"**{variant.label}**")
    for k in range(len(written[0].lines)):  # one row per equation, so the variants' lines sit side by side
        for cell, variant in zip(st.columns(per_group), group, strict=False):
            cell.latex(variant.lines[k])
