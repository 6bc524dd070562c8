"""How error messages quote what they were given: always short, whatever the input.

A ValueError may quote a bad value or list unknown names, and the app shows it to a learner, so no
message may grow with its input (a 12,000-entry archive must not make an 800 KB alert). The app
escapes messages before showing them (ui.markup); this module only bounds them.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The longest value quoted, and the most names listed.
MAX_CHARS = 40
MAX_ITEMS = 5


def cut(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters (an ellipsis marks the cut)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def shown(value: object, limit: int = MAX_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    return cut(repr(value), limit)


def listed(names: Iterable[object], limit: int = MAX_ITEMS) -> str:
    """At most ``limit`` names, each cut, then how many more there are: "a, b, c and 11,995 more"."""
    names = [cut(str(name)) for name in names]
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more:,} more" if more > 0 else "")
