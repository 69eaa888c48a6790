"""A control for any setting, derived from its declaration in :mod:`quantviz_app.schema`.

The widget's key is the setting's key, so its value lives in the session under the
same name the page reads (:func:`read`); ``persist_state="session"`` keeps the
value of a control while it is hidden (the percentile while min-max is chosen).
The page writes a value into the session before the widget is drawn (a link, a
preset, a fitted setting) and never passes ``value=``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

import streamlit as st

from quantviz_app import link
from quantviz_app.i18n import EN, Tr
from quantviz_app.schema import BY_KEY, SETTINGS, Setting, Settings


def read(state: MutableMapping[str, Any]) -> Settings:
    """The settings the session holds now (a setting it does not hold takes its default).

    A value that fails its setting's check (an old session, a stale widget) is
    replaced by the default rather than raising.
    """
    values = {}
    for setting in SETTINGS:
        if setting.key in state:
            try:
                values[setting.key] = setting.check(state[setting.key])
            except (ValueError, TypeError):
                continue
    return Settings(values)


def write(state: MutableMapping[str, Any], s: Settings, keys: Sequence[str] | None = None) -> None:
    """Put settings into the session (before their widgets are drawn in this run)."""
    for key in keys if keys is not None else [x.key for x in SETTINGS]:
        if state.get(key) != s[key] or key not in state:
            state[key] = list(s[key]) if BY_KEY[key].kind == "choices" else s[key]


def follow_link() -> None:
    """A control changed: the address bar follows at once (the callback of every control;
    a control inside a room reruns only its room, which writes no link itself)."""
    link.sync(read(st.session_state), st.query_params)


def control(
    key: str,
    *,
    options: Sequence[Any] | None = None,
    bounds: tuple[float, float] | None = None,
    label: str | None = None,
    where: Any = st,
    on_change: Callable[[], None] | None = None,
    label_visibility: str = "visible",
    format_func: Callable[[Any], str] | None = None,
    t: Tr = EN,
    **extra: Any,
) -> Any:
    """Draw the widget of the setting ``key``; return its value.

    ``options`` replaces a choice's options (those that fit the tensor);
    ``bounds`` a number's or a range's ends (the manual range slider, the block number);
    ``format_func`` how the options are shown, when the setting's own labels will not do; ``t`` the
    language of its label, help and options; ``on_change`` a callback of the caller's (else the
    address bar follows the change, :func:`follow_link`).
    """
    s: Setting = BY_KEY[key]
    common = dict(
        key=key, help=t.setting(key, "help", s.help) if s.help else None,
        on_change=on_change or follow_link, label_visibility=label_visibility,
        **extra,
    )  # fmt: skip
    text = label or t.setting(key, "label", s.label)
    show = format_func or (lambda v: t.option(key, v, s.show(v)) if s.option_labels else s.show(v))
    choices = list(options if options is not None else s.options)
    if s.widget == "slider":
        low, high = bounds if bounds is not None else (s.low, s.high)
        if s.kind == "int":
            return where.slider(text, int(low), int(high), step=int(s.step or 1),
                                persist_state="session", **common)  # fmt: skip
        decimals = max(0, -round(math.log10(s.step))) if s.step else 2
        return where.slider(text, float(low), float(high), step=float(s.step),
                            format=f"%.{decimals}f", persist_state="session", **common)  # fmt: skip
    if s.widget == "range_slider":
        low, high = bounds
        step = float(f"{(high - low) / 1000:.2g}")
        return where.slider(text, float(low), float(high), step=step, format="%.4g",
                            persist_state="session", **common)  # fmt: skip
    if s.widget == "select_slider":
        return where.select_slider(text, options=choices, format_func=show,
                                   persist_state="session", **common)  # fmt: skip
    if s.widget == "segmented":
        return where.segmented_control(
            text, choices, format_func=show, selection_mode="single", required=True,
            persist_state="session", **common,
        )  # fmt: skip
    if s.widget == "radio":
        return where.radio(text, choices, format_func=show, persist_state="session", **common)
    if s.widget == "selectbox":
        return where.selectbox(text, choices, format_func=show, persist_state="session", **common)
    if s.widget == "toggle":
        return where.toggle(text, **common)
    if s.widget == "number":
        low, high = bounds if bounds is not None else (s.low, s.high)
        return where.number_input(text, int(low), int(high), step=int(s.step or 1),
                                  persist_state="session", **common)  # fmt: skip
    if s.widget == "text_input":
        return where.text_input(text, max_chars=s.max_chars, **common)
    if s.widget == "multiselect":
        return where.multiselect(text, choices, format_func=show, **common)
    raise ValueError(f"setting {key!r} has no widget")
