"""One Linear at a time (quantviz.models.transformer.layerwise): hand-worked cases, and the
Transformer room's shipped numbers (assets/precomputed/minilm-l6-layers.json, read by
quantviz.models.transformer.precomputed) re-computed on a subset."""

from __future__ import annotations

import numpy as np
import pytest

import quantviz as qv
from quantviz.models.transformer import layerwise
from quantviz.models.transformer import precomputed as pre
from quantviz.models.transformer.retrieval import nearest
from tests.library.models.conftest import slow

FFN0 = "encoder.layer.0.intermediate.dense.weight"
OUT3 = "encoder.layer.3.output.dense.weight"


def test_three_grids_on_a_matrix_with_one_outlier_channel_on_one_token():
    # row 0 is [CLS], column 0 its outlier channel
    x = np.array([[30.0, 0.2, -0.1], [0.3, -0.2, 0.1], [0.1, 0.3, -0.3]], dtype=np.float32)
    g = layerwise.activation_grids(x, bits=4)
    assert set(g) == set(layerwise.GRID_MODES)
    # one grid for all: [−0.3, 30] in 15 steps of 2.02: every small value rounds to 0
    assert float(g["tensor"].scale) == pytest.approx(30.3 / 15)
    assert np.all(g["tensor"].dequantized.ravel()[1:] == 0)
    # one grid per token: rows 1 and 2 span [−0.3, 0.3] → steps of 0.04, error ≤ 0.02
    assert np.abs(g["token"].dequantized[1:] - x[1:]).max() <= 0.02 + 1e-6
    assert np.all(g["token"].dequantized[0, 1:] == 0)  # [CLS]'s own small values still 0
    # one grid per channel: channel 0 spans [0, 30] (step 2): its 0.3 and 0.1 round to 0
    assert g["channel"].dequantized[1:, 0].tolist() == [0.0, 0.0]
    assert np.abs(g["channel"].dequantized[:, 1:] - x[:, 1:]).max() <= 0.6 / 15 / 2 + 1e-6
    sqnr = {m: r.metrics["sqnr_db"] for m, r in g.items()}
    assert sqnr["tensor"] < sqnr["channel"] and sqnr["tensor"] < sqnr["token"]


def test_smoothquant_maxima_by_hand():
    # s = 16^0.5 / 1^0.5 = 4 and 1^0.5 / 4^0.5 = 0.5: both maxima become √(|X|·|W|)
    act, w = layerwise.smoothed_maxima(np.array([16.0, 1.0]), np.array([1.0, 4.0]), 0.5)
    assert act.tolist() == [4.0, 2.0] and w.tolist() == [4.0, 2.0]
    act, w = layerwise.smoothed_maxima(np.array([16.0, 1.0]), np.array([1.0, 4.0]), 1.0)
    assert act.tolist() == [1.0, 1.0] and w.tolist() == [16.0, 4.0]  # α = 1: all into W
    act, w = layerwise.smoothed_maxima(np.array([16.0]), np.array([2.0]), None)
    assert (act.tolist(), w.tolist()) == ([16.0], [2.0])


def test_relative_error_from_sqnr():
    assert layerwise.relative_error(10.0) == pytest.approx(0.1)
    assert layerwise.relative_error(20.0) == pytest.approx(0.01)


def test_nearest_documents():
    d = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    i, sim = nearest(np.array([0.0, 1.0], dtype=np.float32), d, k=2)
    assert i.tolist() == [2, 1] and sim.round(6).tolist() == [1.0, 0.8]
    i, _ = nearest(np.array([1.0, 0.0]), np.array([[0.5, 0.0], [0.5, 0.1]]), k=5)
    assert i.tolist() == [0, 1]  # a tie stays in document order; k beyond the documents


def test_model_installed():
    assert qv.model_installed("digits-cnn")
    with pytest.raises(qv.InputError):
        qv.model_installed("no-such-model")


