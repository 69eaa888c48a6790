"""Export the integer network as a standard ONNX model that ONNX Runtime runs in integers.

>>> import quantviz as qv
>>> data = qv.export_onnx("digits-cnn", "digits-int8.onnx", bits=8,  # doctest: +SKIP
...     granularity="channel", symmetric=True, activations={"bits": 8, "mode": "static"})

Then, with ``pip install onnxruntime``::

    import onnxruntime as ort
    session = ort.InferenceSession("digits-int8.onnx", providers=["CPUExecutionProvider"])
    logits = session.run(None, {"image": images})[0]   # images: float32 (n, 1, 8, 8), pixels/16

The graph is :func:`quantviz.integer_model`'s pipeline written with ONNX's integer
operators (opset 17, every one in the default domain):

* ``QuantizeLinear``: the float image → the first layer's codes (uint8 or int8);
* ``QLinearConv``: int8/uint8 codes in, int32 bias, int32 accumulation, requantization to
  the next layer's grid out (``y_scale``, ``y_zero_point``); per-channel weight scales;
* ``Max(q, z_y)``: the ReLU, only where the zero point is not the lowest code (otherwise the
  requantization's clamp already is the ReLU);
* ``MaxPool``: on the codes;
* a dense layer other than the last is a 1×1 ``QLinearConv`` on a 1×1 image (``Reshape`` to
  ``(n, in, 1, 1)`` and back): ONNX's ``QLinearMatMul`` takes no bias;
* the last layer: ``MatMulInteger`` (int32 out) → ``Add`` the int32 bias → ``Cast`` to float
  → ``Mul`` by ``s_w·s_x``: float logits, as :func:`quantviz.evaluate` leaves them.

ONNX Runtime's CPU kernels requantize in float32 (``float(acc) × (s_x·s_w / s_y)``,
rounded half to even): :class:`~quantviz.models.integer.IntegerModel` with
``requantization="float"`` gives the same codes, bit for bit. What ONNX cannot express is
refused with one sentence (:func:`check_exportable`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from quantviz.errors import InputError
from quantviz.models.integer import IntegerModel, integer_model
from quantviz.models.zoo import Model

if TYPE_CHECKING:
    import onnx

OPSET = 17
IR_VERSION = 8  # ONNX 1.12's: read by every ONNX Runtime since 1.12
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
ONNX_BITS = 8


def input_name(layer: str) -> str:
    """The graph's name for the codes entering ``layer`` (e.g. ``"conv2_input"``)."""
    return f"{layer}_input"


def check_exportable(im: IntegerModel) -> None:
    """Refuse (``InputError``) an integer model that ONNX's integer operators cannot hold."""
    for layer in im.layers:
        for what, bits in (("weights", layer.weight_bits), ("activations", layer.input.bits)):
            if bits != ONNX_BITS:
                raise InputError(
                    f"ONNX's integer operators (QLinearConv, MatMulInteger) take 8-bit tensors "
                    f"only, so {bits}-bit {what} cannot be exported (int4/uint4 exist since opset "
                    "21, for QuantizeLinear/DequantizeLinear only, and run in float): use bits=8."
                )
    for layer in im.layers:
        zps = np.unique(layer.weight_zero_point)
        if zps.size > 1:
            raise InputError(
                f"{layer.name} has a weight zero point per channel, which ONNX Runtime's "
                "QLinearConv refuses (one zero point for all filters): use symmetric=True."
            )
        if layer.input.dtype == np.int8 and layer.weight_codes.dtype == np.uint8:
            raise InputError(
                "ONNX Runtime has no kernel for int8 activations with uint8 (asymmetric) "
                "weights: use symmetric=True for the weights."
            )
    if im.layers[-1].layer.kind != "dense":  # pragma: no cover - every shipped model
        raise InputError("The last layer must be dense to export its logits.")


