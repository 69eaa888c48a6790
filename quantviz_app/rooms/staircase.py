"""View 2: the staircase x → x̂ and the error it makes, split into rounding and clipping.

For a number format, the staircase is drawn from the values themselves: a few thousand of
them, evenly by size, each at the level the format stored it as (one set of levels: a
staircase; a block format's own levels per block: a band around the diagonal)."""

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
    GREEN,
    INK,
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
from quantviz_app.figures import (
    bars,
    panel_title,
    style_axes,
    with_fonts,
)
from quantviz_app.format import num
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import format_name
from quantviz_app.views.histograms import axis_ends

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


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
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "identity"},
             "mark": {"type": "line", "color": LEVEL, "strokeDash": [2, 3],
                      "strokeWidth": 2},
             "encoding": {"x": x, "y": y}},
            {"data": {"name": "pairs"},
             "mark": {"type": "circle", "size": 14, "opacity": 0.6, "color": QUANTIZED},
             "encoding": {"x": x, "y": y,
                          "tooltip": [{"field": "x", "title": "x", "format": ".5~g"},
                                      {"field": "y", "title": "x̂", "format": ".5~g"}]}},
            title_layer("titles"),
        ],
        "padding": {"top": 24, "left": 4, "right": 8, "bottom": 4},
        "config": config(),
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
        charts.with_data(error_spec(log=log, t=t), errors), width="stretch", theme=None
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
    row.vega_lite_chart(charts.with_data(staircase_spec(t=t), stairs), width="stretch", theme=None)
    row.vega_lite_chart(
        charts.with_data(error_spec(log=log, t=t), errors), width="stretch", theme=None
    )
    st.markdown(staircase_note(r, t))


def staircase_note(r: QuantResult, t: Tr = EN) -> str:
    """What to notice in the staircase and the error histogram (Markdown)."""
    m = r.metrics
    if not r.per_tensor:
        return t(
            "text.staircase.grids",
            "The staircases of the coarsest and the finest of the {grids} grids: a small "
            "{granularity} gets small steps. Of the MSE, {rounding} comes from rounding and "
            "{clipping} from clipping.",
            grids=f"{np.size(r.scale):,}",
            granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
            rounding=num(m["mse_rounding"], 3), clipping=num(m["mse_clipping"], 3),
        )  # fmt: skip
    s = float(r.scale)
    if r.config.rounding == "stochastic":
        text = t(
            "text.staircase.stochastic",
            "Stochastic rounding goes up to the level above with a probability equal to the "
            "fraction of a step x lies above the level below: the nearer level is the likelier, "
            "and on average x̂ = x. Each error is up to one step (s = {s}) and the rounding "
            "noise is larger than with rounding to nearest. ",
            s=num(s),
        )
    else:
        text = t(
            "text.staircase.nearest",
            "Every x inside one cell maps to the same level: {levels} levels, {s} apart. Inside "
            "the range the error is rounding, never more than s/2 = {half}. Spread evenly "
            "within their cells, values would have a mean squared rounding error of s²/12 = "
            "{uniform}; the values inside the range here have {inside}. ",
            levels=f"{m['levels_available']:,}", s=num(s), half=num(s / 2),
            uniform=num(m["uniform_rounding_mse"], 3), inside=num(m["rounding_mse_inside"], 3),
        )  # fmt: skip
    if m["clipped_count"]:
        return text + t(
            "text.staircase.clipped",
            "Beyond the clipping boundaries the staircase is flat: the clipping error grows "
            "with the distance, up to {max} (outlined bars).",
            max=num(m["max_abs_error"]),
        )
    return text + t(
        "text.staircase.unclipped",
        "No value reaches the flat ends, so there is no clipping error.",
    )


def staircase_spec(*, height: int = 260, t: Tr = EN) -> dict:
    """The transfer function ``x → x̂`` as a step line over the identity, with the
    clipping boundaries.

    Datasets: ``stairs`` (``x``, ``y``, ``grid``: one step line per grid),
    ``identity`` (``x``, ``y``), ``clip`` (``x``, ``what``), ``titles``.
    """
    original = t("text.chart.original_x", "original value x")
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "identity"},
             "mark": {"type": "line", "color": LEVEL, "strokeDash": [2, 3], "strokeWidth": 2},
             "encoding": {"x": {"field": "x", **x_encoding(original)},
                          "y": {"field": "y", "type": "quantitative"}}},
            {"data": {"name": "stairs"},
             "mark": {"type": "line", "interpolate": "step-after", "strokeWidth": 2.5},
             "encoding": {
                 "x": {"field": "x", **x_encoding(original)},
                 "y": {"field": "y", "type": "quantitative",
                       "title": t("text.chart.quantized_x", "quantized x̂"),
                       "scale": {"zero": False, "nice": False}, "axis": {"format": "~r"}},
                 "color": {"field": "grid", "type": "nominal", "title": None,
                           "scale": {"range": [QUANTIZED, ORIGINAL, GREEN]}},
                 "strokeDash": {"field": "grid", "type": "nominal", "title": None,
                                "scale": {"range": [[1, 0], [7, 4], [2, 2]]}}}},
            {"data": {"name": "clip"}, "transform": [{"filter": "isValid(datum.x)"}],
             "mark": {"type": "rule", "color": INK, "strokeDash": [6, 4], "strokeWidth": 2},
             "encoding": {"x": {"field": "x", **x_encoding(None)},
                          "tooltip": [{"field": "what", "title": " "},
                                      {"field": "x", "title": words(t)["value"],
                                       "format": ".4~g"}]}},
            title_layer("titles"),
        ],
        "padding": {"top": 24, "left": 4, "right": 8, "bottom": 4},
        "config": config(),
    }  # fmt: skip


