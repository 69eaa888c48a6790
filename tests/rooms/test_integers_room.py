"""The Integers room on its own (AppTest.from_function): one layer of the digits CNN for one
test digit in integers, the multiplier, the zero points' cost, the costs of an inference, the
accuracies, and the ONNX file the page offers, run in ONNX Runtime.

The numbers are written by hand and checked by hand where arithmetic allows:

* conv2 for test digit 0 (8-bit symmetric weights per channel; the table follows channel 26,
  row 1, column 1, the largest float output): accumulator 174,081; M0 = 1,390,251,791 and
  n = 40 (M = 0.0034496 × 0.011905 / 0.03248 = 0.001264 = 1,390,251,791 / 2^40);
  174,081 × 1,390,251,791 = 242,016,422,029,071; ÷ 2^40 = 220.1127 → code 220.
* costs (quantviz.models.costs, by the shapes): conv1 8·8·16 outputs × 9 = 9,216 MACs, conv2
  4·4·32 × 144 = 73,728, fc1 64 × 128 = 8,192, fc2 10 × 64 = 640: 91,776 in all; bytes moved
  58,704 in float32 against 16,008 in int8; integers add 1,674 operations.
* with asymmetric weights (8 bits per tensor) conv2's z_w·Σ q_x costs, for one digit, a sum
  of 144 inputs at each of its 4·4 = 16 positions and one multiply per output (512):
  16 × 144 + 512 = 2,816 operations, 2,816 / 73,728 = 3.8 % of its multiply-adds.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from quantviz_app.rooms import integers as ig
from quantviz_app.schema import Settings
from tests.page.test_i18n import english_words, shown_texts
from tests.rooms.test_accuracy_view import datasets

CHANNEL = {"bits": 8, "scheme": "symmetric", "granularity": "channel"}


def room(settings: dict) -> None:
    import streamlit as st

    from quantviz_app.fitting import Fitted
    from quantviz_app.move import Move
    from quantviz_app.rooms import integers
    from quantviz_app.schema import Settings
    from quantviz_app.widgets import write

    s = Settings({"room": "Integers", **settings})
    if "room" not in st.session_state:  # the page's session holds its settings
        write(st.session_state, s)
    integers.show(Move(Fitted(s), None, st.session_state))  # the room reads no tensor


def open_room(**settings) -> AppTest:
    at = AppTest.from_function(room, kwargs={"settings": settings}, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_rows(at: AppTest, first: str) -> dict[str, list[str]]:
    """The rows of the Markdown table whose header starts with ``first``, by their first cell."""
    text = next(m.value for m in at.markdown if m.value.startswith(f"| {first} |"))
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()[2:]]
    return {r[0]: r[1:] for r in rows}


def test_conv2_for_one_digit_stage_by_stage():
    at = open_room(**CHANNEL)
    assert [h.value for h in at.subheader] == ["What the chip computes"]
    assert at.button_group(key="int_layer").value == "conv2"
    assert at.number_input(key="digit").value == 0
    rows = table_rows(at, "stage")
    assert rows["input codes q_x"] == ["uint8", "–", "–", "0 … 248"]
    assert rows["weight codes q_w"] == ["int8", "−128 … 103", "–", "−128 … 127"]
    assert rows["accumulator"] == ["int32", "174,081", "7.149 (float 7.166)", "−164,841 … 174,081"]
    assert 174_081 * 1_390_251_791 == 242_016_422_029_071  # × M0, by hand
    assert rows["× M0"][:2] == ["int64", "242,016,422,029,071"]
    assert f"{242_016_422_029_071 / 2**40:.4f}" == "220.1127"
    assert rows["÷ 2^n, before rounding"][:2] == ["not stored: the exact quotient", "220.1127"]
    assert rows["rounded"][:2] == ["int32", "220"]
    assert rows["clamped to the codes"] == ["uint8", "220", "7.146 (float 7.166)", "0 … 220"]
    assert rows["max-pool: the next layer's input"][:2] == ["uint8", "220"]
    assert any("channel 26, row 1, column 1" in c.value for c in at.caption)
    [m] = [m.value for m in at.markdown if m.value.startswith("**The requantization multiplier")]
    assert r"\dfrac{0.0034496 \times 0.011905}{0.03248} = 0.001264" in m
    assert "$M_0 = 1{,}390{,}251{,}791$ and $n = 40$" in m
    assert 2**30 <= 1_390_251_791 < 2**31 and f"{1_390_251_791 / 2**40:.4g}" == "0.001264"
    [off] = [m.value for m in at.markdown if m.value.startswith("**How far off:**")]
    assert off.startswith("**How far off:** this output is −0.637 codes from the float network's")
    assert "at most 1.59 codes" in off and "on 0 of the 512 values" in off
    # the picture: the bits each stage uses for this digit beside those of its type
    bits = datasets(at, "bits")["bits"]
    assert bits["used"].tolist() == [8, 8, 19, 50, 9, 9, 9, 8, 8, 8]  # 174,081 < 2^18: 19 signed
    assert bits["holds"].tolist() == [8, 8, 32, 64, 32, 32, 32, 8, 8, 8]
    [bits_chart, errors_chart] = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert bits_chart["title"]["text"] == "The bits each stage needs"
    assert errors_chart["title"]["subtitle"] == ["dashed: half a code either side"]
    errors = datasets(at, "errors")["errors"]["error"]
    assert len(errors) == 32 * 2 * 2 and abs(errors).max() == pytest.approx(1.586, abs=1e-3)


def test_the_costs_refute_added_computation_with_numbers():
    at = open_room(**CHANNEL)
    [table] = [d.value for d in at.dataframe]
    assert list(table.columns) == [
        "layer", "multiply-adds", "bytes moved, float32", "bytes moved, int8",
        "what integers add, operations",
    ]  # fmt: skip
    assert table["layer"].tolist() == ["conv1", "conv2", "fc1", "fc2", "all layers"]
    assert table["multiply-adds"].tolist() == [9216, 73728, 8192, 640, 91776]
    assert table.iloc[-1, 2:].tolist() == [58704, 16008, 1674]
    [said] = [c.value for c in at.caption if c.value.startswith("One digit through the network")]
    assert "the same **91,776 multiply-adds**" in said
    assert "**58,704** in float32, **16,008** in int8, 3.67× fewer" in said  # 58,704 / 16,008
    assert "Integers add 1,674 operations" in said and "1.8 % of the multiply-adds" in said


def test_integer_fake_quantized_and_float_accuracy_and_the_zero_point_terms():
    at = open_room(**CHANNEL)
    shown = {m.label: m.value for m in at.metric}  # 530 of 540 each
    assert shown == {"float32": "98.1 %", "fake-quantized": "98.1 %", "integers": "98.1 %"}
    assert any("answer differently on 0 of them" in c.value for c in at.caption)
    terms = table_rows(at, "term")
    assert terms["Σ q_w·q_x"] == ["173,165", "73,728 multiply-adds"]
    assert terms["− z_w·Σ q_x"] == ["0", "nothing: z_w = 0"]
    assert terms["+ q_b"][0] == "916" and terms["= accumulator"][0] == "174,081"  # 173,165 + 916
    assert any("The weights are symmetric (z_w = 0): that term is gone" in c.value
               for c in at.caption)  # fmt: skip


def test_asymmetric_weights_pay_for_their_zero_point():
    at = open_room(bits=8, scheme="asymmetric", granularity="tensor")
    terms = table_rows(at, "term")
    assert terms["− z_w·Σ q_x"][1] == "2,816 operations"  # 16 × 144 + 512
    [said] = [c.value for c in at.caption if c.value.startswith("With zero points")]
    assert "The weights have zero point 128: that term costs 2,816 operations for this digit, " \
           "3.8 % of the layer's 73,728 multiply-adds." in said  # fmt: skip
    rows = table_rows(at, "stage")
    assert rows["weight codes q_w"][0] == "uint8"


def test_another_layer_and_digit():
    at = open_room(**CHANNEL)
    at.button_group(key="int_layer").set_value("fc2").run()
    at.number_input(key="digit").set_value(4).run()  # a 9
    assert not at.exception
    rows = table_rows(at, "stage")
    assert list(rows) == ["input codes q_x", "weight codes q_w", "accumulator",
                          "logits: acc · s_w·s_x"]  # fmt: skip
    assert not [m for m in at.markdown if m.value.startswith("**The requantization")]
    assert any(m.value.startswith("The integer logits differ") for m in at.markdown)
    assert any(m.value == "a **9**; the integers answer **9**" for m in at.markdown)


@pytest.mark.parametrize(
    ("settings", "said"),
    [({"format": "fp8_e4m3"}, "An integer engine runs the integer grid, not a number format"),
     ({"bits": 12}, "An integer engine multiplies codes of at most 8 bits"),
     ({"granularity": "group"}, "An integer engine needs one weight scale per output channel")],
)  # fmt: skip
def test_settings_an_engine_cannot_run_are_said_and_replaced(settings, said):
    at = open_room(**settings)
    assert next(i.value for i in at.info).startswith(said)
    assert len(at.get("vega_lite_chart")) == 2


def test_engine_settings_keep_what_an_engine_runs():
    settings, why = ig.engine_settings(Settings(CHANNEL))
    assert why is None and dict(settings)["bits"] == 8 and dict(settings)["symmetric"] is True
    assert ig.engine_settings(Settings({"format": "nf4"})) == (ig.ENGINE, "format")
    settings, why = ig.engine_settings(Settings({"bits": 16, "granularity": "group"}))
    assert why == "bits" and dict(settings)["granularity"] == "channel"


@pytest.fixture
def downloads(monkeypatch) -> dict[str, Callable]:
    """What each download button would write when clicked, by its file name: the callable
    the page hands Streamlit (the AppTest's runtime is gone once a run ends)."""
    written: dict[str, Callable] = {}
    add = MediaFileManager.add_deferred

    def kept(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        written[file_name] = data_callable
        return add(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", kept)
    return written


def onnx_answers(data: bytes) -> np.ndarray:
    """The digits ONNX Runtime answers for the 540 test digits from an ONNX file's bytes."""
    ort = pytest.importorskip("onnxruntime")
    import quantviz as qv

    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    logits = session.run(None, {"image": qv.load_model("digits-cnn").x_test})[0]
    return logits.argmax(axis=1)


def test_the_onnx_file_the_page_offers_runs_in_onnxruntime_with_the_same_answers(downloads):
    import quantviz as qv

    at = open_room(**CHANNEL)
    assert [b.label for b in at.get("download_button")] == ["digits-cnn-int8.onnx"]
    assert any(c.value.startswith("The network above as a standard ONNX file") for c in at.caption)
    answers = onnx_answers(downloads["digits-cnn-int8.onnx"]())  # what a click writes
    room = qv.evaluate("digits-cnn", integer=True, bits=8, granularity="channel", symmetric=True,
                       activations={"bits": 8, "mode": "static"}, layer_accuracy=False)  # fmt: skip
    assert np.array_equal(answers, room.predictions)
    assert int((answers == qv.load_model("digits-cnn").y_test).sum()) == 530  # 98.1 %, as shown
    [code] = [c.value for c in at.code]
    assert code.startswith("import onnxruntime as ort\nsession = ort.InferenceSession(")
    assert '"digits-cnn-int8.onnx"' in code


def test_take_home_offers_the_onnx_file_at_the_page_s_settings(open_app, downloads):
    import quantviz as qv

    at = open_app(room="Take home", bits="8", scheme="symmetric")  # one scale per tensor
    assert "digits-cnn-int8.onnx" in [b.label for b in at.download_button]
    assert ("The digits CNN in integers at these settings (8-bit, symmetric (zero point 0), "
            "one scale per tensor, min-max weights), an ONNX file") in " ".join(
                c.value for c in at.caption)  # fmt: skip
    page = qv.evaluate("digits-cnn", integer=True, bits=8, granularity="tensor", symmetric=True,
                       activations={"bits": 8, "mode": "static"}, layer_accuracy=False)  # fmt: skip
    answers = onnx_answers(downloads["digits-cnn-int8.onnx"]())
    assert np.array_equal(answers, page.predictions)
    assert not np.array_equal(answers, ig.accuracies(ig.ENGINE).predictions)  # not per channel


def test_take_home_says_when_the_file_cannot_hold_the_page_s_settings(open_app, downloads):
    at = open_app(room="Take home", bits="3", granularity="tensor", scheme="asymmetric")
    [said] = [c.value for c in at.caption if c.value.startswith("The digits CNN in integers")]
    assert said.endswith("so it holds 8-bit, symmetric (zero point 0), one scale per channel, "
                         "min-max weights, not these settings:")  # fmt: skip
    data = downloads["digits-cnn-int8.onnx"]()
    assert np.array_equal(onnx_answers(data), ig.accuracies(ig.ENGINE).predictions)


def test_settings_onnx_cannot_hold_export_the_engine_s():
    settings, _ = ig.engine_settings(Settings({"bits": 4}))  # the page's default: 4 bits
    exported, note = ig.onnx_note(settings)
    assert exported == ig.ENGINE
    assert note.startswith("ONNX's integer operators take 8-bit tensors with one weight zero "
                           "point, so the file holds the network with 8-bit, symmetric (zero "
                           "point 0), one scale per channel, min-max weights")  # fmt: skip


def test_the_chinese_room_shows_no_english_sentence():
    for layer in ("conv2", "fc2"):
        at = open_room(lang="zh", int_layer=layer, **CHANNEL)
        texts = shown_texts(at)
        assert english_words(texts) == [], layer
        assert "芯片实际算的是什么" in texts
        assert not [t for t in texts if "。 " in t]  # sentences run on without a space
        # bold closed before the colon: CommonMark does not close ** between "：" and a letter
        assert layer == "fc2" or any(t.startswith("**偏差多大**：这个输出") for t in texts)
    at = open_room(lang="zh", format="nf4")
    assert english_words(shown_texts(at) + [i.value for i in at.info]) == []


def test_the_costs_table_keeps_the_library_s_numbers():
    table = ig.costs_table(ig.costs())
    assert isinstance(table, pd.DataFrame) and len(table) == 5
    assert table.iloc[-1].tolist()[1:] == [91776, 58704, 16008, 1674]
