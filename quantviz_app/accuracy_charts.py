"""Vega-Lite specs of the accuracy room (structure only; the data is attached by
:func:`quantviz_app.charts.with_data`), and the small DataFrames they draw.

Every spec's structure depends only on the language, so a slider move changes the
datasets and the browser updates the chart in place. Accuracies are drawn in percent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantviz_app.charts import (
    GREEN,
    INK,
    LEVEL,
    ORIGINAL,
    QUANTIZED,
    SCHEMA,
    STAR,
    YELLOW,
    config,
)
from quantviz_app.i18n import EN, Tr
from quantviz_app.schema import BY_KEY

PCT = ".1f"


def _acc_axis(t: Tr, title: str | None = None) -> dict:
    return {"field": "accuracy", "type": "quantitative",
            "title": title or t("text.accuracy.axis", "test accuracy, %"),
            "scale": {"domain": [0, 100]}, "axis": {"tickCount": 5}}  # fmt: skip


def _float_rule(t: Tr) -> dict:
    label = t("text.accuracy.float", "float32")
    return {"data": {"name": "float"},
            "mark": {"type": "rule", "strokeDash": [6, 4], "color": INK, "strokeWidth": 1.5},
            "encoding": {"y": {"field": "accuracy", "type": "quantitative"},
                         "tooltip": [{"field": "accuracy", "type": "quantitative",
                                      "title": label, "format": PCT}]}}  # fmt: skip


def series_labels(t: Tr = EN) -> list[str]:
    """The three curves of :func:`bits_spec`, in order."""
    return [
        t("text.accuracy.series_weights", "weights only"),
        t("text.accuracy.series_static", "weights + activations, static"),
        t("text.accuracy.series_dynamic", "weights + activations, dynamic"),
    ]


def bits_spec(*, height: int = 280, t: Tr = EN) -> dict:
    """Test accuracy against bits: one line per series, the float accuracy as a dashed
    rule, the current setting as a star and a vertical rule.

    Datasets ``curves`` (``bits``, ``accuracy`` %, ``series``), ``float`` (``accuracy``),
    ``current`` (``bits``, ``accuracy``).
    """
    series = series_labels(t)
    bits = {"field": "bits", "type": "quantitative", "title": t("text.chart.bits", "bits"),
            "scale": {"domain": [1.5, 8.5], "nice": False},
            "axis": {"values": list(range(2, 9)), "format": "d"}}  # fmt: skip
    colour = {"field": "series", "type": "nominal", "title": None,
              "scale": {"domain": series, "range": [ORIGINAL, QUANTIZED, GREEN]}}  # fmt: skip
    tip = [{"field": "series", "title": None}, {"field": "bits", "title": bits["title"]},
           {"field": "accuracy", "type": "quantitative", "format": PCT, "title": "%"}]  # fmt: skip
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            _float_rule(t),
            {"data": {"name": "current"},
             "mark": {"type": "rule", "color": LEVEL, "strokeWidth": 1},
             "encoding": {"x": bits}},
            {"data": {"name": "curves"}, "transform": [{"filter": "isValid(datum.accuracy)"}],
             "mark": {"type": "line", "strokeWidth": 2.5, "point": {"filled": True, "size": 50}},
             "encoding": {"x": bits, "y": _acc_axis(t), "color": colour, "tooltip": tip}},
            {"data": {"name": "current"},
             "mark": {"type": "point", "shape": STAR, "size": 420, "filled": True,
                      "fill": YELLOW, "stroke": INK, "strokeWidth": 1.5, "opacity": 1},
             "encoding": {"x": bits, "y": _acc_axis(t),
                          "tooltip": [{"field": "accuracy", "type": "quantitative",
                                       "format": PCT, "title": "%"}]}},
        ],
        "config": config(),
    }  # fmt: skip


def bits_frames(
    table: pd.DataFrame, float_accuracy: float, bits: int, accuracy: float, t: Tr = EN
) -> dict[str, pd.DataFrame]:
    """:func:`bits_spec`'s datasets from a table (``bits``, ``series`` index 0–2,
    ``accuracy`` fraction) and the current setting."""
    labels = series_labels(t)
    curves = pd.DataFrame({"bits": table["bits"], "accuracy": 100 * table["accuracy"],
                           "series": [labels[i] for i in table["series"]]})  # fmt: skip
    return {
        "curves": curves,
        "float": pd.DataFrame({"accuracy": [100 * float_accuracy]}),
        "current": pd.DataFrame({"bits": [bits], "accuracy": [100 * accuracy]}),
    }


def layers_spec(*, height: int = 200, t: Tr = EN) -> dict:
    """Each layer's sensitivity: the accuracy lost (points) when only it is quantized, over
    a grey band of the test set's noise (± the standard error of the float accuracy); a bar
    inside the band is grey too: that loss cannot be told from none on this test set.

    Datasets ``layers`` (``layer``, ``drop`` in points, ``accuracy`` %, ``sqnr_db``,
    ``setting``, ``within``: inside the band) and ``noise`` (``low``, ``high``: the band's
    ends in points)."""
    drop = t("text.accuracy.drop_axis", "accuracy lost, points")
    x = {"field": "drop", "type": "quantitative", "title": drop}
    band = t("text.accuracy.noise", "test set's noise")
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "noise"},
             "mark": {"type": "rect", "color": LEVEL, "opacity": 0.25},
             "encoding": {"x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"},
                          "tooltip": [{"field": "high", "type": "quantitative", "format": ".2f",
                                       "title": f"{band} (±)"}]}},
            {"data": {"name": "layers"},
             "mark": {"type": "bar"},
             "encoding": {
                 "y": {"field": "layer", "type": "nominal", "sort": None, "title": None},
                 "x": x,
                 "color": {"condition": {"test": "datum.within", "value": LEVEL},
                           "value": QUANTIZED},
                 "tooltip": [
                     {"field": "layer", "title": t("text.accuracy.layer", "layer")},
                     {"field": "setting", "title": t("text.accuracy.setting", "setting")},
                     {"field": "drop", "type": "quantitative", "format": ".2f", "title": drop},
                     {"field": "accuracy", "type": "quantitative", "format": PCT, "title": "%"},
                     {"field": "sqnr_db", "type": "quantitative", "format": ".1f",
                      "title": "SQNR (dB)"},
                 ],
             }},
        ],
        "config": config(),
    }  # fmt: skip


def layers_frame(per_layer: pd.DataFrame, noise: float = 0.0) -> pd.DataFrame:
    """:func:`layers_spec`'s ``layers`` from ``Evaluation.per_layer``; ``noise``: the band's
    half width in points (a drop within it is ``within``)."""
    sqnr = [float(v) if np.isfinite(v) else None for v in per_layer["sqnr_db"]]
    drop = 100 * per_layer["drop"]
    return pd.DataFrame({"layer": per_layer["layer"], "drop": drop,
                         "accuracy": 100 * per_layer["accuracy"], "sqnr_db": sqnr,
                         "setting": per_layer["setting"],
                         "within": drop.abs() <= noise + 1e-9})  # fmt: skip


def noise_frame(noise: float) -> pd.DataFrame:
    """:func:`layers_spec`'s ``noise``: the band from −``noise`` to +``noise`` points."""
    return pd.DataFrame({"low": [-noise], "high": [noise]})


