"""MiniLM-L6's numbers as shipped: what the page shows by default, read without the model.

Three JSON files in ``assets/precomputed/``, each written by a script from the library's own
functions (so every number here is reachable from Python, and the tests re-compute some):

* ``minilm-l6-scores.json`` (``scripts/precompute_minilm.py``): the float model's scores and
  one entry per configuration of :func:`quantviz.evaluate` (weights 2–8 bits by RTN, GPTQ,
  AWQ per channel and per group of 32, per tensor; W8A8 and W8A6 activation grids;
  SmoothQuant at several α), and per Linear the 4-bit per-channel weight SQNR and output
  error of each method;
* ``minilm-l6-activations.json`` (the same script): every Linear input's per-channel max |x|
  over the calibration texts, and its five largest channels with the token carrying each;
* ``minilm-l6-layers.json`` (``scripts/precompute_minilm_layers.py``): per Linear,
  :func:`~quantviz.models.transformer.layerwise.smooth_tradeoff` at every α of 0.05 for
  6- and 8-bit inputs, :func:`~quantviz.models.transformer.layerwise.method_errors` at 2–8
  bits per channel, each input's weight columns' max |w|, and the whole model smoothed at
  every α of 0.05 (W8A6 and W8A8, both scopes) where the scores file has not got it.

>>> from quantviz.models.transformer import precomputed as pre
>>> row = pre.find_scores({"bits": 4, "granularity": "channel", "method": "gptq"})
>>> round(row["accuracy"], 3), round(row["cosine"], 3)
(0.692, 0.971)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from quantviz.models.transformer.layerwise import METHOD_COLUMNS, SMOOTH_COLUMNS, relative_error

ASSETS = Path(__file__).resolve().parents[3] / "assets" / "precomputed"
SCORES = ASSETS / "minilm-l6-scores.json"
ACTIVATIONS = ASSETS / "minilm-l6-activations.json"
LAYERS = ASSETS / "minilm-l6-layers.json"
SCORE_COLUMNS = ("accuracy", "mrr", "cosine", "cosine_p5", "bits_per_weight")


@cache
def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def settings_key(settings: Mapping[str, object]) -> str:
    """A configuration's settings as one comparable text: ``qv.evaluate``'s defaults left
    out (``method="rtn"``, ``act_order=False``, ``smooth_scope="all"``, an activation grid's
    ``mode="static"``, ``granularity="tensor"``), the rest sorted."""
    kw = {k: v for k, v in settings.items() if v is not None}
    defaults = {"method": "rtn", "act_order": False, "smooth_scope": "all",
                "granularity": "tensor"}  # fmt: skip
    kw = {k: v for k, v in kw.items() if defaults.get(k, object()) != v}
    if isinstance(kw.get("activations"), Mapping):
        acts = {k: v for k, v in kw["activations"].items() if not (k == "mode" and v == "static")}
        kw["activations"] = dict(sorted(acts.items()))
    if "smooth" in kw:
        kw["smooth"] = round(float(kw["smooth"]), 4)
    return json.dumps(kw, sort_keys=True)


def float_scores() -> dict[str, float]:
    """The float model's ``accuracy`` (accuracy@1) and ``mrr`` on the evaluation texts."""
    return dict(_read(SCORES)["float"])


@cache
def scores() -> pd.DataFrame:
    """Every shipped configuration (the scores file's, then the layers file's SmoothQuant
    ones): ``id``, ``settings`` (``qv.evaluate``'s keywords), ``key`` (:func:`settings_key`)
    and :data:`SCORE_COLUMNS`. Shared: do not modify."""
    configurations = [*_read(SCORES)["configurations"], *_read(LAYERS).get("configurations", [])]
    rows = [{"id": c["id"], "settings": c["settings"], "key": settings_key(c["settings"]),
             **{k: c[k] for k in SCORE_COLUMNS}}
            for c in configurations]  # fmt: skip
    return pd.DataFrame(rows)


def find_scores(settings: Mapping[str, object]) -> dict | None:
    """The shipped scores of ``qv.evaluate(model, **settings)`` (a dict of
    :data:`SCORE_COLUMNS` and ``id``), or None when that configuration was not shipped."""
    key = settings_key(settings)
    table = _scores_by_key()
    return dict(table[key]) if key in table else None


