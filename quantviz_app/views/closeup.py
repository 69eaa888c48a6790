"""Room: a close-up of a few levels, where the collapse shows at any bit width, 1 to 16.

The original values on bins an eighth of a step wide (bars), each level's values
(spikes), each level's cell (dashed edges): every value between two edges lands on
the level between them. Per tensor only (per channel there is no single grid).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz import counts
from quantviz_app import charts, text
from quantviz_app.data import Data
from quantviz_app.format import num
from quantviz_app.schema import Settings, quantize_kwargs

STEPS = 9  # levels in the window, the busiest in the middle


def datasets(data: Data, r: qv.QuantResult) -> dict[str, pd.DataFrame]:
    """The close-up chart's data: original values around the busiest level, and its levels."""
    c = counts.closeup(data.x, r, steps=STEPS)
    s = float(r.scale)
    edges = np.concatenate([c.levels - s / 2, c.levels[-1:] + s / 2])
    return {
        "original": charts.bins_frame(c.original.edges, c.original.counts),
        "spikes": pd.DataFrame({"level": c.levels, "count": c.counts}),
        "edges": charts.lines_frame("x", edges),
        "titles": charts.titles_frame(
            closeup=f"Close-up: {len(c.levels)} levels, cells {num(s, 3)} wide"
        ),
    }


def view_data(s: Settings, data: Data) -> dict[str, pd.DataFrame] | None:
    """The close-up's datasets at these settings (cached); None without a single grid."""
    kwargs = quantize_kwargs(s)
    r = data.quantized(kwargs, arrays=False)
    if not r.per_tensor:
        return None
    key = tuple(sorted(kwargs.items()))
    return data.memo("closeup view", key, compute=lambda: datasets(data, r))


@st.fragment
def show(s: Settings, data: Data) -> None:
    """The close-up chart and what it shows."""
    r = data.quantized(quantize_kwargs(s), arrays=False)
    close = view_data(s, data)
    if close is None:
        st.info(
            f"Per {r.config.granularity}, each {r.config.granularity} has its own grid: the "
            "close-up needs one grid. Choose per tensor to see it."
        )
        return
    st.vega_lite_chart(
        charts.with_data(charts.closeup_spec(height=220), close), width="stretch", theme=None
    )
    st.markdown(text.closeup_note(r, STEPS))
