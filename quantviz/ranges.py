"""Range strategies (calibration): data → the clipping range ``[low, high]``.

Choosing the range is a separate step from applying the grid, as in PyTorch's
observers: a strategy only looks at the values and returns where to clip. A
narrow range gives fine steps but clips the tails; a wide one keeps every value
but spends levels on empty space. Each strategy below states its formula and
the library it follows.

All functions work on a 2-D array of *rows* (one row per scale: one row per
tensor, channel or group, see :mod:`quantviz.granularity`) and return one
``low`` and one ``high`` per row as float64 arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from quantviz.errors import InputError
from quantviz.params import Param, check_params
from quantviz.quantizer import F32, dequantize, qparams, quantize_codes

HIST_BINS = 2048  # TensorRT / ModelOpt / PyTorch HistogramObserver all use 2048 bins
EXACT_SEARCH_MAX_ROW = 1024  # rows up to this length are searched on the values themselves
SHRINK_FACTORS = np.linspace(0.25, 1.0, 31)  # candidate fractions of amax for short rows
EXACT_POLISH_MAX_SIZE = 50_000  # up to this many values the MSE search ends on the values
PAIR_STEPS = np.linspace(0.96, 1.04, 5)


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


def _grids(lo: np.ndarray, hi: np.ndarray, bits: int, symmetric: bool, narrow: bool) -> tuple:
    qp = qparams(lo, hi, bits, symmetric=symmetric, narrow_range=narrow)
    return qp.grid_low.astype(np.float64), qp.scale.astype(np.float64), qp.qmax - qp.qmin + 1


def exact_sse(
    rows: Rows, lo: np.ndarray, hi: np.ndarray, bits: int, symmetric: bool, narrow: bool
) -> np.ndarray:
    """Sum of squared quantization errors of each row on the grid built from ``[lo, hi]``."""
    qp = qparams(lo, hi, bits, symmetric=symmetric, narrow_range=narrow)
    scale, zp = qp.scale[:, None], qp.zero_point[:, None]
    codes, _ = quantize_codes(rows, scale, zp, qp.qmin, qp.qmax)
    err = dequantize(codes, scale, zp)
    err -= rows
    return np.einsum("ij,ij->i", err, err, dtype=np.float64)


def _histograms(rows: Rows, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row histograms with ``bins`` equal bins over each row's [min, max]."""
    mn, mx = minmax_range(rows)
    width = (mx - mn) / bins
    width[width <= 0] = 1.0
    scaled = np.subtract(rows, mn[:, None].astype(F32), dtype=F32)
    scaled *= (1.0 / width[:, None]).astype(F32)
    np.clip(scaled, 0, bins - 1, out=scaled)  # the maximum lands in the last bin
    idx = scaled.astype(np.intp)
    if rows.shape[0] > 1:
        idx += np.arange(rows.shape[0], dtype=np.intp)[:, None] * bins
    hist = np.bincount(idx.ravel(), minlength=rows.shape[0] * bins).reshape(rows.shape[0], bins)
    return hist.astype(np.float64), mn, width


def _search_1d(cost: Callable[[np.ndarray], np.ndarray], ends: np.ndarray) -> np.ndarray:
    """Best fraction per row of ``ends`` (S,) among a log grid, then a finer linear grid."""
    coarse = np.geomspace(1e-3, 1.0, 61)
    best = coarse[np.argmin(cost(ends[:, None] * coarse), axis=1)]
    fine = np.linspace(0.88, 1.12, 25)
    cand = np.minimum(best[:, None] * fine, 1.0)
    pick = np.argmin(cost(ends[:, None] * cand), axis=1)
    return ends * cand[np.arange(len(ends)), pick]


