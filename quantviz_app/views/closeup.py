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
from quantviz_app.i18n import EN, Tr
from quantviz_app.schema import Settings, quantize_kwargs

STEPS = 9  # levels in the window, the busiest in the middle


def datasets(data: Data, r: qv.QuantResult, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """The close-up chart's data: original values around the busiest level, and its levels."""
    c = counts.closeup(data.x, r, steps=STEPS)
    s = float(r.scale)
    edges = np.concatenate([c.levels - s / 2, c.levels[-1:] + s / 2])
    title = t(
        "text.closeup.title", "Close-up: {levels} levels, cells {width} wide",
        levels=len(c.levels), width=num(s, 3),
    )  # fmt: skip
    return {
        "original": charts.bins_frame(c.original.edges, c.original.counts),
        "spikes": pd.DataFrame({"level": c.levels, "count": c.counts}),
        "edges": charts.lines_frame("x", edges),
        "titles": charts.titles_frame(closeup=title),
    }


def view_data(s: Settings, data: Data) -> dict[str, pd.DataFrame] | None:
    """The close-up's datasets at these settings, in their language (cached); None without a
    single grid."""
    kwargs = quantize_kwargs(s)
    r = data.quantized(kwargs, arrays=False)
    if not r.per_tensor:
        return None
    key = tuple(sorted(kwargs.items()))
    t = Tr(s["lang"])
    return data.memo("closeup view", key, t.lang, compute=lambda: datasets(data, r, t))


@st.fragment
def show(s: Settings, data: Data) -> None:
    """The close-up chart and what it shows."""
    r = data.quantized(quantize_kwargs(s), arrays=False)
    t = Tr(s["lang"])
    close = view_data(s, data)
    if close is None:
        st.info(
            t(
                "text.closeup.no_grid",
                "Per {granularity}, each {granularity} has its own grid: the close-up needs one "
                "grid. Choose per tensor to see it.",
                granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
            )
        )
        return
    spec = charts.closeup_spec(height=220, t=t)
    st.vega_lite_chart(charts.with_data(spec, close), width="stretch", theme=None)
    st.markdown(text.closeup_note(r, STEPS, t))
