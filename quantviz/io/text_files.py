"""Read numbers from a ``.csv`` or ``.txt`` file.

Accepted: numbers separated by commas, or by spaces and tabs, one row per line;
blank lines and lines starting with ``#`` are ignored, and a first line that is
not numeric (a header such as ``w0,w1,w2``) is skipped. A table becomes a 2-D
tensor; a single row or a single column becomes a 1-D tensor. This is what
``np.savetxt`` writes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import numpy as np

from quantviz.io._common import ReadContext
from quantviz.io.magic import misnamed, sniff
from quantviz.io.tensors import LoadedWeights, TensorCollector

#: Largest number of lines read from a text file.
MAX_TEXT_LINES = 10_000_000


def _tokens(line: str, delimiter: str | None) -> list[str]:
    """Split one line into cells (a comma-separated line keeps its empty cells)."""
    if delimiter is None:
        return line.split()
    return [cell.strip() for cell in line.split(delimiter)]


def _is_number(cell: str) -> bool:
    """True when ``cell`` reads as a float the way NumPy reads it (``nan`` and ``inf`` too)."""
    if not cell or "_" in cell:
        return False
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _data_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (line number from 1, line) for the lines that are neither blank nor comments."""
    start, number = 0, 0
    while start < len(text):  # like text.split("\n"), without building the whole list
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line, start, number = text[start:end], end + 1, number + 1
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


def _find_problem(
    lines: Iterable[tuple[int, str]], delimiter: str | None, skip_lines: int
) -> str | None:
    """Describe the first cell that is not a number, or the first ragged row."""
    n_columns = None
    for number, line in lines:
        if number <= skip_lines:
            continue
        cells = _tokens(line, delimiter)
        if n_columns is None:
            n_columns = len(cells)
        elif len(cells) != n_columns:
            return (
                f"is not a rectangular table: line {number} has {len(cells)} values where "
                f"the lines before it have {n_columns}"
            )
        for column, cell in enumerate(cells, start=1):
            if not _is_number(cell):
                shown = cell if len(cell) <= 20 else cell[:19] + "…"
                what = f"the text {shown!r}" if cell else "an empty cell"
                return f"has {what} at line {number}, column {column}, where a number was expected"
    return None


def read_text(data: bytes, ctx: ReadContext) -> LoadedWeights:
    """Read a table of numbers; the tensor is named after the file (``ctx.stem``).

    Values become float32. ``nan`` and ``inf`` are read as such (the quantizer
    itself refuses non-finite values, with their count).

    Raises
    ------
    InputError
        Binary or non-UTF-8 content, no numbers, a non-numeric cell (with its
        line and column), rows of different lengths, too many lines or values.
    """
    kind = sniff(data)
    if kind not in ("text", "unknown"):
        raise ctx.error(misnamed("a text file of numbers", data))
    if b"\n" not in data:  # old Mac line endings: a lone "\r" ends each line
        data = data.replace(b"\r", b"\n")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ctx.error("is not a text file of numbers (it is not UTF-8 text)") from exc
    if "\x00" in text:
        raise ctx.error("is not a text file of numbers (it contains binary data)")
    if text.count("\n") > MAX_TEXT_LINES:
        raise ctx.error(f"has more than {MAX_TEXT_LINES:,} lines, more than quantviz reads")
    lines = _data_lines(text)
    header_line, first = next(lines, (0, ""))
    if not first:
        raise ctx.error("contains no numbers")
    delimiter = "," if "," in first else None
    skip_lines = 0
    if any(cell and not _is_number(cell) for cell in _tokens(first, delimiter)):
        # A header line: skip it, and take the separator from the first data line.
        skip_lines = header_line
        first = next(lines, (0, ""))[1]
        if not first:
            raise ctx.error("contains a header line but no numbers")
        delimiter = "," if "," in first else None
    # Every line could be a row as long as the first one: an upper bound, before parsing.
    ctx.check_elements((text.count("\n") + 1) * len(_tokens(first, delimiter)))
    try:
        table = np.loadtxt(
            io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="\n"),
            dtype=np.float32,
            delimiter=delimiter,
            comments="#",
            skiprows=skip_lines,
            ndmin=2,
        )
    except Exception as exc:  # ValueError with NumPy's wording: find the cell ourselves
        problem = _find_problem(_data_lines(text), delimiter, skip_lines)
        raise ctx.error(problem or "could not be read as a table of numbers") from exc
    if table.size == 0:
        raise ctx.error("contains no numbers")
    if table.shape[0] == 1 or table.shape[1] == 1:
        table = table.ravel()
    out = TensorCollector(ctx, "text")
    out.add(ctx.stem, table, stored_as="text", owned=True)
    return out.finish()
