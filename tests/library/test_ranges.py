"""Range strategies: each against its formula or the library it follows."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quantviz as qv
from quantviz.ranges import (
    HIST_BINS,
    clipping_range,
    entropy_threshold,
    exact_sse,
    expected_sse,
)
from quantviz.ranges.histogram import histogram
from quantviz.ranges.mse import SpreadHistogram, binned_error_bounds
from quantviz.ranges.search import ladder

DATA = Path(__file__).resolve().parents[1] / "data"


def rows_of(x):
    return np.asarray(x, dtype=np.float32).reshape(1, -1)


def test_minmax_is_the_data_range():
    x = qv.sample("normal", n=5000, seed=1)
    r = qv.quantize(x, 8)
    assert (r.low, r.high) == (float(x.min()), float(x.max()))
    assert r.metrics["clipped_fraction"] == 0.0


def test_percentile_symmetric_uses_abs_values_and_asymmetric_splits_the_tails():
    x = qv.sample("student_t", n=20_000, seed=2)
    sym = qv.quantize(x, 8, symmetric=True, strategy="percentile", percentile=99.0)
    t = np.percentile(np.abs(x), 99.0)
    assert sym.high == pytest.approx(t, rel=1e-6) and sym.low == -sym.high
    asym = qv.quantize(x, 8, strategy="percentile", percentile=99.0)
    assert asym.low == pytest.approx(np.percentile(x, 0.5), rel=1e-6)
    assert asym.high == pytest.approx(np.percentile(x, 99.5), rel=1e-6)
    assert asym.metrics["clipped_fraction"] == pytest.approx(0.01, abs=2e-4)


def test_sigma_range_is_mean_plus_minus_k_std():
    x = qv.sample("normal", n=50_000, seed=3)
    r = qv.quantize(x, 8, strategy="sigma", n_sigma=2.0)
    assert r.high == pytest.approx(x.mean(dtype=np.float64) + 2 * x.std(dtype=np.float64), rel=1e-5)
    assert r.low == pytest.approx(x.mean(dtype=np.float64) - 2 * x.std(dtype=np.float64), rel=1e-5)


@pytest.mark.parametrize(
    ("prior", "table"),
    [
        # Banner et al. 2019 re-minimized (reference §7); the paper's code truncates.
        ("laplace", [1.8628, 2.8307, 3.8972, 5.0286, 6.2048, 7.4131, 8.6456, 9.8968]),
        ("gaussian", [1.2399, 1.7106, 2.1516, 2.5591, 2.9362, 3.2869, 3.6151, 3.9240]),
    ],
)
def test_aciq_alpha_matches_the_paper(prior, table):
    for bits, alpha in enumerate(table, start=1):
        assert qv.aciq_alpha(bits, prior) == pytest.approx(alpha, abs=1e-3)


def test_aciq_laplace_clips_at_alpha_times_b():
    x = qv.sample("laplace", n=100_000, seed=4)
    r = qv.quantize(x, 4, symmetric=True, strategy="aciq_laplace")
    b = np.abs(x - x.mean()).mean(dtype=np.float64)
    assert r.high == pytest.approx(abs(x.mean()) + qv.aciq_alpha(4) * b, rel=1e-4)


def test_entropy_threshold_matches_modelopt():
    """Histograms and answers recorded from NVIDIA ModelOpt 0.47.0.

    Recorded by scripts/record_modelopt_entropy.py (ModelOpt is too heavy for CI).
    """
    recorded = json.loads((DATA / "modelopt_entropy.json").read_text())
    assert len(recorded["cases"]) == 15
    for case in recorded["cases"]:
        kept = entropy_threshold(np.array(case["hist"]), case["bits"], case["unsigned"])
        assert kept == case["kept_bins"], (case["data"], case["bits"])


def kl_threshold_one_by_one(hist, bits, unsigned, start_bin=128):
    """TensorRT's rule as ModelOpt writes it: one candidate at a time, scipy's KL."""
    bins = np.array(hist, dtype=np.float64)
    bins[0] = bins[1]
    nq = 2 ** (bits - 1 + int(unsigned))
    best_i, best_kl = len(bins), np.inf
    for i in range(start_bin, len(bins) + 1):
        p = bins[:i].copy()
        p[i - 1] += bins[i:].sum()
        group = np.digitize(np.arange(i), np.linspace(0, i, nq + 1)) - 1
        q = np.zeros(i)
        for g in np.unique(group):
            members = (group == g) & (bins[:i] != 0)
            if members.any():
                q[members] = bins[:i][members].sum() / members.sum()
        if q.sum() == 0 or np.any((p > 0) & (q == 0)):
            kl = np.inf
        else:
            p, q = p / p.sum(), q / q.sum()
            kl = np.sum(
                np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / np.where(q > 0, q, 1)), 0)
            )
        if kl <= best_kl:
            best_i, best_kl = i, kl
    return best_i


@settings(max_examples=30, deadline=None)
@given(
    counts=st.lists(st.integers(0, 1000), min_size=130, max_size=400),
    zeros=st.floats(0.0, 0.9),
    bits=st.integers(1, 12),
    unsigned=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_entropy_threshold_all_candidates_at_once_picks_what_one_by_one_picks(
    counts, zeros, bits, unsigned, seed
):
    # sparse histograms (empty bins, ties) are where a vectorised KL could pick another bin
    hist = np.array(counts)
    hist[np.random.default_rng(seed).random(hist.size) < zeros] = 0
    hist[-1] = max(hist[-1], 1)  # the largest |x| is in the last bin
    assert entropy_threshold(hist, bits, unsigned) == kl_threshold_one_by_one(hist, bits, unsigned)


def test_entropy_threshold_of_a_flat_histogram_keeps_every_bin():
    # nothing to gain from clipping a flat histogram: the last (widest) minimum is all bins
    assert entropy_threshold(np.full(300, 7), 4, False) == 300


def test_entropy_threshold_settles_a_tie_on_the_widest_range():
    # two values, in bins 133 and 150: keeping 134 bins (the tail folded into bin 133)
    # and keeping all 151 both lose nothing (KL = 0); the rule takes the last minimum
    hist = np.zeros(151)
    hist[133] = hist[150] = 1
    assert entropy_threshold(hist, 1, False) == 151


def test_entropy_clips_outliers_and_is_per_tensor_only():
    x = qv.sample("outliers", n=100_000, seed=5, fraction=0.001, magnitude=50)
    r = qv.quantize(x, 8, symmetric=True, strategy="entropy")
    assert 2.0 < r.high < 20.0  # far inside the ±50 outliers
    with pytest.raises(qv.InputError, match="per tensor only"):
        qv.quantize(x.reshape(100, -1), 8, strategy="entropy", granularity="channel")


def test_expected_sse_is_exact_for_evenly_spread_values():
    # Values spread evenly over each bin: the closed form must equal the real error.
    x = np.linspace(-3.0, 5.0, 2_000_001, dtype=np.float64)
    hist = np.full((1, 100), x.size / 100.0)
    edges, width = (-3.0 + 0.08 * np.arange(100)).reshape(1, -1), np.array([0.08])
    for lo, hi, bits in [(-3, 5, 3), (-1, 2, 4), (-2.5, 4, 8)]:
        qp = qv.qparams(lo, hi, bits)
        g0 = qp.grid_low.astype(np.float64).reshape(1, 1)
        s = qp.scale.astype(np.float64).reshape(1, 1)
        m = qp.qmax - qp.qmin + 1
        codes = np.clip(np.rint((x - g0[0, 0]) / s[0, 0]), 0, m - 1)
        real = np.sum((x - (g0[0, 0] + codes * s[0, 0])) ** 2)
        model = expected_sse(hist, edges, width, g0, s, m)[0, 0]
        assert model == pytest.approx(real, rel=1e-4)


def test_a_histogram_is_scored_at_the_edges_where_its_density_changes():
    # 3 values spread over [0, 1) and 3 over [4, 5); bins of width 1 from 0. Inside the
    # empty run [1, 4) the density does not change: edges 2 and 3 weigh nothing.
    spread = SpreadHistogram.of_counts(np.array([3, 0, 0, 0, 3]), 0.0, 1.0)
    assert spread.points.tolist() == [[0.0, 1.0, 4.0, 5.0]]
    assert spread.weights.tolist() == [[-3.0, 3.0, -3.0, 3.0]]
    # On the grid {0, 1, 2, 3, 4, 5} (step 1): each value's error is uniform on
    # ±0.5 around its level, mean square 1/12, so 6 values add 6/12.
    sse = spread.sse(np.array([[0.0]]), np.array([[1.0]]), 6)
    assert sse[0, 0] == pytest.approx(0.5, rel=1e-12)
    # On the grid {0, 1} only: [0, 1) as before (3/12); [4, 5) clamped to 1, error
    # x − 1 from 3 to 4, mean square (4³ − 3³)/3 = 37/3, times 3 values: 37.
    sse = spread.sse(np.array([[0.0]]), np.array([[1.0]]), 2)
    assert sse[0, 0] == pytest.approx(0.25 + 37.0, rel=1e-12)
    # the same bins given one by one (expected_sse's form) score the same
    by_bins = expected_sse(np.array([[3.0, 3.0]]), np.array([[0.0, 4.0]]), np.array([1.0]),
                           np.array([[0.0]]), np.array([[1.0]]), 2)  # fmt: skip
    assert by_bins[0, 0] == pytest.approx(37.25, rel=1e-12)


def test_error_bounds_from_bins_by_hand():
    # One value in [0, 0.25] and one in [1, 1.25] (bins of 0.25), grid {0, 1}: each bin
    # holds a level (least error 0); the farthest a value can be is its bin's far edge,
    # 0.25 (+1 % of a bin), from it; each distance gets a float32 slack of ~3e-7 too.
    least, most = binned_error_bounds(np.array([1, 0, 0, 0, 1]), 0.0, 0.25, 0.0, 1.0, 2)
    assert least == 0.0
    assert most == pytest.approx(2 * 0.2525**2, rel=1e-5)
    # one value in [0.375, 0.625]: the midpoint 0.5 is inside (at most 0.5 away), no level
    # is (at least 0.375 − 1 % of a bin away)
    least, most = binned_error_bounds(np.array([0, 1, 0]), 0.125, 0.25, 0.0, 1.0, 2)
    assert least == pytest.approx(0.3725**2, rel=1e-5)
    assert most == pytest.approx(0.25, rel=1e-5)


@pytest.mark.parametrize("dist", ["normal", "student_t", "outliers", "lognormal", "uniform"])
@pytest.mark.parametrize("bits", [2, 4, 8, 12, 16])
def test_error_bounds_from_bins_hold_the_exact_error(dist, bits):
    x = qv.sample(dist, n=50_000, seed=bits)
    low, high = float(x.min()), float(x.max())
    counts, width = histogram(x, low, high, 16_384)
    rng = np.random.default_rng(bits)
    for _ in range(5):
        lo, hi = low * rng.uniform(0.2, 1.0), high * rng.uniform(0.2, 1.0)
        qp = qv.qparams(lo, hi, bits)
        least, most = binned_error_bounds(
            counts, low, width, float(qp.grid_low), float(qp.scale), qp.qmax - qp.qmin + 1
        )
        sse = exact_sse(rows_of(x), np.array([lo]), np.array([hi]), bits, False, False)[0]
        assert least <= sse <= most


def test_the_coarse_shrink_factors_start_a_few_grid_steps_in():
    ln2 = np.log(2.0)
    # the old ladder: the range halved each step, 2^0 … 2^-14
    assert ladder() == pytest.approx(-ln2 * np.arange(15.0))
    # starting at a shrink of 0.1: 0.1, 0.2, 0.4 (below ln 2), then whole halvings
    assert ladder(0.1)[:6] == pytest.approx([0.0, -0.1, -0.2, -0.4, -ln2, -2 * ln2])
    assert ladder(0.1)[-1] == pytest.approx(-14 * ln2)


@pytest.mark.parametrize(
    "dist", ["normal", "laplace", "student_t", "outliers", "bimodal", "lognormal"]
)
@pytest.mark.parametrize("bits", [2, 3, 4, 6, 8])
@pytest.mark.parametrize("symmetric", [False, True])
def test_mse_strategy_beats_minmax_and_percentile(dist, bits, symmetric):
    x = qv.sample(dist, n=20_000, seed=bits)
    mse = qv.quantize(x, bits, symmetric=symmetric, strategy="mse").metrics["mse"]
    assert mse <= qv.quantize(x, bits, symmetric=symmetric).metrics["mse"]
    for p in (99.0, 99.9, 99.99):
        pct = qv.quantize(x, bits, symmetric=symmetric, strategy="percentile", percentile=p)
        assert mse <= pct.metrics["mse"] * 1.001


@pytest.mark.parametrize(("dist", "bits"), [("laplace", 4), ("student_t", 6), ("bimodal", 8)])
def test_mse_strategy_on_a_million_values_matches_the_best_percentile(dist, bits):
    # Large tensors are searched on the histogram alone: it must still be as good.
    x = qv.sample(dist, n=1_000_000, seed=bits)
    mse = qv.quantize(x, bits, symmetric=True, strategy="mse").metrics["mse"]
    best_pct = min(
        qv.quantize(x, bits, symmetric=True, strategy="percentile", percentile=p).metrics["mse"]
        for p in (99.0, 99.9, 99.99, 99.999)
    )
    assert mse <= best_pct * 1.002


def test_mse_per_group_uses_exact_search_and_never_loses_to_minmax():
    x = qv.sample("layer", n=64 * 256, seed=6)
    g = qv.quantize(x, 4, symmetric=True, strategy="mse", granularity="group", group_size=32)
    m = qv.quantize(x, 4, symmetric=True, granularity="group", group_size=32)
    assert g.metrics["mse"] < m.metrics["mse"]
    rows = x.reshape(-1, 32)
    assert np.all(
        exact_sse(rows, g.low.ravel(), g.high.ravel(), 4, True, False)
        <= exact_sse(rows, m.low.ravel(), m.high.ravel(), 4, True, False)
    )


def test_manual_range_and_its_errors():
    x = np.linspace(-4, 4, 101, dtype=np.float32)
    r = qv.quantize(x, 4, strategy="manual", low=-1.0, high=1.0)
    assert (r.low, r.high) == (-1.0, 1.0)
    assert r.metrics["clipped_fraction"] > 0.7
    with pytest.raises(qv.InputError, match="low=… and high=…"):
        qv.quantize(x, 4, strategy="manual")
    with pytest.raises(qv.InputError, match="low < high"):
        qv.quantize(x, 4, strategy="manual", low=1.0, high=-1.0)
    with pytest.raises(qv.InputError, match="finite"):
        qv.quantize(x, 4, strategy="manual", low=float("nan"), high=1.0)


def test_bad_strategy_names_and_parameters():
    x = rows_of([1.0, 2.0])
    with pytest.raises(qv.InputError, match=r"Unknown range strategy 'kl'.*minmax"):
        clipping_range(x, "kl", bits=8, symmetric=False)
    with pytest.raises(qv.InputError, match="between 50 and 100"):
        qv.quantize([1.0, 2.0], strategy="percentile", percentile=120)
    with pytest.raises(qv.InputError, match="has no parameter 'pct'"):
        qv.quantize([1.0, 2.0], strategy="percentile", pct=99)
    with pytest.raises(qv.InputError, match="has no parameter 'percentile'"):
        qv.quantize([1.0, 2.0], strategy="minmax", percentile=99)


def test_strategy_listing_describes_every_strategy():
    names = [s.name for s in qv.strategies()]
    assert names[:4] == ["minmax", "percentile", "mse", "entropy"]
    for s in qv.strategies():
        assert s.description.endswith(".") and s.reference
        for p in s.params:
            assert p.low <= p.default <= p.high
    assert qv.get_strategy("entropy").granularities == ("tensor",)
    assert HIST_BINS == 2048


def kl_threshold_reference(hist, bits, unsigned, start_bin=128):
    """TensorRT's entropy calibration, written out loop by loop (reference §2.2)."""
    bins = np.asarray(hist, dtype=np.float64).copy()
    bins[0] = bins[1]
    nq = 2 ** (bits - 1 + int(unsigned))
    best_i, best_kl = None, np.inf
    for i in range(start_bin, len(bins) + 1):
        p = bins[:i].copy()
        p[-1] += bins[i:].sum()
        group = np.digitize(np.arange(i), np.linspace(0, i, nq + 1)) - 1
        group[bins[:i] == 0] = -1
        q = np.zeros(i)
        for j in range(nq):
            members = group == j
            if members.any():
                q[members] = bins[:i][members].sum() / members.sum()
        p, q = p / p.sum(), q / q.sum()
        kl = (
            np.inf if np.any((q == 0) & (p > 0)) else np.sum(p[p > 0] * np.log(p[p > 0] / q[p > 0]))
        )
        if kl <= best_kl:
            best_i, best_kl = i, kl
    return best_i


def test_entropy_on_all_positive_data_counts_the_levels_the_grid_has():
    # A symmetric 4-bit grid has 8 non-negative levels even when the data are all
    # positive; only an asymmetric grid spends all 16 codes on them ("unsigned").
    x = np.abs(qv.sample("laplace", n=50_000, seed=9))
    amax = float(x.max())
    hist = np.bincount(
        np.minimum((x * np.float32(HIST_BINS / amax)).astype(np.int64), HIST_BINS - 1),
        minlength=HIST_BINS,
    )
    signed, unsigned = kl_threshold_reference(hist, 4, False), kl_threshold_reference(hist, 4, True)
    assert signed != unsigned  # the two readings differ here, so the test can tell them apart
    sym = qv.quantize(x, 4, symmetric=True, strategy="entropy")
    assert sym.high == pytest.approx(signed * amax / HIST_BINS, rel=1e-6)  # float32
    asym = qv.quantize(x, 4, symmetric=False, strategy="entropy")
    assert asym.high == pytest.approx(unsigned * amax / HIST_BINS, rel=1e-6)
    # data with negative values: signed either way
    y = qv.sample("laplace", n=50_000, seed=9)
    assert qv.quantize(y, 4, strategy="entropy").high <= float(y.max())
