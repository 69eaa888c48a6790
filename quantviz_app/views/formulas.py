"""Room: how the numbers are made. Every formula of the page with this setting's numbers.

Step size, zero point, quantize and back, the MSE split into rounding and clipping, the
SQNR. The operands are shown with the digits that give the shown result, so a student
can redo each line on a calculator.
"""

from __future__ import annotations

import streamlit as st

from quantviz_app import text
from quantviz_app.data import Data
from quantviz_app.i18n import Tr
from quantviz_app.schema import Settings, quantize_kwargs


@st.fragment
def show(s: Settings, data: Data) -> None:
    """The formulas, one block per step."""
    r = data.quantized(quantize_kwargs(s), arrays=False)
    t = Tr(s["lang"])
    st.subheader(t("text.formulas.title", "How the numbers are made"))
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
    st.latex(text.mse_formula(r, t))
    st.latex(text.sqnr_formula(r))
