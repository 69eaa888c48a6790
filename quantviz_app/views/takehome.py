"""Room: take it home. Every picture as PNG (for slides) and SVG (vector), the numbers and the
trade-off as CSV, the quantized tensor as .npz, and the Python that reproduces the numbers.

Nothing here is drawn or written until its button is clicked.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from matplotlib.figure import Figure

from quantviz import QuantResult
from quantviz_app import export, figures, snippets, text
from quantviz_app.data import MODEL_FILE, SAMPLE_FILE, Data
from quantviz_app.i18n import Tr
from quantviz_app.schema import Settings, distribution_params, quantize_kwargs, to_link
from quantviz_app.views import channels, closeup, histograms, staircase, tradeoff


def source_of(s: Settings, data: Data) -> dict:
    """Where the snippet's tensor comes from."""
    if data.kind == "synthetic":
        return {"dist": s["dist"], "n": s["n"], "seed": s["seed"],
                "params": distribution_params(s)}  # fmt: skip
    path = {"sample": f"assets/{SAMPLE_FILE.name}",
            "model": f"assets/models/{MODEL_FILE.name}"}.get(data.kind, data.file)  # fmt: skip
    return {"file": path, "tensor": data.name}


def code_snippets(s: Settings, data: Data, r: QuantResult) -> dict[str, str]:
    """The Python that gives the page's numbers, by library: quantviz, plain numpy, PyTorch."""
    source = source_of(s, data)
    load = text.load_lines(source)
    return {
        "quantviz": text.code_snippet(quantize_kwargs(s), source),
        "numpy": snippets.numpy_snippet(r, load),
        "PyTorch": snippets.torch_snippet(r, load),
    }


def pictures(s: Settings, data: Data) -> dict[str, Callable[[], Figure]]:
    """Each view's figure, drawn from the view's own data when asked for, in the settings'
    language."""
    t = Tr(s["lang"])

    def hist() -> Figure:
        return figures.histogram_figure(histograms.view_data(s, data), log=s["log"], t=t)

    def trade() -> Figure:
        names, _, curves, _ = tradeoff.view_data(s, data)
        r = data.quantized(quantize_kwargs(s), arrays=False)
        sets = {"curves": curves, "current": tradeoff.star(r)}
        labels = [tradeoff.label(n, t) for n in names]
        styles = [tradeoff.style(n) for n in names]
        return figures.tradeoff_figure(sets, labels, tradeoff.reference(t), t, styles)

    def stairs() -> Figure:
        ladder, errors, log = staircase.view_data(s, data)
        return figures.staircase_figure(ladder, errors, log=log, t=t)

    out = {"histograms": hist, "tradeoff": trade, "staircase": stairs}
    if data.quantized(quantize_kwargs(s), arrays=False).per_tensor:
        out["closeup"] = lambda: figures.closeup_figure(closeup.view_data(s, data), t)
    if len(data.shape) >= 2:
        out["channels"] = lambda: figures.channel_figure(channels.view_data(s, data), t)
    return out


@st.fragment
def show(s: Settings, data: Data) -> None:
    """The download buttons and the code snippet."""
    t = Tr(s["lang"])
    st.subheader(t("text.takehome.title", "Take it home"))
    kwargs = quantize_kwargs(s)
    r = data.quantized(kwargs, arrays=False)
    link = to_link(s)
    st.caption(
        t(
            "text.takehome.pictures",
            "Pictures, as on the page (PNG at 200 dpi for slides; SVG scales to any size):",
        )
    )
    row = st.container(horizontal=True)
    for name, build in pictures(s, data).items():
        for kind, mime, save in (("png", "image/png", export.figure_png),
                                 ("svg", "image/svg+xml", export.figure_svg)):  # fmt: skip
            row.download_button(
                f"{name}.{kind}", lambda build=build, save=save: save(build()),
                file_name=f"{name}.{kind}", mime=mime, key=f"dl_{name}_{kind}",
                on_click="ignore", icon=":material/download:",
            )  # fmt: skip
    st.caption(t("text.takehome.numbers", "Numbers:"))
    row = st.container(horizontal=True)
    row.download_button(
        "metrics.csv", lambda: export.metrics_csv(r, link), file_name="metrics.csv",
        mime="text/csv", key="dl_metrics", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    row.download_button(
        "tradeoff.csv", lambda: export.table_csv(tradeoff.view_data(s, data)[1]),
        file_name="tradeoff.csv", mime="text/csv", key="dl_tradeoff_csv", on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip
    row.download_button(
        "quantized.npz", lambda: export.quantized_npz(data.quantized(kwargs), link),
        file_name="quantized.npz",
        mime="application/octet-stream", key="dl_npz", on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip
    st.caption(
        t("text.takehome.code", "The same numbers in Python (the address bar restores this page):")
    )
    code = code_snippets(s, data, r)
    for tab, snippet in zip(st.tabs(list(code)), code.values(), strict=True):
        tab.code(snippet, language="python", wrap_lines=True)
