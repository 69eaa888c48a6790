"""Properties of the math that must hold for any tensor (hypothesis)."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quantviz as qv

finite32 = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)
tensors = hnp.arrays(
    np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=12), elements=finite32
)
bits_st = st.integers(1, 16)
schemes = st.sampled_from([(False, False), (True, False), (True, True)])
cheap_strategies = st.sampled_from(["minmax", "percentile", "sigma", "mse", "aciq_laplace"])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(x, bits, scheme, strategy="minmax", granularity="tensor"):
    symmetric, narrow = scheme
    assume(not (narrow and bits < 2))
    return qv.quantize(
        x,
        bits,
        symmetric=symmetric,
        narrow_range=narrow,
        strategy=strategy,
        granularity=granularity,
    )


@SETTINGS
@given(tensors, bits_st, schemes, cheap_strategies, st.sampled_from(["tensor", "channel"]))
def test_codes_stay_within_qmin_qmax(x, bits, scheme, strategy, granularity):
    r = run(x, bits, scheme, strategy, granularity)
    assert r.codes.shape == x.shape
    assert r.codes.min() >= r.qmin and r.codes.max() <= r.qmax
    assert r.metrics["levels_used"] <= 2**bits
    assert np.all(np.isfinite(r.dequantized))


@SETTINGS
@given(tensors, bits_st, schemes)
def test_error_inside_the_grid_is_at_most_half_a_step(x, bits, scheme):
    r = run(x, bits, scheme)
    levels = r.levels().astype(np.float64)
    inside = (x >= levels[0]) & (x <= levels[-1])
    err = np.abs(r.dequantized.astype(np.float64) - x)[inside]
    # float32 arithmetic: x·(1/s) is off by at most a few ulps of |x/s| (≤ 2^bits codes)
    bound = r.scale / 2 + r.scale * 2**bits * 2.5e-7 + np.abs(x[inside]) * 2.5e-7
    assert np.all(err <= bound)


@SETTINGS
@given(tensors, bits_st, schemes, st.sampled_from(["tensor", "channel"]))
def test_quantizing_twice_changes_nothing(x, bits, scheme, granularity):
    r = run(x, bits, scheme, granularity=granularity)
    scale, zp = np.asarray(r.scale), np.asarray(r.zero_point)
    if granularity == "channel":  # one scale per slice along axis 0
        scale = scale.reshape((-1,) + (1,) * (x.ndim - 1))
        zp = zp.reshape(scale.shape)
    again = qv.fake_quantize(r.dequantized, scale, zp, r.qmin, r.qmax)
    np.testing.assert_array_equal(again, r.dequantized)


@SETTINGS
@given(tensors, st.integers(1, 12), schemes)
def test_mse_strategy_is_never_worse_than_minmax(x, bits, scheme):
    best = run(x, bits, scheme, "mse").metrics["mse"]
    assert best <= run(x, bits, scheme).metrics["mse"]


matrices = hnp.arrays(
    np.float32,
    st.tuples(st.integers(1, 6), st.integers(1, 300)),
    elements=finite32 | st.sampled_from([0.0, 0.5, 1.0, -3.0]),  # some rows on a lattice
)


@SETTINGS
@given(matrices, st.integers(1, 16), schemes)
def test_mse_per_channel_is_never_worse_than_minmax_in_any_row(x, bits, scheme):
    def row_sse(r):
        return np.sum((r.dequantized.astype(np.float64) - x) ** 2, axis=1)

    best = run(x, bits, scheme, "mse", "channel")
    assert np.all(row_sse(best) <= row_sse(run(x, bits, scheme, granularity="channel")))


@SETTINGS
@given(
    st.sampled_from(
        ["normal", "uniform", "laplace", "student_t", "outliers", "bimodal", "lognormal"]
    ),
    st.integers(0, 10_000),
    st.integers(500, 5000),
    st.integers(1, 15),
    schemes,
)
def test_more_bits_never_increase_minmax_mse_on_real_distributions(dist, seed, n, bits, scheme):
    """Holds for spread-out data; see the counterexample below for why not for any data."""
    x = qv.sample(dist, n=n, seed=seed)
    assume(not (scheme[1] and bits < 2))
    assert run(x, bits + 1, scheme).metrics["mse"] <= run(x, bits, scheme).metrics["mse"]


def test_grids_of_different_widths_are_not_nested():
    # [-1, 0, 2] sits exactly on the 2-bit grid (step 1) but not on the 3-bit one
    # (step 3/7): one more bit can *raise* the error of a tiny, special tensor.
    x = [-1.0, 0.0, 2.0]
    assert qv.quantize(x, 2).metrics["mse"] == 0.0
    assert qv.quantize(x, 3).metrics["mse"] > 0.0


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 2**31))
def test_stochastic_rounding_is_unbiased(value, seed):
    n = 50_000
    x = np.full(n + 2, value, dtype=np.float32)
    x[-2:] = [0.0, 1.0]  # pin the grid to [0, 1], 15 steps of 1/15
    r = qv.quantize(x, 4, rounding="stochastic", seed=seed)
    mean = r.dequantized[:n].astype(np.float64).mean()
    # each value rounds to one of two neighbours a step apart: std of the mean ≤ step/(2√n)
    assert abs(mean - np.float32(value)) <= 5 * r.scale / (2 * np.sqrt(n)) + 1e-7
