"""The views as matplotlib figures, for the PNG and SVG downloads (slides, handouts, papers).

Each figure is drawn from the very datasets the browser chart shows
(:mod:`quantviz_app.charts`), so a download is the picture on screen. Pure
functions on :class:`matplotlib.figure.Figure` (no pyplot: nothing global, nothing
shared between sessions); 15–17 pt type for a projector; the same colours. matplotlib is
imported when the first figure is drawn, not with the page (0.5–2 s no page waits for).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from quantviz_app import charts
from quantviz_app.i18n import EN, Tr

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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
    from matplotlib import font_manager

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
        from matplotlib import rc_context

        with rc_context({"font.family": list(font_family())}):
            return build(*args, **kwargs)

    return wrapper


def new_figure(height: float, width: float = WIDTH) -> Figure:
    """An empty figure ``width`` × ``height`` inches at :data:`DPI`, its layout constrained."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def count_label(value: float, _pos: object = None) -> str:
    """A count tick label: ``0``, ``800``, ``40k``, ``1.2M``."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            return f"{value / div:.3g}{suffix}"
    return f"{value:.3g}"


def style_axes(ax: Axes, *, log: bool = False, counts: bool = True) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

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
        ax.yaxis.set_major_formatter(FuncFormatter(count_label))


def panel_title(ax: Axes, titles: pd.DataFrame, panel: str) -> None:
    text = titles.loc[titles["panel"] == panel, "text"]
    if len(text):
        ax.set_title(str(text.iloc[0]), fontsize=FONT, loc="left")


def bars(ax: Axes, frame: pd.DataFrame, base: float, **style: object) -> None:
    keep = frame["count"].fillna(0) > 0
    f = frame[keep]
    if len(f):
        ax.bar(f["x0"], f["count"] - base, width=f["x1"] - f["x0"], bottom=base, align="edge",
               **style)  # fmt: skip


def clip_and_grid(ax: Axes, sets: Mapping[str, pd.DataFrame]) -> None:
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
    fig = new_figure(6.4)
    top, bottom = fig.subplots(2, 1, sharex=True)
    base = 0.8 if log else 0.0
    clip_and_grid(bottom, sets)
    bars(top, sets["original"], base, color=charts.ORIGINAL, alpha=0.9)
    bars(bottom, sets["qbins"], base, color=charts.QUANTIZED, alpha=0.85)
    spikes = sets["spikes"].dropna()
    spikes = spikes[spikes["count"] > 0]
    bottom.vlines(spikes["level"], base, spikes["count"], color=charts.QUANTIZED, linewidth=3)
    bottom.plot(spikes["level"], spikes["count"], "o", color=charts.QUANTIZED, markersize=5)
    for ax, panel in ((top, "original"), (bottom, "quantized")):
        ax.set_title(str(sets[f"title_{panel}"]["text"].iloc[0]), fontsize=FONT, loc="left")
        style_axes(ax, log=log)
        ax.set_ylabel(words["values"], fontsize=FONT)
    lo, hi = sets["domain"]["x"]
    bottom.set_xlim(lo, hi)
    bottom.set_xlabel(words["value"], fontsize=FONT)
    return fig


__all__ = [
    "histogram_figure",
]
