"""Room: take it home. The numbers as CSV, the quantized tensor as .npz, and the Python that
reproduces them."""

from __future__ import annotations

import streamlit as st

from quantviz_app import export, text
from quantviz_app.data import SAMPLE_FILE, Data
from quantviz_app.schema import Settings, distribution_params, quantize_kwargs, to_link


def source_of(s: Settings, data: Data) -> dict:
    """Where the snippet's tensor comes from."""
    if data.kind == "synthetic":
        return {"dist": s["dist"], "n": s["n"], "seed": s["seed"],
                "params": distribution_params(s)}  # fmt: skip
    path = f"assets/{SAMPLE_FILE.name}" if data.kind == "sample" else data.file
    return {"file": path, "tensor": data.name}


@st.fragment
def show(s: Settings, data: Data) -> None:
    """Downloads and the code snippet (the files are made only when clicked)."""
    st.subheader("Take it home")
    kwargs = quantize_kwargs(s)
    r = data.quantized(kwargs)
    link = to_link(s)
    csv_col, npz_col, _ = st.columns([1, 1, 1])
    csv_col.download_button(
        "Numbers (CSV)", lambda: export.metrics_csv(r, link), file_name="metrics.csv",
        mime="text/csv", key="dl_metrics", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    npz_col.download_button(
        "Quantized tensor (.npz)", lambda: export.quantized_npz(r, link),
        file_name="quantized.npz", mime="application/octet-stream", key="dl_npz",
        on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    st.caption("The same numbers in Python (the address bar restores this page):")
    st.code(text.code_snippet(kwargs, source_of(s, data)), language="python", wrap_lines=True)
