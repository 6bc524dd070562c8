"""What the shared model controls describe, as one small hashable record, and how it becomes a run.

Plain Python and NumPy (no Streamlit): the pages call :func:`run_model` through a cache keyed on
:meth:`ModelSpec.key`, and the tests call it directly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from lstm_core import LSTMConfig, LSTMParams, LSTMStateTuple, Trace, init_params, run, run_stack
from lstm_core.config import GREFF_FLAGS
from lstm_core.params import PEEPHOLE_FIELDS
from lstm_core.sequences import MAX_FEATURES, InputSpec, Sequence, make_inputs
from lstm_core.training import metric
from lstm_core.variants import VARIANTS, cell_config
from workers import remote

from . import trained


@dataclass(frozen=True)
class ModelSpec:
    """Everything that determines a run: the cell (per layer), its weights, its state, its inputs."""

    units: tuple[int, ...] = (4,)
    forget_bias: float = 1.0
    activation: str = "tanh"
    peepholes: bool = False
    coupled: bool = False
    cell_clip: float = 0.0  # 0: off
    num_proj: int = 0  # 0: off
    seed: int = 0
    weight_scale: float = 1.0
    init_state: str = "zeros"  # or "random"
    inputs: InputSpec = field(default_factory=InputSpec)
    greff: tuple[str, ...] = ()  # Greff et al.'s switches that are on (names of lstm_core.GREFF_FLAGS)
    peephole_scale: float = 1.0  # the peephole weights' strength, on top of weight_scale
    trained: str = ""  # trained weights instead of seeded ones: a demo's name or "mine:<digest>" (ui.trained)
    # With trained weights: their forget_bias changed to this (None: as trained); ``greff`` then
    # holds the gate fixed at 1 on top of them, if any ("break the model" on Explore and Step through).
    trained_forget_bias: float | None = None

    def key(self) -> str:
        """A canonical JSON text of the spec: the cache key (a few hundred bytes, never arrays)."""
        return json.dumps(asdict(self), sort_keys=True)

    def configs(self, input_size: int) -> list[LSTMConfig]:
        """One LSTMConfig per layer; layer k + 1 reads layer k's output (h_depth values)."""
        configs = []
        for units in self.units:
            cfg = LSTMConfig(
                input_size=input_size,
                num_units=units,
                forget_bias=self.forget_bias,
                activation=self.activation,
                use_peepholes=self.peepholes,
                coupled=self.coupled,
                cell_clip=self.cell_clip or None,
                num_proj=self.num_proj or None,
                **dict.fromkeys(self.greff, True),
            )
            configs.append(cfg)
            input_size = cfg.h_depth
        return configs

    def with_inputs(self, **changes) -> ModelSpec:
        return replace(self, inputs=replace(self.inputs, **changes))

    def with_variant(self, key: str, peepholes_everywhere: bool = False) -> ModelSpec:
        """This spec as the variant ``key`` of lstm_core.variants (its peepholes, coupling and Greff
        switches); with ``peepholes_everywhere`` every variant has peepholes (Greff et al.'s setting,
        where each variant is one change from the vanilla cell)."""
        options = VARIANTS[key].options
        return replace(
            self,
            peepholes=options.get("use_peepholes", False) or peepholes_everywhere,
            coupled=options.get("coupled", False),
            greff=tuple(flag for flag in GREFF_FLAGS if options.get(flag)),
        )


def layer_params(spec: ModelSpec, configs: list[LSTMConfig]) -> list[LSTMParams]:
    """Seeded Glorot weights (layer k uses seed + k), times the weight scale; the peepholes also
    times ``peephole_scale``. Variants of one spec share their kernel (see ``init_params``)."""
    out = []
    for k, cfg in enumerate(configs):
        params = init_params(cfg, seed=spec.seed + k).scaled(spec.weight_scale)
        if cfg.use_peepholes and spec.peephole_scale != 1.0:
            params = replace(params, **{name: getattr(params, name) * spec.peephole_scale for name in PEEPHOLE_FIELDS})
        out.append(params)
    return out


def initial_states(spec: ModelSpec, configs: list[LSTMConfig], batch: int) -> list[LSTMStateTuple] | None:
    """None (zeros), or a seeded random state as if the cell had been running: c ~ U(-1, 1),
    h ~ U(-0.5, 0.5)."""
    if spec.init_state != "random":
        return None
    states = []
    for k, cfg in enumerate(configs):
        rng = np.random.default_rng([spec.seed, 7919, k])
        c = rng.uniform(-1, 1, (batch, cfg.num_units))
        h = rng.uniform(-0.5, 0.5, (batch, cfg.h_depth))
        states.append(LSTMStateTuple(c, h))
    return states


@dataclass(frozen=True)
class Run:
    """A run of a spec: its inputs, configs, weights and one trace per layer."""

    spec: ModelSpec
    sequence: Sequence
    configs: list[LSTMConfig]
    params: list[LSTMParams]
    traces: list[Trace]
    weights: trained.Weights | None = None  # the trained weights it ran, if not the seeded ones


