"""One block of a number format, opened: its values, its shared scale as the file stores it,
each value's stored code and what that code decodes to.

A block format stores, for every block of consecutive values, one or two scales and one
small code per value. Reading a block back is two steps of arithmetic:

    element = decode(code)                      (FP4 code 0b0111 → 6.0; NF4 code 15 → 1.0)
    x̂ = element · scale (· tensor scale) (+ m)  (MX: scale = 2^e; Q4_1: + its minimum m)

:func:`open_block` gives every number of those two steps for one block, and
:func:`worst_block` the block a student should look at first: the one with the largest
squared error.

>>> import numpy as np, quantviz as qv
>>> x = np.array([7.0, 1.0, -2.5, 0.2] + [0.0] * 28, np.float32)
>>> b = open_block(qv.quantize(x, format="mxfp4"), x, 0)
>>> b.scales[0].encoding, b.scales[0].value, b.scales[0].stored
('e8m0', 1.0, 127)
>>> b.codes[:3].tolist(), b.elements[:3].tolist(), b.dequantized[:3].tolist()
([7, 2, 12], [6.0, 1.0, -2.0], [6.0, 1.0, -2.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.number_formats import FormatResult
from quantviz.number_formats.floats import element_dtype

F32 = np.float32


@dataclass(frozen=True)
class StoredScale:
    """One scale a block (or the tensor) stores.

    ``role``: ``"scale"`` (the block's), ``"tensor_scale"`` (NVFP4's second level) or
    ``"minimum"`` (GGML's ``m``); ``encoding``: ``"e8m0"``, ``"e4m3"``, ``"fp16"`` or
    ``"float32"``; ``value``: what it decodes to; ``stored``: its bit pattern as an unsigned
    integer of ``width`` bits (E8M0 stores the exponent + 127).
    """

    role: str
    encoding: str
    value: float
    stored: int
    width: int

    @property
    def bit_string(self) -> str:
        """The stored bits, most significant first (``"01111111"``)."""
        return format(self.stored, f"0{self.width}b")


@dataclass(frozen=True)
class Block:
    """Block ``index`` of a :class:`~quantviz.number_formats.FormatResult`, opened.

    Arrays hold one entry per value of the block (NF4's last flat block without its padding):
    ``values`` the originals, ``codes`` the stored codes as unsigned bit patterns of
    ``code_bits`` bits (as the file stores them: the FP4 nibble, the NF4 index, Q8_0's int8
    in two's complement), ``elements`` what each code decodes to before scaling,
    ``dequantized`` the value read back, ``clipped`` the saturated ones. ``levels`` are
    every value this block can store; ``scales`` what it stores beside its codes.
    """

    index: int
    n_blocks: int
    values: np.ndarray
    codes: np.ndarray
    code_bits: int
    elements: np.ndarray
    dequantized: np.ndarray
    clipped: np.ndarray
    levels: np.ndarray
    scales: tuple[StoredScale, ...]

    @property
    def errors(self) -> np.ndarray:
        """``x̂ − x`` per value (float64)."""
        return self.dequantized.astype(np.float64) - self.values.astype(np.float64)

    @property
    def scaled(self) -> np.ndarray:
        """Each value in the element's units, ``(x − m) / (scale · tensor scale)`` (float64):
        the number the element is rounded from (inf where the scale is 0)."""
        by_role = {s.role: s.value for s in self.scales}
        step = by_role["scale"] * by_role.get("tensor_scale", 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.values.astype(np.float64) - by_role.get("minimum", 0.0)) / step

    def code_string(self, i: int) -> str:
        """Value ``i``'s stored code as bits (``"0111"``)."""
        return format(int(self.codes[i]), f"0{self.code_bits}b")


def _block_sse(r: FormatResult, x: np.ndarray) -> np.ndarray:
    diff = r.rows(r.dequantized).astype(np.float64) - r.rows(x).astype(np.float64)
    return np.einsum("ij,ij->i", diff, diff)


def worst_block(r: FormatResult, x: np.ndarray) -> int:
    """The index of the block with the largest squared error (the first, on a tie)."""
    return int(np.argmax(_block_sse(r, np.asarray(x, F32))))


def _scales(r: FormatResult, index: int) -> tuple[StoredScale, ...]:
    fmt = r.format
    scale = F32(np.ravel(r.scales)[index])
    if fmt.family == "mx":
        e = int(np.frexp(np.float64(scale))[1]) - 1 if scale > 0 else -127
        return (StoredScale("scale", "e8m0", float(scale), e + 127, 8),)
    if fmt.family == "nvfp4":
        b = np.asarray(scale).astype(element_dtype("e4m3")).view(np.uint8)
        t = F32(r.tensor_scale or 0.0)
        return (
            StoredScale("scale", "e4m3", float(scale), int(b), 8),
            StoredScale(
                "tensor_scale", "float32", float(t), int(np.asarray(t).view(np.uint32)), 32
            ),
        )
    if fmt.family == "ggml":
        out = [StoredScale("scale", "fp16", float(scale),
                           int(np.asarray(np.float16(scale)).view(np.uint16)), 16)]  # fmt: skip
        if r.offsets is not None:
            m = np.float16(np.ravel(r.offsets)[index])
            out.append(StoredScale("minimum", "fp16", float(m),
                                   int(np.asarray(m).view(np.uint16)), 16))  # fmt: skip
        return tuple(out)
    return (StoredScale("scale", "float32", float(scale),
                        int(np.asarray(scale).view(np.uint32)), 32),)  # fmt: skip


def _stored_codes(r: FormatResult, codes: np.ndarray, elements: np.ndarray) -> np.ndarray:
    """The codes as the file's unsigned bit patterns."""
    fmt = r.format
    if fmt.element and fmt.element != "int8":  # the element float's own byte (low bits)
        return np.asarray(elements, F32).astype(element_dtype(fmt.element)).view(np.uint8)
    if fmt.element == "int8":  # MXINT8: k of k/64, two's complement
        k = np.rint(np.asarray(elements, np.float64) * 64).astype(np.int64)
        return (k % 256).astype(np.int64)
    if fmt.code_is_value:  # Q8_0's int8, ternary's −1/0/1 in two's complement
        return (codes.astype(np.int64) % (1 << fmt.element_bits)).astype(np.int64)
    return codes.astype(np.int64)


def open_block(r: FormatResult, x: np.ndarray, index: int) -> Block:
    """Block ``index`` (0-based, storage order) of ``r``, the result of quantizing ``x``."""
    index = int(index)
    if not 0 <= index < r.n_blocks:
        raise InputError(f"Block index must be 0 to {r.n_blocks - 1}; not {index}.")
    x = np.asarray(x, F32)
    if x.shape != r.dequantized.shape:
        raise InputError(
            f"x must be the tensor that was quantized (shape {r.dequantized.shape}), not "
            f"shape {x.shape}."
        )
    back = r.rows(r.dequantized)
    size = keep = back.shape[1]
    if r.format.flattened and index == r.n_blocks - 1:  # NF4's short last block
        keep = x.size - size * (r.n_blocks - 1)
    codes = r.rows(r.codes)[index, :keep]
    grid = r.format.grid().astype(F32)
    elements = codes.astype(F32) if r.format.code_is_value else grid[codes.astype(np.intp)]
    values = r.rows(x)[index, :keep]
    if r.format.element and r.format.element != "int8":  # a float's zero keeps the value's sign
        elements = np.where(elements == 0, np.copysign(F32(0), values), elements).astype(F32)
    return Block(
        index=index,
        n_blocks=r.n_blocks,
        values=values,
        codes=_stored_codes(r, codes, elements),
        code_bits=r.format.element_bits,
        elements=elements,
        dequantized=back[index, :keep],
        clipped=r.rows(r.clipped)[index, :keep],
        levels=r.levels(index if r.n_blocks > 1 else None),
        scales=_scales(r, index),
    )
