"""The integer pipeline against a real integer runtime: ONNX Runtime's CPU kernels running the
file quantviz.export_onnx writes (QuantizeLinear, QLinearConv, MaxPool, MatMulInteger).

On all 540 test digits: the predictions are equal, the logits bit for bit, and every layer's
8-bit input codes are equal (0 codes differ). The gemmlowp/TFLite fixed-point path (M0·2^−n)
lands one code away in a few hundred of the 276,480 codes (measured at the default settings:
97 of conv2's input codes, 238 of fc1's, 190 of fc2's), never more than one, and predicts the
same digits: its high multiply rounds acc·M0 to a whole number of 2^−(n−31) units before the
shift rounds again (double rounding), and ties go up or away from zero instead of to even.

Equality needs ONNX Runtime's exact int32 kernels. CPUs without VNNI (AVX2 only) run its
u8×s8 products with VPMADDUBSW, which adds two products in int16 and saturates (ONNX
Runtime's quantization docs); pairs of these codes reach 62,730 > 32,767, so there the test
is skipped instead of failing for the CPU's sake.
"""

from pathlib import Path

import numpy as np
import onnx
import pytest

import quantviz as qv
from quantviz.models.integer import integer_model
from quantviz.models.onnx_export import input_name, onnx_graph
from tests.conftest import require_module

ort = require_module("onnxruntime", "the integer pipeline is checked against its kernels")

SETTINGS = {"bits": 8, "granularity": "channel", "symmetric": True}
CPU_FLAGS = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
exact_kernels = pytest.mark.skipif(
    "avx2" in CPU_FLAGS and "vnni" not in CPU_FLAGS,
    reason="ONNX Runtime's AVX2 (non-VNNI) u8s8 kernels saturate int16 pairs",
)


@pytest.fixture(scope="module")
def model():
    return qv.load_model("digits-cnn")


def session(data: bytes):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def run_with_codes(im, x):
    """ONNX Runtime's logits and every layer's input codes (the graph's inner tensors)."""
    proto = onnx_graph(im)
    names = [input_name(layer.name) for layer in im.layers]
    for name in names:
        proto.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    logits, *codes = session(proto.SerializeToString()).run(None, {"image": x})
    return logits, codes


@exact_kernels
@pytest.mark.parametrize(
    "settings",
    [
        SETTINGS,  # int8 weights per channel, uint8 activations (the export's example)
        {"bits": 8, "granularity": "tensor", "symmetric": False},  # uint8 weights, zero points
        {**SETTINGS, "activations": {"bits": 8, "symmetric": True}},  # int8 activations, Max
        {**SETTINGS, "strategy": "mse", "activations": {"bits": 8, "strategy": "percentile"}},
    ],
    ids=["int8-channel", "uint8-tensor", "int8-activations", "mse-percentile"],
)
def test_integer_pipeline_equals_onnx_runtime_bit_for_bit(model, settings):
    im = integer_model(model, **settings)
    logits, codes = run_with_codes(im, model.x_test)
    ours = im.run(model.x_test)
    assert np.array_equal(logits.argmax(1), ours.predictions)
    assert np.array_equal(logits, ours.logits)  # float32 logits, bit for bit
    for theirs, mine in zip(codes, ours.codes, strict=True):
        assert theirs.dtype == mine.dtype
        assert np.array_equal(theirs, mine.reshape(theirs.shape))  # every code


@exact_kernels
def test_fixed_point_path_is_within_one_code_of_onnx_runtime(model):
    im = integer_model(model, **SETTINGS)
    _, codes = run_with_codes(im, model.x_test)
    fixed = im.run(model.x_test, "fixed")
    counts = []
    for theirs, mine in zip(codes, fixed.codes, strict=True):
        d = np.abs(theirs.astype(int) - mine.reshape(theirs.shape).astype(int))
        assert d.max() <= 1
        counts.append(int((d != 0).sum()))
    assert counts[0] == 0  # the images: QuantizeLinear, no multiplier
    total = sum(c.size for c in codes)
    assert 0 < sum(counts) < 0.005 * total  # 525 of 276,480 measured: a few hundred, not none
    assert np.array_equal(fixed.predictions, im.run(model.x_test).predictions)


@exact_kernels
def test_exported_file_runs_in_onnx_runtime_with_the_same_predictions(model, tmp_path):
    path = tmp_path / "digits-int8.onnx"
    act = {"bits": 8, "mode": "static"}
    data = qv.export_onnx(model, path, activations=act, **SETTINGS)
    assert path.read_bytes() == data
    # 13,584 one-byte weights + 122 int32 biases + 122 float32 scales + names: ~17 KB,
    # against 54,824 bytes of float32 parameters
    assert 13_584 + 122 * 4 * 2 < len(data) < 20_000
    logits = session(str(path)).run(None, {"image": model.x_test})[0]
    r = qv.evaluate(model, integer=True, activations=act, **SETTINGS)
    assert np.array_equal(logits.argmax(1), r.predictions)
    assert (logits.argmax(1) == model.y_test).sum() == 530  # of 540, as the float model
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert ops == {"QuantizeLinear", "QLinearConv", "MaxPool", "Identity", "Reshape",
                   "MatMulInteger", "Add", "Cast", "Mul"}  # fmt: skip
    assert not ops & {"Conv", "MatMul", "Gemm", "DequantizeLinear"}  # nothing in float


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"bits": 3}, "3-bit weights cannot be exported"),
        ({"bits": 4}, "opset 21"),
        ({"activations": {"bits": 6}}, "6-bit activations"),
        ({"granularity": "channel", "symmetric": False}, "zero point per channel"),
        ({"symmetric": False, "activations": {"symmetric": True}}, "no kernel for int8"),
        ({"activations": {"mode": "dynamic"}}, "static"),
    ],
)
def test_what_onnx_cannot_express_is_refused(model, kwargs, says):
    with pytest.raises(qv.InputError, match=says):
        qv.export_onnx(model, None, **{"bits": 8, **kwargs})
