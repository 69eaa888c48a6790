"""The top of the page: what is shown, the scenes for class, and anything the user should know."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

import quantviz as qv
from quantviz_app import text
from quantviz_app.data import Data
from quantviz_app.format import md_escape
from quantviz_app.presets import PRESETS, active_preset, get_preset, settings_of
from quantviz_app.schema import Settings
from quantviz_app.widgets import read, write

SCENE = "scene"  # widget key of the scene buttons


def apply_scene(state: MutableMapping[str, Any]) -> None:
    """Scene callback: set up the chosen preset (the view and hidden controls stay)."""
    key = state.get(SCENE)
    if key:
        write(state, settings_of(get_preset(key), base=read(state)))


def scenes(s: Settings, state: MutableMapping[str, Any], *, label: str = "Scenes for class"):
    """One button per preset; the active one is highlighted. Returns the active preset."""
    preset = active_preset(s)
    state[SCENE] = preset.key if preset else None
    st.pills(
        label, [p.key for p in PRESETS], format_func=lambda k: get_preset(k).title, key=SCENE,
        on_change=apply_scene, args=(state,), help="Each sets up a picture that teaches one "
        "thing, with the sentence to say.",
    )  # fmt: skip
    return preset


def show(
    s: Settings,
    data: Data,
    state: MutableMapping[str, Any],
    notes: list[str],
    warnings: list[str],
    *,
    hide_scenes: bool,
) -> None:
    """Title, the data line, scenes, the active scene's sentence, and the notes."""
    st.markdown(f"### {text.TITLE}")
    r_strategy = qv.get_strategy(s["strategy"]).label
    name = md_escape(data.name) + (f"** of **{md_escape(data.file)}" if data.file else "")
    line = text.data_line(name, data.shape, s["bits"], s["scheme"], r_strategy, s["granularity"])
    st.markdown(line)
    preset = None if hide_scenes else scenes(s, state)
    if preset is not None:
        st.success(f"**{preset.title}.** {preset.lesson}", icon=":material/school:")
    for warning in warnings:
        st.warning(warning)
    for note in notes:
        st.info(note)
