"""View 2: the staircase x → x̂ and the error it makes, split into rounding and clipping."""

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
from quantviz_app.views.histograms import axis_ends


def staircase_datasets(data: Data, r: qv.QuantResult) -> dict[str, pd.DataFrame]:
    """The step line(s), the identity and the clipping boundaries over the value axis."""
    lo, hi = axis_ends(data, r)
    if r.per_tensor:
        grids = [("Q(x)", None)]
        clip = charts.clip_frame(float(r.clip_low), float(r.clip_high))
        title = f"Transfer function: {r.metrics['levels_available']:,} levels"
    else:
        coarse, fine = counts.extreme_grids(r)
        grids = [(f"coarsest grid (#{coarse})", coarse), (f"finest grid (#{fine})", fine)]
        clip = pd.DataFrame({"x": [], "what": []})
        title = f"Transfer function: 2 of {np.size(r.scale):,} grids"
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


def error_datasets(data: Data, r: qv.QuantResult) -> dict[str, pd.DataFrame]:
    """The error histogram by cause, and ±s/2 (±s for stochastic rounding)."""
    e = counts.error_histogram(data.x, r)
    rounding = charts.bins_frame(e.edges, e.rounding).assign(cause="rounding")
    clipping = charts.bins_frame(e.edges, e.clipping).assign(cause="clipping")
    if r.per_tensor:
        half = float(r.scale) if r.config.rounding == "stochastic" else float(r.scale) / 2
        name = "s" if r.config.rounding == "stochastic" else "s/2"
        bounds = pd.DataFrame({"x": [-half, half], "what": [f"−{name}", f"+{name}"]})
    else:
        bounds = pd.DataFrame({"x": [], "what": []})
    k = r.metrics["clipped_count"]
    title = f"Error x̂ − x, max {num(r.metrics['max_abs_error'], 3)}"
    return {
        "rounding": rounding,
        "clipping": clipping,
        "bounds": bounds,
        "titles": charts.titles_frame(error=title + (" (log counts)" if k else "")),
    }


def view_data(s: Settings, data: Data) -> tuple[dict, dict, bool]:
    """The staircase's and the error's datasets at these settings (cached), and whether
    the error needs log counts (some values were clipped)."""
    kwargs = quantize_kwargs(s)
    r = data.quantized(kwargs)
    key = tuple(sorted(kwargs.items()))
    stairs = data.memo("staircase view", key, compute=lambda: staircase_datasets(data, r))
    errors = data.memo("error view", key, compute=lambda: error_datasets(data, r))
    return stairs, errors, bool(r.metrics["clipped_count"])


@st.fragment
def show(s: Settings, data: Data) -> None:
    """The staircase, the error histogram and what to notice."""
    r = data.quantized(quantize_kwargs(s))
    st.subheader("The staircase and the error it makes")
    stairs, errors, log = view_data(s, data)
    row = st.container(horizontal=True)  # (cheaper for the browser than columns)
    row.vega_lite_chart(
        charts.with_data(charts.staircase_spec(), stairs), width="stretch", theme=None
    )
    row.vega_lite_chart(
        charts.with_data(charts.error_spec(log=log), errors), width="stretch", theme=None
    )
    st.markdown(text.staircase_note(r))
