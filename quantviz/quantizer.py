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

Beyond PyTorch: where ``high − low`` overflows float32 (a range wider than
3.4e38) the scale is computed in float64 instead, and a grid whose end levels
would not fit in float32 is refused with an :class:`InputError`. Stochastic
rounding moves ``x · (1/scale)`` to the integer below or above it with
probabilities that make it unbiased (see :func:`quantize_codes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError

F32 = np.float32
EPS = F32(np.finfo(np.float32).eps)  # 1.1920929e-07, PyTorch's floor on the scale
FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.4028235e38
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
    def grid_low_exact(self) -> np.ndarray:
        """``(qmin − zero_point) · scale`` in float64 (to check that it fits float32; NaN if
        the scale is infinite)."""
        with np.errstate(invalid="ignore"):
            return (self.qmin - self.zero_point) * self.scale.astype(np.float64)

    @property
    def grid_high_exact(self) -> np.ndarray:
        """``(qmax − zero_point) · scale`` in float64."""
        with np.errstate(invalid="ignore"):
            return (self.qmax - self.zero_point) * self.scale.astype(np.float64)

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
        raise InputError(
            f"bits must be a whole number from 1 to {MAX_BITS}, not {bits!r}.",
            kind="bits",
            fields={"most": MAX_BITS, "bits": repr(bits)},
        )
    if not 1 <= int(bits) <= MAX_BITS:
        raise InputError(
            f"bits must be from 1 to {MAX_BITS}; got {bits}.",
            kind="bits",
            fields={"most": MAX_BITS, "bits": repr(bits)},
        )
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
            raise InputError(
                "narrow_range needs at least 2 bits (at 1 bit only code 0 is left).",
                kind="narrow_bits",
            )
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
    with np.errstate(over="ignore"):
        low32, high32 = np.asarray(low, dtype=F32), np.asarray(high, dtype=F32)
    if not (np.all(np.isfinite(low32)) and np.all(np.isfinite(high32))):
        raise InputError(
            "The clipping range must be finite numbers within float32's range.",
            kind="range_not_finite",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        qp = grid_params(low32, high32, qmin, qmax, symmetric=symmetric)
    fits = (np.abs(qp.grid_low_exact) <= FLOAT32_MAX) & (np.abs(qp.grid_high_exact) <= FLOAT32_MAX)
    if not np.all(fits):
        first = np.unravel_index(np.argmin(fits), fits.shape)
        lo = float(np.broadcast_to(low32, fits.shape)[first])
        hi = float(np.broadcast_to(high32, fits.shape)[first])
        raise InputError(
            f"The range [{lo:.3g}, {hi:.3g}] is too wide for a {bits}-bit grid: its end levels "
            f"would lie beyond float32's largest number ({FLOAT32_MAX:.3g}); use more bits or "
            "scale the values down.",
            kind="range_too_wide",
            fields={"low": lo, "high": hi, "bits": bits, "float32_max": float(FLOAT32_MAX)},
        )
    return qp


def grid_params(
    low: np.ndarray, high: np.ndarray, qmin: int, qmax: int, *, symmetric: bool
) -> QParams:
    """:func:`qparams` without the checks, for range searches that try many candidates.

    ``low`` and ``high`` are float32 arrays. The scale is computed in float32 as
    PyTorch does; only where that overflows (a range wider than float32's
    largest number, 3.4e38) it is computed in float64 and rounded to float32,
    which may still be infinite: callers must check (see :func:`qparams`), and
    call this under ``np.errstate(over="ignore", invalid="ignore")``.
    """
    min_neg = np.minimum(low, F32(0))
    max_pos = np.maximum(high, F32(0))
    if symmetric:
        amax = np.maximum(-min_neg, max_pos)
        half = F32((qmax - qmin) / 2)
        scale = amax / half
        if not np.isfinite(scale).all():
            wide = (amax.astype(np.float64) / float(half)).astype(F32)
            scale = np.where(np.isfinite(scale), scale, wide)
    else:
        steps = F32(qmax - qmin)
        scale = (max_pos - min_neg) / steps
        if not np.isfinite(scale).all():
            span = max_pos.astype(np.float64) - min_neg.astype(np.float64)
            scale = np.where(np.isfinite(scale), scale, (span / float(steps)).astype(F32))
    scale = np.maximum(scale, EPS, dtype=F32)
    if symmetric:
        zero_point = np.zeros(scale.shape, dtype=np.int64)
    else:  # an infinite scale gives zero point qmin here; its grid is refused by the caller
        zero_point = qmin - np.rint(min_neg / scale).astype(np.int64)
        zero_point = np.minimum(np.maximum(zero_point, qmin), qmax)  # clamp (np.clip is slower)
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
    with ``v = x · (1/scale)``, ``t = trunc(v)`` and ``f = |v − t|`` (exact in
    float32: ``v`` and ``t`` have the same sign and are within a factor 2,
    Sterbenz), ``v`` moves away from zero to the next integer when ``u < f``,
    ``u`` uniform in [0, 1). So it rounds to either neighbour with probability
    given by the distance to the other one, and ``E[code] = v``: unbiased, up to
    the 2**-24 resolution of ``u`` for ``|v| < 1``. (The shortcut ``floor(v + u)``
    is biased: in float32 ``v + u`` drops the low bits of ``u`` when ``|v|`` is
    large, by about 0.002 steps at 16 bits.)

    Returns
    -------
    codes : np.ndarray
        Integer codes in ``[qmin, qmax]`` (smallest integer dtype that fits).
    clipped : np.ndarray of bool
        True where the clamp changed the code: the value lay outside the grid.
    """
    inv = F32(1.0) / np.asarray(scale, dtype=F32)  # PyTorch multiplies by the float32 reciprocal
    with np.errstate(over="ignore"):  # far outside the grid: ±inf, clamped to qmin/qmax below
        v = np.multiply(x, inv, dtype=F32)
    if rounding == "nearest":
        np.rint(v, out=v)
    elif rounding == "stochastic":
        rng = rng if rng is not None else np.random.default_rng()
        u = rng.random(v.shape, dtype=F32)
        t = np.trunc(v)
        v -= t  # the signed fractional part, exact
        away = u < np.abs(v)
        np.sign(v, out=v)
        v *= away
        v += t
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
