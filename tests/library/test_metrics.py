"""Metrics: error, codes and size figures, with the edge cases that break naive formulas."""

import math

import numpy as np
import pytest

import quantviz as qv
from quantviz.metrics import DB_PER_BIT, code_counts, size_metrics


def test_error_figures_on_a_hand_checked_pair():
    m = qv.metrics([1.0, 2.0, 3.0, 4.0], [1.0, 2.5, 3.0, 3.0])
    assert m["mse"] == pytest.approx((0.25 + 1.0) / 4)
    assert m["rmse"] == pytest.approx(math.sqrt(1.25 / 4))
    assert m["max_abs_error"] == 1.0
    assert m["mean_error"] == pytest.approx((0.5 - 1.0) / 4)
    assert m["sqnr_db"] == pytest.approx(10 * math.log10(30 / 1.25))


def test_sqnr_is_infinite_when_exact_and_never_nan():
    assert qv.metrics([1.0, -2.0], [1.0, -2.0])["sqnr_db"] == math.inf
    assert qv.metrics([0.0, 0.0], [0.0, 0.0])["sqnr_db"] == math.inf
    assert qv.metrics([0.0, 0.0], [0.0, 1.0])["sqnr_db"] == -math.inf
    for x in (np.zeros(7), np.full(7, -2.5), np.array([5.0])):
        for sym in (False, True):
            r = qv.quantize(x, 4, symmetric=sym)
            assert not any(isinstance(v, float) and math.isnan(v) for v in r.metrics.values())


def test_mse_splits_into_clipping_and_rounding():
    x = qv.sample("student_t", n=10_000, seed=0)
    r = qv.quantize(x, 4, strategy="percentile", percentile=98.0)
    m = r.metrics
    assert m["mse_clipping"] > 0 and m["mse_rounding"] > 0
    assert m["mse_clipping"] + m["mse_rounding"] == pytest.approx(m["mse"], rel=1e-9)
    err = (r.dequantized - x).astype(np.float64)
    assert m["mse_clipping"] == pytest.approx(np.sum(err[r.clipped] ** 2) / x.size, rel=1e-6)
    assert m["clipped_fraction"] == pytest.approx(np.mean(r.clipped))


def test_levels_used_and_code_entropy():
    x = np.repeat(np.arange(16, dtype=np.float32), 10)  # every 4-bit level used equally
    r = qv.quantize(x, 4)
    assert r.metrics["levels_used"] == 16 and r.metrics["levels_available"] == 16
    assert r.metrics["code_entropy_bits"] == pytest.approx(4.0)
    assert r.code_counts.tolist() == [10] * 16
    half = qv.quantize(np.abs(qv.sample("normal", n=5000, seed=1)), 4, symmetric=True)
    assert half.metrics["levels_used"] <= 8  # symmetric on all-positive data: half the codes idle
    narrow = qv.quantize(x, 4, symmetric=True, narrow_range=True)
    assert narrow.metrics["levels_available"] == 15


def test_size_counts_scales_and_zero_points():
    # 4-bit symmetric groups of 32: 4 + 32/32 = 5 bits per weight, 6.4x smaller, not 8x.
    s = size_metrics(n_values=4096, bits=4, n_scales=128, symmetric=True)
    assert s["bits_per_weight"] == 5.0 and s["compression_ratio"] == 6.4
    # asymmetric adds a zero point of `bits` bits per group
    a = size_metrics(n_values=4096, bits=4, n_scales=128, symmetric=False)
    assert a["bits_per_weight"] == 4 + 128 * 36 / 4096
    x = qv.sample("layer", n=64 * 128, seed=0)
    r = qv.quantize(x, 8, symmetric=True, granularity="channel")
    assert r.metrics["bits_per_weight"] == 8 + 64 * 32 / x.size
    assert r.metrics["float32_bytes"] == 4 * x.size
    assert r.metrics["size_bytes"] == pytest.approx(x.size * r.metrics["bits_per_weight"] / 8)


def test_six_db_per_bit_rule():
    assert pytest.approx(6.0206, abs=1e-4) == DB_PER_BIT
    assert qv.sqnr_rule_db(8) == pytest.approx(48.165, abs=1e-3)
    x = np.random.default_rng(0).uniform(-1, 1, 400_000).astype(np.float32)
    for bits in (4, 8):
        # endpoint levels: 2^b - 1 steps, so SQNR is 20 log10(2^b - 1) (reference §7)
        sqnr = qv.quantize(x, bits).metrics["sqnr_db"]
        assert sqnr == pytest.approx(20 * math.log10(2**bits - 1), abs=0.1)


def test_metrics_refuses_mismatched_shapes():
    with pytest.raises(qv.InputError, match="shape"):
        qv.metrics([1.0, 2.0], [1.0, 2.0, 3.0])


