"""The rooms below the lesson, as a teacher walks them (issue 16): what each one shows and
says, in both languages. Expected texts and numbers are written by hand."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    """Every Vega-Lite chart's spec on the page, in order."""
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def tradeoff_looks(at: AppTest) -> dict[str, tuple[str, list[int]]]:
    """The trade-off chart's strategies: label → (colour, dash)."""
    [spec] = [s for s in specs(at) if _is_tradeoff(s)]
    line = spec["layer"][0]["encoding"]
    colour, dash = line["color"]["scale"], line["strokeDash"]["scale"]
    return {
        name: (c, d)
        for name, c, d in zip(colour["domain"], colour["range"], dash["range"], strict=True)
    }


def _is_tradeoff(spec: dict) -> bool:
    """The trade-off is the one chart whose lines are told apart by their dash."""
    layers = spec.get("layer", [])
    return bool(layers) and "strokeDash" in layers[0].get("encoding", {})


def test_a_strategy_keeps_its_colour_and_dash_whatever_is_compared(open_app):
    at = open_app(n="1000")
    looks = tradeoff_looks(at)
    assert looks["Min-max"] == ("#0072B2", [1, 0])  # blue, solid
    assert looks["Percentile"] == ("#D55E00", [8, 4])
    at.multiselect(key="compare").set_value(["mse", "percentile"])
    looks = tradeoff_looks(rerun(at))
    assert list(looks)[:3] == ["MSE-optimal", "Percentile", "Min-max"]
    assert looks["Min-max"] == ("#0072B2", [1, 0])  # still blue and solid, drawn third
    assert looks["Percentile"] == ("#D55E00", [8, 4])
    assert looks["MSE-optimal"] == ("#009E73", [8, 3, 2, 3])


# Q4_0 on the default tensor (Laplace, 100,000 values, seed 0), checked once against llama.cpp's
# rule written out in numpy (d = x_max / −8 rounded to fp16, q = clamp(floor(x / d + 8.5), 0,
# 15)): the largest squared error is in block 192, d = −1.0556641, x_max = 8.449124, |d| runs
# from 0.134 to 1.0557, and three of that block's first four values read back as −0.0.
NEGATIVE_SCALE = (
    "The scale is negative: Q4_0 (llama.cpp) stores d = x_max / (−8), where x_max = 8.4491 is "
    "the block's value of largest magnitude, so that value is stored exactly, as element −8. "
    "The page's Scale card shows |d| = 1.05566."
)


def test_the_block_field_says_which_block_it_opens(open_app):
    at = open_app(format="q4_0", room="Block")
    field = at.number_input(key="block_pick")
    assert field.value is None and field.label == "Block (1 to 3,125)"
    assert field.proto.placeholder == "192 (largest error)"
    which = [m.value for m in at.markdown if m.value.startswith("Block **")]
    assert which == ["Block **192 of 3,125** (the block with the largest error): 32 values, "
                     "4-bit codes."]  # fmt: skip
    field.set_value(5)
    at = rerun(at)
    assert [m.value for m in at.markdown if m.value.startswith("Block **")] == [
        "Block **5 of 3,125** (the block you chose): 32 values, 4-bit codes."
    ]
    assert at.query_params["block"] == "5"


def test_a_negative_scale_is_explained_and_the_card_shows_its_size(open_app):
    at = open_app(format="q4_0", room="Block")
    assert "**scale** (fp16): `1011110000111001` = −1.05566" in [m.value for m in at.markdown]
    assert NEGATIVE_SCALE in [c.value for c in at.caption]
    card = next(m for m in at.metric if m.label.startswith("Scale"))
    assert (card.label, card.value) == ("Scale |d|", "0.13…1.1")


def test_the_block_reads_back_zero_as_0_and_has_no_empty_code_row(open_app):
    at = open_app(format="q4_0", room="Block")
    table = at.dataframe[0].value
    assert list(table["x̂"][:4]) == ["−1.0557", "0", "0", "0"]
    [line] = [s for s in specs(at) if "'x̂'" in json.dumps(s, ensure_ascii=False)]
    rows = line["layer"][1]["encoding"]["y"]["axis"]
    assert rows["values"] == [0, 1]  # x and x̂; no 'q' row without codes to show


def test_the_block_room_in_chinese(open_app):
    at = open_app(format="q4_0", room="Block", lang="zh")
    assert at.number_input(key="block_pick").label == "块（1 到 3,125）"
    assert at.number_input(key="block_pick").proto.placeholder == "192（误差最大）"
    assert any(c.value.startswith("缩放因子是负数：Q4_0（llama.cpp） 存储 d = x_max / (−8)")
               for c in at.caption)  # fmt: skip


