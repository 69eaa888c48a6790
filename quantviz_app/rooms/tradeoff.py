"""View 4: error against bit width, for several range strategies, with the current setting starred.

Each strategy's sweep over 1–16 bits is computed once per tensor and options (not
per bit width), so a bit-slider move only moves the star. A tensor over 262,144
values is estimated (``quantviz.sweep.sweep_estimate``): per tensor, ranges chosen on
a sample and errors measured on every value; per channel or group, whole rows of a
sample. The numbers at the top of the page always use every value.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.fit import fit_settings
from quantviz.sweep import ESTIMATE_VALUES, sqnr_uniform_db, sweep_estimate, sweep_method
from quantviz_app import charts, figures, shipped
from quantviz_app.charts import (
    INK,
    LEVEL,
    SCHEMA,
    SERIES_COLOURS,
    SERIES_DASHES,
    SERIES_SHAPES,
    STAR,
    YELLOW,
    config,
    words,
)
from quantviz_app.data import Data
from quantviz_app.figures import style_axes, with_fonts
from quantviz_app.format import db
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.names import strategy_label
from quantviz_app.schema import BY_KEY, Settings, option_label, quantize_kwargs
from quantviz_app.widgets import control

BITS = range(1, 17)
REFERENCE = "uniform data, 20·log10(2^b − 1)"

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def label(strategy: str, t: Tr = EN) -> str:
    """A strategy's name in the legend, in ``t``'s language."""
    return strategy_label(strategy, t)


def reference(t: Tr = EN) -> str:
    """The reference curve's name in the legend, in ``t``'s language."""
    return t("text.tradeoff.reference", REFERENCE)


def sweep_options(s: Settings, shape: tuple[int, ...], strategy: str) -> dict:
    """``qv.sweep`` options for ``strategy`` at these settings (everything but bits), fitted."""
    knobs = {p.name for st in qv.strategies() for p in st.params}
    kwargs = {k: v for k, v in quantize_kwargs(s).items() if k not in knobs | {"low", "high"}}
    kwargs["strategy"] = strategy
    for p in qv.get_strategy(strategy).params:  # a compared strategy's knob, as set
        kwargs[p.name] = s[p.name]
    fitted, _ = fit_settings(shape, **kwargs)
    fitted.pop("bits", None)
    return fitted


def sweep_table(data: Data, options: dict) -> pd.DataFrame:
    """One strategy over 1–16 bits (cached per tensor and options); a bit width this
    tensor cannot have is left out. Big tensors are estimated (``qv.sweep_estimate``); a
    distribution's default tensor at the page's default settings is shipped
    (:mod:`quantviz_app.shipped`)."""

    key = tuple(sorted(options.items()))

    def compute() -> pd.DataFrame:
        found = shipped.sweep(data.key, key)  # a distribution's default tensor: shipped
        return computed_sweep(data.x, options) if found is None else found

    return data.memo("sweep", key, compute=compute)


def computed_sweep(x: np.ndarray, options: dict) -> pd.DataFrame:
    """:func:`sweep_table`, computed with the library (``qv.sweep_estimate``)."""
    opts = dict(options)
    strategy, symmetric = opts.pop("strategy"), opts.pop("symmetric")
    return sweep_estimate(x, BITS, [strategy], symmetric, skip_unfit=True, **opts)


def summary(tables: list[pd.DataFrame], t: Tr = EN) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """What the view draws that does not depend on the bit width: the table, the curves
    (one per strategy, and the reference) and each bit width's SQNR per strategy (named in
    ``t``'s language)."""
    table = pd.concat([t for t in tables if not t.empty], ignore_index=True)
    if table.empty:
        table = pd.DataFrame(columns=["strategy", "bits", "mse", "sqnr_db", "clipped_fraction"])
    curves = pd.DataFrame({
        "series": table["strategy"].map(lambda name: label(name, t)),
        "bits": table["bits"],
        "mse": table["mse"].where(table["mse"] > 0),
        "sqnr_db": table["sqnr_db"].map(charts.finite),
        "clipped": 100.0 * table["clipped_fraction"],
    })  # fmt: skip
    uniform = pd.DataFrame({"series": reference(t), "bits": list(BITS),
                            "sqnr_db": sqnr_uniform_db(list(BITS))})  # fmt: skip
    by_bits: dict[int, list[tuple[str, float]]] = {}
    for row in table.sort_values("sqnr_db", ascending=False).itertuples():
        by_bits.setdefault(int(row.bits), []).append((label(row.strategy, t), float(row.sqnr_db)))
    return table, pd.concat([curves, uniform], ignore_index=True), by_bits


