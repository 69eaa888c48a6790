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
import tomllib
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
    sniff,
)
from quantviz.io._common import human_bytes, human_count
from tests import io_fixtures as fx
from tests.conftest import require_module
from tests.library.io.helpers import float32_exact, randn, refused

# ----------------------------------------------------------------------------------------
# The public surface
# ----------------------------------------------------------------------------------------


def test_limits_match_the_app_config():
    # One number, 200 MB of 10^6 bytes: the uploader in the browser refuses more than
    # 200,000,000 bytes (Streamlit 1.67's frontend counts MB as 10^6 bytes), and so does
    # the loader; .streamlit/config.toml says the same 200.
    config = tomllib.loads((Path(__file__).parents[3] / ".streamlit" / "config.toml").read_text())
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
