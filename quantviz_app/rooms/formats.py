"""The formats room: which number format for this tensor?

Every format of ``qv.formats()`` stored and measured on the tensor (bits per weight with
every stored scale counted, against SQNR), beside the integer grid per group of 32 (per
tensor when the last dimension does not allow groups) over 2–8 bits, and the page's own
setting as a star. The table is computed once per tensor (not per bit width: only the star
moves). A tensor over ``SAMPLE_VALUES`` values is measured on a sample of whole rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.number_formats import FormatResult
from quantviz.sweep import search_sample
from quantviz_app import charts, shipped
from quantviz_app.charts import (
    INK,
    LEVEL,
    QUANTIZED,
    SCHEMA,
    SERIES_COLOURS,
    SERIES_SHAPES,
    TICK_FONT,
    YELLOW,
    config,
    words,
)
from quantviz_app.data import Data
from quantviz_app.format import db, num
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import option_label

SAMPLE_VALUES = 1 << 20  # values: past this, a sample of whole rows
CHUNK = 4096  # a 1-D tensor's "rows" when sampled (a multiple of every block size)
INT_BITS = range(2, 9)
INT_GROUP = 32
NEAR_4 = (3.5, 4.75)  # bits per weight counted as "near 4 bits"


@dataclass(frozen=True)
class FormatsTable:
    """What the room shows that does not depend on the bit width.

    ``rows``: one per format that took the tensor (``name``, ``family``, ``bpw``,
    ``sqnr_db``, ``mse``), best SQNR first; ``line``: the integer grid at 2–8 bits
    (``bits``, ``bpw``, ``sqnr_db``, ``mse``), per group of ``group_size`` values (None: per
    tensor); ``refused``: ``(name, block)`` of each format left out (block None: its scale
    overflowed); ``measured``: how many values were measured.
    """

    rows: pd.DataFrame
    line: pd.DataFrame
    group_size: int | None
    refused: list[tuple[str, int | None]]
    measured: int


def sample(x: np.ndarray, max_values: int = SAMPLE_VALUES) -> np.ndarray:
    """``x``, or for a bigger tensor a sample of whole rows of about ``max_values`` values
    (``quantviz.sweep.search_sample``): a 1-D tensor is cut into rows of ``CHUNK`` values
    and keeps its tail, so its length leaves the same remainder for every block size."""
    if x.size <= max_values:
        return x
    if x.ndim >= 2:
        return search_sample(x, max_values, granularity="group")
    whole = x.size - x.size % CHUNK
    rows = search_sample(x[:whole].reshape(-1, CHUNK), max_values, granularity="group")
    return np.concatenate([rows.reshape(-1), x[whole:]])


def int_line(x: np.ndarray) -> tuple[pd.DataFrame, int | None]:
    """The integer grid (min-max, asymmetric) at 2–8 bits, per group of 32 values when the
    last dimension allows it, else per tensor."""
    group: int | None = INT_GROUP if x.shape and x.shape[-1] % INT_GROUP == 0 else None
    kwargs = {"granularity": "group", "group_size": INT_GROUP} if group else {}
    rows = []
    for b in INT_BITS:
        m = qv.quantize(x, b, arrays=False, **kwargs).metrics
        rows.append({"bits": b, "bpw": m["bits_per_weight"], "sqnr_db": m["sqnr_db"],
                     "mse": m["mse"]})  # fmt: skip
    return pd.DataFrame(rows), group


def formats_table(x: np.ndarray) -> FormatsTable:
    """Every format on ``x`` (a sample of it when big), and the integer line."""
    xs = sample(x)
    rows, refused = [], []
    for fmt in qv.formats():
        try:
            m = qv.quantize_format(xs, fmt.name).metrics
        except qv.InputError:
            last = xs.shape[-1] if xs.shape else 1
            block = fmt.block_size if fmt.block_size and last % fmt.block_size else None
            refused.append((fmt.name, block))
            continue
        rows.append({"name": fmt.name, "family": fmt.family, "bpw": m["bits_per_weight"],
                     "sqnr_db": m["sqnr_db"], "mse": m["mse"]})  # fmt: skip
    table = pd.DataFrame(rows, columns=["name", "family", "bpw", "sqnr_db", "mse"])
    table = table.sort_values("sqnr_db", ascending=False, kind="stable").reset_index(drop=True)
    line, group = int_line(xs)
    return FormatsTable(table, line, group, refused, int(xs.size))


def from_shipped(found: dict) -> FormatsTable:
    """A :class:`FormatsTable` as :mod:`quantviz_app.shipped` holds it."""
    rows = pd.DataFrame(found["rows"], columns=["name", "family", "bpw", "sqnr_db", "mse"])
    return FormatsTable(rows, pd.DataFrame(found["line"]), found["group_size"],
                        [tuple(r) for r in found["refused"]], found["measured"])  # fmt: skip


def view_data(data: Data, t: Tr = EN) -> FormatsTable:
    """:func:`formats_table` of the tensor on the page (cached per tensor; shipped for each
    distribution's default tensor, :mod:`quantviz_app.shipped`)."""
    found = shipped.formats(data.key)
    if found is not None:
        return data.memo("formats", compute=lambda: from_shipped(found))
    busy = t("text.formats.busy", "Storing this tensor in every format…")
    return data.memo("formats", compute=lambda: formats_table(data.x), busy=busy)


def near_4_bits(rows: pd.DataFrame) -> tuple[list[tuple[str, float, float]], tuple | None]:
    """The best format per bit budget near 4 bits (each budget at which the best SQNR
    improves, fewest bits first) and the format that keeps the least there."""
    near = rows[(rows["bpw"] >= NEAR_4[0]) & (rows["bpw"] < NEAR_4[1])]
    near = near.sort_values(["bpw", "sqnr_db"], ascending=[True, False], kind="stable")
    budgets = near.assign(budget=near["bpw"].round(2)).groupby("budget", sort=True)
    steps: list[tuple[str, float, float]] = []
    for _, group in budgets:  # formats that cost the same as shown: the best of them
        best = group.loc[group["sqnr_db"].idxmax()]
        if not steps or round(best["sqnr_db"], 1) > round(steps[-1][2], 1):
            steps.append((str(best["name"]), float(best["bpw"]), float(best["sqnr_db"])))
    if near.empty:
        return steps, None
    low = near.loc[near["sqnr_db"].idxmin()]
    return steps, (str(low["name"]), float(low["bpw"]), float(low["sqnr_db"]))


DODGE = 0.12  # bits per weight between the markers of formats drawn at the same point
NEAR = (0.05, 1.2)  # bits per weight, dB: closer than this, two markers would hide each other


def dodged(bpw: pd.Series, sqnr_db: pd.Series) -> np.ndarray:
    """Where each format's marker is drawn along the bits axis: at its bits per weight, or,
    for formats that cost the same bits and keep nearly the same SQNR (NF4 and Q4_0 at 4.5
    bits per weight, 0.24 dB apart), side by side about it, :data:`DODGE` apart, so every
    marker stays visible (the hover and the table give the exact numbers)."""
    x = np.asarray(bpw, dtype=float).copy()
    y = np.nan_to_num(np.asarray(sqnr_db, dtype=float), nan=-1e9)
    order = np.lexsort((y, np.round(x / NEAR[0])))
    cluster: list[int] = []
    for i in [*order, -1]:
        if cluster and (i < 0 or abs(x[i] - x[cluster[0]]) > NEAR[0]
                        or abs(y[i] - y[cluster[-1]]) > NEAR[1]):  # fmt: skip
            centre = x[cluster[0]]
            for k, j in enumerate(cluster):
                x[j] = centre + (k - (len(cluster) - 1) / 2) * DODGE
            cluster = []
        if i >= 0:
            cluster.append(i)
    return x


def chart_sets(
    table: FormatsTable, r: qv.QuantResult | FormatResult, t: Tr = EN
) -> dict[str, pd.DataFrame]:
    """The chart's datasets: the formats (``x``: where each marker is drawn, see
    :func:`dodged`), the integer line and the page's setting (its name beside its ring:
    a format's, around its marker, or the integer grid's, ``INT8``)."""
    rows = table.rows
    formats = pd.DataFrame({
        "name": [option_label("format", n, t) for n in rows["name"]],
        "series": [family_label(f, t) for f in rows["family"]],
        "bpw": rows["bpw"], "sqnr_db": rows["sqnr_db"].map(charts.finite),
        "mse": rows["mse"], "x": dodged(rows["bpw"], rows["sqnr_db"]),
    })  # fmt: skip
    line = table.line.assign(series=int_line_label(table.group_size, t),
                             sqnr_db=table.line["sqnr_db"].map(charts.finite))  # fmt: skip
    m = r.metrics
    x, name = m["bits_per_weight"], f"INT{r.bits}"  # the integer grid: INT4, INT8, …
    if isinstance(r, FormatResult):
        name = option_label("format", r.format.name, t)
        drawn = formats.loc[rows["name"] == r.format.name, "x"]
        x = float(drawn.iloc[0]) if len(drawn) else x
    current = pd.DataFrame({
        "bits": [r.bits], "bpw": [m["bits_per_weight"]], "x": [x],
        "sqnr_db": [charts.finite(m["sqnr_db"])], "mse": [m["mse"]], "name": [name],
    })  # fmt: skip
    return {"formats": formats, "int": line, "current": current}


def shown_table(table: FormatsTable, t: Tr = EN) -> pd.DataFrame:
    """The table as shown: best SQNR first, numbers as a student reads them."""
    rows = table.rows
    return pd.DataFrame({
        t("text.formats.format", "format"): [option_label("format", n, t) for n in rows["name"]],
        t("text.formats.family", "family"): [family_label(f, t) for f in rows["family"]],
        t("text.formats.bpw", "bits/weight"): [num(v, 4) for v in rows["bpw"]],
        "SQNR (dB)": [db(v, 2).removesuffix(" dB") for v in rows["sqnr_db"]],
        "MSE": [num(v, 3) for v in rows["mse"]],
    })  # fmt: skip


GRID_FORMATS = ("fp4_e2m1", "nf4", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3")
"""The formats whose grids are drawn beside INT4 (the others repeat one of them)."""


@functools.cache
def grids() -> pd.DataFrame:
    """INT4's 16 evenly spaced levels and each of :data:`GRID_FORMATS`' values, every one
    divided by its format's largest value (``format``, ``value`` in [−1, 1]); the same for
    every tensor, so built once (shipped: building it imports ``ml_dtypes``)."""
    found = shipped.grids()
    return found if found is not None else computed_grids()


def computed_grids() -> pd.DataFrame:
    """:func:`grids`, computed with the library."""
    rows = [pd.DataFrame({"format": "int4", "value": np.arange(-8, 8) / 8.0})]
    for name in GRID_FORMATS:
        grid = qv.get_format(name).grid().astype(np.float64)
        rows.append(pd.DataFrame({"format": name, "value": grid / np.abs(grid).max()}))
    return pd.concat(rows, ignore_index=True)


@st.fragment
def show(m: Move) -> None:
    """The chart, what to notice, and the table."""
    data, t, r = m.data, m.t, m.result
    st.subheader(t("text.formats.title", "Formats: which number format for this tensor?"))
    table = view_data(data, t)
    families = list(dict.fromkeys(family_label(f.family, t) for f in qv.formats()))
    line = int_line_label(table.group_size, t)
    spec = formats_spec(families, line, t=t)
    sets = chart_sets(table, r, t)
    st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)
    note = formats_note(*near_4_bits(table.rows), t=t)
    if note:
        st.markdown(note)
    refused = formats_refused(table.refused, data.shape[-1] if data.shape else 1, t)
    if refused:
        st.caption(refused)
    if table.measured < data.size:
        st.caption(formats_sample(data.size, table.measured, t))
    st.dataframe(shown_table(table, t), hide_index=True, width="stretch")
    st.markdown(f"**{t('text.formats.grids_title', 'The grids, side by side')}**")
    spec = grids_spec(t=t)
    st.vega_lite_chart(charts.with_data(spec, {"grids": grids()}), width="stretch", theme=None)
    st.caption(t(
        "text.formats.grids_note",
        "Each format's values divided by its largest. INT4 spaces its 16 levels evenly; the "
        "float formats crowd theirs near 0 and spread them out towards the ends; NF4 puts "
        "its 16 values at the quantiles of a normal distribution.",
    ))  # fmt: skip


def family_label(family: str, t: Tr = EN) -> str:
    """A number format family's name in the legend and the table."""
    labels = {
        "float": t("text.formats.family_float", "FP, one scale per tensor"),
        "mx": t("text.formats.family_mx", "MX, blocks of 32"),
        "nvfp4": t("text.formats.family_nvfp4", "NVFP4, blocks of 16"),
        "codebook": t("text.formats.family_codebook", "NF4 codebook, blocks of 64"),
        "binary": t("text.formats.family_binary", "binary and ternary"),
        "ggml": t("text.formats.family_ggml", "GGML blocks of 32"),
    }
    return labels.get(family, family)


def int_line_label(group_size: int | None, t: Tr = EN) -> str:
    """The integer grid's line: per group of ``group_size`` values, or per tensor (None)."""
    if group_size is None:
        return t("text.formats.int_tensor", "INT, per tensor")
    return t("text.formats.int_groups", "INT, groups of {size}", size=group_size)


def formats_note(steps: list[tuple[str, float, float]], low: tuple[str, float, float] | None,
                 t: Tr = EN) -> str | None:  # fmt: skip
    """The best format per bit budget near 4 bits (``steps``: each budget's best as
    ``(name, bits per weight, SQNR)``, fewest bits first) and the one that keeps the least
    there (``low``), as one sentence (Markdown); None when no format is near 4 bits."""
    if not steps:
        return None
    parts = t("text.formats.budget_separator", "; ").join(
        t("text.formats.budget", "at {bits} bits per weight, **{name}** keeps the most: {sqnr}",
          bits=num(bits, 3), name=option_label("format", name, t), sqnr=db(sqnr))
        for name, bits, sqnr in steps
    )  # fmt: skip
    sentence = t("text.formats.note", "Near 4 bits: {parts}.", parts=parts)
    if low is not None and low[0] not in {name for name, _, _ in steps}:
        sentence += " " + t(
            "text.formats.least", "**{name}** keeps the least there: {sqnr} at {bits} bits.",
            name=option_label("format", low[0], t), sqnr=db(low[2]), bits=num(low[1], 3),
        )  # fmt: skip
    return sentence


def formats_refused(refused: list[tuple[str, int | None]], last: int, t: Tr = EN) -> str | None:
    """The formats left out, in one line: ``(name, block)`` for a format whose block does not
    divide the last dimension (``last``), ``(name, None)`` for one whose scale cannot hold the
    tensor."""
    blocks = [f"{option_label('format', name, t)} ({block})" for name, block in refused
              if block is not None]  # fmt: skip
    other = [option_label("format", name, t) for name, block in refused if block is None]
    parts = []
    if blocks:
        parts.append(t(
            "text.formats.refused_blocks",
            "Left out: {names}; they store blocks of consecutive values along the last "
            "dimension, and this tensor's ({last}) is not a multiple of the block.",
            names=", ".join(blocks), last=f"{last:,}",
        ))  # fmt: skip
    if other:
        parts.append(t(
            "text.formats.refused_other",
            "Left out: {names}; their scales cannot hold this tensor's largest value.",
            names=", ".join(other),
        ))  # fmt: skip
    return " ".join(parts) or None


def formats_sample(size: int, sample: int, t: Tr = EN) -> str:
    """How a big tensor's formats are measured."""
    return t(
        "text.formats.sample",
        "This tensor has {values}: the formats and the integer line are measured on a sample "
        "of {sample} of them, in whole rows (the star uses every value).",
        values=t.count(size, "value"), sample=f"{sample:,}",
    )  # fmt: skip


def formats_spec(series: list[str], line: str, *, height: int = 300, t: Tr = EN) -> dict:
    """Every number format as a point (bits per weight, every stored scale counted, against
    SQNR), coloured by family; the integer grid over 2–8 bits as a line with points; the
    current setting as a ring drawn under the points and named beside it, so the formats
    that cost the same bits (NF4, NVFP4 and Q4_0 at 4.5) all stay visible.

    ``series`` are the families' labels in order and ``line`` the integer line's label (they
    fix colours and shapes); datasets ``formats`` (``name``, ``series``, ``bpw``, ``sqnr_db``,
    ``mse``), ``int`` (``series``, ``bits``, ``bpw``, ``sqnr_db``, ``mse``) and ``current``
    (``bits``, ``bpw``, ``sqnr_db``, ``name``); ``formats`` and ``current`` also give ``x``,
    where the marker is drawn (formats at the same point side by side). Hover a point for its
    numbers.
    """
    domain = [*series, line]
    colours = [SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(series))]
    shapes = [SERIES_SHAPES[i % len(SERIES_SHAPES)] for i in range(len(series))]
    colour = {"field": "series", "type": "nominal", "title": None,
              "scale": {"domain": domain, "range": [*colours, LEVEL]}}  # fmt: skip
    shape = {"field": "series", "type": "nominal", "title": None,
             "scale": {"domain": domain, "range": [*shapes, "circle"]}}  # fmt: skip
    bpw = t("text.formats.bpw_axis", "bits per weight (scales included)")
    sqnr = t("text.chart.sqnr_axis", "SQNR, dB (higher is better)")
    x = {"field": "bpw", "type": "quantitative", "title": bpw,
         "scale": {"zero": True, "nice": True}}  # fmt: skip
    drawn = {**x, "field": "x"}  # a marker's place: at its bits, or beside a twin
    y = {"field": "sqnr_db", "type": "quantitative", "title": sqnr,
         "scale": {"zero": True}, "axis": {"format": "~r", "tickCount": 5}}  # fmt: skip
    common = [
        {"field": "bpw", "type": "quantitative", "title": bpw, "format": ".4~f"},
        {"field": "sqnr_db", "type": "quantitative", "title": "SQNR (dB)", "format": ".2f"},
        {"field": "mse", "type": "quantitative", "title": "MSE", "format": ".4~g"},
    ]
    name = {"field": "name", "title": t("text.formats.format", "format")}
    family = {"field": "series", "title": t("text.formats.family", "family")}
    bits = {"field": "bits", "type": "quantitative", "title": words(t)["bits"]}
    valid = "isValid(datum.sqnr_db)"
    current = {"data": {"name": "current"}, "transform": [{"filter": valid}]}
    ring_mark = {"type": "point", "shape": "circle", "size": 900, "filled": True, "fill": YELLOW,
                 "fillOpacity": 0.35, "stroke": INK, "strokeWidth": 2.5}  # fmt: skip
    label_mark = {"type": "text", "align": "right", "baseline": "bottom", "dx": -14, "dy": -12,
                  "fontSize": TICK_FONT, "fontWeight": "bold", "color": INK}  # fmt: skip
    # the ring under the points (the formats inside it stay visible), its name above
    under = [{**current, "mark": ring_mark,
              "encoding": {"x": drawn, "y": y, "tooltip": [name, bits, *common]}}]  # fmt: skip
    over = [{**current, "mark": label_mark,
             "encoding": {"x": drawn, "y": y, "text": {"field": "name"}}}]  # fmt: skip
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            *under,
            {"data": {"name": "int"}, "transform": [{"filter": valid}],
             "mark": {"type": "line", "strokeWidth": 2, "point": {"filled": True, "size": 40}},
             "encoding": {"x": x, "y": y, "color": colour,
                          "tooltip": [family, bits, *common]}},
            {"data": {"name": "formats"}, "transform": [{"filter": valid}],
             "mark": {"type": "point", "filled": True, "size": 90, "opacity": 0.9,
                      "stroke": "white", "strokeWidth": 1},
             "encoding": {"x": drawn, "y": y, "color": colour, "shape": shape,
                          "tooltip": [name, family, *common]}},
            *over,
        ],
        "padding": {"top": 8, "left": 4, "right": 8, "bottom": 4},
        "config": {**config(), "legend": {**config()["legend"], "columns": 3}},
    }  # fmt: skip


def grids_spec(*, height: int = 230, t: Tr = EN) -> dict:
    """Each format's representable values, scaled to its largest, as ticks on one axis
    (one row per format): evenly spaced integers against floats dense near 0.

    Dataset ``grids`` (``format``, ``value``: in [−1, 1]).
    """
    return {
        "$schema": SCHEMA,
        "height": height,
        "data": {"name": "grids"},
        "mark": {"type": "tick", "thickness": 1.5, "color": QUANTIZED},
        "encoding": {
            "x": {"field": "value", "type": "quantitative", "scale": {"domain": [-1, 1]},
                  "title": t("text.formats.grid_axis", "value ÷ the format's largest value"),
                  "axis": {"format": "~r", "tickCount": 5}},
            "y": {"field": "format", "type": "nominal", "title": None, "sort": None,
                  "axis": {"labelFontSize": TICK_FONT}},
            "tooltip": [{"field": "format", "title": t("text.formats.format", "format")},
                        {"field": "value", "title": "x / max", "format": ".6~g"}],
        },
        "padding": {"top": 8, "left": 4, "right": 10, "bottom": 4},
        "config": config(),
    }  # fmt: skip
