"""Pictures drawn by the browser: Vega-Lite specs and their data, built from the core's counts.

Each chart is two parts:

* a **spec** (a plain dict) that depends only on the chart's structure (log or
  linear counts, one grid or many), never on the numbers; and
* **datasets**: small DataFrames of counts, levels and lines, passed to the spec by
  name (:func:`with_data`).

Because a bit-slider move changes only the datasets, the browser updates the
chart in place instead of building it again. Everything shown is computed by
``quantviz`` (:mod:`quantviz.counts`, ``QuantResult``, ``qv.sweep``); this module
only arranges it. Colours are Okabe & Ito's (readable with any colour vision), and
original and quantized differ by more than colour (bars against spikes, separate
panels, titles).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from quantviz.counts import Histogram
from quantviz_app.i18n import EN, Tr

ORIGINAL = "#0072B2"  # blue
QUANTIZED = "#D55E00"  # vermillion
GREEN = "#009E73"
PURPLE = "#CC79A7"
ORANGE = "#E69F00"
SKY = "#56B4E9"
YELLOW = "#F0E442"
INK = "#222222"
LEVEL = "#9A9A9A"
SHADE = "#E4E4E4"
SERIES_COLOURS = (ORIGINAL, QUANTIZED, GREEN, PURPLE, ORANGE, SKY, INK, YELLOW)
SERIES_SHAPES = ("circle", "square", "triangle-up", "diamond", "triangle-down", "cross")
SERIES_DASHES = ([1, 0], [8, 4], [8, 3, 2, 3], [2, 3], [12, 3], [4, 4])

COUNT_LABEL = "datum.value == 0 ? '0' : format(datum.value, '~s')"  # 0, 500, 5k, 1.2M
FONT = 16  # px: axis titles and chart titles, readable from the back of a room
TICK_FONT = 14
PROJECTOR_FONT = 20  # px: the class view's titles (its ticks 18 px), for a whole room to read
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# Vega has no star symbol: a five-pointed star as an SVG path in [-1, 1]².
STAR = (
    "M0,-1L0.235,-0.324L0.951,-0.309L0.38,0.124L0.588,0.809L0,0.4L-0.588,0.809L-0.38,0.124"
    "L-0.951,-0.309L-0.235,-0.324Z"
)


def words(t: Tr = EN) -> dict[str, str]:
    """The words the charts share (axis titles, hover labels), in ``t``'s language."""
    return {
        "value": t("text.hist.axis", "value"),
        "values": t("text.hist.axis_count", "values"),
        "from": t("text.chart.from", "from"),
        "to": t("text.chart.to", "to"),
        "level": t("text.chart.level", "level"),
        "code": t("text.chart.code", "code q"),
        "error": t("text.chart.error", "error"),
        "channel": t("text.chart.channel", "channel"),
        "bits": t("text.chart.bits", "bits"),
    }


def config(font: int = FONT) -> dict:
    """Fonts and axes shared by every chart: titles ``font`` px, tick labels 2 px smaller."""
    tick = font - (FONT - TICK_FONT)
    return {
        "font": "sans-serif",
        "axis": {"labelFontSize": tick, "titleFontSize": font, "titleFontWeight": "normal",
                 "gridColor": "#E6E6E6", "labelLimit": 120},
        "title": {"fontSize": font, "fontWeight": "normal", "anchor": "start"},
        "legend": {"labelFontSize": tick, "titleFontSize": tick, "orient": "bottom",
                   "symbolSize": 140, "symbolStrokeWidth": 2.5, "labelLimit": 260},
        "view": {"stroke": None},
    }  # fmt: skip


def data_names(spec: object) -> set[str]:
    """The names of the datasets a spec draws (``{"data": {"name": …}}`` anywhere in it)."""
    if isinstance(spec, dict):
        found = {spec["data"]["name"]} if isinstance(spec.get("data"), dict) and "name" in \
            spec["data"] else set()  # fmt: skip
        return found.union(*(data_names(v) for v in spec.values()))
    if isinstance(spec, list):
        return set().union(*(data_names(v) for v in spec))
    return set()


