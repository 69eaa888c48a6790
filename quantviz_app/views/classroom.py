"""The class view (``?view=class``): one screen for a projector, readable from the back.

(Not a fragment: its bit slider changes everything on it.)

The bit slider and the range strategy, the original over the quantized histogram,
and three large numbers: step size, SQNR, levels used. It fits 1024×768 without
scrolling; a teacher's link can hide any control (``hide=strategy``) and open a
scene (``preset=two_bits``), whose sentence is shown on top.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from quantviz_app import charts, text
from quantviz_app.components.follow import follow
from quantviz_app.fitting import Fitted
from quantviz_app.i18n import Tr
from quantviz_app.move import Move
from quantviz_app.presets import active_preset
from quantviz_app.schema import Settings, option_label
from quantviz_app.views import histograms, numbers
from quantviz_app.widgets import control

BIG_NUMBERS = ("scale", "sqnr", "levels")  # the cards' keys
CHART_HEIGHT = 150  # px per histogram: both fit a 768-px screen with the slider and a sentence


def controls(s: Settings, fitted: Fitted, hide: set[str], t: Tr) -> None:
    """The bit slider and the range strategy, side by side."""
    wide, narrow = st.columns([3, 2], vertical_alignment="bottom")
    with wide:
        if "bits" not in hide and s.applies("bits"):
            control("bits", t=t)
        elif not s.applies("bits"):  # a number format: its name and bits, chosen in the sidebar
            st.markdown(f"### {option_label('format', s['format'], t)}")
    with narrow:
        if "strategy" not in hide and s.applies("strategy"):
            control("strategy", options=fitted.options["strategy"], t=t)


def show(m: Move, hide: set[str], ahead: Mapping[int, Move],
         cards: Mapping[int, Mapping[str, str]]) -> None:  # fmt: skip
    """The whole class view; ``ahead``: the moves the slider can make next, ``cards``: their
    numbers (the browser shows them before the server follows, :mod:`views.ahead`)."""
    s, fitted, r, t = m.s, m.fitted, m.result, m.t
    with st.container(key="classroom"):
        controls(s, fitted, hide, t)
        follow(ahead, cards)
        preset = active_preset(s)
        if preset is not None:
            st.markdown(text.preset_line(preset, t))
        chart, big = st.columns([5, 2], gap="medium")
        with chart:
            heights = dict.fromkeys(("original", "quantized"), CHART_HEIGHT)
            histograms.draw(histograms.ahead_data(ahead), now=s["bits"], log=s["log"],
                            heights=heights, t=t, font=charts.PROJECTOR_FONT)  # fmt: skip
        with big:
            numbers.show_cards([c for c in numbers.cards(r, t=t) if c.key in BIG_NUMBERS])
