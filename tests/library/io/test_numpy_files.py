"""Tests of quantviz.io, NumPy .npy and .npz files: round trips, pickles refused, bombs.

Files are written at test time by each format's own library (tests/io_fixtures.py).
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from quantviz.io import (
    is_quantizable,
    load_weights,
    read_weights,
)
from tests import io_fixtures as fx
from tests.library.io.helpers import randn, refused

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
