"""The block room (a number format is chosen): one block, opened, as the file stores it.

Its shared scale in its own encoding (E8M0 as a power of two, E4M3, fp16, float32) with
the stored bits; each value, the code stored for it, the element that code decodes to and
the value read back, ``x̂ = element · scale (+ m)``; and the block on one value axis: each
value joined to the level it lands on, the block's levels as ticks. The block with the
largest squared error opens first (the ``block`` setting: 0; 1 is the first block).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.number_formats.block import Block, StoredScale, open_block, worst_block
from quantviz_app import charts
from quantviz_app.data import Data
from quantviz_app.format import num
from quantviz_app.i18n import EN, Tr
from quantviz_app.schema import Settings, option_label, quantize_kwargs
from quantviz_app.widgets import control

MAX_ROWS = 64  # values of a block shown (a per-tensor "block" is the whole tensor)


def opened(s: Settings, data: Data) -> Block:
    """The block the ``block`` setting names (0: the worst), cached per tensor and setting."""
    kwargs = quantize_kwargs(s)
    key = tuple(sorted(kwargs.items()))

    def compute() -> Block:
        r = data.quantized(kwargs)
        index = worst_block(r, data.x) if s["block"] == 0 else min(s["block"], r.n_blocks) - 1
        return open_block(r, data.x, index)

    return data.memo("block", key, s["block"], compute=compute)


def scale_line(scale: StoredScale, t: Tr = EN) -> str:
    """One stored scale: its role, encoding, bits and value (Markdown)."""
    role = {
        "scale": t("text.block.scale", "scale"),
        "tensor_scale": t("text.block.tensor_scale", "tensor scale"),
        "minimum": t("text.block.minimum", "minimum m"),
    }[scale.role]
    value = num(scale.value, 6)
    encoding = {"e8m0": "E8M0", "e4m3": "E4M3"}.get(scale.encoding, scale.encoding)
    if scale.encoding == "e8m0":
        value = f"2^{scale.stored - 127} = {value}"
    return t("text.block.scale_line", "**{role}** ({encoding}): `{bits}` = {value}",
             role=role, encoding=encoding, bits=scale.bit_string,
             value=value)  # fmt: skip


def table(b: Block, t: Tr = EN) -> pd.DataFrame:
    """The block's values, one row each: x, x in the element's units, the stored code, the
    element it decodes to, x̂ and the error (the first :data:`MAX_ROWS`)."""
    n = min(b.values.size, MAX_ROWS)
    return pd.DataFrame({
        "#": np.arange(1, n + 1),
        "x": [num(v, 5) for v in b.values[:n]],
        t("text.block.scaled", "x ÷ scale"): [num(v, 4) for v in b.scaled[:n]],
        t("text.block.code", "stored code"): [b.code_string(i) for i in range(n)],
        t("text.block.element", "element"): [num(v, 4) for v in b.elements[:n]],
        "x̂": [num(v, 5) for v in b.dequantized[:n]],
        t("text.block.error", "error x̂ − x"): [num(v, 3) for v in b.errors[:n]],
        t("text.block.saturated", "saturated"): ["●" if c else "" for c in b.clipped[:n]],
    })  # fmt: skip


def chart_sets(b: Block) -> dict[str, pd.DataFrame]:
    """The number line's datasets: the block's levels, its values and where they land."""
    n = min(b.values.size, MAX_ROWS)
    x, xhat = b.values[:n].astype(float), b.dequantized[:n].astype(float)
    levels = b.levels.astype(float)
    ends = np.concatenate([x, xhat])
    lo, hi = float(ends.min()), float(ends.max())
    pad = 0.05 * (hi - lo or 1.0)
    shown = levels[(levels >= lo - pad) & (levels <= hi + pad)]
    return {
        "levels": charts.levels_frame(shown, np.arange(shown.size), labelled=False),
        "moves": charts.moves_frame(x, xhat, followed=0),
        "domain": charts.lines_frame("x", [lo - pad, hi + pad]),
    }


@st.fragment
def show(s: Settings, data: Data, state: MutableMapping[str, Any]) -> None:
    """The block chooser, the block's scales, its number line and its table."""
    t = Tr(s["lang"])
    label = option_label("format", s["format"], t)
    st.subheader(t("text.block.title", "One block of {format}, opened", format=label))
    try:
        b = opened(s, data)
    except qv.InputError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if s["block"] > b.n_blocks:  # a link's or another tensor's block number: the last block
        state["block"] = b.n_blocks
    pick, about = st.columns([1, 3], vertical_alignment="bottom")
    with pick:
        control("block", t=t, bounds=(0, b.n_blocks))
    with about:
        which = (
            t("text.block.worst", "the block with the largest error")
            if s["block"] == 0
            else t("text.block.chosen", "the block you chose")
        )
        st.markdown(t(
            "text.block.which", "Block **{i} of {n}** ({which}): {values}, {bits}-bit codes.",
            i=f"{b.index + 1:,}", n=f"{b.n_blocks:,}", which=which,
            values=t.count(b.values.size, "value"), bits=b.code_bits,
        ))  # fmt: skip
    st.markdown("  \n".join(scale_line(sc, t) for sc in b.scales))
    st.caption(formula(b, t))
    spec = charts.number_line_spec(height=150, t=t)
    st.vega_lite_chart(charts.with_data(spec, chart_sets(b)), width="stretch", theme=None)
    st.dataframe(table(b, t), hide_index=True, width="stretch")
    if b.values.size > MAX_ROWS:
        st.caption(t("text.block.first_rows", "The first {n} of its {values}.",
                     n=MAX_ROWS, values=t.count(b.values.size, "value")))  # fmt: skip


def formula(b: Block, t: Tr = EN) -> str:
    """How a value is read back, with the block's first value worked through."""
    roles = {sc.role for sc in b.scales}
    rule = t("text.block.rule", "x̂ = element · scale")
    if "tensor_scale" in roles:
        rule = t("text.block.rule_two_level", "x̂ = element · scale · tensor scale")
    if "minimum" in roles:
        rule = t("text.block.rule_minimum", "x̂ = element · scale + m")
    return t(
        "text.block.formula",
        "{rule}. The first value: x = {x} is {scaled} in the element's units, stored as "
        "code `{code}`, which decodes to {element}; read back, x̂ = {xhat}.",
        rule=rule, x=num(b.values[0], 5), scaled=num(b.scaled[0], 4), code=b.code_string(0),
        element=num(b.elements[0], 4), xhat=num(b.dequantized[0], 5),
    )  # fmt: skip