def error_spec(*, log: bool, height: int = 260, t: Tr = EN) -> dict:
    """The error ``x̂ − x``: rounding (filled) and clipping (outlined), with ``±s/2`` marked.

    Datasets: ``rounding``, ``clipping`` (``x0``, ``x1``, ``count``), ``bounds``
    (``x``, ``what``), ``titles``. ``log`` when there is clipping error: its
    few values would not show on a linear axis.
    """
    y_scale = {"type": "log", "domainMin": 0.8} if log else {"type": "linear", "zero": True}
    base = 0.8 if log else 0
    w = words(t)
    y = {"field": "count", "type": "quantitative", "title": w["values"], "scale": y_scale,
         "axis": {"labelExpr": COUNT_LABEL, "tickCount": 4}}  # fmt: skip
    x = {"type": "quantitative", "title": t("text.chart.error_axis", "error x̂ − x"),
         "scale": {"zero": False, "nice": False},
         "axis": {"format": "~r", "tickCount": 5}}  # fmt: skip
    tooltip = [
        {"field": "x0", "title": w["from"], "format": ".3~g"},
        {"field": "x1", "title": w["to"], "format": ".3~g"},
        {"field": "count", "title": w["values"], "format": ","},
        {"field": "cause", "title": t("text.chart.cause", "cause")},
    ]
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "rounding"},
             "mark": {"type": "rect", "color": ORIGINAL, "opacity": 0.85},
             "encoding": {"x": {"field": "x0", **x}, "x2": {"field": "x1"}, "y": y,
                          "y2": {"datum": base}, "tooltip": tooltip}},
            {"data": {"name": "clipping"},
             "mark": {"type": "rect", "fill": None, "stroke": QUANTIZED, "strokeWidth": 2},
             "encoding": {"x": {"field": "x0", **x}, "x2": {"field": "x1"}, "y": y,
                          "y2": {"datum": base}, "tooltip": tooltip}},
            {"data": {"name": "bounds"}, "transform": [{"filter": "isValid(datum.x)"}],
             "mark": {"type": "rule", "color": INK, "strokeDash": [6, 4], "strokeWidth": 1.5},
             "encoding": {"x": {"field": "x", **x},
                          "tooltip": [{"field": "what", "title": " "},
                                      {"field": "x", "title": w["error"], "format": ".4~g"}]}},
            title_layer("titles"),
        ],
        "padding": {"top": 24, "left": 4, "right": 8, "bottom": 4},
        "config": config(),
    }  # fmt: skip


@with_fonts
def staircase_figure(
    stairs: Mapping[str, pd.DataFrame],
    errors: Mapping[str, pd.DataFrame],
    *,
    log: bool,
    t: Tr = EN,
) -> Figure:
    """Left: the staircase over the identity. Right: the error, rounding against clipping."""
    fig = figures.new_figure(4.2)
    left, right = fig.subplots(1, 2)
    ident = stairs["identity"]
    left.plot(ident["x"], ident["y"], color=LEVEL, linestyle=":", linewidth=2,
              label="x̂ = x")  # fmt: skip
    colours = (QUANTIZED, ORIGINAL, GREEN)
    for (grid, part), colour in zip(stairs["stairs"].groupby("grid", sort=False), colours,
                                    strict=False):  # fmt: skip
        left.step(part["x"], part["y"], where="post", color=colour, linewidth=2.2, label=grid)
    for x in stairs["clip"]["x"].dropna():
        left.axvline(x, color=INK, linestyle="--", linewidth=1.5)
    panel_title(left, stairs["titles"], "staircase")
    left.set_xlabel(t("text.chart.original_x", "original value x"), fontsize=figures.FONT)
    left.set_ylabel(t("text.chart.quantized_x", "quantized x̂"), fontsize=figures.FONT)
    style_axes(left, counts=False)
    left.legend(fontsize=figures.TICK_FONT, frameon=False, loc="upper left")
    base = 0.8 if log else 0.0
    bars(right, errors["rounding"], base, color=ORIGINAL, alpha=0.85,
          label=t("text.formula.rounding", "rounding"))  # fmt: skip
    bars(right, errors["clipping"], base, fill=False, edgecolor=QUANTIZED, linewidth=1.5,
          label=t("text.formula.clipping", "clipping"))  # fmt: skip
    for x in errors["bounds"]["x"].dropna():
        right.axvline(x, color=INK, linestyle="--", linewidth=1.2)
    panel_title(right, errors["titles"], "error")
    right.set_xlabel(t("text.chart.error_axis", "error x̂ − x"), fontsize=figures.FONT)
    right.set_ylabel(words(t)["values"], fontsize=figures.FONT)
    style_axes(right, log=log)
    right.legend(fontsize=figures.TICK_FONT, frameon=False, loc="upper left")
    return fig
