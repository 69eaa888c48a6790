"""Formats whose element is a fixed list of values: NF4 (bitsandbytes), binary and ternary.

* **NF4** (QLoRA, ``bitsandbytes.functional.quantize_4bit(quant_type="nf4")``): 16 values
  placed at quantiles of a normal distribution, scaled into [−1, 1]. Each block of
  ``b`` values (64 by default) stores its ``absmax = max|x|`` as float32, and each value
  becomes the nearest codebook entry of ``x / absmax``:

  ``s = clamp(x · (1 / max(absmax, 1e-38)), −1, 1)`` (float32),
  ``code = #{midpoints m_k : m_k < s}`` (a value *on* a midpoint takes the lower code),
  ``x̂ = NF4[code] · absmax`` (float32).

* **NF4 with double quantization** (``compress_statistics=True``): the same codes; the
  absmax values are stored in 8 bits. ``offset = mean(absmax)`` (one float32), and
  ``absmax − offset`` is quantized like an 8-bit blockwise tensor: blocks of 256 scales,
  each with its own float32 ``c = max|absmax − offset|``, each scale the nearest entry of
  bitsandbytes' 8-bit dynamic map (:func:`dynamic_map`). The block then uses
  ``absmax' = DYN[q] · c + offset``.

* **Binary** (XNOR-Net, Rastegari et al. 2016): ``x̂ = α · sign(x)``, ``α = mean|x|`` per row
  (the tensor or a channel): the α that minimises ``‖x − α·sign(x)‖²``.

* **Ternary** (TWN, Li & Liu 2016): ``Δ = 0.7 · mean|x|``; values with ``|x| ≤ Δ`` become 0,
  the rest ``±α`` with ``α = mean{|x| : |x| > Δ}``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from quantviz.errors import InputError
from quantviz.number_formats.base import Encoded, NumberFormat

F32 = np.float32

NF4_CODEBOOK: np.ndarray = np.array(
    [
        -1.0,
        -0.6961928009986877,
        -0.5250730514526367,
        -0.39491748809814453,
        -0.28444138169288635,
        -0.18477343022823334,
        -0.09105003625154495,
        0.0,
        0.07958029955625534,
        0.16093020141124725,
        0.24611230194568634,
        0.33791524171829224,
        0.44070982933044434,
        0.5626170039176941,
        0.7229568362236023,
        1.0,
    ],
    dtype=F32,
)
"""bitsandbytes' NF4 values (``get_4bit_type("nf4")``), sorted: code ``k`` is ``NF4_CODEBOOK[k]``.

7 negative values, an exact 0 and 8 positive ones (asymmetric, so that 0 is exact). They
were built as normal quantiles (``create_normal_map(offset=0.9677083)``) divided by the
largest; the hard-coded table is what bitsandbytes uses, so it is the one copied here.
"""

NF4_BLOCKS: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048, 4096)
"""The block sizes ``quantize_4bit`` accepts (64 is its default)."""

DOUBLE_QUANT_BLOCK = 256
"""How many first-level absmax values share one second-level scale (``blocksize=256``)."""

ABSMAX_FLOOR = F32(1e-38)
"""bitsandbytes divides by ``max(absmax, 1e-38)``, so an all-zero block stays zero."""

TWN_DELTA_FACTOR = F32(0.7)
"""TWN's threshold factor: ``Δ = 0.7 · mean|x|`` (their approximation of the optimal Δ for
uniform or normal weights)."""


def _check_rows(rows: np.ndarray, name: str) -> np.ndarray:
    """``rows`` as a C-contiguous float32 ``(n_rows, row_length)`` array of finite values."""
    arr = np.asarray(rows)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(
            f"{name} encodes a non-empty 2-D array of rows (n_rows, row_length); "
            f"got shape {arr.shape}."
        )
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"{name} encodes real numbers; got an array of {arr.dtype}.")
    arr = np.ascontiguousarray(arr, dtype=F32)
    if not np.isfinite(arr).all():
        raise InputError(f"{name} needs finite values; the rows contain NaN or infinity.")
    return arr


def _mean_abs(rows: np.ndarray) -> np.ndarray:
    """``mean|x|`` of each row, summed in float64 and rounded once to float32, shape (n, 1)."""
    return np.mean(np.abs(rows), axis=1, dtype=np.float64, keepdims=True).astype(F32)


# --------------------------------------------------------------------------- NF4 --


def midpoints(codebook: np.ndarray) -> np.ndarray:
    """The decision boundaries of a sorted codebook: ``(c[k] + c[k+1]) / 2`` in float32."""
    c = np.asarray(codebook, dtype=F32)
    return ((c[:-1] + c[1:]) / F32(2)).astype(F32)


def nearest_code(scaled: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """Index of the nearest entry of a sorted codebook, ties going to the LOWER entry.

    ``code = #{k : m_k < s}`` for the midpoints ``m_k``: ``np.searchsorted(m, s,
    side="left")``, which is ``torch.bucketize(s, m, right=False)`` as bitsandbytes uses it.
    A value exactly on a midpoint is not *above* it, so it keeps the lower code.

    Computed as that count, ``Σ_k [s > m_k]``, one comparison per midpoint on cache-sized
    slices: for NF4's 15 midpoints about 9x quicker than a binary search per value, and the
    same codes.
    """
    mids = midpoints(codebook)
    values = np.asarray(scaled)
    if mids.size > 32:  # a long codebook: the binary search wins
        return np.searchsorted(mids, values, side="left").astype(np.uint8)
    codes = np.zeros(values.shape, np.uint8)
    flat, out = values.reshape(-1), codes.reshape(-1)
    for i in range(0, flat.size, SLICE):
        part, count = flat[i : i + SLICE], out[i : i + SLICE]
        for m in mids:
            count += part > m
    return codes


SLICE = 1 << 16  # values per slice of nearest_code: small enough to stay in cache


def _nf4_codes(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(absmax per row (n, 1), NF4 code of each value) as ``quantize_4bit`` computes them."""
    absmax = np.max(np.abs(rows), axis=1, keepdims=True)
    inv = (F32(1) / np.maximum(absmax, ABSMAX_FLOOR)).astype(F32)
    scaled = np.clip(rows * inv, F32(-1), F32(1)).astype(F32)
    return absmax, nearest_code(scaled, NF4_CODEBOOK)


