"""The lesson: the bit slider and everything that follows it, in one fragment.

A move of the bit slider reruns this fragment only: the sidebar, the title and the
scene buttons stay as they are, so the browser redraws just the lesson. The fragment
reads the settings from the session itself (the bit width is drawn here); when
anything else changed (a control inside it that changes the data or the grid, such as
the class view's strategy), it asks for a full rerun so every control agrees.

Two layouts: the main view (the data line, the slider, the histograms beside the
numbers, the rooms below) and the class view (one screen for a projector).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

import quantviz as qv
from quantviz_app import course, fitting, link, text, widgets
from quantviz_app.data import Data
from quantviz_app.format import md_escape
from quantviz_app.i18n import Tr
from quantviz_app.presets import active_preset
from quantviz_app.schema import (
    Settings,
    integer_grid,
    option_label,
    quantize_kwargs,
)
from quantviz_app.views import classroom, histograms, numbers, rooms
from quantviz_app.widgets import control

LOCAL = {"bits", "log", "compare", "room", "block", "prune", "prune_scope", "max_drop"}
"""Settings the lesson's own controls change (no control outside the lesson shows them)."""


def data_line(s: Settings, data: Data) -> str:
    """What is on screen, in one sentence (Markdown; names from files escaped)."""
    t = Tr(s["lang"])
    if data.file:
        name = t("text.data.of_file", "{tensor}** of **{file}",
                 tensor=md_escape(data.name), file=md_escape(data.file))  # fmt: skip
    elif data.kind == "synthetic":
        name = t.option("dist", s["dist"], data.name)
    else:
        name = md_escape(data.name)
    if not integer_grid(s):
        r = data.quantized(quantize_kwargs(s), arrays=False)
        label = option_label("format", s["format"], t)
        return text.format_data_line(name, data.shape, label, r, t=t)
    strategy = t.option("strategy", s["strategy"], qv.get_strategy(s["strategy"]).label)
    return text.data_line(name, data.shape, s["bits"], s["scheme"], strategy, s["granularity"], t=t)


def bit_width(s: Settings, hide: set[str], t: Tr) -> None:
    """The bit slider beside the number format (a format decides its own bits)."""
    if "format" in hide:
        if "bits" not in hide and integer_grid(s):
            control("bits", t=t)
        return
    bits, fmt = st.columns([3, 2], vertical_alignment="bottom")
    with fmt:
        control("format", t=t)
    with bits:
        if integer_grid(s):
            if "bits" not in hide:
                control("bits", t=t)
        else:
            f = qv.get_format(s["format"])
            st.caption(t("text.fmt.bits_fixed",
                         "{format} stores {bits}-bit elements; choose INT for the bit slider.",
                         format=option_label("format", f.name, t),
                         bits=f.element_bits))  # fmt: skip


@st.fragment
def show(
    full: Settings,
    data: Data,
    state: MutableMapping[str, Any],
    hide: set[str],
    notes: list[str],
    *,
    reveal: bool = True,
) -> None:
    """The lesson at the session's settings (``reveal=False``: the picture only, while a
    lesson's question waits for the student). ``full`` and ``notes``: the settings of the
    last full run and what fitting them to the tensor changed."""
    fitted = fitting.fit(widgets.read(state), data.shape, data.low, data.high)
    s = fitted.settings
    local = LOCAL - {"bits"} if course.follows_bits(s) else LOCAL  # a lesson box shows {bits}
    if [k for k in s.differs(full) if k not in local]:
        st.rerun()  # something outside the lesson must follow: a full run
    widgets.write(state, s, keys=["bits"])
    t = Tr(s["lang"])
    try:
        data.quantized(quantize_kwargs(s), arrays=False)
    except qv.InputError as exc:  # a grid this tensor cannot have (a range near float32's max,
        bit_width(s, hide, t)  # a block format whose blocks do not divide its rows)
        st.error(str(exc), icon=":material/error:")
        link.sync(s, st.query_params)
        return
    if s["view"] == "class":
        classroom.show(s, data, fitted, hide)
    else:
        st.markdown(data_line(s, data))
        bit_width(s, hide, t)
        preset = active_preset(s) if s["lesson"] == "none" else None  # a lesson says its own
        if preset is not None:
            st.success(text.preset_line(preset, t), icon=":material/school:")
        for note in dict.fromkeys([*notes, *fitted.notes]):
            st.info(note)
        if not reveal:
            histograms.show(s, data, state, note=False)
        else:
            picture, figures = st.columns([3, 2], gap="medium")
            with picture:
                histograms.show(s, data, state)
            with figures:
                numbers.show(s, data, state)
            rooms.show(s, data, state)
    link.sync(s, st.query_params)
