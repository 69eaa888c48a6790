"""The whole-model table: the same numbers as ``qv.quantize`` tensor by tensor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantviz as qv
from quantviz.io import load_weights
from quantviz.model_table import (
    COLUMNS,
    default_tensor,
    model_table,
    model_totals,
    shape_text,
    table_kwargs,
)

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "minilm-l6-sample.safetensors"


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


# --- number formats (issue 9) ------------------------------------------------------------


def block_model() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {
        "w": rng.normal(size=(4, 64)).astype(np.float32),
        "b": rng.normal(size=30).astype(np.float32),
        "s": np.array(2.0, np.float32),
    }


def test_a_block_format_takes_the_tensors_it_can_and_keeps_the_others_in_float32():
    m = block_model()
    table = model_table(m, format="q4_0").set_index("tensor")
    assert list(table["format"]) == ["q4_0", "float32", "float32"]
    w = table.loc["w"]
    assert w["granularity"] == "group" and w["note"] == ""
    assert w["bits_per_weight"] == 4.5  # 32 four-bit values and one fp16 scale per block
    assert w["size_bytes"] == 144  # 8 blocks of 18 bytes
    assert w["mse"] == pytest.approx(0.007842, rel=1e-3)
    b = table.loc["b"]
    assert b["note"] == (
        "Kept in float32 (not quantized): q4_0 stores blocks of 32 values and the last "
        "dimension is 30."
    )
    assert (b["mse"], b["sqnr_db"], b["bits_per_weight"], b["size_bytes"]) == (
        0.0, float("inf"), 32.0, 120,
    )  # fmt: skip
    assert table.loc["s", "note"].endswith("the last dimension is 1.")


def test_totals_count_the_kept_tensors_at_32_bits():
    totals = model_totals(model_table(block_model(), format="q4_0"))
    assert totals["tensors"] == 3 and totals["kept"] == 2
    assert totals["values"] == 256 + 30 + 1
    assert totals["size_bytes"] == 144 + 120 + 4
    assert totals["float32_bytes"] == 4 * 287
    assert totals["bits_per_weight"] == pytest.approx(8 * 268 / 287)
    assert totals["median_sqnr_db"] == pytest.approx(20.3001, abs=1e-3)  # w's: the only one
    assert totals["compression"] == pytest.approx(1148 / 268)


def test_a_granularity_a_block_format_cannot_take_is_noted():
    table = model_table(block_model(), format="q4_0", granularity="channel")
    assert table.loc[0, "note"] == (
        "q4_0 stores blocks of 32 consecutive values; it takes no other granularity or group size."
    )


def test_nf4_on_the_sample(minilm):
    table = model_table(minilm, format="nf4")
    assert set(table["format"]) == {"nf4"} and set(table["granularity"]) == {"group"}
    for row in table.itertuples():
        m = qv.quantize(minilm[row.tensor], format="nf4", granularity="group", group_size=64)
        assert row.mse == m.metrics["mse"] and row.bits_per_weight == m.metrics["bits_per_weight"]


def test_the_integer_grid_names_its_bits():
    assert list(model_table(tiny_model(), bits=3)["format"]) == ["int3", "int3", "int3"]


def test_an_unknown_format_is_refused():
    with pytest.raises(qv.InputError, match=r"^format must be one of fp8_e4m3, "):
        model_table(tiny_model(), format="q5")


# --- one tensor at a time, with progress ---------------------------------------------------


def test_progress_is_reported_before_each_tensor_and_at_the_end():
    calls = []
    model = {"w": tiny_model()["w"], "ids": np.arange(3), "b": tiny_model()["bias"]}
    model_table(model, bits=8, progress=lambda *a: calls.append(a))
    assert calls == [(0, 3, "w"), (1, 3, "ids"), (2, 3, "b"), (3, 3, "")]


def test_a_stream_of_pairs_gives_the_same_table_as_the_mapping(minilm):
    seen = []

    def pairs():
        for name, x in minilm.items():
            seen.append(name)
            yield name, x

    calls = []
    streamed = model_table(pairs(), bits=4, progress=lambda *a: calls.append(a))
    pd.testing.assert_frame_equal(streamed, model_table(minilm, bits=4))
    assert calls[0] == (0, None, "embeddings.position_ids") and calls[-1] == (6, None, "")
    assert len(seen) == 6
