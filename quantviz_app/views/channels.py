"""View 3 (tensors with rows): channel by channel, one grid for all against one grid each."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.channels import ChannelStats, channel_stats
from quantviz.fit import fit_settings
from quantviz_app import charts, text
from quantviz_app.data import Data
from quantviz_app.format import count
from quantviz_app.schema import Settings, quantize_kwargs

MAX_DRAWN = 1024  # more channels than this are drawn in groups


def variants(s: Settings, shape: tuple[int, ...]) -> tuple[dict[str, dict], list[str]]:
    """The ``qv.quantize`` keywords of each grid compared, fitted to the tensor, and the
    sentences saying what had to change (entropy works per tensor only)."""
    base = quantize_kwargs(s)
    wanted = {"per tensor": {**base, "granularity": "tensor"},
              "per channel": {**base, "granularity": "channel", "axis": s["axis"]}}  # fmt: skip
    if s["granularity"] == "group":
        wanted[f"per group of {base.get('group_size')}"] = base
    out, notes = {}, []
    for label, kwargs in wanted.items():
        fitted, changes = fit_settings(shape, **kwargs)
        out[label] = fitted
        notes += [c.message for c in changes if c.message not in notes]
    return out, notes


def stats(data: Data, s: Settings) -> tuple[ChannelStats, dict[str, qv.QuantResult]]:
    """Per-channel statistics of every variant (cached on what they depend on)."""
    kwargs, _ = variants(s, data.shape)
    results = {label: data.quantized(kw) for label, kw in kwargs.items()}
    key = tuple((label, tuple(sorted(kw.items()))) for label, kw in kwargs.items())
    return (
        data.memo("channel stats", s["axis"], key,
                  compute=lambda: channel_stats(data.x, s["axis"], results)),
        results,
    )  # fmt: skip


def datasets(st_: ChannelStats, low: float, high: float) -> dict[str, pd.DataFrame]:
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
    grouped = "" if drawn.channels is None else f" (groups of {int(index[1] - index[0])})"
    return {
        "ranges": pd.DataFrame({"channel": index, "low": drawn.low, "high": drawn.high}),
        "tensor_range": pd.DataFrame({"y": [low, high]}),
        "mse": mse,
        "titles": charts.titles_frame(
            ranges=f"Range of each of the {count(st_.n_channels, 'channel')} (axis "
            f"{st_.axis}){grouped}; dashed: the one per-tensor range",
            mse="MSE of each channel",
        ),
    }


def view_data(s: Settings, data: Data) -> dict[str, pd.DataFrame]:
    """The channel chart's datasets at these settings (cached)."""
    channel_stats_, results = stats(data, s)
    tensor = results["per tensor"]
    return data.memo(
        "channel view", s["axis"], tuple(sorted(quantize_kwargs(s).items())),
        compute=lambda: datasets(channel_stats_, float(tensor.low), float(tensor.high)),
    )  # fmt: skip


@st.fragment
def show(s: Settings, data: Data) -> None:
    """The channel chart, its note, and what had to change."""
    st.subheader("Channel by channel")
    channel_stats_, _ = stats(data, s)
    _, notes = variants(s, data.shape)
    sets = view_data(s, data)
    st.vega_lite_chart(charts.with_data(charts.channel_spec(), sets), width="stretch", theme=None)
    st.markdown(text.channel_note(channel_stats_, ("per tensor", "per channel")))
    for note in notes:
        st.caption(note)
