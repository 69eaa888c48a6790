"""The tensor on the page and the caches that keep what was computed from it.

A :class:`Data` bundles the tensor (read-only, finite values only), what identifies
it (``key``, a small tuple), a few facts the controls need (shape, range) and the
:class:`~quantviz_app.cache.Store` its results go to: one store shared by every
session for synthetic tensors and the shipped sample, one store per session for
an upload (which no other session can reach, and which goes with its session).

Views ask ``data.memo(what, *args, compute=...)`` for anything derived from the
tensor; the cache key is ``(data.key, what, *args)``: never wider than what the
view reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import streamlit as st

import quantviz as qv
from quantviz.io import LoadedWeights, is_quantizable, read_weights
from quantviz.model_table import default_tensor, finite_tensor
from quantviz.models.zoo import model_path
from quantviz_app.cache import Store
from quantviz_app.names import DIST_LABELS

T = TypeVar("T")

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SAMPLE_FILE = ASSETS / "minilm-l6-sample.safetensors"
SAMPLE_NAME = "MiniLM-L6"
MODEL_NAME = "digits-cnn"  # the shipped model (quantviz.models), also a source of tensors
MODEL_FILE = model_path(MODEL_NAME)
# Bounds measured with benchmarks/bench_class.py (docs/BENCHMARKS.md): a result of a
# 100,000-value tensor holds 0.6 MB, of 1,000,000 values 5.7 MB; an upload's largest
# matrix (MiniLM-L6's embeddings, 11.7 M values) 45 MB of values and 67 MB per result.
SHARED_BYTES = 512 * 2**20  # results of synthetic and shipped tensors, all sessions together
SESSION_BYTES = 256 * 2**20  # results of one upload (its tensor and 3 results; more recompute)
SESSION_MIN_BYTES = 32 * 2**20  # ... and at least this, however small its tensors
MEASURE_ONLY_ABOVE = 2_000_000  # values: past this, views that need no arrays skip them
# What one upload may decode (128 MB as float32): all of MiniLM-L6 (22.7 M values) fits; a
# bigger checkpoint is for `quantviz report`, which reads a tensor at a time.
UPLOAD_MAX_VALUES = 32_000_000


@dataclass(frozen=True, eq=False)
class Data:
    """The tensor a page shows.

    Attributes
    ----------
    key : tuple
        What identifies it: ``("synthetic", dist, n, seed, params)``,
        ``("sample", tensor)``, ``("model", tensor)`` or ``("file", file_id, tensor)``.
    x : np.ndarray
        The values (float32, read-only). NaN/Inf of a file's tensor are left out,
        and the tensor is then flat (``dropped`` says how many).
    name : str
        What to call it (plain text: a distribution's label, or a tensor's name).
    file : str or None
        The file it comes from, if any.
    store : Store
        Where what is computed from it is kept.
    """

    key: tuple
    x: np.ndarray
    name: str
    file: str | None
    dropped: int
    store: Store

    @property
    def shape(self) -> tuple[int, ...]:
        return self.x.shape

    @property
    def size(self) -> int:
        return int(self.x.size)

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def low(self) -> float:
        return self.memo("low", compute=lambda: float(np.min(self.x)))

    @property
    def high(self) -> float:
        return self.memo("high", compute=lambda: float(np.max(self.x)))

    def quantized(self, kwargs: Mapping[str, Any], *, arrays: bool = True) -> qv.QuantResult:
        """``qv.quantize(x, **kwargs)``, computed once per tensor and keywords.

        ``arrays=False``: a view that needs only the numbers and the level counts of a
        per-tensor grid says so, and a huge tensor is then measured without writing its
        codes and dequantized values (the same full result otherwise).
        """
        key = tuple(sorted(kwargs.items()))
        full = (
            arrays
            or self.size <= MEASURE_ONLY_ABOVE
            or kwargs.get("granularity")
            not in (
                None,
                "tensor",
            )
        )
        return self.memo(
            "quantize", key, full, compute=lambda: qv.quantize(self.x, **kwargs, arrays=full)
        )

    def memo(self, what: str, *args: Any, compute: Callable[[], T], busy: str | None = None) -> T:
        """``compute()`` once per ``(this tensor, what, *args)``; kept in this tensor's store.

        ``busy``: what a spinner says while a computation that is not kept yet runs (for
        work that can take a second or more: sweeps, tables over every format or channel),
        so the page shows progress instead of standing still.
        """
        key = (self.key, what, *args)
        if busy is None or self.has(what, *args):
            return self.store.get(key, compute)
        with st.spinner(busy):
            return self.store.get(key, compute)

    def has(self, what: str, *args: Any) -> bool:
        """Whether ``(this tensor, what, *args)`` is kept already (its :meth:`memo` is instant)."""
        return (self.key, what, *args) in self.store


@st.cache_resource(show_spinner=False)
def shared_store() -> Store:
    """The store of synthetic and shipped tensors' results, shared by every session."""
    return Store(SHARED_BYTES)


