"""The whole-model table: the same numbers as ``qv.quantize`` tensor by tensor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import quantviz as qv
from quantviz.io import load_weights
from quantviz.model_table import (
    COLUMNS,
    default_tensor,
    model_table,
    shape_text,
    table_kwargs,
)

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "minilm-l6-sample.safetensors"


@pytest.fixture(scope="module")
def minilm() -> dict[str, np.ndarray]:
    return load_weights(SAMPLE)


def tiny_model() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "w": rng.normal(size=(8, 16)).astype(np.float32),
        "bias": rng.normal(size=16).astype(np.float32),
        "ids": np.arange(5, dtype=np.int64),
        "mask": np.ones(3, dtype=bool),
        "empty": np.zeros((0, 4), np.float32),
        "odd": rng.normal(size=(4, 30)).astype(np.float32),
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bits": 8},
        {"bits": 4, "symmetric": True, "strategy": "percentile", "percentile": 99.0},
        {"bits": 3, "granularity": "channel", "axis": 0},
        {"bits": 6, "granularity": "group", "group_size": 128, "strategy": "mse"},
    ],
)
def test_numbers_equal_quantize_per_tensor(minilm, kwargs):
    table = model_table(minilm, **kwargs)
    floats = [name for name, x in minilm.items() if x.dtype.kind == "f"]
    assert list(table["tensor"]) == floats
    assert list(table.columns) == list(COLUMNS)
    for row in table.itertuples():
        x = minilm[row.tensor]
        kw, _ = table_kwargs(x.shape, kwargs)
        m = qv.quantize(x, **kw).metrics
        assert row.mse == m["mse"]
        assert row.sqnr_db == m["sqnr_db"]
        assert row.clipped_fraction == m["clipped_fraction"]
        assert row.size_bytes == m["size_bytes"]
        assert row.values == x.size
        assert row.shape == shape_text(x.shape)


def test_matrices_use_the_settings_as_given(minilm):
    table = model_table(minilm, bits=4, granularity="channel").set_index("tensor")
    name = "encoder.layer.0.intermediate.dense.weight"
    m = qv.quantize(minilm[name], bits=4, granularity="channel", axis=0).metrics
    assert table.loc[name, "mse"] == m["mse"]
    assert table.loc[name, "granularity"] == "channel"
    assert table.loc[name, "note"] == ""


def test_non_float_and_empty_tensors_are_left_out():
    table = model_table(tiny_model(), bits=8)
    assert list(table["tensor"]) == ["w", "bias", "odd"]


def test_fallbacks_are_reported():
    table = model_table(tiny_model(), bits=4, granularity="group", group_size=16).set_index(
        "tensor"
    )
    assert table.loc["w", "granularity"] == "group" and table.loc["w", "note"] == ""
    assert table.loc["bias", "granularity"] == "tensor"
    assert table.loc["bias", "note"] == (
        "Per-group quantization needs a tensor with rows (2-D or more); this one is 1-D, so it "
        "is quantized per tensor."
    )
    # 16 does not divide 30 columns: the nearest size that does, from below
    assert table.loc["odd", "granularity"] == "group"
    assert table.loc["odd", "note"] == (
        "Groups of 16 do not divide the last dimension (30); using groups of 15."
    )
    x = tiny_model()["bias"]
    assert table.loc["bias", "mse"] == qv.quantize(x, bits=4).metrics["mse"]


def test_axis_and_manual_fallbacks():
    kw, note = table_kwargs((4, 5), {"bits": 4, "granularity": "channel", "axis": 3})
    assert kw["axis"] == 0 and note == "The tensor has no axis 3; using axis 0."
    kw, note = table_kwargs((4, 5), {"bits": 4, "strategy": "manual", "low": -1, "high": 1})
    assert kw == {"bits": 4, "strategy": "minmax"}
    assert note == "Min-max: a manual range belongs to one tensor."
    kw, note = table_kwargs((4, 5), {"bits": 4, "granularity": "channel", "axis": 1})
    assert kw == {"bits": 4, "granularity": "channel", "axis": 1} and note == ""


def test_non_finite_values_are_dropped_and_counted():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    x[0, 0], x[2, 3] = np.nan, np.inf
    table = model_table({"x": x}, bits=4, granularity="channel")
    row = table.iloc[0]
    assert row["dropped"] == 2
    assert row["granularity"] == "tensor" and "2 NaN/Inf" in row["note"]
    values, _ = qv.finite_values(x)
    assert row["mse"] == qv.quantize(values, bits=4).metrics["mse"]


def test_empty_model_gives_an_empty_table():
    table = model_table({"ids": np.arange(3)}, bits=8)
    assert table.empty and list(table.columns) == list(COLUMNS)


def test_default_tensor(minilm):
    assert default_tensor(minilm) == "encoder.layer.0.intermediate.dense.weight"
    assert default_tensor({"a": np.zeros(3, np.float32), "b": np.zeros(9, np.float32)}) == "b"
    assert default_tensor({"ids": np.arange(4)}) is None
    # a matrix wins over a longer vector; ties go to the first
    m = {"v": np.zeros(100, np.float32), "m1": np.zeros((3, 3), np.float32)}
    m["m2"] = np.zeros((9, 1), np.float32)
    assert default_tensor(m) == "m1"
