"""Downloads as bytes: figures (PNG, SVG), tables (CSV), the quantized tensor (.npz).

Pure functions, no streamlit: the app passes them to ``st.download_button`` and
the tests read the bytes back.

The ``.npz`` holds ``codes``, ``scale``, ``zero_point``, ``qmin``, ``qmax``,
``bits``, ``granularity``, ``axis``, ``group_size`` and ``settings`` (JSON
text), all plain arrays (``np.load(..., allow_pickle=False)`` reads it).
:func:`dequantize_npz` rebuilds the dequantized tensor from it. A number format's
``.npz`` (:func:`format_npz`) holds what the format stores and the values read back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from quantviz.granularity import layout
from quantviz.number_formats import FormatResult
from quantviz.pipeline import QuantResult
from quantviz.quantizer import dequantize

if TYPE_CHECKING:  # pragma: no cover: the page imports this module, matplotlib only on a click
    from matplotlib.figure import Figure

PNG_DPI = 200  # downloads: sharp on slides and paper


def figure_png(fig: Figure, dpi: int = PNG_DPI, *, compress_level: int = 6) -> bytes:
    """The figure as PNG bytes (``compress_level`` 1 is faster and larger, for screens)."""
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=dpi, metadata={"Software": "quantviz"},
        pil_kwargs={"compress_level": compress_level},
    )  # fmt: skip
    return buf.getvalue()


def figure_svg(fig: Figure) -> bytes:
    """The figure as SVG (UTF-8 text, vector: scales to any projector)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Creator": "quantviz"})
    return buf.getvalue()


def table_csv(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV without the index (``pd.read_csv`` reads it back)."""
    return table.to_csv(index=False).encode("utf-8")


def metrics_table(
    r: QuantResult | FormatResult, settings: Mapping[str, object] | None = None
) -> pd.DataFrame:
    """One row: the settings, the grid (per tensor: scale, zero point, range; a number
    format: its element bits, blocks and scales) and every metric."""
    row: dict[str, object] = dict(settings or {})
    if isinstance(r, FormatResult):
        scales = np.ravel(r.scales).astype(np.float64)
        row.update(format=r.format.name, element_bits=r.bits, block_size=r.block_size,
                   n_blocks=r.n_blocks, scale_min=float(scales.min()),
                   scale_max=float(scales.max()), tensor_scale=r.tensor_scale)  # fmt: skip
        row.update(r.metrics)
        return pd.DataFrame([row])
    row.update(bits=r.bits, qmin=r.qmin, qmax=r.qmax)
    if np.ndim(r.scale) == 0:
        row.update(scale=r.scale, zero_point=r.zero_point, low=r.low, high=r.high)
    else:
        row.update(
            scale_min=float(np.min(r.scale)),
            scale_max=float(np.max(r.scale)),
            n_scales=int(np.size(r.scale)),
        )
    row.update(r.metrics)
    return pd.DataFrame([row])


def metrics_csv(
    r: QuantResult | FormatResult, settings: Mapping[str, object] | None = None
) -> bytes:
    """:func:`metrics_table` as CSV bytes."""
    return table_csv(metrics_table(r, settings))


def quantized_npz(r: QuantResult, settings: Mapping[str, object] | None = None) -> bytes:
    """The quantized tensor and its grid as compressed ``.npz`` bytes (no pickled objects)."""
    cfg = r.config
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        codes=r.codes,
        scale=np.asarray(r.scale, dtype=np.float32),
        zero_point=np.asarray(r.zero_point, dtype=np.int64),
        qmin=np.int64(r.qmin),
        qmax=np.int64(r.qmax),
        bits=np.int64(r.bits),
        symmetric=np.bool_(cfg.symmetric),
        narrow_range=np.bool_(cfg.narrow_range),
        granularity=np.str_(cfg.granularity),
        axis=np.int64(cfg.axis),
        group_size=np.int64(cfg.group_size or 0),
        settings=np.str_(json.dumps(dict(settings or {}), default=str)),
    )
    return buf.getvalue()


def format_npz(r: FormatResult, settings: Mapping[str, object] | None = None) -> bytes:
    """A tensor in a number format as compressed ``.npz`` bytes: what the format stores
    (``codes``, ``scales`` decoded to float32, ``offsets`` or ``tensor_scale`` where it
    has them), ``dequantized`` (what each value reads back as), ``format`` and
    ``settings`` (JSON text); plain arrays only."""
    buf = io.BytesIO()
    extra = {} if r.offsets is None else {"offsets": np.asarray(r.offsets, np.float32)}
    if r.tensor_scale is not None:
        extra["tensor_scale"] = np.float32(r.tensor_scale)
    np.savez_compressed(
        buf, codes=r.codes, scales=np.asarray(r.scales, np.float32),
        dequantized=np.asarray(r.dequantized, np.float32), format=np.str_(r.format.name),
        block_size=np.int64(r.block_size),
        settings=np.str_(json.dumps(dict(settings or {}), default=str)), **extra,
    )  # fmt: skip
    return buf.getvalue()


def dequantize_npz(data: bytes) -> np.ndarray:
    """Read :func:`quantized_npz` bytes and return ``(codes − zero_point) · scale``."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        codes, scale, zp = z["codes"], z["scale"], z["zero_point"]
        granularity = str(z["granularity"])
        axis, group_size = int(z["axis"]), int(z["group_size"])
    if granularity == "tensor":
        return dequantize(codes, scale, zp)
    lay = layout(codes.shape, granularity, axis=axis, group_size=group_size or None)
    rows = lay.to_rows(codes)
    x_hat = dequantize(rows, scale.reshape(-1, 1), zp.reshape(-1, 1))
    return lay.from_rows(x_hat)