def test_rounding_and_clipping_split_does_not_cancel():
    # Cauchy data (student t, 1 degree of freedom) clipped at the 99th percentile:
    # the clipped 1 % carry an error of ~8500 per value, the rest ~1e-4. Taking
    # the rounding part as a difference of the two float32 sums gave 6.4e-4.
    x = qv.sample("student_t", n=100_000, seed=0, df=1)
    r = qv.quantize(x, 12, strategy="percentile", percentile=99)
    m = r.metrics
    # float64 reference, independent of quantviz's sums
    err = r.dequantized.astype(np.float64) - x.astype(np.float64)
    inside = ~r.clipped
    assert np.all(np.abs(err[inside]) <= r.scale * 0.501)  # half a step, up to float32 ulps
    assert m["mse_rounding"] == pytest.approx(np.sum(err[inside] ** 2) / x.size, rel=1e-9)
    assert m["mse_clipping"] == pytest.approx(np.sum(err[~inside] ** 2) / x.size, rel=1e-9)
    assert m["mse_rounding"] == pytest.approx(7.5e-5, rel=0.01)  # not 6.4e-4
    assert m["mse"] == m["mse_rounding"] + m["mse_clipping"]  # by construction, exactly


def test_huge_values_give_finite_mse_and_sqnr():
    # (1e20)² = 1e40 overflows float32: the sums of squares must be float64.
    x = qv.sample("normal", n=1000, seed=0) * np.float32(1e20)
    r = qv.quantize(x, 8)
    x64, err = x.astype(np.float64), r.dequantized.astype(np.float64) - x.astype(np.float64)
    assert math.isfinite(r.metrics["mse"]) and math.isfinite(r.metrics["sqnr_db"])
    assert r.metrics["mse"] == pytest.approx(np.mean(err**2), rel=1e-12)
    assert r.metrics["sqnr_db"] == pytest.approx(
        10 * math.log10(np.sum(x64**2) / np.sum(err**2)), rel=1e-12
    )
    assert r.metrics["signal_power"] == pytest.approx(np.mean(x64**2), rel=1e-12)
    m = qv.metrics(x, r.dequantized)
    assert m["mse"] == pytest.approx(r.metrics["mse"], rel=1e-12)
    assert m["sqnr_db"] == pytest.approx(r.metrics["sqnr_db"], rel=1e-12)


def test_tiny_values_that_all_round_to_zero_have_sqnr_zero_not_infinity():
    # The step is at least float32 eps (1.2e-7), so 1e-25 rounds to 0: the error is
    # the signal itself, SQNR = 10·log10(Σx² / Σx²) = 0 dB. In float32 the squares
    # (1e-50) vanished, the error looked like 0 and the SQNR like +inf.
    x = np.array([1e-25, -2e-25, 3e-25, -4e-25], dtype=np.float32)
    r = qv.quantize(x, 8)
    assert np.all(r.dequantized == 0.0)
    assert r.metrics["sqnr_db"] == 0.0
    x64 = x.astype(np.float64)
    assert r.metrics["mse"] == pytest.approx(np.mean(x64**2), rel=1e-12)  # about 7.5e-50
    assert r.metrics["mse"] == pytest.approx(7.5e-50, rel=1e-6)
    assert r.metrics["signal_power"] == r.metrics["mse"]
    assert r.metrics["max_abs_error"] == pytest.approx(4e-25, rel=1e-7)


def test_signal_power_is_the_mean_square_and_gives_the_sqnr():
    # The mean counts as signal: Σx², not the variance.
    x = np.array([3.0, 3.0, 3.0, 5.0], dtype=np.float32)
    m = qv.metrics(x, [3.0, 3.0, 3.0, 4.0])
    assert m["signal_power"] == (9 + 9 + 9 + 25) / 4  # 13, while the variance is 0.75
    assert m["mse"] == 0.25
    assert m["sqnr_db"] == pytest.approx(10 * math.log10(13 / 0.25))
    r = qv.quantize(qv.sample("laplace", n=5000, seed=3), 4)
    m = r.metrics
    assert m["sqnr_db"] == pytest.approx(10 * math.log10(m["signal_power"] / m["mse"]), rel=1e-12)


def test_rounding_noise_against_s2_over_12():
    # 1 bit on [0, 1]: s = 1, levels 0 and 1; 0.25 rounds to 0 (error 0.25), nothing clipped
    r = qv.quantize(np.float32([0.0, 0.25, 1.0]), bits=1)
    assert r.metrics["uniform_rounding_mse"] == 1 / 12
    assert r.metrics["rounding_mse_inside"] == pytest.approx(0.0625 / 3)
    # clipped values are left out of the rounding noise of the values inside
    c = qv.quantize(np.float32([0.0, 0.25, 1.0, 9.0]), bits=1, strategy="manual", low=0, high=1)
    assert c.metrics["clipped_count"] == 1
    assert c.metrics["rounding_mse_inside"] == pytest.approx(0.0625 / 3)
    assert c.metrics["mse_rounding"] == pytest.approx(0.0625 / 4)


def test_code_counts_of_a_long_odd_run_of_8_bit_codes():
    # Long enough to be counted two codes at a time, with one code left over at the end.
    codes = np.repeat(np.array([0, 7, 255, 7], dtype=np.uint8), [100_000, 100_001, 99_999, 2])
    np.random.default_rng(0).shuffle(codes)
    counts = code_counts(codes, 0, 255)
    assert (counts[0], counts[7], counts[255]) == (100_000, 100_003, 99_999)
    assert counts.sum() == 300_002
    signed = code_counts(codes.view(np.int8), -128, 127)  # 255 is stored as −1
    assert (signed[128], signed[135], signed[127]) == (100_000, 100_003, 99_999)
