"""Precompute what the Accuracy room computes for the page's default settings, at every bit
width of the slider, into ``assets/precomputed/digits-cnn-room.json``:

* ``curves``: accuracy at 2–8 bits, weights only and with static / dynamic activations
  (one table: it does not depend on the slider's bits);
* ``prune``: accuracy and size at 0–90 % pruning, per layer and global, per bit width;
* ``spread``: stochastic rounding over seeds 0–9, per bit width;
* ``nearest``: the accuracy rounding to nearest, per bit width;
* ``answers``: the weights-only network's most frequent answer at the bit width where
  quantized activations "help" it (the room's note on why).

That is 52 of the 57 evaluations a first visit to the room makes at those settings; the
page reads them instead of computing (``quantviz_app/rooms/accuracy.py``). Everything is
deterministic (the seeds are fixed); tests/app/test_accuracy_view.py computes a part again
and compares. Run from the repository root after a change to the model or the
evaluation (about 10 s):

    .venv/bin/python scripts/precompute_accuracy_room.py
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd

import quantviz as qv
from quantviz_app.rooms import accuracy
from quantviz_app.schema import BY_KEY, Settings, quantize_kwargs


def default_settings() -> list[tuple[accuracy.Frozen, accuracy.Frozen]]:
    """The room's keys (its setting, and the curves' settings without bits) for the page's
    default settings at every bit width of the slider."""
    bits = BY_KEY["bits"]
    return [
        accuracy.model_settings(quantize_kwargs(Settings({"bits": b})))
        for b in range(int(bits.low), int(bits.high) + 1)
    ]


def entry(what: str, key: accuracy.Frozen, value: object, *bits: int) -> dict:
    """One result as the page reads it (``bits``: the key's bit width after the settings)."""
    out: dict = {"what": what, "key": [list(pair) for pair in key]}
    if bits:
        out["bits"] = list(bits)
    if isinstance(value, pd.DataFrame):
        out["rows"] = value.to_dict(orient="records")
    elif what == "spread":
        out.update(seeds=list(value.seeds), accuracies=value.accuracies.tolist(),
                   float_accuracy=value.float_accuracy)  # fmt: skip
    elif what == "answers":
        out["answers"] = list(value)
    else:
        out["accuracy"] = value
    return out


def compute() -> list[dict]:
    """Every entry, computed by the room's own functions (the shipped file not read)."""
    accuracy.precomputed = lambda: {}  # nothing shipped is read
    keys = default_settings()
    rest = keys[0][1]
    table = accuracy.curves(rest)
    results = [entry("curves", rest, table)]
    float_accuracy = accuracy.current(keys[0][0]).float_accuracy
    noise = qv.accuracy_standard_error(float_accuracy, len(qv.load_model(accuracy.MODEL).y_test))
    odd = accuracy.activations_help(table, float_accuracy, noise)
    if odd is not None:  # the note on why activations help: the broken network's answers
        results.append(entry("answers", rest, accuracy.answers(rest, odd[0]), odd[0]))
    for settings, _ in keys:
        spread_key = accuracy.freeze({k: v for k, v in settings if k not in ("rounding", "seed")})
        results += [
            entry("prune", settings, accuracy.prune_table(settings)),
            entry("spread", spread_key, accuracy.spread(settings)),
            entry("nearest", settings, accuracy.nearest(settings)),
        ]
    return results


def main() -> int:
    started = time.perf_counter()
    results = compute()

    def line(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, default=lambda x: np.asarray(x).item())

    head = f'{{"model": {line(accuracy.MODEL)}, "made_by": "scripts/precompute_accuracy_room.py",'
    body = ",\n".join(line(r) for r in results)  # one result a line: small diffs
    accuracy.PRECOMPUTED.write_text(f'{head}\n"results": [\n{body}\n]}}\n', encoding="utf-8")
    print(f"{len(results)} results in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
