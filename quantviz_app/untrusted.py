"""Text that comes from a user's file (tensor names, file names), made safe to show.

A weight file names its tensors with any Unicode its writer chose: a terminal escape
(``ESC [2J`` clears the screen, ``ESC ]52;`` writes the clipboard), a bidi override
(U+202E makes ``gpj.exe`` read ``exe.jpg``), a newline that ends a Markdown heading, a lone
surrogate that no UTF-8 file can hold. Every place that prints or writes such a name goes
through :func:`printable` first, then through the escape of its medium:
:func:`md_code` for Markdown, :func:`csv_cell` for a spreadsheet, ``html.escape`` for HTML,
``parse_math=False`` for matplotlib.

Why escapes and not a replacement character: ``\\x1b`` says which character was there
(a teacher looking at a hostile file sees ``\\x1b]52;``, a clipboard write), and two names
that differ only in an invisible character stay two different names in the table.
"""

from __future__ import annotations

import re

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _SHORT:
        return _SHORT[ch]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` with every character Python's ``repr`` would escape written as its escape.

    That is every character :meth:`str.isprintable` refuses: C0 and C1 control characters
    (ESC, BEL, newline, U+0080–U+009F), format characters (the bidi overrides and isolates
    U+202A–U+202E, U+2066–U+2069, zero-width characters), line and paragraph separators,
    lone surrogates, unassigned and private-use code points, and spaces other than the
    ASCII space. ``"a\\x1b[2Jb"`` → ``"a\\\\x1b[2Jb"`` (the four characters ``\\x1b``);
    newline, tab and carriage return become ``\\n``, ``\\t``, ``\\r``. Everything else
    (letters of any script, ``$``, ``<``, backslashes) is kept as it is.
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut in the middle to at most ``limit`` characters, with ``…`` where it was cut.

    Both ends of a tensor name tell which it is (``encoder.layer.0.…dense.weight``), so
    the middle goes.
    """
    if len(text) <= limit:
        return text
    keep = limit - 1
    head = (keep + 1) // 2
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def md_code(text: str, *, in_table: bool = False) -> str:
    """``text`` as a Markdown code span: shown as it is, with nothing in it parsed.

    No emphasis, link, image, autolink, HTML tag, entity or ``$math$`` is recognised
    inside a code span (CommonMark 0.31, §6.1). The fence is one backtick longer than the
    longest run of backticks in ``text``, and a space pads each side when ``text`` starts
    or ends with a backtick or a space (CommonMark strips one such space from each side,
    unless the span is spaces only).
    ``in_table``: a ``|`` is written ``\\|``, which a GitHub table turns back into ``|``
    even inside a code span instead of ending the cell. ``text`` must have gone through
    :func:`printable` (no line breaks).
    """
    if not text:
        return "` `"
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.strip(" ") and (text[0] in "` " or text[-1] in "` ") else ""
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def error_text(exc: BaseException, limit: int = 300) -> str:
    """``"RecursionError: maximum recursion depth exceeded"``: an exception's type and the
    first line of its message, printable and at most ``limit`` characters (a message may
    quote a tensor name)."""
    lines = str(exc).strip().splitlines()
    first = shorten(printable(lines[0]), limit) if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


FORMULA_STARTS = ("=", "+", "-", "@")
"""A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
(tab and carriage return too, which :func:`printable` has already written as ``\\t``,
``\\r``)."""


def csv_cell(text: str) -> str:
    """``text`` for a CSV cell a spreadsheet opens: a leading ``'`` before a formula start.

    OWASP's advice against CSV injection: ``=HYPERLINK(...)`` or ``=cmd|...`` in a tensor
    name would be run by a spreadsheet; ``'=cmd|...`` is shown as text. Real tensor names
    never start with these characters, so their cells are the names as they are.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


__all__ = ["csv_cell", "error_text", "md_code", "printable", "shorten"]
