"""Read ``.safetensors`` files, checking the header before touching any data.

The format (https://github.com/huggingface/safetensors) is simple and cannot
carry code:

* 8 bytes: the header's length ``n``, an unsigned little-endian integer;
* ``n`` bytes: a JSON object mapping each tensor name to its ``dtype``, ``shape``
  and ``data_offsets`` ``[begin, end]`` (byte positions in the data section),
  plus an optional ``"__metadata__"`` object of strings;
* the data section: every tensor's bytes, little-endian, back to back.

The reader here follows those rules as the reference library enforces them
(header at most 100 MB; offsets inside the data section, without overlaps or
gaps; byte counts matching shape and dtype), then decodes each tensor with NumPy.
Reading the header ourselves lets bfloat16 through, which
``safetensors.numpy.load`` cannot return (NumPy has no bfloat16 type), and means
the ``safetensors`` package is not needed to read these files.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from quantviz.io._common import ReadContext, human_bytes, product, shape_text
from quantviz.io.magic import SAFETENSORS_MAX_HEADER, looks_like_safetensors, misnamed, sniff
from quantviz.io.tensors import LoadedWeights, TensorCollector

#: safetensors dtype name -> NumPy dtype string (little-endian), for the plain types.
_NUMPY_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
    "C64": "<c8",
}

MAX_DIMS = 64  # NumPy arrays have at most 64 dimensions

#: 8-bit float types, decoded through the optional ``ml_dtypes`` package.
_FLOAT8 = {"F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2", "F8_E8M0": "float8_e8m0fnu"}


def _duplicate_checked(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: refuse objects that repeat a key (JSON would keep the last)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the name {key!r} appears twice")
        result[key] = value
    return result


def _is_count(x: object) -> bool:
    """True for a non-negative JSON integer (``true``/``false`` are not counts)."""
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _parse_header(data: bytes, ctx: ReadContext) -> tuple[dict[str, Any], int]:
    """Return the header's tensor entries and the position where the data section starts."""
    if not looks_like_safetensors(data):
        if len(data) >= 8 and sniff(data) in ("unknown", "text"):
            (n,) = struct.unpack_from("<Q", data, 0)
            if n > SAFETENSORS_MAX_HEADER:
                raise ctx.error(
                    f"is not a valid safetensors file: its first 8 bytes announce a header of "
                    f"{human_bytes(n)}, more than the {human_bytes(SAFETENSORS_MAX_HEADER)} the "
                    f"format allows (the whole file is {human_bytes(len(data))})"
                )
            if n > len(data) - 8:
                raise ctx.error(
                    f"is truncated or not a safetensors file: its first 8 bytes announce a "
                    f"header of {human_bytes(n)}, but the whole file is {human_bytes(len(data))}"
                )
        raise ctx.error(misnamed("a safetensors file", data))
    (n,) = struct.unpack_from("<Q", data, 0)
    try:
        text = data[8 : 8 + n].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ctx.error(
            "has a corrupt safetensors header: it should be JSON text but holds binary data"
        ) from exc
    try:
        header = json.loads(text, object_pairs_hook=_duplicate_checked)
    except ValueError as exc:  # JSONDecodeError, or a name that appears twice
        if "appears twice" in str(exc):
            raise ctx.error(f"has a corrupt safetensors header: {exc}") from exc
        raise ctx.error("has a corrupt safetensors header: it is not valid JSON") from exc
    except RecursionError as exc:
        raise ctx.error("has a corrupt safetensors header: its JSON is nested too deeply") from exc
    if not isinstance(header, dict):
        raise ctx.error("has a safetensors header that is not a JSON object")
    header.pop("__metadata__", None)
    ctx.check_tensor_count(len(header))
    return header, 8 + n


def _check_entry(name: str, entry: object, ctx: ReadContext) -> tuple[str, list[int], int, int]:
    """Validate one header entry; return (dtype, shape, begin, end)."""
    if isinstance(entry, dict):
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if (
            isinstance(dtype, str)
            and isinstance(shape, list)
            and len(shape) <= MAX_DIMS
            and all(_is_count(d) for d in shape)
            and isinstance(offsets, list)
            and len(offsets) == 2
            and all(_is_count(o) for o in offsets)
        ):
            return dtype, shape, offsets[0], offsets[1]
    raise ctx.error(
        f"has a malformed header entry for tensor {name!r} (it needs a dtype, a shape of at "
        f"most {MAX_DIMS} non-negative integers and two data offsets)"
    )


