"""Real weights in the app: uploads (good and bad), the tensor picker, the shipped sample,
the whole-model table, NaN handling and what goes into the link.

Every expected number is recomputed with the core (``read_weights`` / ``load_weights`` +
``qv.quantize``) and compared with the strings the page shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import quantviz as qv
from quantviz import readout
from quantviz.io import MAX_FILE_BYTES, load_weights, read_weights
from quantviz.model_table import fitted_kwargs
from tests import io_fixtures as fx

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "minilm-l6-sample.safetensors"
SAMPLE_DEFAULT = "encoder.layer.0.intermediate.dense.weight"
MIME = "application/octet-stream"


def shown(at: AppTest) -> dict[str, str]:
    """Metric label → value as displayed."""
    return {m.label: m.value for m in at.metric}


def expected(x: np.ndarray, **quant) -> dict[str, str]:
    """The metric strings of ``qv.quantize(x, **quant)`` (the app opens at 4 bits)."""
    r = qv.quantize(x, **{"bits": 4, **quant})
    return {c.label: c.value for c in readout.metric_cards(r)}


def unescape(markdown: str) -> str:
    """Undo the app's Markdown escaping (backslash before punctuation)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, MIME))
    return rerun(at)


def matrices() -> dict[str, np.ndarray]:
    """A small "model": two matrices, a bias, an int buffer."""
    rng = np.random.default_rng(7)
    return {
        "ids": np.arange(10, dtype=np.int64),
        "layer1.weight": rng.normal(0, 0.05, size=(48, 32)).astype(np.float32),
        "layer1.bias": rng.normal(0, 0.01, size=48).astype(np.float32),
        "layer2.weight": rng.laplace(0, 0.1, size=(64, 48)).astype(np.float32),
    }


# ------------------------------------------------------------------ good files --


def test_uploading_an_npy_shows_its_tensor(small_app):
    at = small_app
    x = np.random.default_rng(3).normal(size=(24, 40)).astype(np.float32)
    upload(at, "w.npy", fx.npy_bytes(x))
    assert at.radio(key="source").value == "file"
    assert shown(at) == expected(x)
    assert "w" in at.markdown[0].value and "24 × 40 matrix" in at.markdown[0].value
    assert at.selectbox(key="file_tensor").value == "w"
    assert len(at.image) >= 2  # the views are drawn
    assert not at.error


def test_uploading_a_safetensors_picks_the_largest_matrix(small_app):
    at = small_app
    model = matrices()
    upload(at, "model.safetensors", fx.safetensors_numpy_bytes(model))
    picker = at.selectbox(key="file_tensor")
    assert picker.value == "layer2.weight"  # 64 × 48: the largest 2-D float tensor
    assert shown(at) == expected(model["layer2.weight"])
    # every tensor listed (file order: safetensors sorts names) with shape, dtype and size;
    # the int buffer marked
    assert picker.options == [
        "ids · 10 · int64 · 10 values · not quantizable",
        "layer1.bias · 48 · float32 · 48 values",
        "layer1.weight · 48 × 32 · float32 · 1,536 values",
        "layer2.weight · 64 × 48 · float32 · 3,072 values",
    ]
    # a link cannot carry the file: said on the page, and the link says source=file
    assert any("cannot travel in a link" in c.value for c in at.caption)
    assert at.query_params["source"] == "file"
    assert "dist" not in at.query_params


def test_the_tensor_picker_switches_tensors(small_app):
    at = small_app
    model = matrices()
    upload(at, "model.safetensors", fx.safetensors_numpy_bytes(model))
    at.selectbox(key="file_tensor").select("layer1.weight")
    rerun(at)
    assert shown(at) == expected(model["layer1.weight"])
    at.selectbox(key="file_tensor").select("layer1.bias")
    rerun(at)
    assert shown(at) == expected(model["layer1.bias"])
    # per-channel on a real matrix: rows (axis 0) are the output channels
    at.selectbox(key="file_tensor").select("layer1.weight")
    rerun(at)
    at.radio(key="granularity").set_value("channel")
    rerun(at)
    assert shown(at) == expected(model["layer1.weight"], granularity="channel", axis=0)
    assert "Channel by channel" in [h.value.split("· ", 1)[-1] for h in at.header][2]


