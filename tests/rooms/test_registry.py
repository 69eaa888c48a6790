"""The rooms' registry (quantviz_app/rooms/__init__.py): every room module is registered, every
registered room has a module that draws it, and the settings, the link and the tabs derive
from the registry."""

from __future__ import annotations

import importlib
from pathlib import Path

import quantviz_app.rooms as rooms
from quantviz_app.schema import BY_KEY, parse_link

ROOMS_DIR = Path(rooms.__file__).parent


def test_every_room_module_is_registered_and_every_room_has_a_module():
    modules = sorted(p.stem for p in ROOMS_DIR.glob("*.py") if p.stem != "__init__")
    assert sorted(r.module for r in rooms.ROOMS) == modules
    for room in rooms.ROOMS:
        module = importlib.import_module(f"quantviz_app.rooms.{room.module}")
        assert callable(module.show), room.key


def test_the_room_setting_and_the_link_derive_from_the_registry():
    keys = [r.key for r in rooms.ROOMS]
    assert list(BY_KEY["room"].options) == keys
    assert keys == ["Trade-off", "Formats", "Block", "Formulas", "Close-up", "Staircase",
                    "Channels", "Whole model", "Accuracy", "Integers", "Train for it",
                    "Transformer", "Take home"]  # fmt: skip
    s, notes = parse_link({"room": "Close-up"})
    assert s["room"] == "Close-up" and notes == []
    _, notes = parse_link({"room": "Attic"})
    assert len(notes) == 1 and "Attic" in str(notes[0])
