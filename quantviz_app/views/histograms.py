"""The lesson's picture: where the values land. The original over the quantized histogram.

The original is counted once per tensor on fine bins that never depend on the bit
width; the quantized values are one spike per level (a dot on each used level,
however few values it holds), or, past 256 levels, counts on the same bins (the
close-up room shows the collapse at any bit width). The dashed lines are the
clipping boundaries, where the clamp starts (half a step past the end levels).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz import counts
from quantviz.number_formats import FormatResult
from quantviz.pipeline import QuantResult
from quantviz_app import charts, text
from quantviz_app.data import Data
from quantviz_app.format import num, percent
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.names import dist_lesson, strategy_label
from quantviz_app.schema import format_name, option_label
from quantviz_app.widgets import control

MAX_LEVEL_LINES = 64  # up to this many levels, each is drawn as a faint line


def value_edges(data: Data) -> np.ndarray:
    """The original histogram's bins: depend on the tensor's range only."""
    return data.memo("edges", compute=lambda: counts.histogram_edges(data.low, data.high))


def original_counts(data: Data) -> counts.Histogram:
    """The original values on :func:`value_edges` (once per tensor)."""
    return data.memo("values", compute=lambda: counts.value_histogram(data.x, value_edges(data)))


AXIS_PAD = 0.08  # of the data's range, each side: room for the grid's ends at most bit widths


def padded_range(data: Data) -> tuple[float, float]:
    """The data's range padded 8 % each side (a constant tensor: around its value)."""
    span = data.high - data.low if data.high > data.low else max(abs(data.low), 1.0)
    return data.low - AXIS_PAD * span, data.high + AXIS_PAD * span


def axis_ends(data: Data, r: qv.QuantResult) -> tuple[float, float]:
    """The value axis: the data's range padded 8 % each side, widened only where the grid or
    its clipping boundaries reach further (few bits, a wide manual range).

    Past a few bits it is the same for every bit width, so the original histogram's
    picture does not change when the slider moves (and the browser has nothing to redraw).
    """
    lo, hi = padded_range(data)
    if r.per_tensor:
        reach_lo = min(float(r.clip_low), float(r.levels()[0]))
        reach_hi = max(float(r.clip_high), float(r.levels()[-1]))
        lo = min(lo, reach_lo - 0.02 * (reach_hi - reach_lo))
        hi = max(hi, reach_hi + 0.02 * (reach_hi - reach_lo))
    return lo, hi


def original_title(original: counts.Histogram, t: Tr = EN) -> str:
    """The original panel's title: how many values, on bins how wide."""
    return t("text.hist.original", "Original: {values} (bins {width} wide)",
             values=t.count(original.total, "value"), width=num(original.width, 2))  # fmt: skip


def quantized_title(done: str, lost: str, grid: str) -> str:
    """The quantized panel's title on two lines: what was done and what it clipped
    (``lost``, or ``""``), then what the grid's levels hold. Two short lines fit a
    projector's narrow chart where one long line would be cut."""
    return f"{done}{lost}\n{grid}"


def levels_used(used: int, available: int, t: Tr = EN) -> str:
    """``19,154 of 65,536 levels used``: exact counts, as a student reads them."""
    return t("text.hist.levels_used", "{used} of {available} levels used",
             used=f"{used:,}", available=f"{available:,}")  # fmt: skip


def no_spikes() -> pd.DataFrame:
    """The spikes dataset when the levels are not drawn one by one."""
    return charts.spikes_frame(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))


def per_bin(r: qv.QuantResult | qv.FormatResult, original: counts.Histogram,
            domain: tuple[float, float]) -> dict[str, object]:  # fmt: skip
    """The quantized panel's frames when its values are counted on the original's bins (many
    grids or blocks): no spikes, no level lines, no clipping boundaries."""
    q = counts.quantized_histogram(r, original.edges)
    return {"qbins": charts.bins_frame(q.edges, q.counts), "spikes": no_spikes(),
            "levels": np.zeros(0), "clip": pd.DataFrame({"x": [], "what": []}),
            "shade": charts.shade_frame(*domain, *domain)}  # fmt: skip


def spikes(levels: np.ndarray, codes: np.ndarray, counted: np.ndarray, ends: tuple[float, float],
           domain: tuple[float, float], t: Tr) -> dict[str, object]:  # fmt: skip
    """The quantized panel's frames for one set of levels: a spike per used level, the level
    lines (up to :data:`MAX_LEVEL_LINES`), the clipping boundaries at ``ends``, shaded beyond."""
    return {
        "qbins": charts.bins_frame(np.zeros(1), np.zeros(0, np.int64)),
        "spikes": charts.spikes_frame(levels, codes, counted),
        "levels": levels if levels.size <= MAX_LEVEL_LINES else np.zeros(0),
        "clip": charts.clip_frame(*ends, t),
        "shade": charts.shade_frame(*domain, *ends),
    }


