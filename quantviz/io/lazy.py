"""Read a weight file on disk one tensor at a time, memory-mapped where the format allows.

>>> from quantviz.io import iter_weights
>>> stream = iter_weights("model.safetensors")          # doctest: +SKIP
>>> len(stream)                                         # doctest: +SKIP
101
>>> for name, w in stream:                              # doctest: +SKIP
...     print(name, w.shape)

:func:`quantviz.io.read_weights` holds every tensor of a file at once, and refuses
files over 200 MB. This path holds one: a checkpoint larger than the machine's
memory can be scanned tensor by tensor (``quantviz report``). Each file's headers
are checked as :func:`~quantviz.io.read_weights` checks them (magic bytes, layout,
the zip guard, pickles refused) *before* the first tensor is read, with the same
one-sentence :class:`~quantviz.InputError`.

How each format is read:

* ``.safetensors``: the JSON header is parsed and checked; each tensor is a
  :class:`numpy.memmap` of its own bytes, mapped when it is reached and unmapped
  when it is dropped. A float32 tensor is handed out as that (read-only) map, so
  it is never copied; other types are converted into a new float32 array.
* ``.gguf``: the tensor table is parsed as :mod:`quantviz.io.gguf_files` does;
  each tensor is mapped on its own (block formats are dequantized from the map).
* ``.npy``: ``np.load(mmap_mode="r", allow_pickle=False)`` after the header check;
  ``.npz``: member by member, each decompressed when it is reached.
* ``.pt``/``.pth``/``.bin``: ``torch.load(mmap=True, weights_only=True)``; the file
  is mapped as a whole by PyTorch (pages read count in the resident size until the
  kernel needs them back: they are clean file pages, never swapped). Old-format
  (pre-1.6) checkpoints cannot be mapped and are read whole, up to 200 MB.
* ``.onnx``, ``.csv``/``.txt``: read whole (up to 200 MB), then handed out one by one.

Limits: no limit on the file's size; each *tensor* may hold at most
``max_elements`` values (default :data:`MAX_TENSOR_ELEMENTS`, one billion: 4 GB
as float32), since that is what must fit in memory at once.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import struct
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePath

import numpy as np
from numpy.lib import format as npformat

from quantviz.errors import InputError
from quantviz.io import gguf_files, numpy_files, safetensors_files, torch_files
from quantviz.io._common import (
    MAX_FILE_BYTES,
    ReadContext,
    display_name,
    human_bytes,
    human_count,
    product,
    size_limit,
)
from quantviz.io.loader import SUPPORTED_EXTENSIONS, read_weights
from quantviz.io.magic import (
    GGUF_MAGIC,
    NPY_MAGIC,
    SAFETENSORS_MAX_HEADER,
    TORCH_LEGACY_MAGIC,
    ZIP_MAGICS,
    misnamed,
    zip_kind,
)
from quantviz.io.tensors import LoadedTensorInfo, TensorCollector, convert
from quantviz.io.zip_guard import open_zip

#: Largest number of values in one tensor read by :func:`iter_weights` (4 GB as float32).
MAX_TENSOR_ELEMENTS = 1_000_000_000

_HEAD_BYTES = 65_536  # what is read to recognise a file's format
_NO_LIMIT = 2**62

Pairs = Iterator[tuple[str, np.ndarray]]
Keep = Callable[[str], bool]


def _everything(_name: str) -> bool:
    return True


class _OneAtATime(TensorCollector):
    """A :class:`TensorCollector` that hands each tensor out instead of keeping it.

    Limits apply to each tensor (``ctx.max_elements`` values) and to the number of
    tensors; float32 arrays are handed out as they are (a read-only map of the file).
    """

    def __init__(self, ctx: ReadContext, fmt: str) -> None:
        super().__init__(ctx, fmt)
        self.names: set[str] = set()
        self.ready: list[tuple[str, np.ndarray]] = []
        self.handed_out = 0

    def _count(self, n_elements: int) -> None:
        self.ctx.check_elements(n_elements)
        self.ctx.check_tensor_count(len(self.result.infos) + 1)

    def add(
        self, name: str, arr: np.ndarray, stored_as: str, note: str = "", *, owned: bool = False
    ) -> None:
        """Convert ``arr`` (float32 stays as it is) and queue it for :meth:`take`."""
        self.ctx.check_name(name)
        self._count(int(arr.size))
        if arr.dtype == np.float32 and arr.dtype.isnative:
            out, conv_note = arr, ""
        else:
            out, conv_note = convert(arr, owned=owned)
        note = "; ".join(n for n in (note, conv_note) if n)
        if out is None:
            self.skip(name, tuple(arr.shape), stored_as, note, counted=True)
            return
        key = name
        k = 2
        while key in self.names:
            key, k = f"{name} ({k})", k + 1
        self.names.add(key)
        self.ready.append((key, out))
        self.result.infos.append(LoadedTensorInfo.of(key, out, stored_as, note))

    def take(self) -> Pairs:
        """Yield the tensors queued since the last call, and forget them."""
        while self.ready:
            self.handed_out += 1
            yield self.ready.pop(0)

    def done(self) -> None:
        """At the end: refuse a file in which no numeric tensor was found (as the readers do)."""
        if not self.handed_out:
            self.finish()


class WeightStream:
    """The tensors of one file, read one at a time each time it is iterated.

    Iterating yields ``(name, array)`` pairs in file order: float32 for floating-point
    data (possibly a read-only memory map of the file: copy it to modify it), the
    file's own dtype for integer and bool tensors. After (or during) a pass,
    :attr:`infos` lists every tensor met, the skipped ones with their reason.

    Attributes
    ----------
    filename : str
        The file's display name.
    format : str
        ``"safetensors"``, ``"gguf"``, ``"npy"``, ``"npz"``, ``"pytorch"``, ``"onnx"``
        or ``"text"``.
    names : tuple of str
        The tensors the file lists, in order (``len(stream)`` is their number:
        some may turn out to be skipped).
    infos : list of LoadedTensorInfo
        The tensors met during the latest pass.
    """

    def __init__(
        self,
        filename: str,
        fmt: str,
        names: list[str],
        produce: Callable[[_OneAtATime, Keep], Iterator[None]],
        ctx: ReadContext,
        keep: Keep | None = None,
    ) -> None:
        self.filename = filename
        self.format = fmt
        self.names = tuple(names)
        self.infos: list[LoadedTensorInfo] = []
        self._produce = produce
        self._ctx = ctx
        self._keep = keep

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Pairs:
        out = _OneAtATime(self._ctx, self.format)
        self.infos = out.result.infos
        for _ in self._produce(out, self._keep or _everything):
            yield from out.take()
        yield from out.take()
        if self._keep is None:
            out.done()

    def only(self, names: Iterable[str]) -> WeightStream:
        """The same file, reading only the tensors called ``names`` (the others are not read)."""
        wanted = frozenset(names)
        return WeightStream(
            self.filename, self.format, [n for n in self.names if n in wanted], self._produce,
            self._ctx, wanted.__contains__,
        )  # fmt: skip

    @property
    def skipped(self) -> list[LoadedTensorInfo]:
        """The tensors met but not handed out, each with the reason in ``note``."""
        return [info for info in self.infos if not info.loaded]


def _map(path: str, offset: int, n_bytes: int) -> np.ndarray:
    """``n_bytes`` of the file from ``offset`` as a read-only uint8 map (empty: no map)."""
    if n_bytes == 0:
        return np.zeros(0, np.uint8)
    return np.memmap(path, dtype=np.uint8, mode="r", offset=offset, shape=(n_bytes,))


def _head(path: str, size: int) -> bytes:
    """The file's first bytes, enough to recognise its format."""
    with open(path, "rb") as f:
        return f.read(min(size, _HEAD_BYTES))


