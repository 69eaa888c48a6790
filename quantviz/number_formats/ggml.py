"""llama.cpp's basic block formats (GGML Q8_0, Q4_0, Q4_1, Q5_0, Q5_1), through ``gguf.quants``.

Every block holds 32 consecutive values and an fp16 scale ``d`` (and, for the ``_1``
types, an fp16 minimum ``m``). The scale is computed in float32, stored as fp16, and the
codes come from the float32 reciprocal of the *unrounded* scale; values come back with
the fp16 one:

========  ====================================================  =================  ==========
type      quantize (per block, float32)                          stored code        value
========  ====================================================  =================  ==========
Q8_0      ``d = max|x|/127``, ``q = round_half_away(x/d)``      int8, −127…127     ``d·q``
Q4_0      ``M`` = the value of largest magnitude (sign kept),   0…15               ``d·(q−8)``
          ``d = M/−8``, ``q = min(15, ⌊x/d + 8.5⌋)``
Q4_1      ``d = (max−min)/15``, ``m = min``,                    0…15               ``d·q + m``
          ``q = min(15, ⌊(x−m)/d + 0.5⌋)``
Q5_0      ``d = M/−16``, ``q = min(31, ⌊x/d + 16.5⌋)``          0…31               ``d·(q−16)``
Q5_1      ``d = (max−min)/31``, ``q = ⌊(x−m)/d + 0.5⌋``         0…31               ``d·q + m``
========  ====================================================  =================  ==========

(``x/d`` is ``x · (1/d)`` with ``1/d = 0`` when ``d = 0``.) Q4_0's ``d = M/−8`` sends the
value of largest magnitude to code 0 (−8 · d = M), using the level −8 that a symmetric
grid would waste, so ``d`` is negative when that value is positive.

Byte layout of one block (little-endian): ``d`` (2 bytes), ``m`` (2, ``_1`` types only),
``qh`` (4, Q5 types: bit ``j`` of this uint32 is the 5th bit of element ``j``), then the
elements — int8 for Q8_0, else 16 bytes of nibbles: element ``j`` in the low nibble of
byte ``j`` and element ``j + 16`` in its high nibble.

The values are ``gguf.quants.dequantize(gguf.quants.quantize(x))`` exactly; the codes and
scales are read back from those bytes. A block whose scale overflows fp16 (|x| above
about 8·10⁶ for Q8_0, 5·10⁵ for Q4_0) stores ``d = ±inf`` and, as in llama.cpp, comes
back as inf or NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.number_formats.base import Encoded, NumberFormat

F32 = np.float32
GGML_BLOCK = 32
"""Values per block in every type of this module (``QK8_0 = QK4_0 = … = 32``)."""


@dataclass(frozen=True)
class GGMLType:
    """What a GGML block type stores.

    ``bits``: bits per element (the Q5 types' 5th bit, kept in ``qh``, counts);
    ``centre``: subtracted from the stored code before scaling (8 for Q4_0, 16 for Q5_0,
    0 otherwise); ``has_min``: an fp16 ``m`` follows ``d`` (Q4_1, Q5_1).
    """

    name: str
    bits: int
    centre: int
    has_min: bool

    @property
    def header_bytes(self) -> int:
        """Bytes before the elements: ``d``, ``m`` and ``qh``."""
        return 2 + 2 * self.has_min + 4 * (self.bits == 5)

    @property
    def type_size(self) -> int:
        """Bytes per block of 32 (gguf's ``GGML_QUANT_SIZES[...][1]``)."""
        return self.header_bytes + GGML_BLOCK * self.bits // 8 - 4 * (self.bits == 5)

    @property
    def scale_bits(self) -> int:
        """Bits of fp16 scales per block: 16 (``d``) or 32 (``d`` and ``m``)."""
        return 16 * (1 + self.has_min)


TYPES: dict[str, GGMLType] = {
    "q8_0": GGMLType("Q8_0", 8, 0, False),
    "q4_0": GGMLType("Q4_0", 4, 8, False),
    "q4_1": GGMLType("Q4_1", 4, 0, True),
    "q5_0": GGMLType("Q5_0", 5, 16, False),
    "q5_1": GGMLType("Q5_1", 5, 0, True),
}
"""Format name → its block type."""


@dataclass(frozen=True)
class GGMLBlocks:
    """Blocks read back from their bytes.

    ``d``: float32 (n_blocks,), the fp16 scale; ``m``: float32 (n_blocks,), the fp16
    minimum, or None; ``codes``: (n_blocks, 32), the stored integers (int8 for Q8_0, else
    uint8 0…15 or 0…31).
    """

    d: np.ndarray
    m: np.ndarray | None
    codes: np.ndarray


def _gguf():
    """``(quantize, dequantize, GGMLQuantizationType)`` from the gguf package."""
    try:
        from gguf.constants import GGMLQuantizationType
        from gguf.quants import dequantize, quantize
    except ImportError as e:  # a dependency of quantviz, but say so plainly if it is missing
        raise InputError("The GGML formats need the gguf package (pip install gguf).") from e
    return quantize, dequantize, GGMLQuantizationType


def get_type(name: str) -> GGMLType:
    """The block type called ``name`` (``"q4_0"`` …; case-insensitive)."""
    t = TYPES.get(str(name).lower())
    if t is None:
        raise InputError(f"GGML type must be one of {', '.join(TYPES)}; not {name!r}.")
    return t


def _check_blocks(rows: np.ndarray, name: str) -> np.ndarray:
    """``rows`` as C-contiguous float32 blocks of 32 finite values."""
    arr = np.asarray(rows)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != GGML_BLOCK:
        raise InputError(
            f"{name} encodes blocks of {GGML_BLOCK} values as an (n_blocks, {GGML_BLOCK}) "
            f"array; got shape {arr.shape}."
        )
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise InputError(f"{name} encodes real numbers; got an array of {arr.dtype}.")
    arr = np.ascontiguousarray(arr, dtype=F32)
    if not np.isfinite(arr).all():
        raise InputError(f"{name} needs finite values; the blocks contain NaN or infinity.")
    return arr


def pack(rows: np.ndarray, name: str) -> np.ndarray:
    """The bytes llama.cpp stores for ``(n_blocks, 32)`` values: ``gguf.quants.quantize``."""
    t = get_type(name)
    blocks = _check_blocks(rows, name)
    quantize, _, qtype = _gguf()
    wide = _wide(blocks.shape[0])
    with np.errstate(all="ignore"):  # an fp16 overflow of d is the format's, not an error
        packed = quantize(blocks.reshape(-1, GGML_BLOCK * wide), qtype[t.name])
    return np.asarray(packed, dtype=np.uint8).reshape(blocks.shape[0], t.type_size)


WIDE_BLOCKS = 128
"""Blocks per row handed to gguf: it works on groups of 16 rows, so rows of 128 blocks (4,096
values) let each numpy call see 65,536 values instead of 512 (the same bytes: every block is
quantized on its own; 5–10x faster on a 10M-value tensor)."""


def _wide(n_blocks: int) -> int:
    """The number of blocks per row: the largest power of two up to :data:`WIDE_BLOCKS` that
    divides ``n_blocks``."""
    return math.gcd(n_blocks, WIDE_BLOCKS)


def _fp16(two_bytes: np.ndarray) -> np.ndarray:
    """Little-endian fp16 from an (n, 2) uint8 array, as float32 (n,)."""
    return np.ascontiguousarray(two_bytes).view("<f2").astype(F32).reshape(-1)


def unpack(packed: np.ndarray, name: str) -> GGMLBlocks:
    """Read ``d``, ``m`` and the element codes out of ``(n_blocks, type_size)`` block bytes."""
    t = get_type(name)
    raw = np.asarray(packed)
    if raw.dtype != np.uint8 or raw.ndim != 2 or raw.shape[1] != t.type_size:
        raise InputError(
            f"{t.name} blocks are {t.type_size} bytes each, as a uint8 array of shape "
            f"(n_blocks, {t.type_size}); got {raw.dtype} of shape {raw.shape}."
        )
    d = _fp16(raw[:, 0:2])
    m = _fp16(raw[:, 2:4]) if t.has_min else None
    elements = raw[:, t.header_bytes :]
    if t.bits == 8:
        return GGMLBlocks(d, m, np.ascontiguousarray(elements).view(np.int8))
    codes = np.concatenate([elements & 0x0F, elements >> 4], axis=1)  # j, then j + 16
    if t.bits == 5:
        qh = raw[:, t.header_bytes - 4 : t.header_bytes]
        fifth = np.unpackbits(qh, axis=1, bitorder="little")  # bit j of the LE uint32
        codes = codes | (fifth << 4)
    return GGMLBlocks(d, m, codes.astype(np.uint8))


def ggml_encode(name: str) -> Callable[[np.ndarray], Encoded]:
    """``encode`` of a GGML type: gguf's quantize + dequantize, codes and ``d`` from the bytes."""
    t = get_type(name)

    def encode(rows: np.ndarray) -> Encoded:
        packed = pack(rows, name)
        _, dequantize, qtype = _gguf()
        with np.errstate(all="ignore"):  # inf · 0 = NaN where d overflowed fp16
            wide = packed.reshape(-1, t.type_size * _wide(packed.shape[0]))
            values = np.asarray(dequantize(wide, qtype[t.name]), dtype=F32)
        blocks = unpack(packed, name)
        x_hat = values.reshape(packed.shape[0], GGML_BLOCK)
        return Encoded(x_hat, blocks.codes, blocks.d, t.scale_bits * packed.shape[0], blocks.m)

    encode.__doc__ = f"{t.name}: blocks of 32 values, as gguf.quants quantizes and dequantizes."
    return encode


def ggml_grid(name: str) -> Callable[[], np.ndarray]:
    """``grid()`` of a GGML type: the element's integer levels before ``d`` (and ``m``).

    Q8_0: −128…127 (int8; llama.cpp's quantizer uses only −127…127, and the stored code is
    the grid index − 128); Q4_0: −8…7 and Q5_0: −16…15 (stored code − centre: the stored
    code is the grid index); Q4_1: 0…15 and Q5_1: 0…31 (the value is ``d·q + m``).
    """
    t = get_type(name)
    low = -128 if t.bits == 8 else -t.centre
    levels = np.arange(low, low + 2**t.bits, dtype=F32)
    return lambda: levels.copy()


def _format(name: str, description: str) -> NumberFormat:
    t = TYPES[name]
    return NumberFormat(
        name=name,
        family="ggml",
        element_bits=t.bits,
        block_size=GGML_BLOCK,
        default_block=GGML_BLOCK,
        allowed_blocks=(GGML_BLOCK,),
        description=description,
        reference=f"gguf.quants.quantize / dequantize (GGMLQuantizationType.{t.name}), "
        "the numpy port of llama.cpp's ggml-quants.c",
        encode=ggml_encode(name),
        grid=ggml_grid(name),
        code_is_value=t.bits == 8,  # Q8_0 stores the int8 itself; the others a grid index
    )


Q8_0 = _format("q8_0", "llama.cpp Q8_0: blocks of 32 int8 values, an fp16 scale max|x|/127")
Q4_0 = _format("q4_0", "llama.cpp Q4_0: blocks of 32 4-bit values, an fp16 scale (−8…7)")
Q4_1 = _format("q4_1", "llama.cpp Q4_1: blocks of 32 4-bit values, an fp16 scale and minimum")
Q5_0 = _format("q5_0", "llama.cpp Q5_0: blocks of 32 5-bit values, an fp16 scale (−16…15)")
Q5_1 = _format("q5_1", "llama.cpp Q5_1: blocks of 32 5-bit values, an fp16 scale and minimum")

GGML_FORMATS: tuple[NumberFormat, ...] = (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1)
"""The formats of this module, in menu order."""
