"""The runs a page shows: computed once, shared by every session, within the server's limits.

Every run goes through :data:`CACHE` (ui.run_cache: one memory budget for the server, keyed on the
spec's small canonical JSON, never on arrays). What one page may compute or show in one rerun is
limited to :data:`REQUEST_CELLS` cells (sequences x steps x units of every layer, summed over every
run the page makes: Compare's variants and forget biases, Gradient flow's forget biases), whatever
asked for it: a link, a configuration file, an upload or the sidebar. :func:`check_budget` says so
before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import streamlit as st

from lstm_core import BasicRNNTrace, GRUTrace, Trace, init_params, run_stack
from lstm_core.sequences import make_inputs
from lstm_core.variants import CELLS, cell_config
from viz.gradflow import Flow, HiddenFlow, gradient_flow, hidden_flow

from . import controls, exports, trained
from . import model as models
from .markup import escape
from .model import ModelSpec, Run, digest, initial_states, input_sequence, run_model, trained_spec
from .run_cache import SharedCache

_SPEC = "_spec"
_LAST_MODEL_KEY = "_last_model_key"
_CELLS_THIS_RUN = "_cells_this_run"
#: A custom sequence longer than this is keyed by its fingerprint rather than its text.
_KEY_TEXT_MAX = 2000
#: The most cells (sequences x steps x units, all layers) one page computes or shows in one rerun:
#: the largest single sequence the sidebar allows (2000 steps x 3 layers x 256 units is 1,536,000)
#: fits; 8 such sequences, or 4 variants of it, do not. About 110 bytes a cell in float64, so a
#: page holds at most about 220 MB of runs.
REQUEST_CELLS = 2_000_000
#: A run of more cells than this is "large": computed in a worker process, at most two at a time (ui.run_cache).
LARGE_CELLS = models.LARGE_CELLS
#: The cache every session shares.
CACHE = SharedCache()


def cells(spec: ModelSpec, weights: trained.Weights | None = None) -> int:
    """The cells of ``spec``'s run: sequences x steps x units summed over its layers."""
    batch, steps, _ = input_sequence(spec, weights).values.shape
    units = sum(cfg.num_units for cfg in weights.configs) if weights is not None else sum(spec.units)
    return batch * steps * units


def check_budget(specs: Iterable[ModelSpec], weights: trained.Weights | None = None, what: str = "run") -> None:
    """Raise a ValueError that says the limit if ``specs`` together exceed :data:`REQUEST_CELLS`."""
    specs = list(specs)
    total = sum(cells(spec, weights) for spec in specs)
    if total <= REQUEST_CELLS:
        return
    batch, steps, _ = input_sequence(specs[0], weights).values.shape
    units = sum(cfg.num_units for cfg in weights.configs) if weights is not None else sum(specs[0].units)
    count = f"{len(specs)} {what}s of " if len(specs) > 1 else ""
    raise ValueError(
        f"this page would compute {total:,} cells ({count}{batch} sequence{'s' * (batch > 1)} × {steps:,} steps × "
        f"{units:,} units); one page may compute at most {REQUEST_CELLS:,} at once on this shared server. "
        "Use fewer steps, units, layers or sequences" + (f", or fewer {what}s." if len(specs) > 1 else ".")
    )


def is_large(spec: ModelSpec, weights: trained.Weights | None = None) -> bool:
    """Whether ``spec``'s run counts as large (computed at most two at a time)."""
    return cells(spec, weights) > LARGE_CELLS


def cache_key(spec: ModelSpec) -> str:
    """The key of ``spec``'s run: its canonical JSON, a long custom sequence by its fingerprint."""
    custom = spec.inputs.custom
    if len(custom) > _KEY_TEXT_MAX:
        spec = spec.with_inputs(custom=f"sha256:{digest(input_sequence(spec).values)}")
    return spec.key()


def cached(key: str, compute: Callable[[], Any], *, heavy: bool = False) -> Any:
    """Any value derived from runs (a gradient flow, a download), kept in the shared cache under ``key``."""
    return CACHE.get(key, compute, heavy=heavy)


def _compute(spec: ModelSpec, weights: trained.Weights | None) -> Run:
    model = run_model(spec, weights)
    for trace in model.traces:
        trace.c_act  # noqa: B018  (computed on first use: count it in the cache's budget now)
    return model


