"""The MSE range search against brute force, and against the clock.

The reference here is independent of quantviz: PyTorch's formulas written out
in numpy (float32 scale and zero point, multiply by the float32 reciprocal,
round half to even, clamp; errors and sums in float64), tried on a fine grid of
clipping ranges. The search must come within 0.5 % of the best of them.
"""

import numpy as np
import pytest

import quantviz as qv
import quantviz.ranges.mse
from quantviz import ranges
from quantviz.ranges import search

F32 = np.float32
EPS = F32(np.finfo(np.float32).eps)


def reference_sse(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, bits: int, symmetric: bool):
    """SSE of ``x`` (n,) quantized on each candidate range ``lo[k], hi[k]`` (PyTorch formulas)."""
    lo = np.minimum(lo.astype(F32), F32(0))[:, None]
    hi = np.maximum(hi.astype(F32), F32(0))[:, None]
    if symmetric:
        qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        scale = np.maximum(np.maximum(-lo, hi) / F32((qmax - qmin) / 2), EPS).astype(F32)
        zp = np.zeros_like(scale)
    else:
        qmin, qmax = 0, 2**bits - 1
        scale = np.maximum((hi - lo) / F32(qmax - qmin), EPS).astype(F32)
        zp = np.clip(qmin - np.rint(lo / scale), qmin, qmax).astype(F32)
    codes = np.clip(np.rint(x[None, :] * (F32(1) / scale)) + zp, qmin, qmax)
    x_hat = ((codes - zp) * scale).astype(F32)
    err = x_hat.astype(np.float64) - x[None, :]
    return np.einsum("kn,kn->k", err, err)


def brute_force_sse(x: np.ndarray, bits: int, symmetric: bool) -> float:
    """The least SSE over a fine grid of clipping ranges (shrink factors of each end)."""
    mn, mx = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    if symmetric:
        amax = max(-mn, mx)
        f = np.concatenate([np.geomspace(1e-3, 0.05, 100), np.linspace(0.05, 1.0, 951)])
        candidates = [(-amax * f, amax * f)]
    else:
        f = np.concatenate([np.geomspace(0.01, 0.1, 20), np.linspace(0.1, 1.0, 91)])
        a, b = (g.ravel() for g in np.meshgrid(f, f))
        candidates = [(mn * a[i : i + 500], mx * b[i : i + 500]) for i in range(0, a.size, 500)]
    return min(float(reference_sse(x, lo, hi, bits, symmetric).min()) for lo, hi in candidates)


DISTRIBUTIONS = ["normal", "laplace", "student_t", "outliers", "lognormal", "bimodal", "uniform"]


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("symmetric", [False, True])
def test_per_tensor_search_is_within_half_a_percent_of_brute_force(dist, bits, symmetric):
    x = qv.sample(dist, n=2000, seed=bits)
    r = qv.quantize(x, bits, symmetric=symmetric, strategy="mse")
    sse = r.metrics["mse"] * x.size
    assert sse <= brute_force_sse(x, bits, symmetric) * 1.005


def _matrices() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {
        # eight rows of 600 values from different distributions and scales
        "mixed": np.stack(
            [
                qv.sample(dist, n=600, seed=10 + i) * F32(0.01 * (i + 1))
                for i, dist in enumerate([*DISTRIBUTIONS, "normal"])
            ]
        ),
        "normal": (rng.standard_normal((8, 384)) * 0.05).astype(F32),
        # skewed rows, shifted so that some are mostly negative: the best zero point
        # is a discrete choice that smooth moves of the ends miss
        "skewed": np.stack(
            [qv.sample("lognormal", n=300, seed=40 + i) - F32(0.3 * i) for i in range(8)]
        ),
        # a normal bulk with a few outliers on the positive side only
        "one_sided": np.stack(
            [
                np.concatenate(
                    [qv.sample("normal", n=295, seed=50 + i), F32([8 + i, 9, 10, 7, 12])]
                )
                for i in range(8)
            ]
        ),
    }


MATRICES = _matrices()


@pytest.mark.parametrize("name", list(MATRICES))
@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("symmetric", [False, True])
def test_per_channel_search_is_within_half_a_percent_of_brute_force(name, bits, symmetric):
    rows = MATRICES[name]
    r = qv.quantize(rows, bits, symmetric=symmetric, strategy="mse", granularity="channel")
    sse = r.metrics["mse"] * rows.size
    best = sum(brute_force_sse(row, bits, symmetric) for row in rows)
    assert sse <= best * 1.005


@pytest.mark.parametrize("dist", ["normal", "student_t", "lognormal", "outliers"])
@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("symmetric", [False, True])
def test_long_rows_searched_on_a_histogram_are_within_half_a_percent(
    monkeypatch, dist, bits, symmetric
):
    # Rows over EXACT_ROW_MAX (131,072 values) are searched on a 2048-bin histogram;
    # lower the limit so that a tensor small enough for brute force takes that path.
    monkeypatch.setattr(ranges.mse, "EXACT_ROW_MAX", 1000)
    # the asymmetric brute force tries every (ℓ, h) pair: 6,000 values keep it to a second
    x = qv.sample(dist, n=20_000 if symmetric else 6_000, seed=bits)
    sse = qv.quantize(x, bits, symmetric=symmetric, strategy="mse").metrics["mse"] * x.size
    assert sse <= brute_force_sse(x, bits, symmetric) * 1.005


