"""Figures: quantization results → :class:`matplotlib.figure.Figure` (and a Vega-Lite chart).

Pure functions, no pyplot (nothing registered globally, nothing leaks between
app reruns or sessions). The figures are made for a projector: drawn at the
size the page shows them (:data:`FIG_WIDTH` inches at :data:`DPI`, about the
width of the page's main column on a 1280-px screen) with 15–17 pt type, the
colour-blind-safe Okabe–Ito palette, and original vs quantized told apart by
more than colour (filled bars vs spikes or outlines, separate panels, titles).

They are also made to be quick, because the app redraws them on every move of
the bit slider: a fixed layout (no ``bbox_inches="tight"``, no constrained
layout), one path per histogram (``stairs``), one ``LineCollection`` per set of
lines (``vlines``), no hatching, few tick labels and no mathtext.

The data-reducing helpers (:func:`histogram_data`, :func:`value_counts`,
:func:`quantized_counts`, :func:`error_histogram`, :func:`quantviz.channels.channel_stats`,
:func:`transfer_curve`) turn millions of values into a few hundred numbers
first, so matplotlib never sees the raw tensor; the app caches them.

Artists a test or a caller may look for carry a ``gid``: ``"original"``,
``"quantized"``, ``"levels"``, ``"level_ticks"``, ``"clip_low"``, ``"clip_high"``,
``"clipped_region"``, ``"staircase"``, ``"identity"``, ``"rounding_error"``,
``"clipping_error"``, ``"rule"``, ``"current"``, ``"strategy:<name>"``,
``"channel_range"``, ``"channel_mse:<label>"``.

:func:`tradeoff_chart` is the trade-off view as a Vega-Lite spec (a plain
dict) for the page, where hovering shows the exact values; the figure
:func:`tradeoff_figure` is the same view for the downloads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator
from matplotlib.transforms import Bbox

from quantviz.channels import ChannelStats
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

FONT = 17  # axis labels and titles, in points
TICK_FONT = 15
SMALL_FONT = 15  # legends and annotations: above the 14 pt floor for a projector
DPI = 100  # on-screen PNGs; the figure sizes below are in inches at this DPI
FIG_WIDTH = 8.4  # inches: 840 px, the main column's width on a 1280-px screen (shown 1:1)
HIST_BINS = 240
ERROR_BINS = 120
FULL_LEVEL_LINES = 64  # up to this many levels, draw each as a line across the plot
LEVEL_TICKS = 4096  # up to this many, draw short ticks; beyond, levels are too dense to draw


# ------------------------------------------------------------ reductions --


def plot_range(data_low: float, data_high: float, r: QuantResult) -> tuple[float, float]:
    """An x range that shows the data, the clipping range and every grid level, padded 3 %."""
    lows = [data_low, float(np.min(r.low))]
    highs = [data_high, float(np.max(r.high))]
    if r.per_tensor:
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
    if r.per_tensor:
        counts, _ = np.histogram(r.levels(), bins=edges, weights=r.code_counts)
        return np.rint(counts).astype(np.int64)
    return value_counts(r.dequantized, edges)


@dataclass(frozen=True)
class HistogramData:
    """What the histogram figure draws: a few hundred numbers instead of the tensor.

    ``original`` counts the values on ``edges``. ``quantized`` counts the
    dequantized values either on the same ``edges`` or, when ``spikes`` is set,
    per grid level (``spikes`` holds the levels: one spike each).
    ``step_bins`` is how many grid steps one bin spans when the bins are aligned
    to the grid (each bin then holds whole quantization cells, centred on
    levels), and 0 for plain equal bins.
    """

    edges: np.ndarray
    original: np.ndarray
    quantized: np.ndarray
    spikes: np.ndarray | None = None
    step_bins: int = 0

    @property
    def n_values(self) -> int:
        return int(np.sum(self.original))


def _aligned_bins(lo: float, hi: float, r: QuantResult, max_bins: int) -> tuple[int, float, float]:
    """Bins of ``k`` whole grid steps, edges half a step off the levels, covering [lo, hi].

    Returns ``(bins, first_edge, last_edge)``, or ``(0, nan, nan)`` if the grid is
    unusable (zero or non-finite step).
    """
    step = float(r.scale)
    centre = float(r.levels()[0])
    if not (math.isfinite(step) and step > 0):
        return 0, math.nan, math.nan
    i_lo = math.floor((lo - centre) / step + 0.5)
    i_hi = math.floor((hi - centre) / step + 0.5)
    cells = i_hi - i_lo + 1
    if cells > 1e9:
        return 0, math.nan, math.nan
    k = max(1, math.ceil(cells / max_bins))
    bins = math.ceil(cells / k)
    first = centre + (i_lo - 0.5) * step
    return bins, first, first + bins * k * step


def histogram_data(
    x: np.ndarray, r: QuantResult, lo: float, hi: float, max_bins: int = HIST_BINS
) -> HistogramData:
    """Counts of the original and the quantized values over ``[lo, hi]``.

    Per tensor the bins are aligned to the grid: each bin is a whole number of
    steps with its edges halfway between levels. With at most ``max_bins``
    cells in the range a bin is one cell, so an original bar holds exactly the
    values that round to that cell's level, and the quantized values are drawn as
    one spike per level: bar and spike have the same height unless values were
    clipped into the end levels (nearest rounding). With more cells, a bin holds
    several cells and both histograms use the same bins. Per channel / group
    (no single grid) both use ``max_bins`` equal bins.
    """
    flat = np.ravel(x)
    if r.per_tensor:
        bins, first, last = _aligned_bins(lo, hi, r, max_bins)
        if bins:
            original, edges = np.histogram(flat, bins=bins, range=(first, last))
            k = round((last - first) / bins / float(r.scale))
            if k == 1:
                return HistogramData(edges, original, np.asarray(r.code_counts), r.levels(), 1)
            return HistogramData(edges, original, quantized_counts(r, edges), None, k)
    edges = histogram_edges(lo, hi, max_bins)
    return HistogramData(edges, value_counts(flat, edges), quantized_counts(r, edges))


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
    """Histogram of ``r.dequantized − x`` on bins symmetric about 0, rounding vs clipping.

    Every value is counted (the bins span ±1.02 × the largest error). The bin of each
    error is computed directly (the bins are equal), in float32, without the sorting
    ``np.histogram`` does for explicit edges: a 10M-value tensor takes tens of ms.
    """
    err = np.subtract(r.dequantized, x, dtype=np.float32).ravel()
    amax = float(r.metrics["max_abs_error"]) if err.size else 0.0
    amax = amax * 1.02 if amax > 0 else 1e-12
    edges = np.linspace(-amax, amax, bins + 1)
    err += np.float32(amax)
    err *= np.float32(bins / (2 * amax))
    np.clip(err, 0, bins - 1, out=err)
    index = err.astype(np.intp)
    total = np.bincount(index, minlength=bins)
    mask = np.ravel(r.clipped)
    clipping = np.bincount(index[mask], minlength=bins) if mask.any() else np.zeros_like(total)
    return ErrorHistogram(edges, total - clipping, clipping)


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


def _count(value: float, _pos: object = None) -> str:
    """A count tick label in few glyphs: ``0``, ``800``, ``40k``, ``1.2M``."""
    v = abs(value)
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{value / div:.3g}{suffix}"
    return f"{value:.3g}"


def _log_y(ax: Axes) -> None:
    if ax.get_yscale() != "log":
        ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.yaxis.set_minor_locator(NullLocator())


def _linear_counts(ax: Axes) -> None:
    if ax.get_yscale() != "linear":
        ax.set_yscale("linear")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_count))


def _title(ax: Axes, text: str, loc: str = "left") -> None:
    # A fixed y skips matplotlib's automatic title placement (a costly layout pass).
    ax.set_title(text, fontsize=FONT, loc=loc, y=1.0, pad=6)


def _style(ax: Axes, xbins: int = 6) -> None:
    ax.tick_params(labelsize=TICK_FONT)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=xbins))
    ax.grid(True, axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _legend(ax: Axes, **kwargs: object) -> None:
    ax.legend(fontsize=SMALL_FONT, frameon=False, handlelength=1.6, borderaxespad=0.2, **kwargs)


def _span(ax: Axes, x0: float, x1: float) -> None:
    """Shade ``x0 … x1`` over the full height (cheaper than ``axvspan``: no limit update)."""
    if x1 > x0:
        ax.add_artist(
            Rectangle((x0, 0), x1 - x0, 1, transform=ax.get_xaxis_transform(),
                      color=CLIPPED_AREA, zorder=0, gid="clipped_region")
        )  # fmt: skip


def _figure(
    fig: Figure | None,
    size: tuple[float, float],
    shape: tuple[int, int],
    adjust: dict,
    **share: bool,
) -> tuple[Figure, list[Axes]]:
    """A new figure with a fixed layout, or ``fig`` (made by the same builder) emptied for reuse.

    Reusing keeps the axes, their tick objects, labels and styling, which is most
    of the cost of a fresh figure; only the content (data, titles, legends, data
    limits) is removed, so the builder draws it again exactly as on a new figure.
    """
    if fig is None:
        fig = Figure(figsize=size, dpi=DPI)
        fig.subplots_adjust(**adjust)
        axes = fig.subplots(*shape, **share, squeeze=False)
        return fig, list(axes.ravel())
    for legend in list(fig.legends):
        legend.remove()
    for ax in fig.axes:
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.artists]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        for loc in ("left", "center", "right"):
            ax.set_title("", loc=loc)
        ax.dataLim.set_points(Bbox.null().get_points())
        ax.ignore_existing_data_limits = True
        ax.set_autoscale_on(True)
    return fig, fig.axes


# --------------------------------------------------------------- figures --


def histogram_figure(
    data: HistogramData, r: QuantResult, *, log: bool = False, fig: Figure | None = None
) -> Figure:
    """The original histogram above the quantized one, sharing x and y.

    Parameters
    ----------
    data
        :func:`histogram_data`: the original counts as filled bars; the
        quantized counts as one spike per level (few levels) or as an outline on
        the same bins.
    r
        The result: its grid levels are drawn (lines up to 64 levels, ticks up to
        4096), its clipping range ``r.low``/``r.high`` as dashed lines with the
        region outside shaded (per tensor), and the clipped count is written.
    log
        Logarithmic count axis.
    fig
        A figure this function returned before, with the same ``log``, to draw
        into again (faster than a new one).
    """
    n_values = data.n_values
    edges = data.edges
    fig, (top, bottom) = _figure(
        fig, (FIG_WIDTH, 6.0), (2, 1),
        dict(left=0.1, right=0.98, top=0.86, bottom=0.11, hspace=0.34), sharex=True, sharey=True,
    )  # fmt: skip
    baseline = 0.5 if log else 0
    top.stairs(
        np.maximum(data.original, baseline), edges, baseline=baseline, fill=True,
        color=ORIGINAL, alpha=0.85, label="original x", gid="original",
    )  # fmt: skip
    if data.spikes is not None:
        keep = data.quantized > 0
        bottom.vlines(
            data.spikes[keep], baseline, data.quantized[keep], colors=QUANTIZED, linewidth=4,
            label="quantized x̂ (one spike per level)", gid="quantized",
        )  # fmt: skip
    else:
        bottom.stairs(
            np.maximum(data.quantized, baseline), edges, baseline=baseline, fill=False,
            color=QUANTIZED, linewidth=2, label="quantized x̂", gid="quantized",
        )  # fmt: skip
    peak = float(max(np.max(data.original, initial=0), np.max(data.quantized, initial=0)))
    per_tensor = r.per_tensor
    if per_tensor:
        levels = r.levels()
        if levels.size <= FULL_LEVEL_LINES:
            for ax in (top, bottom):
                ax.vlines(
                    levels, 0, 1, transform=ax.get_xaxis_transform(), colors=LEVEL,
                    linewidth=0.8, alpha=0.8, zorder=0.5, gid="levels",
                    label=f"levels ({levels.size})",
                )  # fmt: skip
        elif levels.size <= LEVEL_TICKS:
            bottom.vlines(
                levels, 0, 0.05, transform=bottom.get_xaxis_transform(), colors=LEVEL,
                linewidth=0.6, alpha=0.6, gid="level_ticks",
                label=f"levels ({levels.size}, ticks)",
            )  # fmt: skip
        for ax in (top, bottom):
            _span(ax, edges[0], r.low)
            _span(ax, r.high, edges[-1])
            ax.axvline(r.low, color=CLIP, linestyle="--", linewidth=1.8, gid="clip_low",
                       label="clipping [ℓ, h]")  # fmt: skip
            ax.axvline(r.high, color=CLIP, linestyle="--", linewidth=1.8, gid="clip_high")
        grid_note = f"{r.metrics['levels_used']} of {r.metrics['levels_available']} levels used"
    else:
        grid_note = f"{np.size(r.scale)} grids, one per {r.config.granularity}"
    n_clipped = r.metrics["clipped_count"]
    share = 100.0 * n_clipped / max(n_values, 1)
    _title(top, f"Original: {n_values:,} values")
    _title(top, f"clipped: {n_clipped:,} ({share:.2g} %)", loc="right")
    _title(bottom, f"After {r.bits}-bit quantization: {grid_note}")
    bottom.set_xlabel("value", fontsize=FONT)
    for ax in (top, bottom):
        _style(ax, xbins=8)
        ax.set_ylabel("count (log)" if log else "count", fontsize=FONT)
        if log:
            _log_y(ax)
        else:
            _linear_counts(ax)
    if log:
        top.set_ylim(baseline, max(peak, 1.0) * 3)
    else:
        top.set_ylim(0, max(peak, 1.0) * 1.08)
    top.set_xlim(edges[0], edges[-1])
    bars = {1: "1-step bins", 0: "equal bins"}.get(data.step_bins, f"{data.step_bins}-step bins")
    handles = [
        Patch(color=ORIGINAL, alpha=0.85, label=f"original ({bars})"),
        Line2D([], [], color=QUANTIZED, linewidth=4, label="quantized x̂"),
        *(h for h in (bottom.get_legend_handles_labels()[0]) if h.get_gid() != "quantized"),
    ]
    # One row above both panels: it never covers the data.
    fig.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncols=len(handles),
        fontsize=SMALL_FONT, frameon=False, handlelength=1.0, columnspacing=0.7,
        handletextpad=0.4, borderaxespad=0.2,
    )  # fmt: skip
    return fig


def transfer_error_figure(
    r: QuantResult,
    curves: Sequence[tuple[str, np.ndarray, np.ndarray]],
    errors: ErrorHistogram,
    *,
    fig: Figure | None = None,
) -> Figure:
    """Left: the staircase ``x → Q(x)`` with the clipping points. Right: the error histogram.

    Parameters
    ----------
    r
        The result (clipping range and step size for the annotations).
    curves
        ``(label, x, Q(x))`` staircases (:func:`transfer_curve`): one per tensor, or
        the coarsest and finest grid per channel / group. Each is one line.
    errors
        :func:`error_histogram` of the same result: rounding error filled,
        clipping error as an outline on a log count axis.
    fig
        A figure this function returned before, to draw into again.
    """
    fig, (left, right) = _figure(
        fig, (FIG_WIDTH, 4.4), (1, 2), dict(left=0.1, right=0.98, top=0.9, bottom=0.17, wspace=0.34)
    )
    lo = min(float(c[1][0]) for c in curves)
    hi = max(float(c[1][-1]) for c in curves)
    left.plot([lo, hi], [lo, hi], color=LEVEL, linestyle=":", linewidth=2,
              label="x̂ = x", gid="identity")  # fmt: skip
    for (label, xs, ys), color, style in zip(
        curves, (QUANTIZED, ORIGINAL, OKABE_ITO["green"]), ("-", "--", "-."), strict=False
    ):
        left.plot(xs, ys, color=color, linewidth=2.2, linestyle=style, drawstyle="steps-mid",
                  label=label, gid="staircase")  # fmt: skip
    if r.per_tensor:
        for value, gid in ((r.low, "clip_low"), (r.high, "clip_high")):
            left.axvline(value, color=CLIP, linestyle="--", linewidth=1.5, gid=gid)
        left.plot([r.low, r.high], [r.levels()[0], r.levels()[-1]], linestyle="none",
                  marker="o", markersize=9, color=CLIP, label="clipping points",
                  gid="clip_points")  # fmt: skip
    _title(left, "Transfer function x → Q(x)")
    left.set_xlabel("original value x", fontsize=FONT)
    left.set_ylabel("quantized x̂", fontsize=FONT)
    _style(left, xbins=5)
    left.yaxis.set_major_locator(MaxNLocator(nbins=5))
    _legend(left, loc="upper left")

    e = errors
    has_clipping = bool(e.clipping.sum())
    base = 0.5 if has_clipping else 0
    right.stairs(np.maximum(e.rounding, base), e.edges, baseline=base, fill=True, color=ORIGINAL,
                 alpha=0.85, label="rounding", gid="rounding_error")  # fmt: skip
    if has_clipping:
        right.stairs(np.maximum(e.clipping, base), e.edges, baseline=base, fill=False,
                     color=QUANTIZED, linewidth=2, label="clipping (outline)",
                     gid="clipping_error")  # fmt: skip
    if r.per_tensor:
        nearest = r.config.rounding == "nearest"
        half = r.scale / 2 if nearest else r.scale
        right.vlines([-half, half], 0, 1, transform=right.get_xaxis_transform(), colors=CLIP,
                     linestyles="--", linewidth=1.2, gid="half_step")  # fmt: skip
        right.text(half, 0.97, ("s/2 " if nearest else "s "), ha="right", va="top",
                   transform=right.get_xaxis_transform(), fontsize=SMALL_FONT)  # fmt: skip
    peak = float(max(e.rounding.max(), e.clipping.max(), 1))
    if has_clipping:
        _log_y(right)
        right.set_ylim(base, peak * 60)
    else:
        _linear_counts(right)
        right.set_ylim(0, peak * 1.45)
    right.set_xlim(e.edges[0], e.edges[-1])
    _title(right, "Error x̂ − x")
    right.set_xlabel("error", fontsize=FONT)
    right.set_ylabel("count (log)" if has_clipping else "count", fontsize=FONT)
    _style(right, xbins=4)
    _legend(right, loc="upper left")
    return fig


def _strategy_rows(table: pd.DataFrame):
    """``(name, rows sorted by bits)`` per strategy, infinities as NaN, in table order."""
    finite = table.replace([np.inf, -np.inf], np.nan)
    for name, rows in finite.groupby("strategy", sort=False):
        yield name, rows.sort_values("bits")


def _rule_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop_duplicates("bits").sort_values("bits")


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
    fig = Figure(figsize=(FIG_WIDTH, 4.6), dpi=DPI)
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.16, wspace=0.3)
    ax_mse, ax_sqnr = fig.subplots(1, 2, sharex=True)
    for i, (name, rows) in enumerate(_strategy_rows(table)):
        color, marker, style = STRATEGY_STYLES[i % len(STRATEGY_STYLES)]
        kwargs = dict(color=color, marker=marker, linestyle=style, linewidth=2, markersize=7,
                      label=labels.get(name, name), gid=f"strategy:{name}")  # fmt: skip
        ax_mse.plot(rows["bits"], rows["mse"].where(rows["mse"] > 0), **kwargs)
        ax_sqnr.plot(rows["bits"], rows["sqnr_db"], **kwargs)
    rule = _rule_rows(table)
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
        _style(ax)
        ax.set_xlabel("bits", fontsize=FONT)
        ax.set_xticks(bits if len(bits) <= 8 else bits[::2] if bits[0] % 2 else bits[1::2])
    _legend(ax_sqnr, loc="upper left")
    return fig


MAX_DRAWN_CHANNELS = 1024  # more channels than this are drawn in groups (a 30k-row embedding)


def _channel_envelope(stats: ChannelStats) -> tuple:
    """Channels to draw: all of them, or groups of ``k`` consecutive channels shown by
    their widest range and worst MSE, so that no bad channel disappears from view."""
    n = stats.n_channels
    k = max(1, -(-n // MAX_DRAWN_CHANNELS))
    if k == 1:
        return np.arange(n), stats.low, stats.high, stats.mse, 1
    starts = np.arange(0, n, k)
    mse = {label: np.maximum.reduceat(m, starts) for label, m in stats.mse.items()}
    return (
        starts,
        np.minimum.reduceat(stats.low, starts),
        np.maximum.reduceat(stats.high, starts),
        mse,
        k,
    )


def channel_figure(
    stats: ChannelStats,
    *,
    tensor_low: float | None = None,
    tensor_high: float | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Top: each channel's [min, max] (as AIMET shows them). Bottom: each channel's MSE.

    ``tensor_low``/``tensor_high`` draw the one per-tensor clipping range across
    all channels. Each entry of ``stats.mse`` is one marker style (log axis). ``fig``: a
    figure this function returned before, to draw into again.
    """
    fig, (top, bottom) = _figure(
        fig, (FIG_WIDTH, 5.6), (2, 1),
        dict(left=0.11, right=0.98, top=0.92, bottom=0.12, hspace=0.36), sharex=True,
    )  # fmt: skip
    idx, low, high, mse_drawn, k = _channel_envelope(stats)
    top.vlines(idx, low, high, color=ORIGINAL, linewidth=2.5 if idx.size <= 128 else 1,
               label="channel min … max", gid="channel_range")  # fmt: skip
    if tensor_low is not None and tensor_high is not None:
        for v, gid in ((tensor_low, "clip_low"), (tensor_high, "clip_high")):
            top.axhline(v, color=CLIP, linestyle="--", linewidth=1.6, gid=gid,
                        label="per-tensor range" if gid == "clip_low" else None)  # fmt: skip
    _title(top, f"Range of each of the {stats.n_channels:,} channels (axis {stats.axis})")
    top.set_ylabel("value", fontsize=FONT)
    markers = ("o", "s", "^", "D")
    colors = (QUANTIZED, ORIGINAL, OKABE_ITO["green"], OKABE_ITO["purple"])
    for i, (label, mse) in enumerate(mse_drawn.items()):
        bottom.plot(idx, np.where(mse > 0, mse, np.nan), linestyle="none",
                    marker=markers[i % 4], markersize=7 if idx.size <= 128 else 3,
                    markerfacecolor="none" if i == 0 else colors[i % 4],
                    color=colors[i % 4], label=f"{label}", gid=f"channel_mse:{label}")  # fmt: skip
    _log_y(bottom)
    _title(bottom, "MSE of each channel")
    bottom.set_ylabel("MSE (log)", fontsize=FONT)
    per = "" if k == 1 else f" (groups of {k}: widest range, worst MSE)"
    bottom.set_xlabel(f"channel{per}", fontsize=FONT)
    for ax in (top, bottom):
        _style(ax)
    top.yaxis.set_major_locator(MaxNLocator(nbins=4))
    _legend(top, loc="upper right", ncols=2)
    _legend(bottom, loc="upper right", ncols=len(stats.mse))
    return fig


