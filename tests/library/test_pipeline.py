"""quantize(): inputs validated once, granularities, and the result's contract."""

import warnings

import numpy as np
import pytest

import quantviz as qv


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "empty"),
        (np.zeros((3, 0)), "empty"),
        (np.array([1 + 2j]), "complex"),
        (np.array(["a", "b"]), "numbers"),
        (np.array([{}, 1], dtype=object), "numbers"),
        ([1.0, float("nan"), 2.0], "1 NaN and 0 infinite"),
        ([1.0, float("inf"), -float("inf")], "0 NaN and 2 infinite"),
        ([[1.0, 2.0], [3.0]], "not an array of numbers"),
    ],
)
def test_bad_inputs_raise_one_clear_sentence(value, message):
    with pytest.raises(qv.InputError, match=message):
        qv.quantize(value, 8)


@pytest.mark.parametrize(
    "x",
    [
        np.arange(-5, 6, dtype=np.int64),
        np.array([True, False, True]),
        np.linspace(-1, 1, 11, dtype=np.float64),
        np.linspace(-1, 1, 11, dtype=np.float16),
        np.uint8([0, 128, 255]),
        3.5,
    ],
)
def test_integer_bool_and_other_float_inputs_are_accepted(x):
    r = qv.quantize(x, 8)
    assert r.dequantized.dtype == np.float32
    assert r.dequantized.shape == r.codes.shape == np.shape(x)  # a scalar stays 0-d
    expected = np.asarray(x, dtype=np.float32)
    assert np.max(np.abs(r.dequantized - expected)) <= r.scale / 2 + 1e-6


def test_finite_values_drops_nan_and_inf_and_counts_them():
    values, dropped = qv.finite_values([1.0, np.nan, 2.0, np.inf])
    assert values.tolist() == [1.0, 2.0] and dropped == 2


def test_per_channel_scales_follow_the_axis():
    x = qv.sample("layer", n=32 * 64, seed=1, rows=32)  # (32, 64), rows on different scales
    r0 = qv.quantize(x, 4, symmetric=True, granularity="channel", axis=0)
    assert r0.scale.shape == (32,) and r0.zero_point.shape == (32,)
    np.testing.assert_allclose(r0.high, np.abs(x).max(axis=1), rtol=1e-7)
    r1 = qv.quantize(x, 4, symmetric=True, granularity="channel", axis=-1)
    assert r1.scale.shape == (64,)
    t = qv.quantize(x, 4, symmetric=True)
    assert r0.metrics["mse"] < t.metrics["mse"] / 4  # per-channel rescues uneven rows
    assert r0.codes.shape == x.shape and r0.levels(3).shape == (16,)
    assert not r0.per_tensor and t.per_tensor
    with pytest.raises(qv.InputError, match="pass an index"):
        r0.levels()


def test_groups_are_contiguous_blocks_of_the_last_axis():
    x = np.arange(2 * 8, dtype=np.float32).reshape(2, 8)
    r = qv.quantize(x, 2, granularity="group", group_size=4)
    assert r.scale.shape == (2, 2)
    assert r.high.tolist() == [[3.0, 7.0], [11.0, 15.0]]
    assert r.low.tolist() == [[0.0, 0.0], [0.0, 0.0]]  # ranges widened to include 0
    assert qv.quantize(np.zeros(256), 4, granularity="group").scale.shape == (2,)  # default 128


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"granularity": "group", "group_size": 5}, "does not divide the last dimension"),
        ({"granularity": "group", "group_size": 0}, "positive whole number"),
        ({"granularity": "channel", "axis": 2}, "axis 2 does not exist"),
        ({"granularity": "row"}, "granularity must be one of"),
        ({"rounding": "up"}, "rounding must be one of"),
        ({"symmetric": "yes"}, "True or False"),
        ({"seed": 1.5}, "seed must be"),
    ],
)
def test_settings_that_do_not_fit_are_refused(kwargs, message):
    with pytest.raises(qv.InputError, match=message):
        qv.quantize(np.zeros((4, 8)), 4, **kwargs)


def test_result_reports_its_settings_and_grid():
    x = qv.sample("normal", n=1000, seed=2)
    r = qv.quantize(x, 6, symmetric=True, strategy="percentile", percentile=99.0)
    assert r.config.bits == 6 and r.bits == 6
    assert r.config.strategy_params == {"percentile": 99.0}
    assert (r.qmin, r.qmax) == (-32, 31)
    assert r.low == -r.high
    assert np.all((r.codes >= r.qmin) & (r.codes <= r.qmax))
    assert set(np.unique(r.dequantized)) <= set(r.levels())


def test_a_constant_tensor_runs_every_strategy_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for s in qv.strategies():
            extra = {"low": -1.0, "high": 1.0} if s.name == "manual" else {}
            for sym in (False, True):
                r = qv.quantize(np.full(300, 0.7), 4, symmetric=sym, strategy=s.name, **extra)
                assert np.all(np.isfinite(r.dequantized))
                assert np.isfinite(r.metrics["mse"])


