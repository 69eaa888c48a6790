"""Open ZIP archives (.npz, PyTorch checkpoints) only after cheap checks.

A ZIP archive says in its directory how large each entry becomes once
decompressed. A "zip bomb" is a small archive whose entries expand to
gigabytes. These checks read only the directory, never the data.

One rule caps the expansion, for the page and for ``quantviz report`` alike
(:func:`expansion_limit`): a PyTorch checkpoint may not expand beyond its own size
(``torch.save`` stores its entries uncompressed), a ``.npz`` to at most
:data:`MAX_EXPANSION` times its size (or :data:`EXPANSION_FLOOR`, for small files).
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import IO

from quantviz.io._common import MAX_TENSORS, ReadContext, human_bytes

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF

#: Largest central directory (the archive's table of contents) read, in bytes.
#: Python's zipfile builds one object per entry, about 5 microseconds each: 16 MB
#: of directory (at most ~350,000 entries of 46 bytes) parses in about 2 seconds,
#: while 100,000 entries with 100-character names still fit.
MAX_ZIP_DIRECTORY = 16 * 2**20


#: How many times its own size a compressed archive (``np.savez_compressed``) may expand
#: to. Measured on a 1024 × 1024 float32 matrix: trained-like weights deflate 1.1×,
#: float32 holding bfloat16 values 2.1×, holding float16 values 1.7×, 90 % pruned 7.7×,
#: 99 % pruned 60×; a zip bomb's zeros 977×.
MAX_EXPANSION = 32

#: A small archive may expand to this much whatever its ratio (a few zeros compressed).
EXPANSION_FLOOR = 16 * 2**20


def expansion_limit(archive_bytes: int, *, compressed: bool) -> int:
    """The most an archive of ``archive_bytes`` bytes may expand to, in bytes.

    ``compressed=False`` (a PyTorch checkpoint, whose entries ``torch.save`` stores
    uncompressed): its own size. ``compressed=True`` (a ``.npz``): :data:`MAX_EXPANSION`
    times its size, and at least :data:`EXPANSION_FLOOR`.
    """
    if not compressed:
        return archive_bytes
    return max(MAX_EXPANSION * archive_bytes, EXPANSION_FLOOR)


def directory_size(data: bytes) -> tuple[int, int] | None:
    """Read (number of entries, central directory size in bytes) from the archive's end.

    Only the end records are read (including the ZIP64 ones, as :mod:`zipfile`
    does), not the directory itself. Returns ``None`` when no end record is
    found; :mod:`zipfile` will then refuse the archive anyway.
    """
    start = max(0, len(data) - _EOCD_SIZE - _MAX_COMMENT)
    pos = data.rfind(_EOCD, start)
    if pos < 0 or pos + _EOCD_SIZE > len(data):
        return None
    entries, size = struct.unpack_from("<HI", data, pos + 10)
    locator = pos - 20
    if locator >= 0 and data[locator : locator + 4] == _ZIP64_LOCATOR:
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if record + 56 <= len(data) and data[record : record + 4] == _ZIP64_EOCD:
            entries, size = struct.unpack_from("<QQ", data, record + 32)
    return int(entries), int(size)


def directory_is_small(data: bytes) -> bool:
    """True when the archive's directory is small enough to parse quickly."""
    found = directory_size(data)
    return found is None or (found[0] <= MAX_TENSORS and found[1] <= MAX_ZIP_DIRECTORY)


def open_zip(
    data: bytes,
    ctx: ReadContext,
    label: str,
    *,
    compressed: bool,
    fileobj: IO[bytes] | None = None,
) -> zipfile.ZipFile:
    """Open an archive for reading after checking its size claims.

    Parameters
    ----------
    data : bytes
        The archive (the whole file: its length is the archive's size).
    ctx : ReadContext
        For error messages.
    label : str
        What the file should be, e.g. ``"a NumPy .npz archive"``.
    compressed : bool
        Whether its entries may be compressed (``.npz``) or are stored as they are
        (PyTorch): the expansion allowed (:func:`expansion_limit`).
    fileobj : binary file, optional
        The archive as an open file, read by :mod:`zipfile` instead of ``data``
        (then ``data`` may be a memory map of the same file: only its end is read).

    Raises
    ------
    InputError
        For a broken archive, an encrypted entry, too many entries, or entries
        that would expand beyond :func:`expansion_limit`.
    """
    found = directory_size(data)
    if found is not None:
        ctx.check_tensor_count(found[0])
        if found[1] > MAX_ZIP_DIRECTORY:
            raise ctx.error(
                f"has a {human_bytes(found[1])} table of contents, more than the "
                f"{human_bytes(MAX_ZIP_DIRECTORY)} quantviz reads"
            )
    try:
        zf = zipfile.ZipFile(fileobj if fileobj is not None else io.BytesIO(data))
        infos = zf.infolist()
    except NotImplementedError as exc:  # ZIP versions or methods zipfile lacks
        raise ctx.error(
            f"is not a readable {label.removeprefix('a ')}: its ZIP archive uses features "
            "quantviz cannot read"
        ) from exc
    except Exception as exc:  # zipfile raises several types on corrupt input
        raise ctx.error(
            f"is not a readable {label.removeprefix('a ')}: the ZIP archive is truncated or damaged"
        ) from exc
    ctx.check_tensor_count(len(infos))
    if any(info.flag_bits & 0x1 for info in infos):
        zf.close()
        raise ctx.error("contains encrypted entries, which quantviz cannot read")
    total = sum(info.file_size for info in infos)
    size = len(data)
    if total > expansion_limit(size, compressed=compressed):
        zf.close()
        if not compressed:
            raise ctx.error(
                f"would expand to {human_bytes(total)} when decompressed, more than its own "
                f"{human_bytes(size)}; torch.save stores tensors uncompressed, so this is not "
                "a checkpoint it wrote"
            )
        raise ctx.error(
            f"would expand to {human_bytes(total)} when decompressed, {total / size:,.0f} times "
            f"its size; quantviz reads archives that expand at most {MAX_EXPANSION} times "
            "(save it with np.savez, uncompressed)"
        )
    return zf
