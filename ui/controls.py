"""The shared model controls (sidebar) and the widget helpers every page uses.

Each widget is made from its :data:`ui.schema.SCHEMA` entry (label, bounds, default) under its
schema name as key, so the URL, the session state and the widget agree by construction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from lstm_core.sequences import (
    GENERATED,
    MAX_FEATURES,
    MAX_STEPS,
    PRESET_HELP,
    PRESETS,
    InputSpec,
    format_sequence,
    make_inputs,
    parse_sequence,
)

from . import urlstate
from .markup import escape, quote_list
from .model import ModelSpec
from .schema import MAX_URL_CUSTOM_CHARS, SCHEMA, Param

_RENDERED = "_rendered_controls"
_NOTICES = "_notices"
_NEXT_NOTICES = "_notices_next_run"
_LAST_SPEC = "_last_valid_spec"
_EDITOR_VERSION = "_custom_editor_version"


def begin_run() -> None:
    """Reset the per-run registries (call first in app.py)."""
    st.session_state[_RENDERED] = []
    st.session_state[_NOTICES] = st.session_state.pop(_NEXT_NOTICES, [])


def rendered() -> list[str]:
    """The controls drawn in this run: what the URL should carry."""
    return list(st.session_state.get(_RENDERED, []))


def notice(message: str, kind: str = "warning") -> None:
    """Queue a message for the notices area at the top of the page."""
    st.session_state.setdefault(_NOTICES, []).append((kind, message))


def notice_next_run(message: str, kind: str = "warning") -> None:
    """Queue a message for the next run's notices (from a widget callback, which runs before it)."""
    st.session_state.setdefault(_NEXT_NOTICES, []).append((kind, message))


def apply_settings(values: dict[str, Any]) -> None:
    """Set controls (by schema name) from outside their widgets, e.g. an opened configuration file.
    Call from a callback, before the widgets are drawn."""
    for name, new in values.items():
        urlstate.set_value(name, new)
    st.session_state[_EDITOR_VERSION] = st.session_state.get(_EDITOR_VERSION, 0) + 1  # redraw the table


def show_notices(area) -> None:
    """Draw the URL problems and this run's notices into ``area`` (a container at the top)."""
    url_problems = urlstate.messages()
    with area:
        if url_problems:
            with st.container(border=True):
                st.warning(
                    "Some settings in this link could not be used:\n\n" + bulleted(url_problems),
                    icon=":material/link_off:",
                )
                st.button("Dismiss", key="dismiss_url_messages", on_click=urlstate.dismiss_messages)
        for kind, message in st.session_state.get(_NOTICES, []):
            getattr(st, kind)(message)


def bulleted(messages: list[str], limit: int = 8) -> str:
    """Messages as a Markdown list, at most ``limit`` of them (then how many more there are)."""
    lines = [f"- {m}" for m in messages[:limit]]
    if len(messages) > limit:
        lines.append(f"- ... and {len(messages) - limit:,} more.")
    return "\n".join(lines)


def _register(name: str) -> None:
    urlstate.ensure_default(name)
    st.session_state.setdefault(_RENDERED, []).append(name)


def in_link(name: str) -> Any:
    """A value the page sets without a widget of its own (the Learn page's answers), kept in the
    link like a control's; its current value."""
    _register(name)
    return urlstate.value(name)


def clamp(name: str, low: Any, high: Any) -> None:
    """Bring a control's value inside bounds that depend on the data (e.g. the last step), saying so."""
    value = urlstate.value(name)
    if value < low or value > high:
        new = min(max(value, low), high)
        urlstate.set_value(name, new)
        notice(f"**{name}** = {value} is outside {low} to {high} for this input; showing {new}.", "info")


def _numeric(name: str, low, high) -> tuple[Param, Any, Any, Any]:
    """(the schema entry, low, high, step) of a numeric control, registered and its value brought
    inside ``low``/``high``, which narrow the schema's bounds where the data says so."""
    p = SCHEMA[name]
    _register(name)
    low = p.low if low is None else low
    high = p.high if high is None else high
    if p.kind == "int":
        low, high = int(low), int(high)
    clamp(name, low, high)
    return p, low, high, p.step if p.kind == "float" else 1


def slider(name: str, *, container=st, low=None, high=None, **kwargs) -> Any:
    p, low, high, step = _numeric(name, low, high)
    if low == high:  # a slider needs a range; show the only value instead
        container.caption(f"{p.label}: {urlstate.value(name)}")
        return urlstate.value(name)
    return container.slider(p.label, min_value=low, max_value=high, step=step, key=name, **kwargs)


