"""Numbers as a student reads them: significant digits, ×10ⁿ, a real minus sign, plurals.

Two spellings of each number: plain text (for Markdown and metric cards, with
Unicode superscripts: ``1.2×10⁻⁵``) and LaTeX (for the formulas:
``1.2 \\times 10^{-5}``). :func:`operand_digits` picks how many digits a formula's
operands need so that a student who redoes the arithmetic on the shown numbers
gets the shown result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

MINUS = "−"  # U+2212: for reading; deltas use "-" (Streamlit reads their sign)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _mantissa_exponent(value: float, digits: int) -> tuple[str, int] | None:
    """``(mantissa text, exponent)`` when ``value`` needs scientific notation, else None."""
    if value == 0:
        return None
    exponent = math.floor(math.log10(abs(value)))
    mantissa = float(f"{value / 10**exponent:.{digits - 1}f}")
    if abs(mantissa) >= 10:  # 9.9996 → 10.00: carry into the exponent
        mantissa /= 10
        exponent += 1
    if -4 <= exponent < 6:
        return None
    text = f"{mantissa:.{digits - 1}f}".rstrip("0").rstrip(".")
    return text, exponent


def num(value: float, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits: ``0.1234``, ``1.235×10⁻⁵``, ``−3``, ``∞``."""
    value = float(value)
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else f"{MINUS}∞"
    sci = _mantissa_exponent(value, digits)
    if sci is not None:
        text = f"{sci[0]}×10{str(sci[1]).translate(_SUPERSCRIPT)}"
    else:
        text = f"{value:.{digits}g}"
        if "e" in text:  # e.g. 123456 at 4 digits: write it out
            text = f"{value:.0f}"
    return text.replace("-", MINUS)


def tex(value: float, digits: int = 4) -> str:
    """``value`` for LaTeX: ``0.1234``, ``1.235 \\times 10^{-5}``, ``-3``, ``\\infty``."""
    value = float(value)
    if math.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    sci = _mantissa_exponent(value, digits)
    if sci is not None:
        return rf"{sci[0]} \times 10^{{{sci[1]}}}"
    text = f"{value:.{digits}g}"
    return f"{value:.0f}" if "e" in text else text


def db(value: float, decimals: int = 1) -> str:
    """A decibel figure: ``10.1 dB``, ``−3.0 dB``, ``∞ dB``."""
    if math.isinf(value):
        return f"{num(value)} dB"
    return f"{value:.{decimals}f} dB".replace("-", MINUS)


def percent(fraction: float) -> str:
    """A share: ``0 %``, ``0.012 %``, ``12.3 %``, ``100 %``."""
    p = 100.0 * fraction
    if p == 0:
        return "0 %"
    if p >= 99.95 and p < 100:
        return f"{p:.3g} %"
    return f"{p:.2g} %" if p < 10 else f"{p:.3g} %"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 value``, ``75 values``, ``1,234 values``."""
    word = noun if n == 1 else (plural or noun + "s")
    return f"{n:,} {word}"


def decimals(largest: float, digits: int) -> int:
    """The decimals that give ``largest`` (a magnitude) ``digits`` significant digits: the
    place at which sums and differences of numbers up to ``largest`` are shown, so that
    float32's noise does not (2.24 − 2.3 is −0.05999994 in float32; at 6 digits on 5.6 it
    reads −0.06)."""
    if largest == 0 or not math.isfinite(largest):
        return digits - 1
    return digits - 1 - math.floor(math.log10(abs(largest)))


def operand_digits(
    compute: Callable[..., float],
    operands: Sequence[float],
    show: Callable[[float], str] = num,
    start: int = 4,
    most: int = 9,
) -> int:
    """The fewest significant digits (from ``start``) for ``operands`` such that
    ``show(compute(*shown operands)) == show(compute(*operands))``: a formula's shown
    operands reproduce its shown result when a student redoes the arithmetic.
    """
    target = show(compute(*operands))
    for digits in range(start, most + 1):
        shown = [float(f"{float(v):.{digits}g}") for v in operands]
        try:
            if show(compute(*shown)) == target:
                return digits
        except (ZeroDivisionError, ValueError, OverflowError):
            continue
    return most


WORD_JOINER = "\u2060"  # invisible, and no line break at it

# Where GFM would turn plain text into a link (Streamlit links bare addresses after the
# Markdown is parsed, so escapes do not stop it): a scheme's "://", "www.", an e-mail's "@".
_AUTOLINKS = re.compile(r"(?i)(?<=[a-z]:)(?=//)|(?<=\bwww)(?=\.)|(?<=\w@)(?=\w)")


def md_escape(text: str) -> str:
    """``text`` shown literally in Markdown (file and tensor names come from users' files,
    values from links): Markdown's punctuation escaped, and an invisible word joiner
    (U+2060) where GFM would link a bare address (``http:⁠//``, ``www⁠.``, ``a@⁠b.org``)."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))
    text = _AUTOLINKS.sub(WORD_JOINER, text)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])", r"\\\1", text)
