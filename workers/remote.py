"""The largest forward runs in a worker process (:func:`workers.pool.compute`), not in the server.

:func:`run_stack` is :func:`lstm_core.run_stack` for LSTM layers, computed by ``python -m
workers.child``: the weights, the input and the initial states go over its pipe as an .npz, and
the trace's arrays come back the same way (no pickle), to be put together into the same
:class:`lstm_core.Trace` records a run here makes, bit for bit (tests/workers/test_remote.py). The
server's thread only waits on the pipe meanwhile, so the other students' pages go on.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np

from lstm_core import LSTMConfig, LSTMParams, Trace
from lstm_core import run_stack as run_here
from lstm_core.sweep import iter_sweep
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


def _unpacked(header: dict, blob: bytes) -> tuple:
    """(configs, params, inputs, initial states, sequence lengths) of what :func:`pack` packed."""
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
    return configs, params, arrays["inputs"], states, arrays.get("sequence_length")


def run_packed(header: dict, blob: bytes) -> list[Trace]:
    """In the worker: the run :func:`pack` describes."""
    return run_here(*_unpacked(header, blob))


def _row(trace: Trace, seq: int) -> dict[str, np.ndarray]:
    """What a worker sends of one layer's trace: the computed arrays of sequence ``seq`` only."""
    arrays = {name: getattr(trace, name)[seq] for name in COMPUTED}
    arrays["initial_c"], arrays["initial_h"] = (a[seq] for a in trace.initial_state)
    arrays["final_c"], arrays["final_h"] = (a[seq] for a in trace.final_state)
    return arrays


def sweep_packed(header: dict, blob: bytes) -> bytes:
    """In the worker: the stack :func:`pack` describes run at each forget bias of ``header["biases"]``
    (lstm_core.sweep.iter_sweep, the whole batch, as the server would run it), keeping sequence
    ``header["seq"]`` of each layer; a forget bias at which the cell overflows ends the sweep there,
    with lstm_core's message. With ``header["extract"]`` ([name, arguments] of :data:`EXTRACTS`), what
    that takes of each run instead."""
    configs, params, inputs, states, lengths = _unpacked(header, blob)
    seq, out = int(header["seq"]), {}
    named = header.get("extract")
    extract, extract_args = (EXTRACTS[named[0]], dict(named[1])) if named else (None, {})
    stacks = iter_sweep(configs, params, inputs, header["biases"], states, lengths)
    runs: list[dict[str, np.ndarray]] = []  # what is kept of each run, by name
    for k in range(len(header["biases"])):
        try:
            traces = next(stacks)  # the run at this forget bias
        except ValueError as error:
            out |= {"overflow_at": np.array(k), "overflow": np.array(str(error))}
            break
        if extract is not None:  # the page's arrays themselves, computed here (a gradient, say)
            runs.append(extract(traces, **extract_args))
        else:
            runs.append({f"{n}.{name}": a for n, trace in enumerate(traces) for name, a in _row(trace, seq).items()})
    # One array per name, the runs along its first axis: a few dozen arrays, not thousands (each costs
    # np.load some 50 microseconds).
    out |= {name: np.stack([run[name] for run in runs]) for name in (runs[0] if runs else {})}
    return _npz(out)


def _flow_curves(traces, **args):
    from viz.gradflow import flow_curves

    return flow_curves(traces, **args)


#: What a worker can take of each run of a sweep itself, by name (``extract`` of :func:`iter_sweep_remote`),
#: when taking it is work (a backward pass): the arguments come as JSON.
EXTRACTS = {"flow": _flow_curves}


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
    return _traces(configs, params, inputs, sequence_length, arrays.__getitem__)


def _traces(configs, params, inputs, lengths, computed: Callable[[str], np.ndarray]) -> list[Trace]:
    """The :class:`lstm_core.Trace` records of a stack whose computed arrays are ``computed(layer +
    "." + name)`` (what a worker sent), each layer's input the output of the one below."""
    traces, layer_inputs = [], np.asarray(inputs)
    for n, (cfg, layer) in enumerate(zip(configs, params, strict=True)):
        trace = Trace(
            config=cfg,
            params=layer,
            inputs=layer_inputs,
            initial_state=LSTMStateTuple(computed(f"{n}.initial_c"), computed(f"{n}.initial_h")),
            sequence_length=None if lengths is None else np.asarray(lengths),
            **{name: computed(f"{n}.{name}") for name in COMPUTED},
            final_state=LSTMStateTuple(computed(f"{n}.final_c"), computed(f"{n}.final_h")),
        )
        traces.append(trace)
        layer_inputs = trace.outputs
    return traces


def _one_sequence(rows: dict[str, np.ndarray], batch: int, seq: int) -> Callable[[str], np.ndarray]:
    """``rows`` (one sequence's arrays) as arrays of the whole batch, zeros but at ``seq``: the same
    shapes as the whole run, so that what is taken of sequence ``seq`` (or computed from it alone,
    as its gradient) is the run's own, bit for bit."""

    def full(name: str) -> np.ndarray:
        row = rows[name]
        array = np.zeros((batch, *row.shape), dtype=row.dtype)
        array[seq] = row
        return array

    return full


def iter_sweep_remote(
    configs: Sequence[LSTMConfig],
    params: Sequence[LSTMParams],
    inputs: np.ndarray,
    forget_biases: Sequence[float],
    initial_states: Sequence[LSTMStateTuple | None] | None,
    sequence_length: np.ndarray | None,
    seq: int,
    extract: tuple[str, dict] | None = None,
) -> Iterator[list[Trace] | dict[str, np.ndarray]]:
    """:func:`lstm_core.sweep.iter_sweep` computed in a worker, for what is taken of sequence ``seq``
    alone: each stack's arrays of sequence ``seq`` are the run's own, bit for bit; the other
    sequences are zeros. With ``extract`` ([name, arguments] of :data:`EXTRACTS`), the worker takes
    that of each run and this yields it instead. A forget bias at which the cell overflows raises
    lstm_core's ValueError when its stack is asked for, as iter_sweep does."""
    from .pool import compute

    biases = [float(b) for b in forget_biases]
    header, blob = pack(configs, params, inputs, initial_states, sequence_length)
    request = header | {
        "kind": "sweep",
        "biases": biases,
        "seq": int(seq),
        "extract": list(extract) if extract else None,
    }
    job = compute().submit("", "sweep", request, blob)
    job.wait()
    if job.state != "done" or not job.result:
        raise RuntimeError(job.error.removeprefix("Training failed: ").rstrip(".") or "its worker stopped")
    rows = _unpack(job.result)
    for k, fb in enumerate(biases):
        if "overflow_at" in rows and int(rows["overflow_at"]) == k:
            raise ValueError(str(rows["overflow"]))
        run = {name: array[k] for name, array in rows.items() if name not in ("overflow_at", "overflow")}
        if extract is not None:
            yield run
            continue
        stack = [replace(cfg, forget_bias=fb) for cfg in configs]
        yield _traces(stack, params, inputs, sequence_length, _one_sequence(run, np.asarray(inputs).shape[0], seq))