def star(r: qv.QuantResult) -> pd.DataFrame:
    """The current setting: the only data of the view that changes with the bit width."""
    m = r.metrics
    return pd.DataFrame({
        "bits": [r.bits], "mse": [m["mse"] if m["mse"] > 0 else None],
        "sqnr_db": [charts.finite(m["sqnr_db"])],
    })  # fmt: skip


def datasets(table: pd.DataFrame, r: qv.QuantResult, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """The curves and the star (for a table computed elsewhere)."""
    return {"curves": summary([table], t)[1], "current": star(r)}


def style(strategy: str) -> int:
    """A strategy's own place in the chart's palettes (colour, dash, shape): its place among
    the strategies the picker offers, so Min-max looks the same whatever is compared."""
    return BY_KEY["compare"].options.index(strategy)


def allowed_strategies(granularity: str) -> tuple[str, ...]:
    """The strategies a sweep can compare at this granularity (not manual: one range)."""
    return tuple(
        name for name in BY_KEY["compare"].options
        if granularity in qv.get_strategy(name).granularities
    )  # fmt: skip


def view_data(
    m: Move, compare: tuple[str, ...]
) -> tuple[list[str], pd.DataFrame, pd.DataFrame, dict]:
    r"""The strategies drawn at these settings (those ``compare``\ d, and the chosen one), and
    :func:`summary` of their sweeps in the settings' language (cached per tensor, options and
    language, not per bit width)."""
    s, data, t = m.s, m.data, m.t
    allowed = allowed_strategies(m.kwargs.get("granularity", "tensor"))
    names = [n for n in dict.fromkeys([*compare, s["strategy"]]) if n in allowed]
    if not names:
        return [], pd.DataFrame(), pd.DataFrame(), {}
    options = [sweep_options(s, data.shape, name) for name in names]
    key = tuple(tuple(sorted(o.items())) for o in options)
    table, curves, by_bits = data.memo(
        "trade-off",
        key,
        t.lang,
        compute=lambda: summary([sweep_table(data, o) for o in options], t),
        busy=t("text.tradeoff.busy", "Measuring every bit width from 1 to 16…"),
    )
    return names, table, curves, by_bits


def to_formats(state: MutableMapping[str, Any]) -> None:
    """Button callback: open the Formats room (the trade-off across formats)."""
    state["room"] = "Formats"


def format_note(s: Settings, state: MutableMapping[str, Any]) -> None:
    """In place of the sweep, for a number format: why, and the way to the Formats room."""
    t = Tr(s["lang"])
    label = option_label("format", s["format"], t)
    st.info(t(
        "text.tradeoff.format",
        "{format} stores {bits}-bit elements: it has no bit width to sweep. Its trade-off is "
        "against the other formats: the Formats room draws every format's SQNR against its "
        "bits per weight, {format} ringed. Choose INT to sweep the integer grid from 1 to 16 "
        "bits.",
        format=label, bits=qv.get_format(s["format"]).element_bits,
    ), icon=":material/info:")  # fmt: skip
    if st.button(t("text.tradeoff.to_formats", "Open the Formats room"), key="to_formats",
                 on_click=to_formats, args=(state,), icon=":material/arrow_forward:"):  # fmt: skip
        st.rerun(scope="app")


@st.fragment
def show(m: Move) -> None:
    """The strategies to compare, the chart and what to notice (for a number format, why
    not, and the way to the Formats room)."""
    s, data, t, r = m.s, m.data, m.t, m.result
    st.subheader(t("text.tradeoff.title", "Trade-off: error against bit width"))
    if not m.integer:
        format_note(s, m.state)
        return
    # kept while another room is open (an unmounted widget loses its value otherwise)
    compare = control(
        "compare", options=allowed_strategies(r.config.granularity), t=t, persist_state="session"
    )
    names, _, curves, by_bits = view_data(m, tuple(compare))
    if not names:
        st.info(t("text.tradeoff.none", "Choose a strategy to compare."))
        return
    sets = {"curves": curves, "current": star(r)}
    series = [label(n, t) for n in names]
    # SQNR only: MSE on a log axis is the same curve upside down (it is in the hover, in
    # the table and in the downloaded figure, which shows both).
    spec = tradeoff_spec(series, reference(t), field="sqnr_db", legend=True,
                                styles=[style(n) for n in names], t=t)  # fmt: skip
    st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)
    st.markdown(tradeoff_note(by_bits.get(r.bits, []), r.bits, t))
    method = sweep_method(data.size, r.config.granularity, s["rounding"])
    note = sweep_note(method, data.size, ESTIMATE_VALUES, t)
    if note:
        st.caption(note)


