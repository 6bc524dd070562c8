"""What a live forget_bias slider swaps in: the page's arrays at every forget bias of a grid.

A live page (Explore, Step through, Gradient flow) asks :func:`live_sweep` for the arrays it shows
(one sequence of one layer, say) at every forget bias from -5 to 5; the browser then picks the
arrays of the value under the slider's thumb, with no server message while it moves. Every array
is what lstm_core computed: :func:`lstm_core.sweep.iter_sweep` runs the cell once per value, exactly
as the page's own run at that value.

Two limits, both checked from the sizes before anything runs:

- :data:`LIVE_BYTES`: what one page sends for its sweep (8 MB). A classroom's Wi-Fi carries 30
  students' pages; 8 MB is a few seconds for each, once per change of the other settings.
- :data:`SWEEP_CELLS`: what one sweep computes (cells of all its runs together: a quarter of a
  second of this machine's CPU for forward runs, about a second with Gradient flow's backward passes,
  ``python -m bench.sweep``), so that one student's sweep does not hold up the others; one over
  :data:`REMOTE_SWEEP_CELLS` runs in a worker process.

When the finest grid (every 0.1) does not fit, a coarser one is tried (0.2, 0.5, 1); when none
fits, the sweep is skipped and the page's slider works through the server, with :attr:`Live.reason`
as its caption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from lstm_core import LSTMConfig, Trace
from lstm_core.sweep import iter_sweep, sweep_grid
from workers import remote

from . import runs
from .model import Run, initial_states

#: The most bytes of arrays one page sends for its live slider.
LIVE_BYTES = 8 * 1024 * 1024
#: The most cells (sequences x steps x units, all layers) all the runs of one sweep compute together.
SWEEP_CELLS = 4_000_000
#: A sweep of more cells than this runs in a worker process (workers.remote.iter_sweep_remote): a
#: smaller one costs the server less here than sending it there and taking it back, about 30 ms of
#: its CPU. Measured on this machine: Explore's sweep of 8 sequences x 120 steps x 32 units at 21
#: values (645,120 cells) takes 40 ms here; Gradient flow's of the same at 101 values (3.1 million
#: cells, a backward pass each) 0.8 CPU-seconds here, against 5 ms of the server's CPU in a worker.
REMOTE_SWEEP_CELLS = 1_000_000


@dataclass(frozen=True)
class Live:
    """A sweep, or why there is none: ``arrays[name][k]`` is ``name`` at ``biases[k]``."""

    biases: np.ndarray | None
    arrays: dict[str, np.ndarray]
    reason: str = ""
    key: str = ""  # its key in the shared cache (for what is derived from it)

    @property
    def step(self) -> float:
        """The grid's spacing (0.1 at best)."""
        return (
            round(float(self.biases[1] - self.biases[0]), 6)
            if self.biases is not None and len(self.biases) > 1
            else 0.0
        )

    def index(self, forget_bias: float) -> int:
        """The grid position nearest ``forget_bias``."""
        return int(np.argmin(np.abs(self.biases - forget_bias)))


def _on_grid(value: float) -> bool:
    """Whether ``value`` is one of the finest grid's values (a multiple of 0.1 from -5 to 5)."""
    return abs(value * 10 - round(value * 10)) < 1e-6 and -5 - 1e-9 <= value <= 5 + 1e-9


def _skipped(reason: str) -> Live:
    return Live(None, {}, reason)


def live_sweep(
    model: Run,
    what: str,
    extract: Callable[[list[Trace]], dict[str, np.ndarray]],
    bytes_per_run: int,
    include: float | None = None,
    *,
    seq: int,
    named: tuple[str, dict] | None = None,
) -> Live:
    """The arrays ``extract`` takes from each run of ``model`` (every layer) at every forget bias of
    the finest grid that fits the limits, stacked along a new first axis, kept in the shared cache.

    ``what`` names what ``extract`` takes (e.g. "explore:seq=0:layer=1"): it is part of the cache key,
    with the model's spec at a canonical forget bias (the sweep does not depend on it).
    ``bytes_per_run`` is what ``extract`` returns for one run, to check the limits before any run.
    ``include``: a forget bias the grid must hold (the page's own, when it lies between the grid's
    values, say 1.3 on a grid every 0.5), within the same limits. ``seq``: the one sequence ``extract``
    reads; a large sweep (over REMOTE_SWEEP_CELLS cells in all) runs in a worker process
    (workers.remote.iter_sweep_remote), which sends back that sequence only, or with ``named`` (the
    same extract by its name in workers.remote.EXTRACTS, and its arguments) what it takes.
    A forget bias at which the cell overflows skips the sweep, saying so.
    """
    batch, steps, _ = model.sequence.values.shape
    cells = batch * steps * sum(cfg.num_units for cfg in model.configs)
    extra = 0 if include is None or _on_grid(include) else 1  # the finest grid holds every 0.1
    biases = sweep_grid(max(bytes_per_run, 1), LIVE_BYTES - extra * bytes_per_run)
    by_cells = sweep_grid(max(cells, 1), SWEEP_CELLS - extra * cells)
    if biases is None or by_cells is None:
        megabytes = bytes_per_run * 11 / 2**20
        return _skipped(
            f"Too large to precompute every forget_bias: even 11 values would send {megabytes:.1f} MB "
            f"(a page sends at most {LIVE_BYTES // 2**20} MB) or compute {11 * cells:,} cells (at most "
            f"{SWEEP_CELLS:,}). The slider works through the server instead: each value you release reruns the cell."
        )
    if len(by_cells) < len(biases):
        biases = by_cells
    if include is not None and not np.any(np.abs(biases - include) < 1e-9):
        biases = np.sort(np.append(biases, float(include)))
    spec = model.spec
    canonical = replace(spec, forget_bias=0.0, trained_forget_bias=0.0 if spec.trained else None)
    grid = f"{len(biases)}" if len(biases) in (11, 21, 51, 101) else ",".join(f"{b:g}" for b in biases)
    key = f"sweep:{what}:{grid}:{runs.cache_key(canonical)}"

    def compute() -> Live:
        states = None if model.weights is not None else initial_states(spec, model.configs, batch)
        lengths = model.traces[0].sequence_length  # the learner's own data: sequences of several lengths
        args = (model.configs, model.params, model.sequence.values, biases, states, lengths)
        take = extract
        if len(biases) * cells > REMOTE_SWEEP_CELLS and all(isinstance(cfg, LSTMConfig) for cfg in model.configs):
            stacks = remote.iter_sweep_remote(*args, seq, named)  # the server's interpreter stays free meanwhile
            take = extract if named is None else dict
        else:
            stacks = iter_sweep(*args)
        parts = []
        for fb in biases:
            try:
                parts.append(take(next(stacks)))
            except ValueError as error:  # the run at fb overflowed: lstm_core says where
                return _skipped(
                    f"At forget_bias {fb:g} the cell overflows: {error} The slider works through the server instead."
                )
            except RuntimeError as error:  # the worker that ran it failed
                return _skipped(
                    f"The values could not be computed ahead ({error}). The slider works through the server instead."
                )
        return Live(biases, {name: np.stack([part[name] for part in parts]) for name in parts[0]}, key=key)

    return runs.cached(key, compute, heavy=len(biases) * cells > runs.LARGE_CELLS)