def format_datasets(data: Data, r: qv.FormatResult, label: str,
                    t: Tr = EN) -> dict[str, pd.DataFrame]:  # fmt: skip
    """:func:`datasets` for a number format: its levels when one scale serves the tensor
    (spikes, the saturation boundaries at the end levels), else the values per bin."""
    original = original_counts(data)
    lo, hi = padded_range(data)
    if r.per_tensor:
        lc = counts.level_counts(r)
        ends = float(lc.levels[0]), float(lc.levels[-1])
        lo, hi = min(lo, ends[0]), max(hi, ends[1])
        parts = spikes(lc.levels, np.arange(lc.levels.size), lc.counts, ends, (lo, hi), t)
        grid = levels_used(int(lc.used.sum()), lc.levels.size, t)
    else:
        parts = per_bin(r, original, (lo, hi))
        grid = t("text.fmt.hist_blocks", "{n} blocks", n=f"{r.n_blocks:,}")
    k = r.metrics["clipped_count"]
    lost = t("text.fmt.hist_saturated", "; {n} saturated", n=f"{k:,}") if k else ""
    done = t("text.fmt.hist_quantized", "After {format}", format=label)
    return charts.histogram_frames(original, original_title(original, t),
                                   quantized_title(done, lost, grid), domain=(lo, hi),
                                   **parts)  # fmt: skip


def datasets(data: Data, r: qv.QuantResult, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """Everything the histogram chart draws, for one result (a few hundred rows)."""
    original = original_counts(data)
    lo, hi = axis_ends(data, r)
    m = r.metrics
    if r.per_tensor:
        lc = counts.level_counts(r)
        ends = float(r.clip_low), float(r.clip_high)
        parts = spikes(lc.levels, np.arange(r.qmin, r.qmax + 1), lc.counts, ends, (lo, hi), t)
        if lc.levels.size > counts.MAX_LEVELS_DRAWN:  # counted on the original's bins, the
            q = counts.quantized_histogram(r, original.edges)  # boundaries still drawn
            parts.update(spikes=no_spikes(), qbins=charts.bins_frame(q.edges, q.counts))
        grid = levels_used(m["levels_used"], m["levels_available"], t)
    else:
        parts = per_bin(r, original, (lo, hi))
        grid = t(
            "text.hist.grids",
            "{n} grids, one per {granularity}",
            n=f"{np.size(r.scale):,}",
            granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
        )
    k = m["clipped_count"]
    lost = t("text.hist.clipped", "; {values} clipped", values=t.count(k, "value")) if k else ""
    done = t("text.hist.quantized", "After {bits}-bit quantization", bits=r.bits)
    return charts.histogram_frames(original, original_title(original, t),
                                   quantized_title(done, lost, grid), domain=(lo, hi),
                                   **parts)  # fmt: skip


def view_data(m: Move) -> dict[str, pd.DataFrame]:
    """The histograms' datasets at these settings, in their language (cached)."""
    data, r, key, t = m.data, m.result, m.key, m.t
    if isinstance(r, qv.FormatResult):
        label = format_name(m.s["format"], t)
        return data.memo("histogram view", key, t.lang,
                         compute=lambda: format_datasets(data, r, label, t))  # fmt: skip
    return data.memo("histogram view", key, t.lang, compute=lambda: datasets(data, r, t))


def kept(m: Move) -> bool:
    """Whether the histograms' datasets of this move are in the cache already."""
    return m.data.has("histogram view", m.key, m.t.lang)


def ahead_data(ahead: Mapping[int, Move]) -> dict[str, bytes]:
    """The histograms' datasets at every bit width of ``ahead`` (:mod:`views.ahead`) as one
    set, each width's rows marked by a ``bits`` column (``charts.by_width``), as Arrow bytes:
    kept, so a move among these widths sends the browser the same bytes again (it redraws
    nothing from them) and costs the server no conversion. 100,000 values, 16 widths: ~2,600
    rows, ~60 kB."""
    first = next(iter(ahead.values()))
    key = tuple((bits, m.key) for bits, m in ahead.items())

    def stacked() -> dict[str, bytes]:
        sets = charts.by_width({bits: view_data(m) for bits, m in ahead.items()},
                               charts.PER_WIDTH)  # fmt: skip
        return {name: charts.arrow(frame) for name, frame in sets.items()}

    return first.data.memo("histograms ahead", key, first.t.lang, compute=stacked)


HEIGHTS = {"original": 120, "quantized": 140}  # px: the picture that changes is the taller


def draw(
    sets: Mapping[str, pd.DataFrame | bytes], *, now: int, log: bool,
    heights: dict[str, int] = HEIGHTS, t: Tr = EN, font: int = charts.FONT,
) -> None:  # fmt: skip
    """The original over the quantized histogram: two charts with the same value axis, with
    no gap between them (their own margins hold the titles and the axis). ``sets``: their
    datasets, of one or several bit widths (:func:`ahead_data`); ``now``: the width this run
    drew (the browser shows another one of ``sets`` when the slider is there already).
    ``heights``: the plots' heights in px by panel; ``font``: the titles' size in px (larger
    in the class view)."""
    sets = {**sets, "now": charts.now_frame(now)}
    with st.container(gap=None):
        for panel in ("original", "quantized"):
            spec = charts.histogram_spec(panel, log=log, height=heights[panel], t=t, font=font)
            st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)


