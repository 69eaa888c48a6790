"""``quantviz report``: the whole-model table, its figures and a one-page summary, as files.

The same numbers as the page's "Whole model" room (:func:`quantviz.model_table.model_table`),
computed without a browser: for slides, or for CI on a checkpoint. The file is read a
tensor at a time (:func:`quantviz.io.iter_weights`, memory-mapped where the format
allows), so a checkpoint larger than the machine's memory can be scanned.

What :func:`write_report` writes into the output folder:

* ``model_table.csv``: one row per floating-point tensor (:data:`quantviz.model_table.COLUMNS`);
* ``sqnr_per_tensor.png`` / ``.svg``: SQNR of each tensor as a bar;
* ``hist_1_<tensor>.png`` / ``.svg`` ...: original over quantized histogram of the layers
  that suffer most;
* ``summary.md`` and ``summary.html``: the settings, the totals (size, bits per weight)
  and the layers that suffer most;
* ``.quantviz-report``: the mark of a report's folder (:data:`MARKER`).

The folder must be new, empty, or a previous report's (it holds :data:`MARKER`): a report
never overwrites files it did not write. Tensor names are the file's, chosen by whoever
wrote it, so each is shown through :func:`quantviz_app.untrusted.printable` (control
characters and bidi overrides as visible escapes) before it reaches the table, and through
the escape of each medium after: a code span in Markdown, ``html.escape`` in HTML, a
leading ``'`` before a formula in the CSV, no math parsing in the figures. Figures are
named from :func:`slug`, so none is written outside the folder.

The layers that suffer most are those with the lowest SQNR, which are also those with the
highest relative error: ``rmse / rms(x) = 10 ** (−SQNR / 20)``.
"""

from __future__ import annotations

import errno
import html
import math
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePath
from typing import IO

import numpy as np
import pandas as pd

import quantviz as qv
from quantviz.io import WeightStream, human_bytes, iter_weights
from quantviz.model_table import (
    KEPT,
    Progress,
    finite_tensor,
    model_table,
    model_totals,
    table_kwargs,
)
from quantviz_app.names import STRATEGY_LABELS
from quantviz_app.untrusted import csv_cell, error_text, md_code, printable, shorten
from quantviz_report import figures

CHECK_TENSOR = np.linspace(-1.0, 1.0, 4 * 64, dtype=np.float32).reshape(4, 64)
"""A small tensor the settings are tried on before the file is read (so that bad settings
fail at once, not after a long scan)."""


def quantize_kwargs(
    *,
    bits: int | None = None,
    format: str = "int",
    strategy: str = "minmax",
    granularity: str | None = None,
    axis: int = 0,
    group_size: int | None = None,
    symmetric: bool = False,
) -> dict[str, object]:
    """The ``qv.quantize`` keywords of a report, checked on a small tensor.

    With a number ``format``, ``bits`` may be left out or equal the format's element bits,
    and ``strategy`` / ``symmetric`` must keep their defaults (a format takes its scale
    from each block's largest |value|). ``granularity=None``: per tensor for the integer
    grid, the format's own blocks for a format.

    Raises
    ------
    InputError
        For settings ``qv.quantize`` refuses, in its own sentence.
    """
    kw: dict[str, object] = {} if granularity is None else {"granularity": granularity}
    if granularity == "channel":
        kw["axis"] = axis
    if group_size is not None:
        kw["group_size"] = group_size
    if format != "int":
        fmt = qv.get_format(format)
        if bits is not None and bits != fmt.element_bits:
            raise qv.InputError(
                f"{fmt.name} stores {fmt.element_bits}-bit elements; leave --bits out or give "
                f"--bits {fmt.element_bits}."
            )
        if strategy != "minmax" or symmetric:
            given = "--strategy" if strategy != "minmax" else "--symmetric"
            raise qv.InputError(
                f"{fmt.name} takes its scale from each block's largest |value|, so {given} "
                "does not apply; give only --granularity, --axis and --group-size."
            )
        kw["format"] = format
    else:
        kw.update(bits=8 if bits is None else bits, symmetric=symmetric, strategy=strategy)
    fitted, _ = table_kwargs(CHECK_TENSOR.shape, kw)
    qv.quantize(CHECK_TENSOR, **fitted, arrays=False)  # raises InputError on bad settings
    return kw