def scope_labels(t: Tr = EN) -> dict[str, str]:
    """The pruning scopes as the ``prune_scope`` setting names them, in ``t``'s language."""
    setting = BY_KEY["prune_scope"]
    return {scope: t.option("prune_scope", scope, setting.show(scope)) for scope in setting.options}


def prune_spec(*, height: int = 260, t: Tr = EN) -> dict:
    """Size against accuracy as more weights are pruned, one line per scope, the slider's
    setting as a star.

    Datasets ``prune`` (``bpw``, ``accuracy`` %, ``pruned`` %, ``scope``), ``float``,
    ``current`` (``bpw``, ``accuracy``, ``pruned``)."""
    scopes = list(scope_labels(t).values())
    bpw = t("text.accuracy.bpw_axis", "bits per weight, whole model")
    pruned = t("text.accuracy.pruned", "pruned, %")
    x = {"field": "bpw", "type": "quantitative", "title": bpw, "scale": {"zero": True}}
    tip = [{"field": "pruned", "type": "quantitative", "format": ".0f", "title": pruned},
           {"field": "bpw", "type": "quantitative", "format": ".2f", "title": bpw},
           {"field": "accuracy", "type": "quantitative", "format": PCT, "title": "%"}]  # fmt: skip
    colour = {"field": "scope", "type": "nominal", "title": None,
              "scale": {"domain": scopes, "range": [ORIGINAL, GREEN]}}  # fmt: skip
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            _float_rule(t),
            {"data": {"name": "prune"},
             "mark": {"type": "line", "strokeWidth": 2.5, "point": {"filled": True, "size": 50}},
             "encoding": {"x": x, "y": _acc_axis(t), "color": colour,
                          "tooltip": [{"field": "scope", "title": None}, *tip]}},
            {"data": {"name": "current"},
             "mark": {"type": "point", "shape": STAR, "size": 420, "filled": True,
                      "fill": YELLOW, "stroke": INK, "strokeWidth": 1.5, "opacity": 1},
             "encoding": {"x": x, "y": _acc_axis(t), "tooltip": tip}},
        ],
        "config": config(),
    }  # fmt: skip


