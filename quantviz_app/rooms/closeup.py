"""Room: a close-up of a few levels, where the collapse shows at any bit width, 1 to 16.

The original values on bins an eighth of a step wide (bars), each level's values
(spikes), each level's cell (dashed edges): every value between two edges lands on
the level between them. Per tensor only (per channel there is no single grid).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz import counts
from quantviz.pipeline import QuantResult
from quantviz_app import charts, figures
from quantviz_app.charts import (
    COUNT_LABEL,
    LEVEL,
    ORIGINAL,
    QUANTIZED,
    SCHEMA,
    config,
    title_layer,
    words,
    x_encoding,
)
from quantviz_app.data import Data
from quantviz_app.figures import bars, panel_title, style_axes, with_fonts
from quantviz_app.format import num
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import format_name

STEPS = 9  # levels in the window, the busiest in the middle
ALL_LEVELS = 16  # a format with this few levels is shown whole

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def datasets(data: Data, r: qv.QuantResult, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """The close-up chart's data: original values around the busiest level, and its levels."""
    c = counts.closeup(data.x, r, steps=STEPS)
    s = float(r.scale)
    edges = np.concatenate([c.levels - s / 2, c.levels[-1:] + s / 2])
    title = t(
        "text.closeup.title", "Close-up: {levels} levels, cells {width} wide",
        levels=len(c.levels), width=num(s, 3),
    )  # fmt: skip
    return {
        "original": charts.bins_frame(c.original.edges, c.original.counts),
        "spikes": pd.DataFrame({"level": c.levels, "count": c.counts}),
        "edges": charts.lines_frame("x", edges),
        "titles": charts.titles_frame(closeup=title),
    }


def view_data(m: Move) -> dict[str, pd.DataFrame] | None:
    """The close-up's datasets at these settings, in their language (cached); None without a
    single grid."""
    r, t = m.result, m.t
    if not r.per_tensor:
        return None
    return m.data.memo("closeup view", m.key, t.lang, compute=lambda: datasets(m.data, r, t))


