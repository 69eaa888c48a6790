"""``quantviz report`` on files made to break it: names with math, terminal escapes, Markdown,
HTML, formulas, path tricks; output folders and model paths that are not what they seem.

Every expected text is written by hand. The CLI runs as a user runs it (``python -m
quantviz_report.cli`` in a child process) where the terminal or a hang is the point, else
through ``main()`` with the output captured.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantviz as qv
from quantviz_app.untrusted import csv_cell, md_code, printable, shorten
from quantviz_report import figures as report_figures
from quantviz_report import report
from quantviz_report.cli import TerminalProgress, main

ROOT = Path(__file__).resolve().parents[2]


def write_safetensors(path: Path, names: list[str], seed: int = 0) -> Path:
    """A safetensors file written by hand, so that any name (a lone surrogate too) fits:
    each tensor 4 × 64 float32 normal values."""
    rng = np.random.default_rng(seed)
    header, data = {}, b""
    for name in names:
        block = rng.standard_normal((4, 64)).astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": [4, 64],
                        "data_offsets": [len(data), len(data) + len(block)]}  # fmt: skip
        data += block
    text = json.dumps(header).encode()  # ensure_ascii: "\ud800" is written as an escape
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m quantviz_report report ARGS`` as a user types it; output as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "quantviz_report", "report", *args],
        capture_output=True, cwd=cwd, timeout=timeout, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --- item 10: math in names ---------------------------------------------------------------

NESTED = "$" + "x^{" * 200 + "1" + "}" * 200 + "$"  # mathtext recursed past Python's limit


@pytest.mark.parametrize("name", ["layer$\\foo$.weight", NESTED], ids=["unknown-symbol", "nested"])
def test_math_in_a_name_is_text_not_a_traceback(name, tmp_path):
    model = write_safetensors(tmp_path / "m.safetensors", [name])
    done = run_cli(str(model), "--bits", "4", "--out", str(tmp_path / "out"))
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "Traceback" not in err
    stem = "hist_1_" + report.slug(name)
    assert (tmp_path / "out" / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (tmp_path / "out" / f"{stem}.svg").read_bytes()[:1000]
    assert f"### `{name}`" in (tmp_path / "out" / "summary.md").read_text()


def test_figures_label_names_as_text():
    names = ["layer$\\foo$.weight", "$x^2$", "a" * 100]
    table = pd.DataFrame({"tensor": names, "format": "int4", "sqnr_db": [10.0, 20.0, 30.0]})
    fig = report_figures.sqnr_figure(table, title="SQNR of each tensor")
    labels = fig.axes[0].get_yticklabels()
    assert [t.get_text() for t in labels] == [
        "layer$\\foo$.weight", "$x^2$", "a" * 30 + "…" + "a" * 29,
    ]  # fmt: skip
    assert not any(t.get_parse_math() or t.get_usetex() for t in labels)
    x = np.linspace(-1, 1, 256, dtype=np.float32)
    hist = report_figures.histogram_figure(x, qv.quantize(x, bits=4), "4-bit", "$\\foo$")
    assert hist._suptitle.get_text() == "$\\foo$"
    assert not hist._suptitle.get_parse_math()


def test_a_figure_that_fails_anyway_is_a_note_not_a_crash(tmp_path, capsys, monkeypatch):
    """The last guard: whatever matplotlib raises on one tensor costs that figure only."""

    def broken(x, r, label, name):
        raise RecursionError("maximum recursion depth exceeded \x1b[2J")

    monkeypatch.setattr(report_figures, "histogram_figure", broken)
    model = write_safetensors(tmp_path / "m.safetensors", ["a.weight", "b.weight"])
    out = tmp_path / "out"
    assert main(["report", str(model), "--bits", "4", "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("could not be drawn") == 2
    assert (
        "The histogram of a.weight could not be drawn (RecursionError: maximum recursion depth "
        "exceeded \\x1b[2J).\n"
    ) in err
    assert not list(out.glob("hist_*"))
    assert (out / "sqnr_per_tensor.png").exists()
    md = (out / "summary.md").read_text()
    assert (
        "## Figures not drawn\n\n- The histogram of `a.weight` could not be drawn: "
        "`RecursionError: maximum recursion depth exceeded \\x1b[2J`.\n"
    ) in md
    assert "hist_" not in md


def test_an_error_nobody_foresaw_is_one_sentence_exit_1(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("tensor \x1b]0;pwned\x07 broke\nsecond line")

    monkeypatch.setattr(report, "model_table", broken)
    model = write_safetensors(tmp_path / "m.safetensors", ["w"])
    assert main(["report", str(model), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    assert capsys.readouterr().err == (
        "quantviz report stopped on an error it did not foresee (ValueError: tensor "
        "\\x1b]0;pwned\\x07 broke); please report it, with the command and what the file "
        "holds.\n"
    )


# --- item 11: control characters ----------------------------------------------------------

CONTROL_NAMES = [
    "clear\x1b[2J\x1b[H.weight",  # clears the screen
    "title\x1b]0;pwned\x07.weight",  # sets the window title (OSC 0, BEL)
    "clip\x1b]52;c;ZWNobyBoaQ==\x07.weight",  # writes the clipboard (OSC 52)
    "c1\x9b2J\x85.weight",  # C1 controls: CSI, NEL
    "bidi\u202egpj.exe",  # reads "bidiexe.jpg"
    "nl\n# fake heading\r.weight",
    "sur\ud800.weight",  # a lone surrogate: no UTF-8 file can hold it
]
CONTROL_SHOWN = [
    "clear\\x1b[2J\\x1b[H.weight",
    "title\\x1b]0;pwned\\x07.weight",
    "clip\\x1b]52;c;ZWNobyBoaQ==\\x07.weight",
    "c1\\x9b2J\\x85.weight",
    "bidi\\u202egpj.exe",
    "nl\\n# fake heading\\r.weight",
    "sur\\ud800.weight",
]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters, bidi overrides and surrogates; newline and tab are a file's own."""