def tradeoff_note(at_bits: list[tuple[str, float]], bits: int, t: Tr = EN) -> str:
    """What to notice in the bit sweep (Markdown), with each strategy's SQNR at ``bits``
    (``(label, sqnr_db)`` pairs, best first)."""
    text = t(
        "text.tradeoff.note",
        "Each extra bit halves the step and quarters the rounding noise: +6.02 dB. With levels "
        "at the ends of the range (2^b − 1 steps), data spread evenly over a range centred on 0 "
        "reaches 20·log10(2^b − 1) dB (the grey curve: 0 dB at 1 bit, 9.5 at 2, 23.5 at 4, "
        "48.1 at 8), which meets 6.02·b from about 6 bits. The SQNR counts the mean as signal: "
        "evenly spread on [0, 1], data score 6.02 dB more (15.6 at 2 bits, 54.2 at 8). Peaked "
        "data run parallel below it: a bell curve's min-max range spans about 9σ, 8.5 dB "
        "below at every width. A fixed clip "
        "(percentile, k sigma) helps at low bit widths but costs at high ones, where its "
        "clipping error no longer shrinks; MSE-optimal and ACIQ choose the range again for "
        "each bit width.",
    )
    if at_bits:
        parts = t("text.list_separator", ", ").join(
            f"{label} {db(sqnr)}" for label, sqnr in at_bits
        )
        text += t(
            "text.tradeoff.at_bits", " At **{bits}**: {parts}.",
            bits=t.count(bits, "bit"), parts=parts,
        )  # fmt: skip
    return text


def sweep_note(method: str, size: int, sample_values: int, t: Tr = EN) -> str | None:
    """How the curves were measured, when not by quantizing every value at every bit width
    (``method`` from ``quantviz.sweep.sweep_method``)."""
    fields = {"values": t.count(size, "value"), "sample": f"{sample_values:,}"}
    if method == "histogram":
        return t(
            "text.sweep.histogram",
            "This tensor has {values}: for the curves each range is chosen on a sample of "
            "{sample} of them (the smallest and largest included) and its error is measured on "
            "every value, through a fine histogram (within a few hundredths of a dB). The "
            "numbers at the top quantize every value.",
            **fields,
        )
    if method == "sample":
        return t(
            "text.sweep.sample",
            "This tensor has {values}: the curves quantize about {sample} of them, in whole "
            "rows. An estimate: where the clipping of a few rows dominates (high bit widths) it "
            "can be off by several dB. The numbers at the top quantize every value.",
            **fields,
        )
    return None


