"""Sweep: the same tensor at many bit widths and range strategies, as one table.

:func:`sweep` quantizes every combination on every value. :func:`sweep_estimate`
does the same for a tensor too big to quantize a hundred times in a second: it
chooses the ranges on a sample (:func:`search_sample`) and, per tensor, measures
their error on every value through a fine histogram.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from quantviz.errors import InputError
from quantviz.metrics import sqnr_db, sqnr_rule_db, square_sum
from quantviz.pipeline import quantize
from quantviz.quantizer import QParams, qparams, quantize_codes
from quantviz.ranges import expected_sse, get_strategy
from quantviz.ranges.histogram import histogram
from quantviz.tensor import as_weights

ESTIMATE_VALUES = 1 << 18
""":func:`sweep_estimate` sweeps tensors up to this many values exactly (:func:`sweep`)."""
ESTIMATE_BINS = 1 << 14
"""Bins of the histogram a big tensor's error is measured on (per tensor)."""


def sqnr_uniform_db(bits: int | np.ndarray) -> float | np.ndarray:
    """The SQNR of data spread evenly over its range on a ``bits``-bit min-max grid:
    ``20 · log10(2**bits − 1)`` dB.

    Levels sit at both ends of the range, so ``2**bits`` levels make ``2**bits − 1``
    steps: uniform data on ``[−A, A]`` has power ``A²/3``, the step is
    ``Δ = 2A / (2**bits − 1)`` and the rounding noise ``Δ²/12``, so the ratio is
    ``(2**bits − 1)²``. 1 bit: 0 dB, 2: 9.5, 4: 23.5, 8: 48.1. It approaches the
    textbook 6.02 dB per bit (:func:`quantviz.sqnr_rule_db`) from about 6 bits.
    """
    b = np.asarray(bits, dtype=np.float64)
    return 20.0 * np.log10(2.0**b - 1.0)


def sweep(
    x: object,
    bits: Iterable[int] = range(1, 9),
    strategies: Iterable[str] = ("minmax", "percentile", "mse"),
    symmetric: bool | Iterable[bool] = False,
    *,
    skip_unfit: bool = False,
    **options: object,
) -> pd.DataFrame:
    """Quantize ``x`` for every combination of ``bits`` × ``strategies`` × ``symmetric``.

    ``options`` go to :func:`quantviz.quantize` unchanged (granularity, axis,
    group_size, narrow_range, rounding, percentile, ...). A narrow-range sweep
    leaves out 1 bit, where a narrow grid would have a single code. With
    ``skip_unfit``, a combination this tensor cannot have (an :class:`InputError`,
    such as a grid too wide for float32 at some bit widths) is left out instead of
    raising.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``strategy``, ``symmetric``, ``bits``, the
        clipping range ``low``/``high`` and, per tensor, ``scale`` and
        ``zero_point``; every metric of ``QuantResult.metrics``; and
        ``sqnr_rule_db``, the 6.02 dB-per-bit line, and ``sqnr_uniform_db``, what data
        spread evenly over its range reaches (:func:`sqnr_uniform_db`).
    """
    x = as_weights(x)
    bits = [int(b) for b in bits]
    strategies = list(strategies)
    schemes = [symmetric] if isinstance(symmetric, bool | np.bool_) else list(symmetric)
    if not bits or not strategies or not schemes:
        raise InputError("sweep needs at least one bit width, one strategy and one scheme.")
    for name in strategies:
        get_strategy(name)  # unknown names fail before any work is done
    rows = []
    for name in strategies:
        for sym in schemes:
            for b in bits:
                if b == 1 and sym and options.get("narrow_range"):
                    continue  # a narrow 1-bit grid has a single code: no such quantizer
                try:
                    r = quantize(x, b, symmetric=sym, strategy=name, arrays=False, **options)
                except InputError:
                    if skip_unfit:
                        continue
                    raise
                per_tensor = np.ndim(r.scale) == 0
                rows.append(
                    {
                        "strategy": name,
                        "symmetric": bool(sym),
                        "bits": b,
                        "low": r.low if per_tensor else float(np.min(r.low)),
                        "high": r.high if per_tensor else float(np.max(r.high)),
                        "scale": r.scale if per_tensor else np.nan,
                        "zero_point": r.zero_point if per_tensor else np.nan,
                        **r.metrics,
                        "sqnr_rule_db": float(sqnr_rule_db(b)),
                        "sqnr_uniform_db": float(sqnr_uniform_db(b)),
                    }
                )
    return pd.DataFrame(rows)


