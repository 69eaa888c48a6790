"""Issue 21, item 1: every explanation right. One test per corrected sentence, pinning its
numbers (written by hand; the library checks beside them recompute the claim itself, not the
sentence's template).

The lessons are filled in at each step's own page (its settings on the defaults, seed 0), as
a class opens them.
"""

from __future__ import annotations

import numpy as np
import pytest

import quantviz as qv
from quantviz_app import course, facts
from quantviz_app.lessonfile import lessons_in
from quantviz_app.presets import get_preset
from quantviz_app.rooms import tradeoff
from quantviz_app.schema import BY_KEY, Settings
from quantviz_app.views.lessonbox import page_data
from quantviz_app.views.worked import worked_range


def step_of(lesson_id: str, n: int, lang: str = "en", **change: object):
    """The step, and its page as the class sees it (settings fitted, the tensor)."""
    lesson = next(x for x in lessons_in(lang) if x.id == lesson_id)
    step = lesson.steps[n - 1]
    s = course.step_settings(step, Settings()).replace(lesson=lesson_id, step=n, lang=lang)
    s, data = page_data(s.replace(**change) if change else s)
    return step, s, data


def text_of(lesson_id: str, n: int, lang: str = "en", **change: object) -> str:
    step, s, data = step_of(lesson_id, n, lang, **change)
    return course.fill(step.text, s, data)


def explain_of(lesson_id: str, n: int, lang: str = "en", **change: object) -> str:
    step, s, data = step_of(lesson_id, n, lang, **change)
    return course.fill(step.question.explain, s, data)


# ---- bits-and-error: the two curves run parallel, 8.5 dB apart ----------------------------


@pytest.mark.parametrize(
    ("bits", "bell", "uniform"),
    [(6, "27.5 dB", "36.0 dB"), (8, "39.6 dB", "48.1 dB"), (12, "63.7 dB", "72.2 dB")],
)
def test_the_bell_curve_stays_8_5_dB_below_the_uniform_curve_at_every_width(bits, bell, uniform):
    _, s, data = step_of("bits-and-error", 4, bits=bits)
    assert facts.shown("sqnr_db", s, data) == bell
    assert facts.shown("uniform_sqnr_db", s, data) == uniform
    assert facts.shown("uniform_gap_db", s, data) == "8.5 dB"


def test_the_parallel_curves_sentence_says_why_in_both_languages():
    # min-max spans 9.225σ of this bell curve: 10·log10(12 / 9.225²) = −8.5 dB
    assert "spans h − ℓ = 9.225 standard deviations" in text_of("bits-and-error", 4)
    assert explain_of("bits-and-error", 4) == (
        "48.1 dB − 39.6 dB = 8.5 dB. Same noise, less signal: 10·log10(12 · mean x² / "
        "(h − ℓ)²) = −8.5 dB, at every width where rounding noise is s²/12. Move the bit "
        "slider: the gap stays."
    )
    zh = explain_of("bits-and-error", 4, "zh")
    assert zh.startswith("48.1 dB − 39.6 dB = 8.5 dB。") and "= −8.5 dB" in zh
    assert "平行" in text_of("bits-and-error", 4, "zh")
    assert "side by side" not in explain_of("bits-and-error", 3)  # the old claim is gone


# ---- the uniform reference holds for data centred on 0 ----------------------------------


def test_evenly_spread_data_centred_on_0_and_on_0_to_1():
    x = np.linspace(0, 1, 100_001, dtype=np.float32)
    assert round(qv.quantize(2 * x - 1, bits=2).metrics["sqnr_db"], 1) == 9.5  # centred
    assert round(qv.quantize(x, bits=2).metrics["sqnr_db"], 1) == 15.6  # +6.02 dB: the mean
    assert round(qv.quantize(x, bits=8).metrics["sqnr_db"], 1) == 54.2  # 20·log10(2 · 255)