#: A run of more cells than this (sequences x steps x units of every layer) is "large": computed in
#: a worker process (workers.remote), and at most two at a time (ui.run_cache).
LARGE_CELLS = 100_000


def _run_stack(configs, params, values, initial=None, sequence_length=None) -> list[Trace]:
    """lstm_core.run_stack, in a worker process for a large run of LSTM layers (the server's
    interpreter stays free for the other pages meanwhile); the same traces either way."""
    cells = values.shape[0] * values.shape[1] * sum(cfg.num_units for cfg in configs)
    if cells > LARGE_CELLS and all(isinstance(cfg, LSTMConfig) for cfg in configs):
        return remote.run_stack(configs, params, values, initial, sequence_length)
    return run_stack(configs, params, values, initial, sequence_length)


def run_model(spec: ModelSpec, weights: trained.Weights | None = None, sequence: Sequence | None = None) -> Run:
    """Build and run ``spec`` in float64 (exact, as the TensorFlow parity tests check).

    A spec with ``trained`` weights runs ``weights`` (a shipped demo is found by its name when
    ``weights`` is None). ``sequence`` defaults to ``make_inputs(spec.inputs)``. Raises ValueError
    with a learner-readable message for anything invalid.
    """
    if spec.trained:
        return _run_trained(spec, weights if weights is not None else trained.resolve(spec.trained))
    if sequence is None:
        sequence = make_inputs(spec.inputs)
    configs = spec.configs(sequence.values.shape[2])
    params = layer_params(spec, configs)
    traces = _run_stack(configs, params, sequence.values, initial_states(spec, configs, sequence.values.shape[0]))
    return Run(spec, sequence, configs, params, traces)


def trained_spec(spec: ModelSpec, weights: trained.Weights) -> ModelSpec:
    """``spec`` reduced to what a run of ``weights`` uses, so that the sidebar's cell settings (which
    such a run ignores) do not make new runs: the weights' key, the changes made to them
    (``trained_forget_bias``, a gate fixed at 1 in ``greff``), and the inputs (the sidebar's for one
    layer; for a trained model only the seed of its task's sequences)."""
    if weights.task is not None:
        inputs = InputSpec(seed=spec.inputs.seed)
    else:  # the learner's own data, if given (named by the weights' key), or the sidebar's inputs
        inputs = InputSpec() if weights.data is not None else spec.inputs
    return ModelSpec(trained=weights.key, inputs=inputs, trained_forget_bias=spec.trained_forget_bias, greff=spec.greff)


def changed_configs(spec: ModelSpec, weights: trained.Weights) -> list[LSTMConfig]:
    """The trained layers' configs with ``spec``'s changes on top: its forget_bias (if set) and the
    gates it fixes at 1 (Greff et al.'s switches), in every layer. ValueError if a change contradicts
    a layer (a coupled cell's input gate is 1 - f: it cannot be fixed apart from f)."""
    changes = dict.fromkeys(spec.greff, True)
    if spec.trained_forget_bias is not None:
        changes["forget_bias"] = spec.trained_forget_bias
    return [replace(cfg, **changes) for cfg in weights.configs]


#: Fresh sequences (a fixed seed, none of them trained on) a trained model's task metric is measured on.
TASK_METRIC_SEQUENCES = 256


def task_metric(spec: ModelSpec, weights: trained.Weights) -> float:
    """The task metric of the trained model ``weights`` with ``spec``'s changes on top (see
    :func:`changed_configs`), on TASK_METRIC_SEQUENCES fresh sequences of its task."""
    model = replace(weights.model, configs=tuple(changed_configs(spec, weights)))
    batch = weights.task.batch(np.random.default_rng([20261201, 5]), TASK_METRIC_SEQUENCES)
    _, outputs = model.run(batch.inputs, batch.lengths)
    return metric(weights.task, outputs, batch)


def input_sequence(spec: ModelSpec, weights: trained.Weights | None = None) -> Sequence:
    """The inputs a run of ``spec`` reads: its task's sequences for a trained model, else the sidebar's."""
    if weights is not None and weights.task is not None:
        return trained.task_sequence(weights.task, spec.inputs.seed)
    if weights is not None and weights.data is not None:
        return trained.data_sequence(weights)
    return make_inputs(spec.inputs)


def digest(values: np.ndarray) -> str:
    """A short fingerprint of an array, to key a cache on custom inputs without hashing them twice."""
    array = np.ascontiguousarray(values)
    return hashlib.sha256(str(array.shape).encode() + array.tobytes()).hexdigest()[:20]