def test_the_shipped_tables_say_what_smoothquant_and_gptq_do():
    table = pre.smooth_tradeoff(FFN0, 6)
    assert np.isnan(table.alpha[0]) and table.alpha[1:].tolist() == list(layerwise.ALPHAS)
    curve = table.iloc[1:]
    # the input gets easier as α grows (more of its range moves into the weight) ...
    assert curve.act_sqnr_db.is_monotonic_increasing
    # ... the weight harder past α ≈ 0.3, and the unsmoothed input is 12.7 dB at 6 bits
    assert curve.weight_sqnr_db.iloc[-1] < curve.weight_sqnr_db.iloc[6] - 6
    assert table.act_sqnr_db[0] == pytest.approx(12.736, abs=1e-3)
    assert pre.smooth_act_bits() == (6, 8) and pre.method_bits() == tuple(range(2, 9))
    for bits in pre.method_bits():
        for linear in (FFN0, OUT3):
            t = pre.method_errors(linear, bits).set_index("method")
            assert t.loc["gptq", "weight_error"] > t.loc["rtn", "weight_error"], (linear, bits)
            assert t.loc["gptq", "output_error"] < t.loc["rtn", "output_error"], (linear, bits)


def test_the_shipped_tables_reproduce(minilm):
    """Re-running a part of scripts/precompute_minilm_layers.py gives the shipped numbers."""
    fresh = layerwise.smooth_tradeoff(minilm, FFN0, (None, 0.5, 0.8), act_bits=6)
    shipped = pre.smooth_tradeoff(FFN0, 6)
    shipped = shipped.iloc[[0, 11, 17]].reset_index(drop=True)  # off, 0.5, 0.8
    assert shipped.alpha[1:].tolist() == [0.5, 0.8]
    for column in layerwise.SMOOTH_COLUMNS[1:]:
        np.testing.assert_allclose(fresh[column], shipped[column], atol=2e-3, err_msg=column)
    fresh = layerwise.method_errors(minilm, OUT3, 3, methods=("rtn", "gptq"))
    shipped = pre.method_errors(OUT3, 3).iloc[:2]
    np.testing.assert_allclose(fresh.sqnr_db, shipped.sqnr_db, atol=2e-4)
    np.testing.assert_allclose(fresh.output_error, shipped.output_error, rtol=1e-4)
    # the weights' maxima SmoothQuant divides by
    w = np.abs(minilm.weights[FFN0]).max(axis=0)
    np.testing.assert_allclose(pre.weight_absmax("encoder.layer.0.ffn"), w, rtol=1e-3)


def test_encode_quantized_tells_its_progress(minilm):
    from quantviz.models.transformer import encode_quantized

    steps = []

    def progress(done, total, what):
        steps.append((done, total))

    e = encode_quantized(minilm, ["Open a file."], bits=8, granularity="channel", progress=progress)
    assert e.shape == (1, 384)
    assert steps[0] == (0, 36) and steps[-1] == (35, 36) and len(steps) == 36


def test_the_shipped_model_scores_cover_every_alpha_of_the_slider():
    for act_bits in (6, 8):
        for scope in ("all", "layernorm"):
            for alpha in layerwise.ALPHAS:
                kw = {"bits": 8, "granularity": "channel", "activations": {"bits": act_bits},
                      "smooth": alpha, "smooth_scope": scope}  # fmt: skip
                assert pre.find_scores(kw) is not None, (act_bits, scope, alpha)


@slow
def test_a_shipped_smoothing_score_reproduces(minilm):
    kw = {"bits": 8, "granularity": "channel", "activations": {"bits": 6}, "smooth": 0.3}
    r = qv.evaluate(minilm, **kw)
    shipped = pre.find_scores(kw)
    assert r.cosine == pytest.approx(shipped["cosine"], abs=1e-5)
    assert r.accuracy == pytest.approx(shipped["accuracy"], abs=1e-6)