def run_cell(spec: ModelSpec, cell: str) -> Run:
    """``spec``'s inputs through the cell ``cell`` of lstm_core.variants.CELLS (the plain RNN, the
    GRU) instead of an LSTM: as many layers and units, the same activation, weight seed and scale;
    the cell's own seeded weights (TensorFlow's initialisers: they cannot share the LSTM's kernel);
    with a random initial state, the LSTM's h_0. The LSTM's own settings (forget_bias, peepholes,
    clipping, projection) do not apply to it. ValueError as :func:`ui.model.run_model`."""
    sequence = make_inputs(spec.inputs)
    configs, size = [], sequence.values.shape[2]
    for units in spec.units:
        configs.append(cell_config(cell, size, units, activation=spec.activation))
        size = units
    params = [init_params(cfg, seed=spec.seed + k).scaled(spec.weight_scale) for k, cfg in enumerate(configs)]
    lstm_like = replace(spec, num_proj=0)  # its h_0 (of num_units values), when the state is random
    states = initial_states(lstm_like, lstm_like.configs(sequence.values.shape[2]), sequence.values.shape[0])
    traces = run_stack(configs, params, sequence.values, None if states is None else [s.h for s in states])
    return Run(spec, sequence, configs, params, traces)


def cell_model_for(spec: ModelSpec, cell: str) -> Run:
    """:func:`model_for` of the cell ``cell`` (:func:`run_cell`) on ``spec``'s inputs: cached, and
    counted against the page's budget like any run."""
    plain = _cell_spec(spec, cell)
    return _counted(f"run:{cell}:{cache_key(plain)}", cells(plain), lambda: run_cell(plain, cell))


def _cell_spec(spec: ModelSpec, cell: str) -> ModelSpec:
    """``spec`` without the LSTM's own settings, which do not reach ``cell``: one cache entry for all of them."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}")
    return replace(
        spec, forget_bias=1.0, peepholes=False, coupled=False, cell_clip=0.0, num_proj=0, greff=(), peephole_scale=1.0
    )


def rnn_flow(spec: ModelSpec, layer: int, seq: int) -> HiddenFlow:
    """The plain RNN's gradient flow (viz.gradflow.hidden_flow) on ``spec``'s inputs (:func:`run_cell`):
    layer ``layer`` (1-based), sequence ``seq``; kept in the shared cache. ValueError if it cannot run."""
    plain = _cell_spec(spec, "rnn")
    heavy = cells(plain) > LARGE_CELLS
    run = lambda: cached(f"run:rnn:{cache_key(plain)}", lambda: run_cell(plain, "rnn"), heavy=heavy)  # noqa: E731
    return cached(
        f"rnnflow:{layer}:{seq}:{cache_key(plain)}", lambda: hidden_flow(run().traces[layer - 1], seq), heavy=heavy
    )


def model_for(spec: ModelSpec, weights: trained.Weights | None = None) -> Run:
    """The (cached) run of any spec, e.g. a variant of the current one, counted against the page's
    budget; ValueError if it cannot run or would exceed it."""
    if weights is not None:
        spec = trained_spec(spec, weights)
    return _counted(f"run:{cache_key(spec)}", cells(spec, weights), lambda: _compute(spec, weights), spec, weights)


def _counted(
    key: str,
    count: int,
    compute: Callable[[], Any],
    spec: ModelSpec | None = None,
    weights: trained.Weights | None = None,
) -> Any:
    """The cached run under ``key`` (``compute`` makes it), its ``count`` cells counted against the
    page's budget; ValueError if they would exceed it."""
    used = st.session_state.get(_CELLS_THIS_RUN, 0)
    if used + count > REQUEST_CELLS:
        if spec is not None:
            check_budget([spec], weights)  # says the limit for this run alone, if it alone is too large
        raise ValueError(
            f"this page has already shown {used:,} cells, and this run would add {count:,}; one page may "
            f"show at most {REQUEST_CELLS:,} at once on this shared server. Use fewer steps, units or sequences."
        )
    if key in CACHE:
        model = cached(key, compute)
    else:
        with st.spinner("Running the cell..."):
            model = cached(key, compute, heavy=count > LARGE_CELLS)
    st.session_state[_CELLS_THIS_RUN] = used + count
    return model


def download(kind: str, spec: ModelSpec, weights: trained.Weights | None, layer: int) -> bytes:
    """The bytes of download ``kind`` (ui.exports.BUILDERS) of ``spec``'s run, built once per run and
    kept in the shared cache. Called when the button is clicked, outside the page (no session state):
    it holds the spec, not the run, so a page left open does not keep its run alive."""
    key = f"download:{kind}:{layer}:{cache_key(spec)}"
    run = lambda: cached(f"run:{cache_key(spec)}", lambda: _compute(spec, weights), heavy=True)  # noqa: E731
    return cached(key, lambda: exports.BUILDERS[kind](run(), layer), heavy=True)


