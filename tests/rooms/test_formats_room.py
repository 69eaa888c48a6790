"""The formats room's data: every format on a small tensor, the integer line, the sentence."""

from __future__ import annotations

import numpy as np

import quantviz as qv
from quantviz_app import charts
from quantviz_app.rooms import formats


def test_every_format_once_sorted_by_sqnr_with_bits_that_hold_by_construction():
    x = qv.sample("laplace", n=4096, seed=0)
    table = formats.formats_table(x)
    assert sorted(table.rows["name"]) == sorted(f.name for f in qv.formats())
    assert table.refused == [] and table.measured == x.size
    assert list(table.rows["sqnr_db"]) == sorted(table.rows["sqnr_db"], reverse=True)
    bpw = dict(zip(table.rows["name"], table.rows["bpw"], strict=True))
    assert bpw["q8_0"] == 8.5  # 8-bit codes + one fp16 scale per 32 values
    assert bpw["mxfp4"] == 4.25  # 4-bit elements + one 8-bit exponent per 32
    assert bpw["nf4"] == 4.5  # 4-bit codes + one float32 absmax per 64
    assert list(table.line["bits"]) == list(range(2, 9)) and table.group_size == 32
    # a float32 scale and a b-bit zero point per group of 32
    assert list(table.line["bpw"]) == [b + (32 + b) / 32 for b in range(2, 9)]


def test_block_formats_refuse_a_last_dimension_they_do_not_divide():
    table = formats.formats_table(qv.sample("laplace", n=1000, seed=0))
    refused = dict(table.refused)
    assert refused["mxfp4"] == 32 and refused["nvfp4"] == 16 and refused["q4_0"] == 32
    assert "nf4" in set(table.rows["name"]) and table.group_size is None  # INT per tensor
    assert len(table.rows) + len(table.refused) == len(qv.formats())
    line = formats.formats_refused(table.refused, 1000)
    assert line.startswith("Left out: MXFP8 E4M3 (32), MXFP8 E5M2 (32)") and "(1,000)" in line


def test_the_sentence_names_the_best_format_per_budget_near_4_bits():
    table = formats.formats_table(qv.sample("normal", n=100_000, seed=0))
    steps, low = formats.near_4_bits(table.rows)
    near = table.rows[(table.rows["bpw"] >= 3.5) & (table.rows["bpw"] < 4.75)]
    assert steps[-1][0] == near.loc[near["sqnr_db"].idxmax(), "name"]
    assert [b for _, b, _ in steps] == sorted(b for _, b, _ in steps)
    assert low[0] == near.loc[near["sqnr_db"].idxmin(), "name"]
    note = formats.formats_note(steps, low)
    assert note.startswith("Near 4 bits: at 4 bits per weight, **FP4 E2M1** keeps the most")


def test_a_big_tensor_is_sampled_in_whole_rows_and_keeps_its_remainder():
    x = np.arange(3000 * 400, dtype=np.float32).reshape(3000, 400)
    s = formats.sample(x, 100_000)
    assert s.shape[1] == 400 and s.size <= 100_000
    assert np.array_equal(s[0], x[s[0, 0].astype(int) // 400])  # a whole row
    flat = np.arange(2_000_007, dtype=np.float32)
    s1 = formats.sample(flat)
    assert s1.ndim == 1 and s1.size <= 1 << 20 and s1.size % 32 == flat.size % 32


def test_the_grids_drawn_side_by_side():
    g = formats.grids()
    counts = g.groupby("format", sort=False).size().to_dict()
    # INT4: 16 levels; E2M1: 15 values (±0 once); NF4: 16; E2M3 and E3M2: 63; E4M3: 253
    assert counts == {"int4": 16, "fp4_e2m1": 15, "nf4": 16, "fp6_e2m3": 63,
                      "fp6_e3m2": 63, "fp8_e4m3": 253}  # fmt: skip
    assert g["value"].between(-1, 1).all()
    fp4 = sorted(g.loc[g["format"] == "fp4_e2m1", "value"] * 6)
    assert fp4 == [-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6]
    assert charts.data_names(formats.grids_spec()) == {"grids"}


def test_formats_at_the_same_point_are_drawn_side_by_side_and_the_chosen_one_ringed():
    # Laplace, 100,000 values: NF4 (4.50016 bits per weight, 19.67 dB), Q4_0 (4.5, 19.43 dB)
    # and NVFP4 (4.50032, 20.64 dB) sit within 1.2 dB at 4.5 bits per weight
    x = qv.sample("laplace", n=100_000, seed=0)
    table = formats.formats_table(x)
    sets = formats.chart_sets(table, qv.quantize(x, format="nf4"))
    drawn = dict(zip(sets["formats"]["name"], sets["formats"]["x"], strict=True))
    assert [round(drawn[n], 2) for n in ("Q4_0 (llama.cpp)", "NF4 (QLoRA)", "NVFP4")] == [
        4.38, 4.5, 4.62]  # fmt: skip
    assert drawn["FP4 E2M1"] == 4.00032  # alone: at its own bits per weight
    current = sets["current"].iloc[0]
    assert (current["name"], current["x"]) == ("NF4 (QLoRA)", drawn["NF4 (QLoRA)"])
    spec = formats.formats_spec(["a"], "INT")
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["point", "line", "point", "text"]  # the ring first: under the formats
    assert spec["layer"][0]["mark"]["shape"] == "circle"
    assert charts.STAR not in str(spec["layer"])  # no star on top of the ringed format
    grid = formats.chart_sets(table, qv.quantize(x, 8))["current"].iloc[0]
    assert (grid["name"], grid["x"]) == ("INT8", grid["bpw"])  # the integer grid: ringed too
