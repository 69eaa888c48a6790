"""What the pictures count: histograms of the values, the levels and the errors; the staircase.

A picture of a million values never needs the values themselves, only a few
hundred counts. This module turns a tensor and its :class:`~quantviz.QuantResult`
into those counts, so that any drawing library (the page draws them in the
browser) shows exactly the numbers the core computed:

* :func:`value_histogram`: the original values on fine, equal bins that depend on
  the data only, never on the bit width, so the collapse onto ``2**bits`` levels
  is never hidden by the binning;
* :func:`level_counts`: the quantized values, one count per level of the grid;
* :func:`closeup`: a window a few steps wide around the busiest level, with the
  original values on bins a fraction of a step wide (the collapse is visible at
  every bit width, 1 to 16);
* :func:`error_histogram`: the error ``x̂ − x``, split into rounding and clipping;
* :func:`staircase`: the transfer function ``x → x̂`` as exact corner points.

Pure numpy; no plotting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantviz.number_formats import FormatResult
from quantviz.pipeline import QuantResult
from quantviz.quantizer import dequantize, fake_quantize

VALUE_BINS = 240
"""Bins of :func:`value_histogram` over the data's range."""

ERROR_BINS = 120
"""Bins of :func:`error_histogram`."""

MAX_LEVELS_DRAWN = 256
"""Up to this many levels (8 bits) :func:`level_counts` gives one count per level."""