def settings_text(kwargs: Mapping[str, object]) -> str:
    """The settings in words: ``"int4, asymmetric, per channel (axis 0), range: Min-max"``,
    ``"q4_0, per group of 32"`` (a format's own blocks)."""
    kw = dict(kwargs)
    if kw.get("format", "int") != "int":
        kw, _ = table_kwargs(CHECK_TENSOR.shape, kw)  # a format's own blocks
    granularity = str(kw.get("granularity") or "tensor")
    if granularity == "channel":
        where = f"per channel (axis {kw.get('axis', 0)})"
    elif granularity == "group":
        size = kw.get("group_size")
        where = f"per group of {size}" if size is not None else "per group (default size)"
    else:
        where = "per tensor"
    if kw.get("format", "int") != "int":
        return f"{kw['format']}, {where}"
    kind = "symmetric" if kw.get("symmetric") else "asymmetric"
    strategy = STRATEGY_LABELS[str(kw.get("strategy", "minmax"))]
    return f"int{kw.get('bits', 8)}, {kind}, {where}, range: {strategy}"


def relative_error(sqnr_db: float) -> float:
    """``rmse / rms(x)`` from the SQNR in dB: ``10 ** (−SQNR / 20)`` (0 for an exact tensor)."""
    return 0.0 if math.isinf(sqnr_db) and sqnr_db > 0 else 10 ** (-sqnr_db / 20)


