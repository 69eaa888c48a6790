"""The rooms below the lesson: one module each, registered once here.

A room is one module in this package. It holds everything of its view: the data step
(what it computes from the page's :class:`~quantviz_app.move.Move`, cached through
``data.memo``), its chart specs and downloadable figures, its sentences (English beside the
code, Chinese in ``locale/zh.toml`` under ``text.<room>.…``) and ``show(m: Move)``, which
draws it. A module may also define ``offered(m: Move) -> bool`` (default: always): whether
the room has anything for this tensor (channels need rows; the whole model a file; a block
a number format). A room that cannot follow a number format says why in its place.

:data:`ROOMS` names them in the order of the tabs; the ``room`` setting's options (and so
``?room=``), the tabs and what a number format offers all derive from it. Adding a room is
one new module, one line here, and its catalogue keys; ``tests/rooms/test_registry.py``
fails when a module is not registered or a registered room has no module.

This module is plain data (no streamlit): the settings' schema reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Room:
    """A room: ``key`` is its name in a link (``?room=Close-up``) and its English tab;
    ``module`` the module in this package that draws it."""

    key: str
    module: str


ROOMS: tuple[Room, ...] = (
    Room("Trade-off", "tradeoff"),
    Room("Formats", "formats"),
    Room("Block", "block"),
    Room("Formulas", "formulas"),
    Room("Close-up", "closeup"),
    Room("Staircase", "staircase"),
    Room("Channels", "channels"),
    Room("Whole model", "model"),
    Room("Accuracy", "accuracy"),
    Room("Integers", "integers"),
    Room("Train for it", "training"),
    Room("Transformer", "transformer"),
    Room("Take home", "takehome"),
)
