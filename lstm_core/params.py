"""The cell's weights, in TensorFlow's fused layout, and their seeded Glorot initialisation."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Self

import numpy as np

from .config import HiddenStateConfig, LSTMConfig
from .run_inputs import checked_floats

#: Names of the four column blocks of the kernel, in TensorFlow's order.
GATE_ORDER: tuple[str, ...] = ("i", "j", "f", "o")
PEEPHOLE_FIELDS: tuple[str, ...] = ("w_i_diag", "w_f_diag", "w_o_diag")


class WeightArrays:
    """What every cell's weights record can do: its fields are arrays, or None where unused."""

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays that are set, by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def astype(self, dtype: np.dtype | type) -> Self:
        """A copy with every array in ``dtype`` (no copy for arrays already in it)."""
        return replace(self, **{name: np.asarray(a, dtype=dtype) for name, a in self.arrays().items()})

    def scaled(self, factor: float) -> Self:
        """Every weight multiplied by ``factor`` (the app's "weight scale")."""
        return replace(self, **{name: a * factor for name, a in self.arrays().items()})

    def count(self) -> int:
        """Number of scalars in all the arrays that are set."""
        return int(sum(a.size for a in self.arrays().values()))


@dataclass(frozen=True, eq=False)
class LSTMParams(WeightArrays):
    """Weights of one LSTM layer, laid out as TensorFlow's LSTMCell stores them.

    Parameters
    ----------
    kernel : ndarray, shape (input_size + h_depth, 4 * num_units)
        Rows are ``[x; h]`` (the input's rows first), column blocks are i, j, f, o:
        ``gate_inputs = concat([x_t, h_prev]) @ kernel + bias``.
    bias : ndarray, shape (4 * num_units,)
        Zero at initialisation; the forget bias is *not* in here (see ``LSTMConfig.forget_bias``).
    w_i_diag, w_f_diag, w_o_diag : ndarray, shape (num_units,), optional
        Peephole weights (required when ``use_peepholes``).
    proj_kernel : ndarray, shape (num_units, num_proj), optional
        Projection (required when ``num_proj`` is set).
    """

    kernel: np.ndarray
    bias: np.ndarray
    w_i_diag: np.ndarray | None = None
    w_f_diag: np.ndarray | None = None
    w_o_diag: np.ndarray | None = None
    proj_kernel: np.ndarray | None = None

    def gate_block(self, gate: str) -> tuple[np.ndarray, np.ndarray]:
        """The kernel columns and bias of one gate (``"i"``, ``"j"``, ``"f"`` or ``"o"``)."""
        k = GATE_ORDER.index(gate)
        units = self.bias.shape[0] // 4
        block = slice(k * units, (k + 1) * units)
        return self.kernel[:, block], self.bias[block]


def param_count(cfg: LSTMConfig | HiddenStateConfig) -> dict[str, int]:
    """The parameters the cell ``cfg`` describes actually uses, by kind, and their total.

    The LSTM's are counted as Greff et al. count them: a gate that is removed (NIG, NFG, NOG) or derived
    (the coupled cell's ``i = 1 - f``) has no weights, no bias and no peephole, although the
    fused kernel keeps all four blocks so that every variant runs on one weight set. A coupled
    cell therefore has a quarter fewer gate weights than the basic one. The basic RNN and the GRU
    use every weight they have: their counts are the sizes of their arrays, by field name.
    """
    if isinstance(cfg, HiddenStateConfig):
        counts = {name: int(np.prod(shape)) for name, shape in cfg.param_shapes.items()}
        return {**counts, "total": sum(counts.values())}
    units = cfg.num_units
    blocks = ["j"] + [gate for gate in ("i", "f", "o") if gate not in cfg.fixed_gates]
    if cfg.coupled:
        blocks.remove("i")
    counts = {
        "gate weights": len(blocks) * (cfg.input_size + cfg.h_depth) * units,
        "biases": len(blocks) * units,
        "peepholes": sum(units for gate in blocks if gate != "j") if cfg.use_peepholes else 0,
        "projection": units * cfg.num_proj if cfg.num_proj is not None else 0,
    }
    counts["total"] = sum(counts.values())
    return counts


def expected_shapes(cfg: LSTMConfig | HiddenStateConfig) -> dict[str, tuple[int, ...] | None]:
    """The shape every field must have for ``cfg`` (None: must be absent or is ignored)."""
    if isinstance(cfg, HiddenStateConfig):
        return dict(cfg.param_shapes)
    units, depth = cfg.num_units, cfg.h_depth
    peephole = (units,) if cfg.use_peepholes else None
    return {
        "kernel": (cfg.input_size + depth, 4 * units),
        "bias": (4 * units,),
        "w_i_diag": peephole,
        "w_f_diag": peephole,
        "w_o_diag": peephole,
        "proj_kernel": (units, cfg.num_proj) if cfg.num_proj is not None else None,
    }


