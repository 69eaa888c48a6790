"""The quantized digits model in numpy against the same network built in PyTorch.

The PyTorch side is independent of quantviz: its weight and activation grids come from
PyTorch's own observers (``MinMaxObserver`` / ``PerChannelMinMaxObserver``), values go
through ``torch.fake_quantize_per_tensor_affine`` / ``fake_quantize_per_channel_affine``,
the int32 bias through ``fake_quantize_per_channel_affine`` on the scale ``s_w · s_x``, and
the layers are ``torch.nn.functional.conv2d``/``linear``/``relu``/``max_pool2d``. The
logits must agree to 1e-5.
"""

import numpy as np
import pytest

import quantviz as qv
from quantviz.models.evaluate import layer_inputs
from tests.conftest import require_module

torch = require_module("torch", "the model is checked against the same network in PyTorch")
from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.torch

INT32 = (-(2**31), 2**31 - 1)


def code_range(bits, symmetric):
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if symmetric else (0, 2**bits - 1)


def observer(bits, symmetric, per_channel):
    qmin, qmax = code_range(bits, symmetric)
    dtype = torch.qint8 if symmetric else torch.quint8
    if per_channel:
        scheme = torch.per_channel_symmetric if symmetric else torch.per_channel_affine
        return PerChannelMinMaxObserver(
            ch_axis=0, dtype=dtype, qscheme=scheme, quant_min=qmin, quant_max=qmax
        )
    scheme = torch.per_tensor_symmetric if symmetric else torch.per_tensor_affine
    return MinMaxObserver(dtype=dtype, qscheme=scheme, quant_min=qmin, quant_max=qmax)


def fake_weight(w, bits, symmetric, per_channel):
    """PyTorch's fake-quantized weight (as the (out, rest) matrix) and its per-output scale."""
    qmin, qmax = code_range(bits, symmetric)
    m = w.reshape(w.shape[0], -1)
    obs = observer(bits, symmetric, per_channel)
    obs(m)
    scale, zp = obs.calculate_qparams()
    if per_channel:
        out = torch.fake_quantize_per_channel_affine(m, scale, zp.int(), 0, qmin, qmax)
        s_w = scale.float()
    else:
        out = torch.fake_quantize_per_tensor_affine(m, float(scale), int(zp), qmin, qmax)
        s_w = torch.full((w.shape[0],), float(scale))
    return out.reshape(w.shape), s_w


def fake_input(x, act, calib):
    """Fake-quantize a layer input: static (observer on the calibration activations) or
    dynamic (one observer per example); returns the values and s_x per example."""
    bits, symmetric = act["bits"], False
    qmin, qmax = code_range(bits, symmetric)
    if act["mode"] == "static":
        obs = observer(bits, symmetric, per_channel=False)
        obs(calib)
        scale, zp = obs.calculate_qparams()
        xq = torch.fake_quantize_per_tensor_affine(x, float(scale), int(zp), qmin, qmax)
        return xq, torch.full((x.shape[0],), float(scale))
    rows = x.reshape(x.shape[0], -1)
    obs = observer(bits, symmetric, per_channel=True)  # channel = example
    obs(rows)
    scale, zp = obs.calculate_qparams()
    xq = torch.fake_quantize_per_channel_affine(rows, scale, zp.int(), 0, qmin, qmax)
    return xq.reshape(x.shape), scale.float()


def int32_bias(b, s_w, s_x):
    """The bias on the int32 grid of scale s_w·s_x, one row per example: (n, out)."""
    scale = (s_x[:, None] * s_w[None, :]).reshape(-1)
    flat = b.repeat(len(s_x))
    out = torch.fake_quantize_per_channel_affine(
        flat, scale, torch.zeros(len(flat), dtype=torch.int32), 0, *INT32
    )
    return out.reshape(len(s_x), -1)