def _read_only(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x


def synthetic(dist: str, n: int, seed: int, params: Mapping[str, float]) -> Data:
    """``qv.sample(dist, n, seed, **params)``, drawn once for every session."""
    key = ("synthetic", dist, n, seed, tuple(sorted(params.items())))
    store = shared_store()
    x = store.get((key, "x"), lambda: _read_only(qv.sample(dist, n=n, seed=seed, **params)))
    return Data(key, x, DIST_LABELS[dist], None, 0, store)


def _shipped(path: Path) -> LoadedWeights:
    """A weight file shipped in ``assets/``, its tensors read-only."""
    weights = read_weights(path)
    for x in weights.tensors.values():
        _read_only(x)
    return weights


@st.cache_resource(show_spinner=False)
def shipped_weights() -> LoadedWeights:
    """The MiniLM-L6 tensors shipped in ``assets/``, read once for every session."""
    return _shipped(SAMPLE_FILE)


@st.cache_resource(show_spinner=False)
def model_weights() -> LoadedWeights:
    """The digits CNN's weights (``assets/models``), read once for every session."""
    return _shipped(MODEL_FILE)


def from_file(kind: str, file_id: str, weights: LoadedWeights, tensor: str, store: Store) -> Data:
    """One tensor of a weight file (``kind``: ``"sample"``, ``"model"`` or ``"file"``).

    A tensor holding NaN or Inf is shown without them (flat); ``dropped`` counts them.
    """
    key = (kind, tensor) if kind in ("sample", "model") else (kind, file_id, tensor)

    def finite() -> tuple[np.ndarray, int]:
        x, dropped, _ = finite_tensor(weights.tensors[tensor])
        return _read_only(x), dropped

    x, dropped = store.get((key, "x"), finite)
    return Data(key, x, tensor, weights.filename, dropped, store)


def read_upload(uploaded: Any, budget: Callable[[int], None] | None = None) -> LoadedWeights:
    """Read an uploaded file (``qv.InputError`` with one sentence if it is not usable).

    At most :data:`UPLOAD_MAX_VALUES` values; ``budget`` is told how many the file holds
    before they are decoded (:meth:`quantviz_app.uploads.Reservation.values`). A file whose
    floating-point values are all NaN or infinite (a diverged training run) has nothing
    to show and is refused.
    """
    weights = read_weights(uploaded, max_elements=UPLOAD_MAX_VALUES, budget=budget)
    if default_tensor(weights.tensors) is None:
        kinds = ", ".join(sorted({str(x.dtype) for x in weights.tensors.values()})) or "none"
        raise qv.InputError(
            f"{weights.filename} holds no floating-point tensor to quantize "
            f"(only {kinds} values: ids, masks or counters, not weights).",
            kind="upload_no_float",
            fields={"name": weights.filename, "kinds": kinds},
        )
    if not any(has_finite(x) for x in weights.tensors.values() if is_quantizable(x)):
        raise qv.InputError(
            f"{weights.filename} holds no finite value to quantize: every value of its "
            "floating-point tensors is NaN or infinite (a training run that diverged?).",
            kind="upload_no_finite",
            fields={"name": weights.filename},
        )
    for x in weights.tensors.values():
        _read_only(x)
    return weights


def has_finite(x: np.ndarray) -> bool:
    """Whether ``x`` holds at least one finite value (looked at a million at a time)."""
    flat = x.reshape(-1)
    return any(np.isfinite(flat[i : i + 2**20]).any() for i in range(0, flat.size, 2**20))


def uploaded_bytes(weights: LoadedWeights) -> int:
    """What an upload holds: its tensors' bytes."""
    return sum(int(x.nbytes) for x in weights.tensors.values())


def store_bytes(weights: LoadedWeights) -> int:
    """The bound of an upload's results' store: a few results of its largest tensor (each
    keeps ~6 bytes a value: its dequantized copy and its codes), from
    :data:`SESSION_MIN_BYTES` to :data:`SESSION_BYTES`."""
    largest = max((x.nbytes for x in weights.tensors.values() if is_quantizable(x)), default=0)
    return int(min(SESSION_BYTES, max(SESSION_MIN_BYTES, 6 * largest)))
