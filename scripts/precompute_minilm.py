"""Precompute what the page shows by default for MiniLM-L6, into two small JSON files:

* ``assets/precomputed/minilm-l6-scores.json``: the float model's retrieval accuracy@1 and MRR,
  then one entry per configuration (weights 2–8 bits by RTN / GPTQ / AWQ, per channel and
  per group of 32; per tensor; W8A8 and W8A6 with static, dynamic, per-token and per-channel
  activation grids; SmoothQuant at several α on every input or on the LayerNorm-fed ones):
  its settings as given to ``qv.evaluate`` and ``accuracy``, ``mrr``, ``cosine``,
  ``cosine_p5``, ``bits_per_weight``; and per Linear, for 4-bit per-channel RTN / GPTQ /
  AWQ, the weight SQNR, the output error and (RTN) the cosine with only that Linear
  quantized.
* ``assets/precomputed/minilm-l6-activations.json``: every Linear input's per-channel max |x| over
  the calibration texts, and its five largest channels with the token that carries each.

Everything is deterministic (no random numbers but the calibration sample, seed 0); the
numbers depend only on the float arithmetic's order (numpy/BLAS), so re-running gives the
same values to ~1e-6 (tests/library/models/test_minilm_evaluate.py re-runs a part). Run from the
repository root (about 20–30 minutes on a shared 2-core machine; the timings are printed,
not stored):

    .venv/bin/python scripts/precompute_minilm.py
"""

from __future__ import annotations

import json
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

import quantviz as qv
from quantviz.models.transformer.activations import activation_stats, calibration

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "precomputed"
SCORES = ASSETS / "minilm-l6-scores.json"
ACTIVATIONS = ASSETS / "minilm-l6-activations.json"
BITS = range(2, 9)
ALPHAS = (0.25, 0.5, 0.65, 0.8, 0.9)
PER_LAYER = ("w4-channel-rtn", "w4-channel-gptq", "w4-channel-awq")
LAYER_COSINE = "w4-channel-rtn"


def configurations() -> list[tuple[str, dict]]:
    """(id, qv.evaluate keywords), in the order they are computed."""
    out: list[tuple[str, dict]] = []
    for method in ("rtn", "gptq", "awq"):
        for name, gran in (("channel", {"granularity": "channel"}),
                           ("g32", {"granularity": "group", "group_size": 32})):  # fmt: skip
            for bits in BITS:
                out.append((f"w{bits}-{name}-{method}", {"bits": bits, **gran, "method": method}))
    for bits in BITS:
        out.append((f"w{bits}-tensor-rtn", {"bits": bits}))
    for bits in (3, 4):
        out.append((
            f"w{bits}-channel-gptq-actorder",
            {"bits": bits, "granularity": "channel", "method": "gptq", "act_order": True},
        ))  # fmt: skip
    w8 = {"bits": 8, "granularity": "channel"}
    for a in (8, 6):
        for mode in ("static", "dynamic", "per_token", "per_channel"):
            out.append((f"w8a{a}-{mode}", {**w8, "activations": {"bits": a, "mode": mode}}))
        for alpha in ALPHAS:
            out.append((
                f"w8a{a}-static-sq{alpha}",
                {**w8, "activations": {"bits": a}, "smooth": alpha},
            ))  # fmt: skip
        for alpha in (0.5, 0.8):
            out.append((
                f"w8a{a}-static-sq{alpha}-layernorm",
                {**w8, "activations": {"bits": a}, "smooth": alpha, "smooth_scope": "layernorm"},
            ))  # fmt: skip
    return out


def dumps(payload: dict) -> str:
    """JSON with one item per line, but every list of numbers on one line."""
    text = json.dumps(payload, indent=1)
    return (
        re.sub(
            r"\[\s+([-+0-9.,\seE]+?)\s+\]",
            lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]",
            text,
        )
        + "\n"
    )


def rounded(x: float, digits: int = 6) -> float:
    return float(round(float(x), digits))


def scores_entry(config_id: str, kwargs: dict, r: qv.TransformerEvaluation) -> dict:
    return {
        "id": config_id,
        "settings": kwargs,
        "accuracy": rounded(r.accuracy),
        "mrr": rounded(r.mrr),
        "cosine": rounded(r.cosine),
        "cosine_p5": rounded(r.cosine_p5),
        "bits_per_weight": rounded(r.bits_per_weight),
    }


