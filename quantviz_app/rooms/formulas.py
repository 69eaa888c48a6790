"""Room: how the numbers are made. Every formula of the page with this setting's numbers.

Step size, zero point, quantize and back, the MSE split into rounding and clipping, the
SQNR. The operands are shown with the digits that give the shown result, so a student
can redo each line on a calculator. For a number format: what one block stores (its
scales, in their own encodings) and how a value is read back, worked on the block the
Block room opens, then the MSE and the SQNR.
"""

from __future__ import annotations

import math

import streamlit as st

import quantviz as qv
from quantviz.pipeline import QuantResult
from quantviz_app import text
from quantviz_app.format import num, operand_digits, tex
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.rooms import block
from quantviz_app.schema import option_label


def format_formulas(m: Move) -> None:
    """A number format's formulas: its stored scales and the read-back rule, with the
    numbers of the block the Block room opens (the largest error unless one is chosen)."""
    s, t = m.s, m.t
    try:
        b = block.opened(m, s["block"])
    except qv.InputError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.markdown(t(
        "text.formulas.format_block",
        "{format} stores, for each block, its scales (each in its own encoding) and one {bits}-bit "
        "code per value; here block **{i} of {n}**, the one the Block room opens:",
        format=option_label("format", s["format"], t), bits=b.code_bits,
        i=f"{b.index + 1:,}", n=f"{b.n_blocks:,}",
    ))  # fmt: skip
    st.markdown("  \n".join(block.scale_line(sc, t) for sc in b.scales))
    sign = block.scale_sign(s["format"], b, t)
    if sign:
        st.caption(sign)
    st.markdown(block.formula(b, t))


@st.fragment
def show(m: Move) -> None:
    """The formulas, one block per step."""
    t, r = m.t, m.result
    st.subheader(t("text.formulas.title", "How the numbers are made"))
    if not m.integer:
        format_formulas(m)
        st.latex(mse_formula(r, t))
        st.latex(sqnr_formula(r))
        return
    if not r.per_tensor:
        st.caption(
            t(
                "text.formulas.per_rows",
                "Per {granularity}, each {granularity} has its own step size and zero point; "
                "choose per tensor to see them worked out.",
                granularity=t(f"text.granularity.{r.config.granularity}", r.config.granularity),
            )
        )
    st.latex(text.grid_formulas(r, t))
    st.latex(mse_formula(r, t))
    st.latex(sqnr_formula(r))


def mse_formula(r: QuantResult, t: Tr = EN) -> str:
    """The MSE split into rounding and clipping error; the parts add up to the shown total."""
    m = r.metrics
    parts = [m["mse_rounding"], m["mse_clipping"]]
    d = operand_digits(lambda a, b: a + b, parts, show=lambda v: num(v, 3), start=3)
    rounding = t("text.formula.rounding", "rounding")
    clipping = t("text.formula.clipping", "clipping")
    return (
        rf"\mathrm{{MSE}} = \underbrace{{{tex(parts[0], d)}}}_{{\text{{{rounding}}}}}"
        rf" + \underbrace{{{tex(parts[1], d)}}}_{{\text{{{clipping}}}}} = {tex(m['mse'], 3)}"
    )


def sqnr_formula(r: QuantResult) -> str:
    """The SQNR from the mean of x² and the MSE, with numbers that give the shown result."""
    m = r.metrics
    if math.isinf(m["sqnr_db"]):
        return r"\mathrm{SQNR} = 10 \log_{10} \frac{\overline{x^2}}{\mathrm{MSE}} = \infty"
    p, mse = m["signal_power"], m["mse"]
    d = operand_digits(lambda a, b: 10 * math.log10(a / b), [p, mse], show=lambda v: f"{v:.1f}")
    return text.aligned(
        [
            r"\mathrm{SQNR} &= 10 \log_{10} \frac{\overline{x^2}}{\mathrm{MSE}}",
            rf"&= 10 \log_{{10}} \frac{{{tex(p, d)}}}{{{tex(mse, d)}}} = {m['sqnr_db']:.1f}"
            r"\ \mathrm{dB}",
        ]
    )
