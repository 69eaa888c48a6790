"""Small floats: FP8/FP6/FP4 elements with a float32 scale, OCP MX blocks and NVIDIA NVFP4.

The element casts are ml_dtypes' (round to nearest, ties to even), always after clamping
to the format's largest finite value, so an overflow saturates (ml_dtypes turns an
e4m3fn overflow into NaN and an e5m2 overflow into inf; FP6/FP4 saturate by themselves).

* **Element floats** (``fp8_e4m3`` …, family ``"float"``): one float32 scale per row
  (tensor, channel or group), ``s = max|x| / max_finite``; ``x̂ = cast(x / s) · s``.
* **MX** (OCP Microscaling v1.0, family ``"mx"``): blocks of 32 consecutive values share
  an E8M0 scale ``X = 2^(floor(log2 max|x|) − emax_elem)``, the exponent clamped to
  [−127, 127] (a zero block uses ``log2`` of float32's smallest normal);
  ``x̂ = X · cast(x / X)``, the cast saturating. MXINT8's element is ``k/64`` with
  ``k`` an integer in [−127, 127], rounded half to even.
* **NVFP4** (as torchao's two-level NVFP4): blocks of 16 E2M1 values, a float32 scale
  for the tensor ``t = max|x| / (448 · 6)`` and an E4M3 scale per block
  ``b = e4m3(clamp(max|block| / 6 / t, 2^-6, 448))``; ``x̂ = cast(x · ((1/t) / b)) · b · t``
  (for a tensor so small that ``1/t`` overflows float32, ``x / (t · b)`` instead of NaN).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import ModuleType

import numpy as np

from quantviz.number_formats.base import Encoded, NumberFormat

F32 = np.float32
FP32_MIN_NORMAL = float(np.finfo(np.float32).tiny)  # 2^-126

ELEMENTS = {
    "e4m3": "float8_e4m3fn",
    "e5m2": "float8_e5m2",
    "e2m3": "float6_e2m3fn",
    "e3m2": "float6_e3m2fn",
    "e2m1": "float4_e2m1fn",
}
"""Element name → the name of its ml_dtypes type (:func:`element_dtype` gives the type)."""


@cache
def ml_dtypes() -> ModuleType:
    """The ``ml_dtypes`` package, imported when a format first needs it: its import registers
    every type with numpy, ~0.5 s of CPU that a page on the integer grid never needs."""
    import ml_dtypes as module

    return module


def element_dtype(element: str) -> type:
    """The ml_dtypes type of an element format (``"e4m3"`` → ``float8_e4m3fn``, …)."""
    return getattr(ml_dtypes(), ELEMENTS[element])


EMAX = {"e4m3": 8, "e5m2": 15, "e2m3": 2, "e3m2": 4, "e2m1": 2, "int8": 0}
"""OCP MX: the exponent of each element format's largest power of two (emax_elem)."""

BITS = {"e4m3": 8, "e5m2": 8, "e2m3": 6, "e3m2": 6, "e2m1": 4, "int8": 8}
SATURATING = {"e2m3", "e3m2", "e2m1"}  # ml_dtypes casts these to ±max (e4m3fn: NaN; e5m2: inf)


def max_finite(element: str) -> float:
    """The element format's largest finite value (448 for E4M3, 6 for E2M1, …)."""
    if element == "int8":
        return 127 / 64
    return float(ml_dtypes().finfo(element_dtype(element)).max)


@cache
def element_grid(element: str) -> np.ndarray:
    """Every finite value of the element format, sorted (±0 once), float32."""
    if element == "int8":
        return (np.arange(-127, 128) / 64).astype(F32)
    values = np.arange(256, dtype=np.uint8).view(element_dtype(element)).astype(F32)
    return np.unique(values[np.isfinite(values)])


def stored(v: np.ndarray, element: str) -> np.ndarray:
    """``v`` (float32 or float64) cast to the element format, saturating at ±max: the
    ml_dtypes array (MXINT8: the integers k of k/64)."""
    top = max_finite(element)
    if element == "int8":
        return np.rint(np.clip(v, -top, top) * 64).astype(np.int16)
    if element == "e2m1":
        return _e2m1(v)
    if element in SATURATING:  # ml_dtypes saturates FP6/FP4 casts itself
        return v.astype(element_dtype(element))
    return np.clip(v, -top, top).astype(element_dtype(element))


