"""The seed article's mistakes, computed on a worked example's values beside the right numbers.

The tutorial quantviz grew from (the "seed article") builds its grid from the
values' own range, ``R = max − min`` (its "range"), and makes these mistakes:

1. ``step = R / b`` (its text: range 100, 8 bits → 12.5); right: ``R / (2^b − 1)``.
2. ``step = R / 2^b`` (its formula section): ``2^b`` levels have ``2^b − 1`` gaps, so
   the top level ``min + (2^b − 1) · R / 2^b = max − R / 2^b`` misses ``max``.
3. "value 12.5, step 12.5 → 13": the value is rounded to a whole number, which is
   neither the code (``round(12.5 / 12.5) = 1``) nor its value (``1 · 12.5 = 12.5``).
4. ``x_q = round(x / step) · step`` with ``step = R / 2^b``, no zero point and no clamp:
   the codes ``round(x / step)`` run past what ``b`` bits hold (3 bits, ``[1.2 … 5.6]``:
   ``5.6 / 0.55 → 10 > 7``).
5. normalization ``(x − min) / (R / 2)``: lands in ``[0, 2]``; right (into ``[−1, 1]``):
   ``2 (x − min) / R − 1``.
6. dequantization ``round(x_q / step) · step + min``: rounds a second time and adds
   ``min``, which its quantization never took off; right: ``x̂ = (q − z) · s``.
7. its own dequantization example, "13, step 12.5 → 12": a code 13 on a step of 12.5
   stands for ``(13 − 0) · 12.5 = 162.5`` (:data:`DEQUANTIZE_EXAMPLE`); 12 is neither.
8. its dequantization code starts from the codes alone and recomputes ``min``, ``max``
   and the range from *them*: ``step = (max q − min q) / 2^b``, ``x̂ = round(q / step) ·
   step + min q``. The values' range is lost with the codes; the scale and the zero
   point must be stored beside them (3 bits, q = ``[2, 3, 4, 6, 7]``: ``[3.875, 5.125,
   5.75, 8.25, 8.875]`` instead of ``[1.6, 2.4, 3.2, 4.8, 5.6]``).

(Its ``bits = log2(R / step)`` before ``step`` exists is a ``NameError`` and has no
number: the page states it.)

Two ranges, compared like with like:

* the steps (1, 2) and the normalization (5) are compared on the article's range
  ``[min, max]``, not widened to include 0, with the asymmetric ``b``-bit codes
  ``0 … 2^b − 1`` whatever the scheme (the article's grid starts at ``min``);
* the codes and values (3, 4, 6) are compared with the worked example's own grid,
  :func:`quantviz.worked.worked_example` (PyTorch's min-max grid for the scheme: the
  range widened to include 0, or ``±max|x|``), i.e. the ``q`` and ``x̂`` its table shows.

The article's arithmetic is done as its numpy code does it, in float64 (on the float32
values the worked example quantizes), with ``np.round`` (half to even) except in 3,
whose example rounds half away from zero (12.5 → 13).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.quantizer import code_range, dequantize, qparams
from quantviz.worked import worked_example

F64 = np.float64


@dataclass(frozen=True)
class DequantizeExample:
    """The article's own dequantization example: "the value 13 with step 12.5 → 12"."""

    code: int = 13
    step: float = 12.5
    article: float = 12.0

    @property
    def right(self) -> float:
        """What code ``13`` stands for on a step of 12.5 (zero point 0): ``x̂ = (q − z) · s
        = 162.5``."""
        return float(dequantize(np.asarray(self.code), F64(self.step), 0))

    @property
    def as_value(self) -> float:
        """What the article's formula gives when 13 is taken for a value, not a code:
        ``round(13 / 12.5) · 12.5 = 12.5`` (it writes 12)."""
        return float(np.round(self.code / self.step) * self.step)


DEQUANTIZE_EXAMPLE = DequantizeExample()
"""Mistake 7, the article's "13, step 12.5 → 12", against ``(q − z) · s = 162.5``."""


