"""The accuracy room: does the network still work at these settings?

The shipped digits CNN (``qv.load_model("digits-cnn")``) evaluated on its 540 test digits
with the page's quantization settings: accuracy against bits (weights only, weights and
activations with static or dynamic ranges) beside the float accuracy; each layer's
sensitivity; pruning; the spread across seeds of stochastic rounding; test digits with
the float and the quantized prediction; and the fewest-bits search, drawn as it runs.

Every number comes from ``quantviz.models``; results are kept in the shared store under
small keys (the model, what, and the settings as a sorted tuple), so a setting seen once
is drawn again without computing. The room does not depend on the tensor on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz_app import accuracy_charts as ac
from quantviz_app.charts import with_data
from quantviz_app.data import MODEL_NAME, shared_store
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import Settings, quantize_kwargs
from quantviz_app.widgets import control

MODEL = MODEL_NAME  # the shipped model, the one the page also opens as a source
BITS = range(2, 9)
PRUNE_STEPS = tuple(round(0.1 * i, 1) for i in range(10))  # 0 … 0.9
SEEDS = range(10)
N_DIGITS = 12
DRAW_EVERY = 4  # search steps between redraws of its chart
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


def _memo(what: str, key: tuple, compute):
    return shared_store().get(("accuracy", MODEL, what, *key), compute)


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
    (``layers``: :func:`accuracy_charts.layers_frame`; ``noise``: the standard error, a
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
    kind = ac.series_labels(t)[series]
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
    spec = ac.search_spec(t=t)
    chart = st.empty()
    target = pd.DataFrame({"accuracy": [100 * float_accuracy - drop]})
    if st.button(t("text.accuracy.search_run", "Search"), key="acc_search_run"):
        steps: list = []

        def draw(step) -> None:
            steps.append(step)
            if step.step % DRAW_EVERY == 0 or step.accepted:
                frames = {"steps": ac.search_frame(steps, t), "target": target}
                chart.vega_lite_chart(with_data(spec, frames), width="stretch", theme=None)

        answer = qv.fewest_bits(MODEL, max_drop=drop / 100, on_step=draw, **dict(rest))
        state[SEARCH_KEY] = (key, steps, answer)
    found = state.get(SEARCH_KEY)
    if not found or found[0] != key:
        return
    _, steps, answer = found
    chart.vega_lite_chart(with_data(spec, {"steps": ac.search_frame(steps, t), "target": target}),
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
    st.image([ac.digit_image(model.images[i]) for i in order], caption=captions, width=96)


@st.fragment
def _room(s: Settings, state: MutableMapping[str, Any], t: Tr) -> None:
    st.subheader(t("text.accuracy.title", "Does the model still work?"))
    st.caption(t(
        "text.accuracy.model_note",
        "A small convolutional network (two conv layers, two dense; 13,706 parameters) "
        "trained here on the UCI handwritten digits (8×8 pictures, CC BY 4.0), tested on "
        "540 digits it never saw. Every weight tensor is quantized with the page's settings.",
    ))  # fmt: skip
    settings, rest = model_settings(quantize_kwargs(s))
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
    frames = ac.bits_frames(table, r.float_accuracy, bits, r.accuracy, t)
    st.vega_lite_chart(with_data(ac.bits_spec(t=t), frames), width="stretch", theme=None)
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
    frames = {"layers": ac.layers_frame(r.per_layer, 100 * noise),
              "noise": ac.noise_frame(100 * noise)}  # fmt: skip
    st.vega_lite_chart(with_data(ac.layers_spec(t=t), frames), width="stretch", theme=None)
    st.caption(layers_note(frames["layers"], noise, n, t))

    st.markdown(f"**{t('text.accuracy.prune_title', 'Prune, then quantize')}**")
    labels = ac.scope_labels(t)
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
    st.vega_lite_chart(with_data(ac.prune_spec(t=t), frames), width="stretch", theme=None)
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
        nearest = _memo("nearest", (settings,), lambda: qv.evaluate(
            MODEL, layer_accuracy=False,
            **{k: v for k, v in settings if k not in ("rounding", "seed")}).accuracy)  # fmt: skip
        frames = {"seeds": pd.DataFrame({"seed": list(sp.seeds), "accuracy": 100 * sp.accuracies}),
                  "nearest": pd.DataFrame({"accuracy": [100 * nearest]}),
                  "float": pd.DataFrame({"accuracy": [100 * sp.float_accuracy]})}  # fmt: skip
        st.vega_lite_chart(with_data(ac.seeds_spec(t=t), frames), width="stretch", theme=None)
        note = t(
            "text.accuracy.seeds_note",
            "{n} seeds of stochastic rounding: {low} to {high} (mean {mean}, standard "
            "deviation {std:.1f} points). The wide solid line rounds to nearest; the dashed "
            "line is float.",
            n=len(sp.seeds), low=pct(sp.low), high=pct(sp.high), mean=pct(sp.mean),
            std=100 * sp.std,
        )  # fmt: skip
        if pct(nearest) == pct(sp.float_accuracy):
            same = "Here the two coincide: rounding to nearest scores as float does."
            note += " " + t("text.accuracy.seeds_same", same)
        st.caption(note)

    _show_digits(r, t)
    _show_search(rest, r.float_accuracy, state, t)


def show(m: Move) -> None:
    """The room, in the page's language (it shows the shipped model, whatever tensor the
    page shows)."""
    _room(m.s, m.state, m.t)