# ------------------------------------------------- trade-off, Vega-Lite --

_VEGA_SHAPES = ("circle", "square", "triangle-up", "diamond", "triangle-down", "cross")
_VEGA_DASHES = ([1, 0], [8, 4], [8, 3, 2, 3], [2, 3], [12, 3], [4, 4])
RULE_LABEL = "6.02 dB per bit"
CURRENT_LABEL = "current setting"
# Vega has no star symbol: a five-pointed star as an SVG path in the unit square [-1, 1]².
_STAR = (
    "M0,-1L0.235,-0.324L0.951,-0.309L0.38,0.124L0.588,0.809L0,0.4L-0.588,0.809L-0.38,0.124"
    "L-0.951,-0.309L-0.235,-0.324Z"
)


def _px(points: float) -> int:
    """CSS pixels for a type size in points (Vega-Lite sizes are pixels; 1 pt = 4/3 px)."""
    return round(points * 4 / 3)


def _finite(v: object) -> float | None:
    """A float for JSON, or None for NaN / ±∞ (Vega-Lite leaves those points out)."""
    v = float(v)
    return v if math.isfinite(v) else None


def tradeoff_chart(
    table: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    current: tuple[int, float, float] | None = None,
    width: int = 290,
    height: int = 300,
) -> dict:
    """The trade-off view as a Vega-Lite spec (a plain dict, data inline): MSE | SQNR.

    Same content as :func:`tradeoff_figure`: one line per strategy (colour,
    dash and point shape all differ), the 6.02 dB/bit rule on the SQNR side, the
    current setting as a star. Hovering a point shows its exact numbers.

    Everything that changes with the current setting is in ``spec["data"]`` (the
    star is a row with series :data:`CURRENT_LABEL`): the rest of the spec is the
    same for every bit width, so a browser showing it can update the data in
    place instead of building the chart again.
    """
    rows = []
    names = []
    for name, part in _strategy_rows(table):
        label = labels.get(name, name)
        names.append(label)
        for row in part.itertuples(index=False):
            mse = _finite(row.mse)
            rows.append({
                "series": label, "bits": int(row.bits),
                "mse": mse if mse and mse > 0 else None, "sqnr_db": _finite(row.sqnr_db),
                "clipped": _finite(100.0 * row.clipped_fraction)
                if "clipped_fraction" in part else None,
            })  # fmt: skip
    for row in _rule_rows(table).itertuples(index=False):
        rows.append({"series": RULE_LABEL, "bits": int(row.bits), "mse": None,
                     "sqnr_db": _finite(row.sqnr_rule_db), "clipped": None})  # fmt: skip
    if current is not None:
        b, mse, sqnr = current
        mse = _finite(mse)
        rows.append({"series": CURRENT_LABEL, "bits": int(b), "mse": mse if mse else None,
                     "sqnr_db": _finite(sqnr), "clipped": None})  # fmt: skip
    domain = [*names, RULE_LABEL]
    colors = [STRATEGY_STYLES[i % len(STRATEGY_STYLES)][0] for i in range(len(names))]
    shapes = [_VEGA_SHAPES[i % len(_VEGA_SHAPES)] for i in range(len(names))]
    dashes = [_VEGA_DASHES[i % len(_VEGA_DASHES)] for i in range(len(names))]
    series = {
        "color": {"field": "series", "type": "nominal", "title": None,
                  "scale": {"domain": domain, "range": [*colors, LEVEL]}},
        "strokeDash": {"field": "series", "type": "nominal", "title": None,
                       "scale": {"domain": domain, "range": [*dashes, [6, 3]]}},
        "shape": {"field": "series", "type": "nominal", "title": None,
                  "scale": {"domain": domain, "range": [*shapes, "stroke"]}},
    }  # fmt: skip
    tooltip = [
        {"field": "series", "title": "strategy"},
        {"field": "bits", "type": "quantitative"},
        {"field": "mse", "type": "quantitative", "title": "MSE", "format": ".4g"},
        {"field": "sqnr_db", "type": "quantitative", "title": "SQNR (dB)", "format": ".2f"},
        {"field": "clipped", "type": "quantitative", "title": "clipped (%)", "format": ".3g"},
    ]
    bits = sorted({int(b) for b in table["bits"]})
    x = {"field": "bits", "type": "quantitative", "title": "bits",
         "scale": {"domain": [bits[0] - 0.5, bits[-1] + 0.5], "nice": False},
         "axis": {"values": bits if len(bits) <= 8 else bits[1::2] if bits[0] % 2 else bits[::2],
                  "format": "d"}}  # fmt: skip
    log_axis = {"format": "~e", "tickCount": 6}

    def panel(field: str, title: str, y_title: str, scale: dict) -> dict:
        y = {"field": field, "type": "quantitative", "title": y_title, "scale": scale}
        if scale.get("type") == "log":
            y["axis"] = log_axis
        curves = f"datum.series !== '{CURRENT_LABEL}'"
        layers = [
            {"transform": [{"filter": curves}],
             "mark": {"type": "line", "strokeWidth": 2.5},
             "encoding": {"x": x, "y": y, "color": series["color"],
                          "strokeDash": series["strokeDash"]}},
            {"transform": [{"filter": f"{curves} && datum.series !== '{RULE_LABEL}'"}],
             "mark": {"type": "point", "filled": True, "size": 70},
             "encoding": {"x": x, "y": y, "color": series["color"], "shape": series["shape"],
                          "tooltip": tooltip}},
            {"transform": [{"filter": f"datum.series === '{CURRENT_LABEL}'"}],
             "mark": {"type": "point", "shape": _STAR, "size": 500, "filled": True,
                      "fill": OKABE_ITO["yellow"], "stroke": CLIP, "strokeWidth": 1.5,
                      "opacity": 1},
             "encoding": {"x": x, "y": y,
                          "tooltip": [{"field": "series", "title": "star"},
                                      {"field": "bits", "type": "quantitative"},
                                      {"field": field, "type": "quantitative",
                                       "title": y_title, "format": ".4g"}]}},
        ]  # fmt: skip
        return {
            "title": {"text": title, "anchor": "start"},
            "width": width, "height": height,
            "transform": [{"filter": f"isValid(datum.{field})"}],
            "layer": layers,
        }  # fmt: skip

    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": rows},
        "hconcat": [
            panel("mse", "MSE (lower is better)", "MSE (log)", {"type": "log"}),
            panel("sqnr_db", "SQNR (higher is better)", "SQNR (dB)", {"zero": True}),
        ],
        "resolve": {"scale": {"y": "independent"}},
        "config": {
            "font": "sans-serif",
            "axis": {"labelFontSize": _px(TICK_FONT), "titleFontSize": _px(FONT),
                     "titleFontWeight": "normal", "gridColor": "#DDDDDD"},
            "title": {"fontSize": _px(FONT), "fontWeight": "normal"},
            "legend": {"orient": "bottom", "labelFontSize": _px(SMALL_FONT), "symbolSize": 160,
                       "symbolStrokeWidth": 2.5, "columns": 4, "labelLimit": 260},
            "view": {"stroke": None},
        },
    }  # fmt: skip