@dataclass(frozen=True)
class ArticleMistakes:
    """What the article computes and what it should be, on the same values and bits.

    Attributes
    ----------
    x : np.ndarray
        The values (float32, as the worked example quantizes them).
    bits : int
        ``b``.
    data_low, data_high : float
        ``min`` and ``max`` of the values.
    value_range : float
        The article's range ``R = max − min`` (float64, not widened to include 0).
    qmin, qmax : int
        The worked example's codes (the scheme on the page): what ``b`` bits hold.
    step_per_bit : float
        Mistake 1, the article's step ``R / b`` (units of x).
    step_per_level : float
        Mistake 2 (and the step of 4 and 6), ``R / 2^b``: the range over the number of
        levels instead of the number of gaps (units of x).
    scale : float
        The right step on the article's range: ``R / (2^b − 1)``, as the library computes
        it (:func:`quantviz.qparams` on ``[−R/2, R/2]``, a range of width R that already
        contains 0, so it is not widened; a step depends only on the width). float32,
        floored at float32's epsilon as every library scale.
    article_rounded : np.ndarray
        Mistake 3, the value rounded to a whole number, half away from zero (its
        "12.5 → 13"), float64.
    codes : np.ndarray
        The right codes ``q = clamp(round(x / s) + z, qmin, qmax)`` of the worked example
        (int64).
    dequantized : np.ndarray
        The right values ``x̂ = (q − z) · s`` of the worked example (float32).
    article_codes : np.ndarray
        Mistake 4, the article's unclamped codes ``round(x / (R / 2^b))`` with no zero
        point (int64).
    article_normalized : np.ndarray
        Mistake 5, ``(x − min) / (R / 2)``: lands in ``[0, 2]`` (float64).
    normalized : np.ndarray
        The normalization into ``[−1, 1]``: ``2 (x − min) / R − 1`` (float64).
    article_dequantized : np.ndarray
        Mistake 6, the article's dequantization of its own ``x_q = article_codes · step``:
        ``round(x_q / step) · step + min`` with ``step = R / 2^b`` (float64).
    codes_only_dequantized : np.ndarray
        Mistake 8, the article's dequantization code run on the right codes ``q`` alone:
        ``min``, ``max`` and ``step = (max q − min q) / 2^b`` recomputed from the codes,
        then ``round(q / step) · step + min q`` (float64); NaN where every code is the same
        (its step is 0).
    """

    x: np.ndarray
    bits: int
    data_low: float
    data_high: float
    value_range: float
    qmin: int
    qmax: int
    step_per_bit: float
    step_per_level: float
    scale: float
    article_rounded: np.ndarray
    codes: np.ndarray
    dequantized: np.ndarray
    article_codes: np.ndarray
    article_normalized: np.ndarray
    normalized: np.ndarray
    article_dequantized: np.ndarray
    codes_only_dequantized: np.ndarray

    @property
    def gaps(self) -> int:
        """``2^b − 1``: the gaps between the ``2^b`` levels of a ``b``-bit grid."""
        qmin, qmax = code_range(self.bits)
        return qmax - qmin

    @property
    def step_ratio(self) -> float:
        """How far off mistake 1 is: ``(R / b) / (R / (2^b − 1))``, how many times too coarse
        (1 at 1 bit, where ``2^1 − 1 = 1``; 31.875 at 8 bits)."""
        return self.step_per_bit / self.scale

    @property
    def article_top_level(self) -> float:
        """Mistake 2's highest level, ``min + (2^b − 1) · R / 2^b = max − R / 2^b``."""
        return self.data_low + self.gaps * self.step_per_level

    @property
    def top_level(self) -> float:
        """The right grid's highest level on the article's range, ``min + (2^b − 1) · s``
        (``max``, up to float32 rounding of ``s``)."""
        return self.data_low + self.gaps * self.scale

    @property
    def top_shortfall(self) -> float:
        """How far off mistake 2 is: ``max − article_top_level`` (= ``R / 2^b``, one step):
        ``max`` would need code ``2^b``, one more than ``b`` bits hold."""
        return self.data_high - self.article_top_level

    @property
    def rounding_off(self) -> float:
        """How far off mistake 3 is, as a value: ``max |round(x) − x̂|`` (units of x)."""
        return float(np.max(np.abs(self.article_rounded - self.dequantized.astype(F64))))

    @property
    def out_of_range(self) -> np.ndarray:
        """True where mistake 4's code lies outside ``[qmin, qmax]``."""
        return (self.article_codes < self.qmin) | (self.article_codes > self.qmax)

    @property
    def normalization_off(self) -> float:
        """How far off mistake 5 is: ``max |(x − min)/(R/2) − (2(x − min)/R − 1)|`` (1: every
        value is shifted up by 1)."""
        return float(np.max(np.abs(self.article_normalized - self.normalized)))

    @property
    def article_dequantize_error(self) -> float:
        """How far off mistake 6 is: ``max |article's x̂ − x|`` (units of x)."""
        return float(np.max(np.abs(self.article_dequantized - self.x.astype(F64))))

    @property
    def dequantize_example(self) -> DequantizeExample:
        """Mistake 7, the article's own example (it does not depend on the values)."""
        return DEQUANTIZE_EXAMPLE

    @property
    def codes_only_step(self) -> float:
        """Mistake 8's step, recomputed from the codes: ``(max q − min q) / 2^b`` (0 when
        every code is the same)."""
        return float(self.codes.max() - self.codes.min()) / 2**self.bits

    @property
    def codes_only_error(self) -> float:
        """How far off mistake 8 is: ``max |x̂ from the codes alone − x|`` (units of x; NaN
        when the codes have no range to divide by)."""
        return float(np.max(np.abs(self.codes_only_dequantized - self.x.astype(F64))))

    @property
    def dequantize_error(self) -> float:
        """The right ``max |x̂ − x|``, for comparison (at most ``s/2`` unless clamped)."""
        return float(np.max(np.abs(self.dequantized.astype(F64) - self.x.astype(F64))))


