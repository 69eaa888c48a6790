"""The views as matplotlib figures, for the PNG and SVG downloads (slides, handouts, papers).

Each figure is drawn from the very datasets the browser chart shows
(:mod:`quantviz_app.charts`), so a download is the picture on screen. Pure
functions on :class:`matplotlib.figure.Figure` (no pyplot: nothing global, nothing
shared between sessions); 15–17 pt type for a projector; the same colours.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from quantviz_app import charts
from quantviz_app.i18n import EN, Tr

FONT = 17
TICK_FONT = 15
WIDTH = 9.0  # inches
DPI = 100


CJK_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@functools.cache
def font_family() -> tuple[str, ...]:
    """DejaVu Sans, then a Chinese font when the system has one (for ``?lang=zh``).

    matplotlib does not scan font collections (``.ttc``), where Debian keeps its CJK
    fonts, so they are registered here, once per process.
    """
    for folder in FONT_DIRS:
        for path in folder.rglob("*") if folder.is_dir() else ():
            if path.suffix in (".ttc", ".ttf", ".otf") and (
                "CJK" in path.name or "wqy" in path.name.lower()
            ):
                font_manager.fontManager.addfont(str(path))
    have = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans", *(name for name in CJK_FAMILIES if name in have))


def with_fonts(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build a figure whose text falls back to a Chinese font for glyphs DejaVu lacks."""

    @functools.wraps(build)
    def wrapper(*args: object, **kwargs: object) -> Figure:
        with rc_context({"font.family": list(font_family())}):
            return build(*args, **kwargs)

    return wrapper