@cache
def _scores_by_key() -> dict[str, dict]:
    return {row["key"]: row for row in scores().to_dict("records")}


def per_layer(method: str) -> pd.DataFrame:
    """Each Linear at 4 bits per channel by ``method`` (``"rtn"``, ``"gptq"``, ``"awq"``):
    ``layer``, the weight's ``sqnr_db`` and ``weight_error`` (‖Ŵ − W‖²/‖W‖²), the
    ``output_error`` (‖(Ŵ − W)·Xᵀ‖²/‖W·Xᵀ‖² on calibration tokens) and, for RTN, the
    ``cosine`` with only that Linear quantized."""
    table = pd.DataFrame(_read(SCORES)["per_layer"][f"w4-channel-{method}"])
    table.insert(2, "weight_error", relative_error(table["sqnr_db"].to_numpy()))
    return table


@dataclass(frozen=True)
class InputMaxima:
    """One Linear input's calibration maxima: ``name`` (``encoder.layer.0.ffn``), the
    ``linears`` that read it, the calibration ``tokens``, each channel's ``absmax`` (max |x|,
    4 significant digits), their ``median``, and ``top``: the five largest channels
    (``channel``, ``absmax``, ``times_median``, ``token``, ``position``, ``text``,
    ``source``)."""

    name: str
    linears: tuple[str, ...]
    tokens: int
    absmax: np.ndarray
    median: float
    top: pd.DataFrame


@cache
def input_maxima() -> dict[str, InputMaxima]:
    """Every Linear input's :class:`InputMaxima`, by input name, layer by layer."""
    out = {}
    for item in _read(ACTIVATIONS)["inputs"]:
        absmax = np.asarray(item["absmax"], dtype=np.float64)
        absmax.flags.writeable = False
        out[item["input"]] = InputMaxima(
            item["input"], tuple(item["linears"]), int(item["tokens"]), absmax,
            float(item["median_absmax"]), pd.DataFrame(item["top"]),
        )  # fmt: skip
    return out


def maxima_of(linear: str) -> InputMaxima:
    """The :class:`InputMaxima` of the input the Linear ``linear`` reads."""
    return next(m for m in input_maxima().values() if linear in m.linears)


def smooth_tradeoff(linear: str, act_bits: int) -> pd.DataFrame:
    """:func:`~quantviz.models.transformer.layerwise.smooth_tradeoff` of ``linear`` as shipped
    (8-bit weights, ``act_bits`` 6 or 8): the unsmoothed row first (``alpha`` NaN), then α
    = 0, 0.05, …, 1."""
    smooth = _read(LAYERS)["smooth"]
    entry = smooth["tables"][str(int(act_bits))][linear]
    rows = [[np.nan, *entry["off"]]]
    rows += [[a, *v] for a, v in zip(smooth["alphas"], entry["alphas"], strict=True)]
    return pd.DataFrame(rows, columns=list(SMOOTH_COLUMNS))


def smooth_act_bits() -> tuple[int, ...]:
    """The input bit widths :func:`smooth_tradeoff` was shipped for."""
    return tuple(int(b) for b in _read(LAYERS)["smooth"]["tables"])


def method_errors(linear: str, bits: int) -> pd.DataFrame:
    """:func:`~quantviz.models.transformer.layerwise.method_errors` of ``linear`` at ``bits``
    per channel, as shipped (2 to 8 bits)."""
    methods = _read(LAYERS)["methods"]
    i = methods["bits"].index(int(bits))
    rows = []
    for method, entry in methods["tables"][linear].items():
        sqnr = entry["sqnr_db"][i]
        rows.append([method, sqnr, float(relative_error(sqnr)), entry["output_error"][i]])
    return pd.DataFrame(rows, columns=list(METHOD_COLUMNS))


def method_bits() -> tuple[int, ...]:
    """The bit widths :func:`method_errors` was shipped for."""
    return tuple(_read(LAYERS)["methods"]["bits"])


def weight_absmax(input_name: str) -> np.ndarray:
    """Each input channel's max |w| over every weight that reads the input ``input_name``
    (q, k and v together for ``attention``), 4 significant digits."""
    return np.asarray(_read(LAYERS)["weight_absmax"][input_name], dtype=np.float64)
