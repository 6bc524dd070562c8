"""Many frames of text, sent small: templates made once, and the numbers that fill them per frame.

A live view precomputes everything it shows at every frame (a step at a forget bias): labels,
equations, sentences, colours, as the strings the page would print. Most of each string is the
same from frame to frame; only its numbers change. :func:`encode` splits every string into its
numbers (:data:`NUMBER`: "0.731", "-0.5000", "(-0.1234)", "73.1%", "#1f77b4") and the text between
them, a *skeleton*, kept once in a table (converted once to the markup the browser shows: SVG text,
MathML), so that a frame is one line of numbers. The browser only joins a skeleton's parts with a
frame's numbers: every digit on the page is one Python printed.

Strings that are the same in every frame are sent once, as they are (``static``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

#: What changes inside a string from frame to frame: a colour, a number in parentheses (a negative
#: term of an equation), a number with decimals (and a per cent sign). Whole numbers (t-1, "4 values")
#: stay in the skeleton.
NUMBER = re.compile(r"(#[0-9a-f]{6}|\([-−]\d+\.\d+\)|[-−]?\d+\.\d+%?)")
#: Where a number goes in a skeleton while it is converted to markup.
SLOT = "\x00"


@dataclass(frozen=True)
class Kind:
    """How one kind of string reaches the browser: its skeleton converted once to markup
    (``markup(skeleton with SLOT where each number goes)``), each number as it is written into it."""

    markup: Callable[[str], str]
    number: Callable[[str], str] = str
    #: Every string of this kind is one number and nothing else (a colour): no need to look for them.
    whole: bool = False

    def render(self, text: str) -> str:
        """The whole string as the browser shows it (what a static string is sent as)."""
        parts = NUMBER.split(text)
        return _join(_parts(self, tuple(parts[0::2])), [self.number(n) for n in parts[1::2]])


def _join(parts: list[str], numbers: list[str]) -> str:
    out = [parts[0]]
    for number, part in zip(numbers, parts[1:], strict=True):
        out += [number, part]
    return "".join(out)


@lru_cache(maxsize=4096)
def _parts(kind: Kind, literals: tuple[str, ...]) -> list[str]:
    """A skeleton (the text between the numbers) as markup, split where the numbers go."""
    parts = kind.markup(SLOT.join(literals)).split(SLOT)
    if len(parts) != len(literals):
        raise ValueError(f"the markup of {literals!r} lost or added a slot")
    return parts


def encode(frames: list[dict[str, str]], kinds: dict[str, Kind]) -> dict:
    """Frames (each {piece name: string}, the same names in each) as the browser receives them:

    - ``static``: {name: markup} of the pieces that are the same in every frame;
    - ``dynamic``: the names of the others, in the order a frame lists them;
    - ``skeletons``: each skeleton as its markup's parts (a frame's numbers go between them);
    - ``shapes``: each distinct list of skeletons, one per dynamic piece;
    - ``frames``: per frame, "shape number number ...", space separated (no number holds a space).

    ``kinds[name]`` (or ``kinds[prefix]`` for "prefix:rest") says how piece ``name`` is shown.
    """
    first = frames[0]
    prefix = {name: name if name in kinds else name.split(":", 1)[0] for name in first}
    kind_of = {name: kinds[prefix[name]] for name in first}
    dynamic = [name for name in first if any(frame[name] != first[name] for frame in frames)]
    static = {name: kind_of[name].render(text) for name, text in first.items() if name not in dynamic}
    skeletons: dict[tuple, int] = {}
    shapes: dict[tuple[int, ...], int] = {}
    lines = []
    for frame in frames:
        ids, numbers = [], []
        for name in dynamic:
            kind = kind_of[name]
            parts = ["", frame[name], ""] if kind.whole else NUMBER.split(frame[name])
            ids.append(skeletons.setdefault((prefix[name], tuple(parts[0::2])), len(skeletons)))
            numbers += parts[1::2] if kind.number is str else [kind.number(n) for n in parts[1::2]]
        lines.append(" ".join([str(shapes.setdefault(tuple(ids), len(shapes))), *numbers]))
    return {
        "static": static,
        "dynamic": dynamic,
        "skeletons": [_parts(kinds[kind], literals) for kind, literals in skeletons],
        "shapes": [list(ids) for ids in shapes],
        "frames": lines,
    }


def decode(table: dict, index: int) -> dict[str, str]:
    """Frame ``index`` of an :func:`encode` table, every piece as the browser shows it (what
    live_step.js does; the tests compare it with the strings the page prints)."""
    shape, *numbers = table["frames"][index].split(" ")
    out = dict(table["static"])
    position = 0
    for name, skeleton in zip(table["dynamic"], table["shapes"][int(shape)], strict=True):
        parts = table["skeletons"][skeleton]
        out[name] = _join(parts, numbers[position : position + len(parts) - 1])
        position += len(parts) - 1
    return out
