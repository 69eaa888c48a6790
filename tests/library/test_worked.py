"""The worked example: every intermediate column, checked against numbers worked by hand."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quantviz as qv
from quantviz.worked import MAX_VALUES, worked_example

ARTICLE = [1.2, 2.3, 3.4, 4.5, 5.6]


def test_the_article_values_at_3_bits_asymmetric():
    # ℓ widened from 1.2 to 0; s = 5.6 / 7 = 0.8; z = 0 − round(0 / 0.8) = 0.
    w = worked_example(ARTICLE, 3)
    assert (w.qmin, w.qmax, w.zero_point) == (0, 7, 0)
    assert w.scale == pytest.approx(0.8, rel=1e-7)
    assert (w.data_low, w.low, w.high) == pytest.approx((1.2, 0.0, 5.6))
    assert w.widened
    np.testing.assert_allclose(w.scaled, [1.5, 2.875, 4.25, 5.625, 7.0], rtol=1e-6)
    assert w.rounded.tolist() == [2, 3, 4, 6, 7]  # 1.5 → 2 (half to even), 5.625 → 6
    assert w.shifted.tolist() == [2, 3, 4, 6, 7]
    assert w.codes.tolist() == [2, 3, 4, 6, 7]
    np.testing.assert_allclose(w.dequantized, [1.6, 2.4, 3.2, 4.8, 5.6], rtol=1e-6)
    np.testing.assert_allclose(w.error, [0.4, 0.1, -0.2, 0.3, 0.0], atol=1e-6)
    assert not w.clamped.any()


def test_symmetric_3_bits_clamps_the_largest_value():
    # s = 5.6 / (7 / 2) = 1.6; codes −4 … 3; 5.6 / 1.6 = 3.5 rounds (half to even) to 4,
    # one above qmax: the top level is 3 · 1.6 = 4.8, half a step below 5.6.
    w = worked_example(ARTICLE, 3, symmetric=True)
    assert (w.qmin, w.qmax, w.zero_point) == (-4, 3, 0)
    assert w.scale == pytest.approx(1.6, rel=1e-7)
    assert (w.low, w.high) == pytest.approx((-5.6, 5.6))
    np.testing.assert_allclose(w.scaled, [0.75, 1.4375, 2.125, 2.8125, 3.5], rtol=1e-6)
    assert w.shifted.tolist() == [1, 1, 2, 3, 4]
    assert w.codes.tolist() == [1, 1, 2, 3, 3]
    assert w.clamped.tolist() == [False, False, False, False, True]
    np.testing.assert_allclose(w.dequantized, [1.6, 1.6, 3.2, 4.8, 4.8], rtol=1e-6)


def test_values_on_both_sides_of_zero_get_a_zero_point_inside():
    # [-1, 0.5, 2] at 8 bits: s = 3 / 255, z = 0 − round(−1 / s) = 85 (docs' example).
    w = worked_example([-1.0, 0.5, 2.0], 8)
    assert w.zero_point == 85
    assert w.scale == pytest.approx(3 / 255, rel=1e-6)
    assert w.codes.tolist() == [0, 127, 255]
    assert not w.widened


def test_levels_are_the_grid():
    w = worked_example(ARTICLE, 2)
    np.testing.assert_allclose(w.levels(), [0.0, 5.6 / 3, 2 * 5.6 / 3, 5.6], rtol=1e-6)


@settings(max_examples=150, deadline=None)
@given(
    x=hnp.arrays(np.float32, st.integers(1, MAX_VALUES), elements=st.floats(-1e6, 1e6, width=32)),
    bits=st.integers(1, 16),
    scheme=st.sampled_from([(False, False), (True, False), (True, True)]),
)
def test_the_steps_give_quantize_s_codes_and_values(x, bits, scheme):
    symmetric, narrow = scheme
    bits = max(bits, 2) if narrow else bits  # narrow range needs 2 bits (quantize says so)
    w = worked_example(x, bits, symmetric=symmetric, narrow_range=narrow)
    r = qv.quantize(x, bits, symmetric=symmetric, narrow_range=narrow)
    assert w.codes.tolist() == r.codes.astype(np.int64).tolist()
    np.testing.assert_array_equal(w.dequantized, r.dequantized)
    assert w.clamped.tolist() == r.clipped.tolist()