def gradient_flows(
    specs: list[ModelSpec], layer: int, seq: int, loss: str, weights: trained.Weights | None = None
) -> tuple[list[Flow], list[str]]:
    """(the gradient flow of each spec that runs, a message for each that cannot): layer ``layer``
    (1-based), sequence ``seq``, the loss on c or h (viz.gradflow), of the sidebar's seeded weights or
    of the trained ``weights`` (each spec's ``trained_forget_bias`` then sets their forget_bias);
    each flow kept in the shared cache."""
    flows, errors = [], []
    for given in specs:
        spec = trained_spec(given, weights) if weights is not None else given
        key = f"flow:{layer}:{seq}:{loss}:{cache_key(spec)}"
        heavy = cells(spec, weights) > LARGE_CELLS
        try:
            run = lambda spec=spec, heavy=heavy: cached(  # noqa: E731
                f"run:{cache_key(spec)}", lambda: _compute(spec, weights), heavy=heavy
            )
            flows.append(cached(key, lambda run=run: gradient_flow(run().traces[layer - 1], seq, loss), heavy=heavy))
        except ValueError as error:
            forget_bias = spec.forget_bias if weights is None else spec.trained_forget_bias
            errors.append(f"**forget_bias {forget_bias:g}** cannot run with these settings: {escape(error)}")
    return flows, errors


def trained_variant(
    model: Run,
    layer: int,
    key: str,
    forget_bias: float,
    *,
    peepholes_everywhere: bool,
    peephole_scale: float,
    seed: int,
    weight_scale: float,
) -> Trace:
    """Variant ``key`` of layer ``layer`` (1-based) of the trained ``model`` at ``forget_bias``, on the
    input that layer read (ui.model.trained_variant, run_layer): cached and counted against the page's
    budget. The model's own cell at its own forget_bias is its own run, not run again. ValueError if
    the variant needs weights the model never trained, cannot run, or would exceed the budget."""
    index = layer - 1
    cfg, params = models.trained_variant(
        model.configs[index],
        model.params[index],
        key,
        forget_bias=forget_bias,
        peepholes_everywhere=peepholes_everywhere,
        seed=seed + index,
        weight_scale=weight_scale,
        peephole_scale=peephole_scale,
    )
    if cfg == model.configs[index]:
        return model.traces[index]
    seeded = f"{seed}:{weight_scale!r}:{peephole_scale!r}" if cfg.use_peepholes else ""
    name = f"layer:{layer}:{key}:{peepholes_everywhere}:{forget_bias!r}:{seeded}:{cache_key(model.spec)}"
    return _counted(name, _layer_cells(model, layer), lambda: models.run_layer(model, layer, cfg, params))


def trained_cell(model: Run, layer: int, cell: str, seed: int, weight_scale: float) -> BasicRNNTrace | GRUTrace:
    """The cell ``cell`` (a plain RNN, a GRU: seeded weights of its own, ui.model.seeded_cell) in place
    of layer ``layer`` of the trained ``model``, on the input that layer read: cached and counted."""
    cfg, params = models.seeded_cell(model, layer, cell, seed, weight_scale)
    name = f"layer:{layer}:{cell}:{seed}:{weight_scale!r}:{cache_key(model.spec)}"
    return _counted(name, _layer_cells(model, layer), lambda: models.run_layer(model, layer, cfg, params))


def trained_rnn_flow(model: Run, layer: int, seq: int, seed: int, weight_scale: float) -> HiddenFlow:
    """The gradient flow (viz.gradflow.hidden_flow) of a plain RNN in place of layer ``layer`` of the
    trained ``model`` (:func:`trained_cell`), sequence ``seq``; kept in the shared cache."""
    trace = trained_cell(model, layer, "rnn", seed, weight_scale)
    key = f"rnnflow:{layer}:{seq}:{seed}:{weight_scale!r}:{cache_key(model.spec)}"
    return cached(key, lambda: hidden_flow(trace, seq))


def _layer_cells(model: Run, layer: int) -> int:
    batch, steps, _ = model.sequence.values.shape
    return batch * steps * model.configs[layer - 1].num_units


def task_metric(spec: ModelSpec, weights: trained.Weights) -> float:
    """ui.model.task_metric of ``spec`` (with ``weights``' changes), kept in the shared cache."""
    key = f"metric:{cache_key(trained_spec(spec, weights))}"
    return cached(key, lambda: models.task_metric(spec, weights))


def begin_run() -> None:
    """Start this rerun's count of cells (app.py, before the page)."""
    st.session_state[_CELLS_THIS_RUN] = 0


def set_spec(spec: ModelSpec) -> None:
    """Record the spec of this run (app.py, after the shared controls)."""
    st.session_state[_SPEC] = spec


def current_spec() -> ModelSpec:
    """The spec the shared controls describe in this run."""
    return st.session_state[_SPEC]


def current_model() -> Run | None:
    """The run of the current spec; on a run error (e.g. overflow), a notice and the last good run."""
    spec: ModelSpec = st.session_state[_SPEC]
    try:
        model = model_for(spec)
    except ValueError as error:
        controls.notice(f"**This configuration cannot be run:** {escape(error)}", "error")
        last = st.session_state.get(_LAST_MODEL_KEY)
        if last is None or last == spec:
            return None
        controls.notice("Showing the last configuration that ran.", "info")
        try:
            return model_for(last)
        except ValueError:
            return None
    st.session_state[_LAST_MODEL_KEY] = spec
    return model
