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


def median_seconds(fn: Callable[[], object], min_time: float = 0.5, min_repeats: int = 5) -> float:
    """Median wall time of ``fn()`` over at least ``min_repeats`` calls and ``min_time`` seconds
    (after one warm-up call)."""
    fn()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < min_repeats or time.perf_counter() - started < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 200:
            break
    return statistics.median(times)


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
