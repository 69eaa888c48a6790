"""The integer grid: a clipping range becomes a scale and a zero point, values become codes.

These are the building blocks, each one small enough to read in class. They follow
PyTorch's ``torch.ao.quantization`` observers (``MinMaxObserver`` with explicit
``quant_min``/``quant_max``) and ``torch.fake_quantize_per_tensor_affine``
exactly, including the float32 arithmetic:

* asymmetric (affine) codes are ``0 … 2**bits − 1``; symmetric codes are
  ``−2**(bits−1) … 2**(bits−1) − 1`` with zero point 0; "narrow range" drops the
  most negative code (``−(2**(bits−1) − 1) … 2**(bits−1) − 1``), as TensorRT
  and TFLite do for weights.
* the clipping range is widened to include 0, so 0.0 is represented exactly;
* ``scale = (high − low) / (qmax − qmin)`` (affine), or
  ``scale = max(|low|, |high|) / ((qmax − qmin) / 2)`` (symmetric); never below
  float32's machine epsilon, so a constant tensor never divides by zero;
* ``zero_point = clamp(qmin − round(low / scale), qmin, qmax)``;
* ``code = clamp(round(x · (1/scale)) + zero_point, qmin, qmax)``, rounding half
  to even; ``x̂ = (code − zero_point) · scale``.

Note the ``qmax − qmin`` (= 2**bits − 1) steps between the lowest and highest
level: 2**bits levels have 2**bits − 1 gaps, a classic off-by-one in tutorials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError

F32 = np.float32
EPS = F32(np.finfo(np.float32).eps)  # 1.1920929e-07, PyTorch's floor on the scale
MAX_BITS = 16
ROUNDINGS = ("nearest", "stochastic")


@dataclass(frozen=True)
class QParams:
    """The grid one tensor (or each channel / group) is quantized onto.

    Attributes
    ----------
    scale : np.ndarray
        Step size between neighbouring levels, float32, one per channel/group
        (shape ``()`` per tensor).
    zero_point : np.ndarray
        The code that stands for the real value 0.0, int64, same shape as ``scale``.
    qmin, qmax : int
        The smallest and largest code.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    qmin: int
    qmax: int

    @property
    def grid_low(self) -> np.ndarray:
        """The lowest representable value, ``(qmin − zero_point) · scale``."""
        return dequantize(np.asarray(self.qmin), self.scale, self.zero_point)

    @property
    def grid_high(self) -> np.ndarray:
        """The highest representable value, ``(qmax − zero_point) · scale``."""
        return dequantize(np.asarray(self.qmax), self.scale, self.zero_point)


def check_bits(bits: object) -> int:
    """Return ``bits`` as an int in 1 … 16, or raise :class:`InputError`."""
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer):
        raise InputError(f"bits must be a whole number from 1 to {MAX_BITS}, not {bits!r}.")
    if not 1 <= int(bits) <= MAX_BITS:
        raise InputError(f"bits must be from 1 to {MAX_BITS}; got {bits}.")
    return int(bits)


