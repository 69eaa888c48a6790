"""MSE-optimal clipping: the range with the least squared error at this bit width.

For each row (a tensor, a channel or a group)::

    [ℓ*, h*] = argmin over [ℓ, h] of  Σ_i (x_i − Q_ℓ,h(x_i))²

where ``Q_ℓ,h`` is the integer grid built from ``[ℓ, h]`` by PyTorch's observer formula
(:func:`quantviz.quantizer.grid_params`). A narrow range rounds finely but clips the
tails; a wide one keeps every value but rounds coarsely: the minimum is the best trade
(PyTorch's ``HistogramObserver`` and ModelOpt's MSE calibrator search the same thing).

Rows of up to :data:`EXACT_ROW_MAX` values are scored on the values themselves
(:func:`exact_sse`, exactly as ``quantize`` measures); longer ones on a 2048-bin
histogram whose expected error has a closed form (:func:`expected_sse`). The search
itself (which candidates, how fast) is :mod:`quantviz.ranges.search`. The answer is
never worse than min-max on the real values.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from quantviz.quantizer import code_range
from quantviz.ranges.histogram import HIST_BINS, histogram
from quantviz.ranges.search import (
    HIST_EFFORT,
    Grid,
    Range,
    Rows,
    blockwise,
    exact_block_sse,
    exact_sse_pairs,
    search_rows,
    search_values,
    surely_better,
    workers,
)
from quantviz.ranges.simple import minmax_range

# Rows up to 131,072 values are searched on their values. Longer ones on a histogram: on
# MiniLM's tensors and 500k-value samples its range is within 0.15 % of the values search
# in MSE (mostly 0.00 %), in a quarter of the time.
EXACT_ROW_MAX = 1 << 17
_KEEP_MARGIN = 1e-9  # a searched range replaces min-max only if better by this relative margin


def mse_range(rows: Rows, *, bits: int, symmetric: bool, narrow_range: bool) -> Range:
    """The clipping range that minimizes the quantization MSE of each row at ``bits``.

    The search starts from min-max (the grid's own range, widened to include 0) and
    shrinks it: by factors ``2^-k`` until the error stops falling, then by golden-section
    search; an asymmetric grid's ends then move on their own, and at ≤ 4 bits the zero
    point and the step are searched together (:mod:`quantviz.ranges.search`). Rows of up
    to :data:`EXACT_ROW_MAX` values are scored on the values, in the quantizer's float32
    arithmetic; longer rows on a 2048-bin histogram (:func:`expected_sse`). The winner
    replaces min-max only where it has the smaller error on the real values: shown by
    bounds where they settle it (:func:`quantviz.ranges.search.surely_better` on the
    search's float32 scores, :func:`binned_error_bounds` on a long row's fine
    histogram), else by scoring both ranges exactly.
    """
    qmin, qmax = code_range(bits, symmetric=symmetric, narrow_range=narrow_range)
    grid = Grid(qmin, qmax, symmetric)
    minmax = minmax_range(rows)
    # the grid's own range at min-max: widened to include 0 (symmetric: ±max|x|)
    lo, hi = np.minimum(minmax[0], 0.0), np.maximum(minmax[1], 0.0)
    if symmetric:
        amax = np.maximum(-lo, hi)
        lo, hi = -amax, amax
    start = lo, hi
    with workers(rows) as pool:
        if rows.shape[1] > EXACT_ROW_MAX:
            found, sure = _histogram_search(rows, minmax, start, grid, pool)
        else:
            searched = search_values(rows, start, grid, pool)
            found = searched.low, searched.high
            sure = surely_better(searched, start, rows.shape[1], grid)
        # keep min-max wherever the search did not beat it on the real values: rows the
        # search left at min-max need no check, nor rows that are settled already (by the
        # search's own float32 scores, or by bounds from a fine histogram)
        moved = (found[0] != start[0]) | (found[1] != start[1])
        doubt = moved & ~sure
        sse = exact_sse_pairs(rows, found, start, grid, pool, only=doubt)
    better = sure | (doubt & (sse[:, 0] < sse[:, 1] * (1.0 - _KEEP_MARGIN)))
    return np.where(better, found[0], start[0]), np.where(better, found[1], start[1])


def exact_sse(
    rows: Rows, lo: np.ndarray, hi: np.ndarray, bits: int, symmetric: bool, narrow: bool
) -> np.ndarray:
    """Sum of squared quantization errors of each row on the grid built from ``[lo, hi]``.

    Exactly as :func:`quantviz.quantize` measures it: float32 codes and
    dequantized values, float64 errors and sums.
    """
    qmin, qmax = code_range(bits, symmetric=symmetric, narrow_range=narrow)
    grid = Grid(qmin, qmax, symmetric)
    lo2 = np.broadcast_to(np.asarray(lo, dtype=np.float64), (rows.shape[0],))[:, None]
    hi2 = np.broadcast_to(np.asarray(hi, dtype=np.float64), (rows.shape[0],))[:, None]

    def fn(block: Rows, b_lo: np.ndarray, b_hi: np.ndarray) -> np.ndarray:
        return exact_block_sse(block, b_lo[:, 0], b_hi[:, 0], grid)[:, None]

    return blockwise(fn, rows, lo2, hi2, None)[:, 0]


@dataclass(frozen=True)
class SpreadHistogram:
    """A histogram whose values are taken as spread evenly over each bin, ready to be scored.

    The expected squared error of such values on a grid is ``Σ_bins d · ∫_bin e(x)² dx``
    (``d`` = count / bin width, the density; ``e(x) = x − Q(x)``). With ``E`` an
    antiderivative of ``e²``, a bin adds ``d · (E(right) − E(left))``, so the whole sum is
    ``Σ_p w_p · E(x_p)`` over the bin edges ``x_p``, each weighing the step ``w_p`` of the
    density across it (summation by parts). Inside a run of equal bins (an empty tail)
    ``w_p = 0``: only the edges where the density changes are kept.

    ``points`` and ``weights`` are (S, P): S histograms (rows), P edges each.
    """

    points: np.ndarray
    weights: np.ndarray

    @classmethod
    def of_counts(cls, counts: np.ndarray, low: float, width: float) -> SpreadHistogram:
        """One histogram of equal bins: ``counts`` (B,) from ``low``, each ``width`` wide."""
        density = np.asarray(counts, dtype=np.float64) / width
        weights = -np.diff(density, prepend=0.0, append=0.0)  # d_{j-1} − d_j at edge j
        keep = weights != 0.0
        points = low + width * np.arange(density.size + 1, dtype=np.float64)
        return cls(points[keep][None, :], weights[keep][None, :])

    @classmethod
    def of_bins(cls, hist: np.ndarray, edges: np.ndarray, width: np.ndarray) -> SpreadHistogram:
        """Any bins: ``hist`` (S, B) counts, ``edges`` (S, B) left edges, ``width`` (S,)."""
        w = np.asarray(width, dtype=np.float64)[:, None]
        density = np.asarray(hist, dtype=np.float64) / w
        left = np.asarray(edges, dtype=np.float64)
        return cls(
            np.concatenate([left, left + w], axis=1), np.concatenate([-density, density], axis=1)
        )

    def sse(self, grid_low: np.ndarray, step: np.ndarray, levels: int) -> np.ndarray:
        """(S, K) expected sum of squared errors on K grids per row (``grid_low``, ``step``:
        (S, K) lowest level and step; ``levels``: ``qmax − qmin + 1``).

        In steps from the lowest level, ``t = (x − grid_low) / step``, the error is
        ``t − n`` with ``n`` the level ``x`` is rounded (or clamped) to: ``n =
        floor(clip(t, 0, levels − 1) + ½)``. Its squared integral from 0 is
        ``E(t) = (t − n)³/3 + n/12`` (each whole step adds 1/12; beyond the grid the
        clipping error grows as a cube), times ``step³``.
        """
        t = self.points[:, None, :] - grid_low[..., None]  # (S, K, P)
        t /= step[..., None]
        n = np.clip(t, 0.0, levels - 1.0)
        n += 0.5
        np.floor(n, out=n)
        t -= n  # the error, in steps
        cube = t * t
        cube *= t
        w = self.weights
        sums = np.einsum("skp,sp->sk", cube, w) / 3.0 + np.einsum("skp,sp->sk", n, w) / 12.0
        return step**3 * sums


def expected_sse(
    hist: np.ndarray,
    edges: np.ndarray,
    width: np.ndarray,
    grid_low: np.ndarray,
    step: np.ndarray,
    levels: int,
) -> np.ndarray:
    """Expected sum of squared errors of a histogram quantized onto candidate grids.

    Each bin's values are taken as spread evenly over the bin, and the squared
    error ``(x − Q(x))²`` is integrated over it in closed form: below the lowest
    level it is ``(x − grid_low)²`` (clipping), above the highest
    ``(x − grid_high)²``, in between the rounding sawtooth of height ``step/2``
    (:class:`SpreadHistogram`). This is the same model PyTorch's ``HistogramObserver`` uses.

    Parameters
    ----------
    hist : (S, B) counts per row and bin; edges : (S, B) left edge of each bin;
    width : (S,) bin width (bins may be any subset, e.g. only the non-empty ones).
    grid_low, step : (S, K) lowest level and step of K candidate grids per row.
    levels : number of levels, ``qmax − qmin + 1``.

    Returns
    -------
    (S, K) expected sum of squared errors.
    """
    return SpreadHistogram.of_bins(hist, edges, width).sse(grid_low, step, levels)


def binned_error_bounds(
    counts: np.ndarray, low: float, width: float, grid_low: float, step: float, levels: int
) -> tuple[float, float]:
    """The least and the most the exact SSE of a grid can be, for values known only by
    their bin (``counts`` of equal bins from ``low``, ``width`` wide).

    Each value's error is its distance to the level it is rounded or clamped to; over a
    bin that distance lies between its minimum and maximum on the bin (0 if a level is
    inside, ``step/2`` if a midpoint is). Bins are widened by 1 % of a bin (float32
    binning puts a value at most ~0.003 bins beyond its bin's edges) and each distance
    by ``4u`` of the largest magnitude involved (float32 rounding of ``x/s`` and of the
    level, ``u = 2⁻²⁴``), so the bounds hold for the quantizer's own arithmetic.
    """
    keep = counts > 0
    j = np.flatnonzero(keep).astype(np.float64)
    c = counts[keep]
    t1 = (low + (j - 0.01) * width - grid_low) / step  # in steps from the lowest level
    t2 = (low + (j + 1.01) * width - grid_low) / step
    top = levels - 1.0

    def distance(t: np.ndarray) -> np.ndarray:
        inside = np.clip(t, 0.0, top)
        return np.abs(t - np.rint(inside)) * step

    ends = np.maximum(distance(t1), distance(t2))
    lo_m, hi_m = np.maximum(t1, 0.5), np.minimum(t2, top - 0.5)  # a midpoint inside?
    midpoint = (lo_m <= hi_m) & (np.ceil(lo_m - 0.5) <= np.floor(hi_m - 0.5))
    most = np.where(midpoint, np.maximum(ends, step / 2), ends)
    lo_k, hi_k = np.maximum(t1, 0.0), np.minimum(t2, top)  # a level inside?
    level = (lo_k <= hi_k) & (np.ceil(lo_k) <= np.floor(hi_k))
    least = np.where(level, 0.0, np.minimum(distance(t1), distance(t2)))
    reach = max(abs(low), abs(low + len(counts) * width), abs(grid_low), abs(grid_low + top * step))
    slack = 4.0 * 2.0**-24 * reach
    least = np.maximum(least - slack, 0.0)
    most = most + slack
    return float(np.sum(c * least * least)), float(np.sum(c * most * most))


_FINE = 8  # the bounds' histogram has 8 × HIST_BINS bins; summed by 8 it is the search's


def _histogram_search(
    rows: Rows, minmax: Range, start: Range, grid: Grid, pool: ThreadPoolExecutor | None
) -> tuple[Range, np.ndarray]:
    """MSE search of each row on its 2048-bin histogram (rows too long to search on the values).

    The same search as on the values (:func:`search_rows`), but each candidate
    is scored by the closed-form expected error of the histogram
    (:func:`expected_sse`), which costs the same for 10 values or 10 million.
    The values are counted once in 8 × 2048 bins: summed by 8 those are exactly the
    2048-bin histogram searched (the bin edges coincide in float32), and the fine bins
    bound each range's exact error (:func:`binned_error_bounds`). Returns the ranges, and
    for each row whether the found range is surely better than the start (min-max), which
    then needs no exact check on the values.
    """
    levels = grid.qmax - grid.qmin + 1
    (mn, mx), (mn_neg, mx_pos) = minmax, start
    lo, hi = mn_neg.copy(), mx_pos.copy()
    sure = np.zeros(rows.shape[0], dtype=bool)
    for i in range(rows.shape[0]):
        low = float(mn[i])
        fine, fine_width = histogram(rows[i], low, float(mx[i]), HIST_BINS * _FINE, pool)
        counts, width = fine.reshape(HIST_BINS, _FINE).sum(axis=1), fine_width * _FINE
        spread = SpreadHistogram.of_counts(counts, low, width)

        def score(
            c_lo: np.ndarray, c_hi: np.ndarray, spread: SpreadHistogram = spread
        ) -> np.ndarray:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                qp, fits = grid.params(c_lo, c_hi)
                sse = spread.sse(qp.grid_low_exact, qp.scale.astype(np.float64), levels)
            return np.where(fits & np.isfinite(sse), sse, np.inf)

        found = search_rows(score, mn_neg[i : i + 1], mx_pos[i : i + 1], grid, HIST_EFFORT)
        lo[i], hi[i] = found.low[0], found.high[0]
        with np.errstate(over="ignore", invalid="ignore"):
            qp, fits = grid.params(np.array([lo[i], mn_neg[i]]), np.array([hi[i], mx_pos[i]]))
        if fits.all() and np.isfinite(qp.grid_low_exact).all():
            bounds = [
                binned_error_bounds(
                    fine, low, fine_width, float(qp.grid_low_exact[k]), float(qp.scale[k]), levels
                )
                for k in (0, 1)
            ]
            sure[i] = bounds[0][1] < bounds[1][0]  # the found range's most < min-max's least
    return (lo, hi), sure