def torch_outputs(model, bits, symmetric, per_channel, act=None, inputs=None):
    """Every layer's output in PyTorch. With ``inputs`` (numpy's input of each layer), layer
    i starts from ``inputs[i]``, so each layer is compared on the same input."""
    layers = model.layers
    x = torch.from_numpy(np.array(model.x_test))
    calib = torch.from_numpy(np.array(model.x_calib))
    outputs = []
    for i, layer in enumerate(layers):
        if inputs is not None:
            x = torch.from_numpy(np.array(inputs[i]))
        w = torch.from_numpy(np.array(layer.weight))
        b = torch.from_numpy(np.array(layer.bias))
        wq, s_w = fake_weight(w, bits, symmetric, per_channel)

        def op(inp, weight, layer=layer):
            if layer.kind == "conv":
                y = F.conv2d(inp, weight, padding=layer.padding)
            else:
                y = F.linear(inp.flatten(1), weight)
            return y

        def finish(y, layer=layer):
            if layer.relu:
                y = F.relu(y)
            if layer.pool:
                y = F.max_pool2d(y, layer.pool)
            return y

        if act is None:
            bias = b.expand(x.shape[0], -1)
        else:
            x, s_x = fake_input(x, act, calib)
            bias = int32_bias(b, s_w, s_x)
        y = op(x, wq)
        y = y + (bias[:, :, None, None] if y.ndim == 4 else bias)
        x = finish(y)
        outputs.append(x.numpy())
        calib = finish(op(calib, w) + (b[None, :, None, None] if layer.kind == "conv" else b))
    return outputs


CASES = [
    # bits, symmetric, per_channel, activations
    (4, False, False, None),
    (3, True, True, None),
    (8, True, True, {"bits": 8, "mode": "static"}),
    (4, False, False, {"bits": 4, "mode": "static"}),
    (8, False, True, {"bits": 8, "mode": "dynamic"}),
    (4, True, False, {"bits": 3, "mode": "dynamic"}),
]


def settings(bits, symmetric, per_channel, act):
    return {
        "bits": bits, "symmetric": symmetric, "activations": act,
        "granularity": "channel" if per_channel else "tensor",
    }  # fmt: skip


@pytest.mark.parametrize(("bits", "symmetric", "per_channel", "act"), CASES)
def test_each_layer_equals_pytorch_fake_quantize(bits, symmetric, per_channel, act):
    """Given the same input, every quantized layer's output agrees with PyTorch's to 1e-5."""
    model = qv.load_model("digits-cnn")
    ours = layer_inputs(model, **settings(bits, symmetric, per_channel, act))
    theirs = torch_outputs(model, bits, symmetric, per_channel, act, inputs=ours)
    for i, layer in enumerate(model.layers):
        np.testing.assert_allclose(ours[i + 1], theirs[i], rtol=0, atol=1e-5, err_msg=layer.name)


@pytest.mark.parametrize(("bits", "symmetric", "per_channel", "act"), CASES)
def test_whole_network_equals_pytorch_fake_quantize(bits, symmetric, per_channel, act):
    """End to end, each side feeding itself. With weights only, the logits agree to 1e-5.
    With quantized activations, a value within float32 noise of a rounding boundary (the
    two sides sum a layer's products in a different order) can take the neighbouring code
    and move its example's later layers by about a step. Static ranges are fixed, so that
    is rare; dynamic ranges follow each example's own min and max, so any difference in
    the last bit of the max moves that example's whole grid, and many examples differ
    slightly. The per-layer test above is the exact comparison; here the predictions
    must agree."""
    model = qv.load_model("digits-cnn")
    ours = qv.evaluate(model, layer_accuracy=False, **settings(bits, symmetric, per_channel, act))
    theirs = torch_outputs(model, bits, symmetric, per_channel, act)[-1]
    # to float32 rounding: 1e-5, plus a few float32 ulps of logits that reach ~30 (the two
    # sides sum a layer's products in a different order)
    close = np.all(np.abs(ours.logits - theirs) <= 1e-5 + 1e-6 * np.abs(theirs), axis=1)
    agree = (ours.predictions == theirs.argmax(1)).sum()
    if act is None:
        assert close.all()
        assert agree == 540
    elif act["mode"] == "static":
        assert close.sum() >= 535  # of 540 examples
        assert agree >= 538
    else:
        assert agree >= 538


def test_float_forward_equals_pytorch():
    model = qv.load_model("digits-cnn")
    x = torch.from_numpy(np.array(model.x_test))
    for layer in model.layers:
        w, b = torch.from_numpy(np.array(layer.weight)), torch.from_numpy(np.array(layer.bias))
        x = (
            F.conv2d(x, w, b, padding=layer.padding)
            if layer.kind == "conv"
            else F.linear(x.flatten(1), w, b)
        )
        x = F.relu(x) if layer.relu else x
        x = F.max_pool2d(x, layer.pool) if layer.pool else x
    ours = qv.evaluate(model, bits=16, layer_accuracy=False)
    assert np.array_equal(ours.float_predictions, x.numpy().argmax(1))
    assert (x.numpy().argmax(1) == model.y_test).sum() == 530  # the number recorded at training
