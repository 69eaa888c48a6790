"""Figures: quantization results → :class:`matplotlib.figure.Figure`.

Pure functions, no pyplot (nothing registered globally, nothing leaks between
app reruns or sessions). The figures are made for a projector: 15–17 pt type,
the colour-blind-safe Okabe–Ito palette, and original vs quantized told apart
by more than colour (filled vs hatched, separate panels, labels).

The data-reducing helpers (:func:`value_counts`, :func:`quantized_counts`,
:func:`error_histogram`, :func:`channel_stats`, :func:`transfer_curve`) turn
millions of values into a few hundred numbers first, so matplotlib never sees
the raw tensor; the app caches them.

Artists a test or a caller may look for carry a ``gid``: ``"original"``,
``"quantized"``, ``"levels"``, ``"level_ticks"``, ``"clip_low"``, ``"clip_high"``,
``"clipped_region"``, ``"staircase"``, ``"identity"``, ``"rounding_error"``,
``"clipping_error"``, ``"rule"``, ``"current"``, ``"strategy:<name>"``,
``"channel_range"``, ``"channel_mse:<label>"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from quantviz.pipeline import QuantResult
from quantviz.quantizer import fake_quantize

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
ORIGINAL = OKABE_ITO["blue"]
QUANTIZED = OKABE_ITO["vermillion"]
CLIP = OKABE_ITO["black"]
LEVEL = "#7F7F7F"
CLIPPED_AREA = "#E8E8E8"
STRATEGY_STYLES = (
    (OKABE_ITO["blue"], "o", "-"),
    (OKABE_ITO["vermillion"], "s", "--"),
    (OKABE_ITO["green"], "^", "-."),
    (OKABE_ITO["purple"], "D", ":"),
    (OKABE_ITO["orange"], "v", "-"),
    (OKABE_ITO["sky_blue"], "P", "--"),
    (OKABE_ITO["black"], "X", "-."),
    (OKABE_ITO["yellow"], "*", ":"),
)

FONT = 16  # axis labels and titles, in points
TICK_FONT = 15
SMALL_FONT = 14  # legends and annotations: the floor for a projector
DPI = 100  # on-screen PNGs; the figure sizes below are in inches at this DPI
HIST_BINS = 240
ERROR_BINS = 120
FULL_LEVEL_LINES = 64  # up to this many levels, draw each as a line across the plot
LEVEL_TICKS = 4096  # up to this many, draw short ticks; beyond, levels are too dense to draw


# ------------------------------------------------------------ reductions --


def is_per_tensor(r: QuantResult) -> bool:
    """True if ``r`` has one grid (one scale) for the whole tensor."""
    return np.ndim(r.scale) == 0


def clipped_count(r: QuantResult) -> int:
    """How many values fell outside the grid and were clamped."""
    return int(np.count_nonzero(r.clipped))


def plot_range(data_low: float, data_high: float, r: QuantResult) -> tuple[float, float]:
    """An x range that shows the data, the clipping range and every grid level, padded 3 %."""
    lows = [data_low, float(np.min(r.low))]
    highs = [data_high, float(np.max(r.high))]
    if is_per_tensor(r):
        levels = r.levels()
        lows.append(float(levels[0]))
        highs.append(float(levels[-1]))
    lo, hi = min(lows), max(highs)
    pad = 0.03 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 0.1
    return lo - pad, hi + pad


def histogram_edges(lo: float, hi: float, bins: int = HIST_BINS) -> np.ndarray:
    """``bins`` equal bins from ``lo`` to ``hi`` (float64 edges)."""
    return np.linspace(lo, hi, bins + 1)


def value_counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Histogram counts of ``x`` on ``edges`` (values outside the edges are not counted)."""
    counts, _ = np.histogram(np.ravel(x), bins=edges)
    return counts


def quantized_counts(r: QuantResult, edges: np.ndarray) -> np.ndarray:
    """Histogram of the dequantized values ``r.dequantized`` on ``edges``.

    Per tensor this is exact and cheap: every value sits on a level, so the
    counts are ``r.code_counts`` placed at ``r.levels()``.
    """
    if is_per_tensor(r):
        counts, _ = np.histogram(r.levels(), bins=edges, weights=r.code_counts)
        return np.rint(counts).astype(np.int64)
    return value_counts(r.dequantized, edges)


