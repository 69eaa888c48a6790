"""The top of the page: the scenes for class, and what the user should know."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from quantviz_app.i18n import Tr
from quantviz_app.presets import PRESETS, get_preset, settings_of
from quantviz_app.widgets import read, write

SCENE = "scene"  # widget key of the scene buttons


def apply_scene(state: MutableMapping[str, Any]) -> None:
    """Scene callback: set up the chosen preset (the view and hidden controls stay); the
    buttons do not stay pressed (the bit slider may move the scene away)."""
    key = state.get(SCENE)
    if key:
        write(state, settings_of(get_preset(key), base=read(state)))
    state[SCENE] = None


def scenes(state: MutableMapping[str, Any], t: Tr) -> None:
    """One button per preset (the scene on screen says its own sentence in the lesson)."""
    st.pills(
        t("text.scenes.label", "Scenes for class"), [p.key for p in PRESETS],
        format_func=lambda k: t.preset(k, "title", get_preset(k).title), key=SCENE,
        on_change=apply_scene, args=(state,),
        help=t("text.scenes.help",
               "Each sets up a picture that teaches one thing, with the sentence to say."),
    )  # fmt: skip


def show(state: MutableMapping[str, Any], warnings: list[str], *, hide_scenes: bool) -> None:
    """The scenes, and what the user should know (a link, a file)."""
    if not hide_scenes:
        scenes(state, Tr(read(state)["lang"]))
    for warning in warnings:
        st.warning(warning)
