"""Tests of quantviz.io: real files round-trip exactly, hostile files are refused.

Files are written at test time by each format's own library (tests/io_fixtures.py).
The PyTorch, ONNX, safetensors and GGUF tests skip when that library is missing
(and fail instead under QUANTVIZ_REQUIRE_ALL=1, see tests/conftest.py).
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys
import time
import tomllib
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from quantviz.errors import InputError
from quantviz.io import (
    MAX_ELEMENTS,
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    SUPPORTED_EXTENSIONS,
    is_quantizable,
    load_weights,
    read_weights,
    sniff,
)
from quantviz.io._common import human_bytes, human_count
from tests import io_fixtures as fx
from tests.conftest import require_module

RNG = np.random.default_rng(1234)


def randn(*shape: int, dtype: type = np.float32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def refused(data: bytes, filename: str, match: str = "", **limits: int) -> InputError:
    """Assert load_weights raises InputError naming the file; return the error."""
    with pytest.raises(InputError) as info:
        load_weights(data, filename, **limits)
    message = str(info.value)
    assert Path(filename).name in message, message
    assert match.lower() in message.lower(), message
    assert "\n" not in message
    return info.value


# ----------------------------------------------------------------------------------------
# The public surface
# ----------------------------------------------------------------------------------------


def test_limits_match_the_app_config():
    # One number, 200 MB of 10^6 bytes: the uploader in the browser refuses more than
    # 200,000,000 bytes (Streamlit 1.67's frontend counts MB as 10^6 bytes), and so does
    # the loader; .streamlit/config.toml says the same 200.
    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 200 == MAX_FILE_MB
    assert MAX_FILE_BYTES == 200_000_000
    assert MAX_ELEMENTS == 100_000_000


def test_a_file_over_the_limit_is_told_in_exact_bytes():
    data = fx.npy_bytes(np.zeros(10, np.float32))
    with pytest.raises(InputError) as err:
        load_weights(data, "w.npy", max_bytes=100)
    assert str(err.value) == (
        f"w.npy is {len(data):,} bytes or more, larger than the 100 bytes quantviz reads whole."
    )
    with pytest.raises(InputError) as err:
        load_weights(b"\0" * (200_000_001), "big.npy")
    assert str(err.value) == (
        "big.npy is 200,000,001 bytes or more, larger than the 200,000,000 bytes (200 MB) "
        "quantviz reads whole."
    )


def test_supported_extensions():
    assert set(SUPPORTED_EXTENSIONS) == {
        "safetensors",
        "pt",
        "pth",
        "bin",
        "onnx",
        "gguf",
        "npy",
        "npz",
        "csv",
        "txt",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.ones(3, np.float32), True),
        (np.ones(3, np.float16), True),
        (np.ones((2, 2)), True),
        (np.zeros(0, np.float32), False),
        (np.arange(3), False),
        (np.array([True, False]), False),
        (np.ones(2, np.complex64), False),
        ([1.0, 2.0], False),
    ],
)
def test_is_quantizable(value, expected):
    assert is_quantizable(value) is expected


# ----------------------------------------------------------------------------------------
# NumPy .npy / .npz
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arr",
    [
        randn(4, 5),
        randn(7, dtype=np.float16),
        randn(3, 2, 2, dtype=np.float64),
        np.asfortranarray(randn(3, 4)),
        randn(5).astype(">f4"),
        np.array(2.5, np.float32),
    ],
    ids=["f32", "f16", "f64", "fortran", "big-endian", "0-d"],
)
def test_npy_float_round_trip(arr):
    out = load_weights(fx.npy_bytes(arr), "layer1.weight.npy")
    assert list(out) == ["layer1.weight"]
    got = out["layer1.weight"]
    assert got.dtype == np.float32 and got.shape == arr.shape
    np.testing.assert_array_equal(got, arr.astype(np.float32))
    assert got.flags.writeable
    assert is_quantizable(got) is (arr.size > 0)


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.array([True, False]),
        np.arange(4, dtype=">i2"),
    ],
    ids=["int64", "bool", "big-endian-int16"],
)
def test_npy_non_float_keeps_its_dtype(arr):
    got = load_weights(fx.npy_bytes(arr), "ids.npy")["ids"]
    assert got.dtype == arr.dtype.newbyteorder("=")
    np.testing.assert_array_equal(got, arr)
    assert not is_quantizable(got)


def test_npy_nan_and_inf_are_returned_as_they_are():
    arr = np.array([1.0, np.nan, np.inf, -np.inf], np.float32)
    got = load_weights(fx.npy_bytes(arr), "w.npy")["w"]
    np.testing.assert_array_equal(got, arr)


def test_npy_empty_array_is_listed_not_quantizable():
    got = load_weights(fx.npy_bytes(np.zeros((0, 3), np.float32)), "e.npy")["e"]
    assert got.shape == (0, 3) and not is_quantizable(got)


@pytest.mark.parametrize("compressed", [False, True], ids=["savez", "savez_compressed"])
def test_npz_round_trip(compressed):
    arrays = {
        "conv.weight": randn(8, 3, 3, 3),
        "conv.bias": randn(8, dtype=np.float64),
        "half": randn(5, dtype=np.float16),
        "steps": np.array([3, 4], np.int32),
    }
    result = read_weights(fx.npz_bytes(arrays, compressed), "model.npz")
    assert list(result.tensors) == list(arrays)
    for name, arr in arrays.items():
        got = result.tensors[name]
        assert got.shape == arr.shape
        if arr.dtype.kind == "f":
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, arr.astype(np.float32))
        else:
            assert got.dtype == arr.dtype
            np.testing.assert_array_equal(got, arr)
    quantizable = {i.name: i.quantizable for i in result.infos}
    assert quantizable == {"conv.weight": True, "conv.bias": True, "half": True, "steps": False}
    assert result.format == "npz"


def test_npz_complex_member_is_skipped_and_listed():
    arrays = {"w": randn(3), "z": np.ones(2, np.complex64)}
    result = read_weights(fx.npz_bytes(arrays), "m.npz")
    assert list(result.tensors) == ["w"]
    assert [(i.name, i.loaded) for i in result.skipped] == [("z", False)]
    assert "complex" in result.skipped[0].note


def test_npz_with_only_complex_members_is_refused():
    refused(fx.npz_bytes({"z": np.ones(2, np.complex64)}), "c.npz", "no tensor quantviz can read")


def test_npz_zip_bomb_is_refused_before_decompressing():
    """100 MB of zeros compressed to ~100 KB: refused from its header, fast, in little memory."""
    zeros = np.zeros(100 * 2**20 // 8)  # float64
    data = fx.npz_bytes({"bomb": zeros}, compressed=True)
    del zeros
    assert len(data) < 200_000
    tracemalloc.start()
    start = time.perf_counter()
    try:
        refused(
            data,
            "bomb.npz",
            "would expand to 100.0 MB when decompressed, 1,027 times "
            "its size; quantviz reads archives that expand at most 32 times",
        )
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 5 * 2**20, f"peak {peak} bytes: the data was decompressed"


def test_npz_entry_shorter_than_its_header_is_refused():
    # A .npy header promising 10**6 values, followed by only 8 bytes of data.
    header = fx.npy_bytes(np.zeros(10**6))[:128]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("w.npy", header + b"\0" * 8)
    refused(buf.getvalue(), "short.npz", "truncated")


def test_npz_declaring_huge_uncompressed_size_is_refused():
    data = bytearray(fx.npz_bytes({"w": randn(4)}))
    # Patch the central directory's "uncompressed size" field of the one entry.
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 0xFFFFFFF0)
    refused(bytes(data), "huge.npz", max_elements=1000)


def test_npy_truncated_is_refused():
    data = fx.npy_bytes(randn(100))
    refused(data[:-4], "w.npy", "truncated")
    refused(data[:20], "w.npy", "is truncated: it ends inside its header")


def test_npy_format_version_3_is_refused():
    data = bytearray(fx.npy_bytes(randn(3)))
    data[6] = 3
    refused(bytes(data), "w.npy", "version 3")


# ----------------------------------------------------------------------------------------
# CSV / text
# ----------------------------------------------------------------------------------------


def float32_exact(*shape: int) -> np.ndarray:
    """float64 values that are exactly float32 numbers (so text round trips are exact)."""
    return randn(*shape).astype(np.float64)


def test_csv_round_trip_2d():
    arr = float32_exact(5, 3)
    got = load_weights(fx.csv_bytes(arr), "table.csv")["table"]
    assert got.dtype == np.float32 and got.shape == (5, 3)
    np.testing.assert_array_equal(got, arr.astype(np.float32))


def test_txt_whitespace_round_trip():
    arr = float32_exact(4, 6)
    got = load_weights(fx.csv_bytes(arr, delimiter=" "), "w.txt")["w"]
    np.testing.assert_array_equal(got, arr.astype(np.float32))


@pytest.mark.parametrize("shape", [(7, 1), (1, 7)], ids=["column", "row"])
def test_csv_single_column_or_row_is_1d(shape):
    arr = float32_exact(*shape)
    got = load_weights(fx.csv_bytes(arr), "v.csv")["v"]
    assert got.shape == (7,)
    np.testing.assert_array_equal(got, arr.ravel().astype(np.float32))


def test_csv_header_and_comments_are_skipped():
    text = b"w0,w1\n# a comment\n\n1.5, -2\n3,4e-3\n"
    got = load_weights(text, "h.csv")["h"]
    np.testing.assert_array_equal(got, np.array([[1.5, -2], [3, 4e-3]], np.float32))


def test_csv_header_written_by_savetxt():
    arr = float32_exact(3, 2)
    got = load_weights(fx.csv_bytes(arr, header="a,b"), "t.csv")["t"]
    np.testing.assert_array_equal(got, arr.astype(np.float32))


def test_csv_nan_is_read_as_nan():
    got = load_weights(b"1,nan\ninf,2\n", "n.csv")["n"]
    assert np.isnan(got[0, 1]) and np.isinf(got[1, 0])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"1,2\n3,abc\n", "'abc' at line 2, column 2"),
        (b"a,b\n1,2\n3,x\n", "'x' at line 3, column 2"),
        (b"1,2,\n", "empty cell at line 1, column 3"),
        (b"1 2\n3 4 5\n", "line 2 has 3 values"),
        (b"", "is empty"),
        (b"\n\n# only a comment\n", "no numbers"),
        (b"just,a,header\n", "header line but no numbers"),
        (b"1,2\x00,3\n", "binary"),
        (b"\xff\xfe1,2\n", "not UTF-8"),
    ],
)
def test_csv_problems_are_explained(text, match):
    refused(text, "bad.csv", match)


def test_csv_line_cap(monkeypatch):
    from quantviz.io import text_files

    monkeypatch.setattr(text_files, "MAX_TEXT_LINES", 10)
    refused(b"1\n" * 20, "long.txt", "more than 10 lines")


def test_csv_element_cap():
    refused(b"1,2,3\n" * 10, "big.csv", "more than the 29", max_elements=29)


# ----------------------------------------------------------------------------------------
# safetensors
# ----------------------------------------------------------------------------------------


def test_safetensors_numpy_round_trip():
    require_module("safetensors", "safetensors.numpy.save writes the fixture")
    from safetensors.numpy import load as st_load

    arrays = {
        "embed": randn(10, 4),
        "half": randn(3, 3, dtype=np.float16),
        "double": randn(2, dtype=np.float64),
        "ids": np.arange(5, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "bytes": np.arange(4, dtype=np.uint8),
        "scalar": np.array(1.5, np.float32),
        "empty": np.zeros((0, 2), np.float32),
    }
    data = fx.safetensors_numpy_bytes(arrays)
    result = read_weights(data, "model.safetensors")
    reference = st_load(data)  # the library's own reading
    assert set(result.tensors) == set(arrays)
    for name, arr in arrays.items():
        got = result.tensors[name]
        assert got.shape == arr.shape
        expected = arr.astype(np.float32) if arr.dtype.kind == "f" else arr
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(got, reference[name].astype(got.dtype))
    assert not result.skipped


def test_safetensors_bf16_and_f16_from_torch():
    torch = require_module("torch", "safetensors.torch writes the BF16 fixture")
    require_module("safetensors", "safetensors.torch.save writes the fixture")
    tensors = {
        "w.bf16": torch.randn(4, 8).to(torch.bfloat16),
        "w.f16": torch.randn(3).to(torch.float16),
        "w.f32": torch.randn(2, 2),
    }
    result = read_weights(fx.safetensors_torch_bytes(tensors), "m.safetensors")
    for name, t in tensors.items():
        got = result.tensors[name]
        assert got.dtype == np.float32 and got.shape == tuple(t.shape)
        np.testing.assert_array_equal(got, t.float().numpy())
    stored = {i.name: i.stored_as for i in result.infos}
    assert stored == {"w.bf16": "BF16", "w.f16": "F16", "w.f32": "F32"}


def safetensors_raw(header: dict, body: bytes, header_len: int | None = None) -> bytes:
    """Build a safetensors file by hand (possibly lying about the header length)."""
    text = __import__("json").dumps(header).encode()
    n = len(text) if header_len is None else header_len
    return struct.pack("<Q", n) + text + body


DUPLICATE_KEY_HEADER = b'{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":1}'


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            safetensors_raw(
                {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8
            ),
            "should end 16 bytes into the data, but the file holds only 8 bytes",
        ),
        (
            safetensors_raw(
                {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8000000]}}, b"\0" * 8
            ),
            "should take 8 bytes, not 7.6 MB",
        ),
        (
            safetensors_raw(
                {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8
            )[:12],
            "announce a header of 61 bytes, but the whole file is 12 bytes",
        ),
        (struct.pack("<Q", 2**62) + b"{}" + b"\0" * 32, "announce a header of 4.0 EB, more than"),
        (
            struct.pack("<Q", 10**6) + b'{"a": 1}',
            "announce a header of 976.6 KB, but the whole file is 16 bytes",
        ),
        (
            safetensors_raw(
                {
                    "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
                },
                b"\0" * 12,
            ),
            "overlap",
        ),
        (
            safetensors_raw(
                {"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8
            ),
            "should take 12 bytes",
        ),
        (
            safetensors_raw(
                {"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}}, b"\0" * 8
            ),
            "malformed",
        ),
        (
            safetensors_raw(
                {"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8
            ),
            "ends before it begins",
        ),
        (
            safetensors_raw(
                {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8
            ),
            "no tensor uses",
        ),
        (struct.pack("<Q", 5) + b'{"a":' + b"\0" * 4, "corrupt safetensors header"),
        (struct.pack("<Q", 5) + b"[1,2]", "is not a safetensors file"),
        (
            struct.pack("<Q", len(DUPLICATE_KEY_HEADER)) + DUPLICATE_KEY_HEADER + b"\0" * 4,
            "appears twice",
        ),
    ],
    ids=[
        "offsets-past-end",
        "offsets-far-outside",
        "truncated",
        "absurd-header-length",
        "header-longer-than-file",
        "overlap",
        "byte-count-mismatch",
        "negative-dim",
        "reversed-offsets",
        "gap",
        "bad-json",
        "not-an-object",
        "duplicate-key",
    ],
)
def test_safetensors_hostile_headers(data, match):
    refused(data, "evil.safetensors", match)


def test_safetensors_unknown_dtype_is_skipped():
    data = safetensors_raw(
        {
            "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
            "b": {"dtype": "F4", "shape": [2], "data_offsets": [4, 5]},
        },
        struct.pack("<f", 1.0) + b"\x12",
    )
    result = read_weights(data, "m.safetensors")
    assert list(result.tensors) == ["a"]
    assert "F4" in result.skipped[0].note


# ----------------------------------------------------------------------------------------
# PyTorch
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return require_module("torch", "reading PyTorch checkpoints needs torch")


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_state_dict_round_trip(torch, legacy):
    sd = {
        "encoder": {
            "weight": torch.randn(4, 3),
            "bias": torch.randn(4).to(torch.bfloat16),
            "inner": {"scale": torch.randn(2).to(torch.float16)},
        },
        "head.weight": torch.randn(2, 4, dtype=torch.float64),
        "position_ids": torch.arange(6).reshape(1, 6),
        "mask": torch.tensor([True, False]),
        "transposed": torch.randn(3, 5).t(),
    }
    result = read_weights(fx.torch_bytes(sd, legacy), "model.pt")
    expected = {
        "encoder.weight": sd["encoder"]["weight"],
        "encoder.bias": sd["encoder"]["bias"],
        "encoder.inner.scale": sd["encoder"]["inner"]["scale"],
        "head.weight": sd["head.weight"],
        "position_ids": sd["position_ids"],
        "mask": sd["mask"],
        "transposed": sd["transposed"],
    }
    assert list(result.tensors) == list(expected)
    for name, t in expected.items():
        got = result.tensors[name]
        assert got.shape == tuple(t.shape)
        if t.dtype.is_floating_point:
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, t.float().numpy())
        else:
            np.testing.assert_array_equal(got, t.numpy())
            assert got.dtype == t.numpy().dtype
    quantizable = {i.name: i.quantizable for i in result.infos}
    assert quantizable["position_ids"] is False and quantizable["mask"] is False
    assert quantizable["encoder.bias"] is True
    stored = {i.name: i.stored_as for i in result.infos}
    assert stored["encoder.bias"] == "torch.bfloat16"


def test_torch_real_module_state_dict(torch):
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    sd = model.state_dict()
    out = load_weights(fx.torch_bytes(sd), "pytorch_model.bin")
    assert list(out) == list(sd)
    assert out["1.num_batches_tracked"].dtype == np.int64
    np.testing.assert_array_equal(out["0.weight"], sd["0.weight"].numpy())


@pytest.mark.parametrize("key", ["state_dict", "model", "model_state_dict"])
def test_torch_training_checkpoint_is_unwrapped(torch, key):
    ckpt = {
        "epoch": 3,
        key: {"fc.weight": torch.randn(2, 2)},
        "optimizer": {"state": {0: {"exp_avg": torch.zeros(2, 2)}}},
    }
    out = load_weights(fx.torch_bytes(ckpt), "ckpt.pth")
    assert list(out) == ["fc.weight"]


def test_torch_single_tensor_and_list(torch):
    t = torch.randn(3, 2)
    single = load_weights(fx.torch_bytes(t), "emb.pt")
    assert list(single) == ["emb"]
    np.testing.assert_array_equal(single["emb"], t.numpy())
    many = load_weights(fx.torch_bytes([t, torch.ones(2)]), "l.pt")
    assert list(many) == ["0", "1"]


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated:UserWarning")  # torch's own loader
def test_torch_quantized_tensor_is_dequantized(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quantized tensors are deprecated in PyTorch 2.13
        q = torch.quantize_per_tensor(torch.randn(8), scale=0.1, zero_point=3, dtype=torch.qint8)
    result = read_weights(fx.torch_bytes({"q": q}), "q.pt")
    np.testing.assert_array_equal(result.tensors["q"], q.dequantize().numpy())
    assert "dequantized" in result.infos[0].note


def test_torch_complex_and_sparse_are_skipped(torch):
    sd = {
        "w": torch.ones(2),
        "c": torch.ones(2, dtype=torch.complex64),
        "s": torch.eye(3).to_sparse(),
    }
    result = read_weights(fx.torch_bytes(sd), "m.pt")
    assert list(result.tensors) == ["w"]
    assert {i.name for i in result.skipped} == {"c", "s"}


def test_torch_tied_weights_do_not_share_memory(torch):
    shared = torch.randn(4, 3)
    sd = {"embed.weight": shared, "lm_head.weight": shared, "row": shared[1]}
    out = load_weights(fx.torch_bytes(sd), "tied.pt")
    np.testing.assert_array_equal(out["lm_head.weight"], shared.numpy())
    np.testing.assert_array_equal(out["row"], shared[1].numpy())
    arrays = list(out.values())
    for i, a in enumerate(arrays):
        assert a.flags.writeable
        for b in arrays[i + 1 :]:
            assert not np.shares_memory(a, b)


def test_torch_duplicate_flattened_names_are_kept_apart(torch):
    sd = {"a.b": torch.ones(1), "a": {"b": torch.zeros(1)}}
    out = load_weights(fx.torch_bytes(sd), "d.pt")
    assert list(out) == ["a.b", "a.b (2)"]


def test_torch_expanded_tensor_counts_all_its_elements(torch):
    """A stride-0 view of one stored value claims 10**12 elements: refused before copying."""
    huge = torch.zeros(1).expand(10**6, 10**6)
    data = fx.torch_bytes({"huge": huge})
    assert len(data) < 10_000
    refused(data, "expand.pt", "holds 1 trillion values, more than the 100,000,000")


def test_torch_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    data = b"PK\x05\x06" + b"\0" * 18  # an empty ZIP archive
    with pytest.raises(InputError, match=r"needs PyTorch: pip install 'quantviz\[torch\]'"):
        load_weights(data, "m.pt")


# --- hostile pickles ---------------------------------------------------------------------


def test_payloads_are_live(tmp_path):
    """Control: the payloads below really create their file when unpickled carelessly."""
    for payload in (fx.FileCreator, fx.CommandRunner):
        target = tmp_path / f"control-{payload.__name__}"
        result = pickle.loads(pickle.dumps(payload(target)))
        if hasattr(result, "close"):
            result.close()
        assert target.exists()


def hostile_files(target: Path) -> dict[str, bytes]:
    """Files whose loading would create ``target`` if anything ran their code."""
    files = {
        "object.npy": fx.npy_bytes(np.array([fx.FileCreator(target)], dtype=object), True),
        "object.npz": fx.npz_bytes({"a": np.array([fx.CommandRunner(target)], dtype=object)}),
        "raw-pickle.pt": fx.plain_pickle({"w": fx.FileCreator(target)}),
        "raw-pickle.bin": fx.plain_pickle(fx.CommandRunner(target)),
    }
    try:
        import torch
    except ImportError:
        return files
    files["zip-open.pt"] = fx.torch_bytes({"w": torch.ones(2), "x": fx.FileCreator(target)})
    files["zip-system.pth"] = fx.torch_bytes({"x": fx.CommandRunner(target)})
    files["legacy-system.pt"] = fx.torch_bytes({"x": fx.CommandRunner(target)}, legacy=True)
    return files


@pytest.mark.parametrize(
    "name",
    [
        "object.npy",
        "object.npz",
        "raw-pickle.pt",
        "raw-pickle.bin",
        "zip-open.pt",
        "zip-system.pth",
        "legacy-system.pt",
    ],
)
def test_hostile_pickles_are_refused_and_never_run(tmp_path, name):
    target = tmp_path / "pwned"
    files = hostile_files(target)
    if name not in files:
        require_module("torch", "torch.save writes this checkpoint")
    err = refused(files[name], name, "safety")
    assert not target.exists()
    if name.startswith(("zip", "legacy")):
        assert "Python objects other than tensors" in str(err)


def test_torchscript_archive_is_refused(torch):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated in PyTorch 2.13
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buf)
    refused(buf.getvalue(), "scripted.pt", "TorchScript")


def test_torch_zip_bomb_is_refused(torch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({}))
        zf.writestr("archive/data/0", b"\0" * (4 * 2**20))
    refused(buf.getvalue(), "bomb.pt", "would expand", max_bytes=2**20)


# ----------------------------------------------------------------------------------------
# ONNX
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx():
    return require_module("onnx", "reading ONNX models needs the onnx package")


def test_onnx_round_trip(onnx):
    from onnx import TensorProto, helper

    arrays = {
        "fc.weight": randn(3, 4),
        "fc.bias": randn(3, dtype=np.float16),
        "shape": np.array([1, -1], np.int64),
        "double": randn(2, dtype=np.float64),
    }
    model = onnx.load_model_from_string(fx.onnx_bytes(arrays))
    bf16_values = [1.0, -2.5, 3.140625]
    model.graph.initializer.append(
        helper.make_tensor("bf16", TensorProto.BFLOAT16, [3], np.array(bf16_values, np.float32))
    )
    model.graph.initializer.append(helper.make_tensor("s", TensorProto.STRING, [1], [b"x"]))
    result = read_weights(model.SerializeToString(), "model.onnx")
    for name, arr in arrays.items():
        got = result.tensors[name]
        assert got.shape == arr.shape
        if arr.dtype.kind == "f":
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, arr.astype(np.float32))
        else:
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, arr)
    np.testing.assert_array_equal(result.tensors["bf16"], np.array(bf16_values, np.float32))
    assert [i.name for i in result.skipped] == ["s"]
    assert not is_quantizable(result.tensors["shape"])


def test_onnx_external_data_is_refused(onnx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative external path would resolve here
    data = fx.onnx_bytes({"w": randn(4)}, external=("w",))
    refused(data, "big.onnx", "external data")


def test_onnx_without_graph_is_refused(onnx):
    refused(onnx.ModelProto(ir_version=8).SerializeToString(), "nograph.onnx", "no graph")


def test_onnx_size_mismatch_is_refused(onnx):
    from onnx import TensorProto

    model = onnx.load_model_from_string(fx.onnx_bytes({"w": randn(4)}))
    bad = TensorProto(name="bad", data_type=TensorProto.FLOAT, dims=[5], raw_data=b"\0" * 8)
    model.graph.initializer.append(bad)
    refused(model.SerializeToString(), "m.onnx", "'bad' cannot be decoded")


def test_onnx_huge_declared_dims_are_refused(onnx):
    from onnx import TensorProto

    model = onnx.load_model_from_string(fx.onnx_bytes({"w": randn(4)}))
    huge = TensorProto(name="huge", data_type=TensorProto.FLOAT, dims=[10**6, 10**6])
    model.graph.initializer.append(huge)
    refused(model.SerializeToString(), "m.onnx", "values, more than")


# ----------------------------------------------------------------------------------------
# GGUF
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gguf():
    return require_module("gguf", "GGUF fixtures are written with gguf.GGUFWriter")


def test_gguf_round_trip(gguf, tmp_path):
    f32 = randn(4, 64)
    f16 = randn(2, 32)
    q8 = randn(4, 64)
    q4k_blocks = RNG.integers(0, 256, (2, 144), dtype=np.uint8)  # two raw Q4_K rows
    tensors = {
        "blk.0.attn.weight": (f32, "F32"),
        "blk.0.ffn.weight": (f16, "F16"),
        "blk.0.bf16": (randn(3, 8), "BF16"),
        "blk.0.q8": (q8, "Q8_0"),
        "blk.0.q4k": (q4k_blocks, "Q4_K"),
        "positions": (np.arange(6).reshape(2, 3), "I32"),
    }
    data = fx.gguf_bytes(tensors)
    result = read_weights(data, "tiny.gguf")
    assert list(result.tensors) == list(tensors)
    np.testing.assert_array_equal(result.tensors["blk.0.attn.weight"], f32)
    np.testing.assert_array_equal(
        result.tensors["blk.0.ffn.weight"], f16.astype(np.float16).astype(np.float32)
    )
    assert result.tensors["positions"].dtype == np.int32
    assert result.tensors["blk.0.q4k"].shape == (2, 256)
    q8_expected = gguf.quants.dequantize(
        gguf.quants.quantize(q8, gguf.GGMLQuantizationType.Q8_0), 8
    )
    np.testing.assert_array_equal(result.tensors["blk.0.q8"], q8_expected)
    assert {i.name: i.stored_as for i in result.infos}["blk.0.q8"] == "Q8_0"

    # Cross-check every tensor against the gguf package's own reader.
    path = tmp_path / "tiny.gguf"
    path.write_bytes(data)
    for t in gguf.GGUFReader(path).tensors:
        ref = t.data
        if t.tensor_type.name not in ("I32", "F32"):
            ref = gguf.quants.dequantize(t.data, t.tensor_type)
        got = result.tensors[t.name]
        assert got.shape == ref.shape
        np.testing.assert_array_equal(got, np.asarray(ref).astype(got.dtype))


def test_gguf_unimplemented_block_type_is_skipped(gguf):
    raw = RNG.integers(0, 256, (2, 40), dtype=np.uint8)  # Q8_1: 32 values in 40 bytes
    result = read_weights(fx.gguf_bytes({"w": (randn(2, 32), "F32"), "q": (raw, "Q8_1")}), "m.gguf")
    assert list(result.tensors) == ["w"]
    assert "cannot dequantize" in result.skipped[0].note


def test_gguf_without_the_gguf_package(gguf, monkeypatch):
    data = fx.gguf_bytes({"w": (randn(2, 32), "F32"), "q": (randn(2, 32), "Q8_0")})
    monkeypatch.setitem(sys.modules, "gguf", None)
    monkeypatch.setitem(sys.modules, "gguf.constants", None)
    monkeypatch.setitem(sys.modules, "gguf.quants", None)
    result = read_weights(data, "m.gguf")
    assert list(result.tensors) == ["w"]
    assert "pip install gguf" in result.skipped[0].note


def gguf_header(version: int = 3, n_tensors: int = 0, n_kv: int = 1) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        # 37 bytes announcing an array of 2**62 uint8 (gguf.GGUFReader loops forever on it).
        (gguf_header() + struct.pack("<Q", 1) + b"a" + struct.pack("<IIQ", 9, 0, 2**62), "past"),
        (
            gguf_header() + struct.pack("<Q", 1) + b"a" + struct.pack("<IIQ", 9, 8, 2**62),
            "announces",
        ),
        (gguf_header(n_kv=2**60), "announces over a thousand trillion metadata entries"),
        (gguf_header(n_tensors=2**40, n_kv=0), "tensors"),
        (gguf_header(version=1), "version 1"),
        (b"GGUF" + struct.pack(">IQQ", 3, 0, 0), "big-endian"),
        (gguf_header() + struct.pack("<Q", 1) + b"a" + struct.pack("<I", 99), "unknown"),
        (gguf_header(n_kv=0), "no tensors"),
        (
            gguf_header(n_tensors=1, n_kv=0)
            + struct.pack("<Q", 1)
            + b"w"
            + struct.pack("<IQQIQ", 2, 64, 10**9, 0, 0),
            "values, more than",
        ),
        (
            gguf_header(n_tensors=1, n_kv=0)
            + struct.pack("<Q", 1)
            + b"w"
            + struct.pack("<IQIQ", 1, 8, 0, 0),
            "runs past the end",
        ),
        (
            gguf_header(n_tensors=1, n_kv=0)
            + struct.pack("<Q", 1)
            + b"w"
            + struct.pack("<IQIQ", 5, 8, 0, 0),
            "dimensions",
        ),
        (
            gguf_header(n_tensors=1, n_kv=0)
            + struct.pack("<Q", 1)
            + b"w"
            + struct.pack("<IQIQ", 1, 1, 0, 4)
            + b"\0" * 64,
            "not aligned",
        ),
        (
            gguf_header(n_tensors=1, n_kv=0)
            + struct.pack("<Q", 1)
            + b"w"
            + struct.pack("<IQIQ", 1, 33, 8, 0)
            + b"\0" * 128,
            "block size 32",
        ),
    ],
    ids=[
        "huge-u8-array",
        "huge-string-array",
        "huge-kv-count",
        "huge-tensor-count",
        "version-1",
        "big-endian",
        "unknown-value-type",
        "no-tensors",
        "too-many-values",
        "data-past-end",
        "five-dims",
        "misaligned",
        "partial-block",
    ],
)
def test_gguf_hostile_headers(data, match):
    start = time.perf_counter()
    refused(data, "evil.gguf", match)
    assert time.perf_counter() - start < 1.0


# ----------------------------------------------------------------------------------------
# Every format: empty, truncated, misnamed, too large
# ----------------------------------------------------------------------------------------


def valid_files() -> dict[str, bytes]:
    """One small valid file per format whose library is installed, by file name."""
    files = {
        "w.npy": fx.npy_bytes(randn(8, 8)),
        "w.npz": fx.npz_bytes({"a": randn(8, 8), "b": randn(4)}, compressed=True),
        "w.csv": fx.csv_bytes(float32_exact(8, 4)),
    }
    for module, name, make in [
        ("safetensors", "w.safetensors", lambda: fx.safetensors_numpy_bytes({"a": randn(8, 8)})),
        ("torch", "w.pt", lambda: fx.torch_bytes({"a": __import__("torch").randn(8, 8)})),
        ("onnx", "w.onnx", lambda: fx.onnx_bytes({"a": randn(8, 8)})),
        ("gguf", "w.gguf", lambda: fx.gguf_bytes({"a": (randn(8, 32), "F32")})),
    ]:
        try:
            __import__(module)
        except ImportError:
            continue
        files[name] = make()
    return files


VALID = valid_files()


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_format_loads_its_valid_file(name):
    out = load_weights(VALID[name], name)
    assert out and all(is_quantizable(a) for a in out.values())
    # Fresh, writable arrays: nothing keeps a view into the file's bytes.
    assert all(a.flags.writeable for a in out.values())


@pytest.mark.parametrize("ext", SUPPORTED_EXTENSIONS)
def test_empty_files_are_refused(ext):
    refused(b"", f"empty.{ext}", "is empty")


@pytest.mark.parametrize("name", sorted(set(VALID) - {"w.csv"}))
def test_truncated_files_are_refused(name):
    data = VALID[name]
    for cut in (1, 7, 8, 9, 20, len(data) // 2, len(data) - 1):
        refused(data[:cut], name)


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_byte_flips_give_input_error_or_a_result(name):
    data = VALID[name]
    rng = np.random.default_rng(7)
    for _ in range(40):
        corrupt = bytearray(data)
        for pos in rng.integers(0, len(data), size=3):
            corrupt[pos] ^= 1 << int(rng.integers(0, 8))
        try:
            load_weights(bytes(corrupt), name)
        except InputError as err:
            assert name in str(err)


@pytest.mark.parametrize("source", sorted(VALID))
@pytest.mark.parametrize("target", sorted(VALID))
def test_misnamed_files_are_refused(source, target):
    src_ext, dst_ext = source.split(".")[1], target.split(".")[1]
    if src_ext == dst_ext:
        return
    name = f"renamed.{dst_ext}"
    err = refused(VALID[source], name)
    if src_ext not in ("csv", "onnx") and dst_ext != "onnx":
        # Formats with magic bytes are named in the message.
        assert "looks like" in str(err) or "not " in str(err), str(err)


def test_misnamed_message_says_what_the_file_is():
    torch = require_module("torch", "torch.save writes the fixture")
    data = fx.torch_bytes({"w": torch.ones(2)})
    refused(data, "model.npy", "is not a NumPy .npy file (it looks like a PyTorch checkpoint)")
    refused(fx.npz_bytes({"a": randn(2)}), "model.safetensors", "looks like a NumPy .npz archive")


@pytest.mark.parametrize("name", sorted(VALID))
def test_files_over_the_byte_limit_are_refused(name):
    data = VALID[name]
    refused(data, name, "larger than", max_bytes=len(data) - 1)
    load_weights(data, name, max_bytes=len(data))


@pytest.mark.parametrize("name", sorted(VALID))
def test_files_over_the_element_limit_are_refused(name):
    refused(VALID[name], name, "values, more than", max_elements=10)


# ----------------------------------------------------------------------------------------
# Sources: bytes, paths, open files; names are never paths
# ----------------------------------------------------------------------------------------


def test_load_from_path_and_file_object(tmp_path):
    arr = randn(3, 3)
    path = tmp_path / "weights.npy"
    path.write_bytes(fx.npy_bytes(arr))
    np.testing.assert_array_equal(load_weights(path)["weights"], arr)
    np.testing.assert_array_equal(load_weights(str(path))["weights"], arr)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(load_weights(f)["weights"], arr)
    upload = io.BytesIO(path.read_bytes())  # what Streamlit's UploadedFile is
    upload.name = "upload.npy"
    upload.read()  # the position at the end does not matter
    np.testing.assert_array_equal(load_weights(upload)["upload"], arr)
    with open(path) as text_mode, pytest.raises(InputError, match="binary mode"):
        load_weights(text_mode, "t.npy")
    np.testing.assert_array_equal(load_weights(bytearray(path.read_bytes()), "x.npy")["x"], arr)


def test_path_problems(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_weights(tmp_path / "missing.npy")
    big = tmp_path / "big.npy"
    big.write_bytes(fx.npy_bytes(randn(1000)))
    with pytest.raises(InputError, match=r"big\.npy is .* larger than"):
        load_weights(big, max_bytes=100)
    with pytest.raises(InputError, match="folder"):
        load_weights(tmp_path, "dir.npy")


def test_filename_is_only_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.npy").write_bytes(fx.npy_bytes(randn(2)))
    data = fx.npy_bytes(np.arange(3.0))
    out = load_weights(data, "../../secret.npy")
    assert list(out) == ["secret"]
    np.testing.assert_array_equal(out["secret"], np.arange(3.0))  # the bytes, not the file
    with pytest.raises(InputError) as info:
        load_weights(b"", "/etc/\x1b[31mevil\nname.npy")
    assert "\x1b" not in str(info.value) and "\n" not in str(info.value)
    assert "/etc" not in str(info.value)


@pytest.mark.parametrize(
    ("filename", "match"),
    [
        ("weights", "no file extension"),
        ("weights.h5", ".h5 files are not supported"),
        (None, "The file has no file extension"),
    ],
)
def test_unknown_extensions(filename, match):
    with pytest.raises(InputError, match=match):
        load_weights(fx.npy_bytes(randn(2)), filename)


def test_wrong_source_type():
    with pytest.raises(InputError, match="needs a path, bytes"):
        load_weights(12345, "x.npy")  # type: ignore[arg-type]


def test_sniff_recognises_formats():
    assert sniff(b"") == "empty"
    assert sniff(VALID["w.npy"]) == "npy"
    assert sniff(VALID["w.npz"]) == "npz"
    assert sniff(VALID["w.csv"]) == "text"
    if "w.safetensors" in VALID:
        assert sniff(VALID["w.safetensors"]) == "safetensors"
    if "w.pt" in VALID:
        assert sniff(VALID["w.pt"]) == "torch-zip"
    if "w.gguf" in VALID:
        assert sniff(VALID["w.gguf"]) == "gguf"
    assert sniff(pickle.dumps({"a": 1})) == "pickle"
    assert sniff(os.urandom(0)) == "empty"


# ----------------------------------------------------------------------------------------
# Messages a student can read
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_bytes", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (12, "12 bytes"),
        (1023, "1023 bytes"),
        (3500, "3.4 KB"),
        (95_420_416, "91.0 MB"),
        (200 * 2**20, "200.0 MB"),
        (2**63, "8.0 EB"),
        (2**64 - 1, "16.0 EB"),
        (2**93, "over a billion terabytes"),
    ],
)
def test_byte_counts_are_shown_in_human_units(n_bytes, text):
    assert human_bytes(n_bytes) == text


def test_counts_are_shown_in_words_when_absurd():
    assert human_count(123_456_789) == "123,456,789"
    assert human_count(2_198_956_146_816) == "2.2 trillion"
    assert human_count(13_952_320_517_471_203_726) == "over a thousand trillion"


def test_a_19_digit_header_length_is_shown_as_a_size():
    # The first 8 bytes of a safetensors file give its header's length; here
    # 9,234,987,234,987,234,987 bytes, which the message must not print as digits.
    data = struct.pack("<Q", 9_234_987_234_987_234_987) + b'{"a": 1}' + b"\0" * 30
    err = refused(data, "model.safetensors", "announce a header of 8.0 EB")
    assert "the whole file is 46 bytes" in str(err)
    assert not any(
        len(run) >= 10
        for run in "".join(c if c.isdigit() else " " for c in str(err).replace(",", "")).split()
    )
