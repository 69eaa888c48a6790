"""Read weight files (safetensors, PyTorch, ONNX, GGUF, NumPy, CSV) safely.

>>> from quantviz.io import is_quantizable, iter_weights, load_weights
>>> weights = load_weights("model.safetensors")            # doctest: +SKIP
>>> {name: w.shape for name, w in weights.items() if is_quantizable(w)}  # doctest: +SKIP
>>> for name, w in iter_weights("big.safetensors"):      # doctest: +SKIP
...     ...                                              # one tensor in memory at a time

What each format accepts and refuses, and why, is in docs/FORMATS.md.
"""

from quantviz.io._common import (
    MAX_ELEMENTS,
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    MAX_NAME_CHARS,
    MAX_TENSORS,
    human_bytes,
)
from quantviz.io.lazy import MAX_TENSOR_ELEMENTS, WeightStream, iter_weights
from quantviz.io.loader import SUPPORTED_EXTENSIONS, load_weights, read_weights
from quantviz.io.magic import sniff
from quantviz.io.tensors import LoadedTensorInfo, LoadedWeights, is_quantizable

__all__ = [
    "MAX_ELEMENTS",
    "MAX_FILE_BYTES",
    "MAX_FILE_MB",
    "MAX_NAME_CHARS",
    "MAX_TENSORS",
    "MAX_TENSOR_ELEMENTS",
    "SUPPORTED_EXTENSIONS",
    "LoadedTensorInfo",
    "LoadedWeights",
    "WeightStream",
    "human_bytes",
    "is_quantizable",
    "iter_weights",
    "load_weights",
    "read_weights",
    "sniff",
]
