"""The figures of ``quantviz report``: SQNR per tensor, and a layer's histograms.

Drawn with the page's figure style (:mod:`quantviz_app.figures`: its fonts, type sizes
and colours) on :class:`matplotlib.figure.Figure` objects (no pyplot, nothing global).
The histogram of one layer is the page's own figure
(:func:`quantviz_app.figures.histogram_figure`), fed with datasets built here the way
the page's histogram view builds them: fine bins of the original values, one spike per
used level of a per-tensor integer grid, or the quantized values counted on the same
bins for channels, groups and number formats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import quantviz as qv
from quantviz import counts
from quantviz.model_table import KEPT
from quantviz_app import charts, figures
from quantviz_app.figures import FONT, TICK_FONT, WIDTH, with_fonts
from quantviz_app.i18n import EN, Tr
from quantviz_app.untrusted import printable, shorten

MAX_BARS = 80
"""More tensors than this: the SQNR figure shows the ``MAX_BARS`` lowest only."""

NAME_CHARS = 60
"""A tensor name longer than this is cut in the middle in a figure (60 characters of a title
fit the histogram's 9 inches at 17 pt)."""

AS_TEXT = {"parse_math": False, "usetex": False}
"""A tensor name is text: never mathtext (``$\\foo$`` or 500 nested ``x^{`` would raise) and
never LaTeX, whatever the user's matplotlibrc says."""


def name_label(name: object) -> str:
    """A tensor name as a figure shows it: printable, at most :data:`NAME_CHARS` long."""
    return shorten(printable(name), NAME_CHARS)


@with_fonts
def sqnr_figure(table: pd.DataFrame, *, title: str) -> Figure:
    """SQNR (dB) of each quantized tensor as a horizontal bar, in file order.

    Tensors kept in float32 (no error) are left out; names are labels as text
    (:func:`name_label`). Past :data:`MAX_BARS` tensors only
    the lowest are drawn, lowest first (``title`` should say so). The lowest five bars
    are drawn in the page's "quantized" colour, the others in the "original" one.
    """
    rows = table[(table["format"] != KEPT) & np.isfinite(table["sqnr_db"])]
    if len(rows) > MAX_BARS:
        rows = rows.nsmallest(MAX_BARS, "sqnr_db", keep="first")
    worst = set(rows.nsmallest(5, "sqnr_db", keep="first")["tensor"])
    height = max(2.6, 0.26 * len(rows) + 1.4)
    fig = figures.new_figure(height, WIDTH + 3)
    ax = fig.subplots()
    y = np.arange(len(rows))
    colours = [charts.QUANTIZED if name in worst else charts.ORIGINAL for name in rows["tensor"]]
    ax.barh(y, rows["sqnr_db"], color=colours, height=0.72)
    ax.set_yticks(y, [name_label(n) for n in rows["tensor"]], fontsize=max(7, TICK_FONT - 6),
                  **AS_TEXT)  # fmt: skip
    ax.invert_yaxis()
    ax.set_xlabel("SQNR, dB (higher is better)", fontsize=FONT)
    ax.set_title(title, fontsize=FONT, loc="left")
    ax.tick_params(axis="x", labelsize=TICK_FONT)
    ax.grid(True, axis="x", color="#E6E6E6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def histogram_sets(
    x: np.ndarray, r: qv.QuantResult | qv.FormatResult, label: str, t: Tr = EN
) -> dict[str, pd.DataFrame]:
    """The datasets :func:`quantviz_app.figures.histogram_figure` draws, for one tensor.

    Parameters
    ----------
    x : numpy.ndarray
        The tensor's (finite) values.
    r : QuantResult or FormatResult
        ``qv.quantize(x, ...)`` with its arrays (``dequantized`` is counted unless the
        grid is one integer grid per tensor, whose level counts are exact).
    label : str
        What the quantization was, for the title (``"4-bit"``, ``"nf4"``).
    """
    low, high = counts.value_range(x)
    edges = counts.histogram_edges(low, high)
    original = counts.value_histogram(x, edges)
    span = high - low if high > low else max(abs(low), 1.0)
    lo, hi = low - 0.08 * span, high + 0.08 * span
    empty_spikes = charts.spikes_frame(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
    per_tensor_grid = isinstance(r, qv.QuantResult) and r.per_tensor
    m = r.metrics
    if per_tensor_grid:
        lc = counts.level_counts(r)
        lo = min(lo, float(r.clip_low), float(lc.levels[0]))
        hi = max(hi, float(r.clip_high), float(lc.levels[-1]))
        codes = np.arange(r.qmin, r.qmax + 1)
        spikes = charts.spikes_frame(lc.levels, codes, lc.counts)
        qbins = charts.bins_frame(np.zeros(1), np.zeros(0, np.int64))
        if lc.levels.size > counts.MAX_LEVELS_DRAWN:
            spikes = empty_spikes
            q = counts.quantized_histogram(r, edges)
            qbins = charts.bins_frame(q.edges, q.counts)
        levels = lc.levels if lc.levels.size <= 64 else np.zeros(0)
        clip = charts.clip_frame(float(r.clip_low), float(r.clip_high), t)
        shade = charts.shade_frame(lo, hi, float(r.clip_low), float(r.clip_high))
    else:
        spikes = empty_spikes
        q = counts.value_histogram(r.dequantized, edges)
        qbins = charts.bins_frame(q.edges, q.counts)
        levels = np.zeros(0)
        clip = pd.DataFrame({"x": [], "what": []})
        shade = charts.shade_frame(lo, hi, lo, hi)
    used = f"{m['levels_used']:,} of {m['levels_available']:,} levels used"
    title_q = f"After {label} quantization: {used}, SQNR {m['sqnr_db']:.1f} dB"
    return charts.histogram_frames(
        original, f"Original: {original.total:,} values", title_q, qbins=qbins, spikes=spikes,
        levels=levels, clip=clip, shade=shade, domain=(lo, hi),
    )  # fmt: skip


def histogram_figure(
    x: np.ndarray, r: qv.QuantResult | qv.FormatResult, label: str, name: str
) -> Figure:
    """The page's original-over-quantized histogram for one tensor, titled with its name
    (:func:`name_label`, as text)."""
    fig = figures.histogram_figure(histogram_sets(x, r, label))
    fig.suptitle(name_label(name), fontsize=FONT, x=0.01, ha="left", **AS_TEXT)
    return fig


__all__ = ["histogram_figure", "histogram_sets", "name_label", "sqnr_figure"]