def test_the_trade_off_note_and_the_lesson_say_centred_on_0():
    note = tradeoff.tradeoff_note([], 4)
    assert "data spread evenly over a range centred on 0 reaches 20·log10(2^b − 1) dB" in note
    assert "evenly spread on [0, 1], data score 6.02 dB more (15.6 at 2 bits, 54.2 at 8)" in note
    assert "a bell curve's min-max range spans about 9σ, 8.5 dB below at every width" in note
    lesson = " ".join(text_of("bits-and-error", 3).split())
    assert "a range **centred on 0** (at 2 bits, 9.5 dB)" in lesson
    assert "score 6.02 dB more (15.6 dB at 2 bits, 54.2 at 8)" in lesson
    assert "（2 比特时 15.6 dB，8 比特时 54.2 dB）" in text_of("bits-and-error", 3, "zh")


# ---- the worked example's symmetric range: s = 5.6 / 3.5 ----------------------------------


def test_the_symmetric_grid_s_range_says_what_is_clamped_and_what_narrow_range_changes():
    x = [1.2, 2.0, 2.3, 3.4, 4.5, 5.6]
    w = qv.worked_example(x, 3, symmetric=True)
    assert (float(w.scale), w.qmin, w.qmax) == (pytest.approx(1.6), -4, 3)
    assert "5.6 / 3.5 = 1.6: its levels run from −6.4 to 4.8" in worked_range(w)
    assert "+5.6 lies beyond the top level and is clamped to 4.8" in worked_range(w)
    narrow = qv.worked_example(x, 3, symmetric=True, narrow_range=True)
    assert float(narrow.scale) == pytest.approx(5.6 / 3)
    assert worked_range(narrow) == (
        "The values run from 1.2 to 5.6. A symmetric grid is centred on 0, with codes −3 … 3 "
        "(narrow range: the code −2^(b−1) is left out) and step s = max|x| / 3 = 5.6 / 3 = "
        "1.86667: its levels run from −5.6 to 5.6, so ±max|x| are levels exactly."
    )


def test_the_widened_range_is_a_convention_and_the_mistakes_table_agrees():
    w = qv.worked_example([1.2, 2.3, 3.4, 4.5, 5.6], 3)
    sentence = worked_range(w)
    assert "Like PyTorch's observers" in sentence and "A convention, not a necessity" in sentence
    assert "(5.6 − 1.2) / 7 = 0.628571" in sentence  # the table's "what it should be"
    m = qv.article_mistakes(w.x, 3)
    assert float(m.scale) == pytest.approx(4.4 / 7)


# ---- normalization: x/s + z maps the range onto the codes ----------------------------------


def test_no_normalization_step_and_dequantization_is_a_subtraction_and_a_multiplication():
    assert explain_of("normalization-and-dequantization", 1) == (
        "10.65 / 0.7103 + 0 = 15 = qmax: the formula maps the range onto the codes by itself. "
        "Nothing needs normalizing first."
    )
    text = text_of("normalization-and-dequantization", 3)
    assert "A subtraction and a multiplication" in text and "one multiplication" not in text
    assert "一次减法加一次乘法" in text_of("normalization-and-dequantization", 3, "zh")


# ---- a finer grid rounds better on average, not value by value ----------------------------


def test_a_finer_grid_is_not_finer_for_every_value():
    x = np.array([0.0, 1 / 3, 1.0], np.float32)
    err2 = abs(qv.quantize(x, bits=2).dequantized[1] - 1 / 3)
    err3 = abs(qv.quantize(x, bits=3).dequantized[1] - 1 / 3)
    assert err2 < 1e-6 and round(float(err3), 3) == 0.048  # 1/3 − 2/7
    why = dict(next(x for x in lessons_in("en") if x.id == "bits-and-error").steps[1].question.why)
    assert why["down"].startswith("A finer grid rounds better on average, though not value by")
    assert "0.048" in why["down"]


# ---- the central 99.9 % ----------------------------------------------------------------


