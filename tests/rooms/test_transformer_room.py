"""The Transformer room on its own (AppTest.from_function): MiniLM-L6's outlier channels, the
three activation grids, SmoothQuant's α, the rounding methods, the search; in English and
Chinese. Needs the MiniLM wheel (the README's commands install it)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import quantviz as qv
from quantviz.models.transformer import layerwise
from quantviz.models.transformer.activations import linear_input
from quantviz_app.rooms import transformer as tf
from tests.conftest import REQUIRE_ALL
from tests.page.test_i18n import english_words, shown_texts

FFN0 = "encoder.layer.0.intermediate.dense.weight"
OUT3 = "encoder.layer.3.output.dense.weight"

if not qv.model_installed("minilm-l6"):  # pragma: no cover - CI installs it
    if REQUIRE_ALL:
        raise RuntimeError("MiniLM-L6 is required here (QUANTVIZ_REQUIRE_ALL=1)")
    pytest.skip("MiniLM-L6 is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def minilm():
    return qv.load_model("minilm-l6")


def room(lang: str = "en", **settings) -> None:
    import streamlit as st

    from quantviz_app.fitting import Fitted
    from quantviz_app.move import Move
    from quantviz_app.rooms import transformer
    from quantviz_app.schema import Settings
    from quantviz_app.widgets import write

    s = Settings({"lang": lang, "room": "Transformer", **settings})
    if "room" not in st.session_state:  # the page's session holds its settings
        write(st.session_state, s)
    transformer.show(Move(Fitted(s), None, st.session_state))  # the room reads no tensor


def open_room(**kwargs) -> AppTest:
    at = AppTest.from_function(room, kwargs=kwargs, default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def note(at: AppTest, start: str) -> str:
    (found,) = [m.value for m in at.markdown if m.value.startswith(start)]
    return found


def decibels(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"(-?[0-9.]+) dB", text)]


def test_the_room_opens_with_channel_99_on_cls_and_the_shipped_numbers():
    at = open_room()
    assert [h.value for h in at.subheader] == ["Inside a real transformer: MiniLM-L6"]
    assert [m.value for m in at.markdown if m.value.startswith("#### ")] == [
        "#### Outlier channels", "#### One grid for what?",
        "#### SmoothQuant: move the difficulty", "#### RTN, GPTQ, AWQ: what to round for",
        "#### Search the documentation",
    ]  # fmt: skip
    # layer 0's FFN input: channel 99 at 28.5 on [CLS], in all six layers (spike: 28.8)
    outliers = note(at, "What layer 0 · FFN in receives")
    assert "channel **99** reaches **28.5**" in outliers and "**[CLS]** (position 0)" in outliers
    assert "leads this input in 6 of the 6 layers" in outliers
    table = at.dataframe[0].value  # the five largest channels and the tokens carrying them
    assert table["channel"].tolist() == [99, 63, 267, 303, 157]
    assert table["token"].tolist() == ["[CLS]", ".", "[SEP]", "to", "##lib"]
    assert table["max |x|"].tolist()[0] == 28.51
    # W8A6, SmoothQuant α = 0.8 on every input (scripts/precompute_minilm.py's w8a6-static-sq0.8)
    shown = {m.label: m.value for m in at.metric}
    assert shown == {
        "cosine to float, this α": "0.984", "accuracy@1, this α": "69.2 %",
        "not smoothed": "0.8765", "per token, not smoothed": "0.9919",
    }  # fmt: skip
    # strip, bars, grids, SmoothQuant's layer curves and maxima, the model against α,
    # one Linear's methods, every Linear's, the model against bits
    assert len(at.get("vega_lite_chart")) == 9
    assert at.text_input(key=tf.SEARCH_KEY).value == ""  # the search waits for a sentence


def test_the_grids_are_the_librarys_on_the_sentences_real_activations(minilm):
    at = open_room()
    shown = decibels(note(at, "This sentence's 16 tokens as layer 0 · FFN in receives them"))
    x = linear_input(minilm, FFN0, [tf.SENTENCE])[0]
    grids = layerwise.activation_grids(x, bits=6)
    expected = [round(grids[m].metrics["sqnr_db"], 1) for m in ("tensor", "token", "channel")]
    assert shown == expected
    # one grid for the matrix loses most, one per channel least (the outlier channel alone)
    assert shown[0] < shown[1] < shown[2]
    at.text_input(key=tf.SENTENCE_KEY).set_value("Open a file.").run()
    assert not at.exception  # [CLS] open a file . [SEP]
    assert "tokens as layer 0 · FFN in receives them" in note(at, "This sentence's 6 tokens")


def test_the_rounding_numbers_at_a_setting_written_here_are_the_librarys(minilm):
    at = open_room(linear=OUT3, weight_bits=3, method="rtn")
    text = note(at, "layer 3 · FFN out at 3 bits per channel.")
    fresh = layerwise.method_errors(minilm, OUT3, 3, methods=("rtn", "gptq"))
    rtn, gptq = fresh.iloc[0], fresh.iloc[1]
    # the shipped table says what the library computes now: RTN 13.4 %, GPTQ 23.9 % of the
    # weight's energy; output 6.8 % against GPTQ's 1.8 %
    assert "(13.4 %)" in text
    assert "(**23.9 %**)" in text and "(**1.8 %** against RTN's 6.8 %)" in text
    assert (round(gptq.weight_error, 3), round(gptq.output_error, 3)) == (0.239, 0.018)
    assert (round(rtn.weight_error, 3), round(rtn.output_error, 3)) == (0.134, 0.068)
    caption = next(c.value for c in at.caption if c.value.startswith("Every Linear at 3 bits"))
    assert "above RTN's on 36 of 36, its output error below on 36 of 36" in caption


def test_alpha_moves_the_difficulty_from_the_input_into_the_weight():
    at = open_room(alpha=0.3)
    low = decibels(note(at, "layer 0 · FFN in at A6, α 0.3:"))
    at.select_slider(key="alpha").set_value(0.9).run()
    assert not at.exception
    high = decibels(note(at, "layer 0 · FFN in at A6, α 0.9:"))
    # [input, input unsmoothed, weight, weight unsmoothed, output, output unsmoothed]
    assert high[0] > low[0] + 10  # the input: 14.1 → 26.8 dB
    assert high[2] < low[2] - 4  # the weight: 43.2 → 38.2 dB
    assert high[4] > low[4]  # the output follows the input here
    assert low[1::2] == high[1::2] == [12.7, 43.1, 15.3]  # unsmoothed: the same
    assert (low[0], high[0]) == (14.1, 26.8)
    shown = {m.label: m.value for m in at.metric}
    assert shown["cosine to float, this α"] == "0.9871"  # w8a6-static-sq0.9, shipped
    assert at.query_params.get("alpha") in ("0.9", ["0.9"])  # the link follows


def test_the_smoothquant_scope_says_which_inputs_a_deployment_can_fold():
    at = open_room(linear=OUT3, alpha=0.8, smooth_scope="layernorm")
    assert any(c.value.startswith("Only the LayerNorm-fed inputs are smoothed now")
               for c in at.caption)  # fmt: skip
    shown = {m.label: m.value for m in at.metric}
    assert shown["cosine to float, this α"] == "0.9193"  # w8a6-static-sq0.8-layernorm
    at = open_room(linear=FFN0, alpha=0.8, smooth_scope="layernorm")
    assert not any(c.value.startswith("Only the LayerNorm-fed") for c in at.caption)


def test_the_search_finds_the_nearest_sections_in_float_and_quantized(minilm):
    at = open_room(weight_bits=4, method="rtn")
    query = "How do I sort a list?"
    at.text_input(key=tf.SEARCH_KEY).set_value(query).run()
    assert not at.exception, [e.value for e in at.exception]
    floats, quantized = (f.value for f in at.dataframe[1:])  # after the channels table
    assert list(floats.columns) == ["section", "cosine similarity"] and len(floats) == tf.K
    docs = minilm.encode(list(minilm.task.documents))
    sim = docs @ minilm.encode([query])[0]
    best = np.argsort(-sim)[: tf.K]
    assert floats["section"].tolist() == [minilm.task.queries[i] for i in best]
    np.testing.assert_allclose(floats["cosine similarity"], sim[best], atol=1e-5)
    assert len(quantized) == tf.K and quantized["cosine similarity"].between(-1, 1).all()


def test_the_room_is_offered_only_where_the_model_is_installed(monkeypatch):
    assert tf.offered(None)
    monkeypatch.setattr(qv, "model_installed", lambda name: False)
    tf.installed.cache_clear()
    try:
        assert not tf.offered(None)
    finally:
        tf.installed.cache_clear()


def test_the_chinese_room_shows_no_english_sentence():
    at = open_room(lang="zh", linear=OUT3, alpha=0.8, smooth_scope="layernorm")
    at.text_input(key=tf.SEARCH_KEY).set_value("How do I sort a list?").run()
    assert not at.exception
    texts = shown_texts(at)
    assert "#### 离群通道" in texts and "#### SmoothQuant：把难度搬走" in texts
    assert english_words(texts) == []


def test_a_link_names_alpha_as_a_number_or_off():
    from quantviz_app.schema import parse_link

    for text, alpha in [("1", 1.0), ("0.80", 0.8), ("0", 0.0), ("off", "off")]:
        s, notes = parse_link({"room": "Transformer", "alpha": text})
        assert (s["alpha"], notes) == (alpha, []), text
    _, notes = parse_link(
        {"room": "Transformer", "alpha": "0.33"}
    )  # not on the slider's steps of 0.05
    assert len(notes) == 1
