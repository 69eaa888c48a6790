"""Tests of quantviz.io, GGUF files: GGML blocks dequantized by gguf, hostile headers refused.

Files are written at test time by each format's own library (tests/io_fixtures.py).
"""

from __future__ import annotations

import struct
import sys
import time

import numpy as np
import pytest

from quantviz.io import (
    read_weights,
)
from tests import io_fixtures as fx
from tests.conftest import require_module
from tests.library.io.helpers import RNG, randn, refused

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