# --- safetensors -------------------------------------------------------------------------


def _safetensors(path: str, size: int, ctx: ReadContext) -> WeightStream:
    if size <= MAX_FILE_BYTES:
        with open(path, "rb") as f:  # small: the eager reader's exact checks and messages
            head = f.read()
    else:
        with open(path, "rb") as f:
            head = f.read(8)
            n = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
            if n > SAFETENSORS_MAX_HEADER:
                raise ctx.error(
                    f"is not a valid safetensors file: its first 8 bytes announce a header of "
                    f"{human_bytes(n)}, more than the {human_bytes(SAFETENSORS_MAX_HEADER)} the "
                    f"format allows (the whole file is {human_bytes(size)})"
                )
            head += f.read(max(n, _HEAD_BYTES - 8))
    entries, start = safetensors_files.parse_entries(head, size, ctx)
    del head
    for _name, _dtype, shape, _begin, _end in entries:
        ctx.check_elements(product(shape))

    def produce(out: _OneAtATime, keep: Keep) -> Iterator[None]:
        for name, dtype, shape, begin, end in entries:
            if not keep(name):
                continue
            raw = _map(path, start + begin, end - begin)
            try:
                decoded = safetensors_files._decode(raw, dtype, shape)
            except ValueError as exc:
                raise ctx.error(f"is corrupt: tensor {name!r} does not fit its shape") from exc
            if isinstance(decoded, str):
                out.skip(name, tuple(shape), dtype, decoded)
            else:
                bf16 = dtype == "BF16"
                note = "converted from bfloat16 to float32" if bf16 else ""
                out.add(name, decoded, stored_as=dtype, note=note, owned=bf16)
            del raw, decoded
            yield

    return WeightStream(ctx.name, "safetensors", [e[0] for e in entries], produce, ctx)