@pytest.mark.parametrize("granularity", ["channel", "group"])
@pytest.mark.parametrize("bits", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("symmetric", [False, True])
def test_every_row_is_at_least_as_good_as_min_max(granularity, bits, symmetric):
    x = qv.sample("layer", n=32 * 256, seed=bits).reshape(32, 256)
    kw = {"granularity": granularity, "group_size": 32}
    r = qv.quantize(x, bits, symmetric=symmetric, strategy="mse", **kw)
    m = qv.quantize(x, bits, symmetric=symmetric, **kw)
    rows = x.reshape(r.scale.size, -1) if granularity == "group" else x

    def row_sse(res):
        err = res.dequantized.astype(np.float64) - x
        return np.sum(err.reshape(rows.shape) ** 2, axis=1)

    assert np.all(row_sse(r) <= row_sse(m))
    if bits <= 4:  # at 8 bits, min-max is often already the best for 32 values
        assert r.metrics["mse"] < m.metrics["mse"]


def _count_scored(monkeypatch) -> dict[str, int]:
    """Count the values the search scores (candidates × values) and the exact check scores."""
    counts = {"search": 0, "check": 0}
    scorer, exact = search.BlockScorer.__call__, search.exact_block_sse

    def scored(self, lo, hi):
        counts["search"] += lo.shape[1] * self.block.size
        return scorer(self, lo, hi)

    def checked(block, lo, hi, grid):
        counts["check"] += block.size
        return exact(block, lo, hi, grid)

    monkeypatch.setattr(search.BlockScorer, "__call__", scored)
    monkeypatch.setattr(search, "exact_block_sse", checked)
    return counts


@pytest.mark.parametrize(
    ("shape", "kw", "bits", "most"),
    [
        # candidates per row (each a pass over the row's values), asymmetric; before the
        # search started a few grid steps in: 37, 31 (4 bits), 22 and 24 (groups of 128)
        ((64, 384), {"granularity": "channel"}, 8, 12),
        ((64, 384), {"granularity": "channel"}, 4, 24),
        ((64, 512), {"granularity": "group", "group_size": 128}, 8, 12),
        ((64, 512), {"granularity": "group", "group_size": 128}, 4, 22),
    ],
)
def test_the_search_scores_few_candidates_per_row(monkeypatch, shape, kw, bits, most):
    counts = _count_scored(monkeypatch)
    w = (np.random.default_rng(3).standard_normal(shape) * 0.05).astype(F32)
    qv.quantize(w, bits, strategy="mse", **kw)
    assert counts["search"] <= most * w.size


def test_the_exact_check_skips_rows_whose_search_kept_min_max(monkeypatch):
    # Values on a 255-step lattice: min-max's grid has no error at all, so the search
    # keeps it in every row, and no row needs the check against it.
    counts = _count_scored(monkeypatch)
    codes = np.random.default_rng(4).integers(0, 256, size=(16, 300))
    codes[:, :2] = [0, 255]  # every row spans the lattice
    r = qv.quantize((codes * 0.01).astype(F32), 8, strategy="mse", granularity="channel")
    assert r.metrics["mse"] < 1e-12
    assert counts["check"] == 0


@pytest.mark.parametrize("bits", [2, 4, 8, 16])
@pytest.mark.parametrize("symmetric", [False, True])
def test_exact_sse_is_what_quantize_measures(bits, symmetric):
    x = np.stack([qv.sample(d, n=500, seed=7) for d in ("normal", "lognormal", "outliers")])
    lo, hi = x.min(axis=1) * 0.6, x.max(axis=1) * 0.8
    sse = ranges.exact_sse(x, lo, hi, bits, symmetric, False)
    for i in range(3):
        r = qv.quantize(x[i], bits, symmetric=symmetric, strategy="manual", low=lo[i], high=hi[i])
        # the quantizer's own dequantized values: one of them a float32 step off would
        # move the sum by far more than 1e-12
        real = np.sum((r.dequantized.astype(np.float64) - x[i]) ** 2)
        assert sse[i] == pytest.approx(real, rel=1e-12, abs=0)


def test_the_search_s_own_scores_settle_the_check_at_low_bits(monkeypatch):
    # At 2 bits the searched range beats min-max by far more than float32 scoring can
    # blur (search.surely_better): no row is scored again exactly.
    counts = _count_scored(monkeypatch)
    w = (np.random.default_rng(5).standard_normal((64, 384)) * 0.05).astype(F32)
    r = qv.quantize(w, 2, strategy="mse", granularity="channel")
    m = qv.quantize(w, 2, granularity="channel")
    assert counts["check"] == 0
    assert r.metrics["mse"] < 0.9 * m.metrics["mse"]


@pytest.mark.parametrize("bits", [12, 16])
def test_at_high_bits_no_row_trusts_the_float32_scores_over_the_exact_check(bits):
    # At 12–16 bits float32 scoring blurs the SSE by up to ~0.3 %, more than the search
    # gains over min-max in some rows: those rows must be decided by the exact errors.
    w = (np.random.default_rng(6).standard_normal((512, 512)) * 0.05).astype(F32)
    kw = {"granularity": "group", "group_size": 128}
    r = qv.quantize(w, bits, strategy="mse", **kw)
    m = qv.quantize(w, bits, **kw)

    def row_sse(res):
        return np.sum(((res.dequantized.astype(np.float64) - w) ** 2).reshape(-1, 128), axis=1)

    assert np.all(row_sse(r) <= row_sse(m))


def test_a_long_row_s_check_is_settled_by_its_fine_histogram(monkeypatch):
    # 200,000 values: searched on a histogram; at 8 bits the bounds from its 16,384 bins
    # already show the searched range beats min-max, so no value is scored again.
    counts = _count_scored(monkeypatch)
    x = qv.sample("normal", n=200_000, seed=8)
    r = qv.quantize(x, 8, strategy="mse")
    assert counts["check"] == 0
    assert r.metrics["mse"] < 0.9 * qv.quantize(x, 8).metrics["mse"]