E2M1_STEPS = ((0.25, False), (0.75, True), (1.25, False), (1.75, True), (2.5, False),
              (3.5, True), (5.0, False))  # fmt: skip
"""The midpoints between E2M1's magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6, and whether a value
exactly on one goes up: round half to even sends a tie to the neighbour whose mantissa bit is
0 (0.25 → 0, 0.75 → 1, 1.25 → 1, 1.75 → 2, 2.5 → 2, 3.5 → 4, 5 → 4)."""
SLICE = 1 << 16  # values per slice: small enough to stay in cache


def _e2m1(v: np.ndarray) -> np.ndarray:
    """``v`` cast to FP4 E2M1 exactly as ml_dtypes does (round half to even, saturating at
    ±6), about 8x quicker: E2M1's magnitude bit patterns 0…7 are its values in order, so a
    value's pattern is the number of midpoints below it, and bit 3 its sign (−0 included)."""
    values = np.asarray(v)
    patterns = np.zeros(values.shape, np.uint8)
    flat, out = values.reshape(-1), patterns.reshape(-1)
    for i in range(0, flat.size, SLICE):
        part, count = np.abs(flat[i : i + SLICE]), out[i : i + SLICE]
        for midpoint, up in E2M1_STEPS:
            count += (part >= midpoint) if up else (part > midpoint)
        count |= np.signbit(flat[i : i + SLICE]).astype(np.uint8) << 3
    return patterns.view(element_dtype("e2m1"))


@cache
def _pattern_tables(element: str) -> tuple[np.ndarray, np.ndarray]:
    """Bit pattern (0…255) → its float32 value, and its index in :func:`element_grid`
    (−1 for NaN/inf patterns): decoding is then a lookup."""
    values = np.arange(256, dtype=np.uint8).view(element_dtype(element)).astype(F32)
    index = np.searchsorted(element_grid(element), values).astype(np.int16)
    return values, np.where(np.isfinite(values), index, -1).astype(np.int16)


def decoded(q: np.ndarray, element: str) -> tuple[np.ndarray, np.ndarray]:
    """The float32 values of stored elements ``q``, and each one's index in the grid."""
    if element == "int8":
        return (q / 64).astype(F32), (q + 127).astype(np.int16)
    values, index = _pattern_tables(element)
    pattern = q.view(np.uint8)
    return values[pattern], index[pattern]


# ---------------------------------------------------------------- element floats --


def scaled_encode(element: str) -> Callable[[np.ndarray], Encoded]:
    """``encode`` of an element float with a float32 scale per row: ``s = max|x| / max``."""

    def encode(rows: np.ndarray) -> Encoded:
        amax = np.max(np.abs(rows), axis=1, keepdims=True)
        scale = (amax / F32(max_finite(element))).astype(F32)
        safe = np.where(scale > 0, scale, F32(1))  # an all-zero row stays zero
        q, codes = decoded(stored(np.divide(rows, safe, dtype=F32), element), element)
        x_hat = (q * safe).astype(F32)
        return Encoded(x_hat, codes, scale.reshape(-1), 32 * rows.shape[0])

    return encode


# --------------------------------------------------------------------------- MX --


def mx_exponent(amax: np.ndarray, element: str) -> np.ndarray:
    """OCP MX shared exponent per block: ``floor(log2 amax) − emax_elem``, in [−127, 127]."""
    amax = np.where(amax > 0, amax, FP32_MIN_NORMAL).astype(np.float64)
    _, e = np.frexp(amax)  # amax = m · 2^e with m in [0.5, 1): floor(log2 amax) = e − 1
    return np.clip(e - 1 - EMAX[element], -127, 127)


def mx_encode(element: str) -> Callable[[np.ndarray], Encoded]:
    """``encode`` of an MX format: rows are blocks of 32 with an E8M0 scale each."""

    def encode(rows: np.ndarray) -> Encoded:
        amax = np.max(np.abs(rows), axis=1, keepdims=True)
        # a power of two from 2^-127 (a float32 subnormal) to 2^127: dividing and multiplying
        # by it is exact in float32 for every value the element can tell apart
        scale = np.ldexp(F32(1), mx_exponent(amax, element)).astype(F32)
        q, codes = decoded(stored(rows / scale, element), element)
        x_hat = q * scale
        return Encoded(x_hat, codes, scale.reshape(-1), 8 * rows.shape[0])

    return encode