def worst_layers(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` quantized tensors with the lowest SQNR (the highest relative error).

    Tensors kept in float32 and exact ones (infinite SQNR) are not ranked; ties keep the
    file's order. Adds ``rank`` (1 = worst) and ``relative_error``.
    """
    ranked = table[(table["format"] != KEPT) & np.isfinite(table["sqnr_db"])]
    ranked = ranked.sort_values("sqnr_db", kind="stable").head(n).copy()
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    ranked["relative_error"] = [relative_error(v) for v in ranked["sqnr_db"]]
    return ranked.reset_index(drop=True)


def slug(name: str, limit: int = 60) -> str:
    """A tensor name made safe for a file name: ``"layer.0/w"`` → ``"layer.0_w"``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:limit] or "tensor"


@dataclass(frozen=True)
class FigureNote:
    """A figure the report could not draw: which (``tensor``'s histogram, or the SQNR
    figure when ``tensor`` is ``""``) and the error, as printable text."""

    tensor: str
    error: str

    def sentence(self) -> str:
        """``"The histogram of layer.0.weight could not be drawn (RecursionError: ...)."``"""
        what = f"The histogram of {shorten(self.tensor, 120)}" if self.tensor else "The SQNR figure"
        return f"{what} could not be drawn ({self.error})."


@dataclass
class Report:
    """What :func:`write_report` computed and wrote.

    Attributes
    ----------
    source : str
        The file's display name.
    kwargs : dict
        The ``qv.quantize`` keywords.
    table : pandas.DataFrame
        :func:`quantviz.model_table.model_table` of the file.
    totals : dict
        :func:`quantviz.model_table.model_totals` of the table.
    worst : pandas.DataFrame
        :func:`worst_layers` of the table.
    files : list of Path
        Every file of the report, in order (the folder's :data:`MARKER` aside).
    notes : list of FigureNote
        Figures that could not be drawn (also listed in the summary).
    """

    source: str
    kwargs: dict[str, object]
    table: pd.DataFrame
    totals: dict[str, float]
    worst: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    notes: list[FigureNote] = field(default_factory=list)


MARKER = ".quantviz-report"
"""The file that marks a report's folder: a report writes into a folder that is not empty
only when this file is there (so ``--out .`` in a project folder is refused)."""

MARKER_TEXT = (
    "This folder holds a report written by `quantviz report`. It writes into a folder that "
    "is not empty only when this file is there.\n"
)


class _PrintableNames:
    """A :class:`~quantviz.io.WeightStream` whose names come out through :func:`printable`."""

    def __init__(self, stream: WeightStream) -> None:
        self.stream = stream

    def __len__(self) -> int:
        return len(self.stream)

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        for name, x in self.stream:
            yield printable(name), x


def check_model_file(path: str | Path) -> None:
    """Refuse, before it is opened, a path that is not a regular file.

    Opening a named pipe waits for a writer forever, and a device (``/dev/zero``,
    ``/dev/stdin``) never ends; a folder is not a weight file. A path that does not exist
    is left to :func:`quantviz.io.iter_weights`, which says so.

    Raises
    ------
    InputError
        A folder, named pipe, device or socket, in one sentence.
    """
    shown = shorten(printable(PurePath(path).name or str(path)), 80)
    try:
        mode = os.stat(path).st_mode
    except ValueError as exc:  # a NUL character: no file can have that name
        raise qv.InputError(f"{shown} is not a name a file can have ({exc}).") from exc
    except OSError:
        return
    if stat.S_ISDIR(mode):
        raise qv.InputError(f"{shown} is a folder, not a file.")
    if not stat.S_ISREG(mode):
        raise qv.InputError(
            f"{shown} is not a regular file (a named pipe, a device or a socket); "
            "give the weight file itself."
        )


def prepare_folder(out: str | Path) -> Path:
    """The output folder, created or checked: new, empty, or a previous report's.

    A previous report's histograms (``hist_*``) are removed, since the layers that suffer
    most may have changed; every other file of the report is replaced.

    Raises
    ------
    InputError
        An empty name (``--out ""`` would mean the current folder); a folder that holds
        other files and no :data:`MARKER`; a folder of another user (on a shared machine
        someone else's folder could hold links to your files); a folder that cannot be
        created.
    """
    if not str(out).strip():
        raise qv.InputError("The output folder has no name; give one, such as --out report/.")
    folder = Path(out)
    shown = printable(str(folder))
    if folder.exists() and not folder.is_dir():
        raise qv.InputError(f"The output folder {shown} is a file, not a folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if hasattr(os, "geteuid") and folder.stat().st_uid != os.geteuid():
            raise qv.InputError(
                f"The output folder {shown} belongs to another user; give a folder of your own."
            )
        held = {entry.name for entry in os.scandir(folder)}
        if held and MARKER not in held:
            raise qv.InputError(
                f"The output folder {shown} already holds files that are not a report's; "
                "give a new or empty folder (a report never overwrites other files)."
            )
        for name in held:
            if re.fullmatch(r"hist_\d+_[A-Za-z0-9._-]*\.(png|svg)", name):
                os.unlink(folder / name)
        with _open_new(folder / MARKER) as f:
            f.write(MARKER_TEXT)
    except OSError as exc:
        raise qv.InputError(
            f"The output folder {shown} cannot be written ({exc.strerror or exc})."
        ) from exc
    return folder


def _open_new(path: Path, binary: bool = False) -> IO:
    """``path`` opened for writing, never through a symbolic link (``O_NOFOLLOW``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            exc.strerror = f"{path.name} is a symbolic link, which a report does not write through"
        raise
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _save(fig: object, folder: Path, stem: str, files: list[Path]) -> tuple[Path, Path]:
    png, svg = folder / f"{stem}.png", folder / f"{stem}.svg"
    for path in (png, svg):
        with _open_new(path, binary=True) as f:
            fig.savefig(f, format=path.suffix[1:])  # type: ignore[attr-defined]
        files.append(path)
    return png, svg


def _figure(
    build: Callable[[], object], folder: Path, stem: str, files: list[Path],
    notes: list[FigureNote], tensor: str = "",
) -> Path | None:  # fmt: skip
    """Draw and save one figure; a figure that fails becomes a note, not a crash.

    The last guard between a hostile tensor and a traceback: names are never parsed as
    math (:mod:`quantviz_report.figures`), but a failure nobody foresaw in matplotlib
    costs one figure, said in the summary, and the rest of the report is written. A disk
    that cannot be written still stops the report (``OSError``).
    """
    written = len(files)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
            png, _ = _save(build(), folder, stem, files)
        return png
    except OSError:
        raise
    except Exception as exc:  # the last guard: see the docstring
        for path in (folder / f"{stem}.png", folder / f"{stem}.svg"):
            path.unlink(missing_ok=True)
        del files[written:]
        notes.append(FigureNote(tensor, error_text(exc, 160)))
        return None


def _histograms(
    stream: WeightStream, worst: pd.DataFrame, kwargs: Mapping[str, object], folder: Path,
    files: list[Path], notes: list[FigureNote],
) -> dict[str, Path]:  # fmt: skip
    """Second pass over the file, reading only the worst tensors: one histogram each.

    ``worst`` names tensors as the table shows them (:func:`printable`); the file is asked
    for its own names.
    """
    ranks = {row.tensor: int(row.rank) for row in worst.itertuples()}
    pngs: dict[str, Path] = {}
    for real, x in stream.only(n for n in stream.names if printable(n) in ranks):
        name = printable(real)
        values, _, _ = finite_tensor(x)
        kw, _ = table_kwargs(values.shape, kwargs)
        r = qv.quantize(values, **kw)
        label = str(kw["format"]) if "format" in kw else f"{kw.get('bits', 8)}-bit"
        png = _figure(
            partial(figures.histogram_figure, values, r, label, name),
            folder, f"hist_{ranks[name]}_{slug(name)}", files, notes, name,
        )  # fmt: skip
        if png is not None:
            pngs[name] = png
        del x, values, r
    return dict(sorted(pngs.items(), key=lambda item: ranks[item[0]]))


def write_report(
    path: str | Path,
    kwargs: Mapping[str, object],
    out: str | Path,
    *,
    worst: int = 10,
    histograms: int = 3,
    progress: Progress | None = None,
    command: str = "",
) -> Report:
    """Scan a weight file at one setting and write the report into folder ``out``.

    Parameters
    ----------
    path : str or Path
        The weight file (any format :func:`quantviz.io.iter_weights` reads).
    kwargs : mapping
        ``qv.quantize`` keywords (see :func:`quantize_kwargs`).
    out : str or Path
        The folder to write into: new, empty or a previous report's (:func:`prepare_folder`).
    worst : int
        How many of the layers that suffer most the summary lists.
    histograms : int
        How many of them get a histogram figure (read again from the file, one at a time).
    progress : callable, optional
        ``progress(done, total, name)`` while the table is computed.
    command : str
        The command line, quoted in the summary so the report can be made again.

    Raises
    ------
    InputError
        A path that is not a regular file, a file that cannot be read, settings that do
        not apply, a file with no floating-point tensor, an output folder that is not
        new, empty or a report's, or that cannot be written.
    """
    check_model_file(path)
    stream = iter_weights(path)
    folder = prepare_folder(out)
    table = model_table(_PrintableNames(stream), progress=progress, **kwargs)
    source = printable(stream.filename)
    if table.empty:
        raise qv.InputError(f"{source} holds no floating-point tensor to quantize.")
    report = Report(source, dict(kwargs), table, model_totals(table),
                    worst_layers(table, worst))  # fmt: skip
    try:
        csv = folder / "model_table.csv"
        with _open_new(csv) as f:
            table.assign(tensor=table["tensor"].map(csv_cell)).to_csv(f, index=False)
        report.files.append(csv)
        title = "SQNR of each tensor"
        if len(report.table) - report.totals["kept"] > figures.MAX_BARS:
            title += f" (the {figures.MAX_BARS} lowest)"
        sqnr_png = _figure(partial(figures.sqnr_figure, table, title=title), folder,
                           "sqnr_per_tensor", report.files, report.notes)  # fmt: skip
        pngs = _histograms(stream, report.worst.head(histograms), kwargs, folder, report.files,
                           report.notes)  # fmt: skip
        sqnr_name = sqnr_png.name if sqnr_png is not None else None
        for name, text in (("summary.md", summary_markdown), ("summary.html", summary_html)):
            with _open_new(folder / name) as f:
                f.write(text(report, sqnr_name, pngs, command))
            report.files.append(folder / name)
    except OSError as exc:
        raise qv.InputError(
            f"The report cannot be written to {printable(str(folder))} ({exc.strerror or exc})."
        ) from exc
    return report


def _bytes(n: int) -> str:
    """``"769.0 MB (806,388,433 bytes)"``; below 1 KB just ``"240 bytes"``."""
    return human_bytes(n) + (f" ({n:,} bytes)" if n >= 1024 else "")


def _db(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f} dB"


def _totals_rows(report: Report) -> list[tuple[str, str]]:
    t = report.totals
    rows = [
        ("Tensors quantized", f"{t['tensors'] - t['kept']:,} of {t['tensors']:,} float tensors"),
        ("Values", f"{t['values']:,}"),
        ("Size at these settings", _bytes(t["size_bytes"])),
        ("Size in float32", _bytes(t["float32_bytes"])),
        ("Bits per weight (scales counted)", f"{t['bits_per_weight']:.3f}"),
        ("Compression against float32", f"{t['compression']:.2f}×"),
        ("Median SQNR over the quantized tensors", _db(t["median_sqnr_db"])),
    ]
    if t["kept"]:
        rows.insert(1, ("Kept in float32 (the format cannot take them)", f"{t['kept']:,}"))
    return rows


def _worst_rows(report: Report) -> list[list[str]]:
    return [
        [
            str(row.rank), str(row.tensor), str(row.shape), f"{row.sqnr_db:.1f}",
            f"{100 * row.relative_error:.2f} %", f"{row.max_abs_error:.3g}",
            f"{100 * row.clipped_fraction:.2f} %", str(row.note),
        ]
        for row in report.worst.itertuples()
    ]  # fmt: skip


NOTHING_RANKED = (
    "No quantized tensor lost anything at these settings (tensors kept in float32 are not ranked)."
)

WORST_HEADER = ["#", "tensor", "shape", "SQNR (dB)", "relative error", "max |error|",
                "clipped", "note"]  # fmt: skip


def _md_row(cells: list[str]) -> str:
    """A row of the worst-layers table: the tensor (second cell) as a code span."""
    shown = [md_code(printable(c), in_table=True) if i == 1 else printable(c).replace("|", "\\|")
             for i, c in enumerate(cells)]  # fmt: skip
    return "| " + " | ".join(shown) + " |"


def _md_note(note: FigureNote) -> str:
    what = f"The histogram of {md_code(note.tensor)}" if note.tensor else "The SQNR figure"
    return f"- {what} could not be drawn: {md_code(note.error)}."


def summary_markdown(
    report: Report, sqnr_png: str | None, pngs: Mapping[str, Path], command: str = ""
) -> str:
    """The one-page summary in Markdown (figures linked by file name, beside it).

    Every name from the file (the file's, each tensor's, the command line) is a code span
    (:func:`~quantviz_app.untrusted.md_code`): shown as written, never parsed as
    Markdown, HTML, a link or math.
    """
    source = md_code(printable(report.source))
    lines = [f"# quantviz report: {source}", ""]
    lines += [f"**Settings:** {settings_text(report.kwargs)}  ", f"`qv.quantize` keywords: "
              f"{md_code(str(dict(report.kwargs)))}", ""]  # fmt: skip
    if command:
        lines += [f"Made with: {md_code(printable(command))}", ""]
    lines += ["## The whole model", "", "| | |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in _totals_rows(report)]
    lines += ["", "## The layers that suffer most", ""]
    if report.worst.empty:
        lines += [NOTHING_RANKED, ""]
    else:
        first = report.worst.iloc[0]
        lines += [
            f"Lowest SQNR (highest relative error = rmse / rms of the tensor): "
            f"**{md_code(printable(first['tensor']))}** at {first['sqnr_db']:.1f} dB.",
            "",
            "| " + " | ".join(h.replace("|", "\\|") for h in WORST_HEADER) + " |",
            "|" + "---|" * len(WORST_HEADER),
        ]
        lines += [_md_row(row) for row in _worst_rows(report)]
        lines.append("")
    lines += ["## SQNR of each tensor", ""]
    if sqnr_png is not None:
        lines += [f"![SQNR of each tensor]({sqnr_png})", ""]
    for name, png in pngs.items():
        shown = md_code(printable(name))
        lines += [f"### {shown}", "", f"![{shown}]({png.name})", ""]
    if report.notes:
        lines += ["## Figures not drawn", "", *(_md_note(n) for n in report.notes), ""]
    lines += ["Every tensor's numbers: `model_table.csv` (the page's *Whole model* table).", ""]
    return "\n".join(lines)


def summary_html(
    report: Report, sqnr_png: str | None, pngs: Mapping[str, Path], command: str = ""
) -> str:
    """The one-page summary as a standalone HTML page (figures linked by file name).

    Every text is ``html.escape``-d, names after :func:`~quantviz_app.untrusted.printable`.
    """

    def e(text: object) -> str:
        return html.escape(printable(text))

    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>quantviz report: {e(report.source)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:left}img{max-width:100%}</style></head><body>",
        f"<h1>quantviz report: {e(report.source)}</h1>",
        f"<p><b>Settings:</b> {e(settings_text(report.kwargs))}<br>",
        f"<code>qv.quantize</code> keywords: <code>{e(str(dict(report.kwargs)))}</code></p>",
    ]
    if command:
        parts.append(f"<p>Made with: <code>{e(command)}</code></p>")
    parts.append("<h2>The whole model</h2><table>")
    parts += [f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in _totals_rows(report)]
    parts.append("</table><h2>The layers that suffer most</h2>")
    if report.worst.empty:
        parts.append(f"<p>{e(NOTHING_RANKED)}</p>")
    else:
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in WORST_HEADER) + "</tr>")
        for row in _worst_rows(report):
            parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append("<h2>SQNR of each tensor</h2>")
    if sqnr_png is not None:
        parts.append(f'<img src="{e(sqnr_png)}" alt="SQNR of each tensor">')
    for name, png in pngs.items():
        parts.append(f'<h3>{e(name)}</h3><img src="{e(png.name)}" alt="{e(name)}">')
    if report.notes:
        parts.append("<h2>Figures not drawn</h2><ul>")
        parts += [f"<li>{e(note.sentence())}</li>" for note in report.notes]
        parts.append("</ul>")
    parts.append("<p>Every tensor's numbers: <code>model_table.csv</code>.</p></body></html>")
    return "\n".join(parts) + "\n"


__all__ = [
    "MARKER",
    "FigureNote",
    "Report",
    "check_model_file",
    "prepare_folder",
    "quantize_kwargs",
    "settings_text",
    "slug",
    "summary_html",
    "summary_markdown",
    "worst_layers",
    "write_report",
]
