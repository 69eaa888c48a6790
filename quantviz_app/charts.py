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
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

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


def with_data(spec: dict, datasets: Mapping[str, pd.DataFrame]) -> dict:
    """``spec`` with the named ``datasets`` it draws attached (what ``st.vega_lite_chart`` takes).

    Only the datasets the spec names are sent (the browser refuses others). An empty
    dataset is sent as one row of missing values (the browser drops a dataset without
    rows, and the chart would fail); every layer that may be empty leaves out rows with
    missing values.
    """
    used = data_names(spec)
    sets = {
        name: frame if len(frame) else pd.DataFrame([[None] * len(frame.columns)],
                                                    columns=frame.columns)
        for name, frame in datasets.items() if name in used
    }  # fmt: skip
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


def _x(title: str | None, *, labels: bool = True) -> dict:
    return {
        "type": "quantitative",
        "title": title,
        "scale": {"zero": False, "nice": False},
        "axis": {"format": "~r", "labels": labels, "tickCount": 7},
    }


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def finite(value: object) -> float | None:
    """A float for a chart, or None for NaN / ±∞ (Vega leaves such points out)."""
    v = float(value)
    return v if math.isfinite(v) else None


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
    """
    y_scale = {"type": "log", "domainMin": 0.8} if log else {"type": "linear", "zero": True}
    axis_width = AXIS_WIDTH * font // FONT
    w = words(t)
    y = {"field": "count", "type": "quantitative", "title": w["values"], "scale": y_scale,
         "axis": {"labelExpr": COUNT_LABEL, "tickCount": 4, "minExtent": axis_width,
                  "maxExtent": axis_width}}  # fmt: skip
    x = _x(w["value"] if panel == "quantized" else None)
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
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": layers,
        "padding": {"top": 10 + font + (lines - 1) * (font + 3), "left": 4, "right": 10,
                    "bottom": 4},
        "config": config(font),
    }  # fmt: skip


TITLE_LINES = {"original": 1, "quantized": 2}  # the quantized panel: what was done; the levels


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
    return _frame(rows, ["x0", "x1"])


def titles_frame(**texts: str) -> pd.DataFrame:
    """``panel``, ``text``: the title of each panel (in the data, so the spec stays the same)."""
    return pd.DataFrame({"panel": list(texts), "text": list(texts.values())})


# --------------------------------------------------------------- close-up --


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
             "encoding": {"x": {"field": "x", **_x(w["value"])}}},
            {"layer": [
                {"data": {"name": "original"},
                 "mark": {"type": "rect", "color": ORIGINAL, "opacity": 0.6},
                 "encoding": {"x": {"field": "x0", **_x(w["value"])}, "x2": {"field": "x1"},
                              "y": {"field": "count", "type": "quantitative",
                                    "title": t("text.chart.values_per_bin", "values per bin"),
                                    "axis": {
                                        "labelExpr": COUNT_LABEL, "titleColor": ORIGINAL,
                                        "tickCount": 4}}}},
                {"data": {"name": "spikes"},
                 "mark": {"type": "rule", "color": QUANTIZED, "strokeWidth": 3},
                 "encoding": {"x": {"field": "level", **_x(w["value"])}, "y": spike_y,
                              "y2": {"datum": 0}, "tooltip": tooltip}},
            ], "resolve": {"scale": {"y": "independent"}}},
            title_layer("titles"),
        ],
        "padding": {"top": 24, "left": 4, "right": 8, "bottom": 4},
        "config": config(),
    }  # fmt: skip


# -------------------------------------------------------------- staircase --


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
             "encoding": {"x": {"field": "x", **_x(original)},
                          "y": {"field": "y", "type": "quantitative"}}},
            {"data": {"name": "stairs"},
             "mark": {"type": "line", "interpolate": "step-after", "strokeWidth": 2.5},
             "encoding": {
                 "x": {"field": "x", **_x(original)},
                 "y": {"field": "y", "type": "quantitative",
                       "title": t("text.chart.quantized_x", "quantized x̂"),
                       "scale": {"zero": False, "nice": False}, "axis": {"format": "~r"}},
                 "color": {"field": "grid", "type": "nominal", "title": None,
                           "scale": {"range": [QUANTIZED, ORIGINAL, GREEN]}},
                 "strokeDash": {"field": "grid", "type": "nominal", "title": None,
                                "scale": {"range": [[1, 0], [7, 4], [2, 2]]}}}},
            {"data": {"name": "clip"}, "transform": [{"filter": "isValid(datum.x)"}],
             "mark": {"type": "rule", "color": INK, "strokeDash": [6, 4], "strokeWidth": 2},
             "encoding": {"x": {"field": "x", **_x(None)},
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


# --------------------------------------------------------------- channels --


def channel_spec(*, height: int = 150, t: Tr = EN) -> dict:
    """Top: each channel's [min, max] with the one per-tensor range. Bottom: each channel's
    MSE under each grid (log axis). The top title has two lines (what is drawn; what the
    bars and the dashed lines are).

    Datasets: ``ranges`` (``channel``, ``low``, ``high``), ``tensor_range`` (``y``),
    ``mse`` (``channel``, ``grid``, ``mse``), ``titles``.
    """
    w = words(t)
    grid = {"field": "grid", "title": t("text.chart.grid", "grid")}
    x = {"field": "channel", "type": "quantitative", "title": w["channel"],
         "scale": {"nice": False, "zero": False},
         "axis": {"format": "d", "tickCount": 8}}  # fmt: skip
    ranges = {
        "height": height,
        "layer": [
            {"data": {"name": "ranges"},
             "mark": {"type": "rule", "color": ORIGINAL, "strokeWidth": 2},
             "encoding": {"x": {**x, "title": None}, "y": {"field": "low", "type": "quantitative",
                                                          "title": w["value"],
                                                          "axis": {"format": "~r"}},
                          "y2": {"field": "high"},
                          "tooltip": [{"field": "channel", "title": w["channel"]},
                                      {"field": "low", "title": "min", "format": ".4~g"},
                                      {"field": "high", "title": "max", "format": ".4~g"}]}},
            {"data": {"name": "tensor_range"},
             "mark": {"type": "rule", "color": INK, "strokeDash": [6, 4], "strokeWidth": 2},
             "encoding": {"y": {"field": "y", "type": "quantitative"}}},
            {**title_layer("titles", lines=2),
             "transform": [{"filter": "datum.panel === 'ranges'"}]},
        ],
    }  # fmt: skip
    mse = {
        "height": height,
        "layer": [
            {"data": {"name": "mse"}, "transform": [{"filter": "datum.mse > 0"}],
             "mark": {"type": "point", "size": 36, "opacity": 0.9},
             "encoding": {
                 "x": x,
                 "y": {"field": "mse", "type": "quantitative",
                       "title": t("text.chart.mse_log", "MSE (log)"),
                       "scale": {"type": "log"}, "axis": {"format": "~e", "tickCount": 5}},
                 "color": {"field": "grid", "type": "nominal", "title": None,
                           "scale": {"range": [QUANTIZED, ORIGINAL, GREEN]}},
                 "shape": {"field": "grid", "type": "nominal", "title": None,
                           "scale": {"range": ["circle", "square", "triangle-up"]}},
                 "tooltip": [{"field": "channel", "title": w["channel"]}, grid,
                             {"field": "mse", "title": "MSE", "format": ".3~e"}]}},
            {**title_layer("titles"), "transform": [{"filter": "datum.panel === 'mse'"}]},
        ],
    }  # fmt: skip
    return {
        "$schema": SCHEMA,
        "vconcat": [ranges, mse],
        "spacing": 34,
        "resolve": {"scale": {"x": "shared", "y": "independent"}},
        "padding": {"top": 24 + FONT + 3, "left": 4, "right": 8, "bottom": 4},  # 2 title lines
        "config": config(),
    }


# -------------------------------------------------------------- trade-off --


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
    x = _x(w["value"])
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
