"""The Train for it room on its own (AppTest.from_function): the gradients of rounding, the
shipped PTQ-vs-QAT results, and the numpy fine-tune run from the page.

By hand: the 2-bit asymmetric grid on [−1, 1] has scale 2/3 and zero point
round(1 / (2/3)) = round(1.5) = 2 (half to even), so its levels are −4/3, −2/3, 0, 2/3 and its
jumps sit half a step between them, at −1, −1/3 and 1/3; the STE passes the gradient on
[−4/3, 2/3]. The shipped results (assets/models/qat/digits-cnn-qat.json) at 2 bits per tensor
are 111, 420, 526 and 532 of the 540 test digits (PTQ min-max, PTQ MSE, QAT STE, QAT LSQ):
20.6 %, 77.8 %, 97.4 %, 98.5 %; float32 530 of 540, 98.1 %. One epoch of the numpy fine-tune
(quantviz.models.qat.fine_tune, seed 0) takes 2-bit per-tensor min-max from 111 to 443 of 540
digits, 82.0 % (shown "82 %"), with a mean training loss of 1.020 (recorded when the library
was built: "20.6 % → 82 % in one epoch").
"""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from quantviz.models import qat
from tests.page.test_i18n import english_words, shown_texts
from tests.rooms.test_accuracy_view import datasets

TWO_BITS = {"bits": 2, "granularity": "tensor"}


def room(settings: dict) -> None:
    import streamlit as st

    from quantviz_app.fitting import Fitted
    from quantviz_app.move import Move
    from quantviz_app.rooms import training
    from quantviz_app.schema import Settings
    from quantviz_app.widgets import write

    s = Settings({"room": "Train for it", **settings})
    if "room" not in st.session_state:  # the page's session holds its settings
        write(st.session_state, s)
    training.show(Move(Fitted(s), None, st.session_state))  # the room reads no tensor