def number(name: str, *, container=st, low=None, high=None, **kwargs) -> Any:
    """A number input; ``low``/``high`` narrow the schema's bounds where the data says so."""
    p, low, high, step = _numeric(name, low, high)
    return container.number_input(p.label, min_value=low, max_value=high, step=step, key=name, **kwargs)


def select(name: str, *, container=st, options=None, format_func=str, radio: bool = False, **kwargs) -> Any:
    p = SCHEMA[name]
    _register(name)
    options = list(options if options is not None else p.choices)
    if urlstate.value(name) not in options:
        urlstate.set_value(name, p.default if p.default in options else options[0])
    widget = container.radio if radio else container.selectbox
    extra = {"horizontal": True} if radio else {}
    return widget(p.label, options, format_func=format_func, key=name, **extra, **kwargs)


def toggle(name: str, *, container=st, **kwargs) -> bool:
    p = SCHEMA[name]
    _register(name)
    return container.toggle(p.label, key=name, **kwargs)


def checkbox(name: str, *, container=st, **kwargs) -> bool:
    p = SCHEMA[name]
    _register(name)
    return container.checkbox(p.label, key=name, **kwargs)


def text(name: str, *, container=st, area: bool = True, **kwargs) -> str:
    p = SCHEMA[name]
    _register(name)
    widget = container.text_area if area else container.text_input
    return widget(p.label, key=name, **kwargs)


def multiselect_list(
    name: str,
    options: list,
    *,
    default: list,
    container=st,
    format_func=str,
    max_selections: int = 8,
    **kwargs,
) -> list:
    """A multiselect kept in the URL as comma-separated text (e.g. ``0,2,5`` or ``basic,coupled``).

    The list keeps the order the user picked; ``"none"`` in the URL means an empty choice, and
    names that are not options are dropped with a notice.
    """
    _register(name)
    widget_key = f"{name}_widget"
    text = str(urlstate.value(name))
    by_text = {str(option): option for option in options}
    chosen: list = []
    ignored: list[str] = []
    if text != "none":
        for part in (p.strip() for p in text.split(",")):
            if part in by_text and by_text[part] not in chosen:
                chosen.append(by_text[part])
            elif part:
                ignored.append(part)
        chosen = chosen[:max_selections] or list(default)
    if ignored:
        notice(
            f"**{name}**: ignored {quote_list(ignored)}; the choices are {', '.join(map(str, options[:12]))}"
            + (", ..." if len(options) > 12 else "")
            + ".",
            "info",
        )
        urlstate.set_value(name, ",".join(str(option) for option in chosen) or "none")
    if widget_key not in st.session_state or st.session_state[widget_key] != chosen:
        st.session_state[widget_key] = chosen
    return container.multiselect(
        SCHEMA[name].label,
        options,
        key=widget_key,
        format_func=format_func,
        max_selections=max_selections,
        on_change=_copy_list,
        args=(name, widget_key),
        **kwargs,
    )


def unit_label(unit: int) -> str:
    """What a menu shows for a unit. Widgets keep their format_func and callbacks for as long as the
    session lives, so these are module functions: a lambda written in a page would keep the page's
    whole namespace (its runs) alive with it."""
    return f"unit {unit}"


def start_at(switch: str, name: str, value: Any) -> None:
    """A toggle's callback: when ``switch`` has just been turned on, set control ``name`` to ``value``
    (e.g. a slider that should start from a model's own value)."""
    if st.session_state.get(switch):
        urlstate.set_value(name, value)


def move_step(delta: int, last: int) -> None:
    """Previous/next step (a button callback: runs before the slider is drawn)."""
    urlstate.set_value("step", int(min(max(urlstate.value("step") + delta, 0), last)))


def multiselect_units(
    name: str,
    units: int,
    *,
    container=st,
    default_count: int = 3,
    first: int | None = None,
    default: list[int] | None = None,
) -> list[int]:
    """Pick units to plot; kept in the URL as text like ``0,2,5`` (the schema's ``units``). Until
    the learner picks: ``default`` if given, else ``default_count`` units, unit ``first`` (the one a
    note talks about) among them."""
    if default is None:
        default = list(range(min(default_count, units)))
        if first is not None and 0 <= first < units and first not in default:
            default = sorted([first, *default[: default_count - 1]])
    picked = multiselect_list(
        name,
        list(range(units)),
        default=default,
        container=container,
        format_func=unit_label,
    )
    return sorted(picked)


def _copy_list(name: str, widget_key: str) -> None:
    st.session_state[name] = ",".join(str(option) for option in st.session_state[widget_key]) or "none"


#: The pages that draw the forget_bias slider themselves, by their charts (live where it fits).
FORGET_BIAS_ON_PAGE = ("Explore", "Step through", "Gradient flow")
FORGET_BIAS_HELP = (
    "Added to the forget gate's input before the sigmoid at every step. 1.0 (TensorFlow's default) keeps "
    "sigmoid(1) = 73% of the memory per step when the weights say nothing."
)


