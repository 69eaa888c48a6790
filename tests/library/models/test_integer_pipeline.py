"""Integer-only inference: the fixed-point multiplier by hand, the roundings of each engine,
exact int32 accumulators, and the integer network's accuracy beside the simulated one.

The comparison with a real integer runtime (ONNX Runtime) is tests/test_integer_onnxruntime.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quantviz as qv
from quantviz.models import layer_inputs
from quantviz.models.integer import (
    fixed_point_multiplier,
    integer_model,
    quantize_linear,
    requantize_fixed,
    requantize_float,
    rounding_divide_by_pot,
    rounding_doubling_high_mul,
)

SETTINGS = {"bits": 8, "granularity": "channel", "symmetric": True}
FLOAT_CORRECT = 530  # of 540, recorded when the model was trained


@pytest.fixture(scope="module")
def model():
    return qv.load_model("digits-cnn")


@pytest.fixture(scope="module")
def im(model):
    return integer_model(model, **SETTINGS)


def test_fixed_point_multiplier_by_hand():
    # 0.0003 = 0.6144 · 2^−11; 0.6144 · 2^31 = 1,319,413,953.3 → M0 = 1,319,413,953; n = 31 + 11
    assert fixed_point_multiplier(0.0003) == (1_319_413_953, 42)
    assert pytest.approx(0.0003, rel=1e-9) == 1_319_413_953 / 2**42
    assert fixed_point_multiplier(0.5) == (2**30, 31)  # 0.5 = 0.5 · 2^0
    assert fixed_point_multiplier(0.75) == (1_610_612_736, 31)  # 0.75 · 2^31
    # f · 2^31 rounds up to 2^31: M0 is halved and n lowered, so M0 stays below 2^31
    assert fixed_point_multiplier(1 - 2**-40) == (2**30, 30)
    assert fixed_point_multiplier(2.0**-40) == (0, 31)  # a dead channel: every result 0
    assert requantize_fixed(np.array([2**31 - 1]), 0, 31).tolist() == [0]
    with pytest.raises(qv.InputError, match="positive"):
        fixed_point_multiplier(0.0)


def test_gemmlowp_roundings_by_hand():
    # doubling high multiply: acc · M0 / 2^31, ties up (toward +∞)
    got = rounding_doubling_high_mul(np.array([3, -3, 5, -5]), 2**30)  # acc / 2
    assert got.tolist() == [2, -1, 3, -2]  # 1.5 → 2, −1.5 → −1, 2.5 → 3, −2.5 → −2
    # rounding right shift: ties away from zero
    got = rounding_divide_by_pot(np.array([5, -5, 6, -6, 7, -7]), np.array([1, 1, 2, 2, 2, 2]))
    assert got.tolist() == [3, -3, 2, -2, 2, -2]  # 2.5, −2.5, 1.5, −1.5, 1.75, −1.75


def test_float_requantization_rounds_half_to_even_as_onnx_runtime():
    m = np.float32(0.5)
    assert requantize_float(np.array([5, 7, -5, 9]), m).tolist() == [2, 4, -2, 4]
    # ONNX QuantizeLinear divides: x / scale, half to even, then the zero point and the clamp
    got = quantize_linear(np.array([2.5, 3.5, -1.0, 300.0]), np.float32(1.0), 10, 0, 255)
    assert got.tolist() == [12, 14, 9, 255]


@settings(max_examples=300, deadline=None)
@given(
    acc=st.integers(-(2**24), 2**24),
    m=st.floats(1e-7, 0.999, allow_nan=False, allow_infinity=False),
)
def test_fixed_point_requantization_is_within_its_rounding_of_acc_times_m(acc, m):
    m0, n = fixed_point_multiplier(m)
    assert 2**30 <= m0 < 2**31
    got = int(requantize_fixed(np.array([acc]), m0, n)[0])
    # two roundings (the high multiply's, then the shift's) and M0's 31 bits
    bound = 0.5 + 0.5 * 2.0 ** (31 - n) + abs(acc) * 2.0 ** (-n - 1) + 1e-9
    assert abs(got - acc * m) <= bound


def test_accumulators_are_exact_integers(model, im):
    r = im.run(model.x_test)
    # fc2 by plain int64 arithmetic: Σ (q_w − z_w)(q_x − z_x) + q_b
    fc2 = im.layers[3]
    x = r.codes[3].astype(np.int64) - fc2.input.zero_point
    w = fc2.weight_codes.astype(np.int64) - fc2.weight_zero_point[:, None]
    assert np.array_equal(r.accumulators[3], x @ w.T + fc2.bias_codes)
    # conv2 at one output pixel of image 7, filter 5, by a loop over its 16·3·3 window
    conv2 = im.layers[1]
    xp = np.pad(r.codes[1][7].astype(np.int64) - conv2.input.zero_point, ((0, 0), (1, 1), (1, 1)))
    w5 = conv2.weight_codes[5].astype(np.int64)
    total = sum(
        int(xp[c, 1 + dy, 2 + dx]) * int(w5[c, dy, dx])
        for c in range(16)
        for dy in range(3)
        for dx in range(3)
    )
    assert r.accumulators[1][7, 5, 1, 2] == total + conv2.bias_codes[5]
    assert r.accumulators[1].dtype == np.int32


def test_codes_are_8_bit_and_the_clamp_is_the_relu(model, im):
    r = im.run(model.x_test)
    assert [c.dtype for c in r.codes] == [np.uint8] * 4
    assert [c.shape for c in r.codes] == [(540, 1, 8, 8), (540, 16, 4, 4), (540, 32, 2, 2),
                                          (540, 64)]  # fmt: skip
    # after a ReLU the calibrated range starts at 0: zero point 0 = the lowest code
    assert [layer.input.zero_point for layer in im.layers] == [0, 0, 0, 0]
    # M0 in [2^30, 2^31) for every output channel; M = M0 · 2^−n
    for layer in im.layers[:3]:
        assert np.all((layer.m0 >= 2**30) & (layer.m0 < 2**31))
        assert np.allclose(layer.m0 * 2.0 ** -layer.n.astype(float), layer.m_exact, rtol=1e-9)


def test_integer_network_keeps_the_float_accuracy(model):
    r = qv.evaluate(model, integer=True, **SETTINGS)
    assert (r.predictions == model.y_test).sum() == FLOAT_CORRECT  # 530 of 540, as float
    assert r.accuracy == r.float_accuracy == FLOAT_CORRECT / 540
    assert r.settings["integer"] is True
    assert r.settings["activations"] == {"bits": 8, "mode": "static"}  # the default
    assert r.per_layer["accuracy"].tolist() == [FLOAT_CORRECT / 540] * 4
    # the same size as the simulated model: 8-bit codes, a float32 scale per channel, int32 biases
    fake = qv.evaluate(model, activations={"bits": 8}, layer_accuracy=False, **SETTINGS)
    assert r.bits_per_weight == fake.bits_per_weight


def test_integer_codes_equal_the_simulated_ones_but_for_float_rounding(model, im):
    """Fake quantization rounds the float activation once; the engine rounds acc·M. They agree
    but where float32 noise meets a tie: measured 4 of 276,480 codes, each one away."""
    r = im.run(model.x_test)
    fake = layer_inputs(model, activations={"bits": 8}, **SETTINGS)
    differ = 0
    for layer, codes, a in zip(im.layers, r.codes, fake, strict=False):
        g = layer.input
        c, _ = qv.quantize_codes(a, g.scale, g.zero_point, g.qmin, g.qmax)
        d = np.abs(c.astype(int) - codes.astype(int))
        assert d.max() <= 1
        differ += int((d != 0).sum())
    assert differ <= 20


def test_four_bit_weights_run_in_8_bit_containers(model):
    r = qv.evaluate(model, integer=True, bits=4, granularity="channel", symmetric=True)
    im = integer_model(model, bits=4, granularity="channel", symmetric=True)
    assert im.layers[0].weight_bits == 4
    assert all(np.abs(layer.weight_codes.astype(int)).max() <= 8 for layer in im.layers)
    assert r.accuracy >= 0.97  # 4-bit per-channel weights keep the digits (97.8 % measured)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"activations": {"mode": "dynamic"}}, "static"),
        ({"activations": {"bits": 12}}, "at most 8 bits"),
        ({"bits": 12}, "at most 8 bits"),
        ({"format": "nf4"}, "integer grid"),
        ({"granularity": "group", "group_size": 16}, "per output channel"),
        ({"per_layer": {"fc1": None}}, "fc1 is kept float32"),
    ],
)
def test_what_integers_cannot_run_is_refused_in_one_sentence(model, kwargs, says):
    with pytest.raises(qv.InputError, match=says):
        qv.evaluate(model, integer=True, **kwargs)


def test_fixed_point_path_predicts_the_same_digits(model, im):
    r = im.run(model.x_test, "fixed")
    assert (r.predictions == model.y_test).sum() == FLOAT_CORRECT
    with pytest.raises(qv.InputError, match="float"):
        im.run(model.x_test, "double")