@st.fragment
def show(m: Move, ahead: Mapping[int, Move], *, note: bool = True) -> None:
    """The original over the quantized histogram (at every bit width of ``ahead``, the
    browser showing the slider's), the log toggle, and (``note``) what to notice, which names
    the step and the levels used."""
    s, data, r, t = m.s, m.data, m.result, m.t
    log = bool(m.state.get("log", s["log"]))  # the toggle below may have just changed it
    draw(ahead_data(ahead), now=s["bits"], log=log, t=t)
    control("log", t=t)  # below the pictures: they come first on a small screen
    if not note:
        return
    if isinstance(r, qv.FormatResult):
        label = option_label("format", s["format"], t)
        st.markdown(format_histogram_note(r, label, t))
        st.caption(t(f"format.{r.format.name}.description", r.format.description))
        return
    st.markdown(histogram_note(r, strategy_label(r.config.strategy, t), t))
    if data.kind == "synthetic":
        st.caption(dist_lesson(s["dist"], t))


def histogram_note(r: QuantResult, strategy_label: str, t: Tr = EN) -> str:
    """What to notice in the histograms (Markdown)."""
    m = r.metrics
    n = int(r.code_counts.sum())
    k = m["clipped_count"]
    clipped = {"values": t.count(k, "value"), "share": percent(m["clipped_fraction"])}
    if not r.per_tensor:
        return t(
            "text.hist_note.grids_one" if k == 1 else "text.hist_note.grids_many",
            "Each {granularity} has its own grid ({grids} grids, steps {steps}), so the "
            "quantized values no longer sit on one set of levels. Together they use **{used} of "
            "{available}** codes; {values} ({share}) " + ("was" if k == 1 else "were")
            + " clipped.",
            granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
            grids=f"{np.size(r.scale):,}", steps=text.spread(r.scale, num),
            used=f"{m['levels_used']:,}", available=f"{m['levels_available']:,}", **clipped,
        )  # fmt: skip
    bottom = (
        t("text.hist_note.dots", "bottom; every used level has a dot, however few values it holds")
        if m["levels_available"] <= counts.MAX_LEVELS_DRAWN
        else t("text.hist_note.per_bin",
               "bottom, counted on the original's bins: too many levels to draw one by one")
    )  # fmt: skip
    said = t(
        "text.hist_note.grid",
        "The {n} values (top) land on **{used} of {available} levels** ({bottom}). {strategy} "
        "chose the range [{low}, {high}], so one step is **s = {scale}**. ",
        n=f"{n:,}", used=f"{m['levels_used']:,}", available=f"{m['levels_available']:,}",
        bottom=bottom, strategy=strategy_label, low=num(r.low), high=num(r.high),
        scale=num(r.scale),
    )  # fmt: skip
    if k == 1:
        return said + t(
            "text.hist_note.clipped_one",
            "{values} ({share}) lies at or beyond the dashed clipping boundaries, half a step "
            "past the end levels, and is clamped to the end level.",
            **clipped,
        )
    if k:
        return said + t(
            "text.hist_note.clipped_many",
            "{values} ({share}) lie at or beyond the dashed clipping boundaries, half a step "
            "past the end levels, and are clamped to the end levels.",
            **clipped,
        )
    return said + t(
        "text.hist_note.clipped_none",
        "No value lies beyond the dashed clipping boundaries (half a step past the end "
        "levels), so nothing is clipped.",
    )


def format_histogram_note(r: FormatResult, label: str, t: Tr = EN) -> str:
    """What to notice in the histograms when a number format is chosen (Markdown)."""
    m = r.metrics
    k = m["clipped_count"]
    clipped = {"values": t.count(k, "value"), "share": percent(m["clipped_fraction"])}
    if r.per_tensor:
        said = t(
            "text.fmt.note_one",
            "{format} has one scale here, so every value lands on the same **{levels} levels**: "
            "dense near 0 and far apart at the ends for a float format, at a normal "
            "distribution's quantiles for NF4, even steps only for an integer. ",
            format=label, levels=r.levels().size,
        )  # fmt: skip
    else:
        said = t(
            "text.fmt.note_blocks",
            "{format} stores {scales}: {blocks} blocks, each with its own levels, so the "
            "quantized values spread over many more than {available} values. The **Block** room "
            "opens one of them. ",
            format=label, scales=text.scale_words(r, t), blocks=f"{r.n_blocks:,}",
            available=m["levels_available"],
        )  # fmt: skip
    if k:
        return said + t(
            "text.fmt.note_saturated",
            "{values} ({share}) lay beyond their block's largest level and were saturated.",
            **clipped,
        )
    return said + t("text.fmt.note_unsaturated", "No value was saturated.")