def check_params(
    cfg: LSTMConfig | HiddenStateConfig, params: LSTMParams | Any, dtype: np.dtype | type | None = None
) -> LSTMParams | Any:
    """Validate ``params`` against ``cfg`` (any cell's) and return them as arrays of ``dtype``.

    Raises ValueError naming the array, the expected and the actual shape, or the first
    non-finite value. Arrays a config does not use (peepholes without ``use_peepholes``) are
    dropped so they cannot be mistaken for active weights.
    """
    dtype = np.dtype(dtype or np.float64)
    if isinstance(cfg, HiddenStateConfig):
        return _check_hidden_state_params(cfg, params, dtype)
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params must be an LSTMParams, got {type(params).__name__}.")
    sizes = f"input_size={cfg.input_size}, num_units={cfg.num_units}" + (
        f", num_proj={cfg.num_proj}" if cfg.num_proj else ""
    )
    checked: dict[str, np.ndarray | None] = {}
    for name, shape in expected_shapes(cfg).items():
        value = getattr(params, name)
        if shape is None:
            checked[name] = None
            continue
        if value is None:
            why = "use_peepholes=True" if name in PEEPHOLE_FIELDS else f"num_proj={cfg.num_proj}"
            raise ValueError(f"params.{name} is required with {why} (shape {shape}).")
        checked[name] = checked_array(name, value, shape, dtype, sizes)
    return LSTMParams(**checked)


def checked_array(name: str, value: object, shape: tuple[int, ...], dtype: np.dtype, sizes: str) -> np.ndarray:
    """``params.<name>`` as an array of ``dtype`` and ``shape``, finite; else a ValueError naming the
    array, the expected shape and the config's ``sizes`` it follows from (e.g. "input_size=3, num_units=2")."""
    wrong_shape = f"params.{name} should have shape {shape} for {sizes}; got {{got}}."
    return checked_floats(value, dtype, shape, f"params.{name}", wrong_shape)


def _check_hidden_state_params(cfg: HiddenStateConfig, params: object, dtype: np.dtype) -> Any:
    """:func:`check_params` for the basic RNN and the GRU, which need every array of their
    ``cfg.param_shapes`` in a ``cfg.params_type``."""
    params_type = cfg.params_type
    if not isinstance(params, params_type):
        raise ValueError(
            f"params must be a {params_type.__name__} for the {cfg.title} cell, got {type(params).__name__}."
        )
    sizes = f"input_size={cfg.input_size}, num_units={cfg.num_units}"
    checked = {
        name: checked_array(name, getattr(params, name), shape, dtype, sizes)
        for name, shape in cfg.param_shapes.items()
    }
    return params_type(**checked)


def glorot_uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """TensorFlow's glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)); a
    vector has fan_in = fan_out = its length."""
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def seed_streams(seed: int, count: int) -> list[np.random.Generator]:
    """``count`` independent generators from ``seed`` (one per weight array, so that one array's
    draws never shift another's); a ValueError unless ``seed`` is a whole number >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}.")
    return [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(count)]


def init_params(
    cfg: LSTMConfig | HiddenStateConfig, seed: int = 0, dtype: np.dtype | type = np.float64
) -> LSTMParams | Any:
    """Seeded weights as TensorFlow initialises the cell: for LSTMCell a Glorot-uniform kernel and
    a zero bias; for BasicRNNCell and GRUCell, the cell's own params record (see
    :func:`lstm_core.rnn.init_basic_rnn_params`, :func:`lstm_core.gru.init_gru_params`).

    The LSTM's kernel, the peepholes and the projection each come from their own stream of ``seed``,
    so turning peepholes on or off leaves the kernel unchanged: variants compared side by side
    share their base weights. The same seed always gives the same weights.
    """
    if isinstance(cfg, HiddenStateConfig):
        # These cells' modules build on this one, so they are imported here rather than at the top.
        from .gru import GRUConfig, init_gru_params
        from .rnn import init_basic_rnn_params

        return (init_gru_params if isinstance(cfg, GRUConfig) else init_basic_rnn_params)(cfg, seed, dtype)
    shapes = expected_shapes(cfg)
    kernel_rng, peephole_rng, proj_rng = seed_streams(seed, 3)
    arrays: dict[str, np.ndarray | None] = {
        "kernel": glorot_uniform(kernel_rng, shapes["kernel"]),
        "bias": np.zeros(shapes["bias"]),
    }
    peephole_weights = [glorot_uniform(peephole_rng, (cfg.num_units,)) for _ in PEEPHOLE_FIELDS]
    for name, weights in zip(PEEPHOLE_FIELDS, peephole_weights, strict=True):
        arrays[name] = weights if cfg.use_peepholes else None
    if cfg.num_proj is not None:
        arrays["proj_kernel"] = glorot_uniform(proj_rng, (cfg.num_units, cfg.num_proj))
    return LSTMParams(**arrays).astype(dtype)