def test_a_non_quantizable_tensor_is_explained_not_shown(small_app):
    at = small_app
    model = matrices()
    upload(at, "model.safetensors", fx.safetensors_numpy_bytes(model))
    at.selectbox(key="file_tensor").select("ids")
    rerun(at)
    assert any("holds int64 values" in unescape(i.value) for i in at.info)
    assert shown(at) == expected(model["layer2.weight"])  # the previous tensor stays


# ------------------------------------------------------------------- bad files --


def pickle_pt(tmp_path: Path) -> bytes:
    return fx.plain_pickle(fx.CommandRunner(tmp_path / "pwned"))


BAD_FILES = {
    "corrupt": ("weights.safetensors", lambda tmp: b"\x10\x00\x00\x00\x00\x00\x00\x00{bad json"),
    "pickle": ("model.pt", pickle_pt),
    "misnamed": ("weights.safetensors", lambda tmp: fx.npy_bytes(np.ones((3, 3), np.float32))),
    "empty": ("w.npy", lambda tmp: b""),
    "ints only": ("ids.npy", lambda tmp: fx.npy_bytes(np.arange(9))),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_reported_and_the_previous_tensor_stays(small_app, tmp_path, case):
    at = small_app
    before = shown(at)
    name, make = BAD_FILES[case]
    data = make(tmp_path)
    upload(at, name, data)
    assert len(at.error) == 1
    message = unescape(at.error[0].value)
    if case == "ints only":
        assert message.startswith("ids.npy holds no floating-point tensor")
    else:
        with pytest.raises(qv.InputError) as exc:
            read_weights(data, name)
        assert message == str(exc.value)
    assert shown(at) == before
    assert at.radio(key="source").value == "synthetic"
    assert not (tmp_path / "pwned").exists()
    # the message stays while the file is in the uploader; the page keeps working
    at.slider(key="bits").set_value(5)
    rerun(at)
    assert len(at.error) == 1


def test_a_bad_file_after_a_good_one_keeps_the_good_one(small_app):
    at = small_app
    model = matrices()
    upload(at, "model.safetensors", fx.safetensors_numpy_bytes(model))
    upload(at, "evil `name` [x](y) **z**.npy", b"not numpy at all")
    assert at.error
    # the file's name is shown literally, not as Markdown
    message = at.error[0].value
    assert "\\[x\\]\\(y\\)" in message and "\\`name\\`" in message and "\\*\\*z" in message
    assert unescape(message).startswith("evil `name` [x](y) **z**.npy is not a NumPy")
    assert at.radio(key="source").value == "file"
    assert shown(at) == expected(model["layer2.weight"])


def test_the_size_limit_is_on_the_page(small_app):
    uploader = small_app.file_uploader(key="upload")
    assert f"{MAX_FILE_BYTES // 2**20} MB" in uploader.label
    assert MAX_FILE_BYTES // 2**20 == 200  # .streamlit/config.toml maxUploadSize
    assert "safetensors" in uploader.proto.type[0] or ".safetensors" in uploader.proto.type


# ---------------------------------------------------------------- the sample --


def test_the_shipped_sample_opens_without_upload(small_app):
    at = small_app
    at.radio(key="source").set_value("sample")
    rerun(at)
    weights = load_weights(SAMPLE)
    assert at.selectbox(key="tensor").value == SAMPLE_DEFAULT
    assert shown(at) == expected(weights[SAMPLE_DEFAULT])
    assert at.query_params["source"] == "sample"
    assert at.query_params["tensor"] == SAMPLE_DEFAULT
    assert "dist" not in at.query_params
    # back to the distribution: its settings were kept while hidden
    at.radio(key="source").set_value("synthetic")
    rerun(at)
    assert at.query_params["n"] == "1000" and "source" not in at.query_params


def test_a_link_opens_a_sample_tensor(open_app):
    name = "encoder.layer.5.attention.output.dense.weight"
    at = open_app(source="sample", tensor=name, bits="3", granularity="channel")
    assert at.selectbox(key="tensor").value == name
    assert shown(at) == expected(load_weights(SAMPLE)[name], bits=3, granularity="channel")
    assert not at.warning


def test_a_link_with_an_unknown_tensor_or_a_file_falls_back(open_app):
    at = open_app(source="sample", tensor="no.such.weight")
    assert at.selectbox(key="tensor").value == SAMPLE_DEFAULT
    assert any("no.such.weight" in unescape(w.value) for w in at.warning)
    at = open_app(source="file", tensor="x")
    assert at.radio(key="source").value == "synthetic"
    assert any("upload it again" in w.value for w in at.warning)


# ----------------------------------------------------------- the whole model --


def test_the_whole_model_table(open_app):
    at = open_app(source="sample", bits="3", granularity="channel")
    weights = load_weights(SAMPLE)
    floats = {n: x for n, x in weights.items() if x.dtype.kind == "f"}
    table = at.dataframe[-1].value
    assert list(table["tensor"]) == list(floats)  # one row per float tensor
    for row in table.itertuples():
        kw, note = fitted_kwargs(floats[row.tensor].shape, {"bits": 3, "granularity": "channel"})
        assert row.mse == qv.quantize(floats[row.tensor], **kw).metrics["mse"]
        assert row.note == note
    bias = table.set_index("tensor").loc["encoder.layer.0.attention.self.query.bias"]
    assert bias["granularity"] == "tensor" and "needs a 2-D tensor" in bias["note"]
    assert any("embeddings.position_ids" in unescape(c.value) for c in at.caption)
    assert at.download_button(key="dl_model_table").label == "Whole-model table (CSV)"


def test_open_a_tensor_from_the_table(open_app):
    at = open_app(source="sample")
    name = "encoder.layer.0.attention.self.query.weight"
    at.selectbox(key="open_tensor").select(name)
    rerun(at)
    assert at.selectbox(key="tensor").value == name
    assert at.query_params["tensor"] == name
    assert shown(at) == expected(load_weights(SAMPLE)[name])


# ----------------------------------------------------------------- NaN / Inf --


def test_nan_and_inf_are_dropped_with_a_warning(small_app):
    at = small_app
    x = np.random.default_rng(5).normal(size=(16, 16)).astype(np.float32)
    x[0, 0], x[3, 4], x[9, 9] = np.nan, np.inf, -np.inf
    upload(at, "holes.npy", fx.npy_bytes(x))
    assert any("3 NaN/Inf values" in w.value for w in at.warning)
    values, dropped = qv.finite_values(x)
    assert dropped == 3
    assert shown(at) == expected(values)
    assert "nan" not in " ".join(shown(at).values()).lower()


# ------------------------------------------------------ the link (pure appstate) --


def test_link_round_trip_of_a_sample_tensor():
    from quantviz.appstate import Settings, code_snippet, parse_query, to_query

    s = Settings(source="sample", tensor="a.weight", bits=3, rounding="stochastic", seed=9)
    q = to_query(s)
    assert q["source"] == "sample" and q["tensor"] == "a.weight" and q["seed"] == "9"
    assert "dist" not in q and "n" not in q
    back, notes = parse_query(q)
    assert not notes
    assert (back.source, back.tensor, back.bits, back.seed) == ("sample", "a.weight", 3, 9)
    assert back.source_key() == ("sample", "minilm-l6", "a.weight")
    assert "load_weights('assets/minilm-l6-sample.safetensors')['a.weight']" in code_snippet(s)


def test_link_cannot_carry_a_file():
    from quantviz.appstate import Settings, parse_query, to_query

    q = to_query(Settings(source="file", tensor="w", file_id="abc"))
    assert q["source"] == "file" and "abc" not in q.values()
    s, notes = parse_query(q)
    assert s.source == "synthetic" and s.tensor is None
    assert any("upload it again" in n for n in notes)
    s, notes = parse_query({"source": "sample", "tensor": "x" * 501})
    assert s.tensor is None and notes