def per_layer_entry(r: qv.TransformerEvaluation, with_cosine: bool) -> list[dict]:
    rows = []
    for row in r.per_layer.itertuples():
        item = {
            "layer": row.layer,
            "sqnr_db": rounded(row.sqnr_db, 4),
            "output_error": rounded(row.output_error, 8),
        }
        if with_cosine:
            item["cosine"] = rounded(row.cosine)
        if not np.isnan(row.awq_alpha):
            item["awq_alpha"] = rounded(row.awq_alpha, 2)
        rows.append(item)
    return rows


def activations_summary(model: qv.TransformerModel) -> dict:
    stats = calibration(model)
    table = activation_stats(model)
    inputs = []
    for name, s in stats.items():
        rows = table[table.input == name].drop_duplicates("channel").nlargest(5, "absmax")
        inputs.append({
            "input": name,
            "linears": list(s.linears),
            "tokens": s.tokens,
            "median_absmax": rounded(np.median(s.absmax), 4),
            "absmax": [float(f"{v:.4g}") for v in s.absmax],
            "top": [
                {
                    "channel": int(t.channel), "absmax": rounded(t.absmax, 4),
                    "times_median": rounded(t.times_median, 3), "token": t.token,
                    "position": int(t.position), "text": int(t.text), "source": t.source,
                }
                for t in rows.itertuples()
            ],
        })  # fmt: skip
    return {
        "description": (
            "Per Linear input of all-MiniLM-L6-v2: max |x| of every channel over the "
            "calibration texts (assets/text/python-docs.json), and the five largest channels "
            "with the token that carries each. Written by scripts/precompute_minilm.py."
        ),
        "inputs": inputs,
    }


def main(only: list[str] | None = None) -> None:
    """Compute every configuration and write both files; with ``only`` (ids from
    :func:`configurations`), compute and print those, and write nothing."""
    model = qv.load_model("minilm-l6")
    t = time.perf_counter()
    calibration(model)
    print(f"calibration: {time.perf_counter() - t:.1f} s", flush=True)
    if not only:
        ACTIVATIONS.write_text(dumps(activations_summary(model)), "utf-8")
    entries, per_layer = [], {}
    float_scores = None
    for config_id, kwargs in configurations():
        if only and config_id not in only:
            continue
        t = time.perf_counter()
        cpu = time.process_time()
        r = qv.evaluate(model, layer_cosine=config_id == LAYER_COSINE, **kwargs)
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        float_scores = {"accuracy": rounded(r.float_accuracy), "mrr": rounded(r.float_mrr)}
        entries.append(scores_entry(config_id, kwargs, r))
        if config_id in PER_LAYER:
            per_layer[config_id] = per_layer_entry(r, config_id == LAYER_COSINE)
        print(
            f"{config_id:34s} acc {r.accuracy:.3f} mrr {r.mrr:.3f} cos {r.cosine:.4f} "
            f"bpw {r.bits_per_weight:.2f}  {wall:5.1f} s wall, {cpu:5.1f} s cpu",
            flush=True,
        )
    payload = {
        "description": (
            "Scores of all-MiniLM-L6-v2 under quantization on the retrieval task of "
            "assets/text/python-docs.json (qv.evaluate's accuracy@1, MRR, mean and 5th-"
            "percentile embedding cosine to float, bits per Linear weight), for the settings "
            "the page shows by default. Written by scripts/precompute_minilm.py."
        ),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "quantviz": qv.__version__,
        "texts": {
            "queries": len(model.task.queries),
            "documents": len(model.task.documents),
            "calibration": len(model.task.calibration),
        },
        "float": float_scores,
        "configurations": entries,
        "per_layer": per_layer,
    }
    if only:  # a few configurations, printed only: the files hold the whole set
        return
    SCORES.write_text(dumps(payload), "utf-8")
    print(f"wrote {SCORES} and {ACTIVATIONS}")


if __name__ == "__main__":
    main(sys.argv[1:] or None)
