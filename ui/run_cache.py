"""One memory budget for everything the server keeps between reruns: runs, gradient flows, downloads.

Every session of the server shares one :class:`SharedCache`. It is keyed on small strings (a
spec's canonical JSON, never arrays) and holds at most :data:`BUDGET_BYTES` of values, the least
recently used going first; a value larger than :data:`MAX_ENTRY_BYTES` is computed and returned
but not kept. Values are returned as they are, not copied (``st.cache_data`` unpickles a fresh
copy on every hit, which for a large run is a second run's worth of memory per session): what is
cached is never mutated (a Trace is a frozen record).

Two sessions asking for the same key at once compute it once; computations of large values are
limited to :data:`HEAVY_AT_ONCE` at a time (the others wait), so a class opening the costliest
link together holds a few large runs in memory, not thirty. Plain Python (no Streamlit): the
pages reach it through ui.runs; Streamlit's ``clear_cache`` (which any websocket client may send)
does not touch it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np


def _budget_from_environment(default_mb: int = 1024) -> int:
    """LSTM_CACHE_MB (a whole number of MB, at least 64) if set, else ``default_mb``; in bytes."""
    try:
        megabytes = int(os.environ.get("LSTM_CACHE_MB", default_mb))
    except ValueError:
        megabytes = default_mb
    return max(megabytes, 64) * 1024 * 1024


#: The most the cache holds, all values together (what a class's runs may keep in memory): 1 GB,
#: or the LSTM_CACHE_MB environment variable's value (README, "A class at once").
BUDGET_BYTES = _budget_from_environment()
#: A value larger than this is returned but not kept.
MAX_ENTRY_BYTES = 256 * 1024 * 1024
#: Values computed from more than this much work are "heavy": at most HEAVY_AT_ONCE at a time.
HEAVY_AT_ONCE = 2


def nbytes(value: Any) -> int:
    """The memory ``value`` holds in NumPy arrays and bytes, each buffer counted once (views of one
    buffer, as a Trace's gates are, share it). Walks dataclasses, lists, tuples and dicts."""
    seen: set[int] = set()
    total = 0
    stack = [value]
    visited: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            root = item
            while isinstance(root.base, np.ndarray):
                root = root.base
            if id(root) not in seen:
                seen.add(id(root))
                total += root.nbytes
            continue
        if isinstance(item, bytes | bytearray | str):
            total += len(item)
            continue
        if id(item) in visited:
            continue
        visited.add(id(item))
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
    return total


class SharedCache:
    """A thread-safe, byte-budgeted LRU cache of computed values (see the module docstring)."""

    def __init__(
        self, budget: int = BUDGET_BYTES, max_entry: int = MAX_ENTRY_BYTES, heavy_at_once: int = HEAVY_AT_ONCE
    ) -> None:
        self.budget, self.max_entry = budget, max_entry
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._heavy = threading.BoundedSemaphore(heavy_at_once)
        self.held = 0  # bytes of the values kept

    def get(self, key: str, compute: Callable[[], Any], *, heavy: bool = False) -> Any:
        """The value of ``key``, computed by ``compute()`` if it is not kept (exceptions pass through,
        nothing is kept for them). ``heavy`` computations wait for one of HEAVY_AT_ONCE places."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # a second request for the same key waits for the first, then finds it kept
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key][0]
            if heavy:
                with self._heavy:
                    value = compute()
            else:
                value = compute()
            self._keep(key, value)
        with self._lock:
            self._key_locks.pop(key, None)
        return value

    def _keep(self, key: str, value: Any) -> None:
        size = nbytes(value)
        if size > self.max_entry or size > self.budget:
            return
        with self._lock:
            self._entries[key] = (value, size)
            self.held += size
            while self.held > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.held -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.held = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries
