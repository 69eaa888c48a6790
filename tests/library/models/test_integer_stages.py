"""For the page: one layer's integer pipeline stage by stage, the zero point's cross terms, and
what an inference costs in float32 and in int8 (numbers counted by hand from the shapes).

    conv1: 8×8 outputs × 16 filters × 1·3·3 inputs = 9,216 MACs (pooled output 16×4×4 = 256)
    conv2: 4×4 × 32 × 16·3·3 = 73,728                  (pooled output 32×2×2 = 128)
    fc1:   64 × 128 = 8,192;  fc2: 10 × 64 = 640;  total 91,776 multiply-adds
"""

import numpy as np
import pytest

import quantviz as qv
from quantviz.models.integer_stages import layer_stages, zero_point_terms

SETTINGS = {"bits": 8, "granularity": "channel", "symmetric": True}


@pytest.fixture(scope="module")
def im():
    return qv.integer_model("digits-cnn", **SETTINGS)


def test_stages_of_a_hidden_layer(im):
    ls = layer_stages(im, "conv2", example=0)
    assert [s.key for s in ls.stages] == [
        "input", "weights", "accumulator", "times_m0", "shifted", "rounded", "zero_point",
        "clamped", "relu", "pooled",
    ]  # fmt: skip
    st = {s.key: s for s in ls.stages}
    assert st["input"].limits == (0, 255) and st["weights"].limits == (-128, 127)
    assert st["accumulator"].limits == (-(2**31), 2**31 - 1)
    assert st["weights"].low == -128 and st["weights"].high == 127  # per-channel amax/127.5
    # the last stage is the next layer's input, as the whole network computes it (fixed path)
    fixed = im.run(im.model.x_test[:1], "fixed")
    assert np.array_equal(st["pooled"].values, fixed.codes[2])
    # × M0 then ÷ 2^n is acc · M; rounding moves it by at most half a code (plus double rounding)
    acc = st["accumulator"].values
    exact = acc * ls.m[None, :, None, None]
    assert np.abs(st["shifted"].values - exact).max() < 1e-6
    assert np.abs(st["rounded"].values - exact).max() <= 0.5 + 2**-8
    # each stage approximates the float network: the accumulator's real value within 0.1
    assert np.abs(st["accumulator"].real - st["accumulator"].reference).max() < 0.1
    assert np.abs(st["pooled"].real - st["pooled"].reference).max() < 0.1
    assert ls.outputs == 32 * 4 * 4 and 0 <= ls.fixed_vs_float <= 5


def test_stages_of_the_last_layer_end_in_logits(im):
    ls = layer_stages(im, "fc2", example=3)
    assert [s.key for s in ls.stages] == ["input", "weights", "accumulator", "logits"]
    logits = ls.stage("logits").values
    assert np.array_equal(logits, im.run(im.model.x_test[3:4]).logits)
    assert logits.argmax() == im.model.y_test[3]
    with pytest.raises(qv.InputError, match="conv1, conv2, fc1, fc2"):
        layer_stages(im, "fc3")
    with pytest.raises(qv.InputError, match="0 to 539"):
        layer_stages(im, "fc2", example=540)


def test_zero_point_cross_terms_add_up_and_cost_nothing_when_weights_are_symmetric(im):
    r = im.run(im.model.x_test[:1])
    for i, name in enumerate(("conv1", "conv2", "fc1", "fc2")):
        z = zero_point_terms(im, name)
        bias = im.layers[i].bias_codes.reshape((1, -1, 1, 1) if i < 2 else (1, -1))
        assert np.array_equal(z.total + bias, r.accumulators[i])
        assert z.ops["weight_zero_point_term"] == 0  # z_w = 0: the term is not there
    assert zero_point_terms(im, "conv2").ops["products"] == 73_728


def test_asymmetric_weights_pay_for_the_inputs_sum(tmp_path):
    im = qv.integer_model("digits-cnn", bits=8, granularity="tensor", symmetric=False)
    r = im.run(im.model.x_test[:1])
    z = zero_point_terms(im, "conv1")
    assert im.layers[0].weight_zero_point[0] != 0
    assert np.array_equal(z.total + im.layers[0].bias_codes.reshape(1, -1, 1, 1),
                          r.accumulators[0])  # fmt: skip
    # Σ q_x over each 3×3 window: 64 positions × 9 adds, then one multiply per output (1,024)
    assert z.ops["weight_zero_point_term"] == 64 * 9 + 1024
    assert z.ops["input_zero_point_term"] == 0  # constant weights: folded into the bias


def test_inference_costs_by_hand():
    c = qv.inference_costs("digits-cnn")
    t = c.table.set_index("layer")
    assert t["macs"].tolist() == [9_216, 73_728, 8_192, 640]
    assert c.macs == 91_776
    # float32: 4 bytes for every weight, bias, input and (pooled) output value
    assert t["float32_bytes"].tolist() == [
        4 * (144 + 16 + 64 + 256), 4 * (4_608 + 32 + 256 + 128), 4 * (8_192 + 64 + 128 + 64),
        4 * (640 + 10 + 64 + 10),
    ]  # fmt: skip
    # int8: 1-byte weights, int32 biases, a float32 scale and an int32 multiplier per
    # output channel, 1-byte activations; fc2 writes float32 logits, no multiplier
    assert t["int8_bytes"].tolist() == [
        144 + 4 * 16 * 3 + 64 + 256, 4_608 + 4 * 32 * 3 + 256 + 128,
        8_192 + 4 * 64 * 3 + 128 + 64, 640 + 4 * 10 * 2 + 64 + 4 * 10,
    ]  # fmt: skip
    assert c.float32_bytes == 58_704 and c.int8_bytes == 16_008
    assert c.bytes_ratio == pytest.approx(58_704 / 16_008)  # 3.7× fewer bytes
    # what integers add: one requantization per unpooled output, and quantizing the 64 pixels
    assert t["extra_ops"].tolist() == [1_024 + 64, 512, 64, 10]
    assert c.extra_fraction == pytest.approx(1_674 / 91_776)  # 1.8 % of the multiply-adds
