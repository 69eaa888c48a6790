"""The MSE search's engine: many candidate ranges per row, each scored fast.

:func:`quantviz.ranges.mse.mse_range` says *what* is searched (each row's clipping range
minimising the squared error); this module does it fast. A candidate range is a
log shrink factor ``u`` of the row's min-max ends (``[ℓ·e^u, h·e^u]``, ``u ≤ 0``) or of
each end on its own. The search tries coarse factors (a :func:`ladder` that starts a few
grid steps inside min-max and doubles) until the error stops falling (:func:`_coarse`),
refines by golden-section search between the best factor's neighbours (:func:`_golden`),
moves each end on its own (coordinate descent, :func:`_refine_end`), and at ≤ 4 bits also
tries the neighbouring zero points (:func:`_shift_zero_points`). How many candidates a row
gets is an :class:`Effort`, chosen by :func:`effort_for`.

Each candidate is scored by :class:`BlockScorer`: the quantizer's own float32
arithmetic in code units, ``Σ (clamp(round(x/s + z)) − (x/s + z))² · s²``, over blocks of
rows that fit the L2 cache (on :data:`WORKERS` threads: numpy releases the GIL). Where
those scores show the found range beats min-max beyond float32's blur
(:func:`surely_better`), no exact check is needed.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from quantviz.quantizer import EPS, F32, FLOAT32_MAX, QParams, grid_params

Rows = np.ndarray
Range = tuple[np.ndarray, np.ndarray]

BLOCK_VALUES = 1 << 17  # values scored together: 512 KB of float32, stays in the L2 cache
WORKERS = 1
"""Threads that score blocks at once (numpy frees the GIL). One: on this project's 2-core
machine two threads were slower *and* used 40–70 % more CPU (a 30522 × 384 embedding per
group of 128 at 4 bits: 0.35 s on one thread, 0.43 s on two; 10M values per tensor: 62–67 ms
against 69–74 ms), as the pipeline found too (:data:`quantviz.pipeline.WORKERS`). Raise it
where more cores are free."""
_GOLDEN = (3.0 - math.sqrt(5.0)) / 2.0  # 0.382: the golden-section step
_LN2 = math.log(2.0)
_COARSE_MAX = 14  # the coarse descent tries amax · 2^-k for k ≤ 14 (down to 6e-5 · amax)


@dataclass(frozen=True)
class Grid:
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


class BlockScorer:
    """Scores candidate ranges on one block of rows (see :meth:`__call__`), reusing its buffers."""

    def __init__(self, block: Rows, grid: Grid) -> None:
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


def block_sse(block: Rows, lo: np.ndarray, hi: np.ndarray, grid: Grid) -> np.ndarray:
    """:class:`BlockScorer` for one call."""
    return BlockScorer(block, grid)(lo, hi)


def exact_block_sse(block: Rows, lo: np.ndarray, hi: np.ndarray, grid: Grid) -> np.ndarray:
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
        # clamp(code, qmin, qmax) − zp in one go: codes and zero points are whole
        # numbers, exact in float32, so this equals the quantizer's (code − zp)
        np.clip(q, grid.qmin - zp, grid.qmax - zp, out=q)
        q *= scale
    err = q.astype(np.float64)
    err -= block  # float64 minus float32: exact
    return np.where(fits, np.einsum("ij,ij->i", err, err), np.inf)


def value_blocks(shape: tuple[int, int]) -> list[tuple[slice, slice]]:
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


def run(work: Callable, jobs: list, pool: ThreadPoolExecutor | None) -> list:
    """``[work(j) for j in jobs]``, on the pool's threads if any (numpy frees the GIL)."""
    if pool is None or len(jobs) == 1:
        return [work(j) for j in jobs]
    return list(pool.map(work, jobs))


def blockwise(
    fn: Callable, rows: Rows, lo: np.ndarray, hi: np.ndarray, pool: ThreadPoolExecutor | None
) -> np.ndarray:
    """Apply a per-block scorer ``fn(block, lo, hi)`` over cache-sized blocks; sum per row."""

    def work(b: tuple[slice, slice]) -> tuple[slice, np.ndarray]:
        r, c = b
        return r, fn(rows[r, c], lo[r], hi[r])

    out = np.zeros(lo.shape)
    for r, part in run(work, value_blocks(rows.shape), pool):
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


