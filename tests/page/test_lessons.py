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
    # mixed-sign data: ℓ = −4.494, s = 9.226 / 15 = 0.6151, z = 0 − round(−7.31) = 7
    ("zero-point", 1, "7", {0: "7", 1: "7"}),
    ("zero-point", 2, "8", {0: "8", 1: "8"}),  # positive data: only codes 0 … 7 of −8 … 7
    ("zero-point", 3, "15", {0: "15", 1: "15"}),
    ("normalization-and-dequantization", 1, "15", {0: "15", 1: "15"}),  # h / s + z = qmax
    ("normalization-and-dequantization", 2, "2", {0: "2", 1: "2"}),
    ("normalization-and-dequantization", 3, None, {0: "10.65", 1: "9.054"}),
    ("bits-and-error", 1, None, {0: "27.5 dB", 1: "28.2 dB"}),  # 10·log10(1 / 0.001784)
    ("bits-and-error", 2, "up", {0: "goes up", 1: "goes up"}),
    ("bits-and-error", 3, "below", {0: "below 9.5 dB", 1: "below 9.5 dB"}),
    ("bits-and-error", 4, None, {0: "8.5 dB", 1: "7.8 dB"}),  # 48.1 − 39.6 at 8 bits
    ("outliers-and-clipping", 1, "up", {0: "goes up", 1: "goes up"}),
    ("outliers-and-clipping", 2, None, {0: "0.2361", 1: "0.2359"}),
    ("per-channel", 1, "up", {0: "goes up", 1: "goes up"}),
    ("per-channel", 2, None, {0: "6.6 dB", 1: "8.3 dB"}),
    ("per-channel", 3, "4.5", {0: "4.5", 1: "4.5"}),  # 4 + 32/64
    ("choosing-bits", 1, "6", {0: "6", 1: "6"}),  # 16.2 dB at 5 bits, 22.2 at 6
    ("choosing-bits", 2, "5", {0: "5", 1: "5"}),  # MSE range: 15.9 at 4, 20.4 at 5
    ("stochastic-rounding", 1, "down", {0: "goes down", 1: "goes down"}),
]

# The lessons on a shipped tensor or the digits CNN: no seed to move (the network's numbers
# are the Accuracy room's; checked by hand against the room's own table and curves).
MODEL_ANSWERS = [
    ("number-formats", 1, "fp4", "FP4 (E2M1)"),  # INT4 2.1 dB, FP4 5.3 dB: one scale each
    ("number-formats", 2, "4.5", "4.5"),  # NF4: 4 + 32/64
    ("number-formats", 3, "nf4", "NF4"),  # NF4 20.6 dB at 4.5, MXFP4 18.7 dB at 4.25
    ("activations", 1, "0.03248", "0.03248"),  # 8.282 / 255
    ("activations", 2, "4", "4"),  # test digits beyond 8.282 + 0.03248 / 2
    ("activations", 3, "finer", "finer"),  # the median digit's own step 0.02425
    ("activations", 4, "1095", "1095"),  # round(0.1396 / (0.003923 · 0.03248))
    ("network-accuracy", 1, "within", "stays within the noise of float"),  # 98.3 vs 98.1 ± 0.58
    ("network-accuracy", 2, "fc1", "fc1"),  # alone at 2 bits: fc1 32.2, conv2 19.8 points
    ("network-accuracy", 3, "mixed", "yes, fewer"),  # 3.315 bits per weight against 4.26
    ("pruning", 1, "3.269", "3.269"),  # (1 − 0.5) · 4 + 1 = 3, with scales and biases
    ("pruning", 2, "25", "25"),  # 1 / 4
    ("pruning", 3, "half_bits", "4 bits, nothing pruned"),  # 4.26 at 98.1 % vs 5.252 at 94.8 %
    ("stochastic-rounding", 2, "above", "above all of them"),  # seeds 80 … 93.1 %, nearest 95.6
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


@pytest.mark.parametrize(("lesson", "step", "given", "expected"), MODEL_ANSWERS)
def test_each_question_on_a_real_tensor_or_the_network(open_app, lesson, step, given, expected):
    at = open_app(lesson=lesson, step=str(step))
    assert not at.metric  # predict first
    answer(at, lesson, step, given)
    assert [s.value.split(".** ")[0] for s in at.success] == [f"**Right: {expected}"]


def test_a_wrong_number_gets_the_answer_and_the_reason(open_app):
    at = answer(open_app(lesson="what-a-step-is"), "what-a-step-is", 1, "0.3")
    assert [w.value for w in at.warning] == [
        "**Not quite:** you said 0.3; the page says **0.2857**. s = (h − ℓ) / (2^b − 1) = "
        "2 / 7 = 0.2857: 8 levels have 7 gaps between them."
    ]


def test_a_wrong_choice_gets_its_one_line_why(open_app):
    at = answer(open_app(lesson="bits-and-error", step="2"), "bits-and-error", 2, "down")
    assert [w.value for w in at.warning] == [
        "**Not quite:** you said goes down; the page says **goes up**. A finer grid rounds "
        "better on average, though not value by value: on [0, 1], 1/3 is a level of the 2-bit "
        "grid but 0.048 from the 3-bit grid's nearest level. From 27.5 dB to 33.6 dB: 6.1 dB "
        "more."
    ]


def test_the_answer_follows_the_data_on_screen(open_app):
    # the same question after the student moved the bit slider: the answer is for 4 bits
    at = open_app(lesson="what-a-step-is", step="1")
    at.slider(key="bits").set_value(4)
    at = answer(rerun(at), "what-a-step-is", 1, "0.1333")
    assert at.success[0].value.startswith("**Right: 0.1333.** s = (h − ℓ) / (2^b − 1) = 2 / 15")


def test_next_previous_and_leave(open_app):
    at = open_app(lesson="zero-point")
    heading = "#### Zero point; symmetric against asymmetric · step 1 of 3"
    assert heading in [m.value for m in at.main.markdown]
    assert at.button(key="lesson_previous").disabled
    at.button(key="lesson_next").click()
    rerun(at)
    assert at.query_params["step"] == "2" and at.selectbox(key="scheme").value == "symmetric"
    at.button(key="lesson_next").click()
    rerun(at)
    assert not [b for b in at.button if b.key == "lesson_next"]  # the last step: the course's
    following = at.button(key="lesson_next_lesson").label
    assert following == "Next lesson: The worked example, step by step"
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
        "Ignored from the link: lesson must be one of none, what-a-step-is, zero-point, "
        "worked-example, normalization-and-dequantization, bits-and-error, "
        "outliers-and-clipping, per-channel, choosing-bits, number-formats, activations, "
        "network-accuracy, pruning, stochastic-rounding, activations-are-harder, smoothquant, "
        "error-aware-rounding, what-the-chip-computes, training-for-2-bits; the link says "
        "'nope'."
    ]
