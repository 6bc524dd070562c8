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


def hard_sigmoid_of_negated(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Keras 2's (and TensorFlow 1.x Keras's) ``clip(0.2 * x + 0.5, 0, 1)`` from ``z = -x``.

    The same operations, in the same order, as tf.keras's ``backend.hard_sigmoid``: ``-0.2 * z``
    is exactly ``0.2 * x``, then ``+ 0.5``, then the clip as ``tf.clip_by_value`` does it (a
    minimum, then a maximum), so the float32 result is TensorFlow's to the bit.
    """
    out = np.multiply(z, scalar(-0.2, z.dtype), out=z if out is None else out)
    np.add(out, scalar(0.5, out.dtype), out=out)
    np.minimum(out, scalar(1.0, out.dtype), out=out)
    return np.maximum(out, scalar(0.0, out.dtype), out=out)


def hard_sigmoid_keras3_of_negated(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Keras 3's ``relu6(x + 3) / 6`` from ``z = -x``, in Keras 3's order (``3 - z`` is exactly
    ``x + 3``)."""
    out = np.subtract(scalar(3.0, z.dtype), z, out=z if out is None else out)
    np.maximum(out, scalar(0.0, out.dtype), out=out)
    np.minimum(out, scalar(6.0, out.dtype), out=out)
    return np.divide(out, scalar(6.0, out.dtype), out=out)


#: The gate functions by ``LSTMConfig.recurrent_activation``, each taking the negated
#: pre-activation as the forward pass stores it.
GATE_FUNCTIONS_OF_NEGATED: dict[str, Activation] = {
    "sigmoid": sigmoid_of_negated,
    "hard_sigmoid": hard_sigmoid_of_negated,
    "hard_sigmoid_keras3": hard_sigmoid_keras3_of_negated,
}


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


def _sigmoid_gate_derivative(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g * (1 - g)


def _hard_sigmoid_derivative(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    # TensorFlow's clip_by_value (a minimum, then a maximum) passes the gradient where the value
    # it clips lies within [0, 1], ends included: 0.2 on [-2.5, 2.5], 0 outside.
    unclipped = x * x.dtype.type(0.2) + x.dtype.type(0.5)
    return np.where((unclipped >= 0) & (unclipped <= 1), x.dtype.type(0.2), x.dtype.type(0))


def _hard_sigmoid_keras3_derivative(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    # TensorFlow's relu6 gradient is 1 strictly inside (0, 6) and 0 at both ends, so Keras 3's
    # hard sigmoid has slope 1/6 on the open interval (-3, 3) only.
    shifted = x + x.dtype.type(3.0)
    return np.where((shifted > 0) & (shifted < 6), x.dtype.type(1 / 6), x.dtype.type(0))


#: ``d gate / d x`` by ``LSTMConfig.recurrent_activation``, from the gate's whole input ``x``
#: (pre-activation, forget bias and peephole term) and its value ``g``.
GATE_DERIVATIVES: dict[str, ActivationDerivative] = {
    "sigmoid": _sigmoid_gate_derivative,
    "hard_sigmoid": _hard_sigmoid_derivative,
    "hard_sigmoid_keras3": _hard_sigmoid_keras3_derivative,
}


def activation_derivative(name: str) -> ActivationDerivative:
    """``d act(x) / dx`` as a function of the input ``x`` and the output ``y = act(x)`` (each
    activation uses whichever is exact and cheap), for the backward pass."""
    try:
        return ACTIVATION_DERIVATIVES[name]
    except KeyError:
        raise ValueError(f"Unknown activation {name!r}; accepted: {', '.join(ACTIVATION_DERIVATIVES)}.") from None