def open_room(**settings) -> AppTest:
    at = AppTest.from_function(room, kwargs={"settings": settings}, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_gradients_of_a_two_bit_staircase():
    at = open_room(**TWO_BITS)
    assert [h.value for h in at.subheader] == ["Train for it"]
    sets = datasets(at, "gradients")
    jumps = sets["jumps"]["x"].to_numpy()
    np.testing.assert_allclose(jumps, [-1, -1 / 3, 1 / 3], atol=1e-6)
    g = sets["gradients"]
    true = g[g["what"] == "true gradient ∂x̂/∂x"]
    ste = g[g["what"] == "STE's ∂x̂/∂x"]
    assert (true["value"] == 0).all() and len(true) == 801
    inside = (ste["x"] >= -4 / 3 - 1e-6) & (ste["x"] <= 2 / 3 + 1e-6)
    assert (ste["value"][inside] == 1).all() and (ste["value"][~inside] == 0).all()
    stairs = datasets(at, "stairs")["stairs"]
    assert sorted(np.unique(stairs["y"].round(4))) == [-1.3333, -0.6667, 0.0, 0.6667]
    [said] = [c.value for c in at.caption if c.value.startswith("Rounding is a staircase")]
    assert said.startswith("Rounding is a staircase (2 bits: 4 levels on [−1.333, 0.6667]): flat "
                           "between its 3 jumps, so its true gradient is 0")  # fmt: skip


def test_ptq_against_qat_from_the_shipped_results():
    at = open_room(**TWO_BITS)
    assert len(at.get("vega_lite_chart")) == 4  # forward, backward, per tensor, per channel
    assert (
        "At 2 bits, one scale per tensor: PTQ keeps 20.6 % (min-max range) or 77.8 % (MSE "
        "range); QAT reaches 97.4 % (STE) and 98.5 % (LSQ). Float32: 98.1 %."
    ) in [m.value for m in at.markdown]
    for chart in at.get("vega_lite_chart"):
        if '"one scale per tensor"' in chart.proto.spec:
            curves = _sets(chart)["curves"]
            at_two = curves[curves["bits"] == 2].set_index("series")["accuracy"].round(1)
            assert at_two.to_dict() == {"PTQ, min-max": 20.6, "PTQ, MSE range": 77.8,
                                        "QAT, STE": 97.4, "QAT, LSQ": 98.5}  # fmt: skip
            assert _sets(chart)["current"]["bits"].tolist() == [2.0]  # the page's bits
    at = open_room(bits=2, granularity="channel")  # 330, 380, 528, 530 of 540
    assert any(m.value.startswith("At 2 bits, one scale per channel: PTQ keeps 61.1 % (min-max "
                                  "range) or 70.4 % (MSE range); QAT reaches 97.8 % (STE) and "
                                  "98.1 % (LSQ).") for m in at.markdown)  # fmt: skip


def _sets(chart) -> dict:
    import pyarrow as pa

    return {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets}  # fmt: skip


def test_a_one_epoch_fine_tune_runs_from_the_page_and_is_kept(monkeypatch):
    at = open_room(**TWO_BITS)
    assert not [m for m in at.markdown if m.value.startswith("Before:")]  # not run yet
    at.select_slider(key="qat_epochs").set_value(1).run()
    at.button(key="qat_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [said] = [m.value for m in at.markdown if m.value.startswith("Before:")]
    assert said == ("Before: 20.6 % (PTQ); after 1 epoch in numpy: **82 %** (training loss "
                    "1.02). PyTorch's 30 epochs reached 97.4 %.")  # fmt: skip
    epochs = datasets(at, "epochs")["epochs"]
    assert epochs["epoch"].tolist() == [0, 1]
    assert (epochs["accuracy"] * 540 / 100).round().tolist() == [111, 443]
    # the setting is kept: drawn again without training
    monkeypatch.setattr(qat, "fine_tune", lambda *a, **k: pytest.fail("trained again"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.value for m in at.markdown if m.value.startswith("Before:")] == [said]


def test_the_fine_tune_reports_each_epoch_while_it_runs(monkeypatch):
    import streamlit as st

    said: list[tuple[float, str]] = []
    progress = st.progress

    def bar(value, text=None):  # the page's bar, with what each update says recorded
        shown = progress(value, text=text)
        said.append((value, text))
        update = shown.progress

        def heard(value, text=None):
            said.append((value, text))
            return update(value, text=text)

        shown.progress = heard
        return shown

    monkeypatch.setattr(st, "progress", bar)
    at = open_room(bits=2, granularity="channel")
    at.select_slider(key="qat_epochs").set_value(2).run()
    at.button(key="qat_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [v for v, _ in said] == [0.0, 0.5, 1.0]
    assert said[0][1] == "Training…"
    assert [text.split(":")[0] for _, text in said[1:]] == ["Epoch 1 of 2", "Epoch 2 of 2"]
    epochs = datasets(at, "epochs")["epochs"]
    assert epochs["epoch"].tolist() == [0, 1, 2]
    assert said[2][1] == f"Epoch 2 of 2: {epochs['accuracy'].iloc[-1]:.1f} %"
    assert not at.get("progress")  # gone once the run is over


def test_a_run_is_kept_for_its_own_setting_only():
    at = open_room(**TWO_BITS)
    at.select_slider(key="qat_epochs").set_value(1).run()
    at.button(key="qat_run").click().run()
    assert [m for m in at.markdown if m.value.startswith("Before:")]
    at.select_slider(key="qat_epochs").set_value(2).run()  # another setting: not run yet
    assert not [m for m in at.markdown if m.value.startswith("Before:")]
    at.select_slider(key="qat_epochs").set_value(1).run()  # back: kept
    assert next(m.value for m in at.markdown if m.value.startswith("Before:")).startswith(
        "Before: 20.6 % (PTQ); after 1 epoch in numpy: **82 %**"
    )


def test_bits_beyond_the_shipped_runs_and_groups():
    at = open_room(bits=12, granularity="group")
    assert any(m.value.startswith("The recorded runs are at 2, 3 and 4 bits") for m in at.markdown)
    assert [i.value for i in at.info] == [
        "The fine-tune has one scale per tensor or per channel: shown per tensor."
    ]
    jumps = datasets(at, "gradients")["jumps"]["x"]
    assert len(jumps) == 255  # drawn at 8 bits at most


def test_a_number_format_is_said_to_be_left_for_the_integer_grid():
    at = open_room(format="nf4")
    assert [i.value for i in at.info] == [
        "Training for quantization here trains for the integer grid: shown at the page's 4 "
        "bits, not NF4 (QLoRA)."
    ]
    assert any(m.value.startswith("At 4 bits, one scale per tensor: PTQ keeps 98.1 %")
               for m in at.markdown)  # fmt: skip


def test_the_chinese_room_shows_no_english_sentence():
    at = open_room(lang="zh", **TWO_BITS)
    at.select_slider(key="qat_epochs").set_value(1).run()
    at.button(key="qat_run").click().run()
    texts = shown_texts(at)
    assert english_words(texts) == []
    assert any(t.startswith("训练前：20.6 %（PTQ）；用 numpy 训练 1 轮后：**82 %**") for t in texts)
    at = open_room(lang="zh", format="nf4")
    assert english_words(shown_texts(at)) == []
