"""The largest forward runs in a worker process (:func:`workers.pool.compute`), not in the server.

:func:`run_stack` is :func:`lstm_core.run_stack` for LSTM layers, computed by ``python -m
workers.child``: the weights, the input and the initial states go over its pipe as an .npz, and
the trace's arrays come back the same way (no pickle), to be put together into the same
:class:`lstm_core.Trace` records a run here makes, bit for bit (tests/workers/test_remote.py). The
server's thread only waits on the pipe meanwhile, so the other students' pages go on.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from lstm_core import LSTMConfig, LSTMParams, Trace
from lstm_core import run_stack as run_here
from lstm_core.trace import LSTMStateTuple

#: What a worker computes of each layer's trace (the rest, weights and inputs, the server has).
COMPUTED = ("i", "j", "f", "o", "i_pre", "j_pre", "f_pre", "o_pre", "new_c", "m", "new_h", "outputs", "valid")


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _unpack(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def pack(configs, params, inputs, initial_states, sequence_length) -> tuple[dict, bytes]:
    arrays = {"inputs": np.asarray(inputs)}
    for n, (layer, state) in enumerate(zip(params, initial_states or [None] * len(configs), strict=True)):
        arrays |= {f"layer{n}.{name}": array for name, array in layer.arrays().items()}
        if state is not None:
            arrays[f"initial{n}.c"], arrays[f"initial{n}.h"] = state
    if sequence_length is not None:
        arrays["sequence_length"] = np.asarray(sequence_length)
    return {"kind": "run", "configs": [cfg.to_dict() for cfg in configs]}, _npz(arrays)


def run_packed(header: dict, blob: bytes) -> list[Trace]:
    """In the worker: the run :func:`pack` describes."""
    arrays = _unpack(blob)
    configs = [LSTMConfig.from_dict(c) for c in header["configs"]]
    params = [
        LSTMParams(**{name.split(".", 1)[1]: a for name, a in arrays.items() if name.startswith(f"layer{n}.")})
        for n in range(len(configs))
    ]
    states = [
        LSTMStateTuple(arrays[f"initial{n}.c"], arrays[f"initial{n}.h"]) if f"initial{n}.c" in arrays else None
        for n in range(len(configs))
    ]
    return run_here(configs, params, arrays["inputs"], states, arrays.get("sequence_length"))


def pack_traces(traces: list[Trace]) -> bytes:
    arrays = {}
    for n, trace in enumerate(traces):
        arrays |= {f"{n}.{name}": getattr(trace, name) for name in COMPUTED}
        arrays[f"{n}.initial_c"], arrays[f"{n}.initial_h"] = trace.initial_state
        arrays[f"{n}.final_c"], arrays[f"{n}.final_h"] = trace.final_state
    return _npz(arrays)


def run_stack(
    configs: Sequence[LSTMConfig],
    params: Sequence[LSTMParams],
    inputs: np.ndarray,
    initial_states: Sequence[LSTMStateTuple | None] | None = None,
    sequence_length: np.ndarray | None = None,
) -> list[Trace]:
    """:func:`lstm_core.run_stack` of LSTM layers, computed in a worker; the same ValueError if the run fails."""
    from .pool import compute

    header, blob = pack(configs, params, inputs, initial_states, sequence_length)
    job = compute().submit("", "run", header, blob)
    job.wait()
    if job.state != "done" or not job.result:
        message = job.error.removeprefix("Training failed: ").removeprefix("ValueError: ").rstrip(".")
        raise ValueError(message + ".")
    arrays = _unpack(job.result)
    traces, layer_inputs = [], np.asarray(inputs)
    lengths = None if sequence_length is None else np.asarray(sequence_length)
    for n, (cfg, layer) in enumerate(zip(configs, params, strict=True)):
        trace = Trace(
            config=cfg,
            params=layer,
            inputs=layer_inputs,
            initial_state=LSTMStateTuple(arrays[f"{n}.initial_c"], arrays[f"{n}.initial_h"]),
            sequence_length=lengths,
            **{name: arrays[f"{n}.{name}"] for name in COMPUTED},
            final_state=LSTMStateTuple(arrays[f"{n}.final_c"], arrays[f"{n}.final_h"]),
        )
        traces.append(trace)
        layer_inputs = trace.outputs
    return traces
