"""Range strategies (calibration): data → the clipping range ``[low, high]``.

Choosing the range is a separate step from applying the grid, as in PyTorch's
observers: a strategy only looks at the values and returns where to clip. A
narrow range gives fine steps but clips the tails; a wide one keeps every value
but spends levels on empty space. Each strategy below states its formula and
the library it follows.

All functions work on a 2-D array of *rows* (one row per scale: one row per
tensor, channel or group, see :mod:`quantviz.granularity`) and return one
``low`` and one ``high`` per row as float64 arrays.

``low`` and ``high`` given to any strategy but ``"manual"`` are refused: they
would be ignored. The MSE search (:func:`mse_range`) scores candidate ranges on
the values themselves for rows of up to 131,072 values and on a 2048-bin
histogram beyond, and never returns a range worse than min-max. Entropy calibration
counts the levels the grid really has for non-negative values (signed: half of
them; all of them only for asymmetric grids on non-negative data). Histograms
are binned in float64 when float32 cannot hold ``1 / bin width`` (denormal
data), so no bin index is ever NaN.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from quantviz.errors import InputError
from quantviz.params import Param, check_params
from quantviz.quantizer import (
    EPS,
    F32,
    FLOAT32_MAX,
    QParams,
    code_range,
    grid_params,
)

HIST_BINS = 2048  # TensorRT / ModelOpt / PyTorch HistogramObserver all use 2048 bins


@dataclass(frozen=True)
class Strategy:
    """A named range strategy, described for the API listing and the app's controls.

    Attributes
    ----------
    name : str
        Identifier used by ``quantize(strategy=...)`` and in shared links.
    label, description : str
        Short name and one sentence for a student.
    formula : str
        The rule in LaTeX, as the app shows it.
    reference : str
        The library or paper whose rule this follows.
    params : tuple of Param
        Numeric knobs of the strategy (``quantize`` takes them as keywords).
    granularities : tuple of str
        Granularities the strategy supports.
    """

    name: str
    label: str
    description: str
    formula: str
    reference: str
    params: tuple[Param, ...] = ()
    granularities: tuple[str, ...] = ("tensor", "channel", "group")


Rows = np.ndarray
Range = tuple[np.ndarray, np.ndarray]


# ------------------------------------------------------------------ minmax --


def minmax_range(rows: Rows) -> Range:
    """``[min x, max x]`` of each row: nothing is clipped (PyTorch ``MinMaxObserver``)."""
    return rows.min(axis=1).astype(np.float64), rows.max(axis=1).astype(np.float64)


# -------------------------------------------------------------- percentile --


def percentile_range(rows: Rows, *, symmetric: bool, percentile: float) -> Range:
    """Keep the central ``percentile`` % of the values.

    Symmetric: ``±T`` with ``T`` the ``percentile``-th percentile of ``|x|``
    (TensorRT / ModelOpt, default 99.99; ONNX Runtime uses 99.999).
    Asymmetric: the ``(100 − p)/2`` and ``100 − (100 − p)/2`` percentiles of ``x``
    (ONNX Runtime's split). Percentiles are exact (linear interpolation), not
    read off a histogram's bin edges as the libraries do.
    """
    if symmetric:
        t = np.percentile(np.abs(rows), percentile, axis=1)
        return -t, t
    tail = (100.0 - percentile) / 2.0
    lo, hi = np.percentile(rows, [tail, 100.0 - tail], axis=1)
    return lo, hi


# ------------------------------------------------------------------- sigma --


def sigma_range(rows: Rows, *, symmetric: bool, n_sigma: float) -> Range:
    """``mean ± n_sigma · std``, never wider than the data.

    Symmetric: ``±(|mean| + n_sigma · std)``.
    """
    mn, mx = minmax_range(rows)
    mean = rows.mean(axis=1, dtype=np.float64)
    std = rows.std(axis=1, dtype=np.float64)
    if symmetric:
        t = np.minimum(np.abs(mean) + n_sigma * std, np.maximum(-mn, mx))
        return -t, t
    return np.maximum(mean - n_sigma * std, mn), np.minimum(mean + n_sigma * std, mx)


# -------------------------------------------------------------------- ACIQ --


def _aciq_mse(alpha: float, bits: int, prior: str) -> float:
    """ACIQ's model of the MSE when clipping a unit Laplace (b=1) or Gaussian (σ=1) at ±alpha."""
    rounding = alpha**2 / (3.0 * 4.0**bits)
    if prior == "laplace":
        return 2.0 * math.exp(-alpha) + rounding
    tail = (alpha**2 + 1.0) * (1.0 - math.erf(alpha / math.sqrt(2.0)))
    return tail - math.sqrt(2.0 / math.pi) * alpha * math.exp(-(alpha**2) / 2.0) + rounding


@lru_cache(maxsize=64)
def aciq_alpha(bits: int, prior: str = "laplace") -> float:
    """Optimal clipping ``α*`` in units of b (Laplace) or σ (Gaussian), Banner et al. 2019.

    Minimizes ``2b²·e^(−α/b) + α²/(3·4^M)`` (Laplace) or the Gaussian analogue by
    golden-section search. 8 bits: 9.90 b (Laplace), 3.92 σ (Gaussian).
    """
    lo, hi = 1e-3, 80.0
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(200):
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        if _aciq_mse(a, bits, prior) < _aciq_mse(b, bits, prior):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2.0


def aciq_range(rows: Rows, *, bits: int, symmetric: bool, prior: str) -> Range:
    """Analytic clipping for a Laplace or Gaussian prior (ACIQ, Banner et al., NeurIPS 2019).

    ``α = α*(bits) · b`` with ``b = mean |x − mean x|`` (Laplace) or ``α*(bits) · σ``
    (Gaussian). Symmetric: ``±(|mean| + α)``; asymmetric: ``[o, o + 2α]`` with
    ``o = max(min x, mean − α)`` (as Distiller and the paper's code), never wider
    than the data.
    """
    mn, mx = minmax_range(rows)
    mean = rows.mean(axis=1, dtype=np.float64)
    if prior == "laplace":
        spread = np.abs(rows - mean[:, None].astype(F32)).mean(axis=1, dtype=np.float64)
    else:
        spread = rows.std(axis=1, dtype=np.float64)
    alpha = aciq_alpha(bits, prior) * spread
    if symmetric:
        t = np.minimum(np.abs(mean) + alpha, np.maximum(-mn, mx))
        return -t, t
    lo = np.maximum(mn, mean - alpha)
    return lo, np.minimum(lo + 2.0 * alpha, mx)


# --------------------------------------------------------------------- MSE --
#
# The search minimizes each row's sum of squared errors (SSE) over its clipping
# range. Rows up to EXACT_ROW_MAX values are searched on the values themselves:
# a few dozen candidate ranges per row, each scored with the quantizer's own
# float32 arithmetic, in cache-sized blocks of rows on a few threads. Longer
# rows (a big tensor, per tensor) are searched on a 2048-bin histogram whose
# expected error has a closed form. Either way the winner is finally compared
# with min-max on the real values, and min-max is kept unless it lost.

# Rows up to 131,072 values are searched on their values. Longer ones on a histogram: on
# MiniLM's tensors and 500k-value samples its range is within 0.15 % of the values search
# in MSE (mostly 0.00 %), in a quarter of the time.
EXACT_ROW_MAX = 1 << 17
BLOCK_VALUES = 1 << 17  # values scored together: 512 KB of float32, stays in the L2 cache
WORKERS = min(4, os.cpu_count() or 1)
_GOLDEN = (3.0 - math.sqrt(5.0)) / 2.0  # 0.382: the golden-section step
_LN2 = math.log(2.0)
_COARSE_MAX = 14  # the coarse descent tries amax · 2^-k for k ≤ 14 (down to 6e-5 · amax)
_KEEP_MARGIN = 1e-9  # a searched range replaces min-max only if better by this relative margin


@dataclass(frozen=True)
class _Grid:
    """What a range search needs to know about the grid: its code range and scheme."""

    qmin: int
    qmax: int
    symmetric: bool

    def params(self, lo: np.ndarray, hi: np.ndarray) -> tuple[QParams, np.ndarray]:
        """The grids of the ranges, and whether their levels fit in float32.

        Call under ``np.errstate(over="ignore", invalid="ignore")``.
        """
        qp = grid_params(lo.astype(F32), hi.astype(F32), self.qmin, self.qmax, **self.kind)
        if qp.scale.max(initial=0.0) < _SAFE_SCALE:  # every level fits: the common case
            return qp, np.ones(qp.scale.shape, dtype=bool)
        fits = (np.abs(qp.grid_low_exact) <= FLOAT32_MAX) & (
            np.abs(qp.grid_high_exact) <= FLOAT32_MAX
        )
        return qp, fits

    @property
    def kind(self) -> dict:
        return {"symmetric": self.symmetric}

    def lean_params(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, object]:
        """Scale, zero point (float32) and "fits" of the ranges, in as few operations as can be.

        The same numbers as :func:`quantviz.quantizer.grid_params` (PyTorch's
        formula in float32), for the inner loop of the search. Call under
        ``np.errstate(over="ignore", invalid="ignore", divide="ignore")``.
        """
        min_neg = np.minimum(lo.astype(F32), F32(0))
        max_pos = np.maximum(hi.astype(F32), F32(0))
        if self.symmetric:
            scale = np.maximum(-min_neg, max_pos)
            scale /= F32((self.qmax - self.qmin) / 2)
        else:
            scale = max_pos - min_neg
            scale /= F32(self.qmax - self.qmin)
        if not np.isfinite(scale).all():  # wider than float32: the careful path
            qp, fits = self.params(lo, hi)
            return qp.scale, qp.zero_point.astype(F32), fits
        np.maximum(scale, EPS, out=scale)
        zp = None
        if not self.symmetric:
            zp = np.divide(min_neg, scale)
            np.rint(zp, out=zp)
            np.subtract(F32(self.qmin), zp, out=zp)
            np.maximum(zp, F32(self.qmin), out=zp)
            np.minimum(zp, F32(self.qmax), out=zp)
        if scale.max(initial=0.0) < _SAFE_SCALE:
            return scale, zp, True
        qp, fits = self.params(lo, hi)
        return qp.scale, qp.zero_point.astype(F32), fits


_SAFE_SCALE = FLOAT32_MAX / 2**17  # levels are at most 2**16 steps from 0: they fit float32


class _BlockScorer:
    """Scores candidate ranges on one block of rows (see :meth:`__call__`), reusing its buffers."""

    def __init__(self, block: Rows, grid: _Grid) -> None:
        # Short rows are scored as columns: a row's scale then varies along the
        # fast axis, which numpy broadcasts faster than one short row at a time.
        self.by_column = block.shape[1] <= 512 and block.shape[0] > 1
        self.block = np.ascontiguousarray(block.T) if self.by_column else block
        self.grid = grid
        self.w = np.empty(self.block.shape, F32)
        self.q = np.empty(self.block.shape, F32)

    def __call__(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """SSE of each row of the block on K candidate ranges: ``lo``, ``hi`` are (rows, K).

        Scored in code units, ``Σ (clamp(round(w), qmin, qmax) − w)²`` with
        ``w = x · (1/s) + zero_point`` in float32, then times ``s²`` in float64:
        the squares neither overflow nor vanish (values near 3e38 or below
        1e-38), and the clamp has the same bounds for every row (a fast scalar
        clip). A grid whose levels do not fit float32 scores +inf.
        """
        grid, block, w, q = self.grid, self.block, self.w, self.q
        n_cand = lo.shape[1]
        out = np.empty((n_cand, lo.shape[0]))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # One contiguous vector of scales per candidate: (K, rows).
            scale, zp, fits = grid.lean_params(
                np.ascontiguousarray(lo.T), np.ascontiguousarray(hi.T)
            )
            inv = F32(1.0) / scale
            if self.by_column:  # (K, 1, rows)
                inv, zp, sums = inv[:, None, :], None if zp is None else zp[:, None, :], "ij,ij->j"
            else:  # (K, rows, 1)
                inv, zp, sums = inv[:, :, None], None if zp is None else zp[:, :, None], "ij,ij->i"
            for k in range(n_cand):
                np.multiply(block, inv[k], out=w)
                if zp is not None:
                    w += zp[k]
                np.rint(w, out=q)
                np.clip(q, grid.qmin, grid.qmax, out=q)
                q -= w
                out[k] = np.einsum(sums, q, q)
            scale64 = scale.astype(np.float64)
            out *= scale64 * scale64
            bad = ~np.isfinite(out)
            if fits is not True:
                bad |= ~fits
            out[bad] = np.inf
        return out.T


def _block_sse(block: Rows, lo: np.ndarray, hi: np.ndarray, grid: _Grid) -> np.ndarray:
    """:class:`_BlockScorer` for one call."""
    return _BlockScorer(block, grid)(lo, hi)


def _exact_block_sse(block: Rows, lo: np.ndarray, hi: np.ndarray, grid: _Grid) -> np.ndarray:
    """SSE of each row of ``block`` on one range per row, exactly as ``quantize`` measures it.

    The dequantized values are the quantizer's own, bit for bit (float32
    ``clamp(round(x · (1/s)) + zp) − zp``, times ``s``); the errors ``x̂ − x``
    and their squares are float64. +inf for grids that do not fit float32.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        qp, fits = grid.params(lo, hi)
        scale = np.where(fits, qp.scale, F32(1.0))[:, None]
        zp = qp.zero_point.astype(F32)[:, None]
        q = np.multiply(block, F32(1.0) / scale, dtype=F32)
        np.rint(q, out=q)
        q += zp
        np.clip(q, grid.qmin, grid.qmax, out=q)
        q -= zp
        q *= scale
    err = q.astype(np.float64)
    err -= block  # float64 minus float32: exact
    return np.where(fits, np.einsum("ij,ij->i", err, err), np.inf)


def _value_blocks(shape: tuple[int, int]) -> list[tuple[slice, slice]]:
    """Cut (rows, length) into blocks of about BLOCK_VALUES values (whole rows when short)."""
    n_rows, length = shape
    if length >= BLOCK_VALUES:
        return [
            (slice(r, r + 1), slice(c, c + BLOCK_VALUES))
            for r in range(n_rows)
            for c in range(0, length, BLOCK_VALUES)
        ]
    per = max(1, BLOCK_VALUES // max(length, 1))
    return [(slice(r, r + per), slice(None)) for r in range(0, n_rows, per)]


def _run(work: Callable, jobs: list, pool: ThreadPoolExecutor | None) -> list:
    """``[work(j) for j in jobs]``, on the pool's threads if any (numpy frees the GIL)."""
    if pool is None or len(jobs) == 1:
        return [work(j) for j in jobs]
    return list(pool.map(work, jobs))


def _blockwise(
    fn: Callable, rows: Rows, lo: np.ndarray, hi: np.ndarray, pool: ThreadPoolExecutor | None
) -> np.ndarray:
    """Apply a per-block scorer ``fn(block, lo, hi)`` over cache-sized blocks; sum per row."""

    def work(b: tuple[slice, slice]) -> tuple[slice, np.ndarray]:
        r, c = b
        return r, fn(rows[r, c], lo[r], hi[r])

    out = np.zeros(lo.shape)
    for r, part in _run(work, _value_blocks(rows.shape), pool):
        out[r] += part
    return out


class _Best:
    """The best candidate seen so far for each row: a parameter ``u`` and its SSE."""

    def __init__(self, u: np.ndarray, sse: np.ndarray) -> None:
        self.u, self.sse = u.astype(np.float64), sse.astype(np.float64)

    def offer(self, u: np.ndarray, sse: np.ndarray) -> np.ndarray:
        """Take the candidates (rows,) or (rows, K) that beat the best; True where one did."""
        if sse.ndim == 2:
            pick = np.argmin(sse, axis=1)
            at = np.arange(len(pick))
            u, sse = np.broadcast_to(u, sse.shape)[at, pick], sse[at, pick]
        better = sse < self.sse
        self.u = np.where(better, u, self.u)
        self.sse = np.where(better, sse, self.sse)
        return better


def _golden(cost: Callable, a: np.ndarray, b: np.ndarray, best: _Best, iters: int) -> None:
    """Golden-section search of ``cost`` in [a, b] per row; every point is offered to ``best``.

    ``cost`` takes (rows, K) candidates and returns (rows, K) SSEs.
    """
    c, d = a + _GOLDEN * (b - a), b - _GOLDEN * (b - a)
    both = cost(np.stack([c, d], axis=1))
    fc, fd = both[:, 0], both[:, 1]
    best.offer(c, fc)
    best.offer(d, fd)
    for _ in range(iters):
        left = fc <= fd  # the minimum lies in [a, d]: d becomes the right end
        a, b = np.where(left, a, c), np.where(left, d, b)
        new = np.where(left, a + _GOLDEN * (b - a), b - _GOLDEN * (b - a))
        f_new = cost(new[:, None])[:, 0]
        best.offer(new, f_new)
        c, d, fc, fd = (
            np.where(left, new, d),
            np.where(left, c, new),
            np.where(left, f_new, fd),
            np.where(left, fc, f_new),
        )


def _scan(cost: Callable, best: _Best, width: float, points: int) -> None:
    """Try ``points`` evenly spaced values within ``best.u ± width`` (never above 0)."""
    if points:
        u = np.minimum(best.u[:, None] + np.linspace(-width, width, points), 0.0)
        best.offer(u, cost(u))


def _coarse(cost: Callable, n_rows: int) -> _Best:
    """The best of the log shrink factors ``u = −k·ln 2``, k = 0, 1, 2, … (range times 2^-k).

    Stops when, in every row, the last two steps were both worse than the best,
    or when k reaches 14.
    """
    first = -_LN2 * np.arange(3.0)
    sse = cost(np.broadcast_to(first, (n_rows, 3)))
    best = _Best(np.zeros(n_rows), sse[:, 0])
    misses = np.zeros(n_rows, dtype=int)
    for k in (1, 2):
        improved = best.offer(np.full(n_rows, first[k]), sse[:, k])
        misses = np.where(improved, 0, misses + 1)
    k = 2
    while k < _COARSE_MAX and np.any(misses < 2):
        k += 1
        u = np.full(n_rows, -_LN2 * k)
        improved = best.offer(u, cost(u[:, None])[:, 0])
        misses = np.where(improved, 0, misses + 1)
    return best


def _shrink_search(cost: Callable, best: _Best, iters: int) -> _Best:
    """Refine a coarse best log shrink factor by golden-section search within a factor 2
    either side (never above 0: the range never grows beyond the data)."""
    _golden(cost, best.u - _LN2, np.minimum(best.u + _LN2, 0.0), best, iters)
    return best


@dataclass(frozen=True)
class _Effort:
    """How hard a search tries (each candidate costs one pass over the values).

    ``iters``: golden-section iterations of the symmetric shrink search;
    ``start_iters``: the same for the asymmetric start; ``cut_start``: also try
    cutting both ends at the same distance from 0 as a start; ``rounds``: rounds
    of moving each end on its own, each ``(half-width in log units, iterations)``;
    ``scans`` and ``end_scans``: final even scans, each ``(half-width in log
    units, points)``, of a symmetric range and of each end of an asymmetric one
    (at 8 bits and a few hundred values the error jumps by 0.5 % between ranges
    0.1 % apart, so only a fine scan finds the best of them); ``shifts`` and
    ``shift_iters``: rounds and golden-section iterations of the zero-point
    search of grids with at most 16 levels, ``shift_steps`` the step factors it
    tries with each zero point (:func:`_shift_zero_points`).
    """

    iters: int
    rounds: tuple[tuple[float, int], ...]
    start_iters: int = 8
    scans: tuple[tuple[float, int], ...] = ()
    end_scans: tuple[tuple[float, int], ...] = ()
    shifts: int = 1
    shift_iters: int = 5
    shift_steps: tuple[float, ...] = (0.6, 0.8, 1.0, 1.25, 1.6)
    cut_start: bool = True


_SHIFT_MAX_STEPS = 15  # zero-point shifts are tried for grids of up to 16 levels (4 bits)
_ROWS_EFFORT = _Effort(  # many rows: per channel, per group
    iters=8,
    rounds=((_LN2, 5), (0.2, 3)),
    start_iters=8,
    scans=((0.012, 9), (0.004, 9)),
    cut_start=False,
)
_ROWS_FEW_LEVELS_EFFORT = _Effort(  # the same at ≤ 4 bits, where zero-point shifts take over
    iters=8, rounds=(), start_iters=6, shift_iters=3, cut_start=False
)
_SHORT_EFFORT = _Effort(  # rows under 256 values (small groups): noisy, so less to gain
    iters=6, rounds=((_LN2, 4),), start_iters=5, cut_start=False
)
_SHORT_FEW_LEVELS_EFFORT = _Effort(
    iters=6, rounds=(), start_iters=5, shift_iters=3, shift_steps=(0.7, 1.0, 1.4), cut_start=False
)
_SHORT_ROW = 256
_HIST_EFFORT = _Effort(  # a histogram: smooth, and cheap to score, so no scans are needed
    iters=12, rounds=((_LN2, 6), (0.2, 4), (0.05, 3)), start_iters=12, shifts=2, shift_iters=5
)
_TENSOR_EFFORT = _Effort(  # one row: per tensor
    iters=10,
    rounds=((_LN2, 5), (0.2, 3), (0.05, 3)),
    start_iters=10,
    scans=((0.04, 41), (0.006, 13)),
    end_scans=((0.04, 41), (0.006, 13)),
    shifts=2,
    shift_iters=5,
)


def _search_rows(
    score: Callable, mn_neg: np.ndarray, mx_pos: np.ndarray, grid: _Grid, effort: _Effort
) -> Range:
    """Search the clipping range of each row; ``score(lo, hi)`` gives (rows, K) SSEs.

    Symmetric: the range ``±amax · e^u``: coarse steps ``u = −k·ln 2``
    (:func:`_coarse`), golden-section search (:func:`_shrink_search`), then the
    effort's scans. Asymmetric: both ends shrunk by the same factor (and, if the
    effort says so, both cut at the same distance from 0, keeping the better
    start), refined the same way; then each end moves on its own in turn
    (coordinate descent, the effort's rounds and end scans); and for grids of at
    most 16 levels the zero point and step are searched together
    (:func:`_shift_zero_points`). Every row keeps the best candidate it saw.
    """
    n = len(mx_pos)
    lo_end, hi_end = mn_neg[:, None], mx_pos[:, None]

    def together(u: np.ndarray) -> np.ndarray:
        f = np.exp(u)
        return score(lo_end * f, hi_end * f)

    if grid.symmetric:
        best = _shrink_search(together, _coarse(together, n), effort.iters)
        for width, points in effort.scans:
            _scan(together, best, width, points)
        f = np.exp(best.u)
        return mn_neg * f, mx_pos * f
    # Two starts: both ends shrunk by the same factor, or both cut at the same
    # distance t = amax · e^u from 0 (which suits a symmetric bulk with outliers
    # on one side only). The coarse steps of both are tried; the better one is refined.
    amax = np.maximum(-mn_neg, mx_pos)[:, None]

    def cut(u: np.ndarray) -> np.ndarray:
        t = amax * np.exp(u)
        return score(np.maximum(lo_end, -t), np.minimum(hi_end, t))

    by_together = _coarse(together, n)
    if effort.cut_start:
        by_cut = _coarse(cut, n)
        use_cut = by_cut.sse < by_together.sse
    else:
        by_cut, use_cut = by_together, np.zeros(n, dtype=bool)

    def start(u: np.ndarray) -> np.ndarray:
        f = np.exp(u)
        t = amax * f
        lo = np.where(use_cut[:, None], np.maximum(lo_end, -t), lo_end * f)
        hi = np.where(use_cut[:, None], np.minimum(hi_end, t), hi_end * f)
        return score(lo, hi)

    best = _Best(
        np.where(use_cut, by_cut.u, by_together.u), np.minimum(by_cut.sse, by_together.sse)
    )
    _shrink_search(start, best, effort.start_iters)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = amax[:, 0] * np.exp(best.u)
        cut_lo = np.where(mn_neg < 0, np.log(np.maximum(mn_neg, -t) / mn_neg), 0.0)
        cut_hi = np.where(mx_pos > 0, np.log(np.minimum(mx_pos, t) / mx_pos), 0.0)
    u_lo = np.where(use_cut, cut_lo, best.u)
    u_hi = np.where(use_cut, cut_hi, best.u)
    sse = best.sse
    moves_lo = bool(np.any(mn_neg < 0)) and bool(np.any(mx_pos > 0))
    for width, iters in effort.rounds:
        u_hi, sse = _refine_end(
            score, lo_end * np.exp(u_lo)[:, None], hi_end, u_hi, sse, 1, width, iters
        )
        if moves_lo:
            u_lo, sse = _refine_end(
                score, lo_end, hi_end * np.exp(u_hi)[:, None], u_lo, sse, 0, width, iters
            )
    for width, points in effort.end_scans:
        f_lo = np.exp(u_lo)[:, None]
        u_hi, sse = _refine_end(score, lo_end * f_lo, hi_end, u_hi, sse, 1, width, 0, points)
        if moves_lo:
            f_hi = np.exp(u_hi)[:, None]
            u_lo, sse = _refine_end(score, lo_end, hi_end * f_hi, u_lo, sse, 0, width, 0, points)
    lo, hi = mn_neg * np.exp(u_lo), mx_pos * np.exp(u_hi)
    if grid.qmax - grid.qmin <= _SHIFT_MAX_STEPS:
        lo, hi = _shift_zero_points(
            score, lo, hi, sse, grid, effort.shifts, effort.shift_iters, effort.shift_steps
        )
    return lo, hi


def _shift_zero_points(
    score: Callable,
    lo: np.ndarray,
    hi: np.ndarray,
    sse: np.ndarray,
    grid: _Grid,
    rounds: int,
    iters: int,
    steps: tuple[float, ...],
) -> Range:
    """Search the zero point and the step together, around the current grid.

    With 4 to 16 levels the zero point is a coarse, discrete choice (at 2 bits:
    which of 4 levels stands for 0.0), and the error has several valleys in the
    step: moving the ends smoothly misses both. Every asymmetric grid is a zero
    point and a step, so for each row try the zero point one code down, the same
    and one code up, each with the step times each of ``steps`` (e.g. 0.6, 0.8,
    1, 1.25, 1.6); refine the step of the best by golden-section search within
    ±12 %; keep it if better.
    """
    n = len(lo)
    f = np.asarray(steps, dtype=np.float64)
    log_f = np.log(f)
    for _ in range(rounds):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            qp, _ = grid.params(lo, hi)
        step = qp.scale.astype(np.float64)
        z = qp.zero_point[:, None] + np.array([-1, 0, 1])  # (rows, 3)
        valid = (z >= grid.qmin) & (z <= grid.qmax)
        base_lo, base_hi = (grid.qmin - z) * step[:, None], (grid.qmax - z) * step[:, None]
        tried = score(
            (base_lo[:, :, None] * f).reshape(n, -1), (base_hi[:, :, None] * f).reshape(n, -1)
        )
        tried[~np.repeat(valid, len(f), axis=1)] = np.inf
        pick = np.argmin(tried, axis=1)
        at = np.arange(n)
        shift = pick // len(f)
        b_lo, b_hi = base_lo[at, shift][:, None], base_hi[at, shift][:, None]

        def cost(u: np.ndarray, b_lo: np.ndarray = b_lo, b_hi: np.ndarray = b_hi) -> np.ndarray:
            g = np.exp(u)
            return score(b_lo * g, b_hi * g)

        best = _Best(log_f[pick % len(f)], tried[at, pick])
        _golden(cost, best.u - 0.12, best.u + 0.12, best, iters)
        better = best.sse < sse
        g = np.exp(best.u)
        lo = np.where(better, b_lo[:, 0] * g, lo)
        hi = np.where(better, b_hi[:, 0] * g, hi)
        sse = np.where(better, best.sse, sse)
    return lo, hi


def _refine_end(
    score: Callable,
    lo: np.ndarray,
    hi: np.ndarray,
    u: np.ndarray,
    sse: np.ndarray,
    end: int,
    width: float,
    iters: int,
    scan: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Move one end's log factor ``u`` within ``±width`` (never above 0).

    ``lo`` and ``hi`` are (rows, 1) columns; ``end`` 0 moves ``lo · e^u``, 1 moves
    ``hi · e^u``. Golden-section search (``iters``) or an even scan (``scan``
    points). Returns the best ``u`` and SSE per row, never worse than the start.
    """

    def cost(c: np.ndarray) -> np.ndarray:
        moved = (lo if end == 0 else hi) * np.exp(c)
        fixed = np.broadcast_to(hi if end == 0 else lo, c.shape)
        return score(moved, fixed) if end == 0 else score(fixed, moved)

    best = _Best(u, sse)
    if scan:
        _scan(cost, best, width, scan)
    else:
        _golden(cost, u - width, np.minimum(u + width, 0.0), best, iters)
    return best.u, best.sse


def exact_sse(
    rows: Rows, lo: np.ndarray, hi: np.ndarray, bits: int, symmetric: bool, narrow: bool
) -> np.ndarray:
    """Sum of squared quantization errors of each row on the grid built from ``[lo, hi]``.

    Exactly as :func:`quantviz.quantize` measures it: float32 codes and
    dequantized values, float64 errors and sums.
    """
    qmin, qmax = code_range(bits, symmetric=symmetric, narrow_range=narrow)
    grid = _Grid(qmin, qmax, symmetric)
    lo2 = np.broadcast_to(np.asarray(lo, dtype=np.float64), (rows.shape[0],))[:, None]
    hi2 = np.broadcast_to(np.asarray(hi, dtype=np.float64), (rows.shape[0],))[:, None]

    def fn(block: Rows, b_lo: np.ndarray, b_hi: np.ndarray) -> np.ndarray:
        return _exact_block_sse(block, b_lo[:, 0], b_hi[:, 0], grid)[:, None]

    return _blockwise(fn, rows, lo2, hi2, None)[:, 0]


def mse_range(rows: Rows, *, bits: int, symmetric: bool, narrow_range: bool) -> Range:
    """The clipping range that minimizes the quantization MSE of each row at ``bits``.

    Rows of up to 131,072 values (``EXACT_ROW_MAX``) are searched on the values
    themselves: the range shrinks by factors ``2^-k`` until the error stops
    falling, a golden-section search refines the factor; for asymmetric grids
    each end is then refined on its own (coordinate descent) and, with at most
    16 levels, the zero point and the step are searched together (see
    :func:`_search_rows`). Every candidate is scored with the quantizer's
    float32 arithmetic in code units, in blocks of rows that stay in cache, the
    blocks on a few threads; how many candidates a row gets depends on the
    granularity (one long row, channels, small groups) and the bit width. Longer
    rows are searched the same way on a 2048-bin histogram whose expected error
    is integrated exactly (:func:`expected_sse`). Finally each row's winner is
    compared with min-max on the real values (float64 errors), and min-max is
    kept unless it lost: the result is never worse than min-max.
    """
    qmin, qmax = code_range(bits, symmetric=symmetric, narrow_range=narrow_range)
    grid = _Grid(qmin, qmax, symmetric)
    mn, mx = minmax_range(rows)
    mn_neg, mx_pos = np.minimum(mn, 0.0), np.maximum(mx, 0.0)
    if symmetric:
        amax = np.maximum(-mn_neg, mx_pos)
        mn_neg, mx_pos = -amax, amax
    n_rows, length = rows.shape
    if n_rows == 1:
        effort = _TENSOR_EFFORT
    elif length < _SHORT_ROW:
        few = qmax - qmin <= _SHIFT_MAX_STEPS
        effort = _SHORT_FEW_LEVELS_EFFORT if few else _SHORT_EFFORT
    elif qmax - qmin <= _SHIFT_MAX_STEPS:
        effort = _ROWS_FEW_LEVELS_EFFORT
    else:
        effort = _ROWS_EFFORT
    threads = WORKERS > 1 and rows.size > 2 * BLOCK_VALUES
    with ThreadPoolExecutor(WORKERS) if threads else contextlib.nullcontext() as pool:
        if length > EXACT_ROW_MAX:
            lo, hi = _histogram_search(rows, mn, mx, mn_neg, mx_pos, grid, pool)
        elif length * 8 > BLOCK_VALUES:  # long rows: search them together, blocks in parallel

            def score(c_lo: np.ndarray, c_hi: np.ndarray) -> np.ndarray:
                return _blockwise(
                    lambda b, b_lo, b_hi: _block_sse(b, b_lo, b_hi, grid), rows, c_lo, c_hi, pool
                )

            lo, hi = _search_rows(score, mn_neg, mx_pos, grid, effort)
        else:  # short rows: each block of rows searched on its own, blocks in parallel

            def search_block(b: tuple[slice, slice]) -> tuple[slice, Range]:
                r, _ = b
                found = _search_rows(
                    _BlockScorer(rows[r], grid),
                    mn_neg[r],
                    mx_pos[r],
                    grid,
                    effort=effort,
                )
                return r, found

            lo, hi = np.empty(n_rows), np.empty(n_rows)
            for r, (b_lo, b_hi) in _run(search_block, _value_blocks(rows.shape), pool):
                lo[r], hi[r] = b_lo, b_hi

        # Keep min-max wherever the search did not beat it on the real values.
        def both(block: Rows, b_lo: np.ndarray, b_hi: np.ndarray) -> np.ndarray:
            return np.stack(
                [
                    _exact_block_sse(block, b_lo[:, 0], b_hi[:, 0], grid),
                    _exact_block_sse(block, b_lo[:, 1], b_hi[:, 1], grid),
                ],
                axis=1,
            )

        pairs_lo, pairs_hi = np.stack([lo, mn_neg], axis=1), np.stack([hi, mx_pos], axis=1)
        sse = _blockwise(both, rows, pairs_lo, pairs_hi, pool)
    better = sse[:, 0] < sse[:, 1] * (1.0 - _KEEP_MARGIN)
    return np.where(better, lo, mn_neg), np.where(better, hi, mx_pos)


# ----------------------------------------------------- MSE on a histogram --


def _sawtooth_integral(t: np.ndarray) -> np.ndarray:
    """Antiderivative of ``(t − round(t))²``: each whole step adds 1/12."""
    n = np.floor(t + 0.5)
    r = t - n
    return n / 12.0 + (r**3 + 0.125) / 3.0


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
    ``(x − grid_high)²``, in between the rounding sawtooth of height ``step/2``.
    This is the same model PyTorch's ``HistogramObserver`` uses.

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
    a = edges[:, None, :]  # (S, 1, B)
    b = a + width[:, None, None]
    g0, s = grid_low[..., None], step[..., None]  # (S, K, 1)
    g1 = g0 + (levels - 1) * s

    def below(v: np.ndarray) -> np.ndarray:
        return np.minimum(v, g0) - g0

    def above(v: np.ndarray) -> np.ndarray:
        return np.maximum(v, g1) - g1

    clip = (below(b) ** 3 - below(a) ** 3 + above(b) ** 3 - above(a) ** 3) / 3.0
    u, v = np.clip(a, g0, g1), np.clip(b, g0, g1)
    rnd = s**3 * (_sawtooth_integral((v - g0) / s) - _sawtooth_integral((u - g0) / s))
    density = (hist / width[:, None])[:, None, :]
    return ((clip + rnd) * density).sum(axis=2)


def _bin_index(values: np.ndarray, left: float, inv_width: float, bins: int) -> np.ndarray:
    """``floor((x − left) · inv_width)`` clipped to ``0 … bins − 1``, for a 1-D array.

    float32 (fast) when the range and ``inv_width`` fit in float32; otherwise
    (denormal or huge data) float64, slice by slice.
    """
    out = np.empty(values.shape, dtype=np.intp)
    inv32 = F32(inv_width) if inv_width < FLOAT32_MAX else F32(np.inf)
    fast = np.isfinite(inv32) and inv32 > 0 and abs(left) < FLOAT32_MAX / 2
    step = values.size if fast else 1 << 16
    for i in range(0, values.size, step):
        part = values[i : i + step]
        if fast:
            with np.errstate(over="ignore"):
                if left:
                    scaled = np.subtract(part, F32(left), dtype=F32)
                    scaled *= inv32
                else:
                    scaled = np.multiply(part, inv32, dtype=F32)
        else:
            scaled = (part.astype(np.float64) - left) * inv_width
        np.clip(scaled, 0, bins - 1, out=scaled)
        out[i : i + step] = scaled
    return out


def _histogram(
    row: np.ndarray, low: float, high: float, bins: int, pool: ThreadPoolExecutor | None = None
) -> tuple[np.ndarray, float]:
    """Counts of a 1-D array in ``bins`` equal bins over ``[low, high]``, and the bin width.

    Counted in slices of 1M values, on the pool's threads when there is one.
    """
    width = (high - low) / bins
    if not width > 0:
        width = 1.0
    step = 1 << 20

    def count(start: int) -> np.ndarray:
        idx = _bin_index(row[start : start + step], low, 1.0 / width, bins)
        return np.bincount(idx, minlength=bins)

    hist = np.sum(_run(count, list(range(0, row.size, step)), pool), axis=0)
    return hist.astype(np.float64), width


def _histogram_search(
    rows: Rows,
    mn: np.ndarray,
    mx: np.ndarray,
    mn_neg: np.ndarray,
    mx_pos: np.ndarray,
    grid: _Grid,
    pool: ThreadPoolExecutor | None,
) -> Range:
    """MSE search of each row on its 2048-bin histogram (rows too long to search on the values).

    The same search as on the values (:func:`_search_rows`), but each candidate
    is scored by the closed-form expected error of the histogram
    (:func:`expected_sse`), which costs the same for 10 values or 10 million.
    """
    levels = grid.qmax - grid.qmin + 1
    lo, hi = mn_neg.copy(), mx_pos.copy()
    for i in range(rows.shape[0]):
        counts, width = _histogram(rows[i], float(mn[i]), float(mx[i]), HIST_BINS, pool)
        keep = counts > 0  # empty bins add nothing: leave them out
        hist = counts[keep][None, :]
        edges = (float(mn[i]) + width * np.arange(HIST_BINS))[keep][None, :]
        widths = np.array([width])

        def score(
            c_lo: np.ndarray, c_hi: np.ndarray, hist: np.ndarray = hist, edges: np.ndarray = edges,
            widths: np.ndarray = widths,
        ) -> np.ndarray:  # fmt: skip
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                qp, fits = grid.params(c_lo, c_hi)
                sse = expected_sse(
                    hist, edges, widths, qp.grid_low_exact, qp.scale.astype(np.float64), levels
                )
            return np.where(fits & np.isfinite(sse), sse, np.inf)

        found = _search_rows(score, mn_neg[i : i + 1], mx_pos[i : i + 1], grid, _HIST_EFFORT)
        lo[i], hi[i] = found[0][0], found[1][0]
    return lo, hi


# ----------------------------------------------------------------- entropy --


def _kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """``Σ p̂ log(p̂/q̂)`` of the normalized histograms; +inf where q̂ = 0 < p̂ (as scipy)."""
    p = p / p.sum()
    q_sum = q.sum()
    if q_sum == 0:
        return math.inf
    q = q / q_sum
    nz = p > 0
    if np.any(q[nz] == 0):
        return math.inf
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def _kl_at(bins: np.ndarray, tail: float, i: int, nq: int) -> float:
    """``KL(P‖Q)`` of keeping the first ``i`` bins, computed the reference's way.

    P: the first ``i`` bins, the ``tail`` (everything beyond) added to the last.
    Q: bin ``j`` goes to quantized bin ``digitize(j, linspace(0, i, nq + 1)) − 1``;
    each quantized bin's total is spread evenly over its non-empty bins.
    """
    kept = bins[:i]
    p = kept.copy()
    p[-1] += tail
    group = np.digitize(np.arange(i), np.linspace(0, i, nq + 1)) - 1
    nonzero = kept != 0
    g = group[nonzero]
    totals = np.bincount(g, weights=kept[nonzero], minlength=nq)
    counts = np.bincount(g, minlength=nq)
    q = np.zeros(i)
    q[nonzero] = totals[g] / counts[g]
    return _kl_divergence(p, q)


def _prefix(v: np.ndarray) -> np.ndarray:
    """``out[j] = Σ v[:j]`` in float64 (``out[0] = 0``)."""
    return np.concatenate([[0.0], np.cumsum(v, dtype=np.float64)])


_KL_PAIRS = 1 << 18  # (candidate, quantized bin) pairs scored at once: 2 MB per array


def _kl_divergences(bins: np.ndarray, i: np.ndarray, nq: int) -> np.ndarray:
    """``KL(P‖Q)`` of every candidate ``i`` at once, equal to :func:`_kl_at` to rounding.

    With ``T = Σ bins``, ``S_i = Σ bins[:i]`` and ``tot_g``, ``cnt_g`` the total and
    the number of non-empty bins of quantized bin ``g``, the sum over bins folds into
    one term per quantized bin::

        KL_i = (Σ_j b_j log b_j − Σ_g tot_g log(tot_g / cnt_g)) / T + (S_i / T) log(S_i / T)

    plus the change the tail makes to the last bin. The first bracket is 0 when each
    quantized bin holds at most one bin (``i ≤ nq``), so only wider candidates cost
    ``nq`` terms each. Quantized bin ``g`` holds the bins ``j`` with
    ``g·i/nq ≤ j < (g+1)·i/nq`` (the reference's ``linspace`` edges, in the same
    float64 products), i.e. ``ceil(g·i/nq) ≤ j < ceil((g+1)·i/nq)``.
    """
    S, C = _prefix(bins), _prefix(bins != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        L = _prefix(np.where(bins > 0, bins * np.log(bins), 0.0))
    total = S[-1]
    step = i / nq
    spread = np.zeros(len(i))
    wide = np.flatnonzero(i > nq)
    g = np.arange(nq, dtype=np.float64)
    rows = max(1, _KL_PAIRS // nq)
    for k in range(0, len(wide), rows):
        w = wide[k : k + rows]
        starts = np.ceil(g * step[w][:, None]).astype(np.int64)
        ends = np.empty_like(starts)
        ends[:, :-1] = np.minimum(starts[:, 1:], i[w][:, None])
        ends[:, -1] = i[w]
        tot, cnt = S[ends] - S[starts], C[ends] - C[starts]
        with np.errstate(divide="ignore", invalid="ignore"):
            spread[w] = L[i[w]] - np.where(cnt > 0, tot * np.log(tot / cnt), 0.0).sum(axis=1)
    s_i = S[i]
    # the quantized bin of the last kept bin j = i − 1 (the largest g with g·step ≤ j)
    j = (i - 1).astype(np.float64)
    last = np.floor(j / step)
    last = np.where(last * step > j, last - 1, last)
    last = np.where((last + 1) * step <= j, last + 1, last)
    start = np.ceil(np.minimum(last, nq - 1) * step).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        kl = spread / total + (s_i / total) * np.log(s_i / total)
        q_hat = (s_i - S[start]) / (C[i] - C[start]) / s_i
        b, tail = bins[i - 1], total - s_i
        with_tail, without = (b + tail) / total, b / total
        change = with_tail * np.log(with_tail / q_hat) - without * np.log(without / q_hat)
        kl = np.where(tail > 0, kl + np.where(b > 0, change, np.inf), kl)
    return np.where(s_i > 0, kl, np.inf)


_KL_TIE = 1e-9  # KL values this close (relative, and absolute) are compared the reference's way


def entropy_threshold(abs_hist: np.ndarray, bits: int, unsigned: bool, start_bin: int = 128) -> int:
    """Number of |x|-histogram bins to keep, minimizing KL divergence (TensorRT's rule).

    For each candidate ``i`` the reference distribution P is the first ``i`` bins
    with everything beyond folded into the last one; Q merges those ``i`` bins into
    ``2**(bits − 1)`` (``2**bits`` if unsigned) quantized bins and spreads each
    back evenly over its non-empty bins. The last minimum of ``KL(P‖Q)`` wins.
    Bin 0 is set to bin 1's count first, to ignore a spike of exact zeros.

    All candidates are scored at once (:func:`_kl_divergences`, ~100× faster than
    one by one); the few within rounding of the minimum are scored again one by
    one (:func:`_kl_at`), so near-ties are settled exactly as the reference does.
    """
    bins = abs_hist.astype(np.float64).copy()
    bins[0] = bins[1]
    n_bins = len(bins)
    if bins.sum() <= 0:
        return n_bins
    nq = 1 << (bits - 1 + int(unsigned))
    candidates = np.arange(min(start_bin, n_bins), n_bins + 1)
    kl = _kl_divergences(bins, candidates, nq)
    best = float(np.min(kl))
    if not math.isfinite(best):
        return n_bins  # every candidate infinite: the reference keeps the last
    close = candidates[kl <= best + _KL_TIE * (1.0 + abs(best))]
    tail = np.concatenate([np.cumsum(bins[::-1])[::-1], [0.0]])  # tail[i] = sum(bins[i:])
    best_i, best_kl = n_bins, math.inf
    for i in close:
        kl_i = _kl_at(bins, float(tail[i]), int(i), nq)
        if kl_i <= best_kl:  # "<=": the last minimum, i.e. the widest range among ties
            best_i, best_kl = int(i), kl_i
    return best_i


def entropy_range(rows: Rows, *, bits: int, symmetric: bool) -> Range:
    """TensorRT-style entropy calibration: the |x| threshold minimizing KL divergence.

    A 2048-bin histogram of ``|x|`` on ``[0, max |x|]``; the threshold is the
    right edge of the last kept bin (see :func:`entropy_threshold`). The range is
    ``±T``, cut to the data's ``[min, max]`` for asymmetric grids.

    The quantized histogram has as many bins as the grid has non-negative
    levels: ``2**(bits − 1)`` for a signed grid, ``2**bits`` ("unsigned", as
    TensorRT's unsigned quantizers) only when the data are all ≥ 0 *and* the grid
    is asymmetric, so that all its codes serve the non-negative values. A
    symmetric grid keeps half its codes for negative values even when there
    are none.
    """
    mn, mx = minmax_range(rows)
    amax = float(max(-mn[0], mx[0]))
    if amax == 0.0:
        return mn, mx
    idx = _bin_index(np.abs(rows[0]), 0.0, HIST_BINS / amax, HIST_BINS)
    hist = np.bincount(idx, minlength=HIST_BINS)
    unsigned = bool(mn[0] >= 0) and not symmetric
    i = entropy_threshold(hist, bits, unsigned=unsigned)
    t = np.array([i * amax / HIST_BINS])
    if symmetric:
        return -t, t
    return np.maximum(mn, -t), np.minimum(mx, t)


# ------------------------------------------------------------------ manual --


def manual_range(rows: Rows, *, low: float | None, high: float | None) -> Range:
    """The range the user gives: the same ``[low, high]`` for every row."""
    if low is None or high is None:
        raise InputError("The manual strategy needs a clipping range: pass low=… and high=….")
    try:
        low, high = float(low), float(high)
    except (TypeError, ValueError) as exc:
        raise InputError(f"low and high must be numbers (got {low!r}, {high!r}).") from exc
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InputError("low and high must be finite numbers.")
    if not low < high:
        raise InputError(f"The clipping range needs low < high (got low={low:g}, high={high:g}).")
    n = rows.shape[0]
    return np.full(n, low), np.full(n, high)


# --------------------------------------------------------------- the table --

PERCENTILE = Param("percentile", 99.99, 50.0, 100.0, "Percent of the values kept inside the range.")
N_SIGMA = Param("n_sigma", 3.0, 0.5, 10.0, "Half-width of the range in standard deviations.")

STRATEGIES: tuple[Strategy, ...] = (
    Strategy(
        "minmax",
        "Min-max",
        "Use the smallest and largest value: no value is more than half a step from a "
        "level, but one outlier stretches every step.",
        r"[\ell, h] = [\min x,\ \max x]",
        "PyTorch MinMaxObserver; TensorRT 'max' calibrator",
    ),
    Strategy(
        "percentile",
        "Percentile",
        "Keep the central p % of the values and clip the rest.",
        r"h = P_{p}(|x|),\ \ell = -h \ \text{(symmetric)}",
        "TensorRT / ModelOpt histogram calibrator (99.99); ONNX Runtime (99.999)",
        params=(PERCENTILE,),
    ),
    Strategy(
        "mse",
        "MSE-optimal",
        "Search the range with the smallest mean squared error "
        "at this bit width: the best trade between clipping and coarse steps.",
        r"[\ell, h] = \arg\min\ \tfrac{1}{n}\sum (x - Q_{\ell,h}(x))^2",
        "PyTorch HistogramObserver's L2 search; ModelOpt MSE calibrator",
    ),
    Strategy(
        "entropy",
        "Entropy (KL)",
        "Pick the threshold whose quantized histogram loses the least information (KL divergence).",
        r"T = \arg\min_T\ \mathrm{KL}(P \,\|\, Q_T)",
        "TensorRT entropy calibration (2048 bins)",
        granularities=("tensor",),
    ),
    Strategy(
        "sigma",
        "k sigma",
        "Clip at k standard deviations around the mean.",
        r"[\ell, h] = \mu \pm k\sigma",
        "common rule of thumb",
        params=(N_SIGMA,),
    ),
    Strategy(
        "aciq_laplace",
        "ACIQ (Laplace)",
        "Analytic optimal clipping if the values follow a Laplace distribution.",
        r"\alpha^* = \arg\min\ 2b^2 e^{-\alpha/b} + \frac{\alpha^2}{3\cdot 4^{M}}",
        "Banner et al., ACIQ (NeurIPS 2019)",
    ),
    Strategy(
        "aciq_gaussian",
        "ACIQ (Gaussian)",
        "Analytic optimal clipping if the values follow a Gaussian distribution.",
        r"\alpha^* = \arg\min\ E_{\mathrm{clip}}(\alpha) + \frac{\alpha^2}{3\cdot 4^{M}}",
        "Banner et al., ACIQ (NeurIPS 2019)",
    ),
    Strategy(
        "manual",
        "Manual",
        "Set the clipping range yourself: feel 'too narrow' "
        "(clipping) against 'too wide' (coarse steps).",
        r"[\ell, h] \ \text{chosen by hand}",
        "—",
    ),
)
_BY_NAME = {s.name: s for s in STRATEGIES}


def strategies() -> tuple[Strategy, ...]:
    """The available range strategies, in teaching order."""
    return STRATEGIES


def get_strategy(name: str) -> Strategy:
    """The :class:`Strategy` called ``name``, or :class:`InputError` listing the valid names."""
    if name not in _BY_NAME:
        raise InputError(f"Unknown range strategy {name!r}; choose one of: {', '.join(_BY_NAME)}.")
    return _BY_NAME[name]


def clipping_range(
    rows: Rows,
    strategy: str,
    *,
    bits: int,
    symmetric: bool,
    narrow_range: bool = False,
    granularity: str = "tensor",
    low: float | None = None,
    high: float | None = None,
    **params: float,
) -> Range:
    """Apply the range strategy ``strategy`` to every row of ``rows``.

    Parameters are validated here (unknown names and out-of-range values raise
    :class:`InputError`); ``low`` and ``high`` are for ``strategy="manual"`` only,
    and passing them with another strategy is an :class:`InputError` (they would
    be ignored).
    """
    spec = get_strategy(strategy)
    if granularity not in spec.granularities:
        raise InputError(
            f"The {spec.label} strategy works per tensor only (as in TensorRT); "
            f"choose granularity 'tensor' or another strategy."
        )
    if strategy != "manual" and (low is not None or high is not None):
        raise InputError(
            f"low and high set the clipping range only with strategy='manual'; "
            f"strategy {strategy!r} chooses its own range."
        )
    values = check_params(f"strategy {strategy!r}", spec.params, params)
    if strategy == "minmax":
        return minmax_range(rows)
    if strategy == "percentile":
        return percentile_range(rows, symmetric=symmetric, **values)
    if strategy == "sigma":
        return sigma_range(rows, symmetric=symmetric, **values)
    if strategy == "mse":
        return mse_range(rows, bits=bits, symmetric=symmetric, narrow_range=narrow_range)
    if strategy == "entropy":
        return entropy_range(rows, bits=bits, symmetric=symmetric)
    if strategy.startswith("aciq_"):
        prior = strategy.removeprefix("aciq_")
        return aciq_range(rows, bits=bits, symmetric=symmetric, prior=prior)
    return manual_range(rows, low=low, high=high)


__all__ = [
    "STRATEGIES",
    "Strategy",
    "aciq_alpha",
    "clipping_range",
    "entropy_threshold",
    "expected_sse",
    "get_strategy",
    "strategies",
]
