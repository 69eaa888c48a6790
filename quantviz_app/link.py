"""The address bar: a link opens the page as it was shared; the page keeps the link current.

``?bits=3&dist=normal`` sets those settings for a session's first run (bad values
are reported in a sentence and ignored); ``?preset=two_bits`` opens a preset;
``?view=class&hide=data,scheme`` gives a teacher's projector view. The address then holds
the settings (:func:`sync`), so copying it shares the page: the lesson writes it at the end
of every run, and a control that reruns only its own fragment writes it as it changes
(:func:`quantviz_app.widgets.follow_link`, attached to every control). No view writes it
itself.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from quantviz_app.i18n import Message
from quantviz_app.presets import PRESETS, get_preset, settings_of
from quantviz_app.schema import SETTINGS, Settings, parse_link, to_link

OPENED = "_opened"  # session key: the link has been read


def open_link(
    state: MutableMapping[str, Any], query: Mapping[str, Any]
) -> tuple[Settings | None, list[Message]]:
    """On a session's first run, the link's settings for the session, and one sentence per
    value the link gets wrong; ``(None, [])`` on later runs. A ``preset`` opens that scene
    (the link's ``view`` and ``hide`` kept)."""
    if state.get(OPENED):
        return None, []
    s, notes = parse_link(query)
    preset = query.get("preset")
    if isinstance(preset, list):
        preset = preset[-1] if preset else None
    if preset:
        try:
            s = settings_of(get_preset(str(preset)), base=s)
        except KeyError:
            keys = ", ".join(p.key for p in PRESETS)
            notes.append(Message("text.link.preset",
                                 "preset must be one of {keys}; the link says '{said}'.",
                                 {"keys": keys, "said": str(preset)[:40]}))  # fmt: skip
    state[OPENED] = True
    return s, notes


def named(query: Mapping[str, Any]) -> set[str]:
    """The settings a link names (by any of their link parameters), whatever their values:
    a lesson step's settings give way to them (:func:`quantviz_app.course.enter`)."""
    return {x.key for x in SETTINGS if any(k in query for k in x.url_keys)}


def sync(s: Settings, query_params: Any) -> None:
    """Write the settings into the address bar (only when the link would change)."""
    target = to_link(s)
    if query_params.to_dict() != target:
        query_params.from_dict(target)
