"""View 3 (tensors with rows): channel by channel, one grid for all against one grid each."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.channels import ChannelStats, channel_stats
from quantviz.fit import fit_settings
from quantviz_app import charts, figures, fitting
from quantviz_app.charts import (
    FONT,
    GREEN,
    INK,
    ORIGINAL,
    QUANTIZED,
    SCHEMA,
    config,
    title_layer,
    words,
)
from quantviz_app.data import Data
from quantviz_app.figures import panel_title, style_axes, with_fonts
from quantviz_app.format import num
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import Settings, option_label, quantize_kwargs

MAX_DRAWN = 1024  # more channels than this are drawn in groups
MAX_VALUES = 2**24  # larger tensors get a sentence: two results of 16.8 M values take ~270 MB

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def variants(s: Settings, shape: tuple[int, ...], t: Tr = EN) -> tuple[dict[str, dict], list[str]]:
    """The ``qv.quantize`` keywords of each grid compared (per tensor first, per channel
    second), by their label in ``t``'s language, fitted to the tensor, and the sentences
    saying what had to change (entropy works per tensor only)."""
    base = quantize_kwargs(s)
    wanted = {t("text.channels.per_tensor", "per tensor"): {**base, "granularity": "tensor"},
              t("text.channels.per_channel", "per channel"):
                  {**base, "granularity": "channel", "axis": s["axis"]}}  # fmt: skip
    if s["granularity"] == "group":
        size = base.get("group_size")
        wanted[t("text.channels.per_group", "per group of {size}", size=size)] = base
    out, notes = {}, []
    for label, kwargs in wanted.items():
        fitted, changes = fit_settings(shape, **kwargs)
        out[label] = fitted
        granularity = str(fitted.get("granularity", "tensor"))
        said = [fitting.note(c, shape, granularity, t) for c in changes]
        notes += [n for n in said if n not in notes]
    return out, notes


def stats(data: Data, s: Settings, t: Tr = EN) -> tuple[ChannelStats, dict[str, qv.QuantResult]]:
    """Per-channel statistics of every variant, by label (cached on what they depend on)."""
    kwargs, _ = variants(s, data.shape, t)
    results = {label: data.quantized(kw) for label, kw in kwargs.items()}
    key = tuple((label, tuple(sorted(kw.items()))) for label, kw in kwargs.items())
    return (
        data.memo("channel stats", s["axis"], key,
                  compute=lambda: channel_stats(data.x, s["axis"], results)),
        results,
    )  # fmt: skip


def datasets(st_: ChannelStats, low: float, high: float, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """The channel chart's data (at most :data:`MAX_DRAWN` entries)."""
    drawn = st_.envelope(MAX_DRAWN)
    index = drawn.index
    mse = pd.concat(
        [
            pd.DataFrame({"channel": index, "grid": label, "mse": m})
            for label, m in drawn.mse.items()
        ],
        ignore_index=True,
    )
    ranges = t("text.channels.ranges_title", "Range of each of the {channels} (axis {axis})",
               channels=t.count(st_.n_channels, "channel"), axis=st_.axis)  # fmt: skip
    dashed = t("text.channels.dashed", "dashed: the one per-tensor range")
    mse_title = t("text.channels.mse_title", "MSE of each channel")
    if drawn.channels is not None:  # too many to draw one by one: each bar, a few neighbours
        k = int(index[1] - index[0])
        dashed = t("text.channels.grouped", "each bar spans {n} neighbouring channels; ",
                   n=k) + dashed  # fmt: skip
        mse_title = t("text.channels.mse_grouped",
                "MSE of each channel (each point: the worst of {n} neighbouring channels)",
                n=k)  # fmt: skip
    return {
        "ranges": pd.DataFrame({"channel": index, "low": drawn.low, "high": drawn.high}),
        "tensor_range": pd.DataFrame({"y": [low, high]}),
        "mse": mse,
        "titles": charts.titles_frame(ranges=f"{ranges}\n{dashed}", mse=mse_title),
    }


def view_data(m: Move) -> dict[str, pd.DataFrame]:
    """The channel chart's datasets at these settings, in their language (cached)."""
    t = m.t
    channel_stats_, results = stats(m.data, m.s, t)
    tensor = next(iter(results.values()))  # per tensor
    return m.data.memo(
        "channel view", m.s["axis"], m.key, t.lang,
        compute=lambda: datasets(channel_stats_, float(tensor.low), float(tensor.high), t),
    )  # fmt: skip


def offered(m: Move) -> bool:
    """Channels are rows: a vector has none."""
    return len(m.data.shape) >= 2


