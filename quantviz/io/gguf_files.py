"""Read ``.gguf`` files (llama.cpp) with a small, bounded parser of our own.

A GGUF file is::

    "GGUF" | version (uint32) | tensor count (uint64) | metadata count (uint64)
    metadata: key (string), value type (uint32), value       ... repeated
    tensor infos: name (string), n_dims (uint32), dims (uint64 each),
                  GGML type (uint32), offset into the data section (uint64)
    padding to the alignment (metadata "general.alignment", default 32)
    data section

with strings stored as a uint64 length and UTF-8 bytes, and arrays as an
element type, a uint64 count and the elements. The format is described at
https://github.com/ggml-org/ggml/blob/master/docs/gguf.md.

Why not ``gguf.GGUFReader``? It trusts the counts in the file: a 37-byte file
announcing an array of 2**62 numbers makes it loop (and grow its memory)
forever. This parser checks every count against the bytes actually left before
using it, and caps how many metadata items it walks through. The ``gguf``
package is still used, when installed, to dequantize the GGML block formats
(Q8_0, Q4_K...); F32, F16, BF16 and F64 tensors need only NumPy.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from quantviz.io._common import ReadContext, human_count, product, shape_text
from quantviz.io.magic import GGUF_MAGIC, misnamed
from quantviz.io.tensors import LoadedWeights, TensorCollector

DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # GGML_MAX_DIMS: ggml tensors have at most four dimensions
MAX_METADATA_ITEMS = 5_000_000  # strings and array elements walked through in the metadata
MAX_ARRAY_NESTING = 8

#: Byte size of each fixed-size metadata value type (GGUFValueType numbers).
_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY, _UINT32 = 8, 9, 4

#: GGML types decoded with NumPy alone: number -> (name, NumPy dtype).
_PLAIN_TYPES = {
    0: ("F32", "<f4"),
    1: ("F16", "<f2"),
    24: ("I8", "i1"),
    25: ("I16", "<i2"),
    26: ("I32", "<i4"),
    27: ("I64", "<i8"),
    28: ("F64", "<f8"),
    30: ("BF16", "<u2"),  # decoded by shifting the bits into a float32
}


@dataclass(frozen=True)
class TensorInfo:
    """One entry of the tensor table: where a tensor lives and how it is encoded."""

    name: str
    dims: tuple[int, ...]  # GGUF order: the fastest-varying dimension first
    ggml_type: int
    offset: int  # relative to the start of the data section

    @property
    def shape(self) -> tuple[int, ...]:
        """The NumPy shape: GGUF lists dimensions in reverse."""
        return tuple(reversed(self.dims))


class _Cursor:
    """Reads little-endian values from ``data``, refusing to read past its end."""

    def __init__(self, data: bytes, ctx: ReadContext) -> None:
        self.data = data
        self.ctx = ctx
        self.pos = 0
        self.items = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def skip(self, n: int) -> None:
        if n < 0 or n > self.remaining():
            raise self.ctx.error(
                "is truncated or corrupt: a GGUF field runs past the end of the file"
            )
        self.pos += n

    def u32(self) -> int:
        start = self.pos
        self.skip(4)
        return struct.unpack_from("<I", self.data, start)[0]

    def u64(self) -> int:
        start = self.pos
        self.skip(8)
        return struct.unpack_from("<Q", self.data, start)[0]

    def string(self) -> bytes:
        n = self.u64()
        start = self.pos
        self.skip(n)
        return self.data[start : start + n]

    def spend(self, count: int, min_bytes_each: int, what: str = "list items") -> None:
        """Check an announced count of ``what`` against the bytes left and the item budget."""
        if count * min_bytes_each > self.remaining():
            raise self.ctx.error(
                f"is truncated or corrupt: it announces {human_count(count)} {what}, which do "
                "not fit in the rest of the file"
            )
        self.items += count
        if self.items > MAX_METADATA_ITEMS:
            raise self.ctx.error(
                f"has more than {MAX_METADATA_ITEMS:,} metadata items, more than quantviz reads"
            )


def _skip_value(cur: _Cursor, value_type: int, depth: int = 0) -> None:
    """Move past one metadata value of type ``value_type``."""
    if value_type in _SCALAR_SIZES:
        cur.skip(_SCALAR_SIZES[value_type])
    elif value_type == _STRING:
        cur.skip(cur.u64())
    elif value_type == _ARRAY:
        if depth >= MAX_ARRAY_NESTING:
            raise cur.ctx.error(f"nests GGUF arrays more than {MAX_ARRAY_NESTING} levels deep")
        item_type = cur.u32()
        count = cur.u64()
        if item_type in _SCALAR_SIZES:
            cur.skip(count * _SCALAR_SIZES[item_type])
        elif item_type == _STRING:
            cur.spend(count, 8)
            for _ in range(count):
                cur.skip(cur.u64())
        elif item_type == _ARRAY:
            cur.spend(count, 12)
            for _ in range(count):
                _skip_value(cur, _ARRAY, depth + 1)
        else:
            raise cur.ctx.error("is corrupt: a GGUF metadata list has items of an unknown type")
    else:
        raise cur.ctx.error("is corrupt: a GGUF metadata entry has an unknown type")


def _read_metadata(cur: _Cursor, count: int) -> int:
    """Walk through ``count`` metadata entries; return the data alignment they set."""
    cur.spend(count, 13, "metadata entries")  # shortest: empty key (8) + type (4) + 1 byte
    alignment = DEFAULT_ALIGNMENT
    for _ in range(count):
        key = cur.string()
        value_type = cur.u32()
        if key == b"general.alignment":
            if value_type != _UINT32:
                raise cur.ctx.error("is corrupt: general.alignment is not a uint32")
            alignment = cur.u32()
            if alignment == 0 or alignment & (alignment - 1):
                raise cur.ctx.error(f"is corrupt: alignment {alignment} is not a power of two")
        else:
            _skip_value(cur, value_type)
    return alignment


def _read_tensor_infos(cur: _Cursor, count: int) -> list[TensorInfo]:
    """Read the tensor table (names, shapes, types, offsets)."""
    cur.ctx.check_tensor_count(count)
    cur.spend(count, 24, "tensors")  # shortest entry: empty name, no dims, type and offset
    infos = []
    for _ in range(count):
        raw_name = cur.string()
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise cur.ctx.error("is corrupt: a tensor name is not valid UTF-8") from exc
        n_dims = cur.u32()
        if n_dims > MAX_DIMS:
            raise cur.ctx.error(
                f"is corrupt: tensor {name!r} has {human_count(n_dims)} dimensions (GGUF allows "
                "at most 4)"
            )
        dims = tuple(cur.u64() for _ in range(n_dims))
        infos.append(TensorInfo(name, dims, ggml_type=cur.u32(), offset=cur.u64()))
    return infos


def parse_layout(data: bytes, ctx: ReadContext) -> tuple[list[TensorInfo], int, int]:
    """Parse everything before the data section.

    Returns
    -------
    (list of TensorInfo, int, int)
        The tensor table, the position of the data section in ``data`` and
        the alignment.
    """
    if data[:4] != GGUF_MAGIC:  # (slicing, not startswith: ``data`` may be an mmap)
        raise ctx.error(misnamed("a GGUF file", data))
    cur = _Cursor(data, ctx)
    cur.skip(4)
    version = cur.u32()
    if version and version & 0xFFFF == 0:
        raise ctx.error("is a big-endian GGUF file, which quantviz does not read")
    if version not in (2, 3):
        if version > 100:  # no such version: the header is damaged
            raise ctx.error("is corrupt: its GGUF version number is not a version that exists")
        raise ctx.error(f"is GGUF version {version}; quantviz reads versions 2 and 3")
    n_tensors = cur.u64()
    n_metadata = cur.u64()
    ctx.check_tensor_count(n_tensors)
    alignment = _read_metadata(cur, n_metadata)
    infos = _read_tensor_infos(cur, n_tensors)
    data_start = -(-cur.pos // alignment) * alignment
    return infos, data_start, alignment


def _quant_traits(ggml_type: int) -> tuple[str, int, int] | str:
    """(name, block size, bytes per block) of a GGML block type, or why it is unknown."""
    try:
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
    except ImportError:
        return (
            f"GGML type {ggml_type} is a quantized block format; dequantizing it needs the "
            "gguf package (pip install gguf)"
        )
    try:
        qtype = GGMLQuantizationType(ggml_type)
    except ValueError:
        return f"unknown GGML type {ggml_type}"
    block, size = GGML_QUANT_SIZES[qtype]
    return qtype.name, int(block), int(size)


def _byte_size(info: TensorInfo, block: int, type_size: int, ctx: ReadContext) -> int:
    """Bytes a tensor takes in the file; refuse rows that are not whole blocks."""
    n = product(info.dims)
    row = info.dims[0] if info.dims else 1
    if n and row % block:
        raise ctx.error(
            f"is corrupt: tensor {info.name!r} has rows of {row} values, "
            f"not a multiple of its block size {block}"
        )
    return n // block * type_size


def _dequantize(raw: np.ndarray, info: TensorInfo, type_name: str) -> np.ndarray | str:
    """Dequantize a GGML block tensor with ``gguf.quants``; return it or why it cannot be."""
    from gguf.constants import GGMLQuantizationType
    from gguf.quants import dequantize

    if raw.size == 0:
        return np.zeros(info.shape, dtype=np.float32)
    qtype = GGMLQuantizationType[type_name]
    rows = raw.reshape((*info.shape[:-1], -1))
    try:
        with np.errstate(all="ignore"):
            values = dequantize(rows, qtype)
    except NotImplementedError:
        return f"the installed gguf package cannot dequantize GGML type {type_name}"
    return np.asarray(values, dtype=np.float32).reshape(info.shape)


@dataclass(frozen=True)
class _Plan:
    """How to decode one tensor: its type name, stored dtype and byte count.

    ``dtype`` is None for block types (the bytes are dequantized); ``skip`` is
    the reason when quantviz cannot decode the type at all.
    """

    type_name: str
    dtype: np.dtype | None = None
    n_bytes: int = 0
    skip: str = ""


def _plan(info: TensorInfo, ctx: ReadContext, alignment: int, data_len: int) -> _Plan:
    """Check that a tensor's bytes lie inside the data section; say how to decode them."""
    ctx.check_shape(info.name, info.shape)
    ctx.check_elements(product(info.dims))  # this tensor alone; the total is checked later
    if info.ggml_type in _PLAIN_TYPES:
        type_name, dtype = _PLAIN_TYPES[info.ggml_type]
        plan = _Plan(type_name, np.dtype(dtype), _byte_size(info, 1, np.dtype(dtype).itemsize, ctx))
    else:
        traits = _quant_traits(info.ggml_type)
        if isinstance(traits, str):
            return _Plan(f"GGML type {info.ggml_type}", skip=traits)
        type_name, block, type_size = traits
        plan = _Plan(type_name, None, _byte_size(info, block, type_size, ctx))
    if info.offset % alignment:
        raise ctx.error(f"is corrupt: tensor {info.name!r} is not aligned to {alignment} bytes")
    if info.offset + plan.n_bytes > data_len:
        raise ctx.error(
            f"is truncated or corrupt: tensor {info.name!r} runs past the end of the file"
        )
    return plan