# --- GGUF --------------------------------------------------------------------------------


def _gguf(path: str, size: int, ctx: ReadContext) -> WeightStream:
    head = _head(path, size)
    if not head.startswith(GGUF_MAGIC):
        raise ctx.error(misnamed("a GGUF file", head))
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as whole:
        infos, data_start, alignment = gguf_files.parse_layout(whole, ctx)  # copies what it keeps
    plans = [gguf_files._plan(info, ctx, alignment, size - data_start) for info in infos]

    def produce(out: _OneAtATime, keep: Keep) -> Iterator[None]:
        for info, plan in zip(infos, plans, strict=True):
            if not keep(info.name):
                continue
            if plan.skip:
                out.skip(info.name, info.shape, plan.type_name, plan.skip)
                yield
                continue
            raw = _map(path, data_start + info.offset, plan.n_bytes)
            decoded, note, owned = gguf_files.decode_or_refuse(ctx, raw, 0, info, plan)
            if isinstance(decoded, str):
                out.skip(info.name, info.shape, plan.type_name, decoded)
            else:
                out.add(info.name, decoded, stored_as=plan.type_name, note=note, owned=owned)
            del raw, decoded
            yield

    return WeightStream(ctx.name, "gguf", [i.name for i in infos], produce, ctx)


# --- NumPy -------------------------------------------------------------------------------


def _npy(path: str, size: int, ctx: ReadContext) -> WeightStream:
    head = _head(path, size)
    if not head.startswith(NPY_MAGIC):
        raise ctx.error(misnamed("a NumPy .npy file", head))
    with open(path, "rb") as f:
        shape, dtype, n_bytes = numpy_files._read_header(f, ctx, ctx.stem)
        data_start = f.tell()
    ctx.check_elements(product(shape))
    if size - data_start < n_bytes:
        raise ctx.error(
            f"is truncated: its header promises {human_count(product(shape))} values of "
            f"{dtype} ({human_bytes(n_bytes)}) but only {human_bytes(size - data_start)} follow"
        )

    def produce(out: _OneAtATime, keep: Keep) -> Iterator[None]:
        if not keep(ctx.stem):
            return
        try:
            arr = np.load(path, mmap_mode="r" if n_bytes else None, allow_pickle=False)
        except Exception as exc:
            raise numpy_files._read_failure(ctx, exc, None, "values") from exc
        out.add(ctx.stem, arr, stored_as=dtype.name)
        del arr
        yield

    return WeightStream(ctx.name, "npy", [ctx.stem], produce, ctx)