def sendable(frame: pd.DataFrame | bytes) -> pd.DataFrame | bytes:
    """A dataset as the browser takes it: an empty one as one row of missing values (the
    browser drops a dataset without rows, and the chart would fail); Arrow bytes as they are."""
    if isinstance(frame, bytes) or len(frame):
        return frame
    return pd.DataFrame([[None] * len(frame.columns)], columns=frame.columns)


def arrow(frame: pd.DataFrame) -> bytes:
    """A dataset as Arrow IPC bytes, what ``st.vega_lite_chart`` sends (converted once and
    kept, where a chart's data is the same move after move: the browser then receives the
    same bytes and redraws nothing)."""
    table = pa.Table.from_pandas(sendable(frame), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def with_data(spec: dict, datasets: Mapping[str, pd.DataFrame | bytes]) -> dict:
    """``spec`` with the named ``datasets`` it draws attached (what ``st.vega_lite_chart`` takes).

    Only the datasets the spec names are sent (the browser refuses others), each
    :func:`sendable` (every layer that may be empty leaves out rows with missing values).
    A dataset may be DataFrame or Arrow bytes (:func:`arrow`).
    """
    used = data_names(spec)
    sets = {name: sendable(frame) for name, frame in datasets.items() if name in used}
    return {**spec, "datasets": sets, "autosize": {"type": "fit-x", "contains": "padding"}}


def title_layer(dataset: str, *, lines: int = 1, size: int = FONT) -> dict:
    """A chart's title as a text layer drawn from ``dataset`` (column ``text``), so a title
    that changes with the data updates the chart in place (a spec title would rebuild it).

    ``lines``: how many lines the title holds (split at ``\\n``), stacked upwards from just
    above the plot, so the chart's padding must leave room for them. A line longer than
    the plot is cut with "…" rather than allowed to widen the chart: a text wider than the
    plot would make Vega shrink the plot to fit it.
    """
    line_height = size + 3
    return {"data": {"name": dataset},
            "mark": {"type": "text", "align": "left", "baseline": "bottom", "fontSize": size,
                     "lineHeight": line_height, "lineBreak": "\n", "x": 0,
                     "y": -8 - (lines - 1) * line_height, "color": INK,
                     "limit": {"expr": "width"}},
            "encoding": {"text": {"field": "text"}}}  # fmt: skip


def x_encoding(title: str | None, *, labels: bool = True) -> dict:
    return {
        "type": "quantitative",
        "title": title,
        "scale": {"zero": False, "nice": False},
        "axis": {"format": "~r", "labels": labels, "tickCount": 7},
    }


def records_frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def finite(value: object) -> float | None:
    """A float for a chart, or None for NaN / ±∞ (Vega leaves such points out)."""
    v = float(value)
    return v if math.isfinite(v) else None


# ---------------------------------------------------- the bit width in the browser --

BITS_EVENT = "quantviz-bits"
"""The event the page's script (``components/follow.js``) sends on the document's root element
when the bit slider moves; the root element's ``value`` is then the slider's value."""

SHOWN = (
    "isValid(slider) && indexof(pluck(data('{widths}'), 'bits'), toNumber(slider)) >= 0"
    " ? toNumber(slider) : (length(data('now')) ? data('now')[0].bits : 0)"
)


def follow_params(widths: str) -> list[dict]:
    """The params of a chart that follows the bit slider in the browser (Vega-Lite).

    ``slider`` is the slider's value as the page's script reports it: bound to the document's
    root element (Vega's external element binding, event :data:`BITS_EVENT`), so it is there
    whenever the chart is drawn. ``shown`` is the bit width drawn: the slider's when the
    dataset ``widths`` holds rows for it, else the one the server drew last (the ``now``
    dataset: one row, ``bits``). A layer that changes with the bit width draws the rows of
    ``datum.bits == shown`` (:func:`at_shown_width`).
    """
    return [
        {"name": "slider", "bind": {"element": "html", "event": BITS_EVENT}},
        {"name": "shown", "expr": SHOWN.format(widths=widths)},
    ]


def at_shown_width(layer: dict) -> dict:
    """``layer`` drawing only the rows of the bit width shown (see :func:`follow_params`)."""
    return {**layer, "transform": [{"filter": "datum.bits == shown"}, *layer.get("transform", [])]}


NOW_LAYER = {"data": {"name": "now"}, "mark": {"type": "point", "opacity": 0},
             "encoding": {"x": {"value": 0}, "y": {"value": 0}}}  # fmt: skip
"""Draws nothing; keeps the ``now`` dataset in the chart (Vega-Lite leaves out data no layer
draws, and :func:`follow_params` reads it)."""


def by_width(sets: Mapping[int, Mapping[str, pd.DataFrame]],
             per_width: tuple[str, ...]) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The datasets of several bit widths as one set: each of ``per_width`` stacked with a
    ``bits`` column (the width it belongs to), every other one once (they do not depend on
    the width). ``sets``: each width's datasets by name."""
    first = next(iter(sets.values()))
    out = {name: frame for name, frame in first.items() if name not in per_width}
    for name in per_width:
        frames = [f[name].assign(bits=bits) for bits, f in sets.items() if len(f[name])]
        out[name] = pd.concat(frames, ignore_index=True) if frames else first[name].assign(bits=[])
    return out


def now_frame(bits: int) -> pd.DataFrame:
    """The ``now`` dataset: the bit width the server drew (one row)."""
    return pd.DataFrame({"bits": [bits]})


# ------------------------------------------------------------ histograms --


AXIS_WIDTH = 40  # px kept for a count axis, so stacked charts line up


def histogram_spec(
    panel: str, *, log: bool, height: int = 150, t: Tr = EN, font: int = FONT
) -> dict:
    """One panel of the histogram view: ``panel`` is ``"original"`` (filled bars) or
    ``"quantized"`` (one spike per level, a dot on each used level, or bars of counts per
    bin when the levels are too many to draw; the grid's levels, its clipping boundaries
    dashed and the clipped regions shaded). The original panel draws only the values, so
    its picture (and data) stays the same while the bit width changes.

    The two panels are stacked as two charts with the same value axis: both draw the
    ``domain`` dataset (the axis ends, invisible) and keep :data:`AXIS_WIDTH` for their
    count axis, so their value axes line up exactly.

    Datasets: ``original`` and ``qbins`` (``x0``, ``x1``, ``count``: equal bins),
    ``spikes`` (``level``, ``code``, ``count``: one row per used level), ``levels``
    (``level``: the grid, drawn faintly), ``clip`` (``x``, ``what``: the clipping
    boundaries), ``shade`` (``x0``, ``x1``: beyond them), ``title_original`` and
    ``title_quantized`` (``text``) and ``domain`` (``x``: the two ends of the value axis).
    ``t``: the language of its axes and hover labels; ``font``: its titles' size in px
    (:data:`PROJECTOR_FONT` in the class view), the ticks 2 px smaller.

    The chart follows the bit slider in the browser (:func:`follow_params`): the datasets
    of :data:`PER_WIDTH` may hold several bit widths (a ``bits`` column, :func:`by_width`),
    of which it draws the one shown; ``now`` (:func:`now_frame`) says which the server drew.
    """
    y_scale = {"type": "log", "domainMin": 0.8} if log else {"type": "linear", "zero": True}
    axis_width = AXIS_WIDTH * font // FONT
    w = words(t)
    y = {"field": "count", "type": "quantitative", "title": w["values"], "scale": y_scale,
         "axis": {"labelExpr": COUNT_LABEL, "tickCount": 4, "minExtent": axis_width,
                  "maxExtent": axis_width}}  # fmt: skip
    x = x_encoding(w["value"] if panel == "quantized" else None)
    base = 0.8 if log else 0
    bins_tooltip = [
        {"field": "x0", "title": w["from"], "format": ".4~g"},
        {"field": "x1", "title": w["to"], "format": ".4~g"},
        {"field": "count", "title": w["values"], "format": ","},
    ]
    spike_tooltip = [
        {"field": "level", "title": w["level"], "format": ".4~g"},
        {"field": "code", "title": w["code"]},
        {"field": "count", "title": w["values"], "format": ","},
    ]
    layers = [{"data": {"name": "domain"}, "mark": {"type": "point", "opacity": 0},
               "encoding": {"x": {"field": "x", **x}}}]  # fmt: skip
    if panel == "quantized":  # the grid: only below, so the original stays the same picture
        layers = [
            {"data": {"name": "shade"}, "transform": [{"filter": "isValid(datum.x0)"}],
             "mark": {"type": "rect", "color": SHADE},
             "encoding": {"x": {"field": "x0", **x}, "x2": {"field": "x1"}}},
            {"data": {"name": "levels"}, "transform": [{"filter": "isValid(datum.level)"}],
             "mark": {"type": "rule", "color": LEVEL, "strokeWidth": 1, "opacity": 0.7},
             "encoding": {"x": {"field": "level", **x}}},
            *layers,
        ]  # fmt: skip
    if panel == "original":
        layers.append(
            {"data": {"name": "original"},
             "mark": {"type": "rect", "color": ORIGINAL, "opacity": 0.9},
             "encoding": {"x": {"field": "x0", **x}, "x2": {"field": "x1"}, "y": y,
                          "y2": {"datum": base}, "tooltip": bins_tooltip}}
        )  # fmt: skip
    else:
        layers += [
            {"data": {"name": "qbins"},
             "mark": {"type": "rect", "color": QUANTIZED, "opacity": 0.85},
             "encoding": {"x": {"field": "x0", **x}, "x2": {"field": "x1"},
                          "y": y, "y2": {"datum": base},
                          "tooltip": bins_tooltip}},
            {"data": {"name": "spikes"},
             "mark": {"type": "rule", "color": QUANTIZED, "strokeWidth": 3},
             "encoding": {"x": {"field": "level", **x}, "y": y, "y2": {"datum": base},
                          "tooltip": spike_tooltip}},
            {"data": {"name": "spikes"},
             "mark": {"type": "point", "filled": True, "color": QUANTIZED, "size": 45,
                      "opacity": 1},
             "encoding": {"x": {"field": "level", **x}, "y": y, "tooltip": spike_tooltip}},
        ]  # fmt: skip
    if panel == "quantized":
        layers.append(
            {"data": {"name": "clip"}, "transform": [{"filter": "isValid(datum.x)"}],
             "mark": {"type": "rule", "color": INK, "strokeDash": [6, 4], "strokeWidth": 2},
             "encoding": {"x": {"field": "x", **x},
                          "tooltip": [{"field": "what", "title": " "},
                                      {"field": "x", "title": w["value"], "format": ".4~g"}]}}
        )  # fmt: skip
    lines = TITLE_LINES[panel]
    layers.append(title_layer(f"title_{panel}", lines=lines, size=font))
    layers = [at_shown_width(x) if x["data"]["name"] in PER_WIDTH else x for x in layers]
    return {
        "$schema": SCHEMA,
        "height": height,
        "params": follow_params("domain"),
        "layer": [NOW_LAYER, *layers],
        "padding": {"top": 10 + font + (lines - 1) * (font + 3), "left": 4, "right": 10,
                    "bottom": 4},
        "config": config(font),
    }  # fmt: skip


TITLE_LINES = {"original": 1, "quantized": 2}  # the quantized panel: what was done; the levels
PER_WIDTH = ("qbins", "spikes", "levels", "clip", "shade", "title_quantized", "domain")
"""The histograms' datasets that change with the bit width (the original's do not)."""


def histogram_frames(
    original: Histogram, title_original: str, title_quantized: str, *,
    qbins: pd.DataFrame, spikes: pd.DataFrame, levels: np.ndarray, clip: pd.DataFrame,
    shade: pd.DataFrame, domain: tuple[float, float],
) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The histogram chart's datasets by name (:func:`histogram_spec` reads them)."""
    return {
        "original": bins_frame(original.edges, original.counts),
        "qbins": qbins,
        "spikes": spikes,
        "levels": lines_frame("level", levels),
        "clip": clip,
        "shade": shade,
        "title_original": pd.DataFrame({"text": [title_original]}),
        "title_quantized": pd.DataFrame({"text": [title_quantized]}),
        "domain": lines_frame("x", list(domain)),
    }


def bins_frame(edges: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """``x0``, ``x1``, ``count`` of a histogram's non-empty bins (an empty bin draws nothing,
    and leaving it out spares the browser a filter)."""
    keep = np.asarray(counts) > 0
    return pd.DataFrame({"x0": edges[:-1][keep], "x1": edges[1:][keep], "count": counts[keep]})


def spikes_frame(levels: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """``level``, ``code``, ``count``: one row per used level."""
    keep = counts > 0
    return pd.DataFrame({"level": levels[keep], "code": codes[keep], "count": counts[keep]})


def lines_frame(column: str, values: object, **extra: object) -> pd.DataFrame:
    """One column of values (levels, boundaries), plus constant columns."""
    frame = pd.DataFrame({column: np.asarray(values, dtype=np.float64).ravel()})
    for name, value in extra.items():
        frame[name] = value
    return frame


def clip_frame(low: float, high: float, t: Tr = EN) -> pd.DataFrame:
    """``x``, ``what``: the two clipping boundaries."""
    return pd.DataFrame({"x": [low, high], "what": [
        t("text.chart.clip_low", "clipping boundary (low)"),
        t("text.chart.clip_high", "clipping boundary (high)"),
    ]})  # fmt: skip


def shade_frame(left: float, right: float, clip_low: float, clip_high: float) -> pd.DataFrame:
    """The regions beyond the clipping boundaries, to the ends of the value axis."""
    rows = []
    if clip_low > left:
        rows.append({"x0": left, "x1": clip_low})
    if clip_high < right:
        rows.append({"x0": clip_high, "x1": right})
    return records_frame(rows, ["x0", "x1"])


def titles_frame(**texts: str) -> pd.DataFrame:
    """``panel``, ``text``: the title of each panel (in the data, so the spec stays the same)."""
    return pd.DataFrame({"panel": list(texts), "text": list(texts.values())})


# --------------------------------------------------------------- close-up --


# -------------------------------------------------------------- staircase --


# --------------------------------------------------------------- channels --


# -------------------------------------------------------------- trade-off --


# ------------------------------------------------------------ number line --

CODE_ROW = -0.38  # the values sit at 1, the levels they land on at 0, the codes below
LABEL_ROWS = "datum.value == 1 ? 'x' : datum.value == 0 ? 'x̂' : 'q'"


def number_line_spec(*, height: int = 170, codes: bool = True, t: Tr = EN) -> dict:
    """The worked example on one value axis: each value ``x`` (top row) joined to the level
    ``x̂`` it lands on (bottom row), the grid's levels as ticks with their codes (a row
    ``q``; ``codes=False``: no code row, for levels drawn without their codes).

    Datasets: ``levels`` (``level``, ``code``: the grid, when few enough to draw),
    ``moves`` (``n``, ``x``, ``xhat``, ``followed``: one per value; ``xhat`` missing while
    the student predicts where the values land), ``domain`` (``x``:
    the axis ends).
    """
    w = words(t)
    x = x_encoding(w["value"])
    x["axis"] = {**x["axis"], "grid": False}
    rows = {"field": "row", "type": "quantitative", "title": None,
            "scale": {"domain": [-0.55 if codes else -0.3, 1.25]},
            "axis": {"values": [CODE_ROW, 0, 1] if codes else [0, 1], "grid": False,
                     "domain": False, "ticks": False, "labelFontSize": FONT,
                     "labelExpr": LABEL_ROWS}}  # fmt: skip
    highlight = {"condition": {"test": "datum.followed", "value": INK}, "value": LEVEL}
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "domain"}, "mark": {"type": "point", "opacity": 0},
             "encoding": {"x": {"field": "x", **x}}},
            {"data": {"name": "levels"}, "transform": [{"filter": "isValid(datum.level)"},
                                                       {"calculate": "-0.12", "as": "row"},
                                                       {"calculate": "0.12", "as": "row2"}],
             "mark": {"type": "rule", "color": LEVEL, "strokeWidth": 2},
             "encoding": {"x": {"field": "level", **x}, "y": rows, "y2": {"field": "row2"},
                          "tooltip": [{"field": "code", "title": w["code"]},
                                      {"field": "level", "title": w["level"], "format": ".6~g"}]}},
            {"data": {"name": "levels"}, "transform": [{"filter": "isValid(datum.label)"},
                                                       {"calculate": str(CODE_ROW), "as": "row"}],
             "mark": {"type": "text", "fontSize": TICK_FONT, "color": INK},
             "encoding": {"x": {"field": "level", **x}, "y": rows, "text": {"field": "label"}}},
            {"data": {"name": "moves"}, "transform": [{"filter": "isValid(datum.xhat)"},
                                                      {"calculate": "1", "as": "row"},
                                                      {"calculate": "0", "as": "row2"}],
             "mark": {"type": "rule", "strokeWidth": 2},
             "encoding": {"x": {"field": "x", **x}, "x2": {"field": "xhat"}, "y": rows,
                          "y2": {"field": "row2"}, "color": highlight}},
            {"data": {"name": "moves"}, "transform": [{"filter": "isValid(datum.x)"},
                                                      {"calculate": "1", "as": "row"}],
             "mark": {"type": "point", "filled": True, "color": ORIGINAL, "opacity": 1},
             "encoding": {"x": {"field": "x", **x}, "y": rows,
                          "size": {"condition": {"test": "datum.followed", "value": 260},
                                   "value": 110},
                          "tooltip": [{"field": "n", "title": t("text.chart.value_number",
                                                                 "value #")},
                                      {"field": "x", "title": "x", "format": ".6~g"},
                                      {"field": "xhat", "title": "x̂", "format": ".6~g"}]}},
            {"data": {"name": "moves"}, "transform": [{"filter": "isValid(datum.xhat)"},
                                                      {"calculate": "0", "as": "row"}],
             "mark": {"type": "point", "filled": True, "color": QUANTIZED, "opacity": 1,
                      "shape": "square"},
             "encoding": {"x": {"field": "xhat", **x}, "y": rows,
                          "size": {"condition": {"test": "datum.followed", "value": 260},
                                   "value": 110}}},
        ],
        "padding": {"top": 8, "left": 4, "right": 10, "bottom": 4},
        "config": config(),
    }  # fmt: skip


def levels_frame(levels: np.ndarray, codes: np.ndarray, *, labelled: bool) -> pd.DataFrame:
    """``level``, ``code`` and ``label`` (the code as text, or missing when ``labelled`` is
    False: too many levels to label)."""
    labels = [str(int(c)) if labelled else None for c in codes]
    return pd.DataFrame({"level": np.asarray(levels, float), "code": np.asarray(codes, int),
                         "label": labels})  # fmt: skip


def moves_frame(x: np.ndarray, xhat: np.ndarray, followed: int) -> pd.DataFrame:
    """``n`` (from 1), ``x``, ``xhat`` and ``followed`` (the value walked through)."""
    n = np.arange(1, len(x) + 1)
    return pd.DataFrame({"n": n, "x": np.asarray(x, float), "xhat": np.asarray(xhat, float),
                         "followed": n == followed})  # fmt: skip


# ------------------------------------------------------------ formats --
