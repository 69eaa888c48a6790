"""Read the weights (graph initializers) of an ``.onnx`` model.

An ONNX file is a Protocol Buffers message: the model's graph, whose
*initializers* are the constant tensors (weights, biases, embedding tables).
Large models can keep their initializers in separate "external data" files next
to the model; quantviz reads single files only, and refuses such models instead
of opening paths named inside an uploaded file.
"""

from __future__ import annotations

from typing import Any

from quantviz.errors import InputError
from quantviz.io._common import ReadContext, product
from quantviz.io.magic import misnamed, sniff
from quantviz.io.tensors import LoadedWeights, TensorCollector

NEEDS_ONNX = "Reading .onnx files needs the onnx package: pip install onnx."


def _import_onnx() -> Any:
    """Import onnx (and its numpy helper), or raise an InputError that says how to install it."""
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError as exc:
        raise InputError(NEEDS_ONNX) from exc
    return onnx


def _parse(data: bytes, ctx: ReadContext, onnx: Any) -> Any:
    """Parse the bytes as an ONNX ModelProto that has a graph."""
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # google.protobuf.message.DecodeError and friends
        raise ctx.error("is not a readable ONNX model: it is truncated or corrupt") from exc
    if not model.HasField("graph"):
        raise ctx.error("is not an ONNX model (it has no graph)")
    return model


def _type_name(data_type: int, onnx: Any) -> str:
    """ONNX's name for an element type number, e.g. 16 -> ``"BFLOAT16"``."""
    if data_type in onnx.TensorProto.DataType.values():
        return onnx.TensorProto.DataType.Name(data_type)
    return f"type {data_type}"


def _check_initializers(initializers: Any, ctx: ReadContext, onnx: Any) -> None:
    """Refuse external data and oversized tensors before decoding anything."""
    ctx.check_tensor_count(len(initializers))
    total = 0
    for init in initializers:
        if init.data_location == onnx.TensorProto.EXTERNAL:
            raise ctx.error(
                f"keeps initializer {init.name!r} in an external data file, which quantviz "
                "does not read; save the model as a single file (onnx.save_model(model, path, "
                "save_as_external_data=False)) if it is under 2 GB"
            )
        ctx.check_shape(init.name, list(init.dims))
        total += product(list(init.dims))
        ctx.check_elements(total)


def read_onnx(data: bytes, ctx: ReadContext) -> LoadedWeights:
    """Read an ONNX model's graph initializers with ``onnx.numpy_helper.to_array``.

    Float16, bfloat16, float64 and the 8-bit float types become float32; integer
    and bool initializers keep their dtype (4-bit ones are widened to 8 bits);
    string initializers are listed as skipped. Initializers of subgraphs (inside
    ``If``/``Loop`` nodes), sparse initializers and ``Constant`` nodes are not read.

    Raises
    ------
    InputError
        onnx not installed, not an ONNX model, external data, corrupt tensors,
        too many values.
    """
    # ONNX has no magic bytes: refuse at least the files that have other formats' magic.
    if sniff(data) not in ("unknown", "text"):
        raise ctx.error(misnamed("an ONNX model", data))
    onnx = _import_onnx()
    model = _parse(data, ctx, onnx)
    initializers = model.graph.initializer
    _check_initializers(initializers, ctx, onnx)
    out = TensorCollector(ctx, "onnx")
    for init in initializers:
        stored_as = _type_name(init.data_type, onnx)
        shape = tuple(int(d) for d in init.dims)
        if init.data_type in (onnx.TensorProto.STRING, onnx.TensorProto.UNDEFINED):
            out.skip(init.name, shape, stored_as, "not a numeric tensor")
            continue
        try:
            arr = onnx.numpy_helper.to_array(init)
        except Exception as exc:  # data size not matching dims, unknown type...
            raise ctx.error(
                f"is corrupt: initializer {init.name!r} cannot be decoded (its data does not "
                "match its type and shape)"
            ) from exc
        out.add(init.name, arr, stored_as=stored_as)
    for sparse in model.graph.sparse_initializer:
        out.skip(
            sparse.values.name, tuple(sparse.dims), "sparse", "sparse initializers are not read"
        )
    return out.finish()
