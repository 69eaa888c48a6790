"""What a reader hands back: arrays in the dtypes quantviz works with, and a note on each.

Readers for the different formats all end the same way. Each tensor they find
goes through :meth:`TensorCollector.add`, which

* turns floating-point data (float16, bfloat16, float64, float8...) into float32,
  the precision the quantizer computes in;
* keeps integer and bool tensors (token ids, masks) as they are, so they can be
  listed, although they are not quantized;
* skips what is not a number (complex, strings, Python objects), with the reason;
* counts values and tensors and stops as soon as a limit is passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from quantviz.io._common import ReadContext


@dataclass(frozen=True)
class LoadedTensorInfo:
    """One tensor found in a file, as quantviz reads it.

    Attributes
    ----------
    name : str
        The tensor's name in the file (state-dict key, initializer name...).
    shape : tuple of int
        Its shape.
    stored_as : str
        The element type written in the file, in the format's own words
        (``"BF16"``, ``"torch.float16"``, ``"Q4_K"``, ``"float64"``...).
    dtype : str
        The dtype of the array returned, or ``""`` when the tensor was skipped.
    quantizable : bool
        True for floating-point tensors with at least one value.
    note : str
        How the values were obtained ("converted from bfloat16", "dequantized
        from GGML Q8_0"), or why the tensor was skipped.
    """

    name: str
    shape: tuple[int, ...]
    stored_as: str
    dtype: str
    quantizable: bool
    note: str = ""

    @classmethod
    def of(cls, name: str, out: np.ndarray, stored_as: str, note: str) -> LoadedTensorInfo:
        """The record of a tensor returned as ``out``."""
        return cls(name, tuple(int(d) for d in out.shape), stored_as, out.dtype.name,
                   is_quantizable(out), note)  # fmt: skip

    @property
    def loaded(self) -> bool:
        """True when the tensor is in :attr:`LoadedWeights.tensors`."""
        return bool(self.dtype)


@dataclass
class LoadedWeights:
    """Everything read from one file.

    Attributes
    ----------
    filename : str
        The file's display name.
    format : str
        ``"npy"``, ``"npz"``, ``"safetensors"``, ``"pytorch"``, ``"onnx"``,
        ``"gguf"`` or ``"text"``.
    tensors : dict of str to numpy.ndarray
        The tensors read, in file order: float32 for floating-point data, the
        file's own integer or bool dtype otherwise.
    infos : list of LoadedTensorInfo
        One entry per tensor found, including the skipped ones.
    """

    filename: str
    format: str
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    infos: list[LoadedTensorInfo] = field(default_factory=list)

    @property
    def skipped(self) -> list[LoadedTensorInfo]:
        """The tensors found but not returned, each with the reason in ``note``."""
        return [info for info in self.infos if not info.loaded]


def is_quantizable(arr: object) -> bool:
    """True for a floating-point numpy array with at least one element.

    Integer and bool tensors in a checkpoint (token ids, attention masks,
    counters) are listed but not quantized: they are not weights.

    Parameters
    ----------
    arr : object
        Usually a value of the dict :func:`quantviz.io.load_weights` returns.
    """
    if not isinstance(arr, np.ndarray) or arr.size == 0:
        return False
    return arr.dtype.kind == "f" or arr.dtype.name == "bfloat16"


def _is_ml_dtypes_float(dtype: np.dtype) -> bool:
    """True for the extra float types of the ``ml_dtypes`` package (bfloat16, float8...)."""
    return dtype.kind == "V" and dtype.name.startswith(("bfloat", "float"))


def _is_ml_dtypes_int(dtype: np.dtype) -> bool:
    """True for the packed integer types of ``ml_dtypes`` (int4, uint4, int2...)."""
    return dtype.kind == "V" and dtype.name.startswith(("int", "uint"))


def convert(arr: np.ndarray, owned: bool = False) -> tuple[np.ndarray | None, str]:
    """Turn a tensor read from a file into the array quantviz returns.

    Parameters
    ----------
    arr : numpy.ndarray
        The tensor as decoded from the file.
    owned : bool, optional
        True when ``arr`` is a fresh array nothing else refers to (then it is
        returned without a copy if it already has the right dtype). False for
        views into the file's bytes, which are always copied, so that the result
        is writable and does not keep the whole file in memory.

    Returns
    -------
    (numpy.ndarray or None, str)
        The array (writable, native byte order) and a note on the conversion;
        or ``None`` and the reason the tensor is skipped.
    """
    dtype = arr.dtype
    copy = not (owned and arr.flags.writeable)
    if dtype.kind == "f" or _is_ml_dtypes_float(dtype):
        with np.errstate(over="ignore"):  # float64 beyond float32's range becomes +-inf
            out = np.array(arr, dtype=np.float32, copy=copy or None)
        note = "" if dtype == np.float32 else f"converted from {dtype.name} to float32"
        return out, note
    if dtype.kind in "biu":
        return np.array(arr, dtype=dtype.newbyteorder("="), copy=copy or None), ""
    if _is_ml_dtypes_int(dtype):
        target = np.int8 if dtype.name.startswith("int") else np.uint8
        return np.array(arr, dtype=target, copy=copy or None), f"widened from {dtype.name}"
    if dtype.kind == "c":
        return None, "complex numbers cannot be quantized"
    if dtype.hasobject:
        return None, "holds Python objects"
    if dtype.kind in "SU":
        return None, "holds text, not numbers"
    return None, f"element type {dtype} is not supported"


class TensorCollector:
    """Gathers the tensors of one file while enforcing the limits.

    Parameters
    ----------
    ctx : ReadContext
        The file's name (for messages) and the limits.
    fmt : str
        The format's short name, stored in the result.
    """

    def __init__(self, ctx: ReadContext, fmt: str) -> None:
        self.ctx = ctx
        self.result = LoadedWeights(filename=ctx.name, format=fmt)
        self.total_elements = 0

    def _unique(self, name: str) -> str:
        """Return ``name``, or ``name (2)``... if a tensor of that name exists already."""
        if name not in self.result.tensors:
            return name
        k = 2
        while f"{name} ({k})" in self.result.tensors:
            k += 1
        return f"{name} ({k})"

    def _count(self, n_elements: int) -> None:
        self.total_elements += n_elements
        self.ctx.check_elements(self.total_elements)
        self.ctx.check_tensor_count(len(self.result.infos) + 1)

    def add(
        self, name: str, arr: np.ndarray, stored_as: str, note: str = "", *, owned: bool = False
    ) -> None:
        """Convert ``arr`` (see :func:`convert`) and store it under ``name``."""
        self.ctx.check_name(name)
        self._count(int(arr.size))
        out, conv_note = convert(arr, owned=owned)
        note = "; ".join(n for n in (note, conv_note) if n)
        if out is None:
            self.skip(name, tuple(arr.shape), stored_as, note, counted=True)
            return
        key = self._unique(name)
        self.result.tensors[key] = out
        self.result.infos.append(LoadedTensorInfo.of(key, out, stored_as, note))

    def skip(
        self,
        name: str,
        shape: tuple[int, ...],
        stored_as: str,
        reason: str,
        *,
        counted: bool = False,
    ) -> None:
        """Record a tensor that is not returned, and why."""
        self.ctx.check_name(name)
        if not counted:
            self.ctx.check_tensor_count(len(self.result.infos) + 1)
        self.result.infos.append(
            LoadedTensorInfo(
                name=name,
                shape=tuple(int(d) for d in shape),
                stored_as=stored_as,
                dtype="",
                quantizable=False,
                note=reason,
            )
        )

    def finish(self) -> LoadedWeights:
        """Return the result, refusing a file in which no numeric tensor was found."""
        if not self.result.tensors:
            skipped = self.result.skipped
            if not skipped:
                raise self.ctx.error("contains no tensors")
            examples = ", ".join(f"{i.name} ({i.note})" for i in skipped[:3])
            more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
            raise self.ctx.error(f"contains no tensor quantviz can read: skipped {examples}{more}")
        return self.result
