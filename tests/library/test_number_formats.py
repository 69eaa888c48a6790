"""Small floats, MX and NVFP4 against their references: ml_dtypes' casts, the OCP MX v1.0
rule and torchao's two-level NVFP4, each written out here; hand-worked cases first."""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quantviz as qv
from quantviz.number_formats import formats, get_format, quantize_format

F32 = np.float32
ROOT = Path(__file__).resolve().parents[2]
DTYPES = {
    "fp8_e4m3": ml_dtypes.float8_e4m3fn, "fp8_e5m2": ml_dtypes.float8_e5m2,
    "fp6_e2m3": ml_dtypes.float6_e2m3fn, "fp6_e3m2": ml_dtypes.float6_e3m2fn,
    "fp4_e2m1": ml_dtypes.float4_e2m1fn,
}  # fmt: skip
MX = {
    "mxfp8_e4m3": ("fp8_e4m3", 8), "mxfp8_e5m2": ("fp8_e5m2", 15), "mxfp6_e2m3": ("fp6_e2m3", 2),
    "mxfp6_e3m2": ("fp6_e3m2", 4), "mxfp4": ("fp4_e2m1", 2),
}  # fmt: skip
MAX = {"fp8_e4m3": 448.0, "fp8_e5m2": 57344.0, "fp6_e2m3": 7.5, "fp6_e3m2": 28.0, "fp4_e2m1": 6.0}


# ----------------------------------------------------------------- hand-worked --


def test_e2m1_rounds_ties_to_even_on_its_own_grid():
    # scale 6/6 = 1: the values are cast as they are (ml_dtypes: 0.25 → 0, 0.75 → 1, …)
    x = [6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -0.75]
    r = quantize_format(x, "fp4_e2m1")
    assert r.dequantized.tolist() == [6.0, 0.0, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0, -1.0]
    assert float(r.scales) == 1.0
    assert r.metrics["levels_available"] == 15 and r.metrics["bits_per_weight"] == 4 + 32 / 9


def test_e4m3_rounds_as_ml_dtypes_documents():
    # with 448 in the tensor the scale is 1: 1.0625 → 1.0, 1.1875 → 1.25, 232 → 224, 248 → 256
    r = quantize_format([448.0, 1.0625, 1.1875, 232.0, 248.0], "fp8_e4m3")
    assert r.dequantized.tolist() == [448.0, 1.0, 1.25, 224.0, 256.0]


def test_an_mx_block_with_max_7():
    # OCP: X = 2^(floor(log2 7) − emax). E2M1 (emax 2): X = 1 and 7 saturates to 6.
    # E4M3 (emax 8): X = 2^-6 and 7 / 2^-6 = 448 is stored exactly.
    block = np.zeros(32, F32)
    block[:3] = [7.0, 1.1, -0.3]
    fp4 = quantize_format(block, "mxfp4")
    assert float(fp4.scales[0]) == 1.0 and fp4.dequantized[:3].tolist() == [6.0, 1.0, -0.5]
    fp8 = quantize_format(block, "mxfp8_e4m3")
    assert float(fp8.scales[0]) == 2.0**-6 and fp8.dequantized[0] == 7.0
    assert fp8.metrics["bits_per_weight"] == 8 + 8 / 32


def test_an_all_zero_mx_block_gets_the_smallest_scale():
    r = quantize_format(np.zeros(64, F32), "mxfp4")  # log2 of float32's min normal − 2 → −127
    assert r.scales.tolist() == [2.0**-127] * 2 and not r.dequantized.any()


def test_mxint8_stores_k_over_64_rounded_half_to_even():
    block = np.zeros(32, F32)
    block[:4] = [1.0, 0.5 / 64, 1.5 / 64, -2.5 / 64]  # X = 2^0: k = 0.5 → 0, 1.5 → 2, −2.5 → −2
    r = quantize_format(block, "mxint8")
    assert r.dequantized[:4].tolist() == [1.0, 0.0, 2 / 64, -2 / 64]


