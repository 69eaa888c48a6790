"""The integer grid against PyTorch's numbers (reference §1.2, verified with torch 2.13)."""

import numpy as np
import pytest

import quantviz as qv
from quantviz.quantizer import EPS, code_dtype

X = np.array([-1.0, 0.5, 2.0], dtype=np.float32)


@pytest.mark.parametrize(
    ("bits", "symmetric", "narrow", "scale", "zp", "fq"),
    [
        (8, False, False, 0.0117647061124444, 85, [-1.0, 0.49411765, 2.0]),
        (8, True, False, 0.01568627543747425, 0, [-1.0039216, 0.5019608, 1.9921570]),
        (8, True, True, 0.015748031437397003, 0, [-1.0078740, 0.5039370, 2.0]),
        (4, False, False, 0.2, 5, [-1.0, 0.4, 2.0]),
    ],
)
def test_torch_reference_vectors(bits, symmetric, narrow, scale, zp, fq):
    r = qv.quantize(X, bits, symmetric=symmetric, narrow_range=narrow)
    assert r.scale == pytest.approx(scale, rel=1e-7)
    assert np.float32(r.scale) == np.float32(scale)
    assert r.zero_point == zp
    np.testing.assert_allclose(r.dequantized, fq, rtol=0, atol=1e-7)


def test_code_ranges_have_2_to_the_bits_codes():
    assert qv.code_range(8) == (0, 255)
    assert qv.code_range(8, symmetric=True) == (-128, 127)
    assert qv.code_range(8, symmetric=True, narrow_range=True) == (-127, 127)
    assert qv.code_range(1) == (0, 1)
    assert qv.code_range(16, symmetric=True) == (-32768, 32767)
    for bits in range(1, 17):
        qmin, qmax = qv.code_range(bits)
        assert qmax - qmin + 1 == 2**bits


def test_step_is_range_over_2_to_the_bits_minus_one():
    # The classic off-by-one: 2^b levels have 2^b - 1 gaps between them.
    r = qv.quantize(np.array([0.0, 15.0]), bits=4)
    assert r.scale == 1.0
    np.testing.assert_array_equal(r.levels(), np.arange(16, dtype=np.float32))


def test_all_positive_range_is_widened_to_include_zero():
    r = qv.quantize(np.array([2.0, 4.0]), bits=8)
    assert np.float32(r.scale) == np.float32(4.0) / np.float32(255.0)
    assert r.zero_point == 0
    assert r.low == 0.0 and r.high == 4.0


def test_zero_is_exact_in_every_asymmetric_grid():
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = rng.normal(rng.normal(), rng.uniform(0.1, 5), 100).astype(np.float32)
        x[0] = 0.0
        r = qv.quantize(x, int(rng.integers(2, 9)))
        assert r.dequantized[0] == 0.0


def test_constant_and_zero_tensors_have_finite_results_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = qv.quantize(np.full(10, 3.0), bits=8)
        assert np.float32(c.scale) == np.float32(3.0) / np.float32(255.0)
        assert c.zero_point == 0
        z = qv.quantize(np.zeros(10), bits=8)
        assert np.float32(z.scale) == EPS and z.zero_point == 0
        zs = qv.quantize(np.zeros(10), bits=8, symmetric=True)
        for r in (c, z, zs):
            assert all(np.isfinite(v) or v == np.inf for v in r.metrics.values())
        assert z.metrics["sqnr_db"] == np.inf and z.metrics["mse"] == 0.0


def test_symmetric_grid_tops_out_one_step_below_amax():
    # scale = amax / 127.5, so +amax sits half a step above the top level 127 and
    # lands on it (x * (1/scale) = 127.49999 in float32, as in PyTorch).
    r = qv.quantize(np.array([-1.0, 2.0]), bits=8, symmetric=True)
    assert r.codes.tolist() == [-64, 127]
    assert r.dequantized[1] == np.float32(127) * np.float32(r.scale)


def test_values_outside_the_clipping_range_are_clamped_and_counted():
    x = np.array([-2.0, 0.0, 0.5, 3.0], dtype=np.float32)
    r = qv.quantize(x, bits=8, strategy="manual", low=-1.0, high=1.0)
    assert r.clipped.tolist() == [True, False, False, True]
    assert r.codes[[0, 3]].tolist() == [r.qmin, r.qmax]
    assert r.metrics["clipped_fraction"] == 0.5
    assert r.metrics["clipped_count"] == 2
    lv = r.levels().astype(np.float64)
    clip_sse = (-2.0 - lv[0]) ** 2 + (3.0 - lv[-1]) ** 2
    assert r.metrics["mse_clipping"] == pytest.approx(clip_sse / 4, rel=1e-6)


def test_round_half_to_even():
    codes, _ = qv.quantize_codes(np.array([0.5, 1.5, 2.5, -0.5, -1.5], np.float32), 1.0, 0, -8, 7)
    assert codes.tolist() == [0, 2, 2, 0, -2]


def test_codes_use_the_smallest_integer_type():
    assert code_dtype(0, 255) == np.uint8
    assert code_dtype(-128, 127) == np.int8
    assert code_dtype(0, 4095) == np.uint16
    assert code_dtype(-32768, 32767) == np.int16
    assert qv.quantize(X, 12, symmetric=True).codes.dtype == np.int16


def test_one_bit_is_a_legitimate_binary_grid():
    r = qv.quantize(np.array([-1.0, -0.2, 0.3, 1.0]), bits=1)
    assert (r.qmin, r.qmax) == (0, 1)
    assert r.metrics["levels_available"] == 2
    assert set(r.dequantized.tolist()) <= set(r.levels().tolist())


