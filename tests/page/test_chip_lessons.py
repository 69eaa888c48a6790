"""The lessons on what the chip computes and on training for 2 bits, walked as a class would:
predict, check, and read the numbers the page computed.

The answers are written by hand and were checked by hand (the digits CNN, conv2 for test
digit 0, 8-bit symmetric weights per channel, 8-bit static activations):

* worst accumulator 144 × 128 × 255 = 4,700,160: 2^22 < 4,700,160 < 2^23, 24 bits with the
  sign, so not int16; this digit's largest is 174,081 (2^17 < 174,081 < 2^18: 19 bits);
* 174,081 × M = 174,081 × 0.0012644 = 220.11 → code 220 (M = 1,390,251,791 / 2^40);
* asymmetric 8-bit weights per tensor: z_w·Σ q_x costs 16 positions × 144 inputs + 512
  multiplies = 2,816 operations, 2,816 / 73,728 = 3.8 % (more than 1 %);
* bytes: 58,704 / 16,008 = 3.667 (the sums of quantviz.models.costs, checked by hand in
  tests/rooms/test_integers_room.py);
* 2-bit asymmetric grid on [−1, 1]: s = 2/3, z = 2, end levels −4/3 and 2/3, 3 jumps; the
  shipped results: PTQ 111 and 420 of 540 (20.6 %, 77.8 %), QAT 526 and 532 (97.4 %,
  98.5 %); at 4 bits PTQ 530 (98.1 %) against QAT 529 (98 %): −0.2 points.
"""

from __future__ import annotations

import pytest

from tests.page.test_i18n import english_words
from tests.page.test_lessons import answer

# (lesson, step, what the student enters, the answer the page reveals, a line of its why)
RIGHT_ANSWERS = [
    ("what-the-chip-computes", 1, "no", "no",
     "It needs 24 bits with its sign. This digit's sums already reach 174,081, 19 bits"),
    ("what-the-chip-computes", 2, "220", "220",
     "174,081 × 0.001264 = 220.1 → 220. The chip does it without a float: M = M0·2^−n with "
     "M0 = 1,390,251,791 and n = 40."),
    ("what-the-chip-computes", 3, "above", "more than 1 %",
     "2,816 operations per digit, 3.8 % of the multiply-adds."),
    ("what-the-chip-computes", 4, "3.67", "3.667",
     "58,704 / 16,008 = 3.667, not 4"),
    ("training-for-2-bits", 1, "zero", "0", "inside [−1.333, 0.6667]"),
    ("training-for-2-bits", 2, "high", "above 90 %",
     "PTQ: 20.6 % (min-max range), 77.8 % (MSE range). QAT: 97.4 % (STE), 98.5 % (LSQ"),
    ("training-for-2-bits", 3, "little", "less than 1 point",
     "QAT (STE) 98 % against PTQ 98.1 %: −0.2 points."),
]  # fmt: skip

ROOM_TITLE = {"what-the-chip-computes": "What the chip computes",
              "training-for-2-bits": "Train for it"}  # fmt: skip


@pytest.mark.parametrize(("lesson", "step", "given", "expected", "why"), RIGHT_ANSWERS)
def test_each_question_reveals_the_integer_network_s_answer(open_app, lesson, step, given,
                                                            expected, why):  # fmt: skip
    at = open_app(lesson=lesson, step=str(step))
    titles = [h.value for h in at.subheader]
    assert ROOM_TITLE[lesson] not in titles  # predict first: the room is hidden
    at = answer(at, lesson, step, given)
    [said] = [s.value for s in at.success]
    assert said.startswith(f"**Right: {expected}.**")
    assert why in said
    assert ROOM_TITLE[lesson] in [h.value for h in at.subheader]  # its room, open to check


def test_a_wrong_prediction_gets_its_reason(open_app):
    at = answer(open_app(lesson="what-the-chip-computes", step="1"), "what-the-chip-computes",
                1, "yes")  # fmt: skip
    [said] = [w.value for w in at.warning]
    assert said.startswith("**Not quite:** you said yes; the page says **no**. One product "
                           "alone can reach 128 × 255 = 32,640. It needs 24 bits")  # fmt: skip
    at = answer(open_app(lesson="training-for-2-bits", step="2"), "training-for-2-bits", 2, "mid")
    [said] = [w.value for w in at.warning]
    assert "the page says **above 90 %**" in said and "97.4 % (STE)" in said


def test_a_wrong_code_gets_the_arithmetic(open_app):
    at = answer(open_app(lesson="what-the-chip-computes", step="2"), "what-the-chip-computes",
                2, "219")  # fmt: skip
    [said] = [w.value for w in at.warning]
    assert said.startswith("**Not quite:** you said 219; the page says **220**. 174,081 × ")


@pytest.mark.parametrize(("lesson", "step", "given", "starts"), [
    ("what-the-chip-computes", 4, "3.67", "**答对了：3.667。** 58,704 / 16,008 = 3.667，不是 4"),
    ("training-for-2-bits", 2, "high", "**答对了：高于 90 %。** PTQ：20.6 %（最小-最大范围）"),
])  # fmt: skip
def test_the_chinese_lessons_answer_in_chinese(open_app, lesson, step, given, starts):
    at = answer(open_app(lesson=lesson, step=str(step), lang="zh"), lesson, step, given)
    [said] = [s.value for s in at.success]
    assert said.startswith(starts)
    heading = [m.value for m in at.main.markdown if m.value.startswith("####")]
    assert english_words([said, *heading]) == []
