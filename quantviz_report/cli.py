"""The ``quantviz`` command: the whole-model report without a browser.

    quantviz report model.safetensors --bits 4 --granularity channel --out report/
    quantviz report model.gguf --format q4_0 --out report/
    python -m quantviz_report report model.pt --bits 8 --out report/ --quiet

Exit status: 0 when the report is written (a figure that could not be drawn is said on
stderr and in the summary); 2 for a file, an output folder or settings quantviz refuses
(the reason in one sentence on stderr, no traceback) and for wrong arguments; 1 for an
error quantviz did not foresee (a bug: one sentence too, never a traceback); 130 when
interrupted. Every name from the file reaches the terminal through
:func:`quantviz_app.untrusted.printable`: a tensor name cannot clear the screen, set the
window title or write the clipboard.
"""

from __future__ import annotations

import os

# One BLAS thread unless the user says otherwise (set before NumPy loads). The error sums
# use BLAS dot products; on a busy 2-core machine OpenBLAS's threads wait on each other and
# a 32-million-value tensor took 8.5 s instead of 0.9 s (docs/BENCHMARKS.md).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import TextIO  # noqa: E402

import quantviz as qv  # noqa: E402
from quantviz.io import human_bytes  # noqa: E402

try:  # the figures need matplotlib, which comes with the page: pip install "quantviz[app]"
    from quantviz_report import report
except ImportError as _missing:  # pragma: no cover - exercised in a child process by a test
    report = None
    _MISSING = (_missing.name or "matplotlib").split(".")[0]
from quantviz_app.untrusted import error_text, printable, shorten  # noqa: E402

NAME_CHARS = 100
"""A tensor name longer than this is cut in the middle on the terminal (files keep it whole)."""


def shown(name: object) -> str:
    """A name from the file as the terminal shows it: printable, at most ``NAME_CHARS``."""
    return shorten(printable(name), NAME_CHARS)


class TerminalProgress:
    """``progress(done, total, name)`` drawn as one line on a terminal (stderr):

    ``[#########           ] 12/37 tensors  3.1 s  encoder.layer.1.attention.self.query.weight``

    redrawn in place (``\\r``) on a terminal; elsewhere (a CI log) one line per tenth. The
    name is :func:`shown` (printable, shortened).
    """

    WIDTH = 24

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last_tenth = -1

    def line(self, done: int, total: int | None, name: str) -> str:
        """The progress line (without ``\\r`` or newline)."""
        elapsed = f"{time.perf_counter() - self.start:.1f} s"
        name = shown(name)
        if total:
            filled = round(self.WIDTH * done / total)
            bar = "[" + "#" * filled + " " * (self.WIDTH - filled) + "]"
            return f"{bar} {done}/{total} tensors  {elapsed}  {name}".rstrip()
        return f"{done} tensors  {elapsed}  {name}".rstrip()

    def __call__(self, done: int, total: int | None, name: str) -> None:
        text = self.line(done, total, name)
        finished = total is not None and done >= total and not name
        if self.tty:
            columns = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + text[: columns - 1].ljust(columns - 1))
            if finished:
                self.stream.write("\n")
        else:
            tenth = 10 * done // total if total else done // 50
            if tenth != self.last_tenth or finished:
                self.last_tenth = tenth
                self.stream.write(text + "\n")
        self.stream.flush()


def parser() -> argparse.ArgumentParser:
    """The command line (``quantviz report --help``)."""
    main = argparse.ArgumentParser(
        prog="quantviz", description="See neural-network quantization, without a browser."
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "report",
        help="quantize every tensor of a weight file and write the table, figures and summary",
        description="Quantize every floating-point tensor of a weight file at one setting and "
        "write model_table.csv (the page's 'Whole model' table), SQNR and histogram figures "
        "(PNG and SVG) and summary.md / summary.html naming the layers that suffer most. "
        "Tensors are read one at a time, memory-mapped where the format allows.",
    )
    p.add_argument(
        "model",
        metavar="MODEL_FILE",
        help=".safetensors, .gguf, .pt/.pth/.bin, .onnx, .npy, .npz, .csv or .txt",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the report into")
    p.add_argument(
        "--bits",
        type=int,
        default=None,
        help="integer grid: 1 to 16 bits (default 8); with --format: leave out",
    )
    p.add_argument(
        "--format",
        default="int",
        metavar="NAME",
        help="number format: int (default), " + ", ".join(f.name for f in qv.formats()),
    )
    p.add_argument(
        "--strategy",
        default="minmax",
        help="range strategy: " + ", ".join(s.name for s in qv.strategies()),
    )
    p.add_argument(
        "--granularity",
        choices=("tensor", "channel", "group"),
        default=None,
        help="one scale per tensor (default), per channel or per group",
    )
    p.add_argument("--axis", type=int, default=0, help="channel axis (default 0)")
    p.add_argument(
        "--group-size",
        type=int,
        default=None,
        help="values per group (default 128, or the nearest that divides a row)",
    )
    p.add_argument("--symmetric", action="store_true", help="symmetric grid (zero point 0)")
    p.add_argument(
        "--worst",
        type=int,
        default=10,
        help="how many of the layers that suffer most the summary lists (10)",
    )
    p.add_argument(
        "--histograms", type=int, default=3, help="how many of them get a histogram figure (3)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return main  # fmt: skip


def run_report(args: argparse.Namespace, argv: Sequence[str]) -> int:
    kwargs = report.quantize_kwargs(
        bits=args.bits, format=args.format, strategy=args.strategy,
        granularity=args.granularity, axis=args.axis, group_size=args.group_size,
        symmetric=args.symmetric,
    )  # fmt: skip
    progress = None if args.quiet else TerminalProgress()
    command = "quantviz " + shlex.join(argv)
    start = time.perf_counter()
    r = report.write_report(args.model, kwargs, args.out, worst=max(args.worst, 0),
                            histograms=max(args.histograms, 0), progress=progress,
                            command=command)  # fmt: skip
    if not args.quiet:
        t = r.totals
        print(
            f"{shown(r.source)}: {t['tensors']} tensors at {report.settings_text(kwargs)}; "
            f"{t['bits_per_weight']:.3f} bits per weight, {human_bytes(t['size_bytes'])} "
            f"(float32: {human_bytes(t['float32_bytes'])}); {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
        if not r.worst.empty:
            w = r.worst.iloc[0]
            print(f"Suffers most: {shown(w['tensor'])} ({w['sqnr_db']:.1f} dB)", file=sys.stderr)
    for note in r.notes:
        print(note.sentence(), file=sys.stderr)
    if not args.quiet:
        print(f"Wrote {len(r.files)} files to {printable(args.out)}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)  # exits with status 2 on wrong arguments
    if report is None:
        print(f"quantviz report draws its figures with {_MISSING}, which is not "
              'installed here: pip install "quantviz[app]".', file=sys.stderr)  # fmt: skip
        return 2
    try:
        return run_report(args, argv)
    except qv.InputError as exc:
        print(printable(str(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one sentence, and no name from the file printed raw
        print(f"quantviz report stopped on an error it did not foresee ({error_text(exc)}); please "
              "report it, with the command and what the file holds.", file=sys.stderr)  # fmt: skip
        return 1


if __name__ == "__main__":
    sys.exit(main())
