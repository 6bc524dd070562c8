"""The arguments every cell's run and backward pass check alike, and what sequence_length makes of them.

Shared by the LSTM (:mod:`lstm_core.forward`, :mod:`lstm_core.grad`) and the basic RNN and GRU
cells (:mod:`lstm_core.rnn`, :mod:`lstm_core.gru`), so that a bad input gets the same message
whichever cell it is given to, and ``sequence_length`` means the same thing everywhere: as
``tf.nn.dynamic_rnn``, at ``t >= sequence_length[b]`` row b's output is 0 and its state is carried
unchanged.
"""

from __future__ import annotations

import numpy as np

#: Largest run() accepts: batch * time * 4 * units values per buffer (1 GB in float32).
MAX_VALUES_PER_BUFFER = 256_000_000


def as_inputs(inputs: object, input_size: int | None = None) -> np.ndarray:
    """``inputs`` as a contiguous (batch, time, features) float array, or a clear ValueError.

    float32 and float64 keep their dtype; anything else numeric becomes float64. A 2-D array is one
    sequence of shape (time, features).
    """
    try:
        array = np.asarray(inputs)
    except (ValueError, TypeError):
        raise ValueError(
            "inputs must be a rectangular array of numbers: every timestep needs the same number "
            "of features, and every sequence the same number of timesteps."
        ) from None
    if (
        array.dtype == object
        or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool)
        or np.issubdtype(array.dtype, np.complexfloating)
    ):
        raise ValueError(f"inputs must be real numbers, got values of type {array.dtype}.")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(
            "inputs must have shape (batch, time, input_size), or (time, input_size) for one "
            f"sequence; got shape {array.shape}."
        )
    batch, time, features = array.shape
    if batch < 1 or time < 1:
        raise ValueError(f"inputs need at least one sequence and one timestep; got shape {array.shape}.")
    if input_size is not None and features != input_size:
        raise ValueError(
            f"inputs have {features} feature(s) per timestep but the cell's input_size is "
            f"{input_size}; expected shape (batch, time, {input_size}), got {array.shape}."
        )
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"inputs contain NaN or infinite values (first at sequence {bad[0]}, step {bad[1]}, feature {bad[2]})."
        )
    return np.ascontiguousarray(array)


def as_lengths(sequence_length: object, batch: int, time: int) -> np.ndarray | None:
    """``sequence_length`` as one int64 length per row (a scalar applies to every row), or None."""
    if sequence_length is None:
        return None
    array = np.asarray(sequence_length)
    if array.ndim == 0:
        array = np.full(batch, array)
    if array.shape != (batch,):
        raise ValueError(f"sequence_length needs one length per sequence: shape ({batch},); got {array.shape}.")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ValueError("sequence_length must be whole numbers.")
    if not np.isfinite(array).all() or (array != np.round(array)).any():
        raise ValueError("sequence_length must be whole numbers.")
    if (array < 0).any() or (array > time).any():
        raise ValueError(
            f"sequence_length values must be from 0 to {time} (the number of steps); got {array.tolist()}."
        )
    return array.astype(np.int64)


def finished_steps(lengths: np.ndarray | None, time: int) -> np.ndarray | None:
    """(time, batch) bool, True where ``t >= lengths[b]``; None when every row runs all ``time`` steps."""
    if lengths is None or not (lengths < time).any():
        return None
    return np.arange(time)[:, None] >= lengths[None, :]


def rows_ended_by_step(done: np.ndarray, column: bool = False) -> list[np.ndarray | None]:
    """For each step of ``done`` (time, batch), the rows that have ended (a bool mask, shaped
    (batch, 1) with ``column`` to broadcast over units), or None where no row has: most steps of
    most runs, and a None costs the step loop nothing."""
    return [(row[:, None] if column else row) if row.any() else None for row in done]


def valid_and_outputs(done: np.ndarray | None, new_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(valid, outputs) from the batch-major ``new_h`` (batch, time, width): ``valid`` (batch, time)
    is True where ``t < sequence_length``; ``outputs`` is ``new_h`` with zeros elsewhere."""
    if done is None:
        return np.ones(new_h.shape[:2], bool), new_h
    valid = ~done.T
    return valid, np.where(valid[:, :, None], new_h, new_h.dtype.type(0))


def mask_ended_steps(d_outputs: np.ndarray, valid: np.ndarray) -> list[np.ndarray | None] | None:
    """Zero the time-major ``d_outputs`` (time, batch, width) in place where a row has ended (its
    outputs there are constant zeros); return the rows ended at each step (see
    :func:`rows_ended_by_step`), or None if every row ran to the end."""
    if valid.all():
        return None
    ended = ~valid.T
    d_outputs[ended] = 0
    return rows_ended_by_step(ended)


#: What the overflow message advises for the LSTM (the other cells have no cell_clip).
LSTM_OVERFLOW_ADVICE = (
    "With relu or identity activations the cell state can grow without bound; use a smaller "
    "weight scale, smaller inputs, or cell_clip."
)


def raise_on_overflow(per_step: tuple[np.ndarray, ...], advice: str = LSTM_OVERFLOW_ADVICE) -> None:
    """Raise a learner-readable ValueError, ending with ``advice``, if any step overflowed.

    ``per_step`` are time-major (time, ...) records, the pre-activations of every step first.
    Cheap first: an overflow never heals (inf and NaN propagate through the state into every
    later step), so a finite sum of the first record and a finite last step of each clear the
    run. Only otherwise is each step checked, to name the first bad one.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = per_step[0].sum()
    if np.isfinite(total) and all(np.isfinite(a[-1]).all() for a in per_step):
        return
    bad = [np.flatnonzero(~np.isfinite(a).reshape(a.shape[0], -1).all(axis=1)) for a in per_step]
    first = min((int(steps[0]) for steps in bad if steps.size), default=None)
    if first is not None:
        raise ValueError(f"The numbers overflowed at step {first}: a value grew past the largest float. {advice}")


def checked_floats(value: object, dtype: np.dtype, shape: tuple[int, ...], name: str, wrong_shape: str) -> np.ndarray:
    """``value`` as an array of ``dtype``; a ValueError if it is not numbers, is not of ``shape``
    (the message ``wrong_shape``, which should say what was expected and got) or is not finite."""
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers.") from None
    if array.shape != shape:
        raise ValueError(wrong_shape.format(got=array.shape))
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def as_gradient(value: object, shape: tuple[int, ...], dtype: np.dtype, name: str) -> np.ndarray:
    """An incoming gradient (dL/d something of ``shape``) as an array of ``dtype``; None means zeros."""
    if value is None:
        return np.zeros(shape, dtype)
    return checked_floats(
        value, dtype, shape, name, f"{name} must have shape {shape} (like what it is the gradient of); got {{got}}."
    )
