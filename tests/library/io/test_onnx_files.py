"""Tests of quantviz.io, ONNX files: initializers, external data refused.

Files are written at test time by each format's own library (tests/io_fixtures.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from quantviz.io import (
    is_quantizable,
    read_weights,
)
from tests import io_fixtures as fx
from tests.conftest import require_module
from tests.library.io.helpers import randn, refused

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
