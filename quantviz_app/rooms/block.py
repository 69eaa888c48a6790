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
from quantviz_app import charts, widgets
from quantviz_app.format import num
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import Settings, option_label

MAX_ROWS = 64  # values of a block shown (a per-tensor "block" is the whole tensor)


def offered(m: Move) -> bool:
    """A block is a number format's: the integer grid has none."""
    return not m.integer


def opened(m: Move, block: int) -> Block:
    """Block number ``block`` (1 is the first; 0: the one with the largest error), cached
    per tensor and setting."""
    data = m.data

    def compute() -> Block:
        r = m.arrays()
        index = worst_block(r, data.x) if block == 0 else min(block, r.n_blocks) - 1
        return open_block(r, data.x, index)

    return data.memo("block", m.key, block, compute=compute)


def scale_sign(fmt: str, b: Block, t: Tr = EN) -> str | None:
    """Why a block's scale is negative (llama.cpp's Q4_0 and Q5_0: d = x_max / (lowest
    element), x_max the value of largest magnitude, stored exactly as that element), or None."""
    d = next(sc.value for sc in b.scales if sc.role == "scale")
    if d >= 0:
        return None
    lowest = int(qv.get_format(fmt).grid().min())
    x_max = float(b.values[np.argmax(np.abs(b.values))])
    return t(
        "text.block.negative_scale",
        "The scale is negative: {format} stores d = x_max / ({lowest}), where x_max = {x} is "
        "the block's value of largest magnitude, so that value is stored exactly, as element "
        "{lowest}. The page's Scale card shows |d| = {abs}.",
        format=option_label("format", fmt, t), lowest=f"−{-lowest}", x=num(x_max, 5),
        abs=num(abs(d), 6),
    )  # fmt: skip


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
        "x̂": [num(v + 0.0, 5) for v in b.dequantized[:n]],  # + 0.0: −0 reads 0
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


PICK = "block_pick"  # widget key of the block field (the ``block`` setting: empty is 0)


def _picked(state: MutableMapping[str, Any]) -> None:
    """Block-field callback: the block typed, or 0 (the largest error) for an empty field."""
    picked = state.get(PICK)
    state["block"] = 0 if picked is None else int(picked)
    widgets.follow_link()


def pick_block(s: Settings, worst: int, n_blocks: int, state: MutableMapping[str, Any]) -> None:
    """The block field says what it opens: the chosen block's number, or, empty, the number
    of the block with the largest error in grey (``worst``, from 1), the block it opens."""
    t = Tr(s["lang"])
    shown = None if s["block"] == 0 else s["block"]
    if state.get(PICK, -1) != shown:
        state[PICK] = shown  # a link, a tensor, a format: the field follows the setting
    st.number_input(
        t("text.block.pick", "Block (1 to {n})", n=f"{n_blocks:,}"),
        min_value=1,
        max_value=max(n_blocks, 1),
        value=None,  # may be empty (the session holds the block shown)
        step=1,
        key=PICK,
        placeholder=t("text.block.pick_worst", "{i} (largest error)", i=f"{worst:,}"),
        help=t(
            "text.block.pick_help",
            "Type a block's number to open it; empty opens the block with the largest error.",
        ),
        on_change=_picked,
        args=(state,),
    )


@st.fragment
def show(m: Move) -> None:
    """The block chooser, the block's scales, its number line and its table."""
    state, t = m.state, m.t
    s = m.s.replace(block=widgets.read(state)["block"])  # the field is in this fragment
    label = option_label("format", s["format"], t)
    st.subheader(t("text.block.title", "One block of {format}, opened", format=label))
    try:
        if s["block"] > 0:  # a link's or another tensor's block number past the last: the last
            s = s.replace(block=min(s["block"], m.result.n_blocks))
            state["block"] = s["block"]
        b = opened(m, s["block"])
        worst = b if s["block"] == 0 else opened(m, 0)
    except qv.InputError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    pick, about = st.columns([2, 3], vertical_alignment="bottom")
    with pick:
        pick_block(s, worst.index + 1, b.n_blocks, state)
    with about:
        which = (
            t("text.block.worst", "the block with the largest error")
            if b.index == worst.index
            else t("text.block.chosen", "the block you chose")
        )
        st.markdown(t(
            "text.block.which", "Block **{i} of {n}** ({which}): {values}, {bits}-bit codes.",
            i=f"{b.index + 1:,}", n=f"{b.n_blocks:,}", which=which,
            values=t.count(b.values.size, "value"), bits=b.code_bits,
        ))  # fmt: skip
    st.markdown("  \n".join(scale_line(sc, t) for sc in b.scales))
    sign = scale_sign(s["format"], b, t)
    if sign:
        st.caption(sign)
    st.caption(formula(b, t))
    spec = charts.number_line_spec(height=150, codes=False, t=t)
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
        element=num(b.elements[0], 4), xhat=num(b.dequantized[0] + 0.0, 5),
    )  # fmt: skip
