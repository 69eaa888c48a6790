"""View 2: the staircase x → x̂ and the error it makes, split into rounding and clipping.

For a number format, the staircase is drawn from the values themselves: a few thousand of
them, evenly by size, each at the level the format stored it as (one set of levels: a
staircase; a block format's own levels per block: a band around the diagonal)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz import counts
from quantviz_app import charts, text
from quantviz_app.data import Data
from quantviz_app.format import num
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import format_name
from quantviz_app.views.histograms import axis_ends


def staircase_datasets(data: Data, r: qv.QuantResult, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """The step line(s), the identity and the clipping boundaries over the value axis."""
    lo, hi = axis_ends(data, r)
    if r.per_tensor:
        grids = [("Q(x)", None)]
        clip = charts.clip_frame(float(r.clip_low), float(r.clip_high), t)
        title = t(
            "text.staircase.title", "Transfer function: {levels} levels",
            levels=f"{r.metrics['levels_available']:,}",
        )  # fmt: skip
    else:
        coarse, fine = counts.extreme_grids(r)
        grids = [(t("text.staircase.coarsest", "coarsest grid (#{i})", i=coarse), coarse),
                 (t("text.staircase.finest", "finest grid (#{i})", i=fine), fine)]  # fmt: skip
        clip = pd.DataFrame({"x": [], "what": []})
        title = t(
            "text.staircase.title_grids", "Transfer function: 2 of {grids} grids",
            grids=f"{np.size(r.scale):,}",
        )  # fmt: skip
    parts = []
    for label, index in grids:
        xs, ys = counts.staircase(r, lo, hi, index)
        parts.append(pd.DataFrame({"x": xs, "y": ys, "grid": label}))
    return {
        "stairs": pd.concat(parts, ignore_index=True),
        "identity": pd.DataFrame({"x": [lo, hi], "y": [lo, hi]}),
        "clip": clip,
        "titles": charts.titles_frame(staircase=title),
    }


def error_datasets(
    data: Data, r: qv.QuantResult | qv.FormatResult, t: Tr = EN
) -> dict[str, pd.DataFrame]:
    """The error histogram by cause, and ±s/2 (±s for stochastic rounding)."""
    e = counts.error_histogram(data.x, r)
    rounding = charts.bins_frame(e.edges, e.rounding).assign(
        cause=t("text.formula.rounding", "rounding")
    )
    clipping = charts.bins_frame(e.edges, e.clipping).assign(
        cause=t("text.formula.clipping", "clipping")
    )
    if isinstance(r, qv.QuantResult) and r.per_tensor:  # a format has no one step s
        half = float(r.scale) if r.config.rounding == "stochastic" else float(r.scale) / 2
        name = "s" if r.config.rounding == "stochastic" else "s/2"
        bounds = pd.DataFrame({"x": [-half, half], "what": [f"−{name}", f"+{name}"]})
    else:
        bounds = pd.DataFrame({"x": [], "what": []})
    error = num(r.metrics["max_abs_error"], 3)
    title = (
        t("text.staircase.error_title_log", "Error x̂ − x, max {error} (log counts)", error=error)
        if r.metrics["clipped_count"]
        else t("text.staircase.error_title", "Error x̂ − x, max {error}", error=error)
    )
    return {
        "rounding": rounding,
        "clipping": clipping,
        "bounds": bounds,
        "titles": charts.titles_frame(error=title),
    }


def view_data(m: Move) -> tuple[dict, dict, bool]:
    """The staircase's and the error's datasets at these settings, in their language
    (cached), and whether the error needs log counts (some values were clipped)."""
    data, r, key, t = m.data, m.arrays(), m.key, m.t
    stairs = data.memo(
        "staircase view", key, t.lang, compute=lambda: staircase_datasets(data, r, t)
    )
    errors = data.memo("error view", key, t.lang, compute=lambda: error_datasets(data, r, t))
    return stairs, errors, bool(r.metrics["clipped_count"])


PAIRS = 4000  # values drawn in a format's x → x̂ chart
FINE_LEVELS = 32  # more levels than this: a format's treads are too small to see


def pairs(data: Data, r: qv.FormatResult) -> pd.DataFrame:
    """:data:`PAIRS` of the values, evenly by size (the smallest and the largest among
    them), with what the format stored each as: ``x``, ``y`` (x̂), sorted by ``x``."""
    x, xhat = np.ravel(data.x), np.ravel(r.dequantized)
    order = np.argsort(x, kind="stable")
    pick = order[np.unique(np.linspace(0, x.size - 1, min(PAIRS, x.size)).round().astype(int))]
    return pd.DataFrame({"x": x[pick].astype(float), "y": xhat[pick].astype(float)})


def transfer_spec(*, height: int = 260, t: Tr = EN) -> dict:
    """A format's ``x → x̂`` over the identity: a dot per value drawn (one set of levels
    lines the dots up into treads; a block format's blocks, each with its own levels,
    scatter them about the diagonal). Dots, not a line: between two values drawn nothing
    is known.

    Datasets: ``pairs`` (``x``, ``y``), ``identity`` (``x``, ``y``), ``titles``."""
    original = t("text.chart.original_x", "original value x")
    x = {
        "field": "x",
        "type": "quantitative",
        "title": original,
        "scale": {"zero": False, "nice": False},
        "axis": {"format": "~r", "tickCount": 5},
    }
    y = {
        "field": "y",
        "type": "quantitative",
        "title": t("text.chart.quantized_x", "quantized x̂"),
        "scale": {"zero": False, "nice": False},
        "axis": {"format": "~r"},
    }
    return {
        "$schema": charts.SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "identity"},
             "mark": {"type": "line", "color": charts.LEVEL, "strokeDash": [2, 3],
                      "strokeWidth": 2},
             "encoding": {"x": x, "y": y}},
            {"data": {"name": "pairs"},
             "mark": {"type": "circle", "size": 14, "opacity": 0.6, "color": charts.QUANTIZED},
             "encoding": {"x": x, "y": y,
                          "tooltip": [{"field": "x", "title": "x", "format": ".5~g"},
                                      {"field": "y", "title": "x̂", "format": ".5~g"}]}},
            charts.title_layer("titles"),
        ],
        "padding": {"top": 24, "left": 4, "right": 8, "bottom": 4},
        "config": charts.config(),
    }  # fmt: skip


def show_format(m: Move) -> None:
    """A number format's x → x̂ from the values, its error histogram and what to notice."""
    s, data, r, key, t = m.s, m.data, m.arrays(), m.key, m.t
    label = format_name(s["format"], t)
    drawn = data.memo("format pairs", key, compute=lambda: pairs(data, r))
    lo, hi = float(drawn["x"].iloc[0]), float(drawn["x"].iloc[-1])
    title = t("text.staircase.format_title", "x → x̂ for {n} of the values",
              n=f"{len(drawn):,}")  # fmt: skip
    sets = {"pairs": drawn, "identity": pd.DataFrame({"x": [lo, hi], "y": [lo, hi]}),
            "titles": charts.titles_frame(transfer=title)}  # fmt: skip
    errors = data.memo("error view", key, t.lang, compute=lambda: error_datasets(data, r, t))
    row = st.container(horizontal=True)
    row.vega_lite_chart(charts.with_data(transfer_spec(t=t), sets),
                        width="stretch", theme=None)  # fmt: skip
    log = bool(r.metrics["clipped_count"])
    row.vega_lite_chart(
        charts.with_data(charts.error_spec(log=log, t=t), errors), width="stretch", theme=None
    )
    if r.per_tensor:
        note = t(
            "text.staircase.format_one",
            "Each value x (across) goes to the level x̂ {format} stores it as (up); on the "
            "dashed diagonal nothing would be lost. One set of levels makes a staircase whose "
            "treads are {format}'s levels.",
            format=label,
        )
        if r.levels().size > FINE_LEVELS:
            note += " " + t(
                "text.staircase.format_fine",
                "With {levels} levels the treads are too small to see at this size: the "
                "Close-up shows a few of them.",
                levels=f"{r.levels().size:,}",
            )
    else:
        note = t(
            "text.staircase.format_blocks",
            "Each dot is a value x (across) at the level x̂ {format} stores it as (up). Its "
            "{blocks} blocks each have their own levels, so the dots do not fall on one "
            "staircase: they scatter about the diagonal, widest where a block's scale is "
            "largest. The Block room draws one block's levels.",
            format=label,
            blocks=f"{r.n_blocks:,}",
        )
    st.markdown(note)


@st.fragment
def show(m: Move) -> None:
    """The staircase, the error histogram and what to notice."""
    t = m.t
    st.subheader(t("text.staircase.heading", "The staircase and the error it makes"))
    if not m.integer:
        show_format(m)
        return
    r = m.arrays()
    stairs, errors, log = view_data(m)
    row = st.container(horizontal=True)  # (cheaper for the browser than columns)
    row.vega_lite_chart(
        charts.with_data(charts.staircase_spec(t=t), stairs), width="stretch", theme=None
    )
    row.vega_lite_chart(
        charts.with_data(charts.error_spec(log=log, t=t), errors), width="stretch", theme=None
    )
    st.markdown(text.staircase_note(r, t))
