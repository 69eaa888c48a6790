"""Tests for quantviz.distributions: the named, seeded synthetic distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantviz.distributions import (
    Distribution,
    Param,
    distributions,
    get_distribution,
    layer_columns,
    sample,
)
from quantviz.errors import InputError

NAMES = [d.name for d in distributions()]
N = 100_000  # standard error of a std estimate ≈ std / sqrt(2N) ≈ 0.0022


def expected_shape(name: str, n: int, **params: float) -> tuple[int, ...]:
    if name == "layer":
        rows = int(params.get("rows", get_distribution("layer").defaults()["rows"]))
        return (rows, layer_columns(n, rows))
    return (n,)


# ------------------------------------------------------------- catalogue --


def test_public_names_in_teaching_order() -> None:
    assert NAMES == [
        "normal",
        "uniform",
        "laplace",
        "student_t",
        "outliers",
        "bimodal",
        "lognormal",
        "layer",
    ]


def test_catalogue_entries_are_frozen_dataclasses() -> None:
    for d in distributions():
        assert isinstance(d, Distribution)
        assert d.description and "\n" not in d.description
        assert all(isinstance(p, Param) for p in d.params)
        with pytest.raises(AttributeError):
            d.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("dist", distributions(), ids=NAMES)
def test_param_defaults_lie_within_their_range(dist: Distribution) -> None:
    for p in dist.params:
        assert p.low < p.high, p
        assert p.low <= p.default <= p.high, p
        assert all(math.isfinite(v) for v in (p.low, p.high, p.default)), p
        if p.integer:
            assert float(p.default).is_integer() and float(p.low).is_integer(), p


def test_documented_defaults() -> None:
    assert get_distribution("normal").defaults() == {"std": 1.0}
    assert get_distribution("uniform").defaults() == {"half_width": 1.0}
    assert get_distribution("laplace").defaults()["scale"] == pytest.approx(1 / math.sqrt(2))
    assert get_distribution("student_t").defaults() == {"df": 3.0, "scale": 1.0}
    assert get_distribution("outliers").defaults() == {"fraction": 0.001, "magnitude": 20.0}
    assert get_distribution("bimodal").defaults() == {"separation": 4.0, "weight": 0.5}
    assert get_distribution("lognormal").defaults() == {"sigma": 0.5}
    assert get_distribution("layer").defaults() == {"rows": 64, "row_spread": 1.0}
    rows = get_distribution("layer").params[0]
    assert rows.integer and (rows.low, rows.high) == (1, 1024)


def test_get_distribution_unknown_lists_valid_names() -> None:
    with pytest.raises(InputError, match=r"Unknown distribution 'gaussian'.*normal, uniform"):
        get_distribution("gaussian")


# ------------------------------------------------ dtype, shape, seeding --


@pytest.mark.parametrize("name", NAMES)
def test_every_distribution_samples_with_defaults(name: str) -> None:
    x = sample(name, n=10_000, seed=0)
    assert isinstance(x, np.ndarray)
    assert x.dtype == np.float32
    assert x.shape == expected_shape(name, 10_000)
    assert np.isfinite(x).all()


@pytest.mark.parametrize("name", NAMES)
def test_same_arguments_give_identical_arrays(name: str) -> None:
    a = sample(name, n=5_000, seed=7)
    b = sample(name, n=5_000, seed=7)
    c = sample(name, n=5_000, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_default_n_and_seed() -> None:
    x = sample("normal")
    assert x.shape == (100_000,)
    np.testing.assert_array_equal(x, sample("normal", n=100_000, seed=0, std=1.0))


def test_drawn_in_float64_then_cast() -> None:
    expected = np.random.default_rng(3).normal(0.0, 2.0, size=1_000).astype(np.float32)
    np.testing.assert_array_equal(sample("normal", n=1_000, seed=3, std=2.0), expected)


def test_numpy_scalars_are_accepted() -> None:
    a = sample("layer", n=np.int64(640), seed=np.uint8(1), rows=np.int32(8), row_spread=0.5)
    b = sample("layer", n=640, seed=1, rows=8.0, row_spread=np.float32(0.5))
    assert a.shape == (8, 80)
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------- values --


def test_normal_std() -> None:
    x = sample("normal", n=N, seed=0).astype(np.float64)
    assert abs(x.mean()) < 0.02
    assert x.std() == pytest.approx(1.0, abs=0.01)
    assert sample("normal", n=N, seed=0, std=0.1).std() == pytest.approx(0.1, abs=0.001)


def test_laplace_default_has_unit_std() -> None:
    x = sample("laplace", n=N, seed=0).astype(np.float64)
    assert x.std() == pytest.approx(1.0, abs=0.02)
    # Laplace is peakier than a normal: kurtosis 6 instead of 3.
    kurtosis = np.mean(x**4) / np.mean(x**2) ** 2
    assert 5.0 < kurtosis < 7.0


@pytest.mark.parametrize("w", [1.0, 0.1, 0.3, 7.77])
def test_uniform_stays_exactly_within_bounds(w: float) -> None:
    x = sample("uniform", n=N, seed=0, half_width=w)
    assert x.min() >= -w and x.max() <= w
    assert x.min() < -0.99 * w and x.max() > 0.99 * w
    assert x.astype(np.float64).std() == pytest.approx(w / math.sqrt(3), rel=0.01)


def test_student_t_has_heavier_tails_than_normal() -> None:
    t = sample("student_t", n=N, seed=0)
    z = sample("normal", n=N, seed=0)
    assert np.abs(t).max() > 2 * np.abs(z).max()
    np.testing.assert_array_equal(sample("student_t", n=N, seed=0, scale=2.0), 2 * t)


def test_lognormal_is_strictly_positive() -> None:
    x = sample("lognormal", n=N, seed=0)
    assert (x > 0).all()
    assert np.median(x) == pytest.approx(1.0, abs=0.01)
    assert (sample("lognormal", n=N, seed=0, sigma=2.0) > 0).all()


def test_bimodal_modes_and_weight() -> None:
    x = sample("bimodal", n=N, seed=0, separation=6.0, weight=0.25)
    right = x > 0
    assert right.mean() == pytest.approx(0.25, abs=0.01)
    assert x[right].mean() == pytest.approx(3.0, abs=0.05)
    assert x[~right].mean() == pytest.approx(-3.0, abs=0.05)
    # weight 1: every value in the right-hand peak N(+2, 1); weight 0: all in the left.
    assert (sample("bimodal", n=1_000, seed=0, weight=1.0) > -3.0).all()
    assert (sample("bimodal", n=1_000, seed=0, weight=0.0) < 3.0).all()


def test_outliers_default_count() -> None:
    x = sample("outliers", n=N, seed=0)
    big = np.abs(x) > 20.0 / 2
    assert big.sum() == round(0.001 * N)  # exactly floor(fraction * n + 0.5)
    assert set(np.abs(x[big]).tolist()) == {20.0}
    assert (x[big] > 0).any() and (x[big] < 0).any()  # random signs


def test_outliers_rounding_guarantees_at_least_one() -> None:
    # fraction * n = 0.5 rounds up to one outlier; 0.499 rounds down to none.
    assert (np.abs(sample("outliers", n=500, seed=0, magnitude=50.0)) == 50.0).sum() == 1
    assert (np.abs(sample("outliers", n=499, seed=0, magnitude=50.0)) == 50.0).sum() == 0
    assert (np.abs(sample("outliers", n=N, seed=0, fraction=0.0)) > 10.0).sum() == 0
    x = sample("outliers", n=1_000, seed=0, fraction=0.05, magnitude=30.0)
    assert (np.abs(x) == 30.0).sum() == 50


def test_layer_shape_and_uneven_rows() -> None:
    x = sample("layer", n=N, seed=0)
    assert x.shape == (64, 1536)  # 100_000 // 64 = 1562, rounded down to 12 x 128
    row_std = x.astype(np.float64).std(axis=1)
    assert row_std.max() / row_std.min() > 3
    assert 0.01 < np.median(row_std) < 0.05  # weight-sized values
    assert 0.01 < np.abs(x).mean() < 0.1


def test_layer_without_spread_has_equal_rows() -> None:
    x = sample("layer", n=64 * 2_000, seed=0, row_spread=0.0)
    row_std = x.astype(np.float64).std(axis=1)
    assert row_std.max() / row_std.min() < 1.3
    assert row_std.mean() == pytest.approx(0.02, rel=0.05)


def test_layer_rows_hold_a_multiple_of_128_values_when_they_can() -> None:
    assert sample("layer", n=1_000, seed=0, rows=7).shape == (7, 128)  # 142 -> 128
    assert sample("layer", n=700, seed=0, rows=7).shape == (7, 100)  # fewer than 128: kept
    assert sample("layer", n=7, seed=0, rows=7).shape == (7, 1)
    assert sample("layer", n=100_000, seed=0, rows=64).shape == (64, 1536)
    for n, rows in [(10_000, 8), (1_000_000, 64), (12_345, 3)]:
        cols = layer_columns(n, rows)
        assert cols % 128 == 0 and n // rows - 128 < cols <= n // rows


# ----------------------------------------------------------- validation --


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(InputError, match=r"Unknown distribution 'gauss'.*laplace.*layer"):
        sample("gauss")


def test_unknown_parameter_lists_valid_ones() -> None:
    with pytest.raises(InputError, match=r"'normal' has no parameter 'sigma'.*: std\."):
        sample("normal", sigma=1.0)
    with pytest.raises(InputError, match=r"parameters are: separation, weight"):
        sample("bimodal", std=1.0)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        (
            "normal",
            {"std": 0.0},
            r"'std' of the distribution 'normal' must be between 0.01 and 10 \(got 0.0\)",
        ),
        ("normal", {"std": -1.0}, r"'std'.*between 0.01 and 10"),
        ("outliers", {"fraction": 0.5}, r"'fraction'.*between 0 and 0.05"),
        ("outliers", {"magnitude": 1.0}, r"'magnitude'.*between 2 and 100"),
        ("student_t", {"df": 0.5}, r"'df'.*between 1 and 30"),
        ("layer", {"rows": 2048}, r"'rows'.*between 1 and 1024"),
        ("normal", {"std": float("nan")}, r"'std'.*between"),
        ("normal", {"std": float("inf")}, r"'std'.*between"),
        ("normal", {"std": "1.0"}, r"'std'.*must be a number"),
        ("normal", {"std": None}, r"'std'.*must be a number"),
        ("normal", {"std": True}, r"'std'.*must be a number"),
        ("layer", {"rows": 3.5}, r"'rows' of the distribution 'layer' must be a whole number"),
    ],
)
def test_bad_parameter_values(name: str, params: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        sample(name, n=1_000, **params)


@pytest.mark.parametrize(
    ("n", "match"),
    [
        (0, r"n must be between 1 and 50,000,000 \(got 0\)"),
        (-5, r"n must be between 1 and 50,000,000"),
        (50_000_001, r"n must be between 1 and 50,000,000 \(got 50,000,001\)"),
        (1e5, r"n must be a whole number.*type float"),
        (10.0, r"n must be a whole number"),
        (True, r"n must be a whole number.*type bool"),
        (np.bool_(True), r"n must be a whole number"),
        ("100", r"n must be a whole number"),
        (None, r"n must be a whole number"),
    ],
)
def test_bad_n(n: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        sample("normal", n=n)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 1.5, 2.0, None, "0", True])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(InputError, match=r"seed must be a non-negative whole number"):
        sample("normal", n=10, seed=seed)  # type: ignore[arg-type]


def test_layer_needs_at_least_one_value_per_row() -> None:
    with pytest.raises(InputError, match=r"n \(10\) must be at least the number of rows \(64\)"):
        sample("layer", n=10)


def test_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        sample("normal", n=0)


# ------------------------------------------------------------- property --


@st.composite
def valid_calls(draw: st.DrawFn) -> tuple[str, int, int, dict[str, float]]:
    dist = draw(st.sampled_from(distributions()))
    params: dict[str, float] = {}
    for p in dist.params:
        if p.integer:
            # Keep the matrix small: the full range is exercised via the edges.
            params[p.name] = draw(
                st.integers(int(p.low), int(p.high)) | st.sampled_from([int(p.high)])
            )
        else:
            params[p.name] = draw(st.floats(p.low, p.high, allow_nan=False))
    low_n = int(params.get("rows", 1))
    n = draw(st.integers(low_n, low_n + 3_000))
    seed = draw(st.integers(0, 2**32))
    return dist.name, n, seed, params


@settings(max_examples=150, deadline=None)
@given(valid_calls())
def test_any_valid_call_gives_finite_float32_of_the_right_size(
    call: tuple[str, int, int, dict[str, float]],
) -> None:
    name, n, seed, params = call
    x = sample(name, n=n, seed=seed, **params)
    assert x.dtype == np.float32
    assert x.shape == expected_shape(name, n, **params)
    assert np.isfinite(x).all()
    if name == "uniform":
        assert np.abs(x).max() <= params["half_width"]
    if name == "lognormal":
        assert (x > 0).all()