def _check_layout(spans: list[tuple[int, int, str]], data_len: int, ctx: ReadContext) -> None:
    """Tensors must tile the data section exactly: in bounds, no overlap, no gap."""
    position = 0
    for begin, end, name in sorted(spans):
        if end < begin:
            raise ctx.error(f"is corrupt: tensor {name!r} ends before it begins")
        if end > data_len:
            raise ctx.error(
                f"is corrupt or truncated: tensor {name!r} should end {human_bytes(end)} into "
                f"the data, but the file holds only {human_bytes(data_len)} of data"
            )
        if begin != position:
            raise ctx.error(
                f"is corrupt: tensor {name!r} starts {human_bytes(begin)} into the data where "
                f"the tensor before it ends at {human_bytes(position)} (tensors must follow "
                "each other without overlap or gaps)"
            )
        position = end
    if position != data_len:
        raise ctx.error(
            f"is corrupt: its data section has {human_bytes(data_len - position)} that no "
            "tensor uses"
        )


def _decode(raw: memoryview, dtype: str, shape: list[int]) -> np.ndarray | str:
    """Decode one tensor's bytes; return the array, or the reason it cannot be decoded."""
    if dtype in _NUMPY_DTYPES:
        return np.frombuffer(raw, dtype=_NUMPY_DTYPES[dtype]).reshape(shape)
    if dtype == "BF16":
        # bfloat16 is the top half of a float32: shift its 16 bits up.
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    if dtype in _FLOAT8:
        try:
            import ml_dtypes
        except ImportError:
            return f"{dtype} needs the ml_dtypes package (pip install ml_dtypes)"
        return np.frombuffer(raw, dtype=getattr(ml_dtypes, _FLOAT8[dtype])).reshape(shape)
    return f"element type {dtype} is not supported"


def _itemsize(dtype: str) -> int | None:
    """Bytes per element for the dtypes we decode (None: unknown or packed below a byte)."""
    if dtype in _NUMPY_DTYPES:
        return np.dtype(_NUMPY_DTYPES[dtype]).itemsize
    if dtype == "BF16":
        return 2
    if dtype in _FLOAT8:
        return 1
    return None


def read_safetensors(data: bytes, ctx: ReadContext) -> LoadedWeights:
    """Read a ``.safetensors`` file.

    F32 tensors are returned as they are; F16, BF16, F64 and the F8 types become
    float32; integer and bool tensors keep their dtype. Complex tensors and
    types quantviz cannot decode (4- and 6-bit packed floats, unknown names)
    are listed as skipped.

    Raises
    ------
    InputError
        Wrong or corrupt header, offsets outside the file, overlapping tensors,
        byte counts that do not match a shape, too many values.
    """
    entries, start = parse_entries(data, len(data), ctx)
    ctx.check_elements(sum(product(shape) for _, _, shape, _, _ in entries))
    out = TensorCollector(ctx, "safetensors")
    view = memoryview(data)  # slices of a memoryview do not copy the bytes
    for name, dtype, shape, begin, end in entries:
        try:
            decoded = _decode(view[start + begin : start + end], dtype, shape)
        except ValueError as exc:  # a shape NumPy refuses despite the checks above
            raise ctx.error(f"is corrupt: tensor {name!r} does not fit its shape") from exc
        if isinstance(decoded, str):
            out.skip(name, tuple(shape), dtype, decoded)
        else:
            bf16 = dtype == "BF16"  # decoded into a new array; others are views of `data`
            note = "converted from bfloat16 to float32" if bf16 else ""
            out.add(name, decoded, stored_as=dtype, note=note, owned=bf16)
    return out.finish()


Entry = tuple[str, str, list[int], int, int]
"""One checked header entry: (name, dtype, shape, begin, end), offsets into the data section."""


def parse_entries(head: bytes, file_len: int, ctx: ReadContext) -> tuple[list[Entry], int]:
    """Parse and check a safetensors header; return its entries and where the data starts.

    Parameters
    ----------
    head : bytes
        The file's first bytes: at least the 8-byte length and the whole JSON header
        (the whole file does too).
    file_len : int
        The file's size in bytes: the entries must tile ``file_len - start`` exactly.

    Raises
    ------
    InputError
        As :func:`read_safetensors`, except the element limit (the caller checks it).
    """
    header, start = _parse_header(head, ctx)
    entries = []
    spans = []
    for name, entry in header.items():
        dtype, shape, begin, end = _check_entry(name, entry, ctx)
        ctx.check_shape(name, shape)
        if end < begin:
            raise ctx.error(f"is corrupt: tensor {name!r} ends before it begins")
        size = _itemsize(dtype)
        if size is not None and end - begin != product(shape) * size:
            raise ctx.error(
                f"is corrupt: tensor {name!r} of shape {shape_text(shape)} and type {dtype} "
                f"should take {human_bytes(product(shape) * size)}, not "
                f"{human_bytes(end - begin)}"
            )
        spans.append((begin, end, name))
        entries.append((name, dtype, shape, begin, end))
    _check_layout(spans, file_len - start, ctx)
    return entries, start
