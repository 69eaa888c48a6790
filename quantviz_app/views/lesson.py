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
from quantviz_app.components.follow import follow
from quantviz_app.data import Data
from quantviz_app.fitting import Fitted
from quantviz_app.format import md_escape
from quantviz_app.i18n import Tr
from quantviz_app.move import Move
from quantviz_app.names import strategy_label
from quantviz_app.presets import active_preset
from quantviz_app.schema import (
    Settings,
    integer_grid,
    option_label,
)
from quantviz_app.views import ahead, classroom, controls, histograms, lessonbox, numbers, tabs
from quantviz_app.widgets import control

LOCAL = {"bits", "log", "compare", "room", "block", "prune", "prune_scope", "max_drop"}
"""Settings the lesson's own controls change (no control outside the lesson shows them)."""

RERUN = "_lesson_rerun"
"""Session key: ``(the mismatch the lesson last asked a full run for, whether that run is
still to come)``."""


def wants_full_run(state: MutableMapping[str, Any], s: Settings, full: Settings) -> bool:
    """Whether the lesson asks for a full run: settings outside the lesson differ from those
    of the last full run (a control inside it changed the data or the grid).

    It can never rerun without end: the run it asked for never asks again, and it asks
    once per mismatch, so a mismatch a full run cannot settle (a value the session cannot
    hold) is drawn as it is instead.
    """
    asked = state.get(RERUN)
    if asked is not None and asked[1]:  # this is the run asked for: it draws, whatever it sees
        state[RERUN] = (asked[0], False)
        return False
    differs = [k for k in s.differs(full) if k not in LOCAL]
    if not differs:
        state.pop(RERUN, None)
        return False
    mismatch = hash(tuple((k, repr(s[k]), repr(full[k])) for k in differs))
    if asked is not None and asked[0] == mismatch:
        return False
    state[RERUN] = (mismatch, True)
    return True


def data_line(m: Move, *, picked: bool = False) -> str:
    """What is on screen, in one sentence (Markdown; names from files escaped). ``picked``:
    the tensor picker right above names the file's tensor, so the line names the file."""
    s, data, t = m.s, m.data, m.t
    if data.file and picked:
        name = md_escape(data.file)
    elif data.file:
        name = t("text.data.of_file", "{tensor}** of **{file}",
                 tensor=md_escape(data.name), file=md_escape(data.file))  # fmt: skip
    elif data.kind == "synthetic":
        name = t.option("dist", s["dist"], data.name)
    else:
        name = md_escape(data.name)
    if not m.integer:
        label = option_label("format", s["format"], t)
        return text.format_data_line(name, data.shape, label, m.result, t=t)
    strategy = strategy_label(s["strategy"], t)
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


def beside(m: Move) -> None:
    """What is said beside the picture, above the numbers: the open lesson's step (its text,
    its question, the way on) or the scene's sentence. Beside, not above: on a 768-px
    projector the picture stays on the first screen."""
    if m.s["lesson"] != "none":
        lessonbox.show(m)
        return
    preset = active_preset(m.s)
    if preset is not None:
        st.success(text.preset_line(preset, m.t), icon=":material/school:")


def refit(full: Fitted, data: Data, state: MutableMapping[str, Any]) -> Fitted:
    """The settings of this run, fitted once: the full run's when nothing changed since
    (the full run fitted them), else the session's (a bit move) fitted anew."""
    now = widgets.read(state)
    if now == full.settings:
        return full
    return fitting.fit(now, data.shape, data.low, data.high)


@st.fragment
def show(full: Fitted, data: Data, state: MutableMapping[str, Any], hide: set[str]) -> None:
    """The lesson at the session's settings: the open lesson's step beside the picture;
    while its question waits for the student, the picture only (the numbers would give the
    answer away). ``full``: the settings of the last full run, fitted to the tensor. The
    settings are fitted once and the result computed once (:class:`Move`); every view below
    receives them."""
    fitted = refit(full, data, state)
    s = fitted.settings
    if wants_full_run(state, s, full.settings):
        st.rerun()  # something outside the lesson must follow: a full run
    widgets.write(state, s, keys=["bits"])
    m = Move(fitted, data, state, notes=list(dict.fromkeys([*full.notes, *fitted.notes])))
    draw(m, hide)
    link.sync(s, st.query_params)  # the address bar holds what was drawn


def draw(m: Move, hide: set[str]) -> None:
    """The lesson's views at one move (see :func:`show`)."""
    s, state, t = m.s, m.state, m.t
    try:
        m.result  # noqa: B018  (computed here once; a grid this tensor cannot have is said)
    except qv.InputError as exc:  # a range near float32's max, a block format whose blocks
        bit_width(s, hide, t)  # do not divide its rows
        st.error(str(exc), icon=":material/error:")
        return
    reveal = not course.hides_answers(state, s)  # read here: Check reruns this fragment only
    # the picture and the numbers at every width the slider can reach next: the browser shows
    # them at the next key press, before this fragment has run again (views/ahead.py)
    moves = ahead.moves(m, hide, kept=histograms.kept)
    cards = numbers.ahead_values(moves) if reveal else {}
    if s["view"] == "class":
        lessonbox.show(m)
        classroom.show(m, hide, moves, cards)
    else:
        with st.container(gap="xsmall"):  # the tensor and the line that describes it, together
            picked = controls.tensor_picker(s, state, hide, t)
            st.markdown(data_line(m, picked=picked))
        bit_width(s, hide, t)
        follow(moves, cards)  # right after the slider: its values come before the cards they fill
        for note in m.notes:
            st.info(note)
        picture, side = st.columns([3, 2], gap="medium")
        with picture:
            histograms.show(m, moves, note=reveal)
        with side:
            beside(m)
            if reveal:
                numbers.show(m)
        if reveal:
            tabs.show(m)
