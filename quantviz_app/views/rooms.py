"""The rooms below the lesson: one tab per view, and only the open one is computed and drawn.

Trade-off against bits, the number formats compared on this tensor (and one block of a
format, opened), the formulas with this setting's numbers, a close-up of the levels, the
staircase and its error, the channels (tensors with rows), the whole model (weight files),
what to take home, and whether a real network still works at these settings (accuracy).
A link opens a room with ``?room=Close-up``. The histograms and the numbers above
stay on screen whatever room is open.

With a number format the same rooms stay (no room vanishes when a format is chosen): the
formulas, the close-up, the staircase and the take-home follow the format; the trade-off
and the channels, which sweep or split the integer grid, say in one sentence why they do
not apply and where to look instead. The Block room exists for formats only.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from quantviz_app import sources
from quantviz_app.data import Data
from quantviz_app.i18n import Tr
from quantviz_app.schema import BY_KEY, Settings, integer_grid, option_label, quantize_kwargs
from quantviz_app.views import (
    accuracy,
    block,
    channels,
    closeup,
    formats,
    formulas,
    model,
    staircase,
    takehome,
    tradeoff,
)

TABS = "room_tab"  # widget key of the tabs: the open tab's name (the room is the ``room`` setting)


def _model(s: Settings, data: Data, state: MutableMapping[str, Any], t: Tr) -> None:
    model.show(data, sources.weights_of(data, state), quantize_kwargs(s), state, t)


def _channels(s: Settings, data: Data, state: MutableMapping[str, Any], t: Tr) -> None:
    if integer_grid(s):
        channels.show(s, data)
        return
    st.info(t(
        "text.rooms.channels_format",
        "The channels room compares the integer grid per tensor and per channel; {format} "
        "sets its own scales. Choose INT to compare channels, or open the Block room to see "
        "one of {format}'s blocks.",
        format=option_label("format", s["format"], t),
    ), icon=":material/info:")  # fmt: skip


VIEWS = {
    "Trade-off": lambda s, data, state, t: tradeoff.show(s, data, state),
    "Formats": lambda s, data, state, t: formats.show(s, data),
    "Block": lambda s, data, state, t: block.show(s, data, state),
    "Formulas": lambda s, data, state, t: formulas.show(s, data),
    "Close-up": lambda s, data, state, t: closeup.show(s, data),
    "Staircase": lambda s, data, state, t: staircase.show(s, data),
    "Channels": _channels,
    "Whole model": _model,
    "Accuracy": lambda s, data, state, t: accuracy.show(s, data, state, t),
    "Take home": lambda s, data, state, t: takehome.show(s, data),
}
"""Each room's view (a room is one option of the ``room`` setting)."""


def available(data: Data, s: Settings) -> list[str]:
    """The rooms this tensor and setting have: every room, but channels need rows, the whole
    model a file, and a block a number format (a room that cannot follow the format says
    why in its place)."""
    rooms = list(BY_KEY["room"].options)
    if integer_grid(s):
        rooms.remove("Block")
    if len(data.shape) < 2:
        rooms.remove("Channels")
    if data.kind == "synthetic":
        rooms.remove("Whole model")
    return rooms


def open_room(state: MutableMapping[str, Any], rooms: dict[str, str]) -> None:
    """Tabs callback: the room of the tab just opened (``rooms``: tab name → room)."""
    state["room"] = rooms[state[TABS]]


def show(s: Settings, data: Data, state: MutableMapping[str, Any]) -> None:
    """The tabs, named in the page's language, and the open room's view (a link names the
    room by its value, ``?room=Close-up``, in any language)."""
    t = Tr(s["lang"])
    rooms = available(data, s)
    if state.get("room") not in rooms:
        state["room"] = rooms[0]
    names = {t.option("room", room, room): room for room in rooms}
    state[TABS] = t.option("room", state["room"], state["room"])
    tabs = st.tabs(list(names), key=TABS, on_change=open_room, args=(state, names))
    for room, tab in zip(rooms, tabs, strict=True):
        if not tab.open:
            continue
        with tab:
            VIEWS[room](s, data, state, t)
