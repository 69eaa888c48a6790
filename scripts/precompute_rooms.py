"""Precompute what the Trade-off and Formats rooms compute for each distribution's default
tensor into ``assets/precomputed/synthetic-rooms.json`` (read by ``quantviz_app/shipped.py``):

* ``sweeps``: the trade-off's sweep over 1–16 bits of each strategy the page compares by
  default, at the page's default settings (fitted to the tensor as the page fits them);
* ``formats``: the Formats room's table (every number format and the integer line);
* ``grids``: the formats' grids the Formats room draws (the same for every tensor).

One tensor per distribution: the page's default size, seed and parameters (the tensor a
student sees on opening the page or choosing a distribution). Everything is deterministic;
tests/rooms/test_shipped_rooms.py computes every entry again and compares. Run from the
repository root after a change to the library's sampling, sweeps or formats (~10 s):

    .venv/bin/python scripts/precompute_rooms.py
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict

from quantviz_app import fitting, sources
from quantviz_app.data import Data
from quantviz_app.rooms import formats, tradeoff
from quantviz_app.schema import BY_KEY, Settings
from quantviz_app.shipped import PATH


def default_tensors() -> list[tuple[Data, Settings]]:
    """Each distribution's default tensor and the page's default settings fitted to it."""
    out = []
    for dist in BY_KEY["dist"].options:
        data, s, _ = sources.current(Settings({"dist": dist}), {})
        out.append((data, fitting.fit(s, data.shape, data.low, data.high).settings))
    return out


def sweep_keys(data: Data, s: Settings) -> list[tuple]:
    """The trade-off's option keys of the strategies it draws at ``s`` by default."""
    allowed = tradeoff.allowed_strategies(str(s["granularity"]))
    names = [n for n in dict.fromkeys([*BY_KEY["compare"].default, s["strategy"]]) if n in allowed]
    return [tuple(sorted(tradeoff.sweep_options(s, data.shape, n).items())) for n in names]


def main() -> int:
    start = time.perf_counter()
    sweeps, tables = [], []
    for data, s in default_tensors():
        for key in sweep_keys(data, s):
            table = tradeoff.computed_sweep(data.x, dict(key))
            sweeps.append({"tensor": data.key, "options": key,
                           "rows": table.to_dict(orient="records")})  # fmt: skip
        found = formats.formats_table(data.x)
        entry = asdict(found)
        entry.update(rows=found.rows.to_dict(orient="records"),
                     line=found.line.to_dict(orient="records"))  # fmt: skip
        tables.append({"tensor": data.key, **entry})
    grids = formats.computed_grids().to_dict(orient="records")
    out = {"about": "scripts/precompute_rooms.py", "sweeps": sweeps, "formats": tables,
           "grids": grids}  # fmt: skip
    PATH.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{PATH}: {len(sweeps)} sweeps, {len(tables)} format tables "
          f"in {time.perf_counter() - start:.1f} s", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