def test_the_formats_room_names_formats_as_the_selector_does(open_app):
    at = open_app(format="nf4", room="Formats")
    note = next(m.value for m in at.markdown if m.value.startswith("Near 4 bits"))
    assert note == (
        "Near 4 bits: at 4 bits per weight, **FP4 E2M1** keeps the most: 13.7 dB; at 4.13 bits "
        "per weight, **NF4 + double quant** keeps the most: 19.7 dB; at 4.5 bits per weight, "
        "**NVFP4** keeps the most: 20.6 dB."
    )
    names = list(at.dataframe[0].value["format"])
    assert names[:3] == ["Q8_0 (llama.cpp)", "MXINT8", "FP8 E4M3"]
    assert "fp4_e2m1" not in names and "FP4 E2M1" in names and "NF4 + double quant" in names
    zh = open_app(format="nf4", room="Formats", lang="zh")
    note = next(m.value for m in zh.markdown if m.value.startswith("约 4 比特附近"))
    assert "**NF4 + 双重量化** 保留最多" in note
    assert "NF4（QLoRA）" in list(zh.dataframe[0].value["格式"])


# ---- a number format: every room stays, and follows the format or says why not ------------


def room_texts(at: AppTest) -> list[str]:
    """What the open room says: its info boxes, paragraphs and captions, in page order."""
    return [e.value for e in [*at.info, *at.markdown, *at.caption]]


def test_the_trade_off_of_a_format_points_to_the_formats_room(open_app):
    at = open_app(format="fp8_e4m3")
    assert [i.value for i in at.info][-1] == (
        "FP8 E4M3 stores 8-bit elements: it has no bit width to sweep. Its trade-off is against "
        "the other formats: the Formats room draws every format's SQNR against its bits per "
        "weight, FP8 E4M3 ringed. Choose INT to sweep the integer grid from 1 to 16 bits."
    )
    at.button(key="to_formats").click()
    at = rerun(at)
    assert "Formats: which number format for this tensor?" in [h.value for h in at.subheader]


def test_the_formulas_of_a_format_are_worked_on_its_block(open_app):
    at = open_app(format="q4_0", room="Formulas")
    texts = room_texts(at)
    assert (
        "Q4_0 (llama.cpp) stores, for each block, its scales (each in its own encoding) and one "
        "4-bit code per value; here block **192 of 3,125**, the one the Block room opens:"
    ) in texts
    assert "**scale** (fp16): `1011110000111001` = −1.05566" in texts
    assert NEGATIVE_SCALE in texts
    assert any(x.startswith("x̂ = element · scale. The first value: x = −0.86138") for x in texts)
    assert len(at.latex) == 2  # the MSE and the SQNR


def test_the_close_up_follows_a_format_with_one_set_of_levels(open_app):
    at = open_app(format="fp8_e4m3", room="Close-up")
    said = [x for x in room_texts(at) if x.startswith("Every value is stored as the nearest")]
    assert said == [
        "Every value is stored as the nearest of FP8 E4M3's levels: the bars are the original "
        "values on fine bins, each spike the values a level holds. A float's levels are evenly "
        "spaced only between two powers of two; from one power of two to the next the gap "
        "doubles, so they crowd near 0 and spread out towards the ends."
    ]
    at = open_app(format="q4_0", room="Close-up")
    assert (
        "Q4_0 has 3,125 blocks, each with its own levels: a close-up of all the values would "
        "mix them. The Block room opens one block and draws where each of its values lands."
    ) in [i.value for i in at.info]


def test_the_staircase_follows_a_format(open_app):
    at = open_app(format="fp8_e4m3", room="Staircase")
    assert (
        "Each value x (across) goes to the level x̂ FP8 E4M3 stores it as (up); on the dashed "
        "diagonal nothing would be lost. One set of levels makes a staircase whose treads are "
        "FP8 E4M3's levels. With 253 levels the treads are too small to see at this size: the "
        "Close-up shows a few of them."
    ) in room_texts(at)
    at = open_app(format="q4_0", room="Staircase", lang="zh")
    zh = "每个点是一个数值 x（横轴）及 Q4_0 存储它的量化级 x̂（纵轴）。它的 3,125 个块"
    assert any(x.startswith(zh) for x in room_texts(at))


def test_take_home_gives_a_format_s_code_and_files(open_app):
    at = open_app(format="fp8_e4m3", room="Take home")
    assert [b.label for b in at.download_button] == [
        "histograms.png", "histograms.svg", "closeup.png", "closeup.svg", "metrics.csv",
        "formats.csv", "quantized.npz", "digits-cnn-int8.onnx",
    ]  # fmt: skip
    [code] = [c.value for c in at.code]
    assert "r = qv.quantize(x, format='fp8_e4m3', granularity='tensor')" in code
    assert any(c.value.startswith("The numpy and PyTorch versions write out the integer grid's")
               for c in at.caption)  # fmt: skip


def test_channels_with_a_format_say_why_not(open_app):
    at = open_app(source="sample", format="nf4", room="Channels")
    assert (
        "The channels room compares the integer grid per tensor and per channel; NF4 (QLoRA) "
        "sets its own scales. Choose INT to compare channels, or open the Block room to see "
        "one of NF4 (QLoRA)'s blocks."
    ) in [i.value for i in at.info]
