"""The lesson path, walked as a class would: each question answered for two data sets.

The expected answers are written out by hand. They were checked once against direct
computations outside the lesson machinery (numpy on ``qv.sample`` data: the uniform
step (max − min)/7, the log-normal maximum; plain ``qv.quantize`` calls for the SQNRs),
for the step's data at seed 0 and seed 1.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import unescape

# (lesson, step, what the student enters, seed → the answer the page reveals)
RIGHT_ANSWERS = [
    ("what-a-step-is", 1, "0.2857", {0: "0.2857", 1: "0.2857"}),
    ("what-a-step-is", 2, "scale", {0: "0.2857", 1: "0.2857"}),
    ("what-a-step-is", 3, "0.00784", {0: "0.007843", 1: "0.007843"}),
    ("normalization-and-dequantization", 1, "2", {0: "2", 1: "2"}),
    ("normalization-and-dequantization", 2, None, {0: "10.65", 1: "9.054"}),
    ("bits-and-error", 1, "up", {0: "goes up", 1: "goes up"}),
    ("bits-and-error", 2, "below", {0: "below 9.5 dB", 1: "below 9.5 dB"}),
    ("outliers-and-clipping", 1, "up", {0: "goes up", 1: "goes up"}),
    ("outliers-and-clipping", 2, None, {0: "0.2361", 1: "0.2359"}),
    ("zero-point", 1, "0", {0: "0", 1: "0"}),
    ("zero-point", 2, None, {0: "7.2 dB", 1: "6.7 dB"}),
    ("per-channel", 1, "up", {0: "goes up", 1: "goes up"}),
    ("per-channel", 2, None, {0: "6.6 dB", 1: "8.3 dB"}),
    ("choosing-bits", 1, "8", {0: "8", 1: "8"}),
    ("choosing-bits", 2, "7", {0: "7", 1: "7"}),
]


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def answer(at: AppTest, lesson: str, step: int, given: str) -> AppTest:
    key = f"answer_{lesson}_{step}"
    if any(w.key == key for w in at.text_input):
        at.text_input(key=key).set_value(given)
    else:
        at.radio(key=key).set_value(given)
    at.button(key=f"check_{key}").click()
    return rerun(at)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("lesson", "step", "given", "expected"), RIGHT_ANSWERS)
def test_each_question_reveals_the_core_s_answer(open_app, lesson, step, given, expected, seed):
    at = open_app(lesson=lesson, step=str(step))
    if seed:
        at.number_input(key="seed").set_value(seed)
        rerun(at)
    assert not at.metric  # predict first: the numbers are hidden until the answer
    typed = given if given is not None else expected[seed].removesuffix(" dB")
    answer(at, lesson, step, typed)
    assert [s.value.split(".** ")[0] for s in at.success] == [f"**Right: {expected[seed]}"]
    assert at.metric  # the answer is in: the numbers are back


def test_a_wrong_number_gets_the_answer_and_the_reason(open_app):
    at = answer(open_app(lesson="what-a-step-is"), "what-a-step-is", 1, "0.3")
    assert [w.value for w in at.warning] == [
        "**Not quite:** you said 0.3; the page says **0.2857**. s = (h − ℓ) / (2^b − 1) = "
        "2 / 7 = 0.2857: 8 levels have 7 gaps between them."
    ]


def test_a_wrong_choice_gets_its_one_line_why(open_app):
    at = answer(open_app(lesson="bits-and-error", step="1"), "bits-and-error", 1, "down")
    assert [w.value for w in at.warning] == [
        "**Not quite:** you said goes down; the page says **goes up**. A finer grid never "
        "rounds worse on spread-out data. From 27.5 dB to 33.6 dB: 6.1 dB more."
    ]


def test_the_answer_follows_the_data_on_screen(open_app):
    # the same question after the student moved the bit slider: the answer is for 4 bits
    at = open_app(lesson="what-a-step-is", step="1")
    at.slider(key="bits").set_value(4)
    at = answer(rerun(at), "what-a-step-is", 1, "0.1333")
    assert at.success[0].value.startswith("**Right: 0.1333.** s = (h − ℓ) / (2^b − 1) = 2 / 15")


def test_next_previous_and_leave(open_app):
    at = open_app(lesson="zero-point")
    heading = "#### Zero point; symmetric against asymmetric · step 1 of 2"
    assert heading in [m.value for m in at.main.markdown]
    assert at.button(key="lesson_previous").disabled
    at.button(key="lesson_next").click()
    rerun(at)
    assert at.query_params["step"] == "2" and at.selectbox(key="scheme").value == "symmetric"
    assert at.button(key="lesson_next").disabled
    at.button(key="lesson_leave").click()
    rerun(at)
    assert "lesson" not in at.query_params and "step" not in at.query_params
    assert not [b for b in at.button if b.key == "lesson_previous"]


def test_the_lesson_picker_stays_while_a_lesson_is_open(open_app):
    at = open_app(lesson="zero-point", step="2")
    at.sidebar.selectbox(key="lesson_button").set_value("choosing-bits")  # another lesson
    rerun(at)
    assert at.query_params["lesson"] == "choosing-bits" and at.query_params["step"] == "1"


def test_the_answer_stays_in_its_field_once_checked(open_app):
    at = answer(open_app(lesson="what-a-step-is"), "what-a-step-is", 1, "0.3")
    field = at.text_input(key="answer_what-a-step-is_1")
    assert field.value == "0.3" and field.disabled  # the verdict speaks of it: it stays shown


def test_the_sidebar_opens_a_lesson_at_its_first_step(open_app):
    at = open_app(n="1000")
    at.selectbox(key="lesson_button").set_value("choosing-bits")
    rerun(at)
    assert at.query_params["lesson"] == "choosing-bits" and at.query_params["step"] == "1"
    assert at.selectbox(key="dist").value == "laplace"


def test_a_bad_lesson_link_says_so(open_app):
    at = open_app(lesson="nope")
    assert [unescape(w.value) for w in at.warning] == [
        "Ignored from the link: lesson must be one of none, what-a-step-is, worked-example, "
        "normalization-and-dequantization, bits-and-error, outliers-and-clipping, zero-point, "
        "per-channel, choosing-bits, activations-are-harder, smoothquant, error-aware-rounding; "
        "the link says 'nope'."
    ]
