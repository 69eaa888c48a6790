"""Read PyTorch checkpoints (``.pt``, ``.pth``, ``.bin``) without running their code.

``torch.save`` writes a *pickle*: a little program that rebuilds Python objects
when it is loaded, and that can call any Python function, for instance one that
deletes files. So checkpoints are only ever opened with
``torch.load(..., weights_only=True)``, PyTorch's restricted unpickler that
rebuilds tensors, containers and numbers and refuses everything else. There is
deliberately no fallback to ``weights_only=False``.

Before PyTorch sees the file it must be either a ZIP archive (the format of
``torch.save`` since PyTorch 1.6) whose directory promises no more data than
the file-size limit, or an old-style checkpoint starting with PyTorch's magic
number. Plain pickles are refused without being opened.
"""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Iterator
from typing import Any

from quantviz.io._common import MAX_TENSORS, ReadContext
from quantviz.io.magic import TORCH_LEGACY_MAGIC, ZIP_MAGICS, misnamed, sniff
from quantviz.io.tensors import LoadedWeights, TensorCollector
from quantviz.io.zip_guard import open_zip

NEEDS_TORCH = (
    "Reading PyTorch checkpoints needs PyTorch: pip install 'quantviz[torch]' "
    "(or convert the file to .safetensors)"
)

#: Keys under which training scripts commonly nest the model's state dict.
_STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model", "module")

_MAX_DEPTH = 32  # nesting of dicts and lists in a checkpoint
_MAX_NODES = 10 * MAX_TENSORS  # containers and leaves visited in one checkpoint


def _import_torch() -> Any:
    """Import torch, or raise the InputError that says how to install it."""
    from quantviz.errors import InputError

    try:
        import torch
    except ImportError as exc:
        raise InputError(NEEDS_TORCH + ".") from exc
    return torch


TORCHSCRIPT_REFUSED = (
    "is a TorchScript archive (torch.jit.save), which contains code; save the model's "
    "state_dict() with torch.save or safetensors instead"
)


def refuse_zip_kind(kind: str | None, ctx: ReadContext, head: bytes) -> None:
    """Refuse a ZIP that is not a checkpoint: a TorchScript archive (code) or a NumPy .npz."""
    if kind == "torchscript":
        raise ctx.error(TORCHSCRIPT_REFUSED)
    if kind == "npz":
        raise ctx.error(misnamed("a PyTorch checkpoint", head))


def _check_container(data: bytes, ctx: ReadContext) -> None:
    """Accept only a ZIP checkpoint with honest sizes, or an old-format checkpoint."""
    if data.startswith(ZIP_MAGICS):
        refuse_zip_kind(sniff(data), ctx, data)
        open_zip(data, ctx, "a PyTorch checkpoint", compressed=False).close()
        return
    if data.startswith(TORCH_LEGACY_MAGIC):
        return
    if sniff(data) == "pickle":
        raise ctx.error(
            "is a plain Python pickle, not a torch.save checkpoint; unpickling can run "
            "arbitrary code, so quantviz refuses it for safety"
        )
    raise ctx.error(misnamed("a PyTorch checkpoint", data))


def _explain_failure(exc: Exception, ctx: ReadContext) -> Exception:
    """Turn an exception from ``torch.load`` into the InputError to raise."""
    text = str(exc)
    if isinstance(exc, pickle.UnpicklingError) and "Weights only load failed" in text:
        found = re.search(r"GLOBAL ([\w.]+)", text)
        if found:  # the pickle calls a function or class the restricted unpickler refuses
            return ctx.error(
                f"contains Python objects other than tensors (it references {found.group(1)}); "
                "quantviz refuses to run them for safety (save a plain state_dict, or use "
                "safetensors)"
            )
        return ctx.error(
            "is not a readable PyTorch checkpoint: its pickle (the part that lists the "
            "tensors) is corrupt or uses instructions quantviz refuses to run for safety"
        )
    if "TorchScript" in text:
        return ctx.error(TORCHSCRIPT_REFUSED)
    return ctx.error("is not a readable PyTorch checkpoint: it is truncated or corrupt")


def _unwrap(obj: Any, torch: Any) -> Any:
    """If ``obj`` is a training checkpoint holding a state dict, return the state dict.

    For ``{"epoch": 3, "model": {...}, "optimizer": {...}}`` the weights are
    under ``"model"``; a plain state dict (only tensors) is returned as it is.
    """
    if not isinstance(obj, dict) or all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj
    for key in _STATE_DICT_KEYS:
        inner = obj.get(key)
        if isinstance(inner, dict) and inner:
            return inner
    return obj


