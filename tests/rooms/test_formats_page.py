"""The formats room on the page, in English and in Chinese."""

from __future__ import annotations

import quantviz as qv
from tests.page.test_i18n import english_words, shown_texts


def test_the_formats_room_shows_the_chart_the_sentence_and_the_table(open_app):
    at = open_app(room="Formats", n="1000")
    assert "Formats: which number format for this tensor?" in [h.value for h in at.subheader]
    assert len(at.get("vega_lite_chart")) == 4  # the histograms, the room's chart, the grids
    (table,) = at.dataframe
    refused = [c.value for c in at.caption if c.value.startswith("Left out:")]
    assert len(refused) == 1 and "NVFP4 (16)" in refused[0]
    assert sorted(table.value["format"]) == sorted([
        "FP8 E4M3", "FP8 E5M2", "FP6 E2M3", "FP6 E3M2", "FP4 E2M1", "NF4 (QLoRA)",
        "NF4 + double quant", "Binary (XNOR-Net)", "Ternary (TWN)",
    ])  # n=1000: the formats without fixed blocks of 16 or 32  # fmt: skip
    assert list(table.value.columns) == ["format", "family", "bits/weight", "SQNR (dB)", "MSE"]
    assert any(m.value.startswith("Near 4 bits:") for m in at.markdown)


def test_the_default_tensor_has_every_format(open_app):
    at = open_app(room="Formats")
    (table,) = at.dataframe
    assert len(table.value) == len(qv.formats()) == 21
    assert not [c for c in at.caption if c.value.startswith("Left out:")]


def test_the_chinese_formats_room_shows_no_english_words(open_app):
    at = open_app(room="Formats", n="1000", lang="zh")
    assert "格式：这个张量该用哪种数值格式？" in [h.value for h in at.subheader]
    texts = shown_texts(at)
    assert any(t.startswith("约 4 比特附近：") for t in texts)
    assert english_words(texts) == []  # the formats' own names are allowed, as float32 is