def sweep_method(size: int, granularity: str = "tensor", rounding: str = "nearest",
                 max_values: int = ESTIMATE_VALUES) -> str:  # fmt: skip
    """How :func:`sweep_estimate` sweeps a tensor of ``size`` values at these settings:

    * ``"exact"``: at most ``max_values`` values, every one quantized (:func:`sweep`);
    * ``"histogram"``: per tensor, rounding to nearest: ranges on a sample, errors of
      every value from a histogram;
    * ``"sample"``: otherwise, the sweep of a sample of whole rows.
    """
    if size <= max_values:
        return "exact"
    if granularity == "tensor" and rounding == "nearest":
        return "histogram"
    return "sample"


def sweep_estimate(
    x: object,
    bits: Iterable[int] = range(1, 9),
    strategies: Iterable[str] = ("minmax", "percentile", "mse"),
    symmetric: bool | Iterable[bool] = False,
    *,
    max_values: int = ESTIMATE_VALUES,
    skip_unfit: bool = False,
    **options: object,
) -> pd.DataFrame:
    """:func:`sweep`, in a fraction of the time on a tensor over ``max_values`` values.

    How (:func:`sweep_method`):

    * up to ``max_values`` values: :func:`sweep` itself, exact;
    * per tensor (rounding to nearest): each range is chosen by its strategy on
      :func:`search_sample` (random values and the two extremes), then its error
      is measured on **every** value through a histogram of ``ESTIMATE_BINS``
      equal bins over ``[min x, max x]``, the values of a bin taken as spread
      evenly over it (:func:`quantviz.ranges.expected_sse`, integrated exactly).
      On all-MiniLM-L6-v2's tensors this is within 0.01 dB of the exact SQNR
      for every strategy from 1 to 16 bits (tests/library/test_sweep.py checks 0.05 dB);
    * per channel or per group: :func:`sweep` of a sample of whole rows. Each
      kept row is quantized exactly, so the estimate is unbiased, but where a
      few rows' clipping dominates the error (a clipping strategy at high bits)
      it can be several dB off.

    Returns the columns of :func:`sweep` that are estimated for the whole tensor:
    ``strategy``, ``symmetric``, ``bits``, ``low``, ``high``, ``mse``, ``sqnr_db``,
    ``clipped_fraction``, ``sqnr_rule_db`` and ``sqnr_uniform_db``.
    """
    x = as_weights(x)
    columns = ["strategy", "symmetric", "bits", "low", "high", "mse", "sqnr_db",
               "clipped_fraction", "sqnr_rule_db", "sqnr_uniform_db"]  # fmt: skip
    granularity = str(options.get("granularity", "tensor"))
    method = sweep_method(x.size, granularity, str(options.get("rounding", "nearest")), max_values)
    bits = list(bits)

    def swept(data: np.ndarray, **opts: object) -> pd.DataFrame:
        table = sweep(data, bits, strategies, symmetric, skip_unfit=skip_unfit, **opts)
        return table[columns] if len(table) else pd.DataFrame(columns=columns)

    if method == "exact":
        return swept(x, **options)
    axis, group_size = int(options.get("axis", 0)), options.get("group_size")
    sample = search_sample(x, max_values, granularity=granularity, axis=axis,
                           group_size=group_size)  # fmt: skip
    if method == "sample":
        if granularity == "channel":
            options = {**options, "axis": 0}  # the sample has its channels on axis 0
        return swept(sample, **options)
    table = swept(sample, **options).copy()
    flat = np.ravel(x)
    low, high = float(flat.min()), float(flat.max())
    counts, width = histogram(flat, low, high, ESTIMATE_BINS)
    edges = low + width * np.arange(ESTIMATE_BINS)
    keep = counts > 0
    signal = sum(square_sum(part) for part in _float64_parts(flat))
    narrow = bool(options.get("narrow_range", False))
    ordered = np.sort(sample)
    estimates = []
    for row in table.itertuples():
        qp = qparams(row.low, row.high, int(row.bits), symmetric=row.symmetric, narrow_range=narrow)
        scale = qp.scale.astype(np.float64).reshape(1, 1)
        grid_low = np.asarray(qp.grid_low_exact, dtype=np.float64).reshape(1, 1)
        levels = qp.qmax - qp.qmin + 1
        sse = expected_sse(
            counts[keep][None, :], edges[keep][None, :], np.array([width]), grid_low, scale, levels
        )[0, 0]
        clamped = _clamped(counts, edges, width, ordered, qp)
        estimates.append((sse / flat.size, sqnr_db(signal, float(sse)), clamped / flat.size))
    table[["mse", "sqnr_db", "clipped_fraction"]] = estimates or np.empty((0, 3))
    return table