def test_a_99_9_percentile_range_is_the_central_99_9_percent():
    x = qv.sample("student_t", 100_000, seed=0)
    r = qv.quantize(x, bits=4, strategy="percentile", percentile=99.9)
    low, high = np.percentile(x.astype(np.float64), [0.05, 99.95])
    assert float(r.low) == pytest.approx(low, rel=1e-5)
    assert float(r.high) == pytest.approx(high, rel=1e-5)
    prompt = step_of("outliers-and-clipping", 1)[0].question.prompt
    assert "a range from the 0.05th to the 99.95th percentile" in prompt
    zh = step_of("outliers-and-clipping", 1, "zh")[0].question.prompt
    assert "第 0.05 到第 99.95 百分位数" in zh
    assert "central 99.9 % (0.05th to 99.95th percentile)" in facts.FACTS[
        "sqnr_percentile_db"].meaning  # fmt: skip


# ---- presets, stochastic rounding, the outliers distribution --------------------------------


def test_two_bits_four_levels_three_steps_from_lowest_to_highest():
    preset = get_preset("two_bits")
    assert "four levels, three steps from the lowest to the highest" in preset.lesson
    r = qv.quantize(qv.sample("normal", 10_000, seed=0), bits=2)
    assert (r.qmin, r.qmax) == (0, 3)


def test_stochastic_rounding_goes_up_with_the_fraction_of_a_step_above():
    # x a quarter of a step above level 0 (grid 0 … 3 on [0, 3], s = 1): up one time in four
    x = np.concatenate([np.full(40_000, 0.25, np.float32), np.array([0.0, 3.0], np.float32)])
    r = qv.quantize(x, bits=2, rounding="stochastic", seed=0)
    up = float(np.mean(r.codes[:40_000] == 1))
    assert 0.24 < up < 0.26
    help_text = BY_KEY["rounding"].help
    assert "up with a probability equal to the fraction of a step above the level below" in (
        help_text
    )
    assert "the nearer level is the likelier" in help_text


def test_the_outliers_distribution_no_longer_compares_with_llm_layers():
    description = qv.get_distribution("outliers").description
    assert "LLM" not in description and "scattered at random" in description


# ---- the zero point on mixed-sign data; why weights are symmetric ---------------------------


def test_the_zero_point_lesson_opens_on_mixed_sign_data():
    step, s, data = step_of("zero-point", 1)
    assert data.low < 0 < data.high
    assert course.fill(step.question.explain, s, data).startswith(
        "z = qmin − round(ℓ / s) = 0 − round(−4.494 / 0.6151) = 7."
    )
    assert "z_w·Σ q_x depends on each new input" in text_of("zero-point", 3)
    assert "z_w·Σ q_x 取决于每一个新的输入" in text_of("zero-point", 3, "zh")


# ---- per group, the bits target with a margin ---------------------------------------------


def test_per_group_costs_half_a_bit_per_weight_at_64():
    assert explain_of("per-channel", 3).startswith("4 + 32/64 = 4.5 bits per weight")


def test_choosing_bits_target_has_a_clear_margin():
    explain = explain_of("choosing-bits", 1)
    assert "- 5 bits: 16.2 dB\n- 6 bits: 22.2 dB ✓" in explain  # 18 dB: 1.8 dB short, 4.2 over
    assert "- 4 bits: 15.9 dB\n- 5 bits: 20.4 dB ✓" in explain_of("choosing-bits", 2)


def test_the_network_s_change_of_accuracy_is_signed():
    # digits CNN at 8 bits: 98.33 % against 98.15 % in float, the test set's noise ±0.58
    assert explain_of("network-accuracy", 1).startswith(
        "98.3 % against 98.1 % in float: +0.19 points, with a noise of ±0.58 points."
    )
    assert "：+0.19 个百分点，噪声为 ±0.58 个百分点" in explain_of("network-accuracy", 1, "zh")
