"""``quantviz report``: the whole-model table, figures and summary, written without a browser."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantviz as qv
from quantviz.io import load_weights
from quantviz.model_table import COLUMNS, METRICS, model_table
from quantviz_report import report
from quantviz_report.cli import TerminalProgress, main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "assets" / "minilm-l6-sample.safetensors"
WORST = "encoder.layer.0.intermediate.dense.weight"  # looked at: 2.9 dB at 4 bits per tensor


@pytest.fixture(scope="module")
def int4_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    out = tmp_path_factory.mktemp("report")
    err = io.StringIO()
    stderr, sys.stderr = sys.stderr, err
    try:
        status = main(["report", str(SAMPLE), "--bits", "4", "--out", str(out)])
    finally:
        sys.stderr = stderr
    return out, status, err.getvalue()


def test_the_files_are_written(int4_report):
    out, status, _ = int4_report
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".quantviz-report",
        "hist_1_encoder.layer.0.intermediate.dense.weight.png",
        "hist_1_encoder.layer.0.intermediate.dense.weight.svg",
        "hist_2_encoder.layer.0.attention.self.query.weight.png",
        "hist_2_encoder.layer.0.attention.self.query.weight.svg",
        "hist_3_encoder.layer.5.attention.output.dense.weight.png",
        "hist_3_encoder.layer.5.attention.output.dense.weight.svg",
        "model_table.csv",
        "sqnr_per_tensor.png",
        "sqnr_per_tensor.svg",
        "summary.html",
        "summary.md",
    ]
    assert (out / "sqnr_per_tensor.png").read_bytes().startswith(b"\x89PNG\r\n")
    assert b"<svg" in (out / "sqnr_per_tensor.svg").read_bytes()[:1000]


def test_the_csv_holds_the_numbers_of_the_whole_model_table(int4_report):
    out, _, _ = int4_report
    csv = pd.read_csv(out / "model_table.csv", keep_default_na=False)
    expected = model_table(load_weights(SAMPLE), bits=4, symmetric=False, strategy="minmax")
    assert list(csv.columns) == list(COLUMNS)
    assert list(csv["tensor"]) == list(expected["tensor"])
    for column in (*METRICS, "values", "dropped"):
        assert list(csv[column]) == list(expected[column]), column
    assert list(csv["format"]) == ["int4"] * 5


def test_the_summary_names_the_layer_that_suffers_most(int4_report):
    out, _, _ = int4_report
    md = (out / "summary.md").read_text()
    assert "**Settings:** int4, asymmetric, per tensor, range: Min-max" in md
    assert f"**`{WORST}`** at 2.9 dB." in md
    assert f"| 1 | `{WORST}` | 1536 × 384 | 2.9 | 71.68 % |" in md
    assert "| Tensors quantized | 5 of 5 float tensors |" in md
    assert "| Bits per weight (scales counted) | 4.000 |" in md
    assert "| Compression against float32 | 8.00× |" in md
    assert f"### `{WORST}`\n\n![`{WORST}`](hist_1_{WORST}.png)" in md
    page = (out / "summary.html").read_text()
    assert f"<td>{WORST}</td>" in page and f'<img src="hist_1_{WORST}.png"' in page


def test_progress_goes_to_stderr(int4_report):
    _, _, err = int4_report
    assert "[########################] 6/6 tensors" in err
    assert f"Suffers most: {WORST} (2.9 dB)" in err


def test_quiet_prints_nothing(tmp_path, capsys):
    args = ["report", str(SAMPLE), "--bits", "8", "--out", str(tmp_path), "--quiet"]
    assert main([*args, "--histograms", "0"]) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert not list(tmp_path.glob("hist_*"))


def test_a_number_format(tmp_path, capsys):
    args = ["report", str(SAMPLE), "--format", "nf4", "--out", str(tmp_path), "--quiet"]
    assert main([*args, "--histograms", "0"]) == 0
    csv = pd.read_csv(tmp_path / "model_table.csv", keep_default_na=False)
    assert set(csv["format"]) == {"nf4"} and set(csv["granularity"]) == {"group"}
    assert set(csv["bits_per_weight"]) == {4.5}  # 4-bit codes, a float32 scale per 64 values
    assert set(csv["note"]) == {""}
    md = (tmp_path / "summary.md").read_text()
    assert "**Settings:** nf4, per group of 64  " in md
    assert "| Bits per weight (scales counted) | 4.500 |" in md


def test_tensors_a_block_format_cannot_take_are_kept_and_counted(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "odd.safetensors"
    save_file({"b": np.linspace(-1, 1, 30, dtype=np.float32), "w": np.ones((2, 64), np.float32)},
              str(path))  # fmt: skip
    out = tmp_path / "out"
    assert main(["report", str(path), "--format", "q4_0", "--out", str(out), "--quiet"]) == 0
    md = (out / "summary.md").read_text()
    assert "| Tensors quantized | 1 of 2 float tensors |" in md
    assert "| Kept in float32 (the format cannot take them) | 1 |" in md
    assert "| Size at these settings | 192 bytes |" in md  # 120 kept + 4 blocks of 18
    assert "| 1 | w | 2 × 64 |" not in md  # exact: ones are stored without error
    assert "No quantized tensor lost anything at these settings" in md
    csv = pd.read_csv(out / "model_table.csv", keep_default_na=False)
    assert list(csv["format"]) == ["float32", "q4_0"]


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["nope.safetensors", "--bits", "4"], "nope.safetensors does not exist."),
        (["README.md"], "README.md: .md files are not supported; quantviz reads .safetensors, "
                        ".pt, .pth, .bin, .onnx, .gguf, .npy, .npz, .csv, .txt."),
        ([str(SAMPLE), "--bits", "99"], "bits must be from 1 to 16; got 99."),
        ([str(SAMPLE), "--format", "nf4", "--bits", "8"],
         "nf4 stores 4-bit elements; leave --bits out or give --bits 4."),
        ([str(SAMPLE), "--format", "q4_0", "--symmetric"],
         "q4_0 takes its scale from each block's largest |value|, so --symmetric does not "
         "apply; give only --granularity, --axis and --group-size."),
    ],
)  # fmt: skip
def test_bad_files_and_settings_exit_2_with_one_sentence(args, sentence, tmp_path, capsys):
    assert main(["report", *args, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.err == sentence + "\n"
    assert captured.out == ""


def test_a_corrupt_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "w.safetensors"
    bad.write_bytes(b"not weights at all, just some words")
    assert main(["report", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "w.safetensors is not a valid safetensors file: its first 8 bytes announce a header of "
        "6.5 EB, more than the 95.4 MB the format allows (the whole file is 35 bytes).\n"
    )


def test_python_dash_m_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "quantviz_report", "report", "missing.gguf", "--out",
         str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "missing.gguf does not exist.\n"


def test_the_progress_line():
    bar = TerminalProgress(io.StringIO())
    line = bar.line(12, 37, "layer.name")
    assert line.startswith("[########                ] 12/37 tensors  ")
    assert line.endswith(" s  layer.name")
    assert bar.line(3, None, "x").startswith("3 tensors  ")


def test_worst_layers_and_relative_error():
    table = pd.DataFrame(
        {
            "tensor": ["a", "b", "c", "d"],
            "format": ["int4", "int4", "float32", "int4"],
            "sqnr_db": [20.0, 6.0, np.inf, 20.0],
        }
    )
    worst = report.worst_layers(table, 5)
    assert list(worst["tensor"]) == ["b", "a", "d"]  # ties keep the file's order
    assert list(worst["rank"]) == [1, 2, 3]
    assert worst["relative_error"][1] == pytest.approx(0.1)  # 20 dB: rmse is 10 % of rms
    assert report.relative_error(np.inf) == 0.0


def test_settings_are_checked_before_the_file_is_read():
    with pytest.raises(qv.InputError, match=r"^Unknown range strategy 'bogus'"):
        report.quantize_kwargs(bits=4, strategy="bogus")
    assert report.quantize_kwargs(bits=4, granularity="channel", axis=1) == {
        "granularity": "channel", "axis": 1, "bits": 4, "symmetric": False, "strategy": "minmax",
    }  # fmt: skip
    assert report.slug("a/b c:d") == "a_b_c_d"


def test_without_the_app_extra_the_command_says_what_to_install(tmp_path):
    """``pip install quantviz`` alone has no matplotlib: the command says so, exit 2."""
    blocked = (
        "import sys; sys.modules['matplotlib'] = None; "
        "from quantviz_report.cli import main; "
        "sys.exit(main(['report', 'm.safetensors', '--out', 'out']))"
    )
    done = subprocess.run([sys.executable, "-c", blocked], cwd=tmp_path, capture_output=True)
    assert done.returncode == 2
    assert done.stderr == (
        b"quantviz report draws its figures with matplotlib, which is not installed here: "
        b'pip install "quantviz[app]".\n'
    )