@dataclass(frozen=True)
class ErrorHistogram:
    """Counts of the error ``x̂ − x``, split by cause.

    ``rounding`` counts values inside the grid (error from rounding only);
    ``clipping`` counts the values ``r.clipped`` marks (error from clamping).
    """

    edges: np.ndarray
    rounding: np.ndarray
    clipping: np.ndarray


def error_histogram(x: np.ndarray, r: QuantResult, bins: int = ERROR_BINS) -> ErrorHistogram:
    """Histogram of ``r.dequantized − x`` on bins symmetric about 0, rounding vs clipping."""
    err = np.subtract(r.dequantized, x, dtype=np.float32).ravel()
    mask = np.ravel(r.clipped)
    amax = float(np.max(np.abs(err))) if err.size else 0.0
    amax = amax * 1.02 if amax > 0 else 1e-12
    edges = np.linspace(-amax, amax, bins + 1)
    rounding = value_counts(err[~mask], edges)
    clipping = value_counts(err[mask], edges)
    return ErrorHistogram(edges, rounding, clipping)


def transfer_curve(
    r: QuantResult, lo: float, hi: float, index: int | None = None, points: int = 3001
) -> tuple[np.ndarray, np.ndarray]:
    """The staircase ``x → Q(x)`` on ``points`` values from ``lo`` to ``hi``.

    Computed with :func:`quantviz.fake_quantize` on the grid of ``r`` (of scale
    ``index`` for per-channel / per-group results).
    """
    scale, zp = np.asarray(r.scale), np.asarray(r.zero_point)
    if scale.ndim:
        scale, zp = scale.ravel()[index], zp.ravel()[index]
    xs = np.linspace(lo, hi, points).astype(np.float32)
    return xs, fake_quantize(xs, scale, zp, r.qmin, r.qmax)


def extreme_grids(r: QuantResult) -> tuple[int, int]:
    """Flat indices of the coarsest and the finest grid of a per-channel / per-group result."""
    scale = np.ravel(r.scale)
    return int(np.argmax(scale)), int(np.argmin(scale))


@dataclass(frozen=True)
class ChannelStats:
    """Per-channel view of a tensor along ``axis``.

    ``low``/``high`` are each channel's min and max; ``mse`` maps a label such as
    ``"per tensor"`` to the mean squared error of each channel under that result.
    """

    axis: int
    low: np.ndarray
    high: np.ndarray
    mse: Mapping[str, np.ndarray]

    @property
    def n_channels(self) -> int:
        return int(self.low.size)

    def total_mse(self, label: str) -> float:
        """The whole tensor's MSE under ``label`` (mean of the channels' MSE: equal sizes)."""
        return float(np.mean(self.mse[label]))

    def amax_ratio(self) -> float:
        """Largest over smallest channel ``max |x|``: how uneven the channels are."""
        amax = np.maximum(np.abs(self.low), np.abs(self.high))
        smallest = float(np.min(amax))
        return float(np.max(amax)) / smallest if smallest > 0 else float("inf")