@dataclass(frozen=True)
class Histogram:
    """Counts on bins: ``counts[i]`` values lie in ``[edges[i], edges[i + 1])``.

    ``edges`` are float64, one more than ``counts`` (int64).
    """

    edges: np.ndarray
    counts: np.ndarray

    @property
    def width(self) -> float:
        """Width of one bin (the bins are equal)."""
        return float(self.edges[1] - self.edges[0])

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def value_range(x: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of a tensor as Python floats."""
    return float(np.min(x)), float(np.max(x))


def histogram_edges(low: float, high: float, bins: int = VALUE_BINS) -> np.ndarray:
    """``bins`` equal bins over ``[low, high]`` padded by one bin on each side.

    The padding leaves room for the end levels of a grid, which may sit up to half
    a step beyond the data. A constant tensor (``low == high``) gets bins of width
    ``max(|low|, 1) / bins`` around its value.
    """
    span = high - low
    if not span > 0:
        span = max(abs(low), 1.0)
        low, high = low - span / 2, high + span / 2
    width = span / bins
    return np.linspace(low - width, high + width, bins + 3)


def value_histogram(x: np.ndarray, edges: np.ndarray) -> Histogram:
    """Counts of the values of ``x`` on ``edges`` (equal bins; values outside are left out)."""
    counts, _ = np.histogram(np.ravel(x), bins=len(edges) - 1, range=(edges[0], edges[-1]))
    return Histogram(edges, counts.astype(np.int64))


@dataclass(frozen=True)
class LevelCounts:
    """The quantized values of a per-tensor result, level by level.

    ``levels`` are the grid's real values ``(q − z)·s`` for every code ``qmin … qmax``
    and ``counts`` how many values landed on each (``QuantResult.code_counts``).
    """

    levels: np.ndarray
    counts: np.ndarray

    @property
    def used(self) -> np.ndarray:
        """True for the levels at least one value landed on."""
        return self.counts > 0


def level_counts(r: QuantResult | FormatResult) -> LevelCounts:
    """Every level of a per-tensor grid (or a number format with one scale) and how many
    values it holds."""
    if isinstance(r, FormatResult):
        levels = r.levels()
        where = np.searchsorted(levels, np.ravel(r.dequantized))  # every value is a level
        return LevelCounts(levels.astype(np.float64), np.bincount(where, minlength=levels.size))
    return LevelCounts(r.levels().astype(np.float64), np.asarray(r.code_counts, np.int64))


def quantized_histogram(r: QuantResult | FormatResult, edges: np.ndarray) -> Histogram:
    """The quantized values ``r.dequantized`` counted on ``edges``.

    Per tensor this is exact and cheap (each level's count goes to the bin the
    level lies in); per channel or group the dequantized values are counted.
    """
    if r.per_tensor:
        lc = level_counts(r)
        counts, _ = np.histogram(lc.levels, bins=edges, weights=lc.counts)
        return Histogram(edges, np.rint(counts).astype(np.int64))
    return value_histogram(r.dequantized, edges)


@dataclass(frozen=True)
class Closeup:
    """A window ``steps`` levels wide around the busiest level of a per-tensor grid.

    ``original`` counts the values on bins ``1/bins_per_step`` of a step wide, with
    edges halfway between levels every ``bins_per_step`` bins; ``levels`` and
    ``counts`` are the levels in the window and the values each holds.
    """

    original: Histogram
    levels: np.ndarray
    counts: np.ndarray
    bins_per_step: int


def closeup(x: np.ndarray, r: QuantResult, steps: int = 9, bins_per_step: int = 8) -> Closeup:
    """The original and the quantized values seen through a window ``steps`` levels wide.

    The window is centred on the level that holds the most values and spans
    ``steps`` whole quantization cells (``steps`` odd: the busiest level in the
    middle), cut to the grid's ends. Per tensor only.
    """
    lc = level_counts(r)
    s = float(r.scale)
    centre = int(np.argmax(lc.counts))
    first = max(0, min(centre - steps // 2, lc.levels.size - steps))
    last = min(lc.levels.size, first + steps)
    lo = lc.levels[first] - s / 2
    hi = lc.levels[last - 1] + s / 2
    n_bins = (last - first) * bins_per_step
    edges = lo + (hi - lo) * np.arange(n_bins + 1) / n_bins
    counts, _ = np.histogram(np.ravel(x), bins=n_bins, range=(lo, hi))
    return Closeup(
        Histogram(edges, counts.astype(np.int64)),
        lc.levels[first:last],
        lc.counts[first:last],
        bins_per_step,
    )


@dataclass(frozen=True)
class ErrorHistogram:
    """Counts of the error ``x̂ − x`` on bins symmetric about 0, split by cause.

    ``rounding`` counts values that rounded to a level without being clamped;
    ``clipping`` counts the values the grid clamped to an end level (``r.clipped``).
    """

    edges: np.ndarray
    rounding: np.ndarray
    clipping: np.ndarray


def error_histogram(x: np.ndarray, r: QuantResult, bins: int = ERROR_BINS) -> ErrorHistogram:
    """Histogram of ``r.dequantized − x`` on ``bins`` equal bins spanning ±1.02 × the largest error.

    Every value is counted. The bin of each error is computed directly (equal
    bins) in float32, without the sorting ``np.histogram`` does for explicit edges.
    """
    err = np.subtract(r.dequantized, x, dtype=np.float32).ravel()
    amax = float(r.metrics["max_abs_error"]) if err.size else 0.0
    amax = amax * 1.02 if amax > 0 else 1e-12
    edges = np.linspace(-amax, amax, bins + 1)
    err += np.float32(amax)
    err *= np.float32(bins / (2 * amax))
    np.clip(err, 0, bins - 1, out=err)
    index = err.astype(np.intp)
    total = np.bincount(index, minlength=bins)
    mask = np.ravel(r.clipped)
    clipping = np.bincount(index[mask], minlength=bins) if mask.any() else np.zeros_like(total)
    return ErrorHistogram(edges, total - clipping, clipping)


def staircase(
    r: QuantResult, low: float, high: float, index: int | None = None, max_steps: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """The transfer function ``x → x̂`` (round to nearest) from ``low`` to ``high``, as corners.

    Returns ``(xs, ys)`` for a step line that holds each ``y`` from its ``x`` to the
    next: ``xs`` are ``low``, every cell edge (halfway between two levels) inside
    the window, and ``high``; ``ys`` the level each piece maps to (the end levels
    beyond the clamp). With more than ``max_steps`` cells in the window the steps
    are too fine to see, and the function is sampled at ``2 · max_steps`` points
    instead. ``index`` picks one grid of a per-channel / per-group result.
    """
    scale, zp = np.asarray(r.scale), np.asarray(r.zero_point)
    if scale.ndim:
        scale, zp = scale.ravel()[index], zp.ravel()[index]
    s, z = float(scale), int(zp)

    def code(v: float) -> int:
        return min(max(math.floor(v / s + 0.5) + z, r.qmin), r.qmax)

    c_lo, c_hi = code(low), code(high)
    if c_hi - c_lo > max_steps:
        xs = np.linspace(low, high, 2 * max_steps).astype(np.float32)
        ys = fake_quantize(xs, scale, zp, r.qmin, r.qmax)
        return xs.astype(np.float64), ys.astype(np.float64)
    codes = np.arange(c_lo, c_hi + 1)
    levels = dequantize(codes, scale, zp).astype(np.float64)
    edges = (codes[:-1] + 0.5 - z) * s  # between level q and q + 1
    xs = np.concatenate([[low], edges, [high]])
    return xs, np.concatenate([levels, levels[-1:]])


def extreme_grids(r: QuantResult) -> tuple[int, int]:
    """Flat indices of the coarsest and the finest grid of a per-channel / per-group result."""
    scale = np.ravel(r.scale)
    return int(np.argmax(scale)), int(np.argmin(scale))
