"""What the Trade-off and Formats rooms compute for each distribution's default tensor, shipped.

A server's first visitor otherwise pays for it: the trade-off's sweeps over 1–16 bits
(~0.15 s of CPU on the default page) and the Formats room's table of every number format
(~0.25 s, and ~0.5 s more to import ``ml_dtypes`` for the small floats). For each
distribution at the page's default size, seed and parameters, ``assets/precomputed/
synthetic-rooms.json`` holds the trade-off's sweep of each strategy the page compares by
default (at the page's default settings), the Formats room's table, and the formats' grids
(the same for every tensor). ``scripts/precompute_rooms.py`` writes it;
``tests/rooms/test_shipped_rooms.py`` computes every entry again with the library and
compares them exactly. Keys are the rooms' own cache keys (the tensor's ``Data.key``), so an
upload or any other tensor never matches and is computed as before.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pandas as pd

from quantviz_app.data import ASSETS

PATH = ASSETS / "precomputed" / "synthetic-rooms.json"


def freeze(value: Any) -> Any:
    """A JSON value back to the tuple it was written from (lists → tuples, all the way)."""
    return tuple(freeze(v) for v in value) if isinstance(value, list) else value


@functools.cache
def _load() -> dict[str, Any]:
    if not PATH.exists():
        return {"sweeps": {}, "formats": {}, "grids": None}
    raw = json.loads(PATH.read_text(encoding="utf-8"))
    sweeps = {(freeze(e["tensor"]), freeze(e["options"])): pd.DataFrame(e["rows"])
              for e in raw["sweeps"]}  # fmt: skip
    formats = {freeze(e["tensor"]): e for e in raw["formats"]}
    return {"sweeps": sweeps, "formats": formats, "grids": raw["grids"]}


def sweep(tensor: tuple, options: tuple) -> pd.DataFrame | None:
    """The shipped sweep of one strategy (``options``: the trade-off's sorted option pairs,
    strategy and scheme included) on the tensor ``tensor`` (a ``Data.key``), if any."""
    found = _load()["sweeps"].get((tensor, options))
    return None if found is None else found.copy()


def formats(tensor: tuple) -> dict[str, Any] | None:
    """The Formats room's table of the tensor ``tensor`` as written (``rows``, ``line``,
    ``group_size``, ``refused``, ``measured``), if shipped."""
    return _load()["formats"].get(tensor)


def grids() -> pd.DataFrame | None:
    """The formats' grids (``format``, ``value``), if shipped."""
    rows = _load()["grids"]
    return None if rows is None else pd.DataFrame(rows)
