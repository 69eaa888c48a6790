"""Room: take it home. Every picture as PNG (for slides) and SVG (vector), the numbers and the
trade-off as CSV, the quantized tensor as .npz, and the Python that reproduces the numbers.

Nothing here is drawn or written until its button is clicked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from quantviz.number_formats import FormatResult
from quantviz_app import export, figures, snippets
from quantviz_app.data import MODEL_FILE, SAMPLE_FILE, Data
from quantviz_app.move import Move
from quantviz_app.rooms import channels, closeup, formats, integers, staircase, tradeoff
from quantviz_app.schema import (
    Settings,
    distribution_params,
    integer_grid,
    option_label,
    to_link,
)
from quantviz_app.views import histograms

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def source_of(s: Settings, data: Data) -> dict:
    """Where the snippet's tensor comes from."""
    if data.kind == "synthetic":
        return {"dist": s["dist"], "n": s["n"], "seed": s["seed"],
                "params": distribution_params(s)}  # fmt: skip
    path = {"sample": f"assets/{SAMPLE_FILE.name}",
            "model": f"assets/models/{MODEL_FILE.name}"}.get(data.kind, data.file)  # fmt: skip
    return {"file": path, "tensor": data.name}


def code_snippets(m: Move) -> dict[str, str]:
    """The Python that gives the page's numbers, by library: quantviz, plain numpy, PyTorch
    (a number format: quantviz only)."""
    source = source_of(m.s, m.data)
    load = snippets.load_lines(source)
    r = m.result
    if isinstance(r, FormatResult):
        return {"quantviz": snippets.code_snippet(m.kwargs, source)}
    return {
        "quantviz": snippets.code_snippet(m.kwargs, source),
        "numpy": snippets.numpy_snippet(r, load),
        "PyTorch": snippets.torch_snippet(r, load),
    }


def pictures(m: Move) -> dict[str, Callable[[], Figure]]:
    """Each view's figure, drawn from the view's own data when asked for, in the settings'
    language (a number format: the histograms, and the close-up of its levels when one set
    serves the tensor)."""
    s, data, t = m.s, m.data, m.t

    def hist() -> Figure:
        return figures.histogram_figure(histograms.view_data(m), log=s["log"], t=t)

    if not m.integer:
        out = {"histograms": hist}
        if m.result.per_tensor:
            out["closeup"] = lambda: closeup.closeup_figure(closeup.format_view_data(m), t)
        return out

    def trade() -> Figure:
        names, _, curves, _ = tradeoff.view_data(m, s["compare"])
        sets = {"curves": curves, "current": tradeoff.star(m.result)}
        labels = [tradeoff.label(n, t) for n in names]
        styles = [tradeoff.style(n) for n in names]
        return tradeoff.tradeoff_figure(sets, labels, tradeoff.reference(t), t, styles)

    def stairs() -> Figure:
        ladder, errors, log = staircase.view_data(m)
        return staircase.staircase_figure(ladder, errors, log=log, t=t)

    out = {"histograms": hist, "tradeoff": trade, "staircase": stairs}
    if m.result.per_tensor:
        out["closeup"] = lambda: closeup.closeup_figure(closeup.view_data(m), t)
    if len(data.shape) >= 2:
        out["channels"] = lambda: channels.channel_figure(channels.view_data(m), t)
    return out


@st.fragment
def show(m: Move) -> None:
    """The download buttons and the code snippet."""
    s, data, t, r = m.s, m.data, m.t, m.result
    st.subheader(t("text.takehome.title", "Take it home"))
    link = to_link(s)
    st.caption(
        t(
            "text.takehome.pictures",
            "Pictures, as on the page (PNG at 200 dpi for slides; SVG scales to any size):",
        )
    )
    row = st.container(horizontal=True)
    for name, build in pictures(m).items():
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
            lambda: export.table_csv(tradeoff.view_data(m, s["compare"])[1]),
            lambda: export.quantized_npz(m.arrays(), link),
        )
    else:  # a format's trade-off is against the other formats (the Formats room's table)
        name, table, npz = (
            "formats.csv",
            lambda: export.table_csv(formats.view_data(data, t).rows),
            lambda: export.format_npz(m.arrays(), link),
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
    integers.onnx_button(integers.engine_settings(s)[0], t, key="dl_onnx_home", home=True)
    st.caption(
        t("text.takehome.code", "The same numbers in Python (the address bar restores this page):")
    )
    code = code_snippets(m)
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
