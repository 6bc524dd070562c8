"""The record of one forward run: every intermediate value at every timestep."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from functools import cached_property
from typing import IO, TYPE_CHECKING, NamedTuple

import numpy as np

from .activations import activation_function
from .config import LSTMConfig
from .params import LSTMParams

if TYPE_CHECKING:
    import pandas as pd


class LSTMStateTuple(NamedTuple):
    """The state TensorFlow passes between steps when ``state_is_tuple=True``.

    c : ndarray, shape (batch, num_units) -- the cell state (memory).
    h : ndarray, shape (batch, h_depth) -- the output, fed back as the next step's input.
    """

    c: np.ndarray
    h: np.ndarray

    def concatenated(self) -> np.ndarray:
        """The ``state_is_tuple=False`` form: ``concat([c, h], axis=1)``, shape (batch, units + h_depth)."""
        return np.concatenate([self.c, self.h], axis=1)


#: Per-step quantities of a trace, in the order the app lists them.
GATES: tuple[str, ...] = ("i", "j", "f", "o")
PRE_ACTIVATIONS: tuple[str, ...] = ("i_pre", "j_pre", "f_pre", "o_pre")
QUANTITIES: tuple[str, ...] = (*GATES, *PRE_ACTIVATIONS, "new_c", "c_act", "m", "new_h", "outputs")


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything one run computed. Arrays are (batch, time, width) unless said otherwise.

    Attributes
    ----------
    i, j, f, o : ndarray, shape (batch, time, num_units)
        The values that multiply: ``i = sigmoid(i_pre [+ w_i_diag * c_prev])`` (``1 - f`` when
        coupled), ``j = act(j_pre)``, ``f = sigmoid(f_pre + forget_bias [+ w_f_diag * c_prev])``,
        ``o = sigmoid(o_pre [+ w_o_diag * new_c])``, with ``sigmoid`` the configured
        ``recurrent_activation`` (a hard sigmoid for some Keras models). Under Greff et al.'s NIG, NFG, NOG the
        gate is 1; under NIAF ``j = j_pre``.
    i_pre, j_pre, f_pre, o_pre : ndarray, shape (batch, time, num_units)
        The raw split of ``gate_inputs = [x_t, h_prev] @ kernel + bias``, before the forget bias,
        the peepholes or any nonlinearity (what TensorFlow's code calls i, j, f, o). When
        coupled, ``i_pre`` is computed but unused.
    new_c : ndarray, shape (batch, time, num_units)
        The cell state after each step (after ``cell_clip``).
    c_act : ndarray, shape (batch, time, num_units)
        ``act(new_c)``, what the output gate multiplies (computed on first use).
    m : ndarray, shape (batch, time, num_units)
        ``o * act(new_c)``, the output before projection (equal to ``new_h`` without one).
    new_h : ndarray, shape (batch, time, h_depth)
        The output after projection and ``proj_clip``.
    outputs : ndarray, shape (batch, time, h_depth)
        ``new_h`` with zeros where ``t >= sequence_length`` (as ``tf.nn.dynamic_rnn`` returns).
    valid : ndarray of bool, shape (batch, time)
        True where ``t < sequence_length``. At invalid steps the state is carried unchanged:
        ``new_c`` and ``new_h`` repeat the last valid state, and the gate records hold what the
        cell computed from that carried state (they do not affect anything).
    final_state : LSTMStateTuple
        The state at each row's last valid step (the initial state for length 0).
    config, params, inputs, initial_state, sequence_length
        What produced this trace. ``inputs`` is (batch, time, input_size) in the run's dtype.
    """

    config: LSTMConfig
    params: LSTMParams
    inputs: np.ndarray
    initial_state: LSTMStateTuple
    sequence_length: np.ndarray | None
    i: np.ndarray
    j: np.ndarray
    f: np.ndarray
    o: np.ndarray
    i_pre: np.ndarray
    j_pre: np.ndarray
    f_pre: np.ndarray
    o_pre: np.ndarray
    new_c: np.ndarray
    m: np.ndarray
    new_h: np.ndarray
    outputs: np.ndarray
    valid: np.ndarray
    final_state: LSTMStateTuple

    @cached_property
    def c_act(self) -> np.ndarray:
        """``act(new_c)`` (``new_c`` itself under NOAF): the forward pass folds it into ``m``."""
        return activation_function(self.config.output_activation)(self.new_c)

    @property
    def batch_size(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def num_steps(self) -> int:
        return int(self.inputs.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self.inputs.dtype

    def c_prev(self) -> np.ndarray:
        """The cell state each step started from: ``initial_state.c`` then ``new_c[:, :-1]``."""
        return np.concatenate([self.initial_state.c[:, None, :], self.new_c[:, :-1]], axis=1)

    def h_prev(self) -> np.ndarray:
        """The output each step read: ``initial_state.h`` then ``new_h[:, :-1]``."""
        return np.concatenate([self.initial_state.h[:, None, :], self.new_h[:, :-1]], axis=1)

    def step_state(self, t: int) -> LSTMStateTuple:
        """The state after step ``t`` (0-based), as the seed notebook prints it."""
        return LSTMStateTuple(self.new_c[:, t], self.new_h[:, t])

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the trace by name (per-step quantities, inputs, states, weights)."""
        out: dict[str, np.ndarray] = {name: getattr(self, name) for name in QUANTITIES}
        out["inputs"] = self.inputs
        out["valid"] = self.valid
        out["initial_c"], out["initial_h"] = self.initial_state
        out["final_c"], out["final_h"] = self.final_state
        if self.sequence_length is not None:
            out["sequence_length"] = self.sequence_length
        for name, array in self.params.arrays().items():
            out[f"param_{name}"] = array
        return out

    def to_frame(self, quantities: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
        """A long table: one row per (batch, t, unit, quantity) with its value.

        Columns are ``batch, t, unit, quantity, value``; ``quantities`` defaults to all of
        :data:`QUANTITIES`.
        """
        import pandas as pd  # only this method needs pandas; the core itself is NumPy only

        names = tuple(quantities) if quantities is not None else QUANTITIES
        unknown = [q for q in names if q not in QUANTITIES]
        if unknown:
            raise ValueError(f"Unknown quantities {unknown}; accepted: {', '.join(QUANTITIES)}.")
        frames = []
        for name in names:
            array = np.asarray(getattr(self, name))
            batch, time, width = array.shape
            b, t, u = np.meshgrid(np.arange(batch), np.arange(time), np.arange(width), indexing="ij")
            frames.append(
                pd.DataFrame(
                    {
                        "batch": b.ravel(),
                        "t": t.ravel(),
                        "unit": u.ravel(),
                        "quantity": name,
                        "value": array.ravel(),
                    }
                )
            )
        frame = pd.concat(frames, ignore_index=True)
        frame["quantity"] = pd.Categorical(frame["quantity"], categories=list(names))
        return frame

    def to_npz(self, file: str | os.PathLike | IO[bytes]) -> None:
        """Save every array and the config (as JSON) to ``file``; loadable with ``allow_pickle=False``."""
        np.savez_compressed(file, config=np.array(self.config.to_json()), **self.arrays())

    def to_npz_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.to_npz(buffer)
        return buffer.getvalue()


def load_trace_arrays(file: str | os.PathLike | IO[bytes]) -> tuple[LSTMConfig, dict[str, np.ndarray]]:
    """Read a file written by :meth:`Trace.to_npz`: the config and the arrays by name."""
    with np.load(file, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    config = LSTMConfig.from_dict(json.loads(str(arrays.pop("config"))))
    return config, arrays
