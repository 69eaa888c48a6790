"""Number formats beyond the integer grid: small floats, MX, NVFP4, NF4, GGML blocks, binary
and ternary — each checked against the implementation people ship.

>>> import quantviz as qv
>>> r = qv.quantize_format([0.5, -1.0, 3.0, 6.0], "fp4_e2m1")
>>> r.dequantized.tolist(), r.metrics["bits_per_weight"]
([0.5, -1.0, 3.0, 6.0], 12.0)

:func:`formats` lists them; :func:`quantize_format` lays a tensor out in rows (a
tensor, channels, groups, or the format's fixed blocks of 32 or 16 consecutive values
along the last axis), encodes each row with the format and measures the result as
:func:`quantviz.quantize` does (MSE, SQNR, max error, levels used, bits per weight
counting every stored scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.granularity import Layout, layout
from quantviz.metrics import code_patterns, error_metrics
from quantviz.number_formats.base import Encoded, NumberFormat
from quantviz.number_formats.codebooks import CODEBOOK_FORMATS
from quantviz.number_formats.floats import FLOAT_FORMATS
from quantviz.number_formats.ggml import GGML_FORMATS
from quantviz.tensor import as_weights

__all__ = [
    "FORMAT_NEUTRAL", "Encoded", "FormatResult", "NumberFormat", "formats", "get_format",
    "quantize_format",
]  # fmt: skip

FORMAT_NEUTRAL = {
    "symmetric": False, "narrow_range": False, "strategy": "minmax", "rounding": "nearest",
    "seed": None, "low": None, "high": None,
}  # fmt: skip
"""Integer-grid settings a number format decides itself (its scale comes from each block's
largest |value|), at the values that ask for nothing."""

_ALL: tuple[NumberFormat, ...] = (*FLOAT_FORMATS, *CODEBOOK_FORMATS, *GGML_FORMATS)


def formats() -> tuple[NumberFormat, ...]:
    """Every number format, in the order a menu shows them."""
    return _ALL


def get_format(name: str) -> NumberFormat:
    """The format called ``name`` (:class:`InputError` naming the valid ones otherwise)."""
    for f in _ALL:
        if f.name == name:
            return f
    raise InputError(f"format must be one of {', '.join(f.name for f in _ALL)}; not {name!r}.")


@dataclass(frozen=True)
class FormatResult:
    """A tensor in a number format, and what was lost.

    Attributes
    ----------
    format : NumberFormat
    layout : Layout
        How the tensor was cut into rows that share a scale.
    dequantized : np.ndarray
        float32, the tensor's shape: what each value became.
    codes : np.ndarray
        The stored element of each value (see :attr:`NumberFormat.encode`).
    scales : np.ndarray
        float32, one per row in the layout's parameter shape (per tensor: shape ``()``).
    clipped : np.ndarray of bool
        The input's shape: True for a value beyond its block's lowest or highest level
        (saturated: stored as that end level). Float grids scaled to the block's largest
        |value| clip nothing; MX's power-of-two scale and Q4_0's one-sided level −8 do.
    offsets : np.ndarray or None
        float32, like ``scales``: the stored minimum of GGML's ``_1`` types (the value is
        ``grid[code] · scale + offset``); None for every other format.
    tensor_scale : float or None
        NVFP4's float32 per-tensor scale (``scales`` are then its E4M3 block scales, and a
        value is ``grid[code] · scale · tensor_scale``); None for one-level formats.
    metrics : dict
        ``mse``, ``rmse``, ``sqnr_db``, ``signal_power``, ``max_abs_error``, ``mean_error``,
        ``clipped_count``, ``clipped_fraction``, ``mse_clipping``, ``mse_rounding``,
        ``levels_used`` (distinct elements stored), ``levels_available`` (the element's
        values), ``bits_per_weight`` (element bits + every stored scale's bits / values),
        ``compression_ratio`` (32 / bits_per_weight), ``size_bytes``, ``float32_bytes``.
    """

    format: NumberFormat
    layout: Layout
    dequantized: np.ndarray
    codes: np.ndarray
    scales: np.ndarray
    metrics: dict
    clipped: np.ndarray | None = None
    offsets: np.ndarray | None = None
    tensor_scale: float | None = None

    @property
    def block_size(self) -> int:
        """How many values share one scale."""
        return int(np.prod(self.layout.shape, dtype=np.int64)) // max(self.layout.n_rows, 1)

    @property
    def bits(self) -> int:
        """Bits per stored element (scales not counted: see ``metrics["bits_per_weight"]``)."""
        return self.format.element_bits

    @property
    def per_tensor(self) -> bool:
        """True if one scale serves the whole tensor (one set of levels)."""
        return self.layout.n_rows == 1

    @property
    def n_blocks(self) -> int:
        """How many scales are stored (blocks, groups, channels; 1 per tensor)."""
        return int(np.size(self.scales))

    def rows(self, a: np.ndarray) -> np.ndarray:
        """``a`` (the input's shape: the original values, ``dequantized`` or ``codes``) cut
        into this result's blocks, ``(n_blocks, block_size)`` in storage order (NF4's last
        flat block padded with zeros)."""
        a = np.asarray(a)
        if self.format.flattened and self.layout.granularity == "group":
            flat = a.reshape(-1)
            pad = np.zeros(self.layout.shape[0] - flat.size, a.dtype)
            return np.concatenate([flat, pad]).reshape(self.n_blocks, -1)
        return self.layout.to_rows(a.reshape(self.layout.shape))

    def levels(self, index: int | None = None) -> np.ndarray:
        """The values block ``index`` can store, lowest first: ``grid · scale (+ offset)``.

        ``index`` counts blocks in storage order (``scales.ravel()``); per tensor it may
        be left out. Float32, like the dequantized values.
        """
        scales = np.ravel(self.scales)
        if index is None:
            if scales.size != 1:
                raise InputError(
                    f"This result has {scales.size:,} blocks, each with its own levels: "
                    f"pass an index."
                )
            index = 0
        if not 0 <= int(index) < scales.size:
            raise InputError(f"Block index must be 0 to {scales.size - 1}; not {index!r}.")
        offset = 0.0 if self.offsets is None else np.ravel(self.offsets)[int(index)]
        values = self.format.grid().astype(np.float32) * scales[int(index)]
        if self.tensor_scale is not None:  # NVFP4: (grid · block scale) · tensor scale
            values = values * np.float32(self.tensor_scale)
        return np.unique((values + np.float32(offset)).astype(np.float32))


def _block_size(fmt: NumberFormat, size: int | None) -> int | None:
    """The block size asked for (the format's default when None), if the format allows it."""
    size = size if size is not None else fmt.default_block
    if fmt.allowed_blocks and size not in fmt.allowed_blocks:
        allowed = ", ".join(map(str, fmt.allowed_blocks))
        raise InputError(f"{fmt.name} takes a block size of {allowed}; not {size!r}.")
    return size


def _layout(
    fmt: NumberFormat, shape: tuple[int, ...], granularity: str | None, axis: int,
    group_size: int | None,
) -> Layout:  # fmt: skip
    """The rows a format encodes: its fixed blocks, or the granularity asked for."""
    if fmt.block_size is not None:  # MX, NVFP4, GGML: blocks of a fixed size
        if granularity not in (None, "group") or group_size not in (None, fmt.block_size):
            raise InputError(
                f"{fmt.name} stores blocks of {fmt.block_size} consecutive values; it takes no "
                f"other granularity or group size."
            )
        last = shape[-1] if shape else 1
        if last % fmt.block_size:
            raise InputError(
                f"{fmt.name} needs the last dimension to be a multiple of {fmt.block_size} "
                f"(blocks of {fmt.block_size} values); this tensor's is {last}.",
                kind="format_blocks",
                fields={"format": fmt.name, "block": fmt.block_size, "last": last},
            )
        return layout(shape or (1,), "group", group_size=fmt.block_size)
    if granularity is None:
        granularity = "group" if fmt.default_block is not None else "tensor"
    if granularity == "group":
        group_size = _block_size(fmt, group_size)
    return layout(shape or (1,), granularity, axis=axis, group_size=group_size)


def levels_used(codes: np.ndarray) -> int:
    """How many distinct elements are stored (codes are small integers)."""
    flat = np.ravel(codes)
    if flat.size == 0:
        return 0
    if flat.dtype.itemsize <= 2:  # 8- or 16-bit codes: count bit patterns, slice by slice
        return int(np.count_nonzero(code_patterns(np.ascontiguousarray(flat))))
    low = int(flat.min())
    return int(np.count_nonzero(np.bincount(flat.astype(np.intp) - low)))


def quantize_format(
    x: object,
    format: str,
    *,
    granularity: str | None = None,
    axis: int = 0,
    group_size: int | None = None,
) -> FormatResult:
    """Store ``x`` in the number format ``format`` and measure what was lost.

    Parameters
    ----------
    x : array-like
        The weights (finite values; any shape).
    format : str
        A name from :func:`formats`.
    granularity, axis, group_size :
        Which values share a scale, for formats without fixed blocks (element floats,
        NF4, binary, ternary): ``"tensor"`` (the default; NF4's is groups of 64),
        ``"channel"`` along ``axis``, or ``"group"`` of ``group_size`` values of the last
        axis. Block formats (MX: 32, NVFP4: 16, GGML: 32) take their own blocks along the
        last axis; NF4, like bitsandbytes, cuts the flattened tensor into blocks (64 unless
        ``group_size`` says otherwise), the last one shorter if need be.
    """
    fmt = get_format(format)
    x = as_weights(x)
    if fmt.flattened and granularity in (None, "group"):
        # NF4 as bitsandbytes stores it: the flattened tensor in blocks, the last one padded
        # with zeros (which change neither its absmax nor its other codes), then cut off
        size = _block_size(fmt, group_size)
        flat = x.reshape(-1)
        padded = np.concatenate([flat, np.zeros((-flat.size) % size, np.float32)])
        lay = Layout("group", (padded.size,), group_size=size)
        rows = padded.reshape(-1, size)

        def back(a: np.ndarray) -> np.ndarray:
            return a.reshape(-1)[: flat.size].reshape(x.shape)
    else:
        lay = _layout(fmt, x.shape, granularity, axis, group_size)
        rows = np.ascontiguousarray(lay.to_rows(x.reshape(lay.shape)), dtype=np.float32)

        def back(a: np.ndarray) -> np.ndarray:
            return lay.from_rows(a).reshape(x.shape)

    enc = fmt.encode(rows)
    if not np.isfinite(enc.dequantized).all():  # e.g. a GGML fp16 scale past 65504
        raise InputError(
            f"{fmt.name} cannot store this tensor: its largest value, "
            f"{float(np.abs(x).max()):.3g}, overflows the format's scale.",
            kind="format_overflow",
            fields={"format": fmt.name, "amax": float(np.abs(x).max())},
        )
    x_hat, codes, clipped = back(enc.dequantized), back(enc.codes), back(saturated(rows, fmt, enc))
    offsets = None if enc.offsets is None else lay.to_params(enc.offsets)
    return FormatResult(fmt, lay, x_hat, codes, lay.to_params(enc.scales),
                        _measure(x, x_hat, codes, clipped, fmt, enc.scale_bits), clipped,
                        offsets, enc.tensor_scale)  # fmt: skip


def saturated(rows: np.ndarray, fmt: NumberFormat, enc: Encoded) -> np.ndarray:
    """True where a value lies beyond its row's lowest or highest level (more than float
    rounding: a relative 1e-6 of the end), so it was stored as that end level."""
    grid = fmt.grid().astype(np.float64)
    scale = enc.scales.astype(np.float64)[:, None] * (enc.tensor_scale or 1.0)
    offset = 0.0 if enc.offsets is None else enc.offsets.astype(np.float64)[:, None]
    a, b = grid.min() * scale + offset, grid.max() * scale + offset
    low, high = np.minimum(a, b), np.maximum(a, b)
    slack = 1e-6 * np.maximum(np.abs(low), np.abs(high))
    # thresholds in float32 (the slack is far above float32's rounding), so the rows are
    # compared as they are, without a float64 copy
    above = (high + slack).astype(np.float32)
    below = (low - slack).astype(np.float32)
    return (rows > above) | (rows < below)


def _measure(
    x: np.ndarray, x_hat: np.ndarray, codes: np.ndarray, clipped: np.ndarray,
    fmt: NumberFormat, scale_bits: int,
) -> dict:  # fmt: skip
    """The error figures, the levels used and the bits per weight (scales included)."""
    m = error_metrics(x, x_hat, clipped)
    grid = fmt.grid()
    m["levels_used"] = levels_used(codes)
    m["levels_available"] = int(grid.size) if grid.size else 2**fmt.element_bits
    total_bits = fmt.element_bits * x.size + scale_bits
    m["bits_per_weight"] = total_bits / max(x.size, 1)
    m["compression_ratio"] = 32.0 / m["bits_per_weight"]
    m["size_bytes"] = total_bits / 8.0
    m["float32_bytes"] = x.size * 4.0
    return m
