"""The three MiniLM lessons (order 20–22), walked as a class would: predict, check, and read the
numbers the Transformer room shows.

The expected answers and explanations are written out by hand from the shipped numbers
(assets/precomputed/minilm-l6-*.json, which tests/library/models re-computes with the library):
channel 99 at 28.51 = 14.8× the median 1.927 on [CLS]; the default sentence at 6 bits 13.6 /
24.1 / 36.1 dB per tensor / token / channel; W8A6 cosine 0.8765 not smoothed, 0.5981 / 0.794 /
0.984 at α 0.25 / 0.5 / 0.8, 0.9193 LayerNorm-fed only; layer 5's attention output at 3 bits
per channel, weight error RTN 7 % / GPTQ 13.6 %, output error 8.7 % / 2.1 %; the model at
3 bits, accuracy@1 56.6 % / 61 %.
"""

from __future__ import annotations

import pytest

import quantviz as qv
from quantviz_app.data import SAMPLE_FILE
from tests.page.test_i18n import english_words, open_zh, shown_texts
from tests.page.test_lessons import answer

if not qv.model_installed("minilm-l6"):  # pragma: no cover - CI installs it
    pytest.skip("MiniLM-L6 is not installed", allow_module_level=True)

# (lesson, step, what the student picks, the answer the page reveals, a part of the explanation)
WALK = [
    ("activations-are-harder", 1, "x15", "about 15×",
     "Channel 99 reaches 28.51, 14.8× the median channel, on the token [CLS]; it leads this "
     "input in 6 of the 6 layers"),
    ("activations-are-harder", 2, "up", "goes up",
     "Per tensor 13.6 dB, per token 24.1 dB, per channel 36.1 dB."),
    ("smoothquant", 1, "down", "goes down",
     "The weight 43.1 dB → 39.7 dB, the input 12.7 dB → 24.5 dB"),
    ("smoothquant", 2, "0.8", "0.8",
     "α 0.25: 0.5981, 0.5: 0.794, 0.8: 0.984 (not smoothed 0.8765)"),
    ("smoothquant", 3, "below", "lower",
     "Every input (a simulation): 0.984; LayerNorm-fed only (deployable): 0.9193"),
    ("error-aware-rounding", 1, "above", "larger", "RTN 7 %, GPTQ 13.6 %"),
    ("error-aware-rounding", 2, "below", "smaller", "RTN 8.7 %, GPTQ 2.1 %: 4.225× lower"),
    ("error-aware-rounding", 3, "above", "higher than RTN's",
     "RTN 56.6 % (cosine to float 0.743), GPTQ 61 % (cosine 0.8483), float32 69.2 %"),
]  # fmt: skip


@pytest.mark.parametrize(("lesson", "step", "given", "expected", "explained"), WALK)
def test_each_question_reveals_the_rooms_answer(open_app, lesson, step, given, expected,
                                                explained):  # fmt: skip
    at = open_app(lesson=lesson, step=str(step))
    assert at.query_params["room"] == "Transformer"
    assert not at.metric and not at.main.tabs  # predict first: the room waits for the answer
    at = answer(at, lesson, step, given)
    (verdict,) = [s.value for s in at.success]
    assert verdict.startswith(f"**Right: {expected}.**") and explained in verdict
    assert [t.label for t in at.main.tabs if t.label == "Transformer"] == ["Transformer"]


def test_a_wrong_alpha_gets_its_reason(open_app):
    at = answer(open_app(lesson="smoothquant", step="2"), "smoothquant", 2, "0.25")
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("**Not quite:** you said 0.25; the page says **0.8**. A small α")


def test_the_chinese_transformer_lesson_shows_no_english_sentence():
    at = open_zh(lesson="smoothquant", step="3")
    texts = [m.value for m in at.main.markdown]
    assert "#### SmoothQuant：α 的取舍 · 第 3 步，共 3 步" in texts
    at = answer(at, "smoothquant", 3, "below")
    file_name = set(english_words([SAMPLE_FILE.name]))  # the picture's file: data, not a sentence
    assert [w for w in english_words(shown_texts(at)) if w not in file_name] == []