def round_half_away(v: np.ndarray) -> np.ndarray:
    """Round to the nearest whole number, halves away from zero (12.5 → 13, −2.5 → −3)."""
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def article_mistakes(
    values: object, bits: int, *, symmetric: bool = False, narrow_range: bool = False
) -> ArticleMistakes:
    """The article's formulas on ``values`` at ``bits``, beside the right ones.

    ``values``, ``bits``, ``symmetric`` and ``narrow_range`` as in
    :func:`quantviz.worked.worked_example` (1 to 16 values), whose codes and ``x̂`` are the
    right side of mistakes 3, 4 and 6. Raises :class:`InputError` when every value is the
    same: the article's formulas divide by ``R = max − min = 0``.
    """
    w = worked_example(values, bits, symmetric=symmetric, narrow_range=narrow_range)
    x = w.x.astype(F64)
    low, high = float(x.min()), float(x.max())
    r = high - low
    if r == 0:
        raise InputError(
            "The article's formulas divide by its range, max − min, which is 0 when every "
            "value is the same: type at least two different values to see its mistakes.",
            kind="article_no_range",
        )
    step_per_level = r / 2**w.bits
    codes = np.round(x / step_per_level)
    x_q = codes * step_per_level
    q = w.codes.astype(F64)
    code_step = float(q.max() - q.min()) / 2**w.bits
    if code_step > 0:
        codes_only = np.round(q / code_step) * code_step + q.min()
    else:
        codes_only = np.full(q.shape, np.nan)
    return ArticleMistakes(
        x=w.x, bits=w.bits, data_low=low, data_high=high, value_range=r,
        qmin=w.qmin, qmax=w.qmax,
        step_per_bit=r / w.bits, step_per_level=step_per_level,
        scale=float(qparams(-r / 2, r / 2, w.bits).scale),
        article_rounded=round_half_away(x), codes=w.codes, dequantized=w.dequantized,
        article_codes=codes.astype(np.int64),
        article_normalized=(x - low) / (r / 2), normalized=2 * (x - low) / r - 1,
        article_dequantized=np.round(x_q / step_per_level) * step_per_level + low,
        codes_only_dequantized=codes_only,
    )  # fmt: skip
