"""View 5 (weight files): every tensor of the file at the current settings, to find the layers
that suffer most. A row opens its tensor in the views above."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import pandas as pd
import streamlit as st

from quantviz.io import LoadedWeights
from quantviz.model_table import model_table
from quantviz_app import export, sources
from quantviz_app.data import Data
from quantviz_app.format import md_escape
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move


def columns(t: Tr = EN) -> dict:
    """How the table's columns are headed and formatted, in ``t``'s language."""
    number = st.column_config.NumberColumn
    return {
        "tensor": st.column_config.TextColumn(t("text.model.tensor", "tensor"), pinned=True),
        "shape": st.column_config.TextColumn(t("text.model.shape", "shape")),
        "format": st.column_config.TextColumn(t("text.model.format", "format")),
        "granularity": st.column_config.TextColumn(t("text.model.granularity", "granularity")),
        "values": number(t("text.model.values", "values"), format="localized"),
        "mse": number("MSE", format="%.3e"),
        "rmse": number("RMSE", format="%.3e"),
        "sqnr_db": number("SQNR (dB)", format="%.1f"),
        "max_abs_error": number(t("text.model.max_error", "max |error|"), format="%.3e"),
        "clipped_fraction": number(t("text.model.clipped", "clipped"), format="percent"),
        "bits_per_weight": number(t("text.model.bits", "bits/weight"), format="%.3f"),
        "size_bytes": number(t("text.model.size", "size"), format="bytes"),
        "float32_bytes": number(t("text.model.float32_size", "float32 size"), format="bytes"),
        "dropped": number(t("text.model.dropped", "NaN/Inf dropped"), format="localized"),
        "note": st.column_config.TextColumn(t("text.model.note", "note (what had to change)")),
    }


COLUMN_ORDER = ("tensor", "sqnr_db", "clipped_fraction", "mse", "max_abs_error",
                "bits_per_weight", "size_bytes", "shape", "values", "format", "granularity",
                "rmse", "float32_bytes", "dropped", "note")  # fmt: skip
"""What a teacher compares first next to the tensor's name, on a 1024-px screen without
scrolling sideways: its SQNR and clipped share."""

PROGRESS_EVERY = 0.1  # seconds between two redraws of the progress bar


def compute_table(data: Data, weights: LoadedWeights, kwargs: dict, t: Tr = EN) -> pd.DataFrame:
    """The whole-model table at ``kwargs``: from the cache at once, or computed with a progress
    bar that names the tensor being quantized (a large file takes seconds)."""
    key = tuple(sorted(kwargs.items()))
    if data.has("model table", key):
        return data.memo("model table", key, compute=lambda: model_table(weights.tensors, **kwargs))
    bar = st.progress(0.0, text=t("text.model.progress_start", "Quantizing every tensor…"))
    last = [0.0]

    def tick(done: int, total: int | None, name: str) -> None:
        now = time.monotonic()
        if total and name and now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            text = t(
                "text.model.progress",
                "Quantizing tensor {done} of {total}: {name}",
                done=done + 1, total=total, name=md_escape(name),
            )  # fmt: skip
            bar.progress(min(done / total, 1.0), text=text)

    try:
        return data.memo(
            "model table",
            key,
            compute=lambda: model_table(weights.tensors, progress=tick, **kwargs),
        )
    finally:
        bar.empty()


OPENED = "_model_row_opened"  # session flag: a row was selected, the page must follow


def open_row(state: MutableMapping[str, Any], names: list[str], tensor_key: str) -> None:
    """Table callback: open the tensor of the selected row in the views above (the
    fragment then reruns the whole page: the header, the histograms and the link)."""
    rows = state["model_rows"].selection.rows
    if rows and state.get(tensor_key) != names[rows[0]]:
        state[tensor_key] = names[rows[0]]
        state[OPENED] = True


def offered(m: Move) -> bool:
    """A file's tensors have a whole model; a synthetic tensor has none."""
    return m.data.kind != "synthetic"


@st.fragment
def show(m: Move) -> None:
    """The whole-model table at the page's settings, in the page's language."""
    data, state, t, kwargs = m.data, m.state, m.t, m.kwargs
    weights = sources.weights_of(data, state)
    if state.pop(OPENED, False):
        st.rerun(scope="app")  # a row opened its tensor: everything above must follow
    st.subheader(t("text.model.title", "The whole model at these settings"))
    st.markdown(
        t(
            "text.model.intro",
            "Every floating-point tensor of the file, quantized with the settings above on all "
            "of its values. Sort a column (click its header) to find the layers that suffer "
            "most; select a row to open its tensor above. Where a setting does not fit a tensor "
            "(a 1-D bias has no channels), the *note* column says what was used instead.",
        )
    )
    table = compute_table(data, weights, kwargs, t)
    names = list(table["tensor"])
    tensor_key = {"sample": "tensor", "model": "model_tensor"}.get(data.kind, "file_tensor")
    st.dataframe(
        table, hide_index=True, width="stretch", column_config=columns(t), key="model_rows",
        column_order=COLUMN_ORDER,
        on_select=lambda: open_row(state, names, tensor_key), selection_mode="single-row",
    )  # fmt: skip
    left_out = [i for i in weights.infos if i.loaded and not i.quantizable]
    if left_out:
        st.caption(
            t(
                "text.model.left_out",
                "Not in the table (not weights): {tensors}",
                tensors=t("text.list_separator", ", ").join(
                    f"{md_escape(i.name)} ({i.dtype})" for i in left_out
                ),
            )
        )
    st.download_button(
        t("text.model.download", "Whole-model table (CSV)"), lambda: export.table_csv(table),
        file_name="model_table.csv",
        mime="text/csv", key="dl_model_table", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
