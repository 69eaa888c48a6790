"""Build small weight files in memory, with each format's own library.

Used by tests/test_io.py and tests/test_io_fuzz.py. Nothing here is committed as
a binary file: every file is generated at test time. Functions whose library is
not installed raise ImportError; the tests skip them with ``pytest.importorskip``.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def npy_bytes(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    """``np.save`` into bytes."""
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def npz_bytes(arrays: dict[str, np.ndarray], compressed: bool = False) -> bytes:
    """``np.savez`` (or ``np.savez_compressed``) into bytes."""
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def csv_bytes(arr: np.ndarray, delimiter: str = ",", header: str = "") -> bytes:
    """``np.savetxt`` into bytes (full float64 precision)."""
    buf = io.BytesIO()
    np.savetxt(buf, arr, delimiter=delimiter, header=header, comments="")
    return buf.getvalue()


def safetensors_numpy_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """``safetensors.numpy.save`` into bytes."""
    from safetensors.numpy import save

    return save(arrays)


def safetensors_torch_bytes(tensors: dict[str, Any]) -> bytes:
    """``safetensors.torch.save`` into bytes (the way to get BF16 tensors)."""
    from safetensors.torch import save

    return save(tensors)


def torch_bytes(obj: Any, legacy: bool = False) -> bytes:
    """``torch.save`` into bytes (ZIP format, or the pre-1.6 format with ``legacy``)."""
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


def onnx_bytes(arrays: dict[str, np.ndarray], external: tuple[str, ...] = ()) -> bytes:
    """A one-node ONNX model whose graph initializers are ``arrays``.

    Names in ``external`` are marked as stored in an external data file.
    """
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(arr, name) for name, arr in arrays.items()]
    for init in inits:
        if init.name in external:
            init.ClearField("raw_data")
            init.data_location = TensorProto.EXTERNAL
            entry = init.external_data.add()
            entry.key, entry.value = "location", "../../../etc/passwd"
    first = next(iter(arrays))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, None)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [x], [y], initializer=inits)
    model = helper.make_model(graph, producer_name=f"quantviz-tests ({first})")
    return model.SerializeToString()


def gguf_bytes(tensors: dict[str, tuple[np.ndarray, str]]) -> bytes:
    """A GGUF file written by ``gguf.GGUFWriter``.

    ``tensors`` maps a name to ``(array, GGML type name)``; types "F32", "F16"
    and "I32" store the array converted; block types ("Q8_0", "Q4_0"...) store
    a float array quantized with ``gguf.quants.quantize``, or a uint8 array as
    raw, already encoded blocks (one row of bytes per tensor row).
    """
    import gguf
    from gguf import GGMLQuantizationType as Q

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.gguf"
        writer = gguf.GGUFWriter(path, "quantviz-test")
        writer.add_name("fixture")
        writer.add_token_list(["<s>", "</s>", "hello"])
        for name, (arr, kind) in tensors.items():
            if kind == "F32":
                writer.add_tensor(name, arr.astype(np.float32))
            elif kind == "F16":
                writer.add_tensor(name, arr.astype(np.float16))
            elif kind == "I32":
                writer.add_tensor(name, arr.astype(np.int32))
            else:
                qtype = Q[kind]
                if arr.dtype == np.uint8:
                    data = arr
                else:
                    data = gguf.quants.quantize(arr.astype(np.float32), qtype)
                writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()


class FileCreator:
    """A pickle payload: unpickling it calls ``open(path, "w")``, creating a file.

    Harmless (it creates an empty file in a test's tmp_path) but exactly what a
    malicious checkpoint does with worse functions.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (open, (self.path, "w"))


class CommandRunner:
    """A pickle payload: unpickling it runs ``touch <path>`` through ``os.system``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (os.system, (f"touch '{self.path}'",))


def plain_pickle(obj: Any) -> bytes:
    """``pickle.dumps`` (what a careless ``torch.save`` replacement would write)."""
    return pickle.dumps(obj, protocol=4)
