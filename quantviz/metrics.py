"""How much a quantized tensor differs from the original, and how big it is.

Error figures compare the original ``x`` with its dequantized copy ``x̂``; code
figures look at which of the ``2**bits`` codes were used; size figures count
every bit that must be stored, including the scales and zero points of
per-channel and per-group schemes. All sums are accumulated in float64, and
no figure is ever NaN: a perfect reconstruction has ``sqnr_db = +inf``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass
class ErrorSums:
    """Running sums behind the error figures, so a tensor can be measured block by block."""

    n: int = 0
    sse: float = 0.0  # Σ (x̂ − x)²
    signal: float = 0.0  # Σ x²
    sum_error: float = 0.0  # Σ (x̂ − x)
    max_abs: float = 0.0
    n_clipped: int = 0
    sse_clipped: float = 0.0  # Σ (x̂ − x)² over clipped values

    @classmethod
    def of(cls, x: np.ndarray, x_hat: np.ndarray, clipped: np.ndarray | None = None) -> ErrorSums:
        err = np.subtract(x_hat, x, dtype=np.float32).ravel()
        sums = cls(
            n=err.size,
            sse=sum_squares(err),
            signal=sum_squares(np.ravel(x)),
            sum_error=float(err.sum(dtype=np.float64)),
            max_abs=float(max(err.max(), -err.min())) if err.size else 0.0,
        )
        if clipped is not None:
            mask = clipped.ravel()
            sums.n_clipped = int(np.count_nonzero(mask))
            sums.sse_clipped = sum_squares(err[mask]) if sums.n_clipped else 0.0
        return sums

    def __add__(self, other: ErrorSums) -> ErrorSums:
        return ErrorSums(
            self.n + other.n,
            self.sse + other.sse,
            self.signal + other.signal,
            self.sum_error + other.sum_error,
            max(self.max_abs, other.max_abs),
            self.n_clipped + other.n_clipped,
            self.sse_clipped + other.sse_clipped,
        )

    def figures(self, clipping: bool = True) -> dict:
        """The error figures; with ``clipping`` also the clipped fraction and the MSE split."""
        n = self.n
        out = {
            "mse": self.sse / n,
            "rmse": math.sqrt(self.sse / n),
            "sqnr_db": sqnr_db(self.signal, self.sse),
            "max_abs_error": self.max_abs,
            "mean_error": self.sum_error / n,
        }
        if clipping:
            out["clipped_count"] = self.n_clipped
            out["clipped_fraction"] = self.n_clipped / n
            out["mse_clipping"] = self.sse_clipped / n
            out["mse_rounding"] = max(self.sse - self.sse_clipped, 0.0) / n
        return out


def error_metrics(x: np.ndarray, x_hat: np.ndarray, clipped: np.ndarray | None = None) -> dict:
    """Error figures of a float32 pair of equal shape (no validation; see :func:`metrics`).

    Keys: ``mse``, ``rmse``, ``sqnr_db``, ``max_abs_error``, ``mean_error`` (the
    bias, mean of ``x̂ − x``). With the ``clipped`` mask of the values that fell
    outside the grid also: ``clipped_count``, ``clipped_fraction`` and the split of the MSE into
    ``mse_clipping`` (from clipped values) and ``mse_rounding`` (from the rest).
    """
    return ErrorSums.of(x, x_hat, clipped).figures(clipping=clipped is not None)


def sum_squares(a: np.ndarray) -> float:
    """``Σ a²`` of a 1-D float32 array, accurate to about 1e-8 and without a float64 copy.

    A float32 dot product over the whole array would lose digits (about 1e-5 for
    10M values); over slices of 64k values each partial sum stays accurate and the
    partial sums are added in float64.
    """
    step = 1 << 16
    return float(
        sum(float(np.dot(a[i : i + step], a[i : i + step])) for i in range(0, a.size, step))
    )


def code_patterns(codes: np.ndarray) -> np.ndarray:
    """Counts of each bit pattern of 8- or 16-bit codes (a signed code c is stored as c mod 2^k).

    Cheaper than counting codes directly (no int64 copy); :func:`code_counts`
    reads the counts back in code order.
    """
    flat = codes.ravel()
    unsigned = flat.view(np.dtype(f"u{flat.dtype.itemsize}"))
    patterns = np.zeros(1 << (8 * flat.dtype.itemsize), dtype=np.int64)
    step = 1 << 16  # cache-sized slices
    for start in range(0, unsigned.size, step):
        patterns += np.bincount(unsigned[start : start + step], minlength=patterns.size)
    return patterns


def code_counts(
    codes: np.ndarray, qmin: int, qmax: int, patterns: np.ndarray | None = None
) -> np.ndarray:
    """How many values landed on each code ``qmin … qmax`` (length ``qmax − qmin + 1``).

    ``codes`` must be 8- or 16-bit integers (as ``quantize`` makes them); pass
    precomputed ``patterns`` (:func:`code_patterns`) to skip the counting.
    """
    patterns = code_patterns(codes) if patterns is None else patterns
    return patterns[np.arange(qmin, qmax + 1) % patterns.size]


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