def _clamped(
    counts: np.ndarray, edges: np.ndarray, width: float, ordered: np.ndarray, qp: QParams
) -> float:
    """How many values a per-tensor grid clamps, from a histogram of every value.

    Clamping starts half a step beyond each end of the grid. Bins wholly beyond
    count whole; of the bin where it starts, the share of the sample's values in
    that bin that the quantizer clamps (``ordered``: the sample, sorted), or an
    even spread when the sample has none there. Values exactly at the edge (a
    spike of equal values, rounded half to even) are thus decided by the
    quantizer itself.
    """
    s = float(qp.scale)
    grid_low = float(qp.grid_low_exact)
    n_bins = len(counts)
    total = 0.0
    for side, start in (
        (qp.qmin, grid_low - s / 2),
        (qp.qmax, grid_low + (qp.qmax - qp.qmin + 0.5) * s),
    ):
        k = int(np.clip(np.floor((start - edges[0]) / width), 0, n_bins - 1))
        total += float(counts[:k].sum() if side == qp.qmin else counts[k + 1 :].sum())
        right = edges[k] + width if k < n_bins - 1 else np.inf
        values = ordered[np.searchsorted(ordered, edges[k]) : np.searchsorted(ordered, right)]
        if values.size:
            codes, clipped = quantize_codes(values, qp.scale, qp.zero_point, qp.qmin, qp.qmax)
            share = float(np.mean(clipped & (codes == side)))
        else:
            share = (
                (start - edges[k]) / width
                if side == qp.qmin
                else (edges[k] + width - start) / width
            )
        total += float(counts[k]) * min(max(share, 0.0), 1.0)
    return total


def _float64_parts(flat: np.ndarray, size: int = 1 << 20):
    """``flat`` in float64 slices of ``size`` values (no full float64 copy)."""
    for i in range(0, flat.size, size):
        yield flat[i : i + size].astype(np.float64)


def search_sample(
    x: np.ndarray,
    max_values: int,
    *,
    granularity: str = "tensor",
    axis: int = 0,
    group_size: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """A smaller tensor with about ``max_values`` values that keeps what each row's range
    depends on, so that a sweep on it estimates the whole tensor's error.

    For sweeps and range searches on huge tensors (the metrics shown for the
    current setting are always computed on every value). ``x`` itself is
    returned when it is small enough.

    * per tensor: values drawn at random, and the smallest and the largest
      value (1-D result): min-max, and every range bounded by it, sees the
      tensor's real extremes, not a sample's narrower ones;
    * per channel: a random subset of the channels, each whole (2-D result,
      channels on axis 0: quantize it with ``axis=0``); each kept channel
      gets exactly the range it has in the tensor. Channels longer than
      ``max_values`` on their own: every channel, the same random positions
      in each, and each channel's smallest and largest value;
    * per group: a random subset of the rows, each with its whole last axis
      (2-D result), so groups stay whole.

    Positions are drawn with a seeded generator and deduplicated (so a few
    fewer than asked may come back), in their original order: the same tensor
    always gives the same sample. Cost: O(max_values), and one pass over ``x``
    for the extremes of a per-tensor sample or of channels that long.
    """
    if x.size <= max_values:
        return x
    rng = np.random.default_rng(seed)

    def pick(n: int, k: int) -> np.ndarray:
        idx = np.sort(rng.integers(0, n, size=k))  # (np.unique is ~40x slower here)
        return idx[np.r_[True, idx[1:] != idx[:-1]]]

    if granularity == "channel" and x.ndim >= 2:
        rows = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
        if rows.shape[1] <= max_values:
            return rows[pick(rows.shape[0], max(1, max_values // rows.shape[1]))]
        cols = rows[:, pick(rows.shape[1], max(1, max_values // rows.shape[0]))]
        return np.concatenate(
            [cols, rows.min(axis=1, keepdims=True), rows.max(axis=1, keepdims=True)], axis=1
        )
    if granularity == "group" and x.ndim >= 2:
        rows = x.reshape(-1, x.shape[-1])
        keep = max(1, max_values // rows.shape[1])
        return rows if keep >= rows.shape[0] else rows[pick(rows.shape[0], keep)]
    flat = np.ravel(x)
    idx = np.sort(np.r_[pick(flat.size, max_values), np.argmin(flat), np.argmax(flat)])
    return flat[idx[np.r_[True, idx[1:] != idx[:-1]]]]