def forget_bias_slider(container=st, **kwargs) -> float:
    """The forget_bias slider, through the server: each value released reruns the page."""
    return slider("forget_bias", container=container, help=FORGET_BIAS_HELP, **kwargs)


def model_controls(
    unused: str | None = None,
    inputs_unused: bool = False,
    forget_bias_on_page: bool = False,
    hidden: bool = False,
    seeds_used: bool = False,
) -> ModelSpec:
    """Draw the shared controls in the sidebar and return the spec they describe (the last valid
    one, with a notice, if the current input cannot be used).

    ``unused``: why this page does not use the sidebar's cell and weights (trained weights bring
    their own; the Train page has its own), said at the top; those controls are then greyed out,
    the inputs too with ``inputs_unused``. Their values stay, for the other pages and the link.
    With ``forget_bias_on_page`` the page draws the forget_bias slider (by its charts): the sidebar
    says its value and where it is. ``hidden``: only ``unused`` is said (the Learn page, whose
    chapters choose their own cells); the values stay as they are. ``seeds_used``: the weight seed
    and scale stay enabled with ``unused`` (the page seeds weights it adds to trained ones)."""
    sidebar = st.sidebar
    if unused:
        sidebar.info(unused, icon=":material/info:")
    if hidden:
        return _valid(current_spec())
    off = {"disabled": True} if unused else {}
    off_inputs = off if inputs_unused else {}
    off_seeds = {} if seeds_used else off
    sidebar.header("Input")
    preset = select(
        "preset",
        container=sidebar,
        format_func=lambda key: PRESETS[key],
        help="What the cell reads, one step at a time.",
        **off_inputs,
    )
    sidebar.caption(escape(PRESET_HELP[preset]))
    if preset in GENERATED:
        cols = sidebar.columns(2)
        number("steps", container=cols[0], help=f"Sequence length, 1 to {MAX_STEPS}.", **off_inputs)
        number("features", container=cols[1], help=f"Values per step, 1 to {MAX_FEATURES}.", **off_inputs)
        if preset == "random":
            number("input_seed", container=sidebar, help="The same seed gives the same numbers.", **off_inputs)
    elif preset == "text":
        text(
            "text",
            container=sidebar,
            height=90,
            help="One step per character, one-hot over the text's alphabet.",
            **off_inputs,
        )
    elif preset == "custom":
        _custom_input(sidebar, **off_inputs)

    sidebar.header("Cell")
    layers = select(
        "layers",
        container=sidebar,
        options=[1, 2, 3],
        radio=True,
        help="Stacked layers (TensorFlow's MultiRNNCell): each layer reads the output h of the one below.",
        **off,
    )
    for layer, name in enumerate(("num_units", "num_units_2", "num_units_3")[:layers], start=1):
        slider(
            name, container=sidebar, help=f"Units in layer {layer}: the size of its cell state c and output h.", **off
        )
    if forget_bias_on_page and unused:
        sidebar.caption("forget_bias: the trained model's own; the forget_bias slider on this page changes it.")
    elif forget_bias_on_page:
        _register("forget_bias")
        # No value here: a release of the page's live slider reruns only the part of the page it sets.
        sidebar.caption("forget_bias: set it with the slider on this page.")
    else:
        forget_bias_slider(sidebar, **off)
    select(
        "activation",
        container=sidebar,
        help="Applied to the new input j and to the cell state before the output gate. TensorFlow's default is tanh.",
        **off,
    )
    with sidebar.expander("Variants: peepholes, coupled gate, clipping, projection"):
        checkbox(
            "peepholes",
            help="LSTMCell(use_peepholes=True): the gates also read the cell state (i and f read c_prev, o reads the new c), through one weight per unit.",
            **off,
        )
        checkbox(
            "coupled",
            help="The coupled input-forget gate (CIFG) of TensorFlow 1.x contrib: i = 1 - f, so what is forgotten is exactly what is written. The kernel's i block is ignored.",
            **off,
        )
        slider(
            "cell_clip",
            help="LSTMCell(cell_clip=...): the cell state is clipped to [-cell_clip, cell_clip] after each step. 0 = off.",
            **off,
        )
        number(
            "num_proj",
            help="LSTMCell(num_proj=...): the output is projected to this many values, and that is what recurs. 0 = off.",
            **off,
        )

    sidebar.header("Weights and state")
    number(
        "seed",
        container=sidebar,
        help="The same seed gives the same Glorot-uniform weights (TensorFlow's default initialiser), layer k uses seed + k.",
        **off_seeds,
    )
    slider(
        "weight_scale",
        container=sidebar,
        help="Multiplies every initial weight: larger weights saturate the gates sooner.",
        **off_seeds,
    )
    select(
        "init_state",
        container=sidebar,
        format_func=lambda s: {"zeros": "zeros", "random": "random (seeded)"}[s],
        radio=True,
        help="The state (c, h) the first step reads: zeros, as TensorFlow's zero_state, or seeded random values.",
        **off,
    )

    return _valid(current_spec())


