"""Awkward tensors through every strategy and scheme: a valid result or an InputError, never NaN.

Denormal values (below float32's smallest normal number, 1.2e-38), zeros, a
single value, constants and values near float32's largest (3.4e38) have each
broken a formula once. Denormal data made ``strategy="mse"`` and ``"entropy"``
raise a bare ``ValueError`` from ``np.bincount``: a histogram bin width of
1e-42 has a float32 reciprocal of +inf, so ``x · (1/width)`` gave inf and NaN,
which became negative bin indices. Squares in float32 overflowed (1e20² = inf)
or vanished ((1e-25)² = 0), and ``high − low`` overflowed for ±3e38. Each case
here must give either a valid
quantization (codes in range, finite scale, finite dequantized values, finite
metrics; ``sqnr_db`` is +inf only when the error is exactly 0) or a
:class:`quantviz.InputError`; no other exception and no warning.
"""

import math
import warnings

import numpy as np
import pytest

import quantviz as qv
import quantviz.ranges.mse
from quantviz import ranges


def _denormals(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.uniform(1e-40, 1e-39, n) * rng.choice([-1.0, 1.0], n)).astype(np.float32)


def _few_denormals_and_zeros() -> np.ndarray:
    x = np.zeros(5000, np.float32)
    x[[3, 70, 200]] = np.array([1e-40, -3e-39, 2e-45], np.float32)
    return x


def _huge() -> np.ndarray:
    rng = np.random.default_rng(1)
    x = rng.uniform(-3e38, 3e38, 600).astype(np.float32)
    x[:2] = [-3e38, 3e38]
    return x


TENSORS = {
    "denormals": _denormals(5000, 0),
    "denormals_2d": _denormals(64 * 32, 1).reshape(64, 32),
    "few_denormals_and_zeros": _few_denormals_and_zeros(),
    "all_zero": np.zeros(256, np.float32),
    "constant": np.full(300, 0.7, np.float32),
    "negative_constant": np.full(64, -2.5, np.float32),
    "single_value": np.array([4.25], np.float32),
    "scalar": np.float32(-1.5),
    "huge_1e30": (np.random.default_rng(2).standard_normal(512) * 1e30).astype(np.float32),
    "huge_3e38": _huge(),
    "huge_positive": np.abs(_huge()),
}

STRATEGIES = [s.name for s in qv.strategies()]


def _check(r: qv.QuantResult, x: np.ndarray) -> None:
    assert r.codes.shape == np.shape(x) and r.dequantized.shape == np.shape(x)
    assert r.codes.min() >= r.qmin and r.codes.max() <= r.qmax
    assert np.all(np.isfinite(np.asarray(r.scale))) and np.all(np.asarray(r.scale) > 0)
    assert np.all(np.isfinite(r.dequantized))
    for name in ("low", "high", "grid_low", "grid_high", "clip_low", "clip_high"):
        assert np.all(np.isfinite(getattr(r, name))), name
    for key, value in r.metrics.items():
        assert not (isinstance(value, float) and math.isnan(value)), key
        if key != "sqnr_db":
            assert math.isfinite(value), (key, value)
    if r.metrics["sqnr_db"] == math.inf:
        assert r.metrics["mse"] == 0.0
        np.testing.assert_array_equal(r.dequantized, x)
    else:
        assert math.isfinite(r.metrics["sqnr_db"])


@pytest.mark.parametrize("name", list(TENSORS))
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("bits", [1, 2, 8, 16])
def test_awkward_tensors_give_a_valid_result_or_an_input_error(name, strategy, symmetric, bits):
    x = TENSORS[name]
    extra = {"low": -1.0, "high": 1.0} if strategy == "manual" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            r = qv.quantize(x, bits, symmetric=symmetric, strategy=strategy, **extra)
        except qv.InputError as err:
            assert str(err).endswith(".") and "\n" not in str(err)
            return
        _check(r, x)
        if np.ndim(x) == 2 and strategy != "entropy":
            for granularity in ("channel", "group"):
                g = qv.quantize(
                    x,
                    bits,
                    symmetric=symmetric,
                    strategy=strategy,
                    granularity=granularity,
                    group_size=16,
                    **extra,
                )
                _check(g, x)


@pytest.mark.parametrize("strategy", ["mse", "entropy"])
@pytest.mark.parametrize("symmetric", [False, True])
def test_denormal_data_is_quantized_not_refused(strategy, symmetric):
    # Every denormal rounds to 0 on a grid whose step is at least float32 eps (as in
    # PyTorch): the error is the data itself, so the SQNR is exactly 0 dB.
    x = _denormals(1000, 3)
    r = qv.quantize(x, 8, symmetric=symmetric, strategy=strategy)
    assert np.all(r.dequantized == 0.0)
    assert r.metrics["sqnr_db"] == 0.0
    x64 = x.astype(np.float64)
    assert r.metrics["mse"] == pytest.approx(np.mean(x64**2), rel=1e-12)
    z = qv.quantize(_few_denormals_and_zeros(), 4, symmetric=symmetric, strategy=strategy)
    assert np.all(z.dequantized == 0.0)


@pytest.mark.parametrize("name", ["denormals", "few_denormals_and_zeros", "huge_1e30", "huge_3e38"])
@pytest.mark.parametrize("symmetric", [False, True])
def test_the_histogram_search_of_long_rows_survives_awkward_values(monkeypatch, name, symmetric):
    # Rows longer than EXACT_ROW_MAX (131,072 values) are searched on a histogram; shorten
    # the limit so that these small tensors take that path too.
    monkeypatch.setattr(ranges.mse, "EXACT_ROW_MAX", 100)
    x = TENSORS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for bits in (2, 8):
            r = qv.quantize(x, bits, symmetric=symmetric, strategy="mse")
            _check(r, x)
            if name == "huge_3e38" and bits == 2:  # min-max's 2-bit grid cannot exist here
                with pytest.raises(qv.InputError, match="too wide for a 2-bit grid"):
                    qv.quantize(x, bits, symmetric=symmetric)
                continue
            assert r.metrics["mse"] <= qv.quantize(x, bits, symmetric=symmetric).metrics["mse"]
