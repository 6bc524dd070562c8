"""Numbers and lists as the figures and notes print them: one home for every formatting rule.

Plain strings only (no Plotly, no NumPy): fixed decimals with a true minus sign, powers of ten with
superscripts, colour-bar ticks, "37 times", "a, b and c".
"""

from __future__ import annotations

import html
import math

#: Digits and minus as Unicode superscripts, for powers of ten in plain text.
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(value: float, digits: int = 3, minus: str = "−") -> str:
    """A number as the page prints it: fixed decimals, a true minus sign (``minus="-"`` for LaTeX),
    no '-0.000'."""
    text = f"{value:.{digits}f}"
    if text[0] == "-" and float(text) == 0:  # only a negative number can print as -0.000
        text = f"{0:.{digits}f}"
    return text.replace("-", minus)


def ten_to(exponent: int) -> str:
    """10 to a whole power in plain text: "10⁻⁹", "10¹²"."""
    return "10" + str(exponent).translate(SUPERSCRIPTS)


def power_of_ten(value: float) -> str:
    """``value`` as "4.4 × 10⁻⁹" (two significant digits, a true superscript)."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.replace('-', '−')} × {ten_to(int(exponent))}"


def decade(exponent: float) -> str:
    """10^exponent as a log-scale tick shows it: 1, 10, then 10<sup>−3</sup> (HTML, which Plotly's
    tick labels render)."""
    if exponent == 0:
        return "1"
    if exponent == 1:
        return "10"
    return f"10<sup>{exponent:g}</sup>".replace("-", "−")


def times(log_value: float) -> str:
    """How many times, given as log10, as a learner reads it: '37 times', or '10¹² times' when huge."""
    if log_value < 3:
        return f"{10**log_value:.3g} times"
    return f"{ten_to(round(log_value))} times"


def fraction(value: float) -> str:
    """A fraction in [0, 1] as a learner reads it: a percentage, or a power of ten when tiny."""
    if value >= 0.001:
        return f"{100 * value:.1f}%"
    if value == 0:
        return "0"
    return power_of_ten(value)


def tick(value: float) -> str:
    """A colour-bar number that stays readable however small: two decimals; two significant digits
    below 0.1 (0.012, 0.0021), and a power of ten below 0.0001."""
    if value == 0 or abs(value) >= 0.1:
        return fmt(value, 2)
    if abs(value) >= 1e-4:
        return fmt(value, 1 - math.floor(math.log10(abs(value))))
    return power_of_ten(value)


def ticks(zmin: float, zmax: float) -> list[str]:
    """The labels of a colour bar's ends and middle, each as :func:`tick` writes it."""
    return [tick(zmin), tick((zmin + zmax) / 2), tick(zmax)]


def rounded_ticks(zmin: float, zmax: float) -> list[str]:
    """The labels of a colour bar's ends and middle for ranges of at least 0.1 or so: the ends with
    two decimals (none from 10 on), the middle with one."""
    return [
        fmt(zmin, 2 if abs(zmin) < 10 else 0),
        fmt((zmin + zmax) / 2, 1),
        fmt(zmax, 2 if abs(zmax) < 10 else 0),
    ]


def and_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: The longest name a chart writes as a tick label (a feature named in a learner's CSV header; the
#: page lists the names in full, and the live view's hover shows them).
LABEL_CHARS = 8


def cut_label(text: str, limit: int = LABEL_CHARS) -> str:
    """A name from a learner's file on one line, cut to ``limit`` characters (as a chart shows it)."""
    text = " ".join(str(text).split())
    return text[: limit - 1] + "…" if len(text) > limit else text


def chart_text(text: str, limit: int = LABEL_CHARS) -> str:
    """A name from a learner's file as a chart label: cut (:func:`cut_label`) and HTML-escaped, so
    that Plotly shows it as text (Plotly reads tags such as ``<a href>`` and ``<b>`` in labels)."""
    return html.escape(cut_label(text, limit), quote=False)
