"""Download buttons for a view's figure: PNG (200 dpi, for slides) and SVG (vector).

The figure is drawn only when a button is clicked (``st.download_button`` takes a
function), so the buttons cost nothing on a slider move.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from matplotlib.figure import Figure

from quantviz_app import export


def figure_buttons(build: Callable[[], Figure], *, name: str, key: str) -> None:
    """PNG and SVG buttons for the figure ``build()`` draws, saved as ``name.png``/``.svg``."""
    row = st.container(horizontal=True)  # (cheaper for the browser than columns)
    row.download_button(
        "PNG", lambda: export.figure_png(build()), file_name=f"{name}.png", mime="image/png",
        key=f"{key}_png", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    row.download_button(
        "SVG", lambda: export.figure_svg(build()), file_name=f"{name}.svg", mime="image/svg+xml",
        key=f"{key}_svg", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
