"""View 5 (weight files): every tensor of the file at the current settings, to find the layers
that suffer most. A row opens its tensor in the views above."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pandas as pd
import streamlit as st

from quantviz.io import LoadedWeights
from quantviz.model_table import model_table
from quantviz_app import export
from quantviz_app.data import Data
from quantviz_app.format import md_escape

COLUMNS = {
    "tensor": st.column_config.TextColumn("tensor", pinned=True),
    "values": st.column_config.NumberColumn("values", format="localized"),
    "mse": st.column_config.NumberColumn("MSE", format="%.3e"),
    "rmse": st.column_config.NumberColumn("RMSE", format="%.3e"),
    "sqnr_db": st.column_config.NumberColumn("SQNR (dB)", format="%.1f"),
    "max_abs_error": st.column_config.NumberColumn("max |error|", format="%.3e"),
    "clipped_fraction": st.column_config.NumberColumn("clipped", format="percent"),
    "bits_per_weight": st.column_config.NumberColumn("bits/weight", format="%.3f"),
    "size_bytes": st.column_config.NumberColumn("size", format="bytes"),
    "float32_bytes": st.column_config.NumberColumn("float32 size", format="bytes"),
    "dropped": st.column_config.NumberColumn("NaN/Inf dropped", format="localized"),
    "note": st.column_config.TextColumn("note (what had to change)"),
}


def open_row(state: MutableMapping[str, Any], names: list[str], tensor_key: str) -> None:
    """Table callback: open the tensor of the selected row in the views above."""
    rows = state["model_rows"].selection.rows
    if rows:
        state[tensor_key] = names[rows[0]]


@st.fragment
def show(data: Data, weights: LoadedWeights, kwargs: dict, state: MutableMapping[str, Any]) -> None:
    """The whole-model table at ``kwargs`` (``qv.quantize`` keywords)."""
    st.subheader("The whole model at these settings")
    st.markdown(
        "Every floating-point tensor of the file, quantized with the settings above on all of "
        "its values. Sort a column (click its header) to find the layers that suffer most; "
        "select a row to open its tensor above. Where a setting does not fit a tensor (a 1-D "
        "bias has no channels), the *note* column says what was used instead."
    )
    key = tuple(sorted(kwargs.items()))
    table: pd.DataFrame = data.memo(
        "model table", key, compute=lambda: model_table(weights.tensors, **kwargs)
    )
    names = list(table["tensor"])
    tensor_key = "tensor" if data.kind == "sample" else "file_tensor"
    st.dataframe(
        table, hide_index=True, width="stretch", column_config=COLUMNS, key="model_rows",
        on_select=lambda: open_row(state, names, tensor_key), selection_mode="single-row",
    )  # fmt: skip
    left_out = [i for i in weights.infos if i.loaded and not i.quantizable]
    if left_out:
        st.caption(
            "Not in the table (not weights): "
            + ", ".join(f"{md_escape(i.name)} ({i.dtype})" for i in left_out)
        )
    st.download_button(
        "Whole-model table (CSV)", lambda: export.table_csv(table), file_name="model_table.csv",
        mime="text/csv", key="dl_model_table", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
