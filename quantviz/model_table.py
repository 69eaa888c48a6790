"""The whole model at one setting: every float tensor's error and size, as one table.

Quantizing a checkpoint layer by layer at the same settings shows which layers
suffer most (an embedding with a few huge values, a LayerNorm weight near 1).
Each tensor is quantized on all of its values with :func:`quantviz.quantize`;
only the metrics are kept, so memory stays at one tensor's worth of results.

A setting does not fit every tensor: a 1-D bias has no channels, a group size
may not divide a row. Each tensor gets the nearest settings that apply
(:func:`quantviz.fit.fit_settings`, the page's policy too), and the ``note``
column says what changed. Also here: :func:`default_tensor`
(which tensor of a file to show first).

Pure: numpy and pandas, no streamlit, no matplotlib.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from quantviz.fit import describe, fit_settings
from quantviz.io import is_quantizable
from quantviz.number_formats import NumberFormat, get_format
from quantviz.pipeline import quantize
from quantviz.tensor import finite_values

METRICS = (
    "mse",
    "rmse",
    "sqnr_db",
    "max_abs_error",
    "clipped_fraction",
    "bits_per_weight",
    "size_bytes",
    "float32_bytes",
)
"""The columns taken from ``qv.quantize(...).metrics``."""

COLUMNS = ("tensor", "shape", "values", "format", "granularity", *METRICS, "dropped", "note")
"""Columns of :func:`model_table`, in order."""

KEPT = "float32"
"""The ``format`` of a tensor a block format cannot take: kept in float32, not quantized."""

Progress = Callable[[int, int | None, str], None]
"""``progress(done, total, name)``: ``done`` tensors finished of ``total`` (None: unknown),
``name`` the one starting now (``""`` at the end)."""


def table_kwargs(
    shape: tuple[int, ...], kwargs: Mapping[str, object]
) -> tuple[dict[str, object], str]:
    """``qv.quantize`` keywords for one tensor of the table, and a note on what changed.

    A manual clipping range is chosen for one tensor, so the table uses min-max
    instead; everything else follows :func:`quantviz.fit.fit_settings`, the same
    policy the page uses. The note is ``""`` when the settings apply as they are.
    """
    kw = dict(kwargs)
    notes = []
    if kw.get("strategy") == "manual":
        notes.append("Min-max: a manual range belongs to one tensor.")
        kw["strategy"] = "minmax"
        kw.pop("low", None), kw.pop("high", None)
    kw, changes = fit_settings(shape, **kw)
    return kw, " ".join([*notes, describe(changes)]).strip()


def refused_by_blocks(shape: tuple[int, ...], fmt: NumberFormat | None) -> str:
    """Why a block format cannot store a tensor of ``shape`` (``""`` when it can).

    MX, NVFP4 and the GGML formats cut each row into blocks of 16 or 32 consecutive
    values; a last dimension that is not a whole number of blocks (a scalar, a bias of
    30 values) cannot be stored. Such tensors are kept in float32, as llama.cpp keeps
    the tensors its block types cannot take in a wider type.
    """
    if fmt is None or fmt.block_size is None:
        return ""
    last = shape[-1] if shape else 1
    if last % fmt.block_size == 0:
        return ""
    return (
        f"Kept in float32 (not quantized): {fmt.name} stores blocks of {fmt.block_size} "
        f"values and the last dimension is {last}."
    )


def _pairs(
    tensors: Mapping[str, np.ndarray] | Iterable[tuple[str, np.ndarray]],
) -> Iterable[tuple[str, np.ndarray]]:
    return tensors.items() if isinstance(tensors, Mapping) else tensors


def _total(tensors: object) -> int | None:
    try:
        return len(tensors)  # type: ignore[arg-type]
    except TypeError:
        return None


def model_table(
    tensors: Mapping[str, np.ndarray] | Iterable[tuple[str, np.ndarray]],
    *,
    progress: Progress | None = None,
    **quantize_kwargs: object,
) -> pd.DataFrame:
    """Quantize every floating-point tensor of a model with the same settings.

    Parameters
    ----------
    tensors : mapping of str to numpy.ndarray, or iterable of (name, array) pairs
        What :func:`quantviz.io.load_weights` returns, or what
        :func:`quantviz.io.iter_weights` yields: tensors are taken one at a time and
        let go once measured, so a stream needs memory for one tensor only. Integer
        and bool tensors (token ids, masks) and empty ones are left out: they are not
        weights.
    progress : callable, optional
        Called as ``progress(done, total, name)`` before each tensor and once at the
        end (see :data:`Progress`); ``total`` is ``len(tensors)`` when it has one.
    **quantize_kwargs
        The keywords of :func:`quantviz.quantize` (``bits``, ``format``, ``symmetric``,
        ``strategy``, ``granularity``, ...), adapted per tensor by :func:`table_kwargs`.

    Returns
    -------
    pandas.DataFrame
        One row per float tensor in order, columns :data:`COLUMNS`: its name, shape
        (text such as ``"384 × 384"``), number of values, the format used (``"int4"``
        for the integer grid at 4 bits, ``"nf4"``...) and granularity, the metrics of
        ``qv.quantize`` computed on every finite value, and ``dropped``: the NaN / Inf
        values left out (:func:`quantviz.finite_values`; such a tensor is quantized per
        tensor). ``note`` says what was adapted. A tensor a block format cannot take
        (:func:`refused_by_blocks`) is kept in float32: format ``"float32"``, error 0,
        32 bits per weight, so the model's totals stay honest.

    Raises
    ------
    InputError
        Settings that apply to no tensor (``bits=99``, an unknown format).
    """
    fmt_name = str(quantize_kwargs.get("format", "int"))
    fmt = get_format(fmt_name) if fmt_name != "int" else None
    total = _total(tensors)
    rows = []
    done = 0
    for name, x in _pairs(tensors):
        if progress is not None:
            progress(done, total, name)
        done += 1
        if not is_quantizable(x):
            continue
        shape, size = tuple(x.shape), int(x.size)
        x, dropped, note = finite_tensor(x)
        if not x.size:
            continue
        row = {"tensor": name, "shape": shape_text(shape), "values": size, "dropped": dropped}
        refused = refused_by_blocks(x.shape, fmt)
        if refused:
            row.update(_kept(int(x.size)), note="; ".join(n for n in (note, refused) if n))
        else:
            kw, fit_note = table_kwargs(x.shape, quantize_kwargs)
            m = quantize(x, **kw, arrays=False).metrics
            row.update(
                {c: m[c] for c in METRICS},
                format=fmt_name if fmt else f"int{kw.get('bits', 8)}",
                granularity=kw.get("granularity") or "tensor",
                note="; ".join(n for n in (note, fit_note) if n),
            )
        rows.append(row)
        del x
    if progress is not None:
        progress(done, total, "")
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _kept(n: int) -> dict[str, object]:
    """The row of a tensor kept in float32: no error, 32 bits per value."""
    return {
        "format": KEPT, "granularity": "tensor", "mse": 0.0, "rmse": 0.0,
        "sqnr_db": float("inf"), "max_abs_error": 0.0, "clipped_fraction": 0.0,
        "bits_per_weight": 32.0, "size_bytes": 4 * n, "float32_bytes": 4 * n,
    }  # fmt: skip


def model_totals(table: pd.DataFrame) -> dict[str, float]:
    """The whole model's figures from a :func:`model_table`.

    Returns
    -------
    dict
        ``tensors`` (rows), ``values`` (their sum), ``size_bytes`` and ``float32_bytes``
        (sums, rounded to whole bytes), ``bits_per_weight`` (8 · size / values: every
        stored scale counted), ``compression`` (float32 size / size), ``kept``
        (tensors left in float32) and ``median_sqnr_db`` (over the quantized tensors;
        NaN if none).
    """
    values = int(table["values"].sum()) if len(table) else 0
    size = round(float(table["size_bytes"].sum())) if len(table) else 0
    f32 = round(float(table["float32_bytes"].sum())) if len(table) else 0
    quantized = table[table["format"] != KEPT]
    return {
        "tensors": len(table),
        "values": values,
        "size_bytes": size,
        "float32_bytes": f32,
        "bits_per_weight": 8 * size / values if values else float("nan"),
        "compression": f32 / size if size else float("nan"),
        "kept": int((table["format"] == KEPT).sum()),
        "median_sqnr_db": float(quantized["sqnr_db"].median()) if len(quantized) else float("nan"),
    }


def finite_tensor(x: np.ndarray) -> tuple[np.ndarray, int, str]:
    """``x`` itself if all its values are finite; else its finite values (1-D), the count dropped.

    The third item is a note for the user (``""`` when nothing was dropped).
    """
    if np.isfinite(x.min()) and np.isfinite(x.max()):
        return x, 0, ""
    values, dropped = finite_values(x)
    return values, dropped, f"{dropped:,} NaN/Inf values left out, so quantized flat"


def shape_text(shape: tuple[int, ...]) -> str:
    """``(384, 384)`` → ``"384 × 384"``; ``()`` → ``"scalar"``."""
    return " × ".join(str(d) for d in shape) if shape else "scalar"


def default_tensor(tensors: Mapping[str, np.ndarray]) -> str | None:
    """The tensor to show first: the largest floating-point matrix (2-D or more).

    Ties go to the first in file order; with no matrix, the largest float
    tensor; with no float tensor at all, None.
    """
    floats = [(name, x) for name, x in tensors.items() if is_quantizable(x)]
    if not floats:
        return None
    matrices = [(name, x) for name, x in floats if x.ndim >= 2] or floats
    return max(matrices, key=lambda item: item[1].size)[0]
