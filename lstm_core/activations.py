"""Elementwise nonlinearities, written to work in place on preallocated buffers.

Every function takes ``x`` and an ``out`` array of the same shape and returns ``out``; none of them
warns for large ``|x|``. They sit in the forward pass's inner loop, so each is as few NumPy calls as
possible, with operands of the same dtype (a Python float costs a conversion on every call).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

Activation = Callable[[np.ndarray, np.ndarray], np.ndarray]


@cache
def scalar(value: float, dtype: np.dtype) -> np.ndarray:
    """A 0-d array of ``dtype``: as an operand it costs nothing to convert, unlike a Python float."""
    return np.array(value, dtype=dtype)


def sigmoid_of_negated(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``sigmoid(x) = 1 / (1 + exp(z))`` from ``z = -x``, into ``out`` (default: in place).

    The forward pass stores the sigmoid gates' inputs negated, so this is all a gate needs. Where
    ``exp(z)`` overflows to inf (x below -88 in float32, -709 in float64), ``1 / (1 + inf)`` is
    exactly 0, the correctly rounded sigmoid; callers silence that overflow with
    ``np.errstate(over="ignore")`` (as :func:`sigmoid` and :func:`lstm_core.run` do) instead of
    paying a clip on every step.
    """
    out = np.exp(z, out=z if out is None else out)
    np.add(out, scalar(1.0, out.dtype), out=out)
    return np.reciprocal(out, out=out)


def negate(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``-x``, exactly. Not ``np.negative``: NumPy 2.4's float32 ``negative`` gives wrong values
    when both operands are strided (e.g. a column of one buffer into a column of another), which
    this module's callers pass; a multiplication by -1 is exact and unaffected."""
    return np.multiply(x, scalar(-1.0, x.dtype), out=out)


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``1 / (1 + exp(-x))``, exact at both ends (0 and 1) and silent for any finite ``x``."""
    with np.errstate(over="ignore"):
        return sigmoid_of_negated(negate(x, out=out))


def tanh(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(x, out=out)


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(x, scalar(0.0, x.dtype), out=out)


def softsign(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x / (1 + |x|)``."""
    denominator = np.abs(x)
    np.add(denominator, scalar(1.0, x.dtype), out=denominator)
    return np.divide(x, denominator, out=out)


def identity(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.positive(x, out=out)


ACTIVATION_FUNCTIONS: dict[str, Activation] = {
    "tanh": np.tanh,  # the ufunc itself: no Python wrapper on the hot path
    "relu": relu,
    "sigmoid": sigmoid,
    "softsign": softsign,
    "identity": identity,
}


def activation_function(name: str) -> Activation:
    """The function ``f(x, out=...)`` for an activation name of :data:`lstm_core.config.ACTIVATIONS`."""
    try:
        return ACTIVATION_FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"Unknown activation {name!r}; accepted: {', '.join(ACTIVATION_FUNCTIONS)}.") from None


def _tanh_derivative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 1 - y * y


def _sigmoid_derivative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y * (1 - y)


def _relu_derivative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # 0 at x == 0, as TensorFlow's and PyTorch's relu gradients.
    return (x > 0).astype(x.dtype)


def _softsign_derivative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    denominator = 1 + np.abs(x)
    return 1 / (denominator * denominator)


def _identity_derivative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.ones_like(x)


ActivationDerivative = Callable[[np.ndarray, np.ndarray], np.ndarray]

ACTIVATION_DERIVATIVES: dict[str, ActivationDerivative] = {
    "tanh": _tanh_derivative,
    "relu": _relu_derivative,
    "sigmoid": _sigmoid_derivative,
    "softsign": _softsign_derivative,
    "identity": _identity_derivative,
}


def activation_derivative(name: str) -> ActivationDerivative:
    """``d act(x) / dx`` as a function of the input ``x`` and the output ``y = act(x)`` (each
    activation uses whichever is exact and cheap), for the backward pass."""
    try:
        return ACTIVATION_DERIVATIVES[name]
    except KeyError:
        raise ValueError(f"Unknown activation {name!r}; accepted: {', '.join(ACTIVATION_DERIVATIVES)}.") from None
