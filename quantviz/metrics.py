"""How much a quantized tensor differs from the original, and how big it is.

Error figures compare the original ``x`` with its dequantized copy ``x̂``; code
figures look at which of the ``2**bits`` codes were used; size figures count
every bit that must be stored, including the scales and zero points of
per-channel and per-group schemes.

Every sum of squares (the error ``Σ(x̂ − x)²`` and the signal ``Σx²``) is taken
in float64, slice by slice, so neither overflows for values near float32's
largest (``1e20² = 1e40``) nor vanishes for tiny ones (``(1e-25)² = 1e-50``),
and memory stays bounded: no float64 copy of a whole tensor is made. The error
of clipped values and the error of the others are summed apart, so
``mse = mse_rounding + mse_clipping`` holds by construction. No figure is ever
NaN: a perfect reconstruction has ``sqnr_db = +inf``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.tensor import as_weights

FLOAT32_BITS = 32
DB_PER_BIT = 20.0 * math.log10(2.0)  # 6.0206 dB: each extra bit halves the step, quarters the noise
SLICE = 1 << 16  # values per float64 slice: 512 KB, cache-sized


def sqnr_rule_db(bits: int | np.ndarray) -> float | np.ndarray:
    """The textbook signal-to-quantization-noise ratio, ``6.02 · bits`` dB.

    Exact for a uniform signal filling a grid of ``2**bits`` cells
    (signal ``A²/3``, noise ``Δ²/12``, ``Δ = 2A / 2**bits``).
    """
    return DB_PER_BIT * np.asarray(bits, dtype=np.float64)


def sqnr_db(signal_energy: float, noise_energy: float) -> float:
    """``10 · log10(Σx² / Σ(x − x̂)²)`` in dB: +inf when there is no error, never NaN.

    The mean counts as signal: the numerator is ``Σx²``, not the variance.
    """
    if noise_energy <= 0.0:
        return math.inf
    if signal_energy <= 0.0:
        return -math.inf
    return 10.0 * (math.log10(signal_energy) - math.log10(noise_energy))


def square_sum(a: np.ndarray) -> float:
    """``Σ a²`` of a float64 vector, on this thread: ``np.dot`` would hand it to OpenBLAS,
    whose threads fight the page's other sessions for the cores (a 10x slowdown seen on a
    busy 2-core machine) and make the last bits depend on the thread count."""
    return float(np.einsum("i,i->", a, a))


@dataclass
class ErrorSums:
    """Running sums behind the error figures, so a tensor can be measured block by block.

    All in float64. ``sse_rounding`` and ``sse_clipped`` are summed separately
    (never one as the difference of two large sums), so the split of the MSE
    stays accurate even when a few clipped values carry almost all the error.
    """

    n: int = 0
    sse_rounding: float = 0.0  # Σ (x̂ − x)² over values inside the grid (all values if no mask)
    sse_clipped: float = 0.0  # Σ (x̂ − x)² over clipped values
    signal: float = 0.0  # Σ x²
    sum_error: float = 0.0  # Σ (x̂ − x)
    max_abs: float = 0.0
    n_clipped: int = 0

    @property
    def sse(self) -> float:
        """``Σ (x̂ − x)²`` over all values."""
        return self.sse_rounding + self.sse_clipped

    @classmethod
    def of(cls, x: np.ndarray, x_hat: np.ndarray, clipped: np.ndarray | None = None) -> ErrorSums:
        """The sums of one block: ``x``, ``x_hat`` of equal shape; ``clipped`` an optional mask."""
        xs, hs = np.ravel(x), np.ravel(x_hat)
        ms = None if clipped is None else np.ravel(clipped)
        sums = cls(n=xs.size)
        for i in range(0, xs.size, SLICE):
            x64 = xs[i : i + SLICE].astype(np.float64)
            err = hs[i : i + SLICE].astype(np.float64)  # two casts and a subtraction: a
            err -= x64  # mixed-type np.subtract(..., dtype=float64) is ten times slower
            sums.signal += square_sum(x64)
            sums.sum_error += float(err.sum())
            sums.max_abs = max(sums.max_abs, float(err.max()), float(-err.min()))
            if ms is not None:
                mask = ms[i : i + SLICE]
                k = int(np.count_nonzero(mask))
                if k:
                    out = err[mask]
                    sums.n_clipped += k
                    sums.sse_clipped += square_sum(out)
                    err[mask] = 0.0
            sums.sse_rounding += square_sum(err)
        return sums

    def __add__(self, other: ErrorSums) -> ErrorSums:
        return ErrorSums(
            self.n + other.n,
            self.sse_rounding + other.sse_rounding,
            self.sse_clipped + other.sse_clipped,
            self.signal + other.signal,
            self.sum_error + other.sum_error,
            max(self.max_abs, other.max_abs),
            self.n_clipped + other.n_clipped,
        )

    def figures(self, clipping: bool = True) -> dict:
        """The error figures; with ``clipping`` also the clipped fraction and the MSE split.

        ``mse_rounding`` and ``mse_clipping`` are the parts of the MSE (each a sum over
        its values divided by all ``n``, so they add up to ``mse``);
        ``rounding_mse_inside`` is the mean squared rounding error of the values that were
        not clipped, to compare with ``s²/12``.

        ``signal_power`` is ``mean(x²)`` (the mean counts as signal, it is not
        the variance), so ``sqnr_db = 10·log10(signal_power / mse)``.
        """
        n = self.n
        if clipping:
            mse_rounding, mse_clipping = self.sse_rounding / n, self.sse_clipped / n
            mse = mse_rounding + mse_clipping
        else:
            mse = self.sse / n
        out = {
            "mse": mse,
            "rmse": math.sqrt(mse),
            "sqnr_db": sqnr_db(self.signal, self.sse),
            "signal_power": self.signal / n,
            "max_abs_error": self.max_abs,
            "mean_error": self.sum_error / n,
        }
        if clipping:
            out["clipped_count"] = self.n_clipped
            out["clipped_fraction"] = self.n_clipped / n
            out["mse_clipping"] = mse_clipping
            out["mse_rounding"] = mse_rounding
            inside = n - self.n_clipped
            out["rounding_mse_inside"] = self.sse_rounding / inside if inside else 0.0
        return out


def error_metrics(x: np.ndarray, x_hat: np.ndarray, clipped: np.ndarray | None = None) -> dict:
    """Error figures of a float32 pair of equal shape (no validation; see :func:`metrics`).

    Keys: ``mse``, ``rmse``, ``sqnr_db``, ``signal_power``, ``max_abs_error``,
    ``mean_error`` (the bias, mean of ``x̂ − x``). With the ``clipped`` mask of the values that fell
    outside the grid also: ``clipped_count``, ``clipped_fraction`` and the split of the MSE into
    ``mse_clipping`` (from clipped values) and ``mse_rounding`` (from the rest).
    """
    return ErrorSums.of(x, x_hat, clipped).figures(clipping=clipped is not None)


def code_patterns(codes: np.ndarray) -> np.ndarray:
    """Counts of each bit pattern of 8- or 16-bit codes (a signed code c is stored as c mod 2^k).

    Cheaper than counting codes directly (no int64 copy); :func:`code_counts`
    reads the counts back in code order. 8-bit codes are counted two at a time, as
    16-bit pairs (half the work of ``np.bincount``), then each byte's counts summed.
    """
    flat = codes.ravel()
    unsigned = flat.view(np.dtype(f"u{flat.dtype.itemsize}"))
    size = 1 << (8 * flat.dtype.itemsize)
    patterns = np.zeros(size, dtype=np.int64)
    if size == 256:
        pairs = unsigned[: unsigned.size // 2 * 2]
        if pairs.size >= 1 << 18:  # pays for the 65,536 counters
            by_pair = _bincount_slices(pairs.view(np.uint16), 1 << 16, 1 << 18)
            by_pair = by_pair.reshape(256, 256)
            patterns += by_pair.sum(axis=0) + by_pair.sum(axis=1)  # low byte, high byte
            unsigned = unsigned[pairs.size :]
    return patterns + _bincount_slices(unsigned, size)


def _bincount_slices(values: np.ndarray, size: int, step: int = 1 << 16) -> np.ndarray:
    """``np.bincount(values, minlength=size)`` over slices of ``step`` (no int64 copy of it all)."""
    counts = np.zeros(size, dtype=np.int64)
    for start in range(0, values.size, step):
        counts += np.bincount(values[start : start + step], minlength=size)
    return counts


def code_counts(
    codes: np.ndarray, qmin: int, qmax: int, patterns: np.ndarray | None = None
) -> np.ndarray:
    """How many values landed on each code ``qmin … qmax`` (length ``qmax − qmin + 1``).

    ``codes`` must be 8- or 16-bit integers (as ``quantize`` makes them); pass
    precomputed ``patterns`` (:func:`code_patterns`) to skip the counting.
    """
    patterns = code_patterns(codes) if patterns is None else patterns
    return patterns[np.arange(qmin, qmax + 1) % patterns.size]


def uniform_rounding_mse(scale: float | np.ndarray) -> float:
    """``s²/12``: the mean squared rounding error of values spread evenly within their cells.

    An error uniform on ``[−s/2, s/2]`` has variance ``s²/12``. Per channel or group (one
    step per row of equal length), the mean of the rows' ``s²/12``.
    """
    s = np.asarray(scale, dtype=np.float64).ravel()
    return float(np.mean(s * s) / 12.0) if s.size else 0.0


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
        "code_entropy_bits": max(float(-(p * np.log2(p)).sum()), 0.0) + 0.0,  # never -0.0
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
    exact), ``signal_power`` (``mean(x²)``: the mean counts as signal, so
    ``sqnr_db = 10·log10(signal_power / mse)``), ``max_abs_error`` and
    ``mean_error``, all from float64 sums. Figures that need the grid
    (clipped fraction, levels used, size) are in ``QuantResult.metrics``.
    """
    x = as_weights(x, "x")
    x_hat = as_weights(x_hat, "x_hat")
    if x.shape != x_hat.shape:
        raise InputError(
            f"x has shape {x.shape} but x_hat has shape {x_hat.shape}; they must match."
        )
    return error_metrics(x, x_hat)
