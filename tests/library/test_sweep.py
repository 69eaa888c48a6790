"""sweep(): one row per setting, numbers identical to quantize()."""

import numpy as np
import pytest

import quantviz as qv
from quantviz.sweep import search_sample, sweep_estimate, sweep_method


def test_sweep_rows_equal_individual_quantize_calls():
    x = qv.sample("laplace", n=5000, seed=0)
    df = qv.sweep(x, bits=[2, 4, 8], strategies=["minmax", "mse"], symmetric=[False, True])
    assert len(df) == 3 * 2 * 2
    wanted = {"strategy", "symmetric", "bits", "low", "high", "scale", "zero_point", "mse"}
    wanted |= {"sqnr_db", "clipped_fraction", "bits_per_weight", "sqnr_rule_db"}
    assert wanted <= set(df.columns)
    row = df[(df.strategy == "mse") & df.symmetric & (df.bits == 4)].iloc[0]
    r = qv.quantize(x, 4, symmetric=True, strategy="mse")
    assert row["mse"] == r.metrics["mse"] and row["scale"] == r.scale
    assert row["sqnr_rule_db"] == pytest.approx(4 * 6.0206, abs=1e-3)
    minmax = df[(df.strategy == "minmax") & ~df.symmetric].sort_values("bits")
    assert np.all(np.diff(minmax["sqnr_db"]) > 0)


def test_sweep_passes_options_and_reports_channel_ranges():
    x = qv.sample("layer", n=16 * 64, seed=0, rows=16)
    df = qv.sweep(x, bits=[4], strategies=["minmax"], granularity="channel")
    assert np.isnan(df.loc[0, "scale"])
    assert df.loc[0, "high"] == pytest.approx(float(x.max()))


def test_sweep_refuses_unknown_strategies_before_working():
    with pytest.raises(qv.InputError, match="Unknown range strategy"):
        qv.sweep([1.0, 2.0], strategies=["minmax", "nope"])
    with pytest.raises(qv.InputError, match="at least one"):
        qv.sweep([1.0, 2.0], bits=[])


def test_sweep_skips_the_bit_widths_a_tensor_cannot_have_only_when_asked():
    # a range this wide has end levels beyond float32's largest number at 1-3 bits
    x = np.array([-3e38, 0.0, 3e38], np.float32)
    with pytest.raises(qv.InputError, match="too wide for a 1-bit grid"):
        qv.sweep(x, bits=range(1, 6), strategies=["minmax"])
    df = qv.sweep(x, bits=range(1, 6), strategies=["minmax"], skip_unfit=True)
    assert list(df["bits"]) == [4, 5]


def test_sweep_method_says_how_a_tensor_is_swept():
    assert sweep_method(1000, max_values=1000) == "exact"
    assert sweep_method(1001, max_values=1000) == "histogram"
    assert sweep_method(1001, "channel", max_values=1000) == "sample"
    assert sweep_method(1001, "tensor", "stochastic", max_values=1000) == "sample"


@pytest.mark.parametrize("dist", ["student_t", "outliers"])
def test_sweep_estimate_per_tensor_measures_every_value(dist):
    # ranges chosen on a 20,000-value sample, errors measured on all 400,000 values:
    # within 0.05 dB of quantizing every value with the same range. A sample alone
    # misses the rare huge values whose clipping dominates at high bits.
    x = qv.sample(dist, n=400_000, seed=3)
    est = sweep_estimate(x, [2, 4, 8, 12], ["minmax", "percentile", "mse"], max_values=20_000)
    assert len(est) == 12
    for row in est.itertuples():
        r = qv.quantize(x, row.bits, strategy="manual", low=row.low, high=row.high)
        assert row.sqnr_db == pytest.approx(r.metrics["sqnr_db"], abs=0.05), row
        want = r.metrics["clipped_fraction"]
        assert row.clipped_fraction == pytest.approx(want, rel=0.01, abs=3e-6), row
    minmax = est[est.strategy == "minmax"]
    assert (minmax["low"].min(), minmax["high"].max()) == (float(x.min()), float(x.max()))


def test_sweep_estimate_per_channel_keeps_whole_channels():
    x = qv.sample("layer", n=64 * 500, seed=1, rows=64)
    est = sweep_estimate(x, [4], ["minmax"], granularity="channel", max_values=5_000)
    kept = qv.quantize(x, 4, granularity="channel").metrics["sqnr_db"]
    assert est.loc[0, "sqnr_db"] == pytest.approx(kept, abs=1.0)  # ten of 64 channels
    exact = sweep_estimate(x, [4], ["minmax"], granularity="channel")
    assert exact.loc[0, "sqnr_db"] == kept  # small enough: every value


def test_search_sample_keeps_structure():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 1000)).astype(np.float32)
    x[17, 400], x[50, 3] = -9.0, 8.0  # the extremes: a sample must not miss them
    assert search_sample(x, 10**6) is x
    flat = search_sample(x, 5000)
    assert flat.ndim == 1 and 4000 < flat.size <= 5002 and np.isin(flat, x).all()
    assert flat.min() == -9.0 and flat.max() == 8.0
    ch = search_sample(x, 6400, granularity="channel", axis=0)
    assert ch.shape[1] == 1000 and 4 <= ch.shape[0] <= 6  # whole channels: each its range
    assert all(any(np.array_equal(row, r) for r in x) for row in ch)
    ch1 = search_sample(x, 6400, granularity="channel", axis=1)
    assert ch1.shape[1] == 64 and 80 <= ch1.shape[0] <= 100  # channels along axis 1, whole
    assert all(any(np.array_equal(row, c) for c in x.T) for row in ch1)
    grp = search_sample(x, 10_000, granularity="group", group_size=8)
    assert grp.shape[1] == 1000 and grp.shape[0] <= 10
    np.testing.assert_array_equal(search_sample(x, 5000), flat)  # seeded: reproducible


def test_search_sample_of_channels_too_long_to_keep_whole_keeps_their_extremes():
    x = np.random.default_rng(2).normal(size=(3, 50_000)).astype(np.float32)
    x[0, 7], x[1, 49_000], x[2, 123] = 11.0, -12.0, 13.0
    ch = search_sample(x, 3000, granularity="channel", axis=0)
    assert ch.shape[0] == 3 and ch.shape[1] <= 1002
    assert (ch[0].max(), ch[1].min(), ch[2].max()) == (11.0, -12.0, 13.0)
    np.testing.assert_array_equal(ch.min(axis=1), x.min(axis=1))
    np.testing.assert_array_equal(ch.max(axis=1), x.max(axis=1))