def format_datasets(data: Data, r: qv.FormatResult, label: str,
                    t: Tr = EN) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The close-up of a format with one set of levels: all of them when there are at most
    :data:`ALL_LEVELS` (FP4's 15), else :data:`STEPS` around the busiest
    (``counts.level_counts``) and the original values on fine bins over them
    (``counts.value_histogram``). A format's levels are not evenly spaced, so no cell edges
    are drawn: each value lands on the level nearest to it."""
    lc = counts.level_counts(r)
    steps = lc.levels.size if lc.levels.size <= ALL_LEVELS else STEPS
    centre = int(np.argmax(lc.counts))
    first = max(0, min(centre - steps // 2, lc.levels.size - steps))
    levels, held = lc.levels[first : first + steps], lc.counts[first : first + steps]
    edges = counts.histogram_edges(float(levels[0]), float(levels[-1]), 8 * steps)
    original = counts.value_histogram(data.x, edges)
    title = t("text.closeup.format_title", "Close-up: {levels} of {format}'s levels",
              levels=len(levels), format=label)  # fmt: skip
    return {
        "original": charts.bins_frame(original.edges, original.counts),
        "spikes": pd.DataFrame({"level": levels, "count": held}),
        "edges": charts.lines_frame("x", []),
        "titles": charts.titles_frame(closeup=title),
    }


def format_view_data(m: Move) -> dict[str, pd.DataFrame]:
    """:func:`format_datasets` at these settings (cached); the format has one set of levels."""
    t = m.t
    label = format_name(m.s["format"], t)
    return m.data.memo("closeup view", m.key, t.lang,
                       compute=lambda: format_datasets(m.data, m.result, label, t))  # fmt: skip


def show_format(m: Move) -> None:
    """The close-up for a number format: of its levels when one set serves the tensor, else
    why not (each block has its own)."""
    s, r, t = m.s, m.result, m.t
    label = format_name(s["format"], t)
    if not r.per_tensor:
        st.info(t(
            "text.closeup.format_blocks",
            "{format} has {blocks} blocks, each with its own levels: a close-up of all the "
            "values would mix them. The Block room opens one block and draws where each of "
            "its values lands.",
            format=label, blocks=f"{r.n_blocks:,}",
        ), icon=":material/info:")  # fmt: skip
        return
    close = format_view_data(m)
    spec = closeup_spec(height=220, t=t)
    st.vega_lite_chart(charts.with_data(spec, close), width="stretch", theme=None)
    note = t(
        "text.closeup.format_note",
        "Every value is stored as the nearest of {format}'s levels: the bars are the original "
        "values on fine bins, each spike the values a level holds.",
        format=label,
    )
    if qv.get_format(s["format"]).family == "float":
        note += " " + t(
            "text.closeup.format_float",
            "A float's levels are evenly spaced only between two powers of two; from one "
            "power of two to the next the gap doubles, so they crowd near 0 and spread out "
            "towards the ends.",
        )
    st.markdown(note)


@st.fragment
def show(m: Move) -> None:
    """The close-up chart and what it shows."""
    t, r = m.t, m.result
    if not m.integer:
        show_format(m)
        return
    close = view_data(m)
    if close is None:
        st.info(
            t(
                "text.closeup.no_grid",
                "Per {granularity}, each {granularity} has its own grid: the close-up needs one "
                "grid. Choose per tensor to see it.",
                granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
            )
        )
        return
    spec = closeup_spec(height=220, t=t)
    st.vega_lite_chart(charts.with_data(spec, close), width="stretch", theme=None)
    st.markdown(closeup_note(r, STEPS, t))


def closeup_note(r: QuantResult, steps: int, t: Tr = EN) -> str:
    """What the close-up shows (Markdown)."""
    return t(
        "text.closeup.note",
        "Close-up: the {steps} levels around the busiest one, with the original values on "
        "bins an eighth of a step wide. Every value between two dashed cell edges lands on "
        "the level between them: at {bits} bits the cells are {width} wide.",
        steps=steps, bits=r.bits, width=num(r.scale),
    )  # fmt: skip


def closeup_spec(*, height: int = 150, t: Tr = EN) -> dict:
    """A few levels seen up close: the original on bins an eighth of a step wide (bars,
    left axis), each level's values (spikes, right axis), each cell's edges (dashed).

    Datasets: ``original`` (``x0``, ``x1``, ``count``), ``spikes`` (``level``,
    ``count``), ``edges`` (``x``), ``titles`` (``panel``, ``text``).
    """
    w = words(t)
    tooltip = [
        {"field": "level", "title": w["level"], "format": ".4~g"},
        {"field": "count", "title": w["values"], "format": ","},
    ]
    spike_y = {"field": "count", "type": "quantitative",
               "title": t("text.chart.values_per_level", "values per level"),
               "axis": {"labelExpr": COUNT_LABEL, "orient": "right", "titleColor": QUANTIZED,
                        "tickCount": 4}}  # fmt: skip
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "edges"},
             "mark": {"type": "rule", "color": LEVEL, "strokeDash": [3, 3], "strokeWidth": 1},
             "encoding": {"x": {"field": "x", **x_encoding(w["value"])}}},
            {"layer": [
                {"data": {"name": "original"},
                 "mark": {"type": "rect", "color": ORIGINAL, "opacity": 0.6},
                 "encoding": {"x": {"field": "x0", **x_encoding(w["value"])}, "x2": {"field": "x1"},
                              "y": {"field": "count", "type": "quantitative",
                                    "title": t("text.chart.values_per_bin", "values per bin"),
                                    "axis": {
                                        "labelExpr": COUNT_LABEL, "titleColor": ORIGINAL,
                                        "tickCount": 4}}}},
                {"data": {"name": "spikes"},
                 "mark": {"type": "rule", "color": QUANTIZED, "strokeWidth": 3},
                 "encoding": {"x": {"field": "level", **x_encoding(w["value"])}, "y": spike_y,
                              "y2": {"datum": 0}, "tooltip": tooltip}},
            ], "resolve": {"scale": {"y": "independent"}}},
            title_layer("titles"),
        ],
        "padding": {"top": 24, "left": 4, "right": 8, "bottom": 4},
        "config": config(),
    }  # fmt: skip


@with_fonts
def closeup_figure(sets: Mapping[str, pd.DataFrame], t: Tr = EN) -> Figure:
    """The close-up: original on fine bins (left axis), each level's values (right axis)."""
    fig = figures.new_figure(3.6)
    ax = fig.subplots()
    for x in sets["edges"]["x"]:
        ax.axvline(x, color=LEVEL, linestyle=":", linewidth=1)
    bars(ax, sets["original"], 0.0, color=ORIGINAL, alpha=0.6)
    style_axes(ax)
    per_bin = t("text.chart.values_per_bin", "values per bin")
    ax.set_ylabel(per_bin, fontsize=figures.FONT, color=ORIGINAL)
    right = ax.twinx()
    right.vlines(sets["spikes"]["level"], 0, sets["spikes"]["count"], color=QUANTIZED,
                 linewidth=3)  # fmt: skip
    right.set_ylim(0, None)
    style_axes(right)
    right.spines["right"].set_visible(True)
    per_level = t("text.chart.values_per_level", "values per level")
    right.set_ylabel(per_level, fontsize=figures.FONT, color=QUANTIZED)
    panel_title(ax, sets["titles"], "closeup")
    ax.set_xlabel(words(t)["value"], fontsize=figures.FONT)
    return fig
