"""Read weight files (safetensors, PyTorch, ONNX, GGUF, NumPy, CSV) safely.

>>> from quantviz.io import load_weights, is_quantizable
>>> weights = load_weights("model.safetensors")            # doctest: +SKIP
>>> {name: w.shape for name, w in weights.items() if is_quantizable(w)}  # doctest: +SKIP

What each format accepts and refuses, and why, is in docs/FORMATS.md.
"""

from quantviz.io._common import MAX_ELEMENTS, MAX_FILE_BYTES, MAX_TENSORS, human_bytes
from quantviz.io.loader import SUPPORTED_EXTENSIONS, load_weights, read_weights
from quantviz.io.magic import sniff
from quantviz.io.tensors import LoadedTensorInfo, LoadedWeights, is_quantizable

__all__ = [
    "MAX_ELEMENTS",
    "MAX_FILE_BYTES",
    "MAX_TENSORS",
    "SUPPORTED_EXTENSIONS",
    "LoadedTensorInfo",
    "LoadedWeights",
    "human_bytes",
    "is_quantizable",
    "load_weights",
    "read_weights",
    "sniff",
]
