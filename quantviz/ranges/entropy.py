"""Entropy calibration (TensorRT's KL rule): keep the |x| threshold that loses least.

A 2048-bin histogram of ``|x|``; for each candidate threshold the kept bins ``P`` (the
tail folded into the last bin) are merged onto the grid's levels and spread back
(``Q``); the threshold with the smallest ``KL(P‖Q)`` wins, the last one among ties
(TensorRT, ModelOpt). Per tensor only, as in TensorRT.
"""

from __future__ import annotations

import math

import numpy as np

from quantviz.ranges.histogram import HIST_BINS, bin_index
from quantviz.ranges.simple import Range, Rows, minmax_range


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
    idx = bin_index(np.abs(rows[0]), 0.0, HIST_BINS / amax, HIST_BINS)
    hist = np.bincount(idx, minlength=HIST_BINS)
    unsigned = bool(mn[0] >= 0) and not symmetric
    i = entropy_threshold(hist, bits, unsigned=unsigned)
    t = np.array([i * amax / HIST_BINS])
    if symmetric:
        return -t, t
    return np.maximum(mn, -t), np.minimum(mx, t)
