"""User text made inert before it reaches Streamlit's Markdown: the one place that does it.

Whatever a link, a file, a table or a text box held may be quoted back to the learner (a bad value,
an unknown key, a file name, a model's title). Streamlit renders every message, caption, alert and
label as Markdown, and its renderer does more than CommonMark: it turns bare URLs, ``www.``
addresses and e-mail addresses into links *after* parsing (mdast-util-gfm-autolink-literal works on
the text nodes, so backslash escapes and HTML entities do not stop it), and it knows LaTeX
(``$...$``), coloured text (``:red[...]``) and icons (``:material/...:``). Code spans are the one
construct none of that touches, so:

- :func:`quote` shows a value *as it was given*, in a code span (cut to a length), for every value
  quoted in a message;
- :func:`escape` keeps prose readable (a model's title, an error message that quotes a value):
  Markdown punctuation is backslash-escaped and anything a link could be made of goes into a code
  span;
- :func:`quote_list` quotes a few items of a long list ("and 11,995 more"), so no message grows
  with its input.

Plain Python (no Streamlit): tests/e2e/test_injection_browser.py checks in Chromium that nothing a
link or an upload carries becomes a link, an image, a formula, a colour or a request.
"""

from __future__ import annotations

import re

#: The longest value quoted in a message, and the most items of a list.
QUOTE_CHARS = 40
LIST_ITEMS = 5
#: A run of text a link could be made of: a scheme (``http:``, ``mailto:``, ``javascript:``),
#: ``www.``, ``//host`` or an ``@``.
_LINKLIKE = re.compile(r"\S*(?:[A-Za-z][\w+.-]*:(?=\S)|www\.|//|@)\S*", re.IGNORECASE)
#: Every ASCII punctuation character may be backslash-escaped in CommonMark.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _cut(text: str, limit: int | None) -> str:
    text = " ".join(str(text).split())  # one line: a new line would end a list item or a table row
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 1)] + "…"
    return text


def _code_span(text: str) -> str:
    """``text`` in a code span whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def quote(value: object, limit: int | None = QUOTE_CHARS) -> str:
    """``value`` as it was given, shown in a code span (at most ``limit`` characters, on one line)."""
    text = _cut(str(value), limit)
    # Streamlit rewrites ":material/x:" to ":material_x:" even inside code; an invisible word joiner
    # after the colon keeps the text as it was given.
    text = text.replace(":material/", ":\u2060material/")
    return _code_span(text) if text else "(empty)"


def escape(text: object, limit: int | None = None) -> str:
    """Prose that may contain user text, rendered as the same text: no Markdown, no links, no maths,
    no colours, no icons. Link-like runs (``http://...``, ``www.x``, ``a@b``) are shown in code spans."""
    text = _cut(str(text), limit)
    out: list[str] = []
    position = 0
    for match in _LINKLIKE.finditer(text):
        out.append(_PUNCTUATION.sub(r"\\\1", text[position : match.start()]))
        out.append(_code_span(match.group()))
        position = match.end()
    out.append(_PUNCTUATION.sub(r"\\\1", text[position:]))
    return "".join(out)


def quote_list(items: list | tuple, limit: int = LIST_ITEMS, chars: int = QUOTE_CHARS) -> str:
    """At most ``limit`` items, each quoted, then how many more there are."""
    items = list(items)
    shown = ", ".join(quote(item, chars) for item in items[:limit])
    more = len(items) - limit
    return shown + (f" and {more:,} more" if more > 0 else "")