def onnx_graph(im: IntegerModel) -> onnx.ModelProto:
    """The ONNX model of an :class:`IntegerModel` (see the module's notes); checked by
    ``onnx.checker``."""
    import onnx  # imported here: reading the library does not need it
    from onnx import TensorProto, helper, numpy_helper

    check_exportable(im)
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def grid_consts(layer_name: str, grid) -> tuple[str, str]:
        s = const(f"{layer_name}_scale", np.float32(grid.scale))
        z = const(f"{layer_name}_zero_point", np.array(grid.zero_point, dtype=grid.dtype))
        return s, z

    first = im.layers[0]
    x_scale, x_zp = grid_consts(input_name(first.name), first.input)
    nodes.append(
        helper.make_node("QuantizeLinear", [INPUT_NAME, x_scale, x_zp], [input_name(first.name)])
    )
    scales = {first.name: (x_scale, x_zp)}
    for i, layer in enumerate(im.layers):
        name = layer.name
        x = input_name(name)
        x_s, x_z = scales[name]
        w_dtype = layer.weight_codes.dtype
        if layer.output is None:  # the last layer: float logits from the int32 accumulator
            w = const(f"{name}_weight_t", np.ascontiguousarray(layer.weight_codes.T))
            w_z = const(f"{name}_weight_zero_point", layer.weight_zero_point.astype(w_dtype))
            b = const(f"{name}_bias", layer.bias_codes.astype(np.int32))
            acc_scale = const(f"{name}_accumulator_scale", layer.accumulator_scale)
            nodes += [
                helper.make_node("MatMulInteger", [x, w, x_z, w_z], [f"{name}_product"]),
                helper.make_node("Add", [f"{name}_product", b], [f"{name}_accumulator"]),
                helper.make_node(
                    "Cast", [f"{name}_accumulator"], [f"{name}_float"], to=TensorProto.FLOAT
                ),
                helper.make_node("Mul", [f"{name}_float", acc_scale], [OUTPUT_NAME]),
            ]
            break
        nxt = im.layers[i + 1].name
        y_s, y_z = grid_consts(input_name(nxt), layer.output)
        scales[nxt] = (y_s, y_z)
        dense = layer.layer.kind == "dense"
        codes = layer.weight_codes.reshape(layer.weight_codes.shape + (1, 1) * dense)
        w = const(f"{name}_weight", codes)
        w_s = const(f"{name}_weight_scale", layer.weight_scale.astype(np.float32))
        w_z = const(f"{name}_weight_zero_point", layer.weight_zero_point.astype(w_dtype))
        b = const(f"{name}_bias", layer.bias_codes.astype(np.int32))
        if dense:
            shape4 = const(f"{name}_shape_in", np.array([0, -1, 1, 1], dtype=np.int64))
            nodes.append(helper.make_node("Reshape", [x, shape4], [f"{name}_input_4d"]))
            x = f"{name}_input_4d"
        k = int(layer.weight_codes.shape[-1]) if not dense else 1
        pad = int(layer.layer.padding)
        y = f"{name}_requantized"
        nodes.append(
            helper.make_node(
                "QLinearConv",
                [x, x_s, x_z, w, w_s, w_z, y_s, y_z, b],
                [y],
                kernel_shape=[k, k],
                pads=[pad] * 4,
                strides=[1, 1],
            )
        )
        if layer.layer.relu and layer.output.zero_point != layer.output.qmin:
            nodes.append(helper.make_node("Max", [y, y_z], [f"{name}_relu"]))
            y = f"{name}_relu"
        if layer.layer.pool:
            p = int(layer.layer.pool)
            nodes.append(
                helper.make_node(
                    "MaxPool", [y], [f"{name}_pooled"], kernel_shape=[p, p], strides=[p, p]
                )
            )
            y = f"{name}_pooled"
        if dense or im.layers[i + 1].layer.kind == "dense":
            shape2 = const(f"{name}_shape_out", np.array([0, -1], dtype=np.int64))
            nodes.append(helper.make_node("Reshape", [y, shape2], [input_name(nxt)]))
        else:
            nodes.append(helper.make_node("Identity", [y], [input_name(nxt)]))
    c, h, w_ = im.model.x_test.shape[1:]
    graph = helper.make_graph(
        nodes,
        f"{im.model.name}-integer",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["n", c, h, w_])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["n", None])],
        initializer=inits,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="quantviz",
        doc_string=(
            f"{im.model.title}: integer-only inference (int8 weights, 8-bit activations, "
            "int32 accumulators) exported by quantviz.export_onnx. Input: float32 images "
            "(n, 1, 8, 8), pixels / 16; output: float logits."
        ),
    )
    helper.set_model_props(proto, {"quantviz.settings": json.dumps(im.settings, default=str)})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(
    model: Model | str | IntegerModel,
    path: str | Path | None = None,
    bits: int | None = None,
    **settings: object,
) -> bytes:
    """Write the quantized network as a standard ONNX model (integer operators) to ``path``.

    ``model`` is a shipped model (or its name) quantized with :func:`quantviz.evaluate`'s
    settings (``bits=8``, ``granularity``, ``symmetric``, ``strategy``, ``activations``, …),
    or an :class:`~quantviz.models.integer.IntegerModel` already converted. Returns the
    file's bytes (also when ``path`` is None: nothing is written). Settings that ONNX's
    integer operators cannot express (fewer or more than 8 bits, one weight zero point per
    channel, float layers, number formats, groups, dynamic ranges) raise
    :class:`~quantviz.InputError`.
    """
    if isinstance(model, IntegerModel):
        if bits is not None or settings:
            raise InputError("Give settings with a model to convert, not with an IntegerModel.")
        im = model
    else:
        im = integer_model(model, bits, **settings)
    data = onnx_graph(im).SerializeToString()
    if path is not None:
        Path(path).write_bytes(data)
    return data