def test_nvfp4_two_level_scales_by_hand():
    # tensor amax 6: t = 6 / 2688. Block 1 (amax 6): b = e4m3(1 / t) = e4m3(448) = 448.
    # Block 2 (amax 0.6): 0.1 / t = 44.8 → e4m3 rounds to 44 (steps of 4 in [32, 64));
    # 0.6 · (1/t) / 44 = 6.109… saturates to 6 → x̂ = 6 · 44 · t = 0.58928…
    x = np.zeros(32, F32)
    x[0], x[16] = 6.0, 0.6
    r = quantize_format(x, "nvfp4")
    t = F32(6) / F32(2688)
    assert r.scales.tolist() == [448.0, 44.0] and r.tensor_scale == float(t)
    assert r.dequantized[0] == pytest.approx(6.0, rel=1e-6)
    assert r.dequantized[16] == pytest.approx(6 * 44 * 6 / 2688, rel=1e-6)
    assert r.metrics["bits_per_weight"] == 4 + (8 * 2 + 32) / 32


# ------------------------------------------------------------ the references --

values = hnp.arrays(
    np.float32, st.integers(1, 6).map(lambda n: (n, 32)),
    elements=st.floats(-1e6, 1e6, width=32)
    | st.sampled_from([0.0, 1e-30, -3e-38, 65504.0, 1e30, -3e38]),
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(x=values, name=st.sampled_from(sorted(DTYPES)), gran=st.sampled_from(["tensor", "channel"]))
def test_element_floats_are_ml_dtypes_casts_of_x_over_amax_scale(x, name, gran):
    r = quantize_format(x, name, granularity=gran)
    amax = np.abs(x).max() if gran == "tensor" else np.abs(x).max(axis=1, keepdims=True)
    s = (amax / F32(MAX[name])).astype(F32)
    s = np.where(s > 0, s, F32(1))
    q = np.clip(x / s, -MAX[name], MAX[name]).astype(DTYPES[name]).astype(F32)
    np.testing.assert_array_equal(r.dequantized, (q * s).astype(F32))


@settings(max_examples=80, deadline=None)
@given(x=values, name=st.sampled_from(sorted(MX)))
def test_mx_is_the_ocp_rule(x, name):
    element, emax = MX[name]
    r = quantize_format(x, name)
    blocks = x.reshape(-1, 32).astype(np.float64)
    amax = np.abs(blocks).max(axis=1, keepdims=True)
    exp = np.floor(np.log2(np.where(amax > 0, amax, 2.0**-126))) - emax
    scale = 2.0 ** np.clip(exp, -127, 127)
    q = np.clip(blocks / scale, -MAX[element], MAX[element]).astype(DTYPES[element])
    expected = (q.astype(np.float64) * scale).astype(F32).reshape(x.shape)
    np.testing.assert_array_equal(r.dequantized, expected)
    assert np.all(np.log2(r.scales) == np.round(np.log2(r.scales)))  # powers of two


@settings(max_examples=60, deadline=None)
@given(x=values)
def test_nvfp4_is_torchao_s_two_level_rule(x):
    r = quantize_format(x, "nvfp4")
    blocks = x.reshape(-1, 16)
    amax = F32(np.abs(x).max())
    if amax == 0:
        assert not r.dequantized.any()
        return
    t = F32(amax / F32(2688))
    with np.errstate(over="ignore"):
        assume(np.isfinite(F32(1) / t))  # below ~1e-35 torchao's float32 gives NaN; see below
    b = np.clip((np.abs(blocks).max(axis=1, keepdims=True) / F32(6)) / t, 2.0**-6, 448)
    b = b.astype(F32).astype(ml_dtypes.float8_e4m3fn).astype(F32)
    q = np.clip(blocks * ((F32(1) / t) / b), -6, 6).astype(ml_dtypes.float4_e2m1fn).astype(F32)
    np.testing.assert_array_equal(r.dequantized, (q * b * t).astype(F32).reshape(x.shape))


@settings(max_examples=60, deadline=None)
@given(x=values, name=st.sampled_from([f.name for f in formats()]))
def test_codes_name_the_stored_element(x, name):
    try:
        r = quantize_format(x, name)
    except qv.InputError as err:
        fmt = get_format(name)
        overflow = fmt.family == "ggml" and "overflows the format's scale" in str(err)
        too_short = fmt.default_block == 64 and "does not divide the last dimension (32)" in str(
            err
        )
        assert overflow or too_short  # GGML's fp16 scales end near 5e5 (Q4); NF4 blocks are 64
        return
    grid = r.format.grid()
    as_index = r.codes.min() >= 0 and r.codes.max() < grid.size  # an index into the grid …
    as_value = np.isin(r.codes, grid).all()  # … or the stored integer itself (GGML, ternary)
    assert as_index or as_value
    assert r.metrics["levels_used"] <= r.metrics["levels_available"] == grid.size
    assert np.isfinite(r.dequantized).all() and r.metrics["mse"] >= 0


def test_a_tiny_tensor_in_nvfp4_stays_finite():
    x = np.zeros(16, F32)
    x[:2] = [3e-36, -1e-36]  # 1/t overflows float32 here
    r = quantize_format(x, "nvfp4")
    assert np.isfinite(r.dequantized).all()
    assert r.dequantized[0] == pytest.approx(3e-36, rel=1e-3)


# ----------------------------------------------------------------- refusals --


@pytest.mark.parametrize(
    ("x", "name", "kwargs", "message"),
    [
        ([1.0], "fp7", {}, "format must be one of"),
        (np.ones(33), "mxfp4", {}, "mxfp4 needs the last dimension to be a multiple of 32"),
        (np.ones(32), "mxfp4", {"granularity": "channel"}, "mxfp4 stores blocks of 32"),
        (np.ones(32), "nvfp4", {"group_size": 32}, "nvfp4 stores blocks of 16"),
        (np.ones(6), "fp8_e4m3", {"granularity": "group", "group_size": 4}, "does not divide"),
    ],
)  # fmt: skip
def test_bad_requests_get_one_sentence(x, name, kwargs, message):
    with pytest.raises(qv.InputError, match=message):
        quantize_format(x, name, **kwargs)


def test_the_formats_say_what_they_are():
    f = get_format("mxfp4")
    assert (f.family, f.element_bits, f.block_size) == ("mx", 4, 32)
    assert get_format("fp8_e4m3").grid()[-1] == 448.0


def test_on_real_minilm_weights_blocks_beat_one_fp4_scale_by_far():
    # The shipped sample's intermediate layer: a few large weights set one FP4 scale for
    # all 589,824 values (about 5 dB); a scale per 32 (MXFP4) or 16 (NVFP4) reaches 18–21 dB.
    from quantviz.io import load_weights

    x = load_weights(ROOT / "assets" / "minilm-l6-sample.safetensors")[
        "encoder.layer.0.intermediate.dense.weight"
    ]
    sqnr = {f: quantize_format(x, f).metrics["sqnr_db"] for f in ("fp4_e2m1", "mxfp4", "nvfp4")}
    assert sqnr["fp4_e2m1"] < 7 and sqnr["mxfp4"] > 17 and sqnr["nvfp4"] > sqnr["mxfp4"]
    for name in ("q4_0", "nf4", "mxint8", "fp8_e4m3"):  # every family runs on real weights
        assert np.isfinite(quantize_format(x, name).metrics["sqnr_db"])


def test_nf4_cuts_the_flattened_tensor_like_bitsandbytes_with_a_short_last_block():
    # 0, 1, …, 69 in blocks of 64: absmax 63 and, for the last six values, 69; 64…69 are
    # all above 69 × the midpoint 0.8615 between NF4's 0.7230 and 1.0, so they become 69
    r = quantize_format(np.arange(70, dtype=F32), "nf4")
    assert r.scales.tolist() == [63.0, 69.0]
    assert r.dequantized[-6:].tolist() == [69.0] * 6
    assert r.metrics["bits_per_weight"] == 4 + 2 * 32 / 70