def _run_trained(spec: ModelSpec, weights: trained.Weights) -> Run:
    """Trained weights (their own cells, as trained) on a few sequences of the task they learned;
    one uploaded layer on the sidebar's inputs."""
    configs, params = changed_configs(spec, weights), list(weights.params)
    sequence = input_sequence(spec, weights)
    features = sequence.values.shape[2]
    if weights.task is None and features != configs[0].input_size:
        what = "model" if len(configs) > 1 or "description" in weights.meta else "layer"
        raise ValueError(
            f"the uploaded {what} reads {configs[0].input_size} feature(s) per step but the input has "
            f"{features}: choose an input with {configs[0].input_size} feature(s) in the sidebar"
            + (
                f", or give your own data with {configs[0].input_size} column(s)."
                if configs[0].input_size <= MAX_FEATURES
                else f" (it allows at most {MAX_FEATURES}), so give your own data with {configs[0].input_size} column(s)."
            )
        )
    lengths = weights.data.lengths if weights.data is not None else None
    if lengths is not None and (lengths == sequence.values.shape[1]).all():
        lengths = None  # every sequence runs to the end
    traces = _run_stack(configs, params, sequence.values, sequence_length=lengths)
    return Run(spec, sequence, configs, params, traces, weights)


# ----------------------------------------------------------------------------- one layer of a trained model
# Compare runs its variants on one layer of trained weights: the layer's kernel, bias and projection
# in another cell, on the input that layer read in the model's own run (the layers below as the model
# ran them), so that every column reads the same input and only the connection differs.

#: The gates of the kernel's blocks a variant can leave out (j is always read).
_GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o"}


def gates_read(cfg: LSTMConfig) -> set[str]:
    """The gates whose kernel blocks ``cfg``'s cell reads: a coupled cell or one without an input gate
    ignores i's block (i is 1 - f or 1), and so on. A block a cell does not read is never trained."""
    unread = {"i": cfg.coupled or cfg.no_input_gate, "f": cfg.no_forget_gate, "o": cfg.no_output_gate}
    return {gate for gate, off in unread.items() if not off}


def variant_config(cfg: LSTMConfig, key: str, peepholes_everywhere: bool = False) -> LSTMConfig:
    """``cfg`` (a trained layer's: its sizes, activations, clipping, projection and forget_bias) as the
    cell of variant ``key`` (lstm_core.variants.VARIANTS: its peepholes, coupling and Greff switches)."""
    options = VARIANTS[key].options
    return replace(
        cfg,
        use_peepholes=bool(options.get("use_peepholes")) or peepholes_everywhere,
        coupled=bool(options.get("coupled")),
        **{flag: bool(options.get(flag)) for flag in GREFF_FLAGS},
    )


def trained_variant(
    cfg: LSTMConfig,
    params: LSTMParams,
    key: str,
    *,
    forget_bias: float,
    peepholes_everywhere: bool = False,
    seed: int = 0,
    weight_scale: float = 1.0,
    peephole_scale: float = 1.0,
) -> tuple[LSTMConfig, LSTMParams]:
    """Variant ``key`` of a trained layer (``cfg``, ``params``) at ``forget_bias``: the layer's kernel,
    bias and projection; its own peepholes if it has them, else (when the variant has peepholes)
    seeded ones, as the sidebar's random cell gets them (init_params with ``seed``, times
    ``weight_scale`` and ``peephole_scale``). A ValueError when the variant reads a gate's block of
    the kernel that the layer's cell ignores: those weights were never trained."""
    variant = replace(variant_config(cfg, key, peepholes_everywhere), forget_bias=forget_bias)
    untrained = sorted(gates_read(variant) - gates_read(cfg))
    if untrained:
        gates = " and ".join(_GATE_NAMES[gate] for gate in untrained)
        raise ValueError(
            f"it needs the weights of the {gates}, which this model's cell ({cfg.variant}) does not use, "
            "so they were never trained."
        )
    if not variant.use_peepholes:
        peepholes = dict.fromkeys(PEEPHOLE_FIELDS)
    elif cfg.use_peepholes:
        peepholes = {name: getattr(params, name) for name in PEEPHOLE_FIELDS}
    else:
        seeded = init_params(variant, seed=seed).scaled(weight_scale)
        peepholes = {name: getattr(seeded, name) * peephole_scale for name in PEEPHOLE_FIELDS}
    return variant, replace(params, **peepholes)


def layer_input(model: Run, layer: int) -> np.ndarray:
    """What layer ``layer`` (1-based) of ``model`` read: the input, or the outputs of the layer below."""
    return model.sequence.values if layer == 1 else model.traces[layer - 2].outputs


def run_layer(model: Run, layer: int, cfg, params) -> Trace:
    """The cell ``cfg`` with ``params`` (any cell: an LSTM variant, a plain RNN, a GRU) in place of
    layer ``layer`` of ``model``: on the input that layer read, with the run's sequence lengths and
    the trained runs' zero initial state."""
    return run(cfg, params, layer_input(model, layer), None, model.traces[0].sequence_length)


def seeded_cell(model: Run, layer: int, cell: str, seed: int, weight_scale: float) -> tuple:
    """(config, params) of the cell ``cell`` (lstm_core.variants.CELLS: "rnn", "gru") the size of
    layer ``layer`` of ``model``, with its activation and TensorFlow's seeded initial weights
    (layer k uses seed + k - 1, as the sidebar's cells do), times ``weight_scale``."""
    own = model.configs[layer - 1]
    cfg = cell_config(cell, own.input_size, own.num_units, activation=own.activation)
    return cfg, init_params(cfg, seed=seed + layer - 1).scaled(weight_scale)