def _npz_members(path: str, size: int, ctx: ReadContext) -> list[tuple[zipfile.ZipInfo, np.dtype]]:
    """Open the archive (the zip guard reads its end only) and check every member's header."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as whole:
        zf = open_zip(whole, ctx, "a NumPy .npz archive", compressed=True, fileobj=f)
        with zf:
            members = []
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                what = f" (entry {info.filename!r})"
                try:
                    member = zf.open(info)
                except NotImplementedError as exc:
                    raise ctx.error(
                        f"stores entry {info.filename!r} with a compression method quantviz "
                        "cannot read"
                    ) from exc
                except Exception as exc:
                    raise ctx.error(
                        f"is damaged: entry {info.filename!r} cannot be found where the "
                        "archive's table of contents says it is"
                    ) from exc
                with member:
                    shape, dtype, n_bytes = numpy_files._read_header(
                        member, ctx, info.filename, what
                    )
                    header_end = member.tell()
                if info.file_size < header_end + n_bytes:
                    raise ctx.error(
                        f"is truncated: entry {info.filename!r} is shorter than its header says"
                    )
                ctx.check_elements(product(shape))
                members.append((info, dtype))
    return members


def _npz(path: str, size: int, ctx: ReadContext) -> WeightStream:
    head = _head(path, size)
    if not head.startswith(ZIP_MAGICS):
        raise ctx.error(misnamed("a NumPy .npz archive", head))
    members = _npz_members(path, size, ctx)
    if not members:
        raise ctx.error(misnamed("a NumPy .npz archive", head))

    def produce(out: _OneAtATime, keep: Keep) -> Iterator[None]:
        with zipfile.ZipFile(path) as zf:
            for info, dtype in members:
                if not keep(info.filename.removesuffix(".npy")):
                    continue
                try:
                    with zf.open(info) as member:
                        arr = npformat.read_array(
                            member, allow_pickle=False, max_header_size=numpy_files._MAX_HEADER
                        )
                except Exception as exc:
                    raise numpy_files._read_failure(ctx, exc, info.filename, "values") from exc
                out.add(info.filename.removesuffix(".npy"), arr, stored_as=dtype.name, owned=True)
                del arr
                yield

    names = [info.filename.removesuffix(".npy") for info, _ in members]
    return WeightStream(ctx.name, "npz", names, produce, ctx)


# --- PyTorch -----------------------------------------------------------------------------


def _torch(path: str, size: int, ctx: ReadContext) -> WeightStream:
    head = _head(path, size)
    if head.startswith(TORCH_LEGACY_MAGIC):
        if size > MAX_FILE_BYTES:
            raise ctx.error(
                "is a PyTorch checkpoint in the old (pre-1.6) format, which cannot be read a "
                f"tensor at a time, and {size_limit(size, MAX_FILE_BYTES)} (save it again "
                "with a recent torch.save, or as .safetensors)"
            )
        return _whole(path, size, ctx)
    if not head.startswith(ZIP_MAGICS):
        # a plain pickle or another format: the eager reader's checks say which
        if size <= MAX_FILE_BYTES:
            return _whole(path, size, ctx)
        raise ctx.error(misnamed("a PyTorch checkpoint", head))
    with (
        open(path, "rb") as f,
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as whole,
        open_zip(whole, ctx, "a PyTorch checkpoint", compressed=False, fileobj=f) as zf,
    ):
        kind = zip_kind(zf.namelist()[:10_000])
    torch_files.refuse_zip_kind(kind, ctx, head)
    torch = torch_files._import_torch()
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:
        raise torch_files._explain_failure(exc, ctx) from exc
    leaves = list(torch_files._leaves(torch_files._unwrap(obj, torch), torch, ctx))
    del obj

    def produce(out: _OneAtATime, keep: Keep) -> Iterator[None]:
        seen: set[int] = set()
        for name, tensor in leaves:
            if not keep(name):
                continue
            torch_files._add_tensor(out, name, tensor, torch, seen)
            yield
            _drop_pages(tensor)

    return WeightStream(ctx.name, "pytorch", [name for name, _ in leaves], produce, ctx)


def _drop_pages(tensor: object) -> None:
    """Let the kernel take back the pages of a tensor PyTorch mapped from the file.

    ``torch.load(mmap=True)`` maps the whole file privately; pages read stay in the
    process's resident size until the kernel needs them. The file's bytes are never
    written, so ``madvise(MADV_DONTNEED)`` only drops clean copies of the file (read
    again from it if touched once more). Linux only; elsewhere, and on any failure,
    nothing happens.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        storage = tensor.untyped_storage()  # type: ignore[attr-defined]
        start, n = int(storage.data_ptr()), int(storage.nbytes())
        page = mmap.PAGESIZE
        first, last = -(-start // page) * page, (start + n) // page * page
        if last > first:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), 4)  # DONTNEED
    except Exception:  # an unusual tensor or libc: keeping the pages is harmless
        return


