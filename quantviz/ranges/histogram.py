"""Equal-width histograms of a row of values, as the calibrators count them.

TensorRT, ModelOpt and PyTorch's ``HistogramObserver`` all count 2048 bins
(:data:`HIST_BINS`). The MSE search scores long rows on such a histogram, entropy
calibration counts ``|x|`` on one, and ``qv.sweep`` estimates big tensors' errors from
one. Values are binned in float32 when the range allows (fast), in float64 otherwise
(denormal or huge data), so no bin index is ever NaN.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from quantviz.quantizer import F32, FLOAT32_MAX

HIST_BINS = 2048  # TensorRT / ModelOpt / PyTorch HistogramObserver all use 2048 bins


def bin_index(values: np.ndarray, left: float, inv_width: float, bins: int) -> np.ndarray:
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


def histogram(
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
        idx = bin_index(row[start : start + step], low, 1.0 / width, bins)
        return np.bincount(idx, minlength=bins)

    starts = range(0, row.size, step)
    parts = pool.map(count, starts) if pool is not None and row.size > step else map(count, starts)
    hist = np.sum(list(parts), axis=0)
    return hist.astype(np.float64), width
