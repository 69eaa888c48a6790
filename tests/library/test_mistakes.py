"""The article's mistakes, against numbers worked on paper from the article's own values.

x = [1.2, 2.3, 3.4, 4.5, 5.6]: min 1.2, max 5.6, the article's range R = 4.4. At 3 bits
the worked example's grid (widened to [0, 5.6]) has s = 0.8, z = 0, q = [2, 3, 4, 6, 7],
x̂ = [1.6, 2.4, 3.2, 4.8, 5.6].
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quantviz as qv
from quantviz.mistakes import article_mistakes, round_half_away
from quantviz.worked import MAX_VALUES

ARTICLE = [1.2, 2.3, 3.4, 4.5, 5.6]


@pytest.fixture(scope="module")
def at3():
    return article_mistakes(ARTICLE, 3)


def test_the_range_is_max_minus_min_not_widened(at3):
    assert (at3.data_low, at3.data_high) == pytest.approx((1.2, 5.6))
    assert at3.value_range == pytest.approx(4.4)
    assert (at3.qmin, at3.qmax) == (0, 7)


def test_1_step_over_bits_is_too_coarse(at3):
    # 4.4 / 3 = 1.46667; right: 4.4 / (2³ − 1) = 4.4 / 7 = 0.628571; 7/3 = 2.33333 times.
    assert at3.step_per_bit == pytest.approx(1.466667, rel=1e-6)
    assert at3.gaps == 7
    assert at3.scale == pytest.approx(0.628571, rel=1e-6)
    assert at3.step_ratio == pytest.approx(2.333333, rel=1e-6)


def test_1_the_article_s_own_numbers_range_100_at_8_bits():
    # 100 / 8 = 12.5; right: 100 / 255 = 0.392157; 255 / 8 = 31.875 times too coarse.
    m = article_mistakes([0.0, 100.0], 8)
    assert m.value_range == 100.0
    assert m.step_per_bit == 12.5
    assert m.scale == pytest.approx(0.392157, rel=1e-6)
    assert m.step_ratio == pytest.approx(31.875, rel=1e-6)
    # and its normalization example: (100 − 0) / (100 / 2) = 2 (right: 2·100/100 − 1 = 1)
    assert m.article_normalized.tolist() == [0.0, 2.0]
    assert m.normalized.tolist() == [-1.0, 1.0]


def test_2_step_over_2_to_the_bits_misses_the_max(at3):
    # 4.4 / 8 = 0.55; top level 1.2 + 7 × 0.55 = 5.05, one step below 5.6.
    assert at3.step_per_level == pytest.approx(0.55, rel=1e-6)
    assert at3.article_top_level == pytest.approx(5.05, rel=1e-6)
    assert at3.top_shortfall == pytest.approx(0.55, rel=1e-5)
    assert at3.top_level == pytest.approx(5.6, rel=1e-6)  # 1.2 + 7 × 0.628571


def test_3_rounding_the_value_mixes_code_and_value(at3):
    # round(x) = [1, 2, 3, 5, 6] (4.5 → 5, half away from zero as its 12.5 → 13);
    # right: q = [2, 3, 4, 6, 7], x̂ = [1.6, 2.4, 3.2, 4.8, 5.6]; |1 − 1.6| = 0.6 is the most.
    assert at3.article_rounded.tolist() == [1, 2, 3, 5, 6]
    assert at3.codes.tolist() == [2, 3, 4, 6, 7]
    np.testing.assert_allclose(at3.dequantized, [1.6, 2.4, 3.2, 4.8, 5.6], rtol=1e-6)
    assert at3.rounding_off == pytest.approx(0.6, rel=1e-6)


def test_3_the_article_s_own_example_12_5_gives_13():
    # At 8 bits on [0, 100]: s = 100/255, 12.5 · 2.55 = 31.875 → code 32, x̂ = 12.549.
    m = article_mistakes([0.0, 12.5, 100.0], 8)
    assert m.article_rounded[1] == 13
    assert m.codes[1] == 32
    assert m.dequantized[1] == pytest.approx(12.54902, rel=1e-6)
    assert round_half_away(np.array([12.5, -2.5, 2.4])).tolist() == [13, -3, 2]


def test_4_unclamped_codes_run_past_the_bits(at3):
    # x / 0.55 = [2.18, 4.18, 6.18, 8.18, 10.18] → [2, 4, 6, 8, 10]: 8 and 10 exceed 7.
    assert at3.article_codes.tolist() == [2, 4, 6, 8, 10]
    assert at3.out_of_range.tolist() == [False, False, False, True, True]


def test_4_symmetric_codes_hold_even_fewer():
    # Symmetric 3 bits: codes −4 … 3, so 4, 6, 8 and 10 are all outside.
    m = article_mistakes(ARTICLE, 3, symmetric=True)
    assert (m.qmin, m.qmax) == (-4, 3)
    assert m.article_codes.tolist() == [2, 4, 6, 8, 10]
    assert int(m.out_of_range.sum()) == 4
    assert m.codes.tolist() == [1, 1, 2, 3, 3]  # the worked example's symmetric grid


def test_5_normalization_lands_in_0_to_2(at3):
    # (x − 1.2) / 2.2 = [0, 0.5, 1, 1.5, 2]; right: 2(x − 1.2)/4.4 − 1 = [−1, −0.5, 0, 0.5, 1].
    np.testing.assert_allclose(at3.article_normalized, [0, 0.5, 1, 1.5, 2], atol=1e-6)
    np.testing.assert_allclose(at3.normalized, [-1, -0.5, 0, 0.5, 1], atol=1e-6)
    assert at3.normalization_off == pytest.approx(1.0, rel=1e-6)


def test_6_dequantization_adds_min_again(at3):
    # x_q = [2, 4, 6, 8, 10] × 0.55 = [1.1, 2.2, 3.3, 4.4, 5.5]; round(x_q / 0.55) · 0.55 + 1.2
    # = [2.3, 3.4, 4.5, 5.6, 6.7]: 1.1 above every x; the right x̂ is within 0.4 = s/2.
    np.testing.assert_allclose(at3.article_dequantized, [2.3, 3.4, 4.5, 5.6, 6.7], rtol=1e-6)
    assert at3.article_dequantize_error == pytest.approx(1.1, rel=1e-6)
    assert at3.dequantize_error == pytest.approx(0.4, rel=1e-6)


def test_7_the_article_s_own_example_13_at_step_12_5_is_162_5():
    # a code 13 on a step of 12.5 (zero point 0) stands for 13 × 12.5 = 162.5; the article
    # writes 12; its formula, taking 13 for a value, gives round(13 / 12.5) · 12.5 = 12.5.
    ex = qv.article_mistakes(ARTICLE, 3).dequantize_example
    assert (ex.code, ex.step, ex.article) == (13, 12.5, 12.0)
    assert ex.right == 162.5
    assert ex.as_value == 12.5


def test_8_dequantizing_from_the_codes_alone_loses_the_range(at3):
    # the codes q = [2, 3, 4, 6, 7]: min 2, max 7, step (7 − 2) / 2³ = 0.625;
    # round(q / 0.625) = round([3.2, 4.8, 6.4, 9.6, 11.2]) = [3, 5, 6, 10, 11];
    # × 0.625 + 2 = [3.875, 5.125, 5.75, 8.25, 8.875]; worst |8.25 − 4.5| = 3.75.
    assert at3.codes_only_step == 0.625
    np.testing.assert_allclose(at3.codes_only_dequantized, [3.875, 5.125, 5.75, 8.25, 8.875])
    assert at3.codes_only_error == pytest.approx(3.75, rel=1e-6)


def test_8_codes_all_alike_have_no_step():
    # [5.0, 5.1] at 1 bit: s = 5.1, both codes round(0.98) = round(1) = 1: no range
    m = article_mistakes([5.0, 5.1], 1)
    assert m.codes.tolist() == [1, 1]
    assert np.isnan(m.codes_only_dequantized).all() and np.isnan(m.codes_only_error)


def test_equal_values_have_no_range_to_divide_by():
    with pytest.raises(qv.InputError, match="max − min, which is 0") as err:
        article_mistakes([2.0, 2.0], 4)
    assert (err.value.kind, dict(err.value.fields)) == ("article_no_range", {})


@settings(max_examples=150, deadline=None)
@given(
    x=hnp.arrays(np.float32, st.integers(2, MAX_VALUES), elements=st.floats(-1e6, 1e6, width=32)),
    bits=st.integers(1, 16),
)
def test_the_article_s_step_is_never_finer_and_its_top_level_misses_the_max(x, bits):
    # b ≤ 2^b − 1 for every b ≥ 1 (equal at b = 1), so R / b ≥ R / (2^b − 1). Ranges wide
    # enough that R / (2^b − 1) is above the library's floor on the scale (float32 eps).
    assume(float(x.max()) - float(x.min()) >= 0.01)
    m = article_mistakes(x, bits)
    assert m.step_per_bit >= m.scale * (1 - 1e-6)
    assert (m.step_ratio == pytest.approx(1.0, rel=1e-6)) == (bits == 1)
    assert m.article_top_level < m.data_high
    assert m.top_shortfall == pytest.approx(m.step_per_level, rel=1e-6)
    assert m.out_of_range.any()  # min and max are 2^b steps apart: 2^b + 1 codes, one too many
    np.testing.assert_allclose(m.article_normalized - m.normalized, 1.0, rtol=1e-9)
