"""Check a user's array once, at the boundary, and turn it into float32.

Every public function that takes weights calls :func:`as_weights` first, so the
rest of the package can assume a finite, non-empty float32 array.
"""

from __future__ import annotations

import numpy as np

from quantviz.errors import InputError


def as_weights(x: object, name: str = "x") -> np.ndarray:
    """Return ``x`` as a finite, non-empty float32 array (no copy if it already is one).

    The shape is kept, including the shape ``()`` of a single number.

    Accepted: float16/32/64, bfloat16 (``ml_dtypes``), integer and bool arrays, and
    anything ``np.asarray`` turns into one of those (lists, scalars). The
    quantization arithmetic is float32, exactly as PyTorch's observers do it, so
    float64 input is rounded to float32 first.

    Raises
    ------
    InputError
        For empty arrays; complex, string, object or structured data; and NaN or
        infinite values (with their count: quantization needs finite numbers;
        ``quantviz.finite_values`` drops them if that is what you want).
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and other things numpy cannot stack
        raise InputError(f"{name} is not an array of numbers ({exc}).") from exc
    kind = arr.dtype.kind
    if kind == "c":
        raise InputError(
            f"{name} holds complex numbers; quantization needs real numbers.",
            kind="complex",
            fields={"name": name},
        )
    if kind not in "biuf" and arr.dtype.name != "bfloat16":
        raise InputError(
            f"{name} holds {arr.dtype} data; quantization needs numbers "
            "(float, integer or bool arrays).",
            kind="not_numeric",
            fields={"name": name, "dtype": str(arr.dtype)},
        )
    if arr.size == 0:
        raise InputError(
            f"{name} is empty: there is nothing to quantize.", kind="empty", fields={"name": name}
        )
    arr = arr.astype(np.float32, copy=False)  # a 0-d input stays 0-d
    if not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        n_nan = int(np.count_nonzero(np.isnan(arr)))
        n_inf = int(np.count_nonzero(np.isinf(arr)))
        raise InputError(
            f"{name} contains {n_nan} NaN and {n_inf} infinite values out of {arr.size}; "
            "quantization needs finite numbers (qv.finite_values(x) drops them).",
            kind="nonfinite",
            fields={"name": name, "nan": n_nan, "inf": n_inf, "n": arr.size},
        )
    return arr


def finite_values(x: object) -> tuple[np.ndarray, int]:
    """Return the finite values of ``x`` as a flat float32 array, and how many were dropped.

    Use it for a tensor read from a file that holds a few NaN or Inf entries. The
    result is 1-D, so only per-tensor quantization applies to it.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf" and arr.dtype.name != "bfloat16":
        raise InputError(f"x holds {arr.dtype} data; quantization needs numbers.")
    flat = np.ravel(arr).astype(np.float32, copy=False)
    keep = np.isfinite(flat)
    n_dropped = int(flat.size - np.count_nonzero(keep))
    return (flat[keep] if n_dropped else flat), n_dropped
