"""The accuracy room: does the network still work at these settings?

The shipped digits CNN (``qv.load_model("digits-cnn")``) evaluated on its 540 test digits
with the page's quantization settings: accuracy against bits (weights only, weights and
activations with static or dynamic ranges) beside the float accuracy; each layer's
sensitivity; pruning; the spread across seeds of stochastic rounding; test digits with
the float and the quantized prediction; and the fewest-bits search, drawn as it runs.

Every number comes from ``quantviz.models``; results are kept in the shared store under
small keys (the model, what, and the settings as a sorted tuple), so a setting seen once
is drawn again without computing. The room does not depend on the tensor on the page.
What the room computes for the page's default settings, at every bit width, ships in
``assets/precomputed/digits-cnn-room.json`` (52 of the 57 evaluations of a first visit:
the curves, the pruning, the seeds; ``scripts/precompute_accuracy_room.py`` writes it, a
test checks it against the library), so a first visit there evaluates only its setting.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
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
    with_data,
)
from quantviz_app.data import ASSETS, MODEL_NAME, shared_store
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import BY_KEY
from quantviz_app.widgets import control

MODEL = MODEL_NAME  # the shipped model, the one the page also opens as a source
BITS = range(2, 9)
PRUNE_STEPS = tuple(round(0.1 * i, 1) for i in range(10))  # 0 … 0.9
SEEDS = range(10)
N_DIGITS = 12
DRAW_EVERY_S = 0.25  # the search's chart is redrawn at most this often while it runs
ROOM_SETTINGS = ("prune", "prune_scope", "max_drop")  # the room's own controls (schema)
SEARCH_KEY = "acc_search"  # session key: the last search's settings, steps and answer

Frozen = tuple[tuple[str, object], ...]


def freeze(kwargs: Mapping[str, object]) -> Frozen:
    """Settings as a small hashable key (sorted ``(name, value)`` pairs)."""
    return tuple(sorted(kwargs.items()))


def model_settings(kwargs: Mapping[str, object]) -> tuple[Frozen, Frozen]:
    """The page's ``qv.quantize`` keywords for the model: all of them (the current point),
    and the rest without ``bits`` and ``format`` (the curves over bits use the integer
    grid with the page's other settings)."""
    rest = {k: v for k, v in kwargs.items() if k not in ("bits", "format")}
    if kwargs.get("format", "int") != "int":  # integer-grid settings a format dropped
        rest = {k: v for k, v in rest.items() if k in ("granularity", "axis", "group_size")}
    return freeze(kwargs), freeze(rest)


PRECOMPUTED = ASSETS / "precomputed" / f"{MODEL}-room.json"


@functools.cache
def precomputed() -> dict[tuple, object]:
    """The shipped results, by ``(what, settings)`` as :func:`_memo` keys them (empty
    without the file)."""
    if not PRECOMPUTED.exists():
        return {}
    found: dict[tuple, object] = {}
    for entry in json.loads(PRECOMPUTED.read_text(encoding="utf-8"))["results"]:
        what, key = entry["what"], tuple(tuple(pair) for pair in entry["key"])
        if what == "spread":
            value: object = qv.Spread(tuple(entry["seeds"]), np.array(entry["accuracies"]),
                                      entry["float_accuracy"])  # fmt: skip
        elif what == "nearest":
            value = entry["accuracy"]
        elif what == "answers":
            value = tuple(entry["answers"])
        else:
            value = pd.DataFrame(entry["rows"])
        found[(what, key, *entry.get("bits", ()))] = value
    return found


def _memo(what: str, key: tuple, compute):
    def shipped_or_computed():
        found = precomputed().get((what, *key))
        return compute() if found is None else found

    return shared_store().get(("accuracy", MODEL, what, *key), shipped_or_computed)


def current(settings: Frozen) -> qv.Evaluation:
    """The page's setting on the model (with the per-layer table)."""
    return _memo("current", (settings,), lambda: qv.evaluate(MODEL, **dict(settings)))


def curves(rest: Frozen) -> pd.DataFrame:
    """Accuracy at 2–8 bits: weights only (series 0), then weights and activations at the
    same bits with static (1) or dynamic (2) min-max ranges."""

    def compute() -> pd.DataFrame:
        rows = []
        for b in BITS:
            for series, act in enumerate((None, "static", "dynamic")):
                acts = None if act is None else {"bits": b, "mode": act}
                r = qv.evaluate(MODEL, bits=b, activations=acts, layer_accuracy=False,
                                **dict(rest))  # fmt: skip
                rows.append({"bits": b, "series": series, "accuracy": r.accuracy})
        return pd.DataFrame(rows)

    return _memo("curves", (rest,), compute)


def prune_table(settings: Frozen) -> pd.DataFrame:
    """Accuracy and size at 0–90 % pruning, per layer and global, at the page's setting."""

    def compute() -> pd.DataFrame:
        rows = []
        for scope in ("layer", "global"):
            for p in PRUNE_STEPS:
                r = qv.evaluate(MODEL, prune=p, prune_scope=scope, layer_accuracy=False,
                                **dict(settings))  # fmt: skip
                rows.append({"scope": scope, "prune": p, "bpw": r.bits_per_weight,
                             "accuracy": r.accuracy})  # fmt: skip
        return pd.DataFrame(rows)

    return _memo("prune", (settings,), compute)


def spread(settings: Frozen) -> qv.Spread:
    """Stochastic rounding at the page's setting, once per seed of :data:`SEEDS`."""
    kw = {k: v for k, v in settings if k not in ("rounding", "seed")}
    return _memo("spread", (freeze(kw),), lambda: qv.accuracy_spread(MODEL, seeds=SEEDS, **kw))


def nearest(settings: Frozen) -> float:
    """The accuracy at the page's setting rounding to nearest (the spread's reference)."""
    kw = {k: v for k, v in settings if k not in ("rounding", "seed")}
    return _memo("nearest", (settings,), lambda: qv.evaluate(
        MODEL, layer_accuracy=False, **kw).accuracy)  # fmt: skip


def digit_order(r: qv.Evaluation, labels: np.ndarray) -> np.ndarray:
    """Test examples, those quantization got wrong first: wrong only when quantized, then
    wrong both ways, then wrong only in float, then the rest (each group in test order)."""
    q_ok = r.predictions == labels
    f_ok = r.float_predictions == labels
    rank = np.select([~q_ok & f_ok, ~q_ok & ~f_ok, q_ok & ~f_ok], [0, 1, 2], default=3)
    return np.argsort(rank, kind="stable")


def pct(fraction: float) -> str:
    return f"{100 * fraction:.1f} %"


def layers_note(layers: pd.DataFrame, noise: float, n: int, t: Tr = EN) -> str:
    """What the layer bars mean, and which of them the test set cannot tell from no loss
    (``layers``: :func:`layers_frame`; ``noise``: the standard error, a
    fraction; ``n``: test digits)."""
    sentence = t(
        "text.accuracy.layers_note",
        "The accuracy lost when only that layer is quantized, the others kept float. The grey "
        "band is the test set's noise: ±{noise} points, the standard error of an accuracy "
        "measured on {n} digits (one digit is {digit} points); a loss inside it (a grey bar) "
        "cannot be told from none, and could change sign on another {n} digits.",
        noise=f"{100 * noise:.2f}", n=n, digit=f"{100 / n:.2f}",
    )  # fmt: skip
    if layers["within"].all():
        sentence += " " + t("text.accuracy.layers_none", "Here no layer's loss stands out.")
    return sentence


def activations_help(
    table: pd.DataFrame, float_accuracy: float, noise: float
) -> tuple[int, int, float, float] | None:
    """The fewest bits at which quantizing the activations too beats weights only by more
    than twice the test set's noise while weights only is far from float (10 points or
    more): ``(bits, series, with activations, weights only)`` (``table``: :func:`curves`;
    ``series`` 1 static, 2 dynamic), or None."""
    for bits, rows in table.groupby("bits", sort=True):
        acc = dict(zip(rows["series"], rows["accuracy"], strict=True))
        series = max((1, 2), key=lambda k: acc[k])
        if acc[0] <= float_accuracy - 0.10 and acc[series] - acc[0] > 2 * noise:
            return int(bits), series, float(acc[series]), float(acc[0])
    return None


def answers(rest: Frozen, bits: int) -> tuple[int, int, int]:
    """The weights-only network at ``bits``: its most frequent answer, how many test digits
    get it, and how many digits there are."""

    def compute() -> tuple[int, int, int]:
        r = qv.evaluate(MODEL, bits=bits, layer_accuracy=False, **dict(rest))
        counts = np.bincount(r.predictions)
        return int(np.argmax(counts)), int(counts.max()), int(r.predictions.size)

    return _memo("answers", (rest, bits), compute)


def activations_note(
    odd: tuple[int, int, float, float], rest: Frozen, float_accuracy: float, t: Tr = EN
) -> str:
    """Why the activations' rounding helps a network its weights broke (measured on the
    digits CNN at 2 bits: setting the inputs below half a step to 0, and nothing else, lifts
    weights only from 20.6 % to 47.6 %; rounding the others while keeping those drops it to
    15.9 %; the same holds symmetric, per channel and with a percentile range)."""
    bits, series, with_acts, weights = odd
    digit, count, n = answers(rest, bits)
    kind = series_labels(t)[series]
    return t(
        "text.accuracy.activations_help",
        "**Why do activations help at {bits} bits?** {kind} ({with_acts}) beats weights only "
        "({weights}), but both networks are broken (float: {float}); with weights only it "
        "answers {digit} for {count} of the {n} digits. Rounding each layer's input onto "
        "{levels} levels also sets every input below half a step to 0, and in a network this "
        "broken most small inputs are noise from the rounded weights: dropping them helps "
        "more than rounding the rest hurts. A lucky side effect, not a reason to quantize "
        "activations.",
        bits=bits, kind=kind[:1].upper() + kind[1:], with_acts=pct(with_acts),
        weights=pct(weights),
        float=pct(float_accuracy), digit=digit, count=count, n=n, levels=2**bits,
    )  # fmt: skip


def _show_search(
    rest: Frozen, float_accuracy: float, state: MutableMapping[str, Any], t: Tr
) -> None:
    st.markdown(f"**{t('text.accuracy.search_title', 'The fewest bits that keep it')}**")
    st.caption(t(
        "text.accuracy.search_note",
        "A greedy search: every layer starts at 8 bits; each round tries one bit less on "
        "each layer and keeps the trial that saves the most bits for the accuracy it "
        "costs, as long as the accuracy stays within the allowed drop. Integer grid, the "
        "page's other settings.",
    ))  # fmt: skip
    drop = float(control("max_drop", t=t))
    key = (rest, drop)
    spec = search_spec(t=t)
    chart = st.empty()
    target = pd.DataFrame({"accuracy": [100 * float_accuracy - drop]})
    if st.button(t("text.accuracy.search_run", "Search"), key="acc_search_run"):
        steps: list = []
        drawn = [-DRAW_EVERY_S]  # when the chart was last drawn (time.monotonic)

        def draw(step) -> None:
            # by the clock, not every few steps: the browser redraws a chart more slowly than
            # the search takes a step (80 trials in ~0.5 s; 20 redraws took it ~1.5 s)
            steps.append(step)
            now = time.monotonic()
            if now - drawn[0] >= DRAW_EVERY_S:
                frames = {"steps": search_frame(steps, t), "target": target}
                chart.vega_lite_chart(with_data(spec, frames), width="stretch", theme=None)
                drawn[0] = now

        answer = qv.fewest_bits(MODEL, max_drop=drop / 100, on_step=draw, **dict(rest))
        state[SEARCH_KEY] = (key, steps, answer)
    found = state.get(SEARCH_KEY)
    if not found or found[0] != key:
        return
    _, steps, answer = found
    chart.vega_lite_chart(with_data(spec, {"steps": search_frame(steps, t), "target": target}),
                          width="stretch", theme=None)  # fmt: skip
    st.markdown(t(
        "text.accuracy.search_result",
        "Found after {n} trials: **{bits}**, {bpw:.2f} bits per weight, accuracy {acc} "
        "(float {float}, target ≥ {target}).",
        n=sum(not s.accepted for s in steps),
        bits=", ".join(f"{k} {v}" for k, v in answer.per_layer.items()),
        bpw=answer.bits_per_weight, acc=pct(answer.accuracy), float=pct(answer.float_accuracy),
        target=pct(answer.target),
    ))  # fmt: skip


def _show_digits(r: qv.Evaluation, t: Tr) -> None:
    model = qv.load_model(MODEL)
    order = digit_order(r, model.y_test)[:N_DIGITS]
    wrong = int((r.predictions != model.y_test).sum())
    st.markdown(f"**{t('text.accuracy.digits_title', 'Test digits, mistakes first')}**")
    st.caption(t(
        "text.accuracy.digits_note",
        "{wrong} of {n} test digits are misclassified at this setting. Under each: the "
        "true digit, the float model's answer and the quantized model's.",
        wrong=wrong, n=len(model.y_test),
    ))  # fmt: skip
    captions = [
        t("text.accuracy.digit_caption", "{true} · float {f} · quantized {q}",
          true=int(model.y_test[i]), f=int(r.float_predictions[i]), q=int(r.predictions[i]))
        for i in order
    ]  # fmt: skip
    st.image([digit_image(model.images[i]) for i in order], caption=captions, width=96)


@st.fragment
def _room(m: Move) -> None:
    state, t = m.state, m.t
    st.subheader(t("text.accuracy.title", "Does the model still work?"))
    st.caption(t(
        "text.accuracy.model_note",
        "A small convolutional network (two conv layers, two dense; 13,706 parameters) "
        "trained here on the UCI handwritten digits (8×8 pictures, CC BY 4.0), tested on "
        "540 digits it never saw. Every weight tensor is quantized with the page's settings.",
    ))  # fmt: skip
    settings, rest = model_settings(m.kwargs)
    try:
        r = current(settings)
    except qv.InputError as exc:
        st.error(str(exc))
        return
    bits = int(dict(settings).get("bits") or 8)
    with st.container(horizontal=True):
        st.metric(t("text.accuracy.float_metric", "float32 accuracy"), pct(r.float_accuracy))
        change = f"{100 * (r.accuracy - r.float_accuracy):+.1f}"  # points against float32
        st.metric(t("text.accuracy.quant_metric", "quantized accuracy"), pct(r.accuracy),
                  delta=None if change in ("+0.0", "-0.0") else change)  # fmt: skip
        st.metric(t("text.accuracy.bpw_metric", "bits per weight"), f"{r.bits_per_weight:.2f}")

    table = curves(rest)
    frames = bits_frames(table, r.float_accuracy, bits, r.accuracy, t)
    st.vega_lite_chart(with_data(bits_spec(t=t), frames), width="stretch", theme=None)
    st.caption(t(
        "text.accuracy.bits_note",
        "Weights only: each weight tensor at that many bits. With activations: each layer's "
        "input too, at the same bits, with one range per layer calibrated on 256 training "
        "digits (static) or the range of each digit's own values (dynamic, as PyTorch's "
        "dynamic quantization); biases are then 32-bit integers. The star is the page's setting.",
    ))  # fmt: skip
    n = len(qv.load_model(MODEL).y_test)
    noise = qv.accuracy_standard_error(r.float_accuracy, n)
    odd = activations_help(table, r.float_accuracy, noise)
    if odd is not None:
        st.markdown(activations_note(odd, rest, r.float_accuracy, t))

    st.markdown(f"**{t('text.accuracy.layers_title', 'Which layer hurts most?')}**")
    frames = {"layers": layers_frame(r.per_layer, 100 * noise),
              "noise": noise_frame(100 * noise)}  # fmt: skip
    st.vega_lite_chart(with_data(layers_spec(t=t), frames), width="stretch", theme=None)
    st.caption(layers_note(frames["layers"], noise, n, t))

    st.markdown(f"**{t('text.accuracy.prune_title', 'Prune, then quantize')}**")
    labels = scope_labels(t)
    with st.container(horizontal=True):
        prune = control("prune", t=t)
        scope = control("prune_scope", t=t)
    table = prune_table(settings)
    now = table[(table["scope"] == scope) & np.isclose(table["prune"], prune / 100)]
    frames = {
        "prune": pd.DataFrame({"bpw": table["bpw"], "accuracy": 100 * table["accuracy"],
                               "pruned": 100 * table["prune"],
                               "scope": table["scope"].map(labels)}),
        "float": pd.DataFrame({"accuracy": [100 * r.float_accuracy]}),
        "current": pd.DataFrame({"bpw": now["bpw"], "accuracy": 100 * now["accuracy"],
                                 "pruned": 100 * now["prune"]}),
    }  # fmt: skip
    st.vega_lite_chart(with_data(prune_spec(t=t), frames), width="stretch", theme=None)
    st.caption(t(
        "text.accuracy.prune_note",
        "The smallest weights are set to zero, then the rest are quantized. Size counts only "
        "the kept weights, plus a map of 1 bit per weight saying which are kept.",
    ))  # fmt: skip

    st.markdown(f"**{t('text.accuracy.seeds_title', 'Stochastic rounding: how stable?')}**")
    if dict(settings).get("format", "int") != "int":
        st.caption(t("text.accuracy.seeds_int_only",
                     "Stochastic rounding applies to the integer grid only."))  # fmt: skip
    else:
        sp = spread(settings)
        rounded = nearest(settings)
        frames = {"seeds": pd.DataFrame({"seed": list(sp.seeds), "accuracy": 100 * sp.accuracies}),
                  "nearest": pd.DataFrame({"accuracy": [100 * rounded]}),
                  "float": pd.DataFrame({"accuracy": [100 * sp.float_accuracy]})}  # fmt: skip
        st.vega_lite_chart(with_data(seeds_spec(t=t), frames), width="stretch", theme=None)
        note = t(
            "text.accuracy.seeds_note",
            "{n} seeds of stochastic rounding: {low} to {high} (mean {mean}, standard "
            "deviation {std:.1f} points). The wide solid line rounds to nearest; the dashed "
            "line is float.",
            n=len(sp.seeds), low=pct(sp.low), high=pct(sp.high), mean=pct(sp.mean),
            std=100 * sp.std,
        )  # fmt: skip
        if pct(rounded) == pct(sp.float_accuracy):
            same = "Here the two coincide: rounding to nearest scores as float does."
            note += " " + t("text.accuracy.seeds_same", same)
        st.caption(note)

    _show_digits(r, t)
    _show_search(rest, r.float_accuracy, state, t)


def show(m: Move) -> None:
    """The room, in the page's language (it shows the shipped model, whatever tensor the
    page shows)."""
    _room(m)


# ---- the room's charts: Vega-Lite specs (structure only; the data is attached by
# charts.with_data) and the small frames they draw


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
