"""A worked example: a few values through the grid, one step of the formula at a time.

For a handful of numbers (a lesson's, or the article's ``[1.2, 2.3, 3.4, 4.5, 5.6]``)
this keeps every intermediate value of

    q  = clamp(round(x / s) + z, qmin, qmax)
    x̂  = (q − z) · s

so a table can show each column with its formula: ``x → x/s → round → + z → clamp →
q → x̂ → error``. The grid is the min-max grid of the values (PyTorch's
``MinMaxObserver``): the range is widened to include 0, so at 3 bits asymmetric
``[1.2, …, 5.6]`` gets ``ℓ = 0``, ``s = 5.6 / 7 = 0.8``, ``z = 0``,
``q = [2, 3, 4, 6, 7]`` and ``x̂ = [1.6, 2.4, 3.2, 4.8, 5.6]``.

The arithmetic is the library's own (float32, ``x · (1/s)`` as PyTorch computes
``x / s``, rounding half to even), and the codes equal :func:`quantviz.quantize`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.pipeline import quantize
from quantviz.quantizer import F32

MAX_VALUES = 16
"""A worked example is read line by line: at most this many values."""


@dataclass(frozen=True)
class WorkedExample:
    """Each value's way onto the grid; every array has one entry per value (float32).

    Attributes
    ----------
    x : np.ndarray
        The values, as float32 (what is quantized).
    scaled : np.ndarray
        ``x / s``: the value in steps (computed as ``x · (1/s)``, as PyTorch does).
    rounded : np.ndarray
        ``round(x / s)``, half to even (1.5 → 2, 2.5 → 2).
    shifted : np.ndarray
        ``round(x / s) + z``: the code before the clamp.
    codes : np.ndarray
        ``q = clamp(round(x / s) + z, qmin, qmax)`` (int64).
    dequantized : np.ndarray
        ``x̂ = (q − z) · s``.
    error : np.ndarray
        ``x̂ − x``: at most ``s/2`` in size, unless the value was clamped.
    scale, zero_point, qmin, qmax :
        The grid: step size ``s`` and zero point ``z`` (the code of 0.0), codes
        ``qmin … qmax``.
    data_low, data_high : float
        The smallest and largest value.
    low, high : float
        The range the grid was built on: ``[min(data_low, 0), max(data_high, 0)]``
        (symmetric grids: ``±max|x|``).
    bits : int
    symmetric, narrow_range : bool
    """

    x: np.ndarray
    scaled: np.ndarray
    rounded: np.ndarray
    shifted: np.ndarray
    codes: np.ndarray
    dequantized: np.ndarray
    error: np.ndarray
    scale: float
    zero_point: int
    qmin: int
    qmax: int
    data_low: float
    data_high: float
    low: float
    high: float
    bits: int
    symmetric: bool
    narrow_range: bool

    @property
    def widened(self) -> bool:
        """True if the range was widened to include 0 (all values on one side of 0)."""
        return self.low != self.data_low or self.high != self.data_high

    @property
    def clamped(self) -> np.ndarray:
        """True where the clamp changed the code (``shifted`` outside ``[qmin, qmax]``)."""
        return (self.shifted < self.qmin) | (self.shifted > self.qmax)

    def levels(self) -> np.ndarray:
        """Every level of the grid, ``(q − z) · s`` for q = qmin … qmax (float32)."""
        q = np.arange(self.qmin, self.qmax + 1)
        return ((q - self.zero_point).astype(F32) * F32(self.scale)).astype(F32)


def worked_example(
    values: object, bits: int, *, symmetric: bool = False, narrow_range: bool = False
) -> WorkedExample:
    """Quantize ``values`` (1 to 16 numbers) on their min-max grid, keeping every step.

    ``bits``, ``symmetric`` and ``narrow_range`` as in :func:`quantviz.quantize`.
    """
    x = np.asarray(values, dtype=F32).reshape(-1)
    if not 1 <= x.size <= MAX_VALUES:
        raise InputError(
            f"A worked example takes 1 to {MAX_VALUES} values, not {x.size}.",
            kind="worked_values",
            fields={"most": MAX_VALUES, "n": int(x.size)},
        )
    r = quantize(x, bits, symmetric=symmetric, narrow_range=narrow_range, strategy="minmax")
    s, z = F32(r.scale), int(r.zero_point)
    scaled = np.multiply(x, F32(1.0) / s, dtype=F32)
    rounded = np.rint(scaled)
    shifted = rounded + F32(z)
    codes = np.clip(shifted, r.qmin, r.qmax).astype(np.int64)
    dequantized = ((codes - z).astype(F32) * s).astype(F32)
    return WorkedExample(
        x=x, scaled=scaled, rounded=rounded, shifted=shifted, codes=codes,
        dequantized=dequantized, error=(dequantized - x).astype(F32),
        scale=float(s), zero_point=z, qmin=r.qmin, qmax=r.qmax,
        data_low=float(x.min()), data_high=float(x.max()),
        low=float(r.low), high=float(r.high),
        bits=r.bits, symmetric=symmetric, narrow_range=narrow_range,
    )  # fmt: skip