def ladder(first: float = _LN2) -> np.ndarray:
    """The coarse log shrink factors, from 0 down: ``−first`` doubling up to ``−ln 2``, then
    ``−k·ln 2`` (range times 2^-k) up to k = 14. With ``first = ln 2``: 0, −ln 2, −2 ln 2, …"""
    fine = first * 2.0 ** np.arange(max(0, math.ceil(math.log2(_LN2 / first) - 1e-9)))
    return -np.concatenate([[0.0], fine, _LN2 * np.arange(1.0, _COARSE_MAX + 1)])


def _coarse(cost: Callable, n_rows: int, steps: np.ndarray) -> tuple[_Best, np.ndarray]:
    """The best of the log shrink factors ``steps`` (a :func:`ladder`), tried in order, and
    the SSE of the first (0: the range itself).

    Stops when, in every row, the last two steps were both worse than the best,
    or at the ladder's end.
    """
    sse = cost(np.broadcast_to(steps[:3], (n_rows, 3)))
    best = _Best(np.zeros(n_rows), sse[:, 0])
    misses = np.zeros(n_rows, dtype=int)
    for k in (1, 2):
        improved = best.offer(np.full(n_rows, steps[k]), sse[:, k])
        misses = np.where(improved, 0, misses + 1)
    k = 2
    while k + 1 < len(steps) and np.any(misses < 2):
        k += 1
        u = np.full(n_rows, steps[k])
        improved = best.offer(u, cost(u[:, None])[:, 0])
        misses = np.where(improved, 0, misses + 1)
    return best, sse[:, 0]


def _shrink_search(cost: Callable, best: _Best, iters: int, steps: np.ndarray) -> _Best:
    """Refine a coarse best log shrink factor (a step of the ladder ``steps``) by
    golden-section search between its two neighbours on the ladder (never above 0: the
    range never grows beyond the data)."""
    at = np.searchsorted(-steps, -best.u)  # where each row's best sits on the ladder
    low = np.where(at + 1 < len(steps), steps[np.minimum(at + 1, len(steps) - 1)], best.u - _LN2)
    _golden(cost, low, steps[np.maximum(at - 1, 0)], best, iters)
    return best


@dataclass(frozen=True)
class Effort:
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
    tries with each zero point (:func:`_shift_zero_points`); ``first``: the first
    coarse shrink, in grid steps (``None``: halve the range; 4: a shrink of 4 steps,
    ``ln 2 · 4/(qmax − qmin)`` in log units, then doubling — at 8 bits the best range
    of a few hundred values lies within a few steps of min-max).
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
    first: float | None = None


_SHIFT_MAX_STEPS = 15  # zero-point shifts are tried for grids of up to 16 levels (4 bits)
_ROWS_EFFORT = Effort(  # many rows: per channel, per group
    iters=4, rounds=(), start_iters=4, scans=((0.01, 5),), cut_start=False, first=4
)
_ROWS_FEW_LEVELS_EFFORT = Effort(  # the same at ≤ 4 bits, where zero-point shifts take over
    iters=5, rounds=(), start_iters=3, shift_iters=2, shift_steps=(0.7, 1.0, 1.4),
    cut_start=False, first=4,
)  # fmt: skip
_SHORT_EFFORT = Effort(  # rows under 256 values (small groups): noisy, so less to gain
    iters=3, rounds=(), start_iters=3, cut_start=False, first=4
)
_SHORT_FEW_LEVELS_EFFORT = Effort(
    iters=4, rounds=(), start_iters=3, shift_iters=2, shift_steps=(0.7, 1.0, 1.4),
    cut_start=False, first=4,
)  # fmt: skip
_SHORT_ROW = 256
HIST_EFFORT = Effort(  # a histogram: smooth, and cheap to score, so no scans are needed
    iters=12, rounds=((_LN2, 6), (0.2, 4), (0.05, 3)), start_iters=12, shifts=2, shift_iters=5
)
_TENSOR_EFFORT = Effort(  # one row: per tensor
    iters=10,
    rounds=((_LN2, 5), (0.2, 3), (0.05, 3)),
    start_iters=10,
    scans=((0.04, 41), (0.006, 13)),
    end_scans=((0.04, 41), (0.006, 13)),
    shifts=2,
    shift_iters=5,
)


@dataclass(frozen=True)
class Searched:
    """What a search found for each row: its range, and the SSE of that range and of the
    starting range (min-max), both as the search's ``score`` measured them."""

    low: np.ndarray
    high: np.ndarray
    sse: np.ndarray
    start_sse: np.ndarray


