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

from collections.abc import Mapping

import numpy as np
import pandas as pd

from quantviz.fit import describe, fit_settings
from quantviz.io import is_quantizable
from quantviz.pipeline import quantize
from quantviz.tensor import finite_values

COLUMNS = (
    "tensor",
    "shape",
    "values",
    "granularity",
    "mse",
    "rmse",
    "sqnr_db",
    "max_abs_error",
    "clipped_fraction",
    "bits_per_weight",
    "size_bytes",
    "float32_bytes",
    "dropped",
    "note",
)
"""Columns of :func:`model_table`, in order."""


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


def model_table(tensors: Mapping[str, np.ndarray], **quantize_kwargs: object) -> pd.DataFrame:
    """Quantize every floating-point tensor of a model with the same settings.

    Parameters
    ----------
    tensors : mapping of str to numpy.ndarray
        What :func:`quantviz.io.load_weights` returns. Integer and bool tensors
        (token ids, masks) and empty ones are left out: they are not weights.
    **quantize_kwargs
        The keywords of :func:`quantviz.quantize` (``bits``, ``symmetric``,
        ``strategy``, ``granularity``, ...), adapted per tensor by
        :func:`table_kwargs`.

    Returns
    -------
    pandas.DataFrame
        One row per float tensor in the mapping's order, columns :data:`COLUMNS`:
        its name, shape (text such as ``"384 × 384"``), number of values, the
        granularity actually used, the metrics of ``qv.quantize`` computed on
        every finite value, and ``dropped``: the NaN / Inf values left out
        (:func:`quantviz.finite_values`; such a tensor is quantized per tensor).
        ``note`` says what was adapted.
    """
    rows = []
    for name, x in tensors.items():
        if not is_quantizable(x):
            continue
        x, dropped, note = finite_tensor(x)
        if not x.size:
            continue
        kw, fit_note = table_kwargs(x.shape, quantize_kwargs)
        m = quantize(x, **kw).metrics
        rows.append(
            {
                "tensor": name,
                "shape": shape_text(tensors[name].shape),
                "values": int(tensors[name].size),
                "granularity": kw.get("granularity", "tensor"),
                **{c: m[c] for c in COLUMNS[4:12]},
                "dropped": dropped,
                "note": "; ".join(n for n in (note, fit_note) if n),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


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