def code_range(
    bits: int, *, symmetric: bool = False, narrow_range: bool = False
) -> tuple[int, int]:
    """The integer codes ``(qmin, qmax)`` of a ``bits``-wide grid.

    >>> code_range(8)
    (0, 255)
    >>> code_range(8, symmetric=True)
    (-128, 127)
    >>> code_range(8, symmetric=True, narrow_range=True)
    (-127, 127)
    """
    bits = check_bits(bits)
    if narrow_range and not symmetric:
        raise InputError("narrow_range applies to symmetric quantization only.")
    if not symmetric:
        return 0, 2**bits - 1
    if narrow_range:
        if bits < 2:
            raise InputError("narrow_range needs at least 2 bits (at 1 bit only code 0 is left).")
        return -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def code_dtype(qmin: int, qmax: int) -> np.dtype:
    """The smallest numpy integer type that holds every code in ``[qmin, qmax]``."""
    for dtype in (np.uint8, np.int8, np.uint16, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= qmin and qmax <= info.max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def qparams(
    low: float | np.ndarray,
    high: float | np.ndarray,
    bits: int = 8,
    *,
    symmetric: bool = False,
    narrow_range: bool = False,
) -> QParams:
    """Scale and zero point for the clipping range ``[low, high]`` (PyTorch's formula).

    Parameters
    ----------
    low, high : float or array
        The clipping range in real units; arrays give one grid per entry
        (per channel or per group).
    bits : int
        1 to 16.
    symmetric : bool
        False: affine, ``scale = (high' − low') / (qmax − qmin)`` with
        ``low' = min(low, 0)``, ``high' = max(high, 0)``, and
        ``zero_point = clamp(qmin − round(low' / scale), qmin, qmax)``.
        True: ``scale = max(−low', high') / ((qmax − qmin) / 2)``, zero point 0.
    narrow_range : bool
        Symmetric only: codes ``±(2**(bits−1) − 1)``, so ``scale = amax / qmax``.

    Returns
    -------
    QParams
        float32 ``scale`` (at least float32 eps) and int64 ``zero_point``.
    """
    qmin, qmax = code_range(bits, symmetric=symmetric, narrow_range=narrow_range)
    min_neg = np.minimum(np.asarray(low, dtype=F32), F32(0))
    max_pos = np.maximum(np.asarray(high, dtype=F32), F32(0))
    if np.any(min_neg > max_pos):
        raise InputError("The clipping range is empty: low must not exceed high.")
    if symmetric:
        amax = np.maximum(-min_neg, max_pos)
        scale = np.maximum(amax / F32((qmax - qmin) / 2), EPS).astype(F32)
        zero_point = np.zeros(scale.shape, dtype=np.int64)
    else:
        scale = np.maximum((max_pos - min_neg) / F32(qmax - qmin), EPS).astype(F32)
        zero_point = qmin - np.rint(min_neg / scale).astype(np.int64)
        zero_point = np.clip(zero_point, qmin, qmax)
    return QParams(scale=scale, zero_point=zero_point, qmin=qmin, qmax=qmax)


def quantize_codes(
    x: np.ndarray,
    scale: float | np.ndarray,
    zero_point: int | np.ndarray,
    qmin: int,
    qmax: int,
    *,
    rounding: str = "nearest",
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Map real values to integer codes: ``clamp(round(x · (1/scale)) + zero_point, qmin, qmax)``.

    ``scale`` and ``zero_point`` broadcast against ``x`` (a column per channel).
    Rounding is half to even ("nearest", as ``torch.round``) or "stochastic":
    ``floor(v + u)`` with ``u`` uniform in [0, 1), which rounds up with
    probability equal to the fractional part, so it is unbiased on average.

    Returns
    -------
    codes : np.ndarray
        Integer codes in ``[qmin, qmax]`` (smallest integer dtype that fits).
    clipped : np.ndarray of bool
        True where the clamp changed the code: the value lay outside the grid.
    """
    inv = F32(1.0) / np.asarray(scale, dtype=F32)  # PyTorch multiplies by the float32 reciprocal
    v = np.multiply(x, inv, dtype=F32)
    if rounding == "nearest":
        np.rint(v, out=v)
    elif rounding == "stochastic":
        rng = rng if rng is not None else np.random.default_rng()
        v += rng.random(v.shape, dtype=F32)
        np.floor(v, out=v)
    else:
        raise InputError(f"rounding must be one of {ROUNDINGS}, not {rounding!r}.")
    v += np.asarray(zero_point, dtype=F32)
    clipped = np.less(v, qmin)
    clipped |= np.greater(v, qmax)
    np.clip(v, qmin, qmax, out=v)
    return v.astype(code_dtype(qmin, qmax)), clipped


def dequantize(
    codes: np.ndarray, scale: float | np.ndarray, zero_point: int | np.ndarray
) -> np.ndarray:
    """Map codes back to real values: ``(code − zero_point) · scale``, in float32."""
    centred = np.subtract(codes, np.asarray(zero_point), dtype=F32)
    centred *= np.asarray(scale, dtype=F32)
    return centred


def fake_quantize(
    x: np.ndarray, scale: float | np.ndarray, zero_point: int | np.ndarray, qmin: int, qmax: int
) -> np.ndarray:
    """Quantize then dequantize in one go, as ``torch.fake_quantize_per_tensor_affine``."""
    codes, _ = quantize_codes(np.asarray(x, dtype=F32), scale, zero_point, qmin, qmax)
    return dequantize(codes, scale, zero_point)