@pytest.fixture(scope="module")
def control_report(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("control")
    model = write_safetensors(folder / "m.safetensors", CONTROL_NAMES)
    done = run_cli(str(model), "--bits", "4", "--histograms", "2", "--out", str(folder / "out"))
    return folder / "out", done


def test_the_terminal_gets_no_control_character(control_report):
    _, done = control_report
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    err = done.stderr.decode("utf-8")  # strict: a surrogate would not even decode
    assert not RAW.search(err), repr(err)
    for shown in CONTROL_SHOWN:
        assert f"  {shown}\n" in err  # each tensor's progress line, escaped
    assert "Traceback" not in err


def test_the_files_get_no_control_character(control_report):
    out, _ = control_report
    for name in ("summary.md", "summary.html", "model_table.csv"):
        text = (out / name).read_bytes().decode("utf-8")
        assert not RAW.search(text), (name, RAW.search(text))
        for shown in CONTROL_SHOWN:
            assert shown in text, (name, shown)
    md = (out / "summary.md").read_text()
    assert " | `nl\\n# fake heading\\r.weight` | 4 × 64 | " in md
    assert "\n# fake heading" not in md
    with open(out / "model_table.csv", newline="", encoding="utf-8") as f:
        assert [row["tensor"] for row in csv.DictReader(f)] == CONTROL_SHOWN
    assert len(list(out.glob("hist_*.png"))) == 2


def test_the_progress_line_escapes_names():
    bar = TerminalProgress(io.StringIO())
    assert bar.line(1, 2, "a\x1b[2Jb").endswith(" s  a\\x1b[2Jb")
    assert bar.line(1, 2, "x" * 500).endswith(" s  " + "x" * 50 + "…" + "x" * 49)


def test_printable():
    assert printable("encoder.layer.0.weight") == "encoder.layer.0.weight"
    assert printable("a\x1b[2J\x07\tb\n") == "a\\x1b[2J\\x07\\tb\\n"
    assert printable("\x9b\u202e\u2066\u200b\ufeff") == "\\x9b\\u202e\\u2066\\u200b\\ufeff"
    assert printable("\U000e0041\ud800") == "\\U000e0041\\ud800"
    assert printable("层.权重 $\\x$ <b> é") == "层.权重 $\\x$ <b> é"  # letters, math, tags: text


# --- item 12: Markdown, HTML and the CSV --------------------------------------------------

MARKUP_NAMES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[Log in](javascript:alert(1))",
    "a|b|c",
    "``tick`",
    "https://evil.example/x.png",
    "**bold** _em_ ~~s~~ $x$ &amp;",
    "nl\n# fake heading",
]


