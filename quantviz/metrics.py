"""How much a quantized tensor differs from the original, and how big it is.

Error figures compare the original ``x`` with its dequantized copy ``x̂``; code
figures look at which of the ``2**bits`` codes were used; size figures count
every bit that must be stored, including the scales and zero points of
per-channel and per-group schemes. All sums are accumulated in float64, and
no figure is ever NaN: a perfect reconstruction has ``sqnr_db = +inf``.
"""

from __future__ import annotations

import math

import numpy as np

from quantviz.errors import InputError
from quantviz.tensor import as_weights

FLOAT32_BITS = 32
DB_PER_BIT = 20.0 * math.log10(2.0)  # 6.0206 dB: each extra bit halves the step, quarters the noise


def sqnr_rule_db(bits: int | np.ndarray) -> float | np.ndarray:
    """The textbook signal-to-quantization-noise ratio, ``6.02 · bits`` dB.

    Exact for a uniform signal filling a grid of ``2**bits`` cells
    (signal ``A²/3``, noise ``Δ²/12``, ``Δ = 2A / 2**bits``).
    """
    return DB_PER_BIT * np.asarray(bits, dtype=np.float64)


def sqnr_db(signal_energy: float, noise_energy: float) -> float:
    """``10 · log10(Σx² / Σ(x − x̂)²)`` in dB: +inf when there is no error, never NaN."""
    if noise_energy <= 0.0:
        return math.inf
    if signal_energy <= 0.0:
        return -math.inf
    return 10.0 * math.log10(signal_energy / noise_energy)


def error_metrics(x: np.ndarray, x_hat: np.ndarray, clipped: np.ndarray | None = None) -> dict:
    """Error figures of a float32 pair of equal shape (no validation; see :func:`metrics`).

    Keys: ``mse``, ``rmse``, ``sqnr_db``, ``max_abs_error``, ``mean_error`` (the
    bias, mean of ``x̂ − x``). With the ``clipped`` mask of the values that fell
    outside the grid also: ``clipped_fraction`` and the split of the MSE into
    ``mse_clipping`` (from clipped values) and ``mse_rounding`` (from the rest).
    """
    n = x.size
    flat = np.subtract(x_hat, x, dtype=np.float32).ravel()
    squared = np.square(flat)
    sse = float(squared.sum(dtype=np.float64))  # float64 accumulation, no float64 copy
    signal = float(np.square(x, dtype=np.float32).sum(dtype=np.float64))
    out = {
        "mse": sse / n,
        "rmse": math.sqrt(sse / n),
        "sqnr_db": sqnr_db(signal, sse),
        "max_abs_error": float(np.max(np.abs(flat))),
        "mean_error": float(flat.sum(dtype=np.float64)) / n,
    }
    if clipped is not None:
        mask = clipped.ravel()
        sse_clip = float(squared[mask].sum(dtype=np.float64))
        out["clipped_fraction"] = int(np.count_nonzero(mask)) / n
        out["mse_clipping"] = sse_clip / n
        out["mse_rounding"] = max(sse - sse_clip, 0.0) / n
    return out


def code_counts(codes: np.ndarray, qmin: int, qmax: int) -> np.ndarray:
    """How many values landed on each code ``qmin … qmax`` (length ``qmax − qmin + 1``)."""
    counts = np.zeros(qmax - qmin + 1, dtype=np.int64)
    flat = codes.ravel()
    step = 1 << 20  # bincount in slices keeps its int64 copy of the codes small
    for start in range(0, flat.size, step):
        part = flat[start : start + step].astype(np.int64) - qmin
        counts += np.bincount(part, minlength=counts.size)
    return counts


def code_metrics(counts: np.ndarray, bits: int) -> dict:
    """Which codes were used: ``levels_used`` (of ``levels_available``, ``2**bits``
    or one less for a narrow range) and ``code_entropy_bits``, the Shannon
    entropy of the codes: the average bits per value a lossless coder would need.
    """
    used = counts[counts > 0].astype(np.float64)
    p = used / used.sum()
    return {
        "levels_used": int(used.size),
        "levels_available": int(counts.size),
        "code_entropy_bits": float(max(-(p * np.log2(p)).sum(), 0.0)),
    }


def size_metrics(n_values: int, bits: int, n_scales: int, symmetric: bool) -> dict:
    """Storage cost against float32.

    Each value costs ``bits``; each scale is a float32 (32 bits) and each zero
    point, stored only by asymmetric schemes, costs ``bits`` too. So
    ``bits_per_weight = bits + n_scales · (32 + zp_bits) / n_values`` and the
    ``compression_ratio`` is ``32 / bits_per_weight``. Example: 4-bit symmetric
    groups of 32 cost 4 + 32/32 = 5 bits per weight, a ratio of 6.4 (not 8).
    """
    overhead_bits = n_scales * (FLOAT32_BITS + (0 if symmetric else bits))
    total_bits = n_values * bits + overhead_bits
    bits_per_weight = total_bits / n_values
    return {
        "bits_per_weight": bits_per_weight,
        "compression_ratio": FLOAT32_BITS / bits_per_weight,
        "size_bytes": total_bits / 8.0,
        "float32_bytes": n_values * 4.0,
    }


def metrics(x: object, x_hat: object) -> dict:
    """Error figures of any original/reconstruction pair (same shape).

    Returns ``mse``, ``rmse``, ``sqnr_db`` (``10·log10(Σx²/Σe²)``, +inf when
    exact), ``max_abs_error`` and ``mean_error``. Figures that need the grid
    (clipped fraction, levels used, size) are in ``QuantResult.metrics``.
    """
    x = as_weights(x, "x")
    x_hat = as_weights(x_hat, "x_hat")
    if x.shape != x_hat.shape:
        raise InputError(
            f"x has shape {x.shape} but x_hat has shape {x_hat.shape}; they must match."
        )
    return error_metrics(x, x_hat)