def decode_or_refuse(
    ctx: ReadContext, data: bytes, offset: int, info: TensorInfo, plan: _Plan
) -> tuple[np.ndarray | str, str, bool]:
    """:func:`_decode`, with a tensor gguf cannot decode (a block shape gguf.quants does not
    accept, say) reported as a corrupt file in one sentence."""
    try:
        return _decode(data, offset, info, plan)
    except Exception as exc:
        raise ctx.error(
            f"is corrupt: tensor {info.name!r} ({plan.type_name}, shape "
            f"{shape_text(info.shape)}) cannot be decoded"
        ) from exc


def _decode(
    data: bytes, start: int, info: TensorInfo, plan: _Plan
) -> tuple[np.ndarray | str, str, bool]:
    """Decode one tensor; return (array, or the reason it is skipped), note, owned."""
    if plan.dtype is not None:
        count = product(info.dims)
        arr = np.frombuffer(data, plan.dtype, count, start) if count else np.zeros(0, plan.dtype)
        if plan.type_name == "BF16":  # bfloat16 is the top half of a float32
            bits = arr.astype(np.uint32) << 16
            return (
                bits.view(np.float32).reshape(info.shape),
                "converted from bfloat16 to float32",
                True,
            )
        return arr.reshape(info.shape), "", False
    n = plan.n_bytes
    raw = np.frombuffer(data, np.uint8, n, start) if n else np.zeros(0, np.uint8)
    values = _dequantize(raw, info, plan.type_name)
    if isinstance(values, str):
        return values, "", False
    return values, f"dequantized from GGML {plan.type_name}", True


