"""The number format on the page: a control beside the bit width that the whole lesson follows
(the data line, the histograms, the numbers, the rooms), the block room, and the presets."""

from __future__ import annotations

import numpy as np
import pytest


def _card(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_format_replaces_the_bit_slider_and_the_grid_controls(open_app):
    at = open_app(format="mxfp4")
    lines = [m.value for m in at.markdown]
    assert (
        "**Laplace**: 100,000 values, stored as **MXFP4**: 4-bit elements and an E8M0 scale "
        "(a power of two) per block of 32, **4.25 bits per weight**."
    ) in lines
    assert not [s for s in at.slider if s.key == "bits"]
    assert at.selectbox(key="format").value == "mxfp4"
    keys = {w.key for w in [*at.selectbox, *at.segmented_control, *at.slider]}
    assert not keys & {"scheme", "strategy", "granularity", "rounding"}
    assert any(c.value == "MXFP4 stores 4-bit elements; choose INT for the bit slider."
               for c in at.caption)  # fmt: skip


def test_the_numbers_follow_the_format(open_app):
    at = open_app(format="mxfp4")
    assert _card(at, "Bits/weight") == "4.25"  # 4 + one 8-bit E8M0 scale per 32 values
    assert _card(at, "Codes used") == "15 of 15"  # E2M1's 16 codes, ±0 the same value
    assert [m.label for m in at.metric] == [
        "Scale", "SQNR", "MSE", "Max error", "Saturated", "Codes used", "Bits/weight",
    ]  # fmt: skip
    at = open_app(format="nf4")
    assert _card(at, "Bits/weight") == "4.50"  # 4 + a float32 absmax per 64 values
    assert _card(at, "Saturated") == "0 %"  # scaled to each block's largest |value|


def test_a_format_with_one_scale_draws_its_levels(open_app):
    at = open_app(format="fp4_e2m1")
    title = next(m.value for m in at.markdown if m.value.startswith("FP4 E2M1 has one scale"))
    assert "**15 levels**" in title  # E2M1: ±0, ±0.5, ±1, ±1.5, ±2, ±3, ±4, ±6
    assert _card(at, "Bits/weight") == "4.00"  # one float32 scale for 100,000 values


def test_the_rooms_of_a_format_and_back_to_int(open_app):
    at = open_app(format="q4_0")  # every room stays; the Block room joins them
    assert [t.label for t in at.main.tabs] == [
        "Trade-off", "Formats", "Block", "Formulas", "Close-up", "Staircase", "Accuracy",
        "Integers", "Train for it", "Transformer", "Take home",
    ]  # fmt: skip
    at.selectbox(key="format").set_value("int").run()
    assert not at.exception
    assert [t.label for t in at.main.tabs][:3] == ["Trade-off", "Formats", "Formulas"]
    assert [s for s in at.slider if s.key == "bits"]
    assert "format" not in at.query_params


def test_choosing_a_format_writes_it_to_the_link(open_app):
    at = open_app(n="1000")
    at.selectbox(key="format").set_value("nf4").run()
    assert not at.exception
    assert at.query_params["format"] == ["nf4"] or at.query_params["format"] == "nf4"
    assert "bits" not in at.query_params  # the format decides its bits


def test_a_block_format_refuses_rows_it_cannot_cut_in_one_sentence(open_app):
    at = open_app(format="q4_0", n="1000")  # 1,000 values: not a multiple of 32
    assert [e.value for e in at.error] == [
        "q4_0 needs the last dimension to be a multiple of 32 (blocks of 32 values); this "
        "tensor's is 1000."
    ]


def test_the_block_room_opens_a_block_as_the_file_stores_it(open_app):
    at = open_app(format="mxfp4", room="Block", block="1")
    assert "One block of MXFP4, opened" in [h.value for h in at.subheader]
    assert any(m.value.startswith("Block **1 of 3,125** (the block you chose): 32 values")
               for m in at.markdown)  # fmt: skip
    scale = next(m.value for m in at.markdown if m.value.startswith("**scale** (E8M0)"))
    bits, value = scale.split("`")[1], scale.split("= ")[1].strip()
    e = int(bits, 2) - 127  # E8M0 stores the exponent + 127
    assert value == f"2^{e}"
    (table,) = at.dataframe
    df = table.value
    assert len(df) == 32 and list(df.columns) == [
        "#", "x", "x ÷ scale", "stored code", "element", "x̂", "error x̂ − x", "saturated",
    ]  # fmt: skip
    # every row's arithmetic: x̂ = element · 2^e, and the code is a 4-bit pattern
    element = df["element"].str.replace("−", "-").astype(float)
    xhat = df["x̂"].str.replace("−", "-").astype(float)
    np.testing.assert_allclose(xhat, element * 2.0**e, rtol=1e-4, atol=1e-6)
    assert df["stored code"].str.fullmatch("[01]{4}").all()


def test_the_block_room_opens_the_worst_block_first(open_app):
    at = open_app(format="nvfp4", room="Block")
    which = next(m.value for m in at.markdown if m.value.startswith("Block **"))
    assert "(the block with the largest error): 16 values, 4-bit codes." in which
    scales = next(m.value for m in at.markdown if m.value.startswith("**scale** (E4M3)"))
    assert "**tensor scale** (float32)" in scales  # NVFP4's two levels


def test_a_block_number_past_the_end_opens_the_last_block(open_app):
    at = open_app(format="q8_0", room="Block", block="999999")
    assert any(m.value.startswith("Block **3,125 of 3,125**") for m in at.markdown)


@pytest.mark.parametrize(
    "key, line",
    [
        ("llama_q4_0", "stored as **Q4_0 (llama.cpp)**: 4-bit elements and an fp16 scale per "
                       "block of 32, **4.5 bits per weight**."),
        ("qlora_nf4", "stored as **NF4 (QLoRA)**: 4-bit elements and a float32 absmax per "
                      "block of 64, **4.5 bits per weight**."),
    ],
)  # fmt: skip
def test_a_format_preset_opens_real_weights_in_that_format(open_app, key, line):
    at = open_app(preset=key)
    assert any(line in m.value for m in at.markdown)
    assert any(m.value.startswith("**minilm\\-l6\\-sample\\.safetensors**: ") for m in at.markdown)
    assert at.main.selectbox(key="tensor").value.startswith("encoder.layer.0")  # the picker
