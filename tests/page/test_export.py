"""Download bytes read back as what they claim to be."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import quantviz as qv
from quantviz_app import export


def _fig() -> Figure:
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1], [1, 0], label="hello")
    return fig


def test_png_and_svg():
    png = export.figure_png(_fig(), dpi=50)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = export.figure_svg(_fig()).decode("utf-8")
    assert "<svg" in svg and svg.rstrip().endswith("</svg>")


def test_metrics_csv_parses_back():
    r = qv.quantize(qv.sample("normal", n=1000, seed=0), 4)
    df = pd.read_csv(io.BytesIO(export.metrics_csv(r, {"dist": "normal", "bits": "4"})))
    assert len(df) == 1
    assert df["mse"][0] == pytest.approx(r.metrics["mse"])
    assert df["scale"][0] == pytest.approx(r.scale) and df["zero_point"][0] == r.zero_point
    assert df["dist"][0] == "normal"


def test_table_csv_round_trip():
    table = qv.sweep(qv.sample("normal", n=1000, seed=0), bits=[2, 4])
    back = pd.read_csv(io.BytesIO(export.table_csv(table)))
    assert back["sqnr_db"].tolist() == pytest.approx(table["sqnr_db"].tolist())
    assert list(back.columns) == list(table.columns)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bits": 4},
        {"bits": 3, "symmetric": True, "narrow_range": True},
        {"bits": 4, "granularity": "channel", "axis": 1},
        {"bits": 8, "granularity": "group", "group_size": 5},
    ],
)
def test_npz_round_trip(kwargs):
    x = qv.sample("layer", n=1000, seed=0, rows=8)  # 8 × 125
    r = qv.quantize(x, **kwargs)
    data = export.quantized_npz(r, {"dist": "layer"})
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        np.testing.assert_array_equal(z["codes"], r.codes)
        assert int(z["bits"]) == r.bits and (int(z["qmin"]), int(z["qmax"])) == (r.qmin, r.qmax)
        np.testing.assert_array_equal(z["scale"], np.asarray(r.scale, dtype=np.float32))
        np.testing.assert_array_equal(z["zero_point"], r.zero_point)
        assert json.loads(str(z["settings"])) == {"dist": "layer"}
    np.testing.assert_array_equal(export.dequantize_npz(data), r.dequantized)


def test_a_number_format_s_metrics_and_npz():
    x = np.array([0.5, -1.0, 3.0, 6.0], dtype=np.float32)
    r = qv.quantize(x, format="fp4_e2m1")  # one float32 scale, 6 / 6 = 1: stored exactly
    row = pd.read_csv(io.BytesIO(export.metrics_csv(r, {"format": "fp4_e2m1"}))).iloc[0]
    assert (row["format"], row["element_bits"], row["n_blocks"]) == ("fp4_e2m1", 4, 1)
    assert row["scale_min"] == row["scale_max"] == 1.0 and row["mse"] == 0.0
    with np.load(io.BytesIO(export.format_npz(r, {"format": "fp4_e2m1"})),
                 allow_pickle=False) as z:  # fmt: skip
        assert str(z["format"]) == "fp4_e2m1" and z["scales"].tolist() == 1.0
        assert z["dequantized"].tolist() == [0.5, -1.0, 3.0, 6.0]
        assert "offsets" not in z and "tensor_scale" not in z
    q = qv.quantize(np.linspace(-1, 1, 32, dtype=np.float32), format="q4_1")
    with np.load(io.BytesIO(export.format_npz(q)), allow_pickle=False) as z:
        assert z["offsets"].shape == (1,) and int(z["block_size"]) == 32


FIRST_PAGE = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.query_params["room"] = sys.argv[2]
at.run()
assert not at.exception, [e.value for e in at.exception]
print("matplotlib" in sys.modules)
"""


@pytest.mark.parametrize("room", ["Trade-off", "Take home"])
def test_no_page_imports_matplotlib_before_a_picture_is_downloaded(room):
    """Issue 16, item 13: matplotlib (0.5–2 s to import on the class machine) draws only
    the downloads, which are built when clicked; the first page, and the Take home room
    that offers them, do without it."""
    import subprocess
    import sys
    from pathlib import Path

    app = Path(__file__).resolve().parents[2] / "app.py"
    out = subprocess.run(
        [sys.executable, "-c", FIRST_PAGE, str(app), room],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "False"
