"""Open ZIP archives (.npz, PyTorch checkpoints) only after cheap checks.

A ZIP archive says in its directory how large each entry becomes once
decompressed. A "zip bomb" is a small archive whose entries expand to
gigabytes. These checks read only the directory, never the data.
"""

from __future__ import annotations

import io
import struct
import zipfile

from quantviz.io._common import MAX_TENSORS, ReadContext, megabytes, short_reason

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF


def declared_entry_count(data: bytes) -> int | None:
    """Read the number of entries from the archive's end record, without parsing the rest.

    Returns ``None`` when no end record is found (then :mod:`zipfile` will
    refuse the archive anyway). A count of 0xFFFF means "see the ZIP64 record".
    """
    start = max(0, len(data) - _EOCD_SIZE - _MAX_COMMENT)
    pos = data.rfind(_EOCD, start)
    if pos < 0 or pos + _EOCD_SIZE > len(data):
        return None
    (total,) = struct.unpack_from("<H", data, pos + 10)
    return int(total)


def open_zip(data: bytes, ctx: ReadContext, label: str, max_uncompressed: int) -> zipfile.ZipFile:
    """Open an archive for reading after checking its size claims.

    Parameters
    ----------
    data : bytes
        The archive.
    ctx : ReadContext
        For error messages.
    label : str
        What the file should be, e.g. ``"a NumPy .npz archive"``.
    max_uncompressed : int
        Largest total decompressed size accepted, in bytes.

    Raises
    ------
    InputError
        For a broken archive, an encrypted entry, too many entries, or entries
        that would expand beyond ``max_uncompressed``.
    """
    count = declared_entry_count(data)
    if count is not None and count > MAX_TENSORS:
        ctx.check_tensor_count(count)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:  # zipfile raises several types on corrupt input
        raise ctx.error(
            f"is not a readable {label.removeprefix('a ')}: the ZIP structure is truncated "
            f"or corrupt ({short_reason(exc)})"
        ) from exc
    ctx.check_tensor_count(len(infos))
    if any(info.flag_bits & 0x1 for info in infos):
        zf.close()
        raise ctx.error("contains encrypted entries, which quantviz cannot read")
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        zf.close()
        raise ctx.error(
            f"would expand to {megabytes(total)} when decompressed, more than the "
            f"{megabytes(max_uncompressed)} quantviz accepts"
        )
    return zf