def _valid(spec: ModelSpec) -> ModelSpec:
    """``spec``, or the last valid one (with a notice) if its input cannot be used."""
    try:
        make_inputs(spec.inputs)
    except ValueError as error:
        last = st.session_state.get(_LAST_SPEC)
        notice(f"**The input cannot be used:** {escape(error)} Showing the last valid input instead.", "error")
        spec = last if last is not None else replace(spec, inputs=InputSpec())
    else:
        st.session_state[_LAST_SPEC] = spec
    return spec


def current_spec() -> ModelSpec:
    """The ModelSpec the controls describe now (inputs reduced to the fields the preset uses)."""
    v = urlstate.value
    layers = v("layers")
    units = (v("num_units"), v("num_units_2"), v("num_units_3"))[:layers]
    preset = v("preset")
    inputs = InputSpec(preset=preset)
    if preset in GENERATED:
        inputs = replace(
            inputs, steps=v("steps"), features=v("features"), seed=v("input_seed") if preset == "random" else 0
        )
    elif preset == "text":
        inputs = replace(inputs, text=v("text"))
    elif preset == "custom":
        inputs = replace(inputs, custom=v("custom"))
    return ModelSpec(
        units=tuple(units),
        forget_bias=float(v("forget_bias")),
        activation=v("activation"),
        peepholes=bool(v("peepholes")),
        coupled=bool(v("coupled")),
        cell_clip=float(v("cell_clip")),
        num_proj=int(v("num_proj")),
        seed=int(v("seed")),
        weight_scale=float(v("weight_scale")),
        init_state=v("init_state"),
        inputs=inputs,
    )


def _custom_input(sidebar, **kwargs) -> None:
    """A text box (rows like 3,2,2; 1,0,1, or JSON) and an editable table of the same numbers."""
    text(
        "custom",
        container=sidebar,
        height=110,
        help="Rows are steps, values are features: 3,2,2; 1,0,1 -- or a JSON list of lists. Several sequences: separate them with |.",
        **kwargs,
    )
    if len(urlstate.value("custom")) > MAX_URL_CUSTOM_CHARS:
        sidebar.caption(
            f"This sequence is longer than {MAX_URL_CUSTOM_CHARS:,} characters, so shared links leave it out."
        )
    try:
        values = parse_sequence(urlstate.value("custom"))
    except ValueError:
        return  # model_controls reports it
    if values.shape[0] > 1:
        sidebar.caption(f"{values.shape[0]} sequences: edit them in the text box above.")
        return
    version = st.session_state.setdefault(_EDITOR_VERSION, 0)
    frame = pd.DataFrame(values[0], columns=[f"x{k}" for k in range(values.shape[2])])
    sidebar.data_editor(
        frame,
        key=f"custom_editor_{version}",
        num_rows="dynamic",
        # Narrow columns and no index: three features fit the sidebar (the rows are the steps, in order).
        hide_index=True,
        column_config={name: st.column_config.NumberColumn(width="small") for name in frame.columns},
        on_change=_apply_table_edits,
        args=(f"custom_editor_{version}", values[0]),
        width="stretch",
        **kwargs,
    )


def _apply_table_edits(editor_key: str, base: np.ndarray) -> None:
    """Fold the table's edits into the custom text (the one source of truth), then reset the table."""
    edits = st.session_state.get(editor_key, {})
    rows = [list(row) for row in base]
    for index, changes in edits.get("edited_rows", {}).items():
        for column, new in changes.items():
            rows[int(index)][int(str(column).lstrip("x"))] = new
    for added in edits.get("added_rows", []):
        rows.append([added.get(f"x{k}", 0.0) for k in range(base.shape[1])])
    for index in sorted(edits.get("deleted_rows", []), reverse=True):
        del rows[int(index)]
    cleaned = [[0.0 if value is None else value for value in row] for row in rows]
    try:
        array = np.array(cleaned, dtype=np.float64) if cleaned else np.zeros((0, base.shape[1]))
        text = format_sequence(array) if array.size else ""
    except (TypeError, ValueError):
        notice("The table holds something that is not a number; the edit was not applied.", "error")
        return
    st.session_state["custom"] = text
    st.session_state[_EDITOR_VERSION] = st.session_state.get(_EDITOR_VERSION, 0) + 1
