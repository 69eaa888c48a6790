"""Recognise a file's format from its first bytes ("magic bytes").

A file's extension is chosen by whoever named it; its first bytes are what the
file really is. Every reader checks both, and when they disagree the error says
what the file appears to be (``sniff`` + ``describe``).
"""

from __future__ import annotations

import io
import struct
import zipfile

from quantviz.io.zip_guard import directory_is_small

#: The pickle torch.save(..., _use_new_zipfile_serialization=False) writes first:
#: protocol 2, then the long integer 0x1950A86A20F9469CFC6C (torch's magic number).
TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

NPY_MAGIC = b"\x93NUMPY"
GGUF_MAGIC = b"GGUF"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

#: Largest safetensors JSON header accepted (the safetensors library's own cap).
SAFETENSORS_MAX_HEADER = 100_000_000

_DESCRIPTIONS = {
    "empty": "an empty file",
    "npy": "a NumPy .npy file",
    "npz": "a NumPy .npz archive",
    "torch-zip": "a PyTorch checkpoint",
    "torchscript": "a TorchScript archive",
    "zip": "a ZIP archive",
    "torch-legacy": "a PyTorch checkpoint in the old (pre-1.6) format",
    "pickle": "a Python pickle",
    "gguf": "a GGUF file",
    "safetensors": "a safetensors file",
    "hdf5": "an HDF5 file (e.g. Keras .h5)",
    "gzip": "a gzip-compressed file",
    "tflite": "a TensorFlow Lite model",
    "text": "a text file",
    "unknown": "a file of an unrecognised format",
}

_TEXT_CONTROL_OK = frozenset(b"\t\n\r\f\v")


def looks_like_safetensors(data: bytes) -> bool:
    """True when ``data`` starts like a safetensors file.

    A safetensors file begins with an 8-byte little-endian header length ``n``,
    then ``n`` bytes of JSON that start with ``{``.
    """
    if len(data) < 10:
        return False
    (n,) = struct.unpack_from("<Q", data, 0)
    return 2 <= n <= min(len(data) - 8, SAFETENSORS_MAX_HEADER) and data[8:9] == b"{"


def looks_like_text(data: bytes, probe: int = 4096) -> bool:
    """True when the first ``probe`` bytes are UTF-8 text without control characters."""
    head = data[:probe]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    # A multi-byte character may be cut at the end of the probe: try a few cuts.
    for cut in range(4):
        try:
            text = head[: len(head) - cut] if cut else head
            text.decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    return all(b >= 0x20 or b in _TEXT_CONTROL_OK for b in head if b < 0x80)


def _zip_kind(data: bytes) -> str:
    """Tell a NumPy .npz from a PyTorch checkpoint by the archive's entry names."""
    if not directory_is_small(data):
        return "zip"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()[:10_000]
    except Exception:  # any broken archive: we only want a description
        return "zip"
    return zip_kind(names)


def zip_kind(names: list[str]) -> str:
    """``"torchscript"``, ``"torch-zip"``, ``"npz"`` or ``"zip"`` from an archive's entry names."""
    if any(n.endswith("constants.pkl") for n in names) and any("/code/" in n for n in names):
        return "torchscript"
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "torch-zip"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return "zip"


def sniff(data: bytes) -> str:
    """Guess a file's format from its first bytes.

    Parameters
    ----------
    data : bytes
        The whole file (only the start is looked at, except for ZIP archives,
        whose entry names are read to tell .npz from PyTorch checkpoints).

    Returns
    -------
    str
        One of ``"empty"``, ``"npy"``, ``"npz"``, ``"torch-zip"``, ``"torchscript"``,
        ``"zip"``, ``"torch-legacy"``, ``"pickle"``, ``"gguf"``, ``"safetensors"``,
        ``"hdf5"``, ``"gzip"``, ``"tflite"``, ``"text"`` or ``"unknown"``. ONNX has no
        magic bytes, so an ONNX model comes back as ``"unknown"``.
    """
    if not data:
        return "empty"
    if data.startswith(NPY_MAGIC):
        return "npy"
    if data.startswith(ZIP_MAGICS):
        return _zip_kind(data)
    if data.startswith(GGUF_MAGIC):
        return "gguf"
    if data.startswith(TORCH_LEGACY_MAGIC):
        return "torch-legacy"
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return "pickle"
    if data.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data[4:8] == b"TFL3":
        return "tflite"
    if looks_like_safetensors(data):
        return "safetensors"
    if looks_like_text(data):
        return "text"
    return "unknown"


def describe(kind: str) -> str:
    """A phrase for a kind returned by :func:`sniff`, e.g. ``"a NumPy .npz archive"``."""
    return _DESCRIPTIONS.get(kind, _DESCRIPTIONS["unknown"])


def misnamed(label: str, data: bytes) -> str:
    """The problem phrase for a file that is not what its extension says.

    Parameters
    ----------
    label : str
        What the extension promised, e.g. ``"a NumPy .npy file"``.
    data : bytes
        The file's contents.

    Returns
    -------
    str
        For example ``"is not a NumPy .npy file (it looks like a PyTorch checkpoint)"``.
    """
    kind = sniff(data)
    if kind == "empty":
        return "is empty"
    if kind == "unknown":
        return f"is not {label} (its first bytes do not match that format)"
    return f"is not {label} (it looks like {describe(kind)})"