def search_rows(
    score: Callable, mn_neg: np.ndarray, mx_pos: np.ndarray, grid: Grid, effort: Effort
) -> Searched:
    """Search the clipping range of each row; ``score(lo, hi)`` gives (rows, K) SSEs.

    Symmetric: the range ``±amax · e^u``: coarse steps ``u`` down the effort's
    :func:`ladder` (:func:`_coarse`), golden-section search (:func:`_shrink_search`), then the
    effort's scans. Asymmetric: both ends shrunk by the same factor (and, if the
    effort says so, both cut at the same distance from 0, keeping the better
    start), refined the same way; then each end moves on its own in turn
    (coordinate descent, the effort's rounds and end scans); and for grids of at
    most 16 levels the zero point and step are searched together
    (:func:`_shift_zero_points`). Every row keeps the best candidate it saw: the
    result (:class:`Searched`) holds its range and its SSE, and min-max's.
    """
    n = len(mx_pos)
    lo_end, hi_end = mn_neg[:, None], mx_pos[:, None]
    first = (
        _LN2 if effort.first is None else _LN2 * min(1.0, effort.first / (grid.qmax - grid.qmin))
    )
    steps = ladder(first)

    def together(u: np.ndarray) -> np.ndarray:
        f = np.exp(u)
        return score(lo_end * f, hi_end * f)

    if grid.symmetric:
        coarse, start_sse = _coarse(together, n, steps)
        best = _shrink_search(together, coarse, effort.iters, steps)
        for width, points in effort.scans:
            _scan(together, best, width, points)
        f = np.exp(best.u)
        return Searched(mn_neg * f, mx_pos * f, best.sse, start_sse)
    # Two starts: both ends shrunk by the same factor, or both cut at the same
    # distance t = amax · e^u from 0 (which suits a symmetric bulk with outliers
    # on one side only). The coarse steps of both are tried; the better one is refined.
    amax = np.maximum(-mn_neg, mx_pos)[:, None]

    def cut(u: np.ndarray) -> np.ndarray:
        t = amax * np.exp(u)
        return score(np.maximum(lo_end, -t), np.minimum(hi_end, t))

    by_together, start_sse = _coarse(together, n, steps)
    if effort.cut_start:
        by_cut, _ = _coarse(cut, n, steps)
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
    _shrink_search(start, best, effort.start_iters, steps)
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
        lo, hi, sse = _shift_zero_points(
            score,
            lo,
            hi,
            sse,
            grid,
            effort.shifts,
            effort.shift_iters,
            effort.shift_steps,
        )
    return Searched(lo, hi, sse, start_sse)


