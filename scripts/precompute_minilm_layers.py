"""Precompute the Transformer room's per-Linear numbers for MiniLM-L6, into
``assets/precomputed/minilm-l6-layers.json``:

* ``smooth``: for every Linear and 6- or 8-bit inputs, ``layerwise.smooth_tradeoff`` without
  smoothing and at α = 0, 0.05, …, 1 (8-bit weights per channel): the SQNR of the smoothed
  input, of the smoothed weight and of the Linear's output;
* ``methods``: for every Linear, ``layerwise.method_errors`` at 2–8 bits per channel: RTN's,
  GPTQ's and AWQ's weight SQNR and output error;
* ``weight_absmax``: for every Linear input, each channel's max |w| over the weights that read
  it (SmoothQuant's max|W_j|);
* ``configurations``: the whole model (``qv.evaluate``: accuracy@1, MRR, cosine) at W8A6 and
  W8A8 smoothed at every α of the room's slider, on every input and on the LayerNorm-fed ones,
  where ``minilm-l6-scores.json`` does not hold them already (so the slider never waits).

Deterministic (the calibration sample is seeded); about 10 minutes on a shared 2-core machine.
Run from the repository root (``--only configurations`` adds that part to the file as it is):

    .venv/bin/python scripts/precompute_minilm_layers.py
"""

from __future__ import annotations

import json
import platform
import sys
import time

import numpy as np
from precompute_minilm import ASSETS, SCORES, dumps, rounded, scores_entry

import quantviz as qv
from quantviz.models.transformer import layerwise
from quantviz.models.transformer.activations import calibration
from quantviz.models.transformer.smoothquant import weight_absmax

LAYERS = ASSETS / "minilm-l6-layers.json"
ACT_BITS = (6, 8)
WEIGHT_BITS = 8
METHOD_BITS = range(2, 9)


def smooth_tables(model: qv.TransformerModel) -> dict:
    tables: dict[str, dict] = {}
    for act_bits in ACT_BITS:
        table = tables[str(act_bits)] = {}
        for linear in model.linear_names:
            t = layerwise.smooth_tradeoff(
                model, linear, (None, *layerwise.ALPHAS), act_bits=act_bits,
                weight_bits=WEIGHT_BITS,
            )  # fmt: skip
            values = [[rounded(v, 3) for v in row[1:]] for row in t.itertuples(index=False)]
            table[linear] = {"off": values[0], "alphas": values[1:]}
        print(f"smooth, {act_bits}-bit inputs: done", flush=True)
    return tables


def method_tables(model: qv.TransformerModel) -> dict:
    tables: dict[str, dict] = {}
    for linear in model.linear_names:
        t0 = time.perf_counter()
        entry: dict[str, dict] = {m: {"sqnr_db": [], "output_error": []} for m in layerwise.METHODS}
        for bits in METHOD_BITS:
            for row in layerwise.method_errors(model, linear, bits).itertuples():
                entry[row.method]["sqnr_db"].append(rounded(row.sqnr_db, 4))
                entry[row.method]["output_error"].append(float(f"{row.output_error:.5g}"))
        tables[linear] = entry
        print(f"{linear}: {time.perf_counter() - t0:.1f} s", flush=True)
    return tables


def absmax_of_weights(model: qv.TransformerModel) -> dict:
    return {
        name: [float(f"{v:.4g}") for v in weight_absmax([model.weights[w] for w in s.linears])]
        for name, s in calibration(model).items()
    }


def smooth_settings() -> list[tuple[str, dict]]:
    """(id, ``qv.evaluate`` keywords) of the model at W8A{6,8} (static grids) smoothed at every
    α of the slider, both scopes: the page's default (6-bit inputs) first, α on 0.1 before the
    α between."""
    alphas = sorted(layerwise.ALPHAS, key=lambda a: (round(a * 20) % 2, a))
    out = []
    for act_bits in (6, 8):
        for scope in ("all", "layernorm"):
            for alpha in alphas:
                kw: dict = {"bits": 8, "granularity": "channel",
                            "activations": {"bits": act_bits}, "smooth": alpha}  # fmt: skip
                if scope != "all":
                    kw["smooth_scope"] = scope
                suffix = "" if scope == "all" else f"-{scope}"
                out.append((f"w8a{act_bits}-static-sq{alpha}{suffix}", kw))
    return out


def smooth_configurations(model: qv.TransformerModel, done: list[dict], save=None) -> list[dict]:
    """The entries (as minilm-l6-scores.json's) of :func:`smooth_settings` that neither that
    file nor ``done`` has; ``save(entries)`` after each."""
    known = [*json.loads(SCORES.read_text("utf-8"))["configurations"], *done]
    shipped = {json.dumps(c["settings"], sort_keys=True) for c in known}
    out = list(done)
    for config_id, kw in smooth_settings():
        if json.dumps(kw, sort_keys=True) in shipped:
            continue
        t0 = time.perf_counter()
        out.append(scores_entry(config_id, kw, qv.evaluate(model, **kw)))
        print(f"{config_id}: {time.perf_counter() - t0:.1f} s", flush=True)
        if save is not None:
            save(out)
    return out


def main() -> None:
    model = qv.load_model("minilm-l6")
    calibration(model)
    if sys.argv[1:] == ["--only", "configurations"]:  # add to the file (resumes where it was)
        payload = json.loads(LAYERS.read_text("utf-8"))

        def save(entries: list[dict]) -> None:
            payload["configurations"] = entries
            partial = LAYERS.with_suffix(".part")
            partial.write_text(dumps(payload), "utf-8")
            partial.replace(LAYERS)  # whole, for a page that reads it meanwhile

        smooth_configurations(model, payload.get("configurations", []), save)
        print(f"wrote {LAYERS}")
        return
    payload = {
        "description": (
            "Per Linear of all-MiniLM-L6-v2 (calibration texts of assets/text/python-docs.json): "
            "SmoothQuant's trade (layerwise.smooth_tradeoff: input, weight and output SQNR in "
            "dB, 8-bit weights per channel, without smoothing and at each alpha), the rounding "
            "methods' weight SQNR (dB) and output error (layerwise.method_errors, per channel), "
            "and each input's weight columns' max |w|. Written by "
            "scripts/precompute_minilm_layers.py."
        ),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "quantviz": qv.__version__,
        "smooth": {
            "weight_bits": WEIGHT_BITS,
            "columns": list(layerwise.SMOOTH_COLUMNS[1:]),
            "alphas": list(layerwise.ALPHAS),
            "tables": smooth_tables(model),
        },
        "methods": {
            "granularity": "channel",
            "bits": list(METHOD_BITS),
            "tables": method_tables(model),
        },
        "weight_absmax": absmax_of_weights(model),
        "configurations": smooth_configurations(model, []),
    }
    LAYERS.write_text(dumps(payload), "utf-8")
    print(f"wrote {LAYERS}")


if __name__ == "__main__":
    main()