def _histogram_search(
    rows: Rows, mn_neg: np.ndarray, mx_pos: np.ndarray, bits: int, symmetric: bool, narrow: bool
) -> Range:
    """MSE search on each row's histogram; see :func:`mse_range`."""
    hist, left, width = _histograms(rows, HIST_BINS)
    edges = left[:, None] + width[:, None] * np.arange(HIST_BINS)
    if hist.shape[0] == 1:  # one row: empty bins add nothing, leave them out
        keep = hist[0] > 0
        hist, edges = hist[:, keep], edges[:, keep]

    def cost(c_lo: np.ndarray, c_hi: np.ndarray) -> np.ndarray:
        g0, s, m = _grids(c_lo, c_hi, bits, symmetric, narrow)
        return expected_sse(hist, edges, width, g0, s, m)

    if symmetric:
        t = _search_1d(lambda a: cost(-a, a), mx_pos)
        return -t, t
    # Shrink both ends together first, then refine each end in turn (coordinate descent).
    f = _search_1d(lambda c: cost(mn_neg[:, None] * c, mx_pos[:, None] * c), np.ones_like(mx_pos))
    lo, hi = mn_neg * f, mx_pos * f
    for _ in range(2):
        hi = _search_1d(lambda h, lo=lo: cost(np.broadcast_to(lo[:, None], h.shape), h), mx_pos)
        if np.any(mn_neg < 0):
            lo = _search_1d(lambda w, hi=hi: cost(w, np.broadcast_to(hi[:, None], w.shape)), mn_neg)
    return lo, hi