def tradeoff_spec(
    series: list[str],
    reference: str,
    *,
    field: str,
    legend: bool,
    styles: Sequence[int] | None = None,
    height: int = 230,
    t: Tr = EN,
) -> dict:
    """One panel of the trade-off: ``field`` (``"mse"``, log axis, or ``"sqnr_db"``) against
    bits, one line per strategy, the reference curve of uniform data, the current setting as
    a star. Two panels side by side make the view.

    ``series`` are the strategies' labels in order; ``styles`` each one's place in the
    palettes (colour, dash and shape; default: their order), so a strategy keeps its look
    whichever others are drawn; datasets ``curves`` (``series``, ``bits``, ``mse``,
    ``sqnr_db``, ``clipped``) and ``current`` (``bits``, ``mse``, ``sqnr_db``). Hover a point
    for its numbers.
    """
    domain = [*series, reference]
    places = list(styles) if styles is not None else list(range(len(series)))
    colours = [SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in places]
    dashes = [SERIES_DASHES[i % len(SERIES_DASHES)] for i in places]
    shapes = [SERIES_SHAPES[i % len(SERIES_SHAPES)] for i in places]
    keep = {} if legend else {"legend": None}
    colour = {"field": "series", "type": "nominal", "title": None, **keep,
              "scale": {"domain": domain, "range": [*colours, LEVEL]}}  # fmt: skip
    dash = {"field": "series", "type": "nominal", "title": None, **keep,
            "scale": {"domain": domain, "range": [*dashes, [6, 3]]}}  # fmt: skip
    shape = {"field": "series", "type": "nominal", "title": None, **keep,
             "scale": {"domain": domain, "range": [*shapes, "stroke"]}}  # fmt: skip
    w = words(t)
    x = {"field": "bits", "type": "quantitative", "title": w["bits"],
         "scale": {"domain": [0.5, 16.5], "nice": False},
         "axis": {"values": list(range(2, 17, 2)), "format": "d"}}  # fmt: skip
    log = field == "mse"
    title = (
        t("text.chart.mse_axis", "MSE (log; lower is better)")
        if log
        else t("text.chart.sqnr_axis", "SQNR, dB (higher is better)")
    )
    y = {"field": field, "type": "quantitative", "title": title,
         "scale": {"type": "log"} if log else {"zero": True},
         "axis": {"format": "~e" if log else "~r", "tickCount": 5}}  # fmt: skip
    tooltip = [
        {"field": "series", "title": t("text.chart.strategy", "strategy")},
        {"field": "bits", "type": "quantitative", "title": w["bits"]},
        {"field": "mse", "type": "quantitative", "title": "MSE", "format": ".4~g"},
        {"field": "sqnr_db", "type": "quantitative", "title": "SQNR (dB)", "format": ".2f"},
        {
            "field": "clipped",
            "type": "quantitative",
            "title": t("text.chart.clipped", "clipped (%)"),
            "format": ".3~g",
        },
    ]
    valid = f"isValid(datum.{field})"
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "curves"}, "transform": [{"filter": valid}],
             "mark": {"type": "line", "strokeWidth": 2.5},
             "encoding": {"x": x, "y": y, "color": colour, "strokeDash": dash}},
            {"data": {"name": "curves"},
             "transform": [{"filter": f"{valid} && datum.series !== '{reference}'"}],
             "mark": {"type": "point", "filled": True, "size": 60},
             "encoding": {"x": x, "y": y, "color": colour, "shape": shape, "tooltip": tooltip}},
            {"data": {"name": "current"}, "transform": [{"filter": valid}],
             "mark": {"type": "point", "shape": STAR, "size": 480, "filled": True,
                      "fill": YELLOW, "stroke": INK, "strokeWidth": 1.5, "opacity": 1},
             "encoding": {"x": x, "y": y,
                          "tooltip": [{"field": "bits", "title": w["bits"]},
                                      {"field": field, "title": title, "format": ".4~g"}]}},
        ],
        "padding": {"top": 8, "left": 4, "right": 8, "bottom": 4},
        "config": {**config(), "legend": {**config()["legend"], "columns": 2}},
    }  # fmt: skip


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
    fig = figures.new_figure(4.4)
    ax_mse, ax_sqnr = fig.subplots(1, 2, sharex=True)
    curves = sets["curves"]
    places = list(styles) if styles is not None else list(range(len(series)))
    for i, name in zip(places, series, strict=True):
        part = curves[curves["series"] == name]
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        marker = "osD^v*"[i % 6]
        ax_mse.plot(part["bits"], part["mse"], marker=marker, color=colour, linewidth=2,
                    label=name)  # fmt: skip
        ax_sqnr.plot(part["bits"], part["sqnr_db"], marker=marker, color=colour, linewidth=2,
                     label=name)  # fmt: skip
    ref = curves[curves["series"] == reference]
    ax_sqnr.plot(ref["bits"], ref["sqnr_db"], color=LEVEL, linestyle=(0, (6, 3)),
                 linewidth=2, label=reference)  # fmt: skip
    star = sets["current"]
    star_style = dict(marker="*", markersize=20, color=YELLOW, markeredgecolor=INK,
                      linestyle="none", zorder=5)  # fmt: skip
    ax_mse.plot(star["bits"], star["mse"], **star_style)
    ax_sqnr.plot(star["bits"], star["sqnr_db"], **star_style)
    ax_mse.set_yscale("log")
    mse = t("text.chart.mse_lower", "MSE (lower is better)")
    ax_mse.set_title(mse, fontsize=figures.FONT, loc="left")
    sqnr = t("text.chart.sqnr_axis", "SQNR, dB (higher is better)")
    ax_sqnr.set_title(sqnr, fontsize=figures.FONT, loc="left")
    for ax in (ax_mse, ax_sqnr):
        ax.set_xlabel(words(t)["bits"], fontsize=figures.FONT)
        ax.set_xticks(range(2, 17, 2))
        style_axes(ax, counts=False)
    ax_sqnr.legend(fontsize=12, frameon=False, loc="upper left")
    return fig
