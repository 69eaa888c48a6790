"""Real weights on the page: uploads good and bad, the shipped sample, the whole-model table,
NaN and Inf, and what a link can carry.

Expected numbers come from the core (``qv.quantize`` on the same tensor), formatted here by
hand; expected messages are written out.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import quantviz as qv
from quantviz.io import MAX_FILE_BYTES, load_weights
from quantviz.model_table import table_kwargs
from tests import io_fixtures as fx
from tests.conftest import unescape

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "minilm-l6-sample.safetensors"
SAMPLE_DEFAULT = "encoder.layer.0.intermediate.dense.weight"
MIME = "application/octet-stream"


def sqnr(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "SQNR")


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, MIME))
    return rerun(at)


def model() -> dict[str, np.ndarray]:
    """A small "model": two matrices, a bias, an int buffer."""
    rng = np.random.default_rng(7)
    return {
        "ids": np.arange(10, dtype=np.int64),
        "layer1.weight": rng.normal(0, 0.05, size=(48, 32)).astype(np.float32),
        "layer1.bias": rng.normal(0, 0.01, size=48).astype(np.float32),
        "layer2.weight": rng.laplace(0, 0.1, size=(64, 48)).astype(np.float32),
    }


def test_an_uploaded_npy_is_shown(small_app):
    at = small_app
    x = np.random.default_rng(3).normal(size=(24, 40)).astype(np.float32)
    upload(at, "w.npy", fx.npy_bytes(x))
    assert at.radio(key="source").value == "file"
    assert sqnr(at) == "17.8 dB"  # 4-bit min-max of those 960 normal values
    assert at.main.markdown[0].value == (  # the tensor picker above it names the tensor
        "**w\\.npy**: 960 values as a 24 × 40 matrix, quantized to **4 bits**, "
        "asymmetric (zero point), min-max range, per tensor."
    )
    assert at.main.selectbox(key="file_tensor").value == "w"
    assert len(at.get("vega_lite_chart")) == 3  # histograms and the trade-off room
    assert "Channels" in [t.label for t in at.tabs]  # a matrix has rows
    assert "source" not in at.query_params  # an upload cannot travel in a link
    assert not at.error


def test_a_safetensors_opens_its_largest_matrix_and_lists_its_weights(small_app):
    at = small_app
    m = model()
    upload(at, "model.safetensors", fx.safetensors_numpy_bytes(m))
    picker = at.selectbox(key="file_tensor")
    assert picker.value == "layer2.weight"  # 64 × 48: the largest float matrix
    assert picker.options == ["layer1.bias · 48", "layer1.weight · 48 × 32",
                              "layer2.weight · 64 × 48"]  # fmt: skip
    assert sqnr(at) == "15.0 dB"
    picker.select("layer1.weight")
    rerun(at)
    assert sqnr(at) == "18.3 dB"
    at.selectbox(key="granularity").set_value("channel")
    rerun(at)
    assert sqnr(at) == "21.9 dB"  # per channel: 3.6 dB above per tensor


BAD_FILES = {
    "corrupt": ("weights.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{bad json"),
    "misnamed": ("weights.safetensors", fx.npy_bytes(np.ones((3, 3), np.float32))),
    "empty": ("w.npy", b""),
    "ints only": ("ids.npy", fx.npy_bytes(np.arange(9))),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_gets_one_sentence_and_the_previous_tensor_stays(small_app, case):
    at = small_app
    before = sqnr(at)
    name, data = BAD_FILES[case]
    upload(at, name, data)
    assert len(at.error) == 1
    message = unescape(at.error[0].value)
    assert "\n" not in message and not re.search(r"\d{10}", message)  # no raw byte counts
    if case == "ints only":
        assert message == (
            "ids.npy holds no floating-point tensor to quantize (only int64 values: ids, masks "
            "or counters, not weights)."
        )
    assert sqnr(at) == before
    assert at.radio(key="source").value == "synthetic"
    at.slider(key="bits").set_value(5)  # the message stays while the file is there
    rerun(at)
    assert len(at.error) == 1


def test_a_pickle_is_never_run(small_app, tmp_path):
    at = small_app
    upload(at, "model.pt", fx.plain_pickle(fx.CommandRunner(tmp_path / "pwned")))
    assert len(at.error) == 1
    assert not (tmp_path / "pwned").exists()


def test_the_size_limit_is_on_the_page(small_app):
    # One number: the label, the uploader's own limit in the browser (200,000,000 bytes:
    # Streamlit's frontend counts MB as 10^6 bytes), the loaders' and .streamlit's.
    uploader = small_app.file_uploader(key="upload")
    assert uploader.label == "Your weights (up to 200 MB)"
    assert uploader.proto.max_upload_size_mb == 200
    assert MAX_FILE_BYTES == 200_000_000


def test_the_shipped_sample_opens_without_an_upload(small_app):
    at = small_app
    at.radio(key="source").set_value("sample")
    rerun(at)
    assert at.selectbox(key="tensor").value == SAMPLE_DEFAULT
    assert sqnr(at) == "2.9 dB"  # 4-bit min-max of the FFN weight: a few outliers
    assert at.query_params["source"] == "sample"
    assert at.query_params["tensor"] == SAMPLE_DEFAULT
    assert "dist" not in at.query_params
    at.radio(key="source").set_value("synthetic")  # back: the distribution's settings kept
    rerun(at)
    assert at.query_params["n"] == "1000" and "source" not in at.query_params


def test_a_link_opens_a_sample_tensor_or_says_it_has_none(open_app):
    name = "encoder.layer.5.attention.output.dense.weight"
    at = open_app(source="sample", tensor=name, bits="3", granularity="channel")
    assert at.selectbox(key="tensor").value == name
    assert sqnr(at) == "11.6 dB"
    assert not at.warning
    at = open_app(source="sample", tensor="no.such.weight")
    assert at.selectbox(key="tensor").value == SAMPLE_DEFAULT
    assert [unescape(w.value) for w in at.warning] == [
        "Ignored from the link: minilm-l6-sample.safetensors has no floating-point tensor "
        f"called 'no.such.weight'; showing {SAMPLE_DEFAULT}."
    ]


def test_the_whole_model_table(open_app):
    at = open_app(source="sample", bits="3", granularity="channel", room="Whole model")
    weights = load_weights(SAMPLE)
    floats = {n: x for n, x in weights.items() if x.dtype.kind == "f"}
    table = at.dataframe[-1].value
    assert list(table["tensor"]) == list(floats)  # one row per float tensor
    for row in table.itertuples():
        kw, note = table_kwargs(floats[row.tensor].shape, {"bits": 3, "granularity": "channel"})
        assert row.mse == qv.quantize(floats[row.tensor], **kw).metrics["mse"]
        assert row.note == note
    bias = table.set_index("tensor").loc["encoder.layer.0.attention.self.query.bias"]
    assert bias["granularity"] == "tensor"
    assert bias["note"] == (
        "Per-channel quantization needs a tensor with rows (2-D or more); this one is 1-D, so "
        "it is quantized per tensor."
    )
    assert at.download_button(key="dl_model_table").label == "Whole-model table (CSV)"


def test_nan_and_inf_are_left_out_with_a_warning(small_app):
    at = small_app
    x = np.random.default_rng(5).normal(size=(16, 16)).astype(np.float32)
    x[0, 0], x[3, 4], x[9, 9] = np.nan, np.inf, -np.inf
    upload(at, "holes.npy", fx.npy_bytes(x))
    assert [w.value for w in at.warning] == [
        "3 NaN or infinite values of this tensor are left out; the other values are shown flat "
        "(1-D), so only per-tensor quantization applies."
    ]
    assert sqnr(at) == "20.2 dB"  # the 253 finite values, 4-bit min-max
    assert "nan" not in " ".join(m.value for m in at.metric).lower()


@pytest.mark.parametrize(
    "x",
    [np.full((8, 16), 5.0, np.float32), np.zeros(7, np.float32), np.float32(2.5),
     (np.random.default_rng(1).standard_normal(500) * 1e-40).astype(np.float32),
     (np.random.default_rng(0).standard_normal(999) * 1e30).astype(np.float32)],
    ids=["constant", "zeros", "scalar", "denormal", "huge"],
)  # fmt: skip
def test_awkward_tensors_never_crash_the_page_or_show_nan(small_app, x):
    at = small_app
    upload(at, "w.npy", fx.npy_bytes(x))
    for bits, strategy in [(1, "minmax"), (16, "mse"), (3, "entropy")]:
        at.slider(key="bits").set_value(bits)
        at.selectbox(key="strategy").set_value(strategy)
        rerun(at)
        shown = " ".join([m.value for m in at.metric] + [m.value for m in at.markdown])
        assert "nan" not in shown.lower() and not at.error


def test_a_grid_float32_cannot_hold_is_a_sentence_not_a_crash(small_app):
    at = small_app
    upload(at, "edge.npy", fx.npy_bytes(np.array([-3e38, 3e38, 0, 1], np.float32)))
    at.slider(key="bits").set_value(1)
    rerun(at)
    assert [e.value for e in at.error] == [
        "The range [-3e+38, 3e+38] is too wide for a 1-bit grid: its end levels would lie "
        "beyond float32's largest number (3.4e+38); use more bits or scale the values down."
    ]
    at.slider(key="bits").set_value(8)
    rerun(at)
    assert not at.error and next(m.value for m in at.metric if m.label == "Levels used")
