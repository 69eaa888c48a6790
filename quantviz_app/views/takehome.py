"""Room: take it home. Every picture as PNG (for slides) and SVG (vector), the numbers and the
trade-off as CSV, the quantized tensor as .npz, and the Python that reproduces the numbers.

Nothing here is drawn or written until its button is clicked; matplotlib is not even
imported before the first picture is (0.5–2 s that no page or room waits for).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

import streamlit as st

from quantviz import QuantResult
from quantviz.number_formats import FormatResult
from quantviz_app import export, snippets, text
from quantviz_app.data import MODEL_FILE, SAMPLE_FILE, Data
from quantviz_app.i18n import Tr
from quantviz_app.schema import (
    Settings,
    distribution_params,
    integer_grid,
    option_label,
    quantize_kwargs,
    to_link,
)
from quantviz_app.views import channels, closeup, formats, histograms, staircase, tradeoff

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def figures() -> ModuleType:
    """:mod:`quantviz_app.figures`, imported when a picture is first downloaded."""
    from quantviz_app import figures as module

    return module


def source_of(s: Settings, data: Data) -> dict:
    """Where the snippet's tensor comes from."""
    if data.kind == "synthetic":
        return {"dist": s["dist"], "n": s["n"], "seed": s["seed"],
                "params": distribution_params(s)}  # fmt: skip
    path = {"sample": f"assets/{SAMPLE_FILE.name}",
            "model": f"assets/models/{MODEL_FILE.name}"}.get(data.kind, data.file)  # fmt: skip
    return {"file": path, "tensor": data.name}


def code_snippets(s: Settings, data: Data, r: QuantResult | FormatResult) -> dict[str, str]:
    """The Python that gives the page's numbers, by library: quantviz, plain numpy, PyTorch
    (a number format: quantviz only)."""
    source = source_of(s, data)
    load = text.load_lines(source)
    if isinstance(r, FormatResult):
        return {"quantviz": text.code_snippet(quantize_kwargs(s), source)}
    return {
        "quantviz": text.code_snippet(quantize_kwargs(s), source),
        "numpy": snippets.numpy_snippet(r, load),
        "PyTorch": snippets.torch_snippet(r, load),
    }


def pictures(s: Settings, data: Data) -> dict[str, Callable[[], Figure]]:
    """Each view's figure, drawn from the view's own data when asked for, in the settings'
    language (a number format: the histograms, and the close-up of its levels when one set
    serves the tensor)."""
    t = Tr(s["lang"])

    def hist() -> Figure:
        return figures().histogram_figure(histograms.view_data(s, data), log=s["log"], t=t)

    if not integer_grid(s):
        out = {"histograms": hist}
        if data.quantized(quantize_kwargs(s), arrays=False).per_tensor:
            view = closeup.format_view_data
            out["closeup"] = lambda: figures().closeup_figure(view(s, data, t), t)
        return out

    def trade() -> Figure:
        names, _, curves, _ = tradeoff.view_data(s, data)
        r = data.quantized(quantize_kwargs(s), arrays=False)
        sets = {"curves": curves, "current": tradeoff.star(r)}
        labels = [tradeoff.label(n, t) for n in names]
        styles = [tradeoff.style(n) for n in names]
        return figures().tradeoff_figure(sets, labels, tradeoff.reference(t), t, styles)

    def stairs() -> Figure:
        ladder, errors, log = staircase.view_data(s, data)
        return figures().staircase_figure(ladder, errors, log=log, t=t)

    out = {"histograms": hist, "tradeoff": trade, "staircase": stairs}
    if data.quantized(quantize_kwargs(s), arrays=False).per_tensor:
        out["closeup"] = lambda: figures().closeup_figure(closeup.view_data(s, data), t)
    if len(data.shape) >= 2:
        out["channels"] = lambda: figures().channel_figure(channels.view_data(s, data), t)
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
    grid = integer_grid(s)
    if grid:
        name, table, npz = (
            "tradeoff.csv",
            lambda: export.table_csv(tradeoff.view_data(s, data)[1]),
            lambda: export.quantized_npz(data.quantized(kwargs), link),
        )
    else:  # a format's trade-off is against the other formats (the Formats room's table)
        name, table, npz = (
            "formats.csv",
            lambda: export.table_csv(formats.view_data(data, t).rows),
            lambda: export.format_npz(data.quantized(kwargs), link),
        )
    row.download_button(
        name, table, file_name=name, mime="text/csv",
        key="dl_tradeoff_csv", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    row.download_button(
        "quantized.npz", npz, file_name="quantized.npz",
        mime="application/octet-stream", key="dl_npz", on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip
    st.caption(
        t("text.takehome.code", "The same numbers in Python (the address bar restores this page):")
    )
    code = code_snippets(s, data, r)
    if not grid:
        st.code(code["quantviz"], language="python", wrap_lines=True)
        st.caption(t(
            "text.takehome.format_code",
            "The numpy and PyTorch versions write out the integer grid's formula; {format} is "
            "reproduced by the quantviz call above (its formats are checked against the "
            "implementations they come from).",
            format=option_label("format", s["format"], t),
        ))  # fmt: skip
        return
    for tab, snippet in zip(st.tabs(list(code)), code.values(), strict=True):
        tab.code(snippet, language="python", wrap_lines=True)