def nf4_encode(rows: np.ndarray) -> Encoded:
    """NF4 with a float32 absmax per row (each row one bitsandbytes block).

    ``s = clamp(x · (1/max(absmax, 1e-38)), −1, 1)``, ``code`` = nearest NF4 value (a tie
    takes the lower code), ``x̂ = NF4[code] · absmax``; 32 bits of scale per row.
    """
    rows = _check_rows(rows, "nf4")
    absmax, codes = _nf4_codes(rows)
    x_hat = (NF4_CODEBOOK[codes] * absmax).astype(F32)
    return Encoded(x_hat, codes, absmax.reshape(-1), 32 * rows.shape[0])


def _linspace_f32(start: float, stop: float, n: int) -> np.ndarray:
    """``torch.linspace(start, stop, n, dtype=torch.float32)`` as PyTorch's CPU kernel does it.

    ``step = (stop − start) / (n − 1)`` in float32; the first ``n // 2`` points are
    ``start + step · i`` and the rest ``stop − step · (n − 1 − i)``, each rounded to
    float32 once (the kernel is built with fused multiply-add). ``np.linspace`` rounds
    differently for n ≥ 17, which would move a few entries of the dynamic map by an ulp.
    """
    a, b = F32(start), F32(stop)
    step = np.float64((b - a) / F32(n - 1))
    i = np.arange(n, dtype=np.float64)
    low = np.float64(a) + step * i
    high = np.float64(b) - step * (n - 1 - i)
    return np.where(i < n // 2, low, high).astype(F32)


def dynamic_map(max_exponent_bits: int = 7, total_bits: int = 8) -> np.ndarray:
    """bitsandbytes' signed 8-bit dynamic map (``create_dynamic_map(signed=True, 7, 8)``).

    Dettmers' dynamic tree format (arXiv:1511.04561): a value is ``±10^(−e) · f``. With
    ``E = max_exponent_bits`` and ``i = 0 … E−1``, the exponent ``10^(i−E+1)`` gets
    ``2^i`` fractions: the midpoints of ``2^i + 1`` evenly spaced points from 0.1 to 1
    (float32 ``linspace``), so the smallest magnitudes (10^−6) have one fraction and the
    largest (10^0) have 64 — precision where the values are large. Every value comes with
    its negative; 0 and 1 are added (1 has no negative, so the map is asymmetric: it runs
    from −0.99296875 to 1). That is 2·(2^E − 1) + 2 = 256 values for E = 7, sorted. (A
    map of fewer than 256 values is padded with zeros to 256, as bitsandbytes does.)
    """
    non_sign = total_bits - 1
    extra = 2 ** (non_sign - max_exponent_bits) - 1
    values: list[np.ndarray] = []

    def add(exponent: int, n_points: int) -> None:
        edges = _linspace_f32(0.1, 1.0, n_points)
        centres = ((edges[:-1] + edges[1:]) / F32(2)).astype(F32)
        power = F32(10.0**exponent)
        values.extend([(power * centres).astype(F32), (-power * centres).astype(F32)])

    for i in range(max_exponent_bits):
        add(-(max_exponent_bits - 1) + i, 2 ** (i + non_sign - max_exponent_bits) + 1)
    if extra > 0:  # only when total_bits − 1 > max_exponent_bits (not for the defaults)
        add(-(max_exponent_bits - 1) + max_exponent_bits - 1, extra + 1)
    values.append(np.array([0.0, 1.0], dtype=F32))
    table = np.concatenate(values)
    table = np.concatenate([table, np.zeros(max(256 - table.size, 0), dtype=F32)])  # as bnb
    return np.sort(table).astype(F32)


DYNAMIC_MAP: np.ndarray = dynamic_map()
"""The 256 sorted values of the 8-bit dynamic map that double quantization stores scales in."""


def double_quantize_absmax(
    absmax: np.ndarray, offset: float | None = None
) -> tuple[np.ndarray, np.ndarray, F32]:
    """bitsandbytes' double quantization of float32 absmax values (one per block, in order).

    ``offset = mean(absmax)``; ``a = absmax − offset``, cut into blocks of 256; per block
    ``c = max|a|``, ``q = nearest DYN entry of clamp(a · (1/max(c, 1e-38)), −1, 1)`` (a tie
    takes the lower entry; a last, shorter block divides by ``c`` instead, as bitsandbytes
    does); the scale used is ``absmax' = DYN[q] · c + offset``.

    Returns ``(absmax', q, offset)``. Unless ``offset`` is given, the mean is taken in
    float64 and rounded to float32; bitsandbytes takes PyTorch's float32 mean, whose
    summation order depends on the CPU, so ``offset`` (and with it every ``absmax'``) may
    differ from bitsandbytes' in the last bit.
    """
    a32 = np.asarray(absmax, dtype=F32).reshape(-1)
    if a32.size == 0:
        raise InputError("Double quantization needs at least one absmax value.")
    offset = F32(np.mean(a32, dtype=np.float64)) if offset is None else F32(offset)
    centred = (a32 - offset).astype(F32)
    n = centred.size
    full = n - n % DOUBLE_QUANT_BLOCK
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    if full:
        blocks = centred[:full].reshape(-1, DOUBLE_QUANT_BLOCK)
        c = np.max(np.abs(blocks), axis=1, keepdims=True)
        inv = (F32(1) / np.maximum(c, ABSMAX_FLOOR)).astype(F32)
        parts.append(
            (np.clip(blocks * inv, F32(-1), F32(1)).reshape(-1), np.repeat(c, DOUBLE_QUANT_BLOCK))
        )
    if n > full:
        tail = centred[full:]
        c_tail = np.maximum(np.max(np.abs(tail)), ABSMAX_FLOOR)
        scaled = np.clip((tail / c_tail).astype(F32), F32(-1), F32(1))
        parts.append((scaled, np.full(tail.size, c_tail, dtype=F32)))
    scaled = np.concatenate([p[0] for p in parts]).astype(F32)
    second = np.concatenate([p[1] for p in parts]).astype(F32)
    q = nearest_code(scaled, DYNAMIC_MAP)
    restored = ((DYNAMIC_MAP[q] * second).astype(F32) + offset).astype(F32)
    return restored, q, offset


def double_quant_scale_bits(n_blocks: int) -> int:
    """Bits of double-quantized scales: 8 per block, a float32 per 256 blocks, the offset."""
    return 8 * n_blocks + 32 * -(-n_blocks // DOUBLE_QUANT_BLOCK) + 32


def nf4_double_encode(rows: np.ndarray) -> Encoded:
    """NF4 whose per-row absmax is double-quantized (:func:`double_quantize_absmax`).

    The codes are NF4's, chosen with the exact absmax; ``x̂ = NF4[code] · absmax'`` with the
    8-bit-stored ``absmax'``. Rows are blocks in the order bitsandbytes flattens them, so
    consecutive runs of 256 rows share a second-level scale.
    """
    rows = _check_rows(rows, "nf4_double")
    absmax, codes = _nf4_codes(rows)
    restored, _, _ = double_quantize_absmax(absmax.reshape(-1))
    x_hat = (NF4_CODEBOOK[codes] * restored[:, None]).astype(F32)
    return Encoded(x_hat, codes, restored, double_quant_scale_bits(rows.shape[0]))


def nf4_grid() -> np.ndarray:
    """NF4's 16 values before scaling (a copy of :data:`NF4_CODEBOOK`)."""
    return NF4_CODEBOOK.copy()


# --------------------------------------------------------------- binary, ternary --


def binary_encode(rows: np.ndarray) -> Encoded:
    """XNOR-Net binary weights: ``x̂ = α · sign(x)`` with ``α = mean|x|`` per row.

    ``α = mean|x|`` minimises ``‖x − α·b‖²`` over ``b ∈ {−1, 1}ⁿ`` once ``b = sign(x)``.
    ``sign(0) = +1`` (−0.0 included): a 1-bit weight has no 0, so a zero must take one of
    the two signs. ``torch.sign(0)`` is 0, a third value no 1-bit code can store; BinaryNet
    (Courbariaux et al. 2016) defines ``sign(x) = +1 if x ≥ 0``, and the common XNOR-Net
    ports binarize weights the same way (a few send 0 to −1). ``α`` is summed in float64
    and rounded to float32. Codes are the index in ``grid() = [−1, 1]``: 0 for −α, 1 for
    +α; 32 bits of scale per row.
    """
    rows = _check_rows(rows, "binary")
    alpha = _mean_abs(rows)
    positive = rows >= 0
    x_hat = np.where(positive, alpha, -alpha).astype(F32)
    return Encoded(x_hat, positive.astype(np.uint8), alpha.reshape(-1), 32 * rows.shape[0])


def binary_grid() -> np.ndarray:
    """Binary's two values before scaling: ``[−1, 1]``."""
    return np.array([-1.0, 1.0], dtype=F32)


def ternary_encode(rows: np.ndarray) -> Encoded:
    """Ternary weight networks: ``x̂ ∈ {−α, 0, α}`` per row.

    ``Δ = 0.7 · mean|x|`` (float32); ``x̂ = α · sign(x)`` where ``|x| > Δ`` and 0 elsewhere,
    with ``α = mean{|x| : |x| > Δ}`` (0 when no value is above Δ, as in an all-zero row).
    Example: ``[−2, −0.5, 0, 1, 3]`` has mean|x| = 1.3, Δ = 0.91, α = mean(2, 1, 3) = 2,
    so it becomes ``[−2, 0, 0, 2, 2]``. Codes are −1, 0, 1 (int8); 32 bits of scale per row.
    """
    rows = _check_rows(rows, "ternary")
    magnitude = np.abs(rows)
    delta = (TWN_DELTA_FACTOR * _mean_abs(rows)).astype(F32)
    kept = magnitude > delta
    count = np.count_nonzero(kept, axis=1, keepdims=True)
    total = np.sum(np.where(kept, magnitude, 0), axis=1, dtype=np.float64, keepdims=True)
    alpha = np.divide(total, count, out=np.zeros_like(total), where=count > 0).astype(F32)
    codes = (np.sign(rows) * kept).astype(np.int8)
    x_hat = (codes * alpha).astype(F32)
    return Encoded(x_hat, codes, alpha.reshape(-1), 32 * rows.shape[0])


def ternary_grid() -> np.ndarray:
    """Ternary's three values before scaling: ``[−1, 0, 1]``."""
    return np.array([-1.0, 0.0, 1.0], dtype=F32)


# ---------------------------------------------------------------------- formats --

_BNB = "bitsandbytes 0.50.2 quantize_4bit (default backend)"

NF4 = NumberFormat(
    name="nf4",
    family="codebook",
    element_bits=4,
    block_size=None,
    default_block=64,
    allowed_blocks=NF4_BLOCKS,
    description="NF4 (QLoRA): 16 normal-quantile values, a float32 absmax per block of 64",
    reference=f"{_BNB}, quant_type='nf4': nearest code by midpoints, ties to the lower code",
    encode=nf4_encode,
    grid=nf4_grid,
    flattened=True,
)

NF4_DOUBLE = replace(
    NF4,
    name="nf4_double",
    description="NF4 with double quantization: each block's absmax stored in 8 bits (QLoRA)",
    reference=(
        f"{_BNB}, compress_statistics=True: absmax − mean in the 8-bit dynamic map, blocks "
        "of 256 (offset = float64 mean rounded to float32)"
    ),
    encode=nf4_double_encode,
)

BINARY = NumberFormat(
    name="binary",
    family="binary",
    element_bits=1,
    block_size=None,
    default_block=None,
    allowed_blocks=(),
    description="Binary (XNOR-Net): sign(x) · mean|x|, per tensor or per channel",
    reference="XNOR-Net (Rastegari et al. 2016): α = mean|w|, sign(0) = +1",
    encode=binary_encode,
    grid=binary_grid,
)

TERNARY = NumberFormat(
    name="ternary",
    family="binary",
    element_bits=2,  # 3 states need log2(3) ≈ 1.58 bits; stored in 2
    block_size=None,
    default_block=None,
    allowed_blocks=(),
    description="Ternary (TWN): −α, 0, α with Δ = 0.7·mean|x| (3 states, stored in 2 bits)",
    reference="Ternary Weight Networks (Li & Liu 2016): Δ = 0.7·mean|w|, α = mean|w| over |w| > Δ",
    encode=ternary_encode,
    grid=ternary_grid,
    code_is_value=True,
)

CODEBOOK_FORMATS: tuple[NumberFormat, ...] = (NF4, NF4_DOUBLE, BINARY, TERNARY)
"""The formats of this module, in menu order."""
