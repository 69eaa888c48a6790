"""Limits, and the context every reader carries to write its error messages.

Everything a reader refuses is refused with an :class:`~quantviz.errors.InputError`
whose message names the file, so a student who uploads the wrong thing reads
one plain sentence instead of a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from quantviz.errors import InputError

#: Largest file read whole, in megabytes of 10^6 bytes: the one number behind the page's
#: uploader (``maxUploadSize`` in ``.streamlit/config.toml``, the label "up to 200 MB"), the
#: loader and docs/FORMATS.md. Streamlit's browser uploader counts a megabyte as 10^6 bytes
#: (2^20 on Windows) and its server as 2^20, so the loader's 200,000,000 bytes is the
#: strictest of the three and the one every student meets.
MAX_FILE_MB = 200

#: Largest file read whole, in bytes (:data:`MAX_FILE_MB` × 10^6).
MAX_FILE_BYTES = MAX_FILE_MB * 10**6

#: Largest number of values (elements, summed over all tensors) read from one file.
#: 100 million float32 values take 400 MB of memory.
MAX_ELEMENTS = 100_000_000

#: Largest number of tensors (or archive entries, or ONNX initializers) in one file.
#: Real checkpoints have hundreds to a few thousand; the cap stops files made of
#: millions of empty tensors from keeping the server busy.
MAX_TENSORS = 100_000

#: Longest tensor name read, in characters. Real names are tens of characters
#: (``model.layers.31.self_attn.q_proj.weight``); a longer one is refused with a sentence,
#: and the page takes any name up to this (its tensor settings' own bound).
MAX_NAME_CHARS = 1024

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN_NAME_CHARS = 80


def display_name(filename: str | None) -> str:
    """Return a short, printable version of a file name for error messages.

    The name an upload comes with is chosen by whoever uploads it, so only its
    last path component is kept, control characters are dropped and very long
    names are shortened. The result is only ever *shown*, never opened.

    Parameters
    ----------
    filename : str or None
        The name as given (an upload's name, or a path).

    Returns
    -------
    str
        For example ``"model.safetensors"``; ``"The file"`` when there is no name.
    """
    if not filename:
        return "The file"
    base = re.split(r"[\\/]", str(filename))[-1]
    base = _CONTROL_CHARS.sub("", base).strip() or "The file"
    if len(base) > _SHOWN_NAME_CHARS:
        base = base[: _SHOWN_NAME_CHARS - 1] + "…"
    return base


def short_reason(exc: BaseException, limit: int = 160) -> str:
    """Return the first line of an exception's message, shortened, for a message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = _CONTROL_CHARS.sub("", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_BYTE_UNITS = ("KB", "MB", "GB", "TB", "PB", "EB")


def human_bytes(n_bytes: int) -> str:
    """Format a byte count for a person to read: ``"1 byte"``, ``"12 bytes"``, ``"3.4 KB"``,
    ``"91.0 MB"``, ``"8.0 EB"`` (units of 1024, as file managers show them), and
    ``"over a billion terabytes"`` beyond 1024 EB.

    A file's header can announce any 64-bit number; shown this way it reads as
    an absurd size instead of a 19-digit count.
    """
    n = int(n_bytes)
    if abs(n) < 1024:
        return "1 byte" if n == 1 else f"{n} bytes"
    if abs(n) >= 2**70:  # beyond what any 64-bit size field can hold
        return "over a billion terabytes"
    value, index = n / 1024.0, 0
    while abs(value) >= 1024.0 and index < len(_BYTE_UNITS) - 1:
        value /= 1024.0
        index += 1
    return f"{value:.1f} {_BYTE_UNITS[index]}"


def size_limit(size: int, max_bytes: int, *, at_least: bool = False) -> str:
    """The problem phrase for a file over the size limit, in exact bytes (the limit in
    megabytes of 10^6 too, as the uploader counts them): ``"is 200,000,001 bytes, larger
    than the 200,000,000 bytes (200 MB) quantviz reads whole"``. ``at_least``: only the
    first ``size`` bytes were read."""
    limit = f"{max_bytes:,} bytes"
    if max_bytes % 10**6 == 0:
        limit += f" ({max_bytes // 10**6:,} MB)"
    more = " or more" if at_least else ""
    return f"is {size:,} bytes{more}, larger than the {limit} quantviz reads whole"


def human_count(n: int) -> str:
    """Format a count for a message: ``"123,456,789"`` below a billion, then ``"2.2 billion"``,
    ``"1 trillion"``, and ``"over a thousand trillion"`` for the absurd counts a corrupt
    header can announce."""
    n = int(n)
    if n < 10**9:
        return f"{n:,}"
    if n < 10**12:
        return f"{n / 1e9:.3g} billion"
    if n < 10**15:
        return f"{n / 1e12:.3g} trillion"
    return "over a thousand trillion"


def shape_text(shape: tuple[int, ...] | list[int]) -> str:
    """A shape for a message, ``"(4, 32)"``, absurd dimensions in words (:func:`human_count`)."""
    dims = [human_count(d) if d >= 0 else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


@dataclass(frozen=True)
class ReadContext:
    """What a reader needs to know besides the bytes: the file's name and the limits.

    Attributes
    ----------
    name : str
        The file's display name, used at the start of every error message.
    stem : str
        The name without its extension; a file holding one tensor (.npy, .csv)
        names that tensor after it.
    max_bytes : int
        Largest file accepted, in bytes.
    max_elements : int
        Largest total number of values accepted over all tensors.
    budget : callable or None
        Called with the number of values the file will hold (a running total) before
        they are decoded, as :meth:`check_elements` is; it may refuse by raising (the
        page reserves their memory this way). None: nothing to tell.
    """

    name: str
    stem: str
    max_bytes: int = MAX_FILE_BYTES
    max_elements: int = MAX_ELEMENTS
    budget: Callable[[int], None] | None = None

    def error(self, problem: str) -> InputError:
        """Build the error for ``problem``, a phrase such as ``"is truncated"``.

        The message reads ``"<name> <problem>."``; raise what this returns.
        """
        sentence = f"{self.name} {problem}"
        if not sentence.endswith((".", "!", "?")):
            sentence += "."
        return InputError(sentence)

    def check_elements(self, total: int) -> None:
        """Refuse when ``total`` values would exceed ``max_elements``.

        Readers call this with sizes declared in a file's header *before*
        allocating anything, so a tiny file cannot ask for gigabytes of memory.
        """
        if total > self.max_elements:
            raise self.error(
                f"holds {human_count(total)} values, more than the {self.max_elements:,} "
                "quantviz reads from one file"
            )
        if self.budget is not None:
            self.budget(total)

    def check_name(self, name: str) -> None:
        """Refuse a tensor name longer than :data:`MAX_NAME_CHARS` characters."""
        if len(name) > MAX_NAME_CHARS:
            raise self.error(
                f"has a tensor name of {len(name):,} characters, longer than the "
                f"{MAX_NAME_CHARS:,} quantviz reads"
            )

    def check_shape(self, name: str, shape: tuple[int, ...] | list[int]) -> None:
        """Refuse a declared shape NumPy could not even create.

        A shape such as ``(10**30, 0)`` holds no values at all, yet NumPy refuses
        it; so the product of the non-zero dimensions must fit the limit too.
        """
        impossible = 0 in shape and product([d for d in shape if d]) > self.max_elements
        if impossible or any(d < 0 for d in shape):
            raise self.error(
                f"is corrupt: tensor {name!r} has an impossible shape {shape_text(shape)}"
            )

    def check_tensor_count(self, count: int) -> None:
        """Refuse files that declare more than :data:`MAX_TENSORS` tensors."""
        if count > MAX_TENSORS:
            raise self.error(
                f"declares {human_count(count)} tensors, more than the {MAX_TENSORS:,} "
                "quantviz reads from one file"
            )


def product(dims: tuple[int, ...] | list[int]) -> int:
    """Multiply the dimensions of a shape with Python integers (no overflow).

    ``np.prod`` would silently wrap around for a hostile shape such as
    ``[2**40, 2**40]``; Python integers do not.
    """
    n = 1
    for d in dims:
        n *= int(d)
    return n