def _leaves(obj: Any, torch: Any, ctx: ReadContext) -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted name, tensor)`` for every tensor in nested dicts, lists and tuples.

    Nested dict keys are joined with ``"."`` (``{"layer": {"weight": t}}`` gives
    ``"layer.weight"``), list items by their index. Depth and the number of
    visited objects are capped, so a pickle that references the same list a
    million times cannot make this loop run forever.
    """
    stack: list[tuple[str, Any, int]] = [("", obj, 0)]
    visited = 0
    while stack:
        prefix, node, depth = stack.pop()
        visited += 1
        if visited > _MAX_NODES:
            raise ctx.error(f"holds more than {_MAX_NODES:,} objects, more than quantviz reads")
        if isinstance(node, torch.Tensor):
            yield prefix or ctx.stem, node
            continue
        if isinstance(node, dict):
            children = [(str(k), v) for k, v in node.items()]
        elif isinstance(node, (list, tuple)):
            children = [(str(i), v) for i, v in enumerate(node)]
        else:
            continue  # numbers, strings, None: training metadata, not weights
        if depth >= _MAX_DEPTH:
            raise ctx.error(f"nests containers more than {_MAX_DEPTH} levels deep")
        for key, value in reversed(children):  # reversed: the stack pops in file order
            stack.append((f"{prefix}.{key}" if prefix else key, value, depth + 1))


def _add_tensor(out: TensorCollector, name: str, t: Any, torch: Any, seen: set[int]) -> None:
    """Convert one tensor to NumPy (floats to float32) and add it to ``out``.

    ``seen`` holds the addresses of the storages already handed out: a tensor
    that shares its storage with an earlier one (tied weights, views) is copied,
    so that no two returned arrays share memory.
    """
    stored_as = str(t.dtype)
    shape = tuple(int(d) for d in t.shape)
    if t.layout != torch.strided:
        out.skip(name, shape, stored_as, f"{t.layout} tensors are not supported")
        return
    out.ctx.check_elements(out.total_elements + int(t.numel()))  # before any copy
    t = t.detach()
    storage = t.untyped_storage().data_ptr() if not t.is_quantized else None
    shared = storage is None or storage in seen
    if storage is not None:
        seen.add(storage)
    note = ""
    if t.is_quantized:
        t, note = t.dequantize(), f"dequantized from {stored_as}"
    if t.is_complex():
        out.skip(name, shape, stored_as, "complex numbers cannot be quantized")
        return
    if t.dtype.is_floating_point:
        t = t.to(torch.float32)
        if stored_as != "torch.float32" and not note:
            note = f"converted from {stored_as} to float32"
    try:
        arr = t.contiguous().numpy()
    except Exception:  # dtypes NumPy has no equivalent for
        out.skip(name, shape, stored_as, "its element type has no NumPy equivalent")
        return
    # Unless its storage was handed out already, the array is memory this reader
    # created (torch.load's copy of the file): no need to copy it once more.
    out.add(name, arr, stored_as=stored_as, note=note, owned=not shared)


def read_torch(data: bytes, ctx: ReadContext) -> LoadedWeights:
    """Read a PyTorch checkpoint with ``torch.load(weights_only=True)``.

    Accepted contents: a state dict (possibly nested, or inside a training
    checkpoint under ``"state_dict"``, ``"model_state_dict"``, ``"model"`` or
    ``"module"``), a single tensor, or a list or tuple of tensors. Floating
    tensors (float16, bfloat16, float64...) become float32, quantized tensors
    are dequantized, integer and bool tensors keep their dtype.

    Raises
    ------
    InputError
        PyTorch not installed, not a checkpoint, plain pickles, pickled Python
        objects other than tensors, TorchScript archives, corrupt files, too
        many values.
    """
    _check_container(data, ctx)
    torch = _import_torch()
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # anything the unpickler or the zip reader raises on user bytes
        raise _explain_failure(exc, ctx) from exc
    out = TensorCollector(ctx, "pytorch")
    seen: set[int] = set()
    for name, tensor in _leaves(_unwrap(obj, torch), torch, ctx):
        _add_tensor(out, name, tensor, torch, seen)
    return out.finish()