def channel_rows(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` as one row per channel along ``axis`` (a view when ``axis`` is 0)."""
    return np.moveaxis(np.asarray(x), axis, 0).reshape(np.shape(x)[axis], -1)


def channel_stats(x: np.ndarray, axis: int, results: Mapping[str, QuantResult]) -> ChannelStats:
    """Per-channel min, max and, for each labelled result, per-channel MSE."""
    rows = channel_rows(x, axis)
    mse = {}
    for label, r in results.items():
        err = np.subtract(channel_rows(r.dequantized, axis), rows, dtype=np.float32)
        mse[label] = np.einsum("ij,ij->i", err, err, dtype=np.float64) / rows.shape[1]
    return ChannelStats(axis, rows.min(axis=1), rows.max(axis=1), mse)


# --------------------------------------------------------------- styling --


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _pos: object = None) -> str:
    """``1e-3`` → ``10⁻³`` in plain text (mathtext is slow to lay out on every rerun)."""
    if value <= 0:
        return ""
    exponent = np.log10(value)
    if not np.isclose(exponent, round(exponent)):
        return ""
    e = round(exponent)
    return {0: "1", 1: "10"}.get(e, "10" + str(e).translate(_SUPERSCRIPT))


def _log_y(ax: Axes) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=8))
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.yaxis.set_minor_locator(NullLocator())


def _title(ax: Axes, text: str, loc: str = "left") -> None:
    # A fixed y skips matplotlib's automatic title placement (a costly layout pass).
    ax.set_title(text, fontsize=FONT, loc=loc, y=1.0, pad=8)


def _style(ax: Axes) -> None:
    ax.tick_params(labelsize=TICK_FONT)
    ax.grid(True, axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _num(v: float) -> str:
    return f"{v:.4g}"


def _legend(ax: Axes, **kwargs: object) -> None:
    ax.legend(fontsize=SMALL_FONT, frameon=False, **kwargs)


# --------------------------------------------------------------- figures --


def histogram_figure(
    edges: np.ndarray,
    original: np.ndarray,
    quantized: np.ndarray,
    r: QuantResult,
    *,
    log: bool = False,
    n_values: int | None = None,
) -> Figure:
    """The original histogram above the quantized one, sharing x and y.

    Parameters
    ----------
    edges, original, quantized
        Bin edges and counts (:func:`value_counts`, :func:`quantized_counts`).
    r
        The result: its grid levels are drawn (lines up to 64 levels, ticks up to
        4096), its clipping range ``r.low``/``r.high`` as dashed lines with the
        region outside shaded (per tensor), and the clipped count is written.
    log
        Logarithmic count axis.
    n_values
        Number of values (for the titles); defaults to the sum of ``original``.
    """
    n_values = int(np.sum(original)) if n_values is None else n_values
    fig = Figure(figsize=(10, 6.6), dpi=DPI)
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.12, hspace=0.42)
    top, bottom = fig.subplots(2, 1, sharex=True, sharey=True)
    baseline = 0.5 if log else 0
    top.stairs(
        np.maximum(original, baseline), edges, baseline=baseline, fill=True,
        color=ORIGINAL, alpha=0.85, label="original (float32)", gid="original",
    )  # fmt: skip
    bottom.stairs(
        np.maximum(quantized, baseline), edges, baseline=baseline, fill=True,
        facecolor="none", edgecolor=QUANTIZED, hatch="////", linewidth=1.6,
        label="quantized x̂ (on the levels)", gid="quantized",
    )  # fmt: skip
    n_clipped = clipped_count(r)
    per_tensor = is_per_tensor(r)
    if per_tensor:
        levels = r.levels()
        if levels.size <= FULL_LEVEL_LINES:
            for ax in (top, bottom):
                ax.vlines(
                    levels, 0, 1, transform=ax.get_xaxis_transform(), colors=LEVEL,
                    linewidth=0.8, alpha=0.8, zorder=0.5, gid="levels",
                    label=f"grid levels ({levels.size})",
                )  # fmt: skip
        elif levels.size <= LEVEL_TICKS:
            bottom.vlines(
                levels, 0, 0.05, transform=bottom.get_xaxis_transform(), colors=LEVEL,
                linewidth=0.6, alpha=0.6, gid="level_ticks",
                label=f"grid levels ({levels.size}, as ticks)",
            )  # fmt: skip
        for ax in (top, bottom):
            lo_edge, hi_edge = edges[0], edges[-1]
            ax.axvspan(lo_edge, r.low, color=CLIPPED_AREA, zorder=0, gid="clipped_region")
            ax.axvspan(r.high, hi_edge, color=CLIPPED_AREA, zorder=0, gid="clipped_region")
            ax.axvline(r.low, color=CLIP, linestyle="--", linewidth=1.8, gid="clip_low",
                       label="clipping range [ℓ, h]")  # fmt: skip
            ax.axvline(r.high, color=CLIP, linestyle="--", linewidth=1.8, gid="clip_high")
        grid_note = f"{r.metrics['levels_used']} of {r.metrics['levels_available']} levels used"
    else:
        grid_note = f"{np.size(r.scale)} grids, one per {r.config.granularity}"
    share = 100.0 * n_clipped / max(n_values, 1)
    _title(top, f"clipped: {n_clipped:,} ({share:.2g} %)", loc="right")
    _title(top, f"Original: {n_values:,} values")
    _title(bottom, f"After {r.bits}-bit quantization: {grid_note}")
    bottom.set_xlabel("value", fontsize=FONT)
    for ax in (top, bottom):
        _style(ax)
        ax.set_ylabel("count (log)" if log else "count", fontsize=FONT)
        if log:
            _log_y(ax)
    top.set_xlim(edges[0], edges[-1])
    _legend(top, loc="upper left")
    _legend(bottom, loc="upper left")
    return fig


def transfer_error_figure(
    r: QuantResult,
    curves: Sequence[tuple[str, np.ndarray, np.ndarray]],
    errors: ErrorHistogram,
) -> Figure:
    """Left: the staircase ``x → Q(x)`` with the clipping points. Right: the error histogram.

    Parameters
    ----------
    r
        The result (clipping range and step size for the annotations).
    curves
        ``(label, x, Q(x))`` staircases (:func:`transfer_curve`): one per tensor, or
        the coarsest and finest grid per channel / group.
    errors
        :func:`error_histogram` of the same result: rounding error filled,
        clipping error hatched, on a log count axis.
    """
    fig = Figure(figsize=(12, 5.4), dpi=DPI)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.15, wspace=0.3)
    left, right = fig.subplots(1, 2)
    lo = min(float(c[1][0]) for c in curves)
    hi = max(float(c[1][-1]) for c in curves)
    left.plot([lo, hi], [lo, hi], color=LEVEL, linestyle=":", linewidth=1.5,
              label="x̂ = x (no error)", gid="identity")  # fmt: skip
    for (label, xs, ys), color in zip(
        curves, (QUANTIZED, ORIGINAL, OKABE_ITO["green"]), strict=False
    ):
        left.plot(xs, ys, color=color, linewidth=2.2, drawstyle="steps-mid", label=label,
                  gid="staircase")  # fmt: skip
    if is_per_tensor(r):
        for value, gid in ((r.low, "clip_low"), (r.high, "clip_high")):
            left.axvline(value, color=CLIP, linestyle="--", linewidth=1.5, gid=gid)
        left.plot([r.low, r.high], [r.levels()[0], r.levels()[-1]], linestyle="none",
                  marker="o", markersize=9, color=CLIP, label="clipping points",
                  gid="clip_points")  # fmt: skip
    _title(left, "Transfer function: x → Q(x)")
    left.set_xlabel("original value x", fontsize=FONT)
    left.set_ylabel("quantized value x̂", fontsize=FONT)
    _style(left)
    _legend(left, loc="upper left")

    e = errors
    has_clipping = bool(e.clipping.sum())
    base = 0.5 if has_clipping else 0
    right.stairs(np.maximum(e.rounding, base), e.edges, baseline=base, fill=True, color=ORIGINAL,
                 alpha=0.85, label="rounding error (inside the range)",
                 gid="rounding_error")  # fmt: skip
    if has_clipping:
        right.stairs(np.maximum(e.clipping, base), e.edges, baseline=base, fill=True,
                     facecolor="none", edgecolor=QUANTIZED, hatch="xx", linewidth=1.6,
                     label="clipping error (outside the range)",
                     gid="clipping_error")  # fmt: skip
    if is_per_tensor(r):
        nearest = r.config.rounding == "nearest"
        half = r.scale / 2 if nearest else r.scale
        for v in (-half, half):
            right.axvline(v, color=CLIP, linestyle="--", linewidth=1.2, gid="half_step")
        right.text(half, 0.97, ("s/2 " if nearest else "s "), ha="right", va="top",
                   transform=right.get_xaxis_transform(), fontsize=SMALL_FONT)  # fmt: skip
    peak = float(max(e.rounding.max(), e.clipping.max(), 1))
    if has_clipping:
        _log_y(right)
        right.set_ylim(base, peak * 60)
    else:
        right.set_ylim(0, peak * 1.45)
    right.set_xlim(e.edges[0], e.edges[-1])
    _title(right, "Error x̂ − x")
    right.set_xlabel("error", fontsize=FONT)
    right.set_ylabel("count (log)" if has_clipping else "count", fontsize=FONT)
    _style(right)
    _legend(right, loc="upper left")
    return fig


def tradeoff_figure(
    table: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    current: tuple[int, float, float] | None = None,
) -> Figure:
    """MSE and SQNR against bit width, one line per strategy, with the 6.02 dB/bit rule.

    Parameters
    ----------
    table
        Rows of :func:`quantviz.sweep` (columns ``strategy``, ``bits``, ``mse``,
        ``sqnr_db``, ``sqnr_rule_db``).
    labels
        Display name per strategy name.
    current
        ``(bits, mse, sqnr_db)`` of the current setting, marked with a star.
    """
    fig = Figure(figsize=(12, 5.2), dpi=DPI)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.15, wspace=0.25)
    ax_mse, ax_sqnr = fig.subplots(1, 2, sharex=True)
    finite = table.replace([np.inf, -np.inf], np.nan)
    for i, (name, rows) in enumerate(finite.groupby("strategy", sort=False)):
        color, marker, style = STRATEGY_STYLES[i % len(STRATEGY_STYLES)]
        rows = rows.sort_values("bits")
        kwargs = dict(color=color, marker=marker, linestyle=style, linewidth=2, markersize=7,
                      label=labels.get(name, name), gid=f"strategy:{name}")  # fmt: skip
        ax_mse.plot(rows["bits"], rows["mse"].where(rows["mse"] > 0), **kwargs)
        ax_sqnr.plot(rows["bits"], rows["sqnr_db"], **kwargs)
    rule = finite.drop_duplicates("bits").sort_values("bits")
    ax_sqnr.plot(rule["bits"], rule["sqnr_rule_db"], color=LEVEL, linestyle=(0, (6, 3)),
                 linewidth=2, label="6.02 dB per bit", gid="rule")  # fmt: skip
    if current is not None:
        b, mse, sqnr = current
        star = dict(marker="*", markersize=22, color=OKABE_ITO["yellow"],
                    markeredgecolor=CLIP, markeredgewidth=1.5, linestyle="none", zorder=5,
                    gid="current", label="current setting")  # fmt: skip
        if mse > 0:
            ax_mse.plot([b], [mse], **star)
        if np.isfinite(sqnr):
            ax_sqnr.plot([b], [sqnr], **star)
    _log_y(ax_mse)
    _title(ax_mse, "MSE (lower is better)")
    ax_mse.set_ylabel("MSE (log)", fontsize=FONT)
    _title(ax_sqnr, "SQNR (higher is better)")
    ax_sqnr.set_ylabel("SQNR (dB)", fontsize=FONT)
    bits = sorted(set(table["bits"].astype(int)))
    for ax in (ax_mse, ax_sqnr):
        ax.set_xlabel("bits", fontsize=FONT)
        ax.set_xticks(bits if len(bits) <= 8 else bits[::2] if bits[0] % 2 else bits[1::2])
        _style(ax)
    _legend(ax_sqnr, loc="upper left")
    return fig


def channel_figure(
    stats: ChannelStats, *, tensor_low: float | None = None, tensor_high: float | None = None
) -> Figure:
    """Top: each channel's [min, max] (as AIMET shows them). Bottom: each channel's MSE.

    ``tensor_low``/``tensor_high`` draw the one per-tensor clipping range across
    all channels. Each entry of ``stats.mse`` is one marker style (log axis).
    """
    fig = Figure(figsize=(12, 6.6), dpi=DPI)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.12, hspace=0.4)
    top, bottom = fig.subplots(2, 1, sharex=True)
    idx = np.arange(stats.n_channels)
    top.vlines(idx, stats.low, stats.high, color=ORIGINAL, linewidth=2.5 if idx.size <= 128 else 1,
               label="channel min … max", gid="channel_range")  # fmt: skip
    if tensor_low is not None and tensor_high is not None:
        for v, gid in ((tensor_low, "clip_low"), (tensor_high, "clip_high")):
            top.axhline(v, color=CLIP, linestyle="--", linewidth=1.6, gid=gid,
                        label="per-tensor range" if gid == "clip_low" else None)  # fmt: skip
    _title(top, f"Range of each of the {stats.n_channels} channels (axis {stats.axis})")
    top.set_ylabel("value", fontsize=FONT)
    markers = ("o", "s", "^", "D")
    colors = (QUANTIZED, ORIGINAL, OKABE_ITO["green"], OKABE_ITO["purple"])
    for i, (label, mse) in enumerate(stats.mse.items()):
        bottom.plot(idx, np.where(mse > 0, mse, np.nan), linestyle="none",
                    marker=markers[i % 4], markersize=7 if idx.size <= 128 else 3,
                    markerfacecolor="none" if i == 0 else colors[i % 4],
                    color=colors[i % 4], label=f"{label}", gid=f"channel_mse:{label}")  # fmt: skip
    _log_y(bottom)
    _title(bottom, "MSE of each channel")
    bottom.set_ylabel("MSE (log)", fontsize=FONT)
    bottom.set_xlabel("channel", fontsize=FONT)
    for ax in (top, bottom):
        _style(ax)
    _legend(top, loc="upper right")
    _legend(bottom, loc="upper right")
    return fig
