"""Converters between this project's (TensorFlow) layout and Keras' and PyTorch's LSTM weights.

=============  =====================================  ====================  ==================
library        kernel layout                          gate order (columns)  forget bias
=============  =====================================  ====================  ==================
TensorFlow     one kernel ``[x; h] -> 4H``            i, j, f, o            added at run time
Keras          ``kernel`` (D, 4H), ``recurrent`` (H,   i, f, c, o            none (in the bias)
               4H), ``bias`` (4H)
PyTorch        ``weight_ih`` (4H, D), ``weight_hh``    i, f, g, o            none; two biases
               (4H, H), ``bias_ih``, ``bias_hh``                            that add up
=============  =====================================  ====================  ==================

Keras' ``c`` and PyTorch's ``g`` are TensorFlow's ``j`` (the new input). Keras and PyTorch add no
forget bias at run time, so ``from_*`` return a config with ``forget_bias=0.0`` and ``to_*`` fold
the config's forget bias into the f block of the bias.
"""

from __future__ import annotations

import numpy as np

from .config import LSTMConfig
from .params import LSTMParams, check_params

# Keras (i, f, c, o) and PyTorch (i, f, g, o) blocks, picked in TensorFlow's order (i, j, f, o).
# The permutation swaps blocks 1 and 2, so it is its own inverse.
_SWAP_J_F = (0, 2, 1, 3)


def _reorder(array: np.ndarray, axis: int = -1) -> np.ndarray:
    units = array.shape[axis] // 4
    index = np.arange(4 * units).reshape(4, units)[list(_SWAP_J_F)].ravel()
    return np.take(array, index, axis=axis)


