"""Read NumPy's own formats: ``.npy`` (one array) and ``.npz`` (a ZIP of ``.npy`` files).

A ``.npy`` file is a short text header (dtype, shape, memory order) followed by
the raw values. The header is checked first: arrays of Python objects (which
NumPy can only restore by *unpickling*, i.e. running code) are refused, and so
are shapes larger than the limits. Only then is the data read, always with
``allow_pickle=False``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import IO

import numpy as np
from numpy.lib import format as npformat

from quantviz.io._common import ReadContext, human_bytes, human_count, product
from quantviz.io.magic import NPY_MAGIC, ZIP_MAGICS, misnamed
from quantviz.io.tensors import LoadedWeights, TensorCollector
from quantviz.io.zip_guard import open_zip

_MAX_HEADER = 10_000  # NumPy's own default limit for a header, in bytes


def _read_failure(ctx: ReadContext, exc: BaseException, entry: str | None, part: str) -> Exception:
    """The InputError for an exception raised while reading ``part`` of a .npy file or .npz entry.

    Low-level errors are told in plain words: a failed checksum or broken
    compressed data means a damaged archive, an early end means truncation.
    """
    where = f"entry {entry!r}" if entry else "it"
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return ctx.error(f"is damaged: {where} fails the archive's checksum")
    if isinstance(exc, zlib.error):
        return ctx.error(f"is damaged: the compressed data of {where} is broken")
    if isinstance(exc, EOFError) or "EOF" in str(exc):
        return ctx.error(f"is truncated: {where} ends inside its {part}")
    if part == "header":
        inside = f" of entry {entry!r}" if entry else ""
        return ctx.error(
            f"has a corrupt .npy header{inside}: the description of the array's type and shape "
            "cannot be read"
        )
    return ctx.error(f"is corrupt: the values of {where} cannot be read")


def _read_header(
    fp: IO[bytes], ctx: ReadContext, name: str, what: str = ""
) -> tuple[tuple[int, ...], np.dtype, int]:
    """Read and check a .npy header; return (shape, dtype, number of bytes of the data).

    ``name`` is the array's name; ``what`` says where it is in messages (empty
    for a .npy file, `` (entry 'w.npy')`` inside a .npz). The file position is
    left at the start of the data.
    """
    entry = name if what else None
    try:
        major, _minor = npformat.read_magic(fp)
    except Exception as exc:  # ValueError or EOFError on a short or wrong magic
        raise _read_failure(ctx, exc, entry, "header") from exc
    if major not in (1, 2):
        why = ", which only arrays with named fields need," if major == 3 else ""
        raise ctx.error(
            f"uses .npy format version {major}{what}{why} and quantviz reads versions 1 and 2"
        )
    read_header = npformat.read_array_header_1_0 if major == 1 else npformat.read_array_header_2_0
    try:
        shape, _fortran, dtype = read_header(fp, max_header_size=_MAX_HEADER)
    except Exception as exc:  # ValueError, EOFError, SyntaxError from a broken header
        raise _read_failure(ctx, exc, entry, "header") from exc
    if dtype.hasobject:
        raise ctx.error(
            f"contains an array of Python objects{what}; loading it would mean unpickling, "
            "which can run arbitrary code, so quantviz refuses it for safety"
        )
    ctx.check_shape(name, shape)
    n_bytes = product(shape) * dtype.itemsize
    return tuple(int(d) for d in shape), dtype, n_bytes


def read_npy(data: bytes, ctx: ReadContext) -> LoadedWeights:
    """Read a ``.npy`` file; the tensor is named after the file (``ctx.stem``).

    Raises
    ------
    InputError
        Wrong magic bytes, corrupt or truncated file, object arrays, too many values.
    """
    if not data.startswith(NPY_MAGIC):
        raise ctx.error(misnamed("a NumPy .npy file", data))
    fp = io.BytesIO(data)
    shape, dtype, n_bytes = _read_header(fp, ctx, ctx.stem)
    ctx.check_elements(product(shape))
    if len(data) - fp.tell() < n_bytes:
        raise ctx.error(
            f"is truncated: its header promises {human_count(product(shape))} values of "
            f"{dtype} ({human_bytes(n_bytes)}) but only {human_bytes(len(data) - fp.tell())} "
            "follow"
        )
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # numpy raises ValueError/OSError on corrupt data
        raise _read_failure(ctx, exc, None, "values") from exc
    out = TensorCollector(ctx, "npy")
    out.add(ctx.stem, arr, stored_as=dtype.name, owned=True)
    return out.finish()


def read_npz(data: bytes, ctx: ReadContext) -> LoadedWeights:
    """Read a ``.npz`` archive (``np.savez`` or ``np.savez_compressed``).

    Every entry's header is checked before any entry's data is decompressed:
    the total number of values must fit the limit, so a small archive that
    expands to gigabytes (a "zip bomb") is refused without being expanded.

    Raises
    ------
    InputError
        Wrong magic bytes, corrupt or truncated archive, encrypted entries,
        object arrays, too many values.
    """
    if not data.startswith(ZIP_MAGICS):
        raise ctx.error(misnamed("a NumPy .npz archive", data))
    with open_zip(data, ctx, "a NumPy .npz archive", compressed=True) as zf:
        members = []
        total = 0
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):  # folders, other files
                continue
            what = f" (entry {info.filename!r})"
            try:
                member = zf.open(info)
            except NotImplementedError as exc:  # a compression method zipfile lacks
                raise ctx.error(
                    f"stores entry {info.filename!r} with a compression method quantviz cannot read"
                ) from exc
            except Exception as exc:  # bad local header, bad offsets...
                raise ctx.error(
                    f"is damaged: entry {info.filename!r} cannot be found where the "
                    "archive's table of contents says it is"
                ) from exc
            with member:
                shape, dtype, n_bytes = _read_header(member, ctx, info.filename, what)
                header_end = member.tell()
            if info.file_size < header_end + n_bytes:
                raise ctx.error(
                    f"is truncated: entry {info.filename!r} is shorter than its header says"
                )
            total += product(shape)
            ctx.check_elements(total)
            members.append((info, dtype))
        if not members:
            raise ctx.error(misnamed("a NumPy .npz archive", data))
        out = TensorCollector(ctx, "npz")
        for info, dtype in members:
            try:
                with zf.open(info) as member:
                    arr = npformat.read_array(
                        member, allow_pickle=False, max_header_size=_MAX_HEADER
                    )
            except Exception as exc:  # zlib.error, EOFError, ValueError, BadZipFile...
                raise _read_failure(ctx, exc, info.filename, "values") from exc
            out.add(info.filename.removesuffix(".npy"), arr, stored_as=dtype.name, owned=True)
    return out.finish()