# ------------------------------------------------------------------------ NVFP4 --

E4M3_TINY = 2.0**-6  # the smallest normal E4M3 value: the block scale's floor


def nvfp4_encode(rows: np.ndarray) -> Encoded:
    """NVFP4 (two-level): a float32 tensor scale and an E4M3 scale per block of 16."""
    tensor_amax = F32(np.max(np.abs(rows))) if rows.size else F32(0)
    t = F32(tensor_amax / F32(448 * 6))
    if t == 0:  # an all-zero tensor, or one so tiny (below ~4e-42) that its scale underflows
        zeros = np.zeros_like(rows, dtype=F32)
        codes = decoded(stored(zeros, "e2m1"), "e2m1")[1]
        zero = np.zeros(rows.shape[0], F32)
        return Encoded(zeros, codes, zero, 8 * rows.shape[0] + 32, tensor_scale=0.0)
    block = (np.max(np.abs(rows), axis=1, keepdims=True) / F32(6)).astype(F32)
    b = np.clip(block / t, E4M3_TINY, 448).astype(element_dtype("e4m3")).astype(F32)
    with np.errstate(over="ignore"):
        inv_t = F32(1) / t
    if np.isfinite(inv_t):
        elements = stored(rows * (inv_t / b), "e2m1")  # float32 throughout
    else:  # a tensor below ~1e-35: 1/t overflows float32 (torchao gives NaN); divide instead
        elements = stored(rows.astype(np.float64) / (np.float64(t) * b), "e2m1")
    q, codes = decoded(elements, "e2m1")
    x_hat = q * b * t
    return Encoded(x_hat, codes, b.reshape(-1), 8 * rows.shape[0] + 32, tensor_scale=float(t))


# ---------------------------------------------------------------------- formats --


def _grid(element: str) -> Callable[[], np.ndarray]:
    return lambda: element_grid(element)


def _float(name: str, element: str, description: str) -> NumberFormat:
    return NumberFormat(
        name, "float", BITS[element], None, None, (), description,
        "ml_dtypes casts (round to nearest even, saturating) with a float32 scale max|x|/max",
        scaled_encode(element), _grid(element), element=element,
    )  # fmt: skip


def _mx(name: str, element: str, description: str) -> NumberFormat:
    return NumberFormat(
        name, "mx", BITS[element], 32, 32, (32,), description,
        "OCP Microscaling Formats (MX) v1.0: E8M0 scale 2^(floor(log2 amax) − emax) per 32",
        mx_encode(element), _grid(element), element=element,
    )  # fmt: skip


FLOAT_FORMATS: tuple[NumberFormat, ...] = (
    _float("fp8_e4m3", "e4m3", "FP8 E4M3 (max 448): the common FP8 for weights"),
    _float("fp8_e5m2", "e5m2", "FP8 E5M2 (max 57344): more range, fewer mantissa bits"),
    _float("fp6_e2m3", "e2m3", "FP6 E2M3 (max 7.5)"),
    _float("fp6_e3m2", "e3m2", "FP6 E3M2 (max 28)"),
    _float("fp4_e2m1", "e2m1", "FP4 E2M1 (values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and negatives)"),
    _mx("mxfp8_e4m3", "e4m3", "MXFP8 E4M3: blocks of 32 FP8 values with a power-of-two scale"),
    _mx("mxfp8_e5m2", "e5m2", "MXFP8 E5M2: blocks of 32, power-of-two scale"),
    _mx("mxfp6_e2m3", "e2m3", "MXFP6 E2M3: blocks of 32, power-of-two scale"),
    _mx("mxfp6_e3m2", "e3m2", "MXFP6 E3M2: blocks of 32, power-of-two scale"),
    _mx("mxfp4", "e2m1", "MXFP4: blocks of 32 E2M1 values with a power-of-two scale"),
    _mx("mxint8", "int8", "MXINT8: blocks of 32 values k/64 (k in −127…127), power-of-two scale"),
    NumberFormat(
        "nvfp4",
        "nvfp4",
        4,
        16,
        16,
        (16,),
        "NVFP4: blocks of 16 E2M1 values, an E4M3 scale per block and one float32 per tensor",
        "torchao NVFP4 (two-level): t = amax/(448·6), b = e4m3(clamp(amax_block/6/t, 2^-6, 448))",
        nvfp4_encode,
        _grid("e2m1"),
        element="e2m1",
    ),
)