def seeds_spec(*, height: int = 160, t: Tr = EN) -> dict:
    """The accuracy of each stochastic-rounding seed as a dot, the round-to-nearest
    accuracy as a wide solid rule and the float accuracy as a thin dashed one drawn over
    everything (where the two coincide, the dashes show on the solid rule).

    Datasets ``seeds`` (``seed``, ``accuracy`` %), ``nearest`` and ``float``
    (``accuracy``)."""
    acc = _acc_axis(t)
    acc["scale"] = {"zero": False, "nice": True}
    acc["axis"] = {"tickCount": 4}
    rule = {"field": "accuracy", "type": "quantitative"}
    float_rule = _float_rule(t)
    float_rule["encoding"] = {"x": rule, "tooltip": float_rule["encoding"]["tooltip"]}
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [  # the dashed float rule last and thinner: on top of the solid one it shows
            {"data": {"name": "nearest"},
             "mark": {"type": "rule", "color": ORIGINAL, "strokeWidth": 5, "opacity": 0.8},
             "encoding": {"x": rule,
                          "tooltip": [{"field": "accuracy", "type": "quantitative", "format": PCT,
                                       "title": t("text.accuracy.nearest", "round to nearest")}]}},
            {"data": {"name": "seeds"},
             "mark": {"type": "circle", "size": 110, "color": QUANTIZED, "opacity": 0.8},
             "encoding": {"x": acc,
                          "tooltip": [{"field": "seed", "title": t("text.accuracy.seed", "seed")},
                                      {"field": "accuracy", "type": "quantitative",
                                       "format": PCT, "title": "%"}]}},
            float_rule,
        ],
        "config": config(),
    }  # fmt: skip


def search_spec(*, height: int = 240, t: Tr = EN) -> dict:
    """The fewest-bits search as it runs: every trial's size (x) and accuracy (y), the
    accepted ones joined by a line, the target as a dashed rule.

    Datasets ``steps`` (``step``, ``bpw``, ``accuracy`` %, ``kind``, ``bits`` text),
    ``target`` (``accuracy``)."""
    kinds = [t("text.accuracy.kept", "kept"), t("text.accuracy.tried", "tried, within target"),
             t("text.accuracy.missed", "tried, below target")]  # fmt: skip
    bpw = t("text.accuracy.bpw_axis", "bits per weight, whole model")
    x = {"field": "bpw", "type": "quantitative", "title": bpw, "scale": {"zero": True}}
    y = _acc_axis(t)
    y["scale"] = {"zero": False, "nice": True}
    colour = {"field": "kind", "type": "nominal", "title": None,
              "scale": {"domain": kinds, "range": [QUANTIZED, ORIGINAL, LEVEL]}}  # fmt: skip
    tip = [{"field": "step", "title": t("text.accuracy.step", "step")},
           {"field": "bits", "title": t("text.accuracy.bits_per_layer", "bits per layer")},
           {"field": "bpw", "type": "quantitative", "format": ".2f", "title": bpw},
           {"field": "accuracy", "type": "quantitative", "format": PCT, "title": "%"}]  # fmt: skip
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "target"},
             "mark": {"type": "rule", "strokeDash": [6, 4], "color": INK},
             "encoding": {"y": {"field": "accuracy", "type": "quantitative"}}},
            {"data": {"name": "steps"},
             "transform": [{"filter": {"field": "kind", "equal": kinds[0]}}],
             "mark": {"type": "line", "color": QUANTIZED, "strokeWidth": 2},
             "encoding": {"x": x, "y": y, "order": {"field": "step"}}},
            {"data": {"name": "steps"},
             "mark": {"type": "point", "filled": True, "size": 70},
             "encoding": {"x": x, "y": y, "color": colour, "tooltip": tip}},
        ],
        "config": config(),
    }  # fmt: skip


def search_frame(steps: list, t: Tr = EN) -> pd.DataFrame:
    """:func:`search_spec`'s ``steps`` from :class:`quantviz.models.SearchStep`s."""
    kinds = [t("text.accuracy.kept", "kept"), t("text.accuracy.tried", "tried, within target"),
             t("text.accuracy.missed", "tried, below target")]  # fmt: skip
    rows = [{
        "step": s.step, "bpw": s.bits_per_weight, "accuracy": 100 * s.accuracy,
        "kind": kinds[0] if s.accepted else kinds[1] if s.within_target else kinds[2],
        "bits": " ".join(f"{k}:{v}" for k, v in s.bits.items()),
    } for s in steps]  # fmt: skip
    return pd.DataFrame(rows, columns=["step", "bpw", "accuracy", "kind", "bits"])


def digit_image(pixels: np.ndarray, scale: int = 8) -> np.ndarray:
    """An 8×8 digit (counts 0–16, ink high) as a ``scale``-times larger grayscale picture,
    dark ink on white (uint8), each pixel a square block."""
    ink = np.asarray(pixels, dtype=np.float64) / 16.0
    grey = np.rint(255 * (1 - np.clip(ink, 0, 1))).astype(np.uint8)
    return np.kron(grey, np.ones((scale, scale), dtype=np.uint8))
