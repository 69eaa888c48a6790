"""The entry point: a path or bytes in, a dict of named NumPy arrays out.

The format is chosen by the file's extension; each reader then checks the
file's first bytes against that format, so a misnamed file is reported as what
it really is. The bytes are never written to disk, and the name that comes with
them is only used to pick a reader and to write messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import PurePath
from typing import IO

import numpy as np

from quantviz.errors import InputError
from quantviz.io._common import (
    MAX_ELEMENTS,
    MAX_FILE_BYTES,
    ReadContext,
    display_name,
    size_limit,
)
from quantviz.io.gguf_files import read_gguf
from quantviz.io.numpy_files import read_npy, read_npz
from quantviz.io.onnx_files import read_onnx
from quantviz.io.safetensors_files import read_safetensors
from quantviz.io.tensors import LoadedWeights
from quantviz.io.text_files import read_text
from quantviz.io.torch_files import read_torch

Reader = Callable[[bytes, ReadContext], LoadedWeights]

#: Extension (lower case, without the dot) -> reader.
READERS: dict[str, Reader] = {
    "safetensors": read_safetensors,
    "pt": read_torch,
    "pth": read_torch,
    "bin": read_torch,
    "onnx": read_onnx,
    "gguf": read_gguf,
    "npy": read_npy,
    "npz": read_npz,
    "csv": read_text,
    "txt": read_text,
}

#: The extensions :func:`load_weights` reads, e.g. for ``st.file_uploader(type=...)``.
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(READERS)

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]


def _read_path(path: str, shown: str, max_bytes: int) -> bytes:
    """Read a file from disk, refusing it before reading if it is too large."""
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise InputError(
                f"{shown} {size_limit(size, max_bytes)}.",
                kind="file_too_big",
                fields={"name": shown, "mb": max_bytes // 10**6},
            )
        with open(path, "rb") as f:
            return f.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise InputError(f"{shown} does not exist.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{shown} is a folder, not a file.") from exc
    except OSError as exc:  # permission denied, name too long...
        raise InputError(f"{shown} cannot be opened ({exc.strerror or exc}).") from exc


def _read_file_object(source: IO[bytes], max_bytes: int) -> bytes:
    """Read an open binary file, or take the contents of a BytesIO / UploadedFile."""
    # getvalue() returns everything whatever the current position, so reading the
    # same Streamlit upload twice gives the same bytes twice.
    getvalue = getattr(source, "getvalue", None)
    try:
        data = getvalue() if callable(getvalue) else source.read(max_bytes + 1)
    except UnicodeDecodeError:  # a text-mode file holding binary data
        data = None
    except OSError as exc:
        raise InputError(f"The file cannot be read ({exc.strerror or exc}).") from exc
    if not isinstance(data, bytes):
        raise InputError("load_weights needs a file opened in binary mode ('rb').")
    return data


def _read_source(source: Source, filename: str | None, max_bytes: int) -> tuple[bytes, str | None]:
    """Return the file's bytes and its name, refusing anything over ``max_bytes``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), filename
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        name = filename or os.path.basename(path)
        data = _read_path(path, display_name(name), max_bytes)
    elif hasattr(source, "read") or hasattr(source, "getvalue"):
        data = _read_file_object(source, max_bytes)
        name = filename or getattr(source, "name", None)
    else:
        raise InputError(
            f"load_weights needs a path, bytes or a binary file, not {type(source).__name__}."
        )
    if len(data) > max_bytes:
        shown = display_name(name)
        raise InputError(
            f"{shown} {size_limit(len(data), max_bytes, at_least=True)}.",
            kind="file_too_big",
            fields={"name": shown, "mb": max_bytes // 10**6},
        )
    return data, name


def _extension(name: str | None) -> str:
    """The lower-case extension of ``name`` without the dot (``""`` if none)."""
    if not name:
        return ""
    return PurePath(name.replace("\\", "/")).suffix.lower().lstrip(".")


def read_weights(
    source: Source,
    filename: str | None = None,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_elements: int = MAX_ELEMENTS,
    budget: Callable[[int], None] | None = None,
) -> LoadedWeights:
    """Read a weight file and describe every tensor in it.

    Same arguments as :func:`load_weights`; the result also says how each
    tensor was stored, how it was converted and which tensors were skipped.
    ``budget``, if given, is called with the number of values the file will hold (a
    running total, from its headers) before they are decoded, and may refuse by raising
    (a server reserves their memory this way; see ``ReadContext.budget``).

    Returns
    -------
    LoadedWeights
        ``.tensors`` is what :func:`load_weights` returns; ``.infos`` lists every
        tensor found, in file order.
    """
    data, name = _read_source(source, filename, max_bytes)
    shown = display_name(name)
    ext = _extension(name)
    known = ", .".join(SUPPORTED_EXTENSIONS)
    if not ext:
        raise InputError(
            f"{shown} has no file extension, so its format is unknown; quantviz reads .{known}.",
            kind="file_no_extension",
            fields={"name": shown, "known": "." + known},
        )
    reader = READERS.get(ext)
    if reader is None:
        raise InputError(
            f"{shown}: .{ext} files are not supported; quantviz reads .{known}.",
            kind="file_extension",
            fields={"name": shown, "ext": ext, "known": "." + known},
        )
    if not data:
        raise InputError(f"{shown} is empty.", kind="file_empty", fields={"name": shown})
    stem = PurePath(shown).stem if name else "tensor"
    ctx = ReadContext(
        name=shown, stem=stem or "tensor", max_bytes=max_bytes, max_elements=max_elements,
        budget=budget,
    )  # fmt: skip
    return reader(data, ctx)


def load_weights(
    source: Source,
    filename: str | None = None,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_elements: int = MAX_ELEMENTS,
) -> dict[str, np.ndarray]:
    """Read the tensors of a weight file, safely, into NumPy arrays.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        A path, or the file's contents (what ``uploaded.getvalue()`` returns in
        Streamlit), or an open binary file.
    filename : str, optional
        The file's name; needed with bytes, since the extension picks the format
        (``.safetensors``, ``.pt``/``.pth``/``.bin``, ``.onnx``, ``.gguf``,
        ``.npy``, ``.npz``, ``.csv``/``.txt``). It is never opened as a path.
    max_bytes : int, optional
        Largest file accepted, in bytes (default :data:`MAX_FILE_BYTES`, 200,000,000).
    max_elements : int, optional
        Largest total number of values over all tensors (default
        :data:`MAX_ELEMENTS`, 100 million).

    Returns
    -------
    dict of str to numpy.ndarray
        Tensor name -> array, in file order. Floating-point tensors are float32
        (float16, bfloat16 and float64 are converted); integer and bool tensors
        keep their dtype (see :func:`is_quantizable`). NaN and Inf values are
        returned as they are.

    Raises
    ------
    InputError
        For anything wrong with the file, in one sentence that names it: empty,
        too large, truncated, corrupt, not the format its name says, pickled
        Python objects, external data, or no readable tensor at all.

    Examples
    --------
    >>> import numpy as np, io
    >>> buf = io.BytesIO(); np.save(buf, np.arange(3.0))
    >>> load_weights(buf.getvalue(), "w.npy")
    {'w': array([0., 1., 2.], dtype=float32)}
    """
    return read_weights(source, filename, max_bytes=max_bytes, max_elements=max_elements).tensors
