"""The record of one forward run: every intermediate value at every timestep."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from .activations import activation_function
from .config import HiddenStateConfig, LSTMConfig, config_from_dict
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


class TraceRecord:
    """What every cell's trace can do: its per-step ``quantities`` (batch, time, width) as a long
    table or an .npz file, from its :meth:`arrays`."""

    #: The per-step quantities of the trace, in the order the app lists them.
    quantities: ClassVar[tuple[str, ...]]
    config: Any
    inputs: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    @property
    def batch_size(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def num_steps(self) -> int:
        return int(self.inputs.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self.inputs.dtype

    def to_frame(self, quantities: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
        """A long table: one row per (batch, t, unit, quantity) with its value.

        Columns are ``batch, t, unit, quantity, value``; ``quantities`` defaults to all of the
        trace's per-step quantities (:data:`QUANTITIES` for the LSTM).
        """
        import pandas as pd  # only this method needs pandas; the core itself is NumPy only

        names = tuple(quantities) if quantities is not None else self.quantities
        unknown = [q for q in names if q not in self.quantities]
        if unknown:
            raise ValueError(f"Unknown quantities {unknown}; accepted: {', '.join(self.quantities)}.")
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


@dataclass(frozen=True, eq=False)
class Trace(TraceRecord):
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

    quantities: ClassVar[tuple[str, ...]] = QUANTITIES

    @cached_property
    def c_act(self) -> np.ndarray:
        """``act(new_c)`` (``new_c`` itself under NOAF): the forward pass folds it into ``m``."""
        return activation_function(self.config.output_activation)(self.new_c)

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


@dataclass(frozen=True, eq=False)
class HiddenStateTrace(TraceRecord):
    """What the traces of the cells whose whole state is ``h`` (the basic RNN's, the GRU's) share;
    each adds its own per-step quantities. Arrays are (batch, time, num_units) unless said otherwise.

    Attributes
    ----------
    new_h : ndarray, shape (batch, time, num_units)
        The state after each step, which is also the cell's output.
    outputs : ndarray, shape (batch, time, num_units)
        ``new_h`` with zeros where ``t >= sequence_length`` (as ``tf.nn.dynamic_rnn`` returns).
    valid : ndarray of bool, shape (batch, time)
        True where ``t < sequence_length``. At invalid steps the state is carried unchanged:
        ``new_h`` repeats the last valid state, and the other records hold what the cell computed
        from that carried state (they do not affect anything).
    initial_state, final_state : ndarray, shape (batch, num_units)
        ``h`` before the first step, and at each row's last valid step (the initial state for length 0).
    config, params, inputs, sequence_length
        What produced this trace. ``inputs`` is (batch, time, input_size) in the run's dtype.
    """

    config: HiddenStateConfig
    params: Any
    inputs: np.ndarray
    initial_state: np.ndarray
    sequence_length: np.ndarray | None
    new_h: np.ndarray
    outputs: np.ndarray
    valid: np.ndarray
    final_state: np.ndarray

    def h_prev(self) -> np.ndarray:
        """The state each step read: ``initial_state`` then ``new_h[:, :-1]``."""
        return np.concatenate([self.initial_state[:, None, :], self.new_h[:, :-1]], axis=1)

    def step_state(self, t: int) -> np.ndarray:
        """The state after step ``t`` (0-based)."""
        return self.new_h[:, t]

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the trace by name (per-step quantities, inputs, states, weights)."""
        out: dict[str, np.ndarray] = {name: getattr(self, name) for name in self.quantities}
        out["inputs"] = self.inputs
        out["valid"] = self.valid
        out["initial_h"], out["final_h"] = self.initial_state, self.final_state
        if self.sequence_length is not None:
            out["sequence_length"] = self.sequence_length
        for name, array in self.params.arrays().items():
            out[f"param_{name}"] = array
        return out


def load_trace_arrays(file: str | os.PathLike | IO[bytes]) -> tuple[Any, dict[str, np.ndarray]]:
    """Read a file written by any trace's ``to_npz``: the config (of its own cell) and the arrays by name."""
    with np.load(file, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    config = config_from_dict(json.loads(str(arrays.pop("config"))))
    return config, arrays