def test_grid_ends_can_lie_half_a_step_outside_the_clipping_range():
    # 2-bit min-max on [-1, 2.5]: step 3.5/3; the zero point rounds to 1, so the
    # levels are -1.1667, 0, 1.1667, 2.3333 and 2.5 is clipped to the top level.
    r = qv.quantize([-1.0, 0.0, 2.5], bits=2)
    assert r.zero_point == 1
    assert r.grid_low == pytest.approx(-3.5 / 3) and r.grid_high == pytest.approx(7 / 3)
    assert (r.low, r.high) == (-1.0, 2.5)
    np.testing.assert_array_equal(r.levels()[[0, -1]], [r.grid_low, r.grid_high])
    c = qv.quantize(np.ones((3, 4)), 4, granularity="channel")
    assert c.grid_high.shape == (3,)


def test_sweep_leaves_out_the_one_bit_narrow_grid():
    df = qv.sweep(
        [1.0, -2.0, 3.0], bits=[1, 2], strategies=["minmax"], symmetric=True, narrow_range=True
    )
    assert df["bits"].tolist() == [2]


@pytest.mark.parametrize("x", [np.float32(3.0), 3.0, np.array(3.0)])
def test_a_single_number_keeps_the_shape_of_a_scalar(x):
    r = qv.quantize(x, 8)  # range [0, 3]: 3.0 is the top code
    assert r.codes.shape == () and r.dequantized.shape == () and r.clipped.shape == ()
    assert int(r.codes) == 255
    assert float(r.dequantized) == pytest.approx(3.0, abs=1e-6)
    s = qv.quantize(2.5, 4, symmetric=True, strategy="mse")
    assert s.dequantized.shape == ()
    assert qv.metrics(2.0, 2.5)["mse"] == 0.25


@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_a_single_number_has_no_channels_or_groups(granularity):
    with pytest.raises(qv.InputError, match="single number has no channels or groups"):
        qv.quantize(np.float32(3.0), 8, granularity=granularity, group_size=1)


@pytest.mark.parametrize("strategy", ["minmax", "percentile", "mse"])
def test_low_and_high_belong_to_the_manual_strategy(strategy):
    x = np.linspace(-2, 2, 11)
    with pytest.raises(qv.InputError, match=r"only with strategy='manual'.*chooses its own range"):
        qv.quantize(x, 4, strategy=strategy, low=-1.0, high=1.0)
    with pytest.raises(qv.InputError, match="only with strategy='manual'"):
        qv.quantize(x, 4, strategy=strategy, high=1.0)
    assert qv.quantize(x, 4, strategy="manual", low=-1.0, high=1.0).high == 1.0


def test_clip_low_and_high_are_where_the_clamp_starts():
    # 2 bits on [-1, 2.5]: step 3.5/3, levels -7/6, 0, 7/6, 7/3; nearest rounding
    # reaches half a step beyond the end levels: -7/6 - 7/12 = -1.75, 7/3 + 7/12 = 2.9167.
    r = qv.quantize([-1.0, 0.0, 2.5], bits=2)
    assert r.clip_low == pytest.approx(-1.75, rel=1e-6)
    assert r.clip_high == pytest.approx(35 / 12, rel=1e-6)
    assert r.metrics["clipped_count"] == 0
    # 4 bits, manual [-1, 1]: step 2/15 (float32 rounds it up a little, so -1/step is
    # -7.4999995 and the zero point is 7), levels -14/15 … 16/15: clipping starts at
    # -1 and at 17/15. Of the 101 values -4, -3.92, …, 4: 38 lie below -1 (-4 … -1.04)
    # and 36 above 17/15 (1.2 … 4).
    x = np.linspace(-4, 4, 101, dtype=np.float32)
    m = qv.quantize(x, 4, strategy="manual", low=-1.0, high=1.0)
    assert m.zero_point == 7
    assert m.clip_low == pytest.approx(-1.0, rel=1e-6)
    assert m.clip_high == pytest.approx(17 / 15, rel=1e-6)
    outside = np.count_nonzero((x < m.clip_low) | (x > m.clip_high))
    assert outside == m.metrics["clipped_count"] == 74
    # stochastic rounding: any value beyond an end level may be pushed past it
    s = qv.quantize(x, 4, strategy="manual", low=-1.0, high=1.0, rounding="stochastic", seed=0)
    assert (s.clip_low, s.clip_high) == (s.grid_low, s.grid_high)
    assert s.clip_high == pytest.approx(16 / 15, rel=1e-6)
    # per channel: one value per channel, like grid_low
    c = qv.quantize(np.arange(12.0).reshape(3, 4), 2, granularity="channel")
    assert c.clip_low.shape == c.clip_high.shape == (3,)
    np.testing.assert_allclose(c.clip_high, c.grid_high + c.scale / 2)


@pytest.mark.parametrize("granularity", ["tensor", "channel"])
def test_measure_only_gives_the_same_numbers_without_the_arrays(granularity):
    x = qv.sample("layer", n=300_000, seed=2)
    full = qv.quantize(x, bits=3, strategy="percentile", percentile=99.0, granularity=granularity)
    light = qv.quantize(
        x, bits=3, strategy="percentile", percentile=99.0, granularity=granularity, arrays=False
    )
    assert light.codes is None and light.dequantized is None and light.clipped is None
    assert light.metrics == full.metrics
    assert np.array_equal(light.code_counts, full.code_counts)
    assert np.array_equal(np.asarray(light.scale), np.asarray(full.scale))
