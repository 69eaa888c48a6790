"""A lesson's question and the bit slider: the prompt a student reads and the answer they
are graded against are always for the same bit width.

Before the check, the prompt follows the slider ("At 6 bits, …") and the check grades at
that width; after the check, the question and its verdict stay as they were answered,
whatever the slider does next (the numbers below follow the slider). The fragment side of
this (the box above the slider redrawn on a bit move) is in
``tests/e2e/test_rooms_browser.py``.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from quantviz_app.lessonfile import lessons_in


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def prompt(at: AppTest, predict: str = "**Predict:**") -> str:
    [line] = [m.value for m in at.markdown if m.value.startswith(predict)]
    return line


def verdict(at: AppTest) -> str:
    [line] = [m.value for m in [*at.success, *at.warning]]
    return line


def answer(at: AppTest, lesson: str, step: int, given: str) -> AppTest:
    key = f"answer_{lesson}_{step}"
    if any(w.key == key for w in at.text_input):
        at.text_input(key=key).set_value(given)
    else:
        at.radio(key=key).set_value(given)
    at.button(key=f"check_{key}").click()
    return rerun(at)


def move_bits(at: AppTest, bits: int) -> AppTest:
    at.slider(key="bits").set_value(bits)
    return rerun(at)


def test_the_step_that_invites_a_slider_move_grades_at_the_slider_s_width(open_app):
    # what the teacher tried: step 3 opens at 8 bits, the student moves to 6 before checking
    at = open_app(lesson="what-a-step-is", step="3")
    assert prompt(at) == "**Predict:** At 8 bits, how wide is one step?"
    at = move_bits(at, 6)
    assert prompt(at) == "**Predict:** At 6 bits, how wide is one step?"
    at = answer(at, "what-a-step-is", 3, "0.007843")  # the 8-bit step: wrong at 6 bits
    assert verdict(at).startswith("**Not quite:** you said 0.007843; the page says **0.03175**.")

    at = move_bits(open_app(lesson="what-a-step-is", step="3"), 6)
    at = answer(at, "what-a-step-is", 3, "0.03175")  # 2 / 63
    assert verdict(at) == "**Right: 0.03175.** s = 2 / 63 = 0.03175."
    at = move_bits(at, 8)  # watching the step after the check: the question stays answered
    assert prompt(at) == "**Predict:** At 6 bits, how wide is one step?"
    assert verdict(at) == "**Right: 0.03175.** s = 2 / 63 = 0.03175."
    assert at.slider(key="bits").value == 8  # while the page below shows 8 bits


def test_the_step_follows_the_slider_in_chinese(open_app):
    at = move_bits(open_app(lesson="what-a-step-is", step="3", lang="zh"), 6)
    assert prompt(at, "**先预测：**") == "**先预测：** 在 6 比特下，一个步长有多宽？"
    at = answer(at, "what-a-step-is", 3, "0.03175")
    assert verdict(at).startswith("**答对了：0.03175。**")


QUESTION_STEPS = [
    (lesson.id, n, step.question)
    for lesson in lessons_in("en")
    for n, step in enumerate(lesson.steps, start=1)
    if step.question is not None and step.settings.get("format", "int") == "int"
]  # a number format decides its own bits: no slider to move
REVEALED = re.compile(r"the page says \*\*(.+?)\*\*")


@pytest.mark.parametrize(
    ("lesson", "step", "question"), QUESTION_STEPS, ids=[f"{x[0]}-{x[1]}" for x in QUESTION_STEPS]
)
def test_every_question_is_graded_at_the_width_its_prompt_shows(open_app, lesson, step, question):
    at = open_app(lesson=lesson, step=str(step))
    opened = at.slider(key="bits").value
    moved = opened - 2 if opened > 4 else opened + 2
    at = move_bits(at, moved)
    asked = prompt(at)
    if "{bits}" in question.prompt:
        assert f"{moved} bits" in asked or f"{moved}-bit" in asked
    # a first answer (a number no fact here has, or the first option) reveals the answer
    if question.kind == "number":
        given = "-987654"
    else:
        given = question.options[0] if question.fact_options else question.options[0][0]
    at = answer(at, lesson, step, given)
    graded = verdict(at)
    at = move_bits(at, opened)  # after the check the slider moves on: nothing is re-graded
    assert prompt(at) == asked and verdict(at) == graded
    if question.kind == "number":  # the revealed answer, typed at the moved width, is right
        [revealed] = REVEALED.findall(graded)
        again = answer(move_bits(open_app(lesson=lesson, step=str(step)), moved), lesson, step,
                       revealed)  # fmt: skip
        assert verdict(again).startswith(f"**Right: {revealed}.**")