def _count(value: float, _pos: object = None) -> str:
    """A count tick label: ``0``, ``800``, ``40k``, ``1.2M``."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            return f"{value / div:.3g}{suffix}"
    return f"{value:.3g}"


def _style(ax: Axes, *, log: bool = False, counts: bool = True) -> None:
    ax.tick_params(labelsize=TICK_FONT)
    ax.grid(True, axis="y", color="#E6E6E6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
        ax.yaxis.set_minor_locator(NullLocator())
    elif counts:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    if counts:
        ax.yaxis.set_major_formatter(FuncFormatter(_count))


def _title(ax: Axes, titles: pd.DataFrame, panel: str) -> None:
    text = titles.loc[titles["panel"] == panel, "text"]
    if len(text):
        ax.set_title(str(text.iloc[0]), fontsize=FONT, loc="left")


def _bars(ax: Axes, frame: pd.DataFrame, base: float, **style: object) -> None:
    keep = frame["count"].fillna(0) > 0
    f = frame[keep]
    if len(f):
        ax.bar(f["x0"], f["count"] - base, width=f["x1"] - f["x0"], bottom=base, align="edge",
               **style)  # fmt: skip


def _clip_and_grid(ax: Axes, sets: Mapping[str, pd.DataFrame]) -> None:
    for row in sets["shade"].dropna().itertuples():
        ax.axvspan(row.x0, row.x1, color=charts.SHADE, zorder=0, linewidth=0)
    for level in sets["levels"]["level"].dropna():
        ax.axvline(level, color=charts.LEVEL, linewidth=0.8, alpha=0.7, zorder=0.5)
    for x in sets["clip"]["x"].dropna():
        ax.axvline(x, color=charts.INK, linestyle="--", linewidth=1.8)


@with_fonts
def histogram_figure(sets: Mapping[str, pd.DataFrame], *, log: bool = False, t: Tr = EN) -> Figure:
    """Original over quantized, as on the page (:func:`charts.histogram_spec`); ``t``: the
    language of the axes (the titles come with ``sets``), as for every figure here."""
    words = charts.words(t)
    fig = Figure(figsize=(WIDTH, 6.4), dpi=DPI, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    base = 0.8 if log else 0.0
    _clip_and_grid(bottom, sets)
    _bars(top, sets["original"], base, color=charts.ORIGINAL, alpha=0.9)
    _bars(bottom, sets["qbins"], base, color=charts.QUANTIZED, alpha=0.85)
    spikes = sets["spikes"].dropna()
    spikes = spikes[spikes["count"] > 0]
    bottom.vlines(spikes["level"], base, spikes["count"], color=charts.QUANTIZED, linewidth=3)
    bottom.plot(spikes["level"], spikes["count"], "o", color=charts.QUANTIZED, markersize=5)
    for ax, panel in ((top, "original"), (bottom, "quantized")):
        ax.set_title(str(sets[f"title_{panel}"]["text"].iloc[0]), fontsize=FONT, loc="left")
        _style(ax, log=log)
        ax.set_ylabel(words["values"], fontsize=FONT)
    lo, hi = sets["domain"]["x"]
    bottom.set_xlim(lo, hi)
    bottom.set_xlabel(words["value"], fontsize=FONT)
    return fig


@with_fonts
def closeup_figure(sets: Mapping[str, pd.DataFrame], t: Tr = EN) -> Figure:
    """The close-up: original on fine bins (left axis), each level's values (right axis)."""
    fig = Figure(figsize=(WIDTH, 3.6), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    for x in sets["edges"]["x"]:
        ax.axvline(x, color=charts.LEVEL, linestyle=":", linewidth=1)
    _bars(ax, sets["original"], 0.0, color=charts.ORIGINAL, alpha=0.6)
    _style(ax)
    per_bin = t("text.chart.values_per_bin", "values per bin")
    ax.set_ylabel(per_bin, fontsize=FONT, color=charts.ORIGINAL)
    right = ax.twinx()
    right.vlines(sets["spikes"]["level"], 0, sets["spikes"]["count"], color=charts.QUANTIZED,
                 linewidth=3)  # fmt: skip
    right.set_ylim(0, None)
    _style(right)
    right.spines["right"].set_visible(True)
    per_level = t("text.chart.values_per_level", "values per level")
    right.set_ylabel(per_level, fontsize=FONT, color=charts.QUANTIZED)
    _title(ax, sets["titles"], "closeup")
    ax.set_xlabel(charts.words(t)["value"], fontsize=FONT)
    return fig


@with_fonts
def staircase_figure(
    stairs: Mapping[str, pd.DataFrame],
    errors: Mapping[str, pd.DataFrame],
    *,
    log: bool,
    t: Tr = EN,
) -> Figure:
    """Left: the staircase over the identity. Right: the error, rounding against clipping."""
    fig = Figure(figsize=(WIDTH, 4.2), dpi=DPI, layout="constrained")
    left, right = fig.subplots(1, 2)
    ident = stairs["identity"]
    left.plot(ident["x"], ident["y"], color=charts.LEVEL, linestyle=":", linewidth=2,
              label="x̂ = x")  # fmt: skip
    colours = (charts.QUANTIZED, charts.ORIGINAL, charts.GREEN)
    for (grid, part), colour in zip(stairs["stairs"].groupby("grid", sort=False), colours,
                                    strict=False):  # fmt: skip
        left.step(part["x"], part["y"], where="post", color=colour, linewidth=2.2, label=grid)
    for x in stairs["clip"]["x"].dropna():
        left.axvline(x, color=charts.INK, linestyle="--", linewidth=1.5)
    _title(left, stairs["titles"], "staircase")
    left.set_xlabel(t("text.chart.original_x", "original value x"), fontsize=FONT)
    left.set_ylabel(t("text.chart.quantized_x", "quantized x̂"), fontsize=FONT)
    _style(left, counts=False)
    left.legend(fontsize=TICK_FONT, frameon=False, loc="upper left")
    base = 0.8 if log else 0.0
    _bars(right, errors["rounding"], base, color=charts.ORIGINAL, alpha=0.85,
          label=t("text.formula.rounding", "rounding"))  # fmt: skip
    _bars(right, errors["clipping"], base, fill=False, edgecolor=charts.QUANTIZED, linewidth=1.5,
          label=t("text.formula.clipping", "clipping"))  # fmt: skip
    for x in errors["bounds"]["x"].dropna():
        right.axvline(x, color=charts.INK, linestyle="--", linewidth=1.2)
    _title(right, errors["titles"], "error")
    right.set_xlabel(t("text.chart.error_axis", "error x̂ − x"), fontsize=FONT)
    right.set_ylabel(charts.words(t)["values"], fontsize=FONT)
    _style(right, log=log)
    right.legend(fontsize=TICK_FONT, frameon=False, loc="upper left")
    return fig


@with_fonts
def channel_figure(sets: Mapping[str, pd.DataFrame], t: Tr = EN) -> Figure:
    """Top: each channel's range and the per-tensor range. Bottom: each channel's MSE."""
    fig = Figure(figsize=(WIDTH, 5.6), dpi=DPI, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    r = sets["ranges"]
    top.vlines(r["channel"], r["low"], r["high"], color=charts.ORIGINAL,
               linewidth=2 if len(r) <= 128 else 1)  # fmt: skip
    for y in sets["tensor_range"]["y"]:
        top.axhline(y, color=charts.INK, linestyle="--", linewidth=1.6)
    _title(top, sets["titles"], "ranges")
    top.set_ylabel(charts.words(t)["value"], fontsize=FONT)
    _style(top, counts=False)
    markers, colours = ("o", "s", "^"), (charts.QUANTIZED, charts.ORIGINAL, charts.GREEN)
    for (grid, part), marker, colour in zip(sets["mse"].groupby("grid", sort=False), markers,
                                            colours, strict=False):  # fmt: skip
        part = part[part["mse"] > 0]
        bottom.plot(part["channel"], part["mse"], marker, color=colour, markersize=4,
                    linestyle="none", label=grid)  # fmt: skip
    bottom.set_yscale("log")
    _title(bottom, sets["titles"], "mse")
    bottom.set_ylabel(t("text.chart.mse_log", "MSE (log)"), fontsize=FONT)
    bottom.set_xlabel(charts.words(t)["channel"], fontsize=FONT)
    _style(bottom, counts=False)
    bottom.legend(fontsize=TICK_FONT, frameon=False, ncols=3, loc="upper right")
    return fig


@with_fonts
def tradeoff_figure(
    sets: Mapping[str, pd.DataFrame],
    series: Sequence[str],
    reference: str,
    t: Tr = EN,
    styles: Sequence[int] | None = None,
) -> Figure:
    """MSE and SQNR against bits: a line per strategy, the reference, the current star.
    ``styles``: each series' place in the palettes, as on the page (default: their order)."""
    fig = Figure(figsize=(WIDTH, 4.4), dpi=DPI, layout="constrained")
    ax_mse, ax_sqnr = fig.subplots(1, 2, sharex=True)
    curves = sets["curves"]
    places = list(styles) if styles is not None else list(range(len(series)))
    for i, name in zip(places, series, strict=True):
        part = curves[curves["series"] == name]
        colour = charts.SERIES_COLOURS[i % len(charts.SERIES_COLOURS)]
        marker = "osD^v*"[i % 6]
        ax_mse.plot(part["bits"], part["mse"], marker=marker, color=colour, linewidth=2,
                    label=name)  # fmt: skip
        ax_sqnr.plot(part["bits"], part["sqnr_db"], marker=marker, color=colour, linewidth=2,
                     label=name)  # fmt: skip
    ref = curves[curves["series"] == reference]
    ax_sqnr.plot(ref["bits"], ref["sqnr_db"], color=charts.LEVEL, linestyle=(0, (6, 3)),
                 linewidth=2, label=reference)  # fmt: skip
    star = sets["current"]
    star_style = dict(marker="*", markersize=20, color=charts.YELLOW, markeredgecolor=charts.INK,
                      linestyle="none", zorder=5)  # fmt: skip
    ax_mse.plot(star["bits"], star["mse"], **star_style)
    ax_sqnr.plot(star["bits"], star["sqnr_db"], **star_style)
    ax_mse.set_yscale("log")
    mse = t("text.chart.mse_lower", "MSE (lower is better)")
    ax_mse.set_title(mse, fontsize=FONT, loc="left")
    sqnr = t("text.chart.sqnr_axis", "SQNR, dB (higher is better)")
    ax_sqnr.set_title(sqnr, fontsize=FONT, loc="left")
    for ax in (ax_mse, ax_sqnr):
        ax.set_xlabel(charts.words(t)["bits"], fontsize=FONT)
        ax.set_xticks(range(2, 17, 2))
        _style(ax, counts=False)
    ax_sqnr.legend(fontsize=12, frameon=False, loc="upper left")
    return fig


__all__ = [
    "channel_figure",
    "closeup_figure",
    "histogram_figure",
    "staircase_figure",
    "tradeoff_figure",
]