def _shift_zero_points(
    score: Callable,
    lo: np.ndarray,
    hi: np.ndarray,
    sse: np.ndarray,
    grid: Grid,
    rounds: int,
    iters: int,
    steps: tuple[float, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Search the zero point and the step together, around the current grid.

    With 4 to 16 levels the zero point is a coarse, discrete choice (at 2 bits:
    which of 4 levels stands for 0.0), and the error has several valleys in the
    step: moving the ends smoothly misses both. Every asymmetric grid is a zero
    point and a step, so for each row try the zero point one code down, the same
    and one code up, each with the step times each of ``steps`` (e.g. 0.6, 0.8,
    1, 1.25, 1.6); refine the step of the best by golden-section search within
    ±12 %; keep it if better. Returns the ranges and their SSE.
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
        # the same zero point and step is the current grid: its error is known
        new = ~((np.array([-1, 0, 1])[:, None] == 0) & (f == 1.0)).ravel()
        tried = np.empty((n, new.size))
        tried[:, ~new] = sse[:, None]
        tried[:, new] = score(
            (base_lo[:, :, None] * f).reshape(n, -1)[:, new],
            (base_hi[:, :, None] * f).reshape(n, -1)[:, new],
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
    return lo, hi, sse


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


def effort_for(shape: tuple[int, int], grid: Grid) -> Effort:
    """How hard to search rows of this shape: one long row (per tensor) gets the most
    candidates; many rows fewer; short rows (small groups) fewest; grids of at most 16
    levels trade end moves for zero-point shifts."""
    n_rows, length = shape
    few = grid.qmax - grid.qmin <= _SHIFT_MAX_STEPS
    if n_rows == 1:
        return _TENSOR_EFFORT
    if length < _SHORT_ROW:
        return _SHORT_FEW_LEVELS_EFFORT if few else _SHORT_EFFORT
    return _ROWS_FEW_LEVELS_EFFORT if few else _ROWS_EFFORT


def search_values(
    rows: Rows, start: Range, grid: Grid, pool: ThreadPoolExecutor | None
) -> Searched:
    """Search each row's range on its values (:func:`search_rows`), starting from ``start``.

    Long rows are searched together, each candidate scored over cache-sized blocks in
    parallel; short rows block by block, each block of rows searched on its own.
    """
    mn_neg, mx_pos = start
    effort = effort_for(rows.shape, grid)
    if rows.shape[1] * 8 > BLOCK_VALUES:

        def score(c_lo: np.ndarray, c_hi: np.ndarray) -> np.ndarray:
            return blockwise(
                lambda b, b_lo, b_hi: block_sse(b, b_lo, b_hi, grid), rows, c_lo, c_hi, pool
            )

        return search_rows(score, mn_neg, mx_pos, grid, effort)

    def search_block(b: tuple[slice, slice]) -> tuple[slice, Searched]:
        r, _ = b
        return r, search_rows(BlockScorer(rows[r], grid), mn_neg[r], mx_pos[r], grid, effort)

    fields = ("low", "high", "sse", "start_sse")
    out = Searched(*(np.empty(rows.shape[0]) for _ in fields))
    for r, part in run(search_block, value_blocks(rows.shape), pool):
        for name in fields:
            getattr(out, name)[r] = getattr(part, name)
    return out


def surely_better(found: Searched, start: Range, length: int, grid: Grid) -> np.ndarray:
    """Rows whose found range has a smaller exact error than the start beyond doubt, judged
    from the search's own float32 scores (:class:`BlockScorer`); they need no exact check.

    The scorer's error of a value, in steps, differs from the quantizer's exact error
    ``(x̂ − x)/s`` only by float32 rounding: of ``x·(1/s)``, of adding the zero point,
    of ``x̂``, each at most ``u = 2⁻²⁴`` of a number below ``levels`` (or of the error
    itself, for a clamped value far outside), so by at most ``4u·|error| + 8u·levels``.
    Over a row of ``n`` values (triangle inequality on the vector of errors) the root
    of the SSE moves by at most ``4u`` of itself plus ``8u·levels·√n`` steps, and the
    float32 sum of squares by ``n·u`` of itself. A row counts as surely better when the
    found range's highest possible exact root-SSE, with every term doubled, is below the
    start's lowest possible one.
    """
    u = 2.0**-24
    with np.errstate(over="ignore", invalid="ignore"):
        scale_found = grid.params(found.low, found.high)[0].scale.astype(np.float64)
        scale_start = grid.params(*start)[0].scale.astype(np.float64)
        slack = 16.0 * u * (grid.qmax - grid.qmin + 1) * math.sqrt(length)
        most = np.sqrt(found.sse * (1.0 + 2.0 * length * u)) * (1.0 + 8.0 * u)
        most += slack * scale_found
        least = np.sqrt(np.maximum(found.start_sse * (1.0 - 2.0 * length * u), 0.0))
        least = least * (1.0 - 8.0 * u) - slack * scale_start
        return most < least


def exact_sse_pairs(
    rows: Rows,
    a: Range,
    b: Range,
    grid: Grid,
    pool: ThreadPoolExecutor | None,
    only: np.ndarray | None = None,
) -> np.ndarray:
    """(rows, 2): each row's exact SSE on range ``a`` and on range ``b``; with ``only`` (a
    mask of rows), 0 and 0 for the other rows, which are not scored."""
    chosen = np.ones(rows.shape[0], dtype=bool) if only is None else only
    if not chosen.any():
        return np.zeros((rows.shape[0], 2))

    def both(block: Rows, b_lo: np.ndarray, b_hi: np.ndarray) -> np.ndarray:
        out = np.zeros(b_lo.shape)  # the third column stays 0
        some = b_lo[:, 2] > 0  # this block's chosen rows
        if some.any():
            some = slice(None) if some.all() else some
            part, p_lo, p_hi = block[some], b_lo[some], b_hi[some]
            for k in (0, 1):
                out[some, k] = exact_block_sse(part, p_lo[:, k], p_hi[:, k], grid)
        return out

    flag = chosen.astype(np.float64)  # passed along as a third column, cut like the ranges
    pairs_lo = np.stack([a[0], b[0], flag], axis=1)
    pairs_hi = np.stack([a[1], b[1], flag], axis=1)
    return blockwise(both, rows, pairs_lo, pairs_hi, pool)[:, :2]


def workers(rows: Rows) -> contextlib.AbstractContextManager[ThreadPoolExecutor | None]:
    """A few threads for big inputs (numpy frees the GIL), none for small ones."""
    if WORKERS > 1 and rows.size > 2 * BLOCK_VALUES:
        return ThreadPoolExecutor(WORKERS)
    return contextlib.nullcontext()