def test_stochastic_rounding_is_seeded_and_unbiased():
    x = np.full(200_000, 0.3, dtype=np.float32)
    x[:2] = [0.0, 1.0]  # pin the grid: step 1/255
    a = qv.quantize(x, 8, rounding="stochastic", seed=1)
    b = qv.quantize(x, 8, rounding="stochastic", seed=1)
    np.testing.assert_array_equal(a.codes, b.codes)
    step = a.scale
    assert len(np.unique(a.dequantized[2:])) == 2  # the two neighbours of 0.3
    assert abs(a.dequantized[2:].mean() - 0.3) < 5 * step / (2 * np.sqrt(x.size))
    nearest = qv.quantize(x, 8)
    assert abs(nearest.metrics["mean_error"]) > 10 * abs(a.metrics["mean_error"])


def test_dequantize_and_fake_quantize_agree_with_quantize():
    x = qv.sample("normal", n=1000, seed=3)
    r = qv.quantize(x, 5, symmetric=True)
    np.testing.assert_array_equal(qv.dequantize(r.codes, r.scale, r.zero_point), r.dequantized)
    np.testing.assert_array_equal(
        qv.fake_quantize(x, r.scale, r.zero_point, r.qmin, r.qmax), r.dequantized
    )
    qp = qv.qparams(r.low, r.high, 5, symmetric=True)
    assert float(qp.scale) == r.scale and int(qp.zero_point) == r.zero_point


@pytest.mark.parametrize("bits", [0, 17, -1, 2.5, True, "8"])  # None: the default, 8
def test_bad_bits_are_refused(bits):
    with pytest.raises(qv.InputError, match="bits must be"):
        qv.quantize(X, bits)


def test_narrow_range_needs_symmetric_and_two_bits():
    with pytest.raises(qv.InputError, match="symmetric"):
        qv.quantize(X, 8, narrow_range=True)
    with pytest.raises(qv.InputError, match="at least 2 bits"):
        qv.quantize(X, 1, symmetric=True, narrow_range=True)


def test_stochastic_rounding_is_unbiased_at_16_bits():
    # low=0, high=65535/1024: the step is exactly 2^-10, so x/scale = x·1024 is exact
    # and the test measures the rounding alone. Values in [32, 64) sit at codes
    # 32768…65535, where float32 keeps only 8 fractional bits: floor(v + u) rounded
    # v + u to a multiple of 2^-8 and came out 2^-9 ≈ 0.002 steps high on average.
    n = 4_000_000
    x = np.random.default_rng(7).uniform(32.0, 63.99, n).astype(np.float32)
    r = qv.quantize(
        x, 16, strategy="manual", low=0.0, high=65535 / 1024, rounding="stochastic", seed=3
    )
    assert r.scale == 2.0**-10 and r.zero_point == 0
    v = x.astype(np.float64) * 1024
    bias = np.mean(r.codes.astype(np.float64) - v)
    # Each term is 1 − f or −f (f the fractional part), variance f(1 − f) ≤ 1/4, about 1/6
    # on average: the mean of 4M has a standard deviation of about 2.0e-4. Bound: 5σ.
    assert abs(bias) < 1.0e-3
    # and each value went to one of its two neighbours
    assert np.all((r.codes == np.floor(v)) | (r.codes == np.floor(v) + 1))


def test_stochastic_rounding_does_not_depend_on_threads(monkeypatch):
    from quantviz import pipeline

    x = qv.sample("normal", n=600_000, seed=2)  # several blocks
    a = qv.quantize(x, 4, rounding="stochastic", seed=11)
    monkeypatch.setattr(pipeline, "WORKERS", 1)
    b = qv.quantize(x, 4, rounding="stochastic", seed=11)
    np.testing.assert_array_equal(a.codes, b.codes)
    c = qv.quantize(x, 4, rounding="stochastic", seed=12)
    assert np.any(a.codes != c.codes)


def test_stochastic_rounding_of_negative_values_is_unbiased():
    # Codes −2.25 (x = −0.5625 with step 0.25) round to −2 or −3 with probability 3/4, 1/4.
    x = np.full(400_000, -0.5625, dtype=np.float32)
    codes, _ = qv.quantize_codes(
        x, 0.25, 0, -8, 7, rounding="stochastic", rng=np.random.default_rng(1)
    )
    assert set(np.unique(codes).tolist()) == {-3, -2}
    # mean −2.25 ± 5·sqrt(3/16)/sqrt(400000) = ±0.0034
    assert abs(codes.mean() + 2.25) < 0.0035


def test_ranges_wider_than_float32_are_refused_in_a_sentence_or_computed_in_float64():
    # high − low = 6e38 overflows float32; at 8 bits the grid itself still fits.
    r = qv.quantize(np.array([-3e38, 0.0, 3e38], dtype=np.float32), 8)
    assert np.isfinite(r.scale) and r.scale == pytest.approx(6e38 / 255, rel=1e-6)
    assert np.all(np.isfinite(r.dequantized))
    # at 2 bits the levels would reach ±4e38: no such float32 grid
    with pytest.raises(qv.InputError, match="too wide for a 2-bit grid"):
        qv.quantize(np.array([-3e38, 3e38], dtype=np.float32), 2)
    with pytest.raises(qv.InputError, match="finite"):
        qv.qparams(-1e39, 1.0, 8)
