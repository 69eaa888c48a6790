"""SmoothQuant's s, GPTQ, AWQ's scales, the activation grids and the output error, each on a
small case worked by hand (the numbers in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

import quantviz as qv
from quantviz.models.transformer import act_quant
from quantviz.models.transformer.awq import awq, awq_scales
from quantviz.models.transformer.gptq import Grid, gptq, output_error
from quantviz.models.transformer.retrieval import score
from quantviz.models.transformer.smoothquant import smooth_scales, smoothed, weight_absmax

F32 = np.float32


# ------------------------------------------------------------------ SmoothQuant --


def test_smoothquant_scales_by_hand():
    act, w = np.array([16.0, 1.0]), np.array([1.0, 4.0])
    # s_j = max|X_j|^α / max|W_j|^(1−α)
    assert smooth_scales(act, w, 0.5).tolist() == [4.0, 0.5]  # √16/√1, √1/√4
    assert smooth_scales(act, w, 1.0).tolist() == [16.0, 1.0]  # the activations' maxima
    assert smooth_scales(act, w, 0.0).tolist() == [1.0, 0.25]  # 1 / the weights' maxima
    # at α = ½ both sides meet: max|X_j|/s_j = max|W_j|·s_j = √(16·1) = 4 and √(1·4) = 2
    s = smooth_scales(act, w, 0.5)
    assert (act / s).tolist() == [4.0, 2.0] and (w * s).tolist() == [4.0, 2.0]
    # an all-zero channel: both maxima floored at 1e-5, so s = 1e-5^α / 1e-5^(1−α) = 1 at ½
    assert smooth_scales([0.0], [0.0], 0.5).tolist() == [1.0]


def test_smoothing_is_exact_in_float():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    s = smooth_scales(np.abs(x).max(0), weight_absmax([w]), 0.8).astype(np.float64)
    np.testing.assert_allclose((x / s) @ (w * s).T, x @ w.T, rtol=1e-12)


def test_weight_absmax_over_every_linear_reading_the_input():
    q = np.array([[1.0, -5.0], [2.0, 0.0]])
    k = np.array([[-3.0, 1.0]])
    assert weight_absmax([q, k]).tolist() == [3.0, 5.0]


def test_which_inputs_a_deployment_can_fold():
    assert [smoothed(k, "layernorm") for k in ("attention", "context", "ffn", "gelu")] == [
        True, False, True, False,
    ]  # fmt: skip
    assert all(smoothed(k, "all") for k in ("attention", "context", "ffn", "gelu"))
    with pytest.raises(qv.InputError, match="smooth_scope"):
        smoothed("ffn", "some")


# ------------------------------------------------------------------------- GPTQ --

UNIT = Grid(np.ones((1, 1), F32), np.zeros((1, 1), np.int64), 2, -8, 7)  # step 1, codes −8…7


def test_gptq_by_hand_one_row_two_correlated_columns():
    w = np.array([[0.4, 0.4]], F32)
    h = np.array([[2.0, 1.0], [1.0, 2.0]])
    # RTN: both round to 0. GPTQ: column 0 rounds to 0, its error 0.4 moves column 1 by
    # −0.4 / [H⁻¹]₀₀ · [H⁻¹]₀₁ = −0.4 / (2/3) · (−1/3) = +0.2, so column 1 is 0.6 → 1.
    assert UNIT.round_to_nearest(w).tolist() == [[0.0, 0.0]]
    q = gptq(w, h, UNIT, damp=0.0)
    assert q.tolist() == [[0.0, 1.0]]
    # output error Δ·H·Δᵀ: RTN 0.16·(2 + 2 + 2) = 0.96; GPTQ 0.16·2 + 0.36·2 − 2·0.24 = 0.56
    assert output_error(w - UNIT.round_to_nearest(w), h) == pytest.approx(0.96)
    assert output_error(w - q, h) == pytest.approx(0.56)
    # ... while the weight error grows: 0.16 + 0.16 = 0.32 against 0.16 + 0.36 = 0.52
    assert float(np.sum((w - q) ** 2)) == pytest.approx(0.52)


def test_gptq_act_order_rounds_the_busiest_column_first():
    w = np.array([[0.4, 0.4]], F32)
    h = np.array([[1.0, 1.0], [1.0, 4.0]])
    # in order: column 0 → 0, its error moves column 1 by −0.4/[H⁻¹]₀₀·[H⁻¹]₀₁; H⁻¹ = ⅓[[4,−1],
    # [−1,1]]: +0.4·(1/3)/(4/3) = +0.1 → 0.5 → rounds half to even: 0
    assert gptq(w, h, UNIT, damp=0.0).tolist() == [[0.0, 0.0]]
    # act-order: column 1 (H₁₁ = 4) first → 0; column 0 moves by +0.4·(1/3)/(1/3) = +0.4 → 1
    assert gptq(w, h, UNIT, damp=0.0, act_order=True).tolist() == [[1.0, 0.0]]


def test_gptq_with_uncorrelated_inputs_is_round_to_nearest():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(6, 10)).astype(F32)
    r = qv.quantize(w, bits=3, granularity="channel")
    grid = Grid.of(r.scale, r.zero_point, w.shape, r.qmin, r.qmax)
    h = np.diag(rng.uniform(0.5, 2.0, size=10))
    np.testing.assert_array_equal(gptq(w, h, grid), r.dequantized)


def test_gptq_blocks_change_nothing_and_beat_rtn_on_the_output():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12))  # correlated inputs
    w = rng.normal(size=(5, 12)).astype(F32)
    gram = x.T @ x
    r = qv.quantize(w, bits=3, granularity="group", group_size=4)
    grid = Grid.of(r.scale, r.zero_point, w.shape, r.qmin, r.qmax)
    one = gptq(w, 2 * gram, grid, block=1)
    np.testing.assert_allclose(gptq(w, 2 * gram, grid, block=128), one, atol=1e-6)
    assert output_error(one - w, gram) < output_error(r.dequantized - w, gram)
    # every weight sits on RTN's grid: the codes are the group's levels
    scale = np.repeat(r.scale, 4, axis=1)
    codes = one / scale + np.repeat(r.zero_point, 4, axis=1)
    np.testing.assert_allclose(codes, np.rint(codes), atol=1e-4)


def test_grid_of_each_granularity():
    w = np.arange(8, dtype=F32).reshape(2, 4)
    tensor = Grid.of(F32(0.5), 3, w.shape, 0, 15)
    assert tensor.scale.shape == (2, 1) and tensor.group_size == 4
    groups = Grid.of(np.ones((2, 2), F32), np.zeros((2, 2)), w.shape, 0, 15)
    assert groups.group_size == 2
    with pytest.raises(qv.InputError, match="output row"):
        Grid.of(np.ones(4, F32), np.zeros(4), w.shape, 0, 15)


def test_output_error_by_hand():
    g = np.array([[2.0, 1.0], [1.0, 3.0]])
    assert output_error(np.array([[1.0, 0.0]]), g) == 2.0
    assert output_error(np.array([[1.0, 1.0]]), g) == 7.0  # 2 + 3 + 2·1
    x = np.array([[1.0, 2.0], [0.0, 1.0]])  # ‖Δ·Xᵀ‖² with Δ = [1, 1]: 3² + 1² = 10
    assert output_error(np.array([[1.0, 1.0]]), x.T @ x) == 10.0


# -------------------------------------------------------------------------- AWQ --


def test_awq_scales_by_hand():
    # s = mean|X|^α, divided by √(max s · min s): [2, 1] / √2
    np.testing.assert_allclose(awq_scales([4.0, 1.0], 0.5), [2**0.5, 2**-0.5], rtol=1e-6)
    assert awq_scales([4.0, 1.0], 0.0).tolist() == [1.0, 1.0]  # α = 0: no scaling (RTN)
    np.testing.assert_allclose(awq_scales([0.0, 1e-4], 1.0), [1.0, 1.0])  # floored at 1e-4


def test_awq_protects_the_salient_channel():
    # one row on a grid of 5 levels, step = max|w| / 2, set by its largest weight (1.0):
    # the small weight on the busy channel (mean |x| = 10) rounds to 0 under RTN
    w = np.array([[0.2, 1.0]], F32)
    gram = np.diag([100.0, 1.0])  # channel 0's inputs are 10× channel 1's

    def rtn(m):
        step = np.abs(m).max(axis=1, keepdims=True) / 2
        return (np.rint(m / step) * step).astype(F32)

    assert rtn(w).tolist() == [[0.0, 1.0]]
    result = awq(w, np.array([10.0, 1.0]), gram, rtn)
    assert result.errors[0] == pytest.approx(4.0)  # α = 0 is RTN: 100 · 0.2²
    # α = ½: s = [10^¼, 10^−¼] = [1.778, 0.562]; W·s = [0.356, 0.562], step 0.281: 0.356 → 1
    # step → back to 0.281/1.778 = 0.158, an error of 0.042 → 100 · 0.042² = 0.18
    assert result.errors[10] == pytest.approx(0.176, abs=0.002)
    assert result.alpha > 0 and result.weight[0, 0] > 0.1


# ------------------------------------------------------------ activation grids --

X = np.array([[[0.0, 1.0, 2.0, 3.0], [0.0, 10.0, 20.0, 30.0]]], F32)  # 1 text, 2 tokens
MASK = np.ones((1, 2), bool)


def test_per_token_gives_each_token_its_own_step():
    spec = act_quant.ActivationSpec(bits=2, mode="per_token")
    # token 0: range [0, 3] → step 1; token 1: [0, 30] → step 10 — both exact
    np.testing.assert_array_equal(act_quant.per_token(spec)(X, MASK), X)


def test_one_grid_per_text_flattens_the_small_token():
    spec = act_quant.ActivationSpec(bits=2, mode="dynamic")
    # one range [0, 30] for the text: step 10; token 0's 1, 2, 3 all round to 0
    out = act_quant.per_text(spec)(X, MASK)
    assert out.tolist() == [[[0.0, 0.0, 0.0, 0.0], [0.0, 10.0, 20.0, 30.0]]]


def test_padding_never_sets_a_range():
    x = np.concatenate([X, np.full((1, 1, 4), 1000.0, F32)], axis=1)
    mask = np.array([[True, True, False]])
    spec = act_quant.ActivationSpec(bits=2, mode="dynamic")
    out = act_quant.per_text(spec)(x, mask)
    assert out[0, :2].tolist() == [[0.0, 0.0, 0.0, 0.0], [0.0, 10.0, 20.0, 30.0]]


def test_static_and_per_channel_grids():
    spec = act_quant.ActivationSpec(bits=2)
    # a calibrated range [0, 3]: step 1, 30 clips to 3
    assert act_quant.fixed(spec, 0.0, 3.0)(X, MASK)[0, 1].tolist() == [0.0, 3.0, 3.0, 3.0]
    # per input channel: channel 0's range [0, 3] keeps its 0; the others step by 10
    per_channel = act_quant.fixed(spec, np.zeros(4), np.array([3.0, 30.0, 30.0, 30.0]))
    assert per_channel(X, MASK)[0, 0].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_activation_settings_are_checked():
    with pytest.raises(qv.InputError, match="mode"):
        act_quant.ActivationSpec.of({"mode": "per_row"})
    with pytest.raises(qv.InputError, match="manual"):
        act_quant.ActivationSpec.of({"strategy": "manual"})
    with pytest.raises(qv.InputError, match="percentile"):
        act_quant.ActivationSpec.of({"strategy": "percentile", "percentile": 120})
    spec = act_quant.ActivationSpec.of({"bits": 6, "mode": "per_token", "symmetric": True})
    assert (spec.bits, spec.mode, spec.symmetric) == (6, "per_token", True)


# -------------------------------------------------------------------- retrieval --


def test_retrieval_scores_by_hand():
    q = np.eye(3, dtype=F32)
    d = np.array([[0.9, 0.1, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]], F32)
    s = score(q, d, np.array([0, 1, 2]))
    assert s.ranks.tolist() == [1, 1, 1]  # each answer is its query's most similar
    s = score(q, d, np.array([1, 0, 2]))  # query 0 → doc 1 (0.8 < 0.9: rank 2)
    assert s.ranks.tolist() == [2, 2, 1]
    assert s.accuracy == pytest.approx(1 / 3) and s.mrr == pytest.approx((0.5 + 0.5 + 1) / 3)