def read_gguf(data: bytes, ctx: ReadContext) -> LoadedWeights:
    """Read the tensors of a ``.gguf`` file.

    F32, F16, BF16 and F64 tensors become float32 and I8...I64 tensors keep
    their integer type, all in NumPy order (the reverse of the dimensions
    listed in the file). Tensors in quantized block formats (Q8_0, Q4_0, Q4_K,
    IQ..., MXFP4...) are dequantized to float32 with ``gguf.quants.dequantize``
    when the ``gguf`` package is installed and implements that type; otherwise
    they are listed as skipped.

    Raises
    ------
    InputError
        Wrong magic, unsupported version or byte order, truncated or corrupt
        tables, tensors outside the file or misaligned, too many values.
    """
    infos, data_start, alignment = parse_layout(data, ctx)
    plans = [_plan(info, ctx, alignment, len(data) - data_start) for info in infos]
    ctx.check_elements(
        sum(product(info.dims) for info, plan in zip(infos, plans, strict=True) if not plan.skip)
    )
    out = TensorCollector(ctx, "gguf")
    for info, plan in zip(infos, plans, strict=True):
        if plan.skip:
            out.skip(info.name, info.shape, plan.type_name, plan.skip)
            continue
        decoded, note, owned = decode_or_refuse(ctx, data, data_start + info.offset, info, plan)
        if isinstance(decoded, str):
            out.skip(info.name, info.shape, plan.type_name, decoded)
        else:
            out.add(info.name, decoded, stored_as=plan.type_name, note=note, owned=owned)
    return out.finish()
