"""The rooms below the lesson: one tab each, and only the open one computed and drawn.

The rooms are the modules of :mod:`quantviz_app.rooms`, in the order its registry names
them (``ROOMS``); a link opens one with ``?room=Close-up``. The histograms and the numbers
above stay on screen whatever room is open. With a number format the same rooms stay:
those that cannot follow the format say why in their place; the Block room exists for
formats only, the Channels room for tensors with rows, the Whole model for files.
"""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from types import ModuleType
from typing import Any

import streamlit as st

from quantviz_app.move import Move
from quantviz_app.rooms import ROOMS

TABS = "room_tab"  # widget key of the tabs: the open tab's name (the room is the ``room`` setting)


def module(key: str) -> ModuleType:
    """The module that draws the room ``key`` (imported when first asked for)."""
    room = next(r for r in ROOMS if r.key == key)
    return importlib.import_module(f"quantviz_app.rooms.{room.module}")


def available(m: Move) -> list[str]:
    """The rooms this tensor and setting have, in the registry's order (a room's module
    says whether it has anything here: ``offered(m)``, default always)."""
    return [
        r.key for r in ROOMS if getattr(module(r.key), "offered", lambda _: True)(m)
    ]  # fmt: skip


def open_room(state: MutableMapping[str, Any], rooms: dict[str, str]) -> None:
    """Tabs callback: the room of the tab just opened (``rooms``: tab name → room)."""
    state["room"] = rooms[state[TABS]]


def show(m: Move) -> None:
    """The tabs, named in the page's language, and the open room's view (a link names the
    room by its value, ``?room=Close-up``, in any language)."""
    state, t = m.state, m.t
    rooms = available(m)
    if state.get("room") not in rooms:
        state["room"] = rooms[0]
    names = {t.option("room", room, room): room for room in rooms}
    state[TABS] = t.option("room", state["room"], state["room"])
    tabs = st.tabs(list(names), key=TABS, on_change=open_room, args=(state, names))
    for room, tab in zip(rooms, tabs, strict=True):
        if not tab.open:
            continue
        with tab:
            module(room).show(m)