# --- read whole --------------------------------------------------------------------------


def _whole(path: str, size: int, ctx: ReadContext) -> WeightStream:
    """Formats that cannot be read a tensor at a time: read whole (up to 200 MB)."""
    weights = read_weights(path, ctx.name, max_elements=_NO_LIMIT)
    for info in weights.infos:
        if info.loaded:
            ctx.check_elements(product(info.shape))

    def produce(out: _OneAtATime, keep: Keep) -> Iterator[None]:
        for info in weights.infos:
            if not keep(info.name):
                continue
            if info.loaded:
                out.add(info.name, weights.tensors[info.name], info.stored_as, info.note,
                        owned=True)  # fmt: skip
            else:
                out.skip(info.name, info.shape, info.stored_as, info.note)
            yield

    return WeightStream(ctx.name, weights.format, [i.name for i in weights.infos], produce, ctx)


_OPENERS: dict[str, Callable[[str, int, ReadContext], WeightStream]] = {
    "safetensors": _safetensors,
    "gguf": _gguf,
    "npy": _npy,
    "npz": _npz,
    "pt": _torch,
    "pth": _torch,
    "bin": _torch,
    "onnx": _whole,
    "csv": _whole,
    "txt": _whole,
}


def iter_weights(
    path: str | os.PathLike[str], *, max_elements: int = MAX_TENSOR_ELEMENTS
) -> WeightStream:
    """Open a weight file on disk to read its tensors one at a time.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its extension picks the format, as for :func:`load_weights`.
    max_elements : int, optional
        Largest number of values in one tensor (default one billion). There is no
        limit on the file's size or on the total.

    Returns
    -------
    WeightStream
        Iterable of ``(name, array)`` pairs, one tensor in memory at a time;
        ``len()`` is the number of tensors the file lists.

    Raises
    ------
    InputError
        At once, before any tensor is read: a missing, empty or misnamed file, a
        corrupt header, pickled objects, a tensor over ``max_elements``. During the
        pass: a tensor whose bytes cannot be decoded, or a file with no numeric tensor.
    """
    if not isinstance(path, str | os.PathLike):
        raise InputError(
            f"iter_weights reads a file on disk and needs its path, not {type(path).__name__} "
            "(for bytes or an upload use load_weights)."
        )
    path = os.fspath(path)
    shown = display_name(os.path.basename(path))
    try:
        size = os.stat(path).st_size
        if os.path.isdir(path):
            raise InputError(f"{shown} is a folder, not a file.")
        with open(path, "rb"):
            pass
    except FileNotFoundError as exc:
        raise InputError(f"{shown} does not exist.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{shown} is a folder, not a file.") from exc
    except OSError as exc:
        raise InputError(f"{shown} cannot be opened ({exc.strerror or exc}).") from exc
    ext = PurePath(path).suffix.lower().lstrip(".")
    opener = _OPENERS.get(ext)
    if opener is None:
        known = ", .".join(SUPPORTED_EXTENSIONS)
        if not ext:
            raise InputError(
                f"{shown} has no file extension, so its format is unknown; quantviz reads .{known}."
            )
        raise InputError(f"{shown}: .{ext} files are not supported; quantviz reads .{known}.")
    if size == 0:
        raise InputError(f"{shown} is empty.")
    stem = PurePath(shown).stem or "tensor"
    ctx = ReadContext(name=shown, stem=stem, max_bytes=max(size, 1), max_elements=max_elements)
    return opener(path, size, ctx)