def _float_array(name: str, value: object, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64) if not _is_float32(value) else np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers.") from None
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s); got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def _is_float32(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.float32


def from_keras(
    kernel: object, recurrent_kernel: object, bias: object | None = None, activation: str = "tanh"
) -> tuple[LSTMConfig, LSTMParams]:
    """Convert a Keras ``LSTM`` layer's weights (``layer.get_weights()``) to (cfg, params).

    kernel : (input_size, 4 * units), gate blocks i, f, c, o
    recurrent_kernel : (units, 4 * units)
    bias : (4 * units,) or None (``use_bias=False``)
    """
    kernel = _float_array("kernel", kernel, 2)
    recurrent_kernel = _float_array("recurrent_kernel", recurrent_kernel, 2)
    input_size, four_units = kernel.shape
    if four_units % 4:
        raise ValueError(f"kernel must have 4 * units columns; got {four_units}.")
    units = four_units // 4
    if recurrent_kernel.shape != (units, four_units):
        raise ValueError(f"recurrent_kernel must have shape {(units, four_units)}; got {recurrent_kernel.shape}.")
    bias = np.zeros(four_units, kernel.dtype) if bias is None else _float_array("bias", bias, 1)
    if bias.shape != (four_units,):
        raise ValueError(f"bias must have shape ({four_units},); got {bias.shape}.")
    cfg = LSTMConfig(input_size=input_size, num_units=units, forget_bias=0.0, activation=activation)
    params = LSTMParams(kernel=_reorder(np.vstack([kernel, recurrent_kernel])), bias=_reorder(bias))
    return cfg, check_params(cfg, params, kernel.dtype)


def _check_plain(cfg: LSTMConfig, library: str, activations: tuple[str, ...]) -> None:
    unsupported = [
        name
        for name, used in (
            ("peepholes", cfg.use_peepholes),
            ("the coupled gate", cfg.coupled),
            ("cell_clip", cfg.cell_clip is not None),
            ("proj_clip", cfg.proj_clip is not None),
        )
        if used
    ]
    if cfg.activation not in activations:
        unsupported.append(f"activation {cfg.activation!r}")
    if library == "PyTorch" and cfg.recurrent_activation != "sigmoid":
        unsupported.append("hard-sigmoid gates")
    if unsupported:
        raise ValueError(f"{library}'s LSTM has no {', '.join(unsupported)}; this cell cannot be exported to it.")


def to_keras(cfg: LSTMConfig, params: LSTMParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kernel, recurrent_kernel, bias) for a Keras ``LSTM(units, activation=cfg.activation)``
    (with ``recurrent_activation="hard_sigmoid"`` where ``cfg`` has hard-sigmoid gates, in the
    Keras version whose formula ``cfg.recurrent_activation`` names).

    The forget bias is folded into the bias, since Keras adds none at run time.
    """
    _check_plain(cfg, "Keras", ("tanh", "relu", "sigmoid", "softsign", "identity"))
    if cfg.num_proj is not None:
        raise ValueError("Keras' LSTM has no projection layer; this cell cannot be exported to it.")
    params = check_params(cfg, params, params.kernel.dtype)
    kernel = _reorder(params.kernel)
    bias = params.bias.copy()
    bias[2 * cfg.num_units : 3 * cfg.num_units] += cfg.forget_bias
    return kernel[: cfg.input_size].copy(), kernel[cfg.input_size :].copy(), _reorder(bias)


def from_torch(
    weight_ih: object,
    weight_hh: object,
    bias_ih: object | None = None,
    bias_hh: object | None = None,
    weight_hr: object | None = None,
) -> tuple[LSTMConfig, LSTMParams]:
    """Convert one layer of a PyTorch ``nn.LSTM`` (``weight_ih_l0`` ...) to (cfg, params).

    weight_ih : (4 * hidden_size, input_size), gate blocks i, f, g, o
    weight_hh : (4 * hidden_size, h_depth); h_depth is proj_size when weight_hr is given
    bias_ih, bias_hh : (4 * hidden_size,) or None; they add up
    weight_hr : (proj_size, hidden_size) or None (``proj_size=0``)
    """
    weight_ih = _float_array("weight_ih", weight_ih, 2)
    weight_hh = _float_array("weight_hh", weight_hh, 2)
    four_units, input_size = weight_ih.shape
    if four_units % 4:
        raise ValueError(f"weight_ih must have 4 * hidden_size rows; got {four_units}.")
    units = four_units // 4
    num_proj = None
    if weight_hr is not None:
        weight_hr = _float_array("weight_hr", weight_hr, 2)
        if weight_hr.shape[1] != units:
            raise ValueError(f"weight_hr must have shape (proj_size, {units}); got {weight_hr.shape}.")
        num_proj = weight_hr.shape[0]
    depth = num_proj or units
    if weight_hh.shape != (four_units, depth):
        raise ValueError(f"weight_hh must have shape {(four_units, depth)}; got {weight_hh.shape}.")
    bias = np.zeros(four_units, weight_ih.dtype)
    for name, value in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if value is not None:
            array = _float_array(name, value, 1)
            if array.shape != (four_units,):
                raise ValueError(f"{name} must have shape ({four_units},); got {array.shape}.")
            bias = bias + array
    cfg = LSTMConfig(input_size=input_size, num_units=units, forget_bias=0.0, num_proj=num_proj)
    params = LSTMParams(
        kernel=_reorder(np.vstack([weight_ih.T, weight_hh.T])),
        bias=_reorder(bias),
        proj_kernel=None if weight_hr is None else weight_hr.T,
    )
    return cfg, check_params(cfg, params, weight_ih.dtype)


def to_torch(cfg: LSTMConfig, params: LSTMParams) -> dict[str, np.ndarray]:
    """``{"weight_ih", "weight_hh", "bias_ih", "bias_hh"[, "weight_hr"]}`` for ``nn.LSTM``.

    The whole bias (with the forget bias folded in) goes to ``bias_ih``; ``bias_hh`` is zero.
    """
    _check_plain(cfg, "PyTorch", ("tanh",))
    params = check_params(cfg, params, params.kernel.dtype)
    kernel = _reorder(params.kernel)
    bias = params.bias.copy()
    bias[2 * cfg.num_units : 3 * cfg.num_units] += cfg.forget_bias
    weights = {
        "weight_ih": kernel[: cfg.input_size].T.copy(),
        "weight_hh": kernel[cfg.input_size :].T.copy(),
        "bias_ih": _reorder(bias),
        "bias_hh": np.zeros_like(bias),
    }
    if cfg.num_proj is not None:
        weights["weight_hr"] = params.proj_kernel.T.copy()
    return weights
