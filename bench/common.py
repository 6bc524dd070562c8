"""Shared benchmark helpers: thread limits, timing, and a markdown table printer."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def limit_threads(n: int = 2) -> None:
    """Ask every BLAS/OpenMP pool for ``n`` threads. Must run before NumPy is imported."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def alternating_medians(
    fns: dict[str, Callable[[], object]], block_time: float = 0.4, blocks: int = 5
) -> dict[str, float]:
    """Median wall time per call of each function, measured in alternating warm blocks.

    Each block calls one function repeatedly for ``block_time`` seconds (at least 3 timed calls)
    after one untimed warm-up call, so each runs warm, as it would on its own (PyTorch's thread
    pool goes cold if calls are interleaved one by one). The blocks alternate between the
    functions ``blocks`` times, so slow drift of a shared machine affects all of them alike.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(blocks):
        for name, fn in fns.items():
            fn()
            started = time.perf_counter()
            calls = 0
            while calls < 3 or time.perf_counter() - started < block_time:
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
                calls += 1
    return {name: statistics.median(ts) for name, ts in times.items()}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