def mse_range(rows: Rows, *, bits: int, symmetric: bool, narrow_range: bool) -> Range:
    """The clipping range that minimizes the quantization MSE of each row at ``bits``.

    Long rows (a tensor, a large channel) are searched on a 2048-bin histogram
    whose expected error is integrated exactly (:func:`expected_sse`): a log grid
    of candidate ends, refined; for asymmetric grids the two ends are optimized
    in turn. Short rows (groups) are searched on the values themselves over
    ``amax · f``, ``f`` in 0.25 … 1 (as ModelOpt's MSE calibrator). Either way the
    winner is checked on the actual values against min-max, so the result is
    never worse than min-max.
    """
    mn, mx = minmax_range(rows)
    mn_neg, mx_pos = np.minimum(mn, 0.0), np.maximum(mx, 0.0)
    if symmetric:
        amax = np.maximum(-mn_neg, mx_pos)
        mn_neg, mx_pos = -amax, amax
    if rows.shape[1] <= EXACT_SEARCH_MAX_ROW:
        sse = np.stack(
            [
                exact_sse(rows, f * mn_neg, f * mx_pos, bits, symmetric, narrow_range)
                for f in SHRINK_FACTORS
            ],
            axis=1,
        )
        f = SHRINK_FACTORS[np.argmin(sse, axis=1)]
        return f * mn_neg, f * mx_pos

    lo, hi = mn_neg.copy(), mx_pos.copy()
    chunk = max(1, 2_000_000 // (HIST_BINS * 100))  # rows per histogram batch, bounds memory
    for start in range(0, rows.shape[0], chunk):
        sl = slice(start, start + chunk)
        lo[sl], hi[sl] = _histogram_search(
            rows[sl], mn_neg[sl], mx_pos[sl], bits, symmetric, narrow_range
        )
    if rows.size <= EXACT_POLISH_MAX_SIZE:  # few values: a noisy histogram, polish on the values
        lo, hi = _polish(rows, lo, hi, bits, symmetric, narrow_range)
    # Keep min-max wherever the search did not beat it on the real values.
    worse = exact_sse(rows, lo, hi, bits, symmetric, narrow_range) > exact_sse(
        rows, mn_neg, mx_pos, bits, symmetric, narrow_range
    )
    return np.where(worse, mn_neg, lo), np.where(worse, mx_pos, hi)


def _polish(
    rows: Rows, lo: np.ndarray, hi: np.ndarray, bits: int, symmetric: bool, narrow: bool
) -> Range:
    """Finish the search on the values themselves (few values make a noisy histogram).

    Candidates: both ends moved together by up to ±10 %, each end by up to ±4 %,
    and the 99, 99.9 and 99.99 percentile ranges; the exact best wins.
    """
    together = [(lo * f, hi * f) for f in np.linspace(0.9, 1.1, 21)]
    apart = [] if symmetric else [(lo * a, hi * b) for a in PAIR_STEPS for b in PAIR_STEPS]
    pct = [percentile_range(rows, symmetric=symmetric, percentile=p) for p in (99.0, 99.9, 99.99)]
    candidates = [(lo, hi), *together, *apart, *pct]
    sse = np.stack(
        [exact_sse(rows, c_lo, c_hi, bits, symmetric, narrow) for c_lo, c_hi in candidates]
    )
    best = np.argmin(sse, axis=0)
    pick = np.arange(rows.shape[0])
    return (
        np.stack([c[0] for c in candidates])[best, pick],
        np.stack([c[1] for c in candidates])[best, pick],
    )


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


def entropy_threshold(abs_hist: np.ndarray, bits: int, unsigned: bool, start_bin: int = 128) -> int:
    """Number of |x|-histogram bins to keep, minimizing KL divergence (TensorRT's rule).

    For each candidate ``i`` the reference distribution P is the first ``i`` bins
    with everything beyond folded into the last one; Q merges those ``i`` bins into
    ``2**(bits − 1)`` (``2**bits`` if unsigned) quantized bins and spreads each
    back evenly over its non-empty bins. The last minimum of ``KL(P‖Q)`` wins.
    Bin 0 is set to bin 1's count first, to ignore a spike of exact zeros.
    """
    bins = abs_hist.astype(np.float64).copy()
    bins[0] = bins[1]
    n_bins = len(bins)
    nq = 1 << (bits - 1 + int(unsigned))
    tail = np.concatenate([np.cumsum(bins[::-1])[::-1], [0.0]])  # tail[i] = sum(bins[i:])
    best_i, best_kl = n_bins, math.inf
    for i in range(min(start_bin, n_bins), n_bins + 1):
        kept = bins[:i]
        p = kept.copy()
        p[-1] += tail[i]
        group = np.digitize(np.arange(i), np.linspace(0, i, nq + 1)) - 1
        nonzero = kept != 0
        g = group[nonzero]
        totals = np.bincount(g, weights=kept[nonzero], minlength=nq)
        counts = np.bincount(g, minlength=nq)
        q = np.zeros(i)
        q[nonzero] = totals[g] / counts[g]
        kl = _kl_divergence(p, q)
        if kl <= best_kl:  # "<=": the last minimum, i.e. the widest range among ties
            best_i, best_kl = i, kl
    return best_i


def entropy_range(rows: Rows, *, bits: int, symmetric: bool) -> Range:
    """TensorRT-style entropy calibration: the |x| threshold minimizing KL divergence.

    A 2048-bin histogram of ``|x|`` on ``[0, max |x|]``; the threshold is the
    right edge of the last kept bin (see :func:`entropy_threshold`). The range is
    ``±T``, cut to the data's ``[min, max]`` for asymmetric grids.
    """
    mn, mx = minmax_range(rows)
    amax = float(max(-mn[0], mx[0]))
    if amax == 0.0:
        return mn, mx
    absx = np.abs(rows[0])
    idx = np.minimum((absx * F32(HIST_BINS / amax)).astype(np.int64), HIST_BINS - 1)
    hist = np.bincount(idx, minlength=HIST_BINS)
    i = entropy_threshold(hist, bits, unsigned=bool(mn[0] >= 0))
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
        "Use the smallest and largest value: nothing is clipped, "
        "but one outlier stretches every step.",
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
    :class:`InputError`); ``low`` and ``high`` are for ``strategy="manual"``.
    """
    spec = get_strategy(strategy)
    if granularity not in spec.granularities:
        raise InputError(
            f"The {spec.label} strategy works per tensor only (as in TensorRT); "
            f"choose granularity 'tensor' or another strategy."
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
