"""What a learner made, kept on the server for a while, so that a reload or a shared link finds it.

Streamlit keeps a session's state only while its browser tab stays connected: a reload starts a
new session, empty. The Train page's runs, a model opened on Explore and a custom sequence too
long for a link are put on the :class:`Shelf` under a **token**, a random key that only the link
carries (``runs=``, ``mine=``, ``custom_ref=``), and a new session that opens such a link takes them
back. A token starts with the server's :data:`BOOT` mark, so that a token the shelf does not hold
says why: the server restarted since, or the shelf dropped it (kept :data:`KEEP_SECONDS` after its
last use, the least recently used going first beyond :data:`BUDGET_BYTES`).

Plain Python (no Streamlit); one shelf for the whole server (:data:`SHELF`).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .run_cache import nbytes

#: A mark of this start of the server: every token made now begins with it.
BOOT = secrets.token_hex(2)
#: How long an entry is kept after it was last put or taken, and what all entries may hold together.
KEEP_SECONDS = 2 * 60 * 60
BUDGET_BYTES = 256 * 1024 * 1024
KEEP_HOURS = KEEP_SECONDS // 3600
#: What a token looks like (the link's keys are checked against it before any lookup).
TOKEN = re.compile(r"[0-9a-f]{4}[A-Za-z0-9_-]{10,16}")


def new_token() -> str:
    return BOOT + secrets.token_urlsafe(9)


def is_token(text: str) -> bool:
    return bool(TOKEN.fullmatch(text))


def why_missing(token: str) -> str:
    """Why the shelf does not hold ``token``: a sentence that ends without a full stop."""
    if not token.startswith(BOOT):
        return "the server has restarted since, and what it kept went with it"
    return (
        f"the server keeps such work {KEEP_HOURS} hours after its last use (less when a whole class fills its "
        "store), and this was dropped"
    )


@dataclass
class _Entry:
    value: Any
    size: int
    used: float = field(default_factory=time.monotonic)


class Shelf:
    """A thread-safe, byte-budgeted store of values by token, each dropped KEEP_SECONDS after its last use."""

    def __init__(self, budget: int = BUDGET_BYTES, keep_seconds: float = KEEP_SECONDS) -> None:
        self.budget, self.keep_seconds = budget, keep_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.held = 0

    def put(self, token: str, value: Any) -> None:
        size = nbytes(value)
        with self._lock:
            old = self._entries.pop(token, None)
            if old is not None:
                self.held -= old.size
            if size > self.budget:
                return
            self._entries[token] = _Entry(value, size)
            self.held += size
            self._drop_old()

    def get(self, token: str) -> Any | None:
        with self._lock:
            self._drop_old()
            entry = self._entries.get(token)
            if entry is None:
                return None
            entry.used = time.monotonic()
            self._entries.move_to_end(token)
            return entry.value

    def _drop_old(self) -> None:
        now = time.monotonic()
        while self._entries:
            token, entry = next(iter(self._entries.items()))
            if self.held <= self.budget and now - entry.used <= self.keep_seconds:
                break
            del self._entries[token]
            self.held -= entry.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.held = 0

    def __contains__(self, token: str) -> bool:
        with self._lock:
            return token in self._entries


SHELF = Shelf()
