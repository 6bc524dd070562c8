"""The cell's weights, in TensorFlow's fused layout, and their seeded Glorot initialisation."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .config import LSTMConfig

#: Names of the four column blocks of the kernel, in TensorFlow's order.
GATE_ORDER: tuple[str, ...] = ("i", "j", "f", "o")
PEEPHOLE_FIELDS: tuple[str, ...] = ("w_i_diag", "w_f_diag", "w_o_diag")


@dataclass(frozen=True, eq=False)
class LSTMParams:
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

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays that are set, by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def astype(self, dtype: np.dtype | type) -> LSTMParams:
        """A copy with every array in ``dtype`` (no copy for arrays already in it)."""
        return replace(self, **{name: np.asarray(a, dtype=dtype) for name, a in self.arrays().items()})

    def scaled(self, factor: float) -> LSTMParams:
        """Every weight multiplied by ``factor`` (the app's "weight scale")."""
        return replace(self, **{name: a * factor for name, a in self.arrays().items()})

    def gate_block(self, gate: str) -> tuple[np.ndarray, np.ndarray]:
        """The kernel columns and bias of one gate (``"i"``, ``"j"``, ``"f"`` or ``"o"``)."""
        k = GATE_ORDER.index(gate)
        units = self.bias.shape[0] // 4
        block = slice(k * units, (k + 1) * units)
        return self.kernel[:, block], self.bias[block]

    def count(self) -> int:
        """Number of scalars in all the arrays that are set."""
        return int(sum(a.size for a in self.arrays().values()))


def param_count(cfg: LSTMConfig) -> dict[str, int]:
    """The parameters the cell ``cfg`` describes actually uses, by kind, and their total.

    Counted as Greff et al. count them: a gate that is removed (NIG, NFG, NOG) or derived
    (the coupled cell's ``i = 1 - f``) has no weights, no bias and no peephole, although the
    fused kernel keeps all four blocks so that every variant runs on one weight set. A coupled
    cell therefore has a quarter fewer gate weights than the basic one.
    """
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


def expected_shapes(cfg: LSTMConfig) -> dict[str, tuple[int, ...] | None]:
    """The shape every field must have for ``cfg`` (None: must be absent or is ignored)."""
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


def check_params(cfg: LSTMConfig, params: LSTMParams, dtype: np.dtype | type | None = None) -> LSTMParams:
    """Validate ``params`` against ``cfg`` and return them as arrays of ``dtype``.

    Raises ValueError naming the array, the expected and the actual shape, or the first
    non-finite value. Arrays a config does not use (peepholes without ``use_peepholes``) are
    dropped so they cannot be mistaken for active weights.
    """
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params must be an LSTMParams, got {type(params).__name__}.")
    dtype = np.dtype(dtype or np.float64)
    checked: dict[str, np.ndarray | None] = {}
    for name, shape in expected_shapes(cfg).items():
        value = getattr(params, name)
        if shape is None:
            checked[name] = None
            continue
        if value is None:
            why = "use_peepholes=True" if name in PEEPHOLE_FIELDS else f"num_proj={cfg.num_proj}"
            raise ValueError(f"params.{name} is required with {why} (shape {shape}).")
        try:
            array = np.asarray(value, dtype=dtype)
        except (TypeError, ValueError):
            raise ValueError(f"params.{name} must be an array of numbers.") from None
        if array.shape != shape:
            raise ValueError(
                f"params.{name} should have shape {shape} for input_size={cfg.input_size}, "
                f"num_units={cfg.num_units}"
                + (f", num_proj={cfg.num_proj}" if cfg.num_proj else "")
                + f"; got {array.shape}."
            )
        if not np.isfinite(array).all():
            raise ValueError(f"params.{name} contains NaN or infinite values.")
        checked[name] = array
    return LSTMParams(**checked)


def _glorot_uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # TensorFlow's glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)); a
    # vector has fan_in = fan_out = its length.
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def init_params(cfg: LSTMConfig, seed: int = 0, dtype: np.dtype | type = np.float64) -> LSTMParams:
    """Seeded weights as TensorFlow initialises LSTMCell: Glorot-uniform kernel, zero bias.

    The kernel, the peepholes and the projection each come from their own stream of ``seed``,
    so turning peepholes on or off leaves the kernel unchanged: variants compared side by side
    share their base weights. The same seed always gives the same weights.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}.")
    shapes = expected_shapes(cfg)
    streams = np.random.SeedSequence(int(seed)).spawn(3)
    kernel_rng, peephole_rng, proj_rng = (np.random.default_rng(s) for s in streams)
    arrays: dict[str, np.ndarray | None] = {
        "kernel": _glorot_uniform(kernel_rng, shapes["kernel"]),
        "bias": np.zeros(shapes["bias"]),
    }
    peephole_weights = [_glorot_uniform(peephole_rng, (cfg.num_units,)) for _ in PEEPHOLE_FIELDS]
    for name, weights in zip(PEEPHOLE_FIELDS, peephole_weights, strict=True):
        arrays[name] = weights if cfg.use_peepholes else None
    if cfg.num_proj is not None:
        arrays["proj_kernel"] = _glorot_uniform(proj_rng, (cfg.num_units, cfg.num_proj))
    return LSTMParams(**arrays).astype(dtype)
