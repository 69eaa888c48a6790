"""The closed-form range strategies: each row's ``[low, high]`` from a formula, no search.

min-max (PyTorch's ``MinMaxObserver``), percentile (TensorRT, ONNX Runtime), k sigma,
ACIQ's analytic clipping for a Laplace or Gaussian prior (Banner et al., NeurIPS 2019),
and the user's own range. Every function takes a 2-D array of rows (one row per scale)
and returns one ``low`` and one ``high`` per row as float64 arrays.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from quantviz.errors import InputError
from quantviz.quantizer import F32

Rows = np.ndarray
Range = tuple[np.ndarray, np.ndarray]


def minmax_range(rows: Rows) -> Range:
    """``[min x, max x]`` of each row: nothing is clipped (PyTorch ``MinMaxObserver``)."""
    return rows.min(axis=1).astype(np.float64), rows.max(axis=1).astype(np.float64)


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