@st.fragment
def show(m: Move) -> None:
    """The channel chart, its note, and what had to change (for a number format, why not)."""
    s, data, t = m.s, m.data, m.t
    if not m.integer:
        st.info(t(
            "text.rooms.channels_format",
            "The channels room compares the integer grid per tensor and per channel; {format} "
            "sets its own scales. Choose INT to compare channels, or open the Block room to see "
            "one of {format}'s blocks.",
            format=option_label("format", s["format"], t),
        ), icon=":material/info:")  # fmt: skip
        return
    st.subheader(t("text.channels.title", "Channel by channel"))
    if data.size > MAX_VALUES:  # what this room allocates is bounded: two quantized copies
        st.info(channels_too_big(data.size, MAX_VALUES, t))
        return
    channel_stats_, _ = stats(data, s, t)
    kwargs, notes = variants(s, data.shape, t)
    sets = view_data(m)
    spec = channel_spec(t=t)
    st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)
    per_tensor, per_channel = list(kwargs)[:2]
    st.markdown(channel_note(channel_stats_, (per_tensor, per_channel), t))
    for note in notes:
        st.caption(note)


def channels_too_big(values: int, most: int, t: Tr = EN) -> str:
    """Why the Channels room does not draw a tensor this big."""
    return t(
        "text.channels.too_big",
        "This tensor holds {values} values; the Channels room compares two grids on tensors of "
        "up to {most} values (each grid keeps a quantized copy of every value). Choose a "
        "smaller tensor, or see every layer's numbers in the Whole model room.",
        values=f"{values:,}", most=f"{most:,}",
    )  # fmt: skip


def channel_note(stats: ChannelStats, labels: tuple[str, str], t: Tr = EN) -> str:
    """What to notice in the per-channel view (Markdown); ``labels`` name the two grids
    compared (as ``stats`` does), in ``t``'s language."""
    a, b = labels
    ratio = stats.amax_ratio()
    mse_a, mse_b = stats.total_mse(a), stats.total_mse(b)
    if mse_b > 0 and mse_a > mse_b:
        gain = t("text.channels.lower", "{ratio}× lower", ratio=f"{mse_a / mse_b:.1f}")
    elif mse_a == mse_b:
        gain = t("text.channels.same", "the same")
    else:
        gain = t("text.channels.not_lower", "no lower")
    return t(
        "text.channels.note",
        "The largest channel reaches {ratio}× further from 0 than the smallest. One grid {a} "
        "is sized for the largest, so small channels fall on few levels; {b} gives each its "
        "own step. Total MSE: {a} {mse_a}, {b} {mse_b} ({gain}).",
        ratio="∞" if math.isinf(ratio) else f"{ratio:.1f}", a=a, b=b,
        mse_a=num(mse_a, 3), mse_b=num(mse_b, 3), gain=gain,
    )  # fmt: skip


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
        "padding": {
            "top": 24 + FONT + 3,
            "left": 4,
            "right": 8,
            "bottom": 4,
        },  # 2 title lines
        "config": config(),
    }


@with_fonts
def channel_figure(sets: Mapping[str, pd.DataFrame], t: Tr = EN) -> Figure:
    """Top: each channel's range and the per-tensor range. Bottom: each channel's MSE."""
    fig = figures.new_figure(5.6)
    top, bottom = fig.subplots(2, 1, sharex=True)
    r = sets["ranges"]
    top.vlines(r["channel"], r["low"], r["high"], color=ORIGINAL,
               linewidth=2 if len(r) <= 128 else 1)  # fmt: skip
    for y in sets["tensor_range"]["y"]:
        top.axhline(y, color=INK, linestyle="--", linewidth=1.6)
    panel_title(top, sets["titles"], "ranges")
    top.set_ylabel(words(t)["value"], fontsize=figures.FONT)
    style_axes(top, counts=False)
    markers, colours = ("o", "s", "^"), (QUANTIZED, ORIGINAL, GREEN)
    for (grid, part), marker, colour in zip(sets["mse"].groupby("grid", sort=False), markers,
                                            colours, strict=False):  # fmt: skip
        part = part[part["mse"] > 0]
        bottom.plot(part["channel"], part["mse"], marker, color=colour, markersize=4,
                    linestyle="none", label=grid)  # fmt: skip
    bottom.set_yscale("log")
    panel_title(bottom, sets["titles"], "mse")
    bottom.set_ylabel(t("text.chart.mse_log", "MSE (log)"), fontsize=figures.FONT)
    bottom.set_xlabel(words(t)["channel"], fontsize=figures.FONT)
    style_axes(bottom, counts=False)
    bottom.legend(fontsize=figures.TICK_FONT, frameon=False, ncols=3, loc="upper right")
    return fig