@pytest.fixture(scope="module")
def markup_report(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("markup")
    model = write_safetensors(folder / "m.safetensors", MARKUP_NAMES)
    out = folder / "out"
    args = ["report", str(model), "--bits", "4", "--histograms", "8", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    return out


def test_markdown_shows_names_in_code_spans(markup_report):
    md = (markup_report / "summary.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("| ") and " × " in line]
    assert len(table) == 8
    cells = {line.split(" | ")[1] for line in table}  # "\|" is not " | "
    assert cells == {
        "`<script>alert(1)</script>`",
        "`<img src=x onerror=alert(1)>`",
        "`[Log in](javascript:alert(1))`",
        "`a\\|b\\|c`",
        "``` ``tick` ```",
        "`https://evil.example/x.png`",
        "`**bold** _em_ ~~s~~ $x$ &amp;`",
        "`nl\\n# fake heading`",
    }
    for line in table:  # 9 cell borders: no name adds a column
        assert len(re.findall(r"(?<!\\)\|", line)) == 9, line
    outside = re.sub(r"(`+).*?\1", "", md)  # everything that is not a code span
    for raw in ("<script", "<img", "javascript:", "](http", "**bold"):
        assert raw not in outside
    assert "### `a|b|c`\n\n![`a|b|c`](hist_" in md  # a pipe outside a table needs no escape
    assert "### `nl\\n# fake heading`\n" in md and "\n# fake" not in md


def test_html_escapes_every_name(markup_report):
    page = (markup_report / "summary.html").read_text()
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page
    assert "<h3>&lt;img src=x onerror=alert(1)&gt;</h3>" in page
    assert 'alt="[Log in](javascript:alert(1))"' in page
    assert "<td>**bold** _em_ ~~s~~ $x$ &amp;amp;</td>" in page
    assert "<script" not in page and "<img src=x" not in page


def test_the_csv_keeps_names_and_defuses_formulas(tmp_path):
    names = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3",
             "@SUM(A1:A9)", "layer-1.weight", "a,b\"c"]  # fmt: skip
    model = write_safetensors(tmp_path / "m.safetensors", names)
    out = tmp_path / "out"
    assert main(["report", str(model), "--out", str(out), "--quiet", "--histograms", "0"]) == 0
    with open(out / "model_table.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [row["tensor"] for row in rows] == [
        "'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+cmd|' /C calc'!A0", "'-2+3",
        "'@SUM(A1:A9)", "layer-1.weight", "a,b\"c",
    ]  # fmt: skip
    assert [row["shape"] for row in rows] == ["4 × 64"] * 6


def test_md_code_and_csv_cell():
    assert md_code("a.b") == "`a.b`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`a") == "`` `a ``"
    assert md_code(" a ") == "`  a  `"
    assert md_code("a|b", in_table=True) == "`a\\|b`"
    assert md_code("") == "` `"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("w=1") == "w=1"
    assert shorten("abcdefghij", 5) == "ab…ij" and shorten("abc", 5) == "abc"


# --- path tricks and long names -----------------------------------------------------------


def test_no_figure_is_written_outside_the_folder(tmp_path):
    names = ["../../../../evil", "/etc/passwd", "..", "a/../../b", "..\\..\\win", "./."]
    model = write_safetensors(tmp_path / "m.safetensors", names)
    out = tmp_path / "deep" / "out"
    args = ["report", str(model), "--out", str(out), "--quiet", "--histograms", "6"]
    assert main(args) == 0
    outside = [f for f in files_under(tmp_path) if not f.startswith("deep")]
    assert outside == ["m.safetensors"]
    pngs = sorted(p.name.split("_", 2)[2] for p in out.glob("hist_*.png"))  # without the rank
    assert pngs == ["a_.._.._b.png", "etc_passwd.png", "evil.png", "tensor.png", "tensor.png",
                    "win.png"]  # fmt: skip
    for path in out.iterdir():
        assert path.resolve().parent == out.resolve()


def test_a_very_long_name(tmp_path, capsys):
    """The longest name a file may carry (1,024 characters) is cut on the terminal and kept
    whole in the files; a longer one refuses the file with one sentence (exit 2)."""
    name = "L" * 1_024
    model = write_safetensors(tmp_path / "m.safetensors", [name, "short.weight"])
    out = tmp_path / "out"
    assert main(["report", str(model), "--bits", "4", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert max(len(line) for line in err.splitlines()) < 250
    assert f"  {'L' * 50}…{'L' * 49}\n" in err
    assert f"`{name}`" in (out / "summary.md").read_text()  # the files keep the name whole
    assert len(list(out.glob(f"hist_?_{'L' * 60}.png"))) == 1

    longer = write_safetensors(tmp_path / "n.safetensors", ["L" * 33_000, "short.weight"])
    assert main(["report", str(longer), "--bits", "4", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        "n.safetensors has a tensor name of 33,000 characters, longer than the 1,024 "
        "quantviz reads.\n"
    )


# --- item 15: the output folder and the model path ----------------------------------------


def test_an_empty_out_is_refused_and_the_current_folder_left_alone(tmp_path):
    model = write_safetensors(tmp_path / "m.safetensors", ["w"])
    (tmp_path / "summary.md").write_text("my notes\n")
    done = run_cli(str(model), "--out", "", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == b"The output folder has no name; give one, such as --out report/.\n"
    assert files_under(tmp_path) == ["m.safetensors", "summary.md"]
    assert (tmp_path / "summary.md").read_text() == "my notes\n"


def test_a_folder_with_other_files_is_refused(tmp_path, capsys):
    model = write_safetensors(tmp_path / "m.safetensors", ["w"])
    project = tmp_path / "project"
    project.mkdir()
    (project / "model_table.csv").write_text("mine\n")
    assert main(["report", str(model), "--out", str(project), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"The output folder {project} already holds files that are not a report's; give a new "
        "or empty folder (a report never overwrites other files).\n"
    )
    assert files_under(project) == ["model_table.csv"]
    assert (project / "model_table.csv").read_text() == "mine\n"


def test_a_previous_report_is_replaced(tmp_path):
    model = write_safetensors(tmp_path / "m.safetensors", ["a", "b", "c"])
    out = tmp_path / "out"
    assert main(["report", str(model), "--out", str(out), "--quiet", "--histograms", "3"]) == 0
    assert len(list(out.glob("hist_*"))) == 6
    (out / "notes.txt").write_text("kept\n")
    assert main(["report", str(model), "--out", str(out), "--quiet", "--histograms", "1"]) == 0
    assert len(list(out.glob("hist_1_*"))) == 2 and len(list(out.glob("hist_*"))) == 2
    assert (out / "notes.txt").read_text() == "kept\n"
    assert (out / ".quantviz-report").read_text().startswith("This folder holds a report")


def test_a_link_in_the_folder_is_not_written_through(tmp_path, capsys):
    model = write_safetensors(tmp_path / "m.safetensors", ["w"])
    out = tmp_path / "out"
    assert main(["report", str(model), "--out", str(out), "--quiet"]) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / "summary.md").unlink()
    (out / "summary.md").symlink_to(victim)
    assert main(["report", str(model), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"The report cannot be written to {out} (summary.md is a symbolic link, which a report "
        "does not write through).\n"
    )
    assert victim.read_text() == "precious\n"


def test_another_users_folder_is_refused(tmp_path, capsys):
    model = write_safetensors(tmp_path / "m.safetensors", ["w"])
    if os.geteuid() == 0:
        theirs = tmp_path / "theirs"
        theirs.mkdir()
        os.chown(theirs, 65534, 65534)  # nobody
    else:
        theirs = Path("/")
    assert main(["report", str(model), "--out", str(theirs), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"The output folder {theirs} belongs to another user; give a folder of your own.\n"
    )


def test_a_named_pipe_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    done = run_cli(str(fifo), "--out", str(tmp_path / "out"), timeout=60)  # hung on main
    assert done.returncode == 2
    assert done.stderr == (
        b"model.safetensors is not a regular file (a named pipe, a device or a socket); give "
        b"the weight file itself.\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_device_or_a_folder_is_refused(tmp_path, capsys):
    device = tmp_path / "model.npy"
    device.symlink_to("/dev/zero")  # main said "model.npy is empty."
    assert main(["report", str(device), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "model.npy is not a regular file (a named pipe, a device or a socket); give the weight "
        "file itself.\n"
    )
    folder = tmp_path / "weights.safetensors"
    folder.mkdir()
    assert main(["report", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == "weights.safetensors is a folder, not a file.\n"
    with pytest.raises(qv.InputError, match=r"^a\\x00b.npy is not a name a file can have "):
        report.check_model_file("a\x00b.npy")  # a NUL cannot come from a command line, only code
