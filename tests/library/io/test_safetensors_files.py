"""Tests of quantviz.io, safetensors files.

Files are written at test time by each format's own library (tests/io_fixtures.py).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from quantviz.io import (
    read_weights,
)
from tests import io_fixtures as fx
from tests.conftest import require_module
from tests.library.io.helpers import randn, refused

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
