"""View 3 (tensors with rows): channel by channel, one grid for all against one grid each."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.channels import ChannelStats, channel_stats
from quantviz.fit import fit_settings
from quantviz_app import charts, fitting, text
from quantviz_app.data import Data
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import Settings, option_label, quantize_kwargs

MAX_DRAWN = 1024  # more channels than this are drawn in groups
MAX_VALUES = 2**24  # larger tensors get a sentence: two results of 16.8 M values take ~270 MB


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
        st.info(text.channels_too_big(data.size, MAX_VALUES, t))
        return
    channel_stats_, _ = stats(data, s, t)
    kwargs, notes = variants(s, data.shape, t)
    sets = view_data(m)
    spec = charts.channel_spec(t=t)
    st.vega_lite_chart(charts.with_data(spec, sets), width="stretch", theme=None)
    per_tensor, per_channel = list(kwargs)[:2]
    st.markdown(text.channel_note(channel_stats_, (per_tensor, per_channel), t))
    for note in notes:
        st.caption(note)
