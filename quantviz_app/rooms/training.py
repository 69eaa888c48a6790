"""The Train for it room: quantization-aware training (QAT).

Why a network broken by rounding can be trained for it: the staircase's true gradient
(0 wherever it exists) beside the straight-through estimator's (1 inside the grid's range,
0 outside) and LSQ's gradient for the step; accuracy against bits for post-training
quantization (PTQ) and QAT (STE, LSQ), per tensor and per channel, as ``scripts/train_qat.py``
recorded them; and a short QAT fine-tune in numpy that runs from the page at its bits and
granularity, epoch by epoch.

Every number comes from ``quantviz.models.qat``. The fine-tune's result is kept in the shared
store per setting (bits, granularity, epochs), so a setting trained once is shown again
without training. The room does not depend on the tensor on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from quantviz.models import qat
from quantviz_app.charts import (
    GREEN,
    INK,
    LEVEL,
    ORIGINAL,
    PURPLE,
    QUANTIZED,
    SCHEMA,
    SKY,
    config,
    with_data,
)
from quantviz_app.data import MODEL_NAME, shared_store
from quantviz_app.format import num, percent
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.rooms.accuracy import _acc_axis, _float_rule
from quantviz_app.schema import Settings, integer_grid, option_label
from quantviz_app.widgets import control

MODEL = MODEL_NAME
MOST_BITS_DRAWN = 8  # the staircase and its gradients: at most 255 jumps on the chart
SHIPPED_BITS = (2, 3, 4)
GRANULARITIES = ("tensor", "channel")
METHODS = ("ptq_minmax", "ptq_mse", "qat_ste", "qat_lsq")  # the shipped results' columns
LOW, HIGH = -1.0, 1.0  # the staircase's range


def _memo(what: str, key: tuple, compute: Callable):
    return shared_store().get(("training", MODEL, what, *key), compute)


# ---- the data step ------------------------------------------------------------------------


def staircase_setting(s: Settings) -> tuple[int, bool]:
    """The page's bits (at most :data:`MOST_BITS_DRAWN`) and whether its grid is symmetric."""
    symmetric = integer_grid(s) and s["scheme"] != "asymmetric"
    return min(int(s["bits"]), MOST_BITS_DRAWN), symmetric


def gradients(bits: int, symmetric: bool) -> qat.SteGradients:
    """The staircase on [−1, 1] at ``bits`` and its gradients."""
    return _memo("gradients", (bits, symmetric), lambda: qat.ste_gradients(
        bits=bits, low=LOW, high=HIGH, symmetric=symmetric))  # fmt: skip


def results() -> pd.DataFrame:
    """What ``scripts/train_qat.py`` recorded (PTQ and QAT, 2–4 bits, tensor and channel)."""
    return _memo("results", (), qat.qat_results)


def tune_setting(s: Settings) -> tuple[int, str, bool]:
    """The fine-tune's bits and granularity from the page's, and whether the page's
    granularity had to change (one scale per group: per tensor)."""
    granularity = s["granularity"] if s["granularity"] in GRANULARITIES else "tensor"
    changed = integer_grid(s) and s["granularity"] not in GRANULARITIES
    return int(s["bits"]), granularity, changed


@dataclass(frozen=True)
class Run:
    """A fine-tune as the page keeps it: the quantized accuracy before (PTQ) and each epoch."""

    ptq: float
    epochs: tuple[qat.Epoch, ...]

    @property
    def accuracy(self) -> float:
        return self.epochs[-1].accuracy


def _store_key(bits: int, granularity: str, epochs: int) -> tuple:
    return ("training", MODEL, "fine_tune", bits, granularity, epochs)


def kept_run(bits: int, granularity: str, epochs: int) -> Run | None:
    """The fine-tune at this setting, if one ran already (in any session)."""
    store, key = shared_store(), _store_key(bits, granularity, epochs)
    if key not in store:
        return None
    try:
        return store.get(key, _not_kept)
    except LookupError:  # dropped from the store in between
        return None


def _not_kept() -> Run:
    raise LookupError("not kept")


def fine_tune(
    bits: int, granularity: str, epochs: int, on_epoch: Callable[[qat.Epoch], None] | None = None
) -> Run:
    """Fine-tune the digits CNN for ``bits``-bit weights (``qat.fine_tune``, seed 0), kept
    per setting; ``on_epoch`` hears each epoch of a run that computes."""

    def compute() -> Run:
        r = qat.fine_tune(MODEL, bits=bits, granularity=granularity, epochs=epochs,
                          on_epoch=on_epoch)  # fmt: skip
        return Run(r.ptq_accuracy, r.epochs)

    return shared_store().get(_store_key(bits, granularity, epochs), compute)


def shipped_row(bits: int, granularity: str) -> dict | None:
    """The shipped results at this setting, or None (they are at 2, 3 and 4 bits)."""
    t = results()
    rows = t[(t["bits"] == bits) & (t["granularity"] == granularity)]
    return None if rows.empty else rows.iloc[0].to_dict()


# ---- sentences ----------------------------------------------------------------------------


def method_labels(t: Tr = EN) -> dict[str, str]:
    """The shipped results' columns as the page names them."""
    return {
        "ptq_minmax": t("text.training.ptq_minmax", "PTQ, min-max"),
        "ptq_mse": t("text.training.ptq_mse", "PTQ, MSE range"),
        "qat_ste": t("text.training.qat_ste", "QAT, STE"),
        "qat_lsq": t("text.training.qat_lsq", "QAT, LSQ"),
    }


def gradient_words(g: qat.SteGradients, bits: int, t: Tr = EN) -> str:
    return t(
        "text.training.gradients",
        "Rounding is a staircase ({bits} bits: {levels} levels on [{low}, {high}]): flat "
        "between its {jumps} jumps, so its true gradient is 0 wherever it exists, and "
        "back-propagation through it would move no weight. The straight-through estimator "
        "(STE; Bengio et al., 2013; PyTorch's FakeQuantize) passes the gradient through "
        "unchanged inside the grid's range and stops it outside, where clipping really is "
        "flat. LSQ (Esser et al., 2020) learns the step s too; its gradient ∂x̂/∂s is "
        "round(x/s) − x/s inside the range and the end codes outside.",
        bits=bits, levels=f"{len(g.jumps) + 1:,}", jumps=f"{len(g.jumps):,}",
        low=num(g.low), high=num(g.high),
    )  # fmt: skip


def shipped_words(bits: int, granularity: str, t: Tr = EN) -> str:
    """The shipped results at the page's setting, in one sentence."""
    row = shipped_row(bits, granularity)
    g = t(f"text.granularity.{granularity}", granularity)
    if row is None:
        return t(
            "text.training.not_shipped",
            "The recorded runs are at 2, 3 and 4 bits: move the bit slider there to read "
            "the page's setting off the charts.",
        )
    return t(
        "text.training.shipped",
        "At {bits} bits, one scale per {granularity}: PTQ keeps {minmax} (min-max range) or "
        "{mse} (MSE range); QAT reaches {ste} (STE) and {lsq} (LSQ). Float32: {float}.",
        bits=bits, granularity=g, minmax=percent(row["ptq_minmax"]),
        mse=percent(row["ptq_mse"]), ste=percent(row["qat_ste"]), lsq=percent(row["qat_lsq"]),
        float=percent(results().attrs["float_accuracy"]),
    )  # fmt: skip


def run_words(run: Run, bits: int, granularity: str, t: Tr = EN) -> str:
    """What a fine-tune did, in one sentence."""
    last = run.epochs[-1]
    said = t(
        "text.training.run_result",
        "Before: {ptq} (PTQ); after {epochs} in numpy: **{after}** (training loss "
        "{loss}).",
        ptq=percent(run.ptq), epochs=t.count(len(run.epochs), "epoch"),
        after=percent(run.accuracy), loss=num(last.loss, 3),
    )  # fmt: skip
    row = shipped_row(bits, granularity)
    if row is not None:
        said = t.paragraph(
            said,
            t(
                "text.training.run_shipped",
                "PyTorch's 30 epochs reached {ste}.",
                ste=percent(row["qat_ste"]),
            ),
        )
    return said


# ---- the room -----------------------------------------------------------------------------


def _show_gradients(s: Settings, t: Tr) -> None:
    bits, symmetric = staircase_setting(s)
    g = gradients(bits, symmetric)
    st.markdown(f"**{t('text.training.gradients_title', 'The gradient of rounding')}**")
    with st.container(horizontal=True):
        st.vega_lite_chart(with_data(forward_spec(t=t), forward_frames(g)), width="stretch",
                           theme=None)  # fmt: skip
        st.vega_lite_chart(with_data(backward_spec(t=t), backward_frames(g, t)),
                           width="stretch", theme=None)  # fmt: skip
    st.caption(gradient_words(g, bits, t))


def _show_results(bits: int, granularity: str, t: Tr) -> None:
    st.markdown(f"**{t('text.training.results_title', 'Post-training against training for it')}**")
    table = results()
    with st.container(horizontal=True):
        for g in GRANULARITIES:
            frames = results_frames(table, g, bits if g == granularity else None, t)
            st.vega_lite_chart(with_data(results_spec(g, t=t), frames), width="stretch",
                               theme=None)  # fmt: skip
    st.caption(t(
        "text.training.results_note",
        "Weights quantized, activations float32; the 540 test digits. PTQ rounds the trained "
        "weights; QAT fine-tunes them for 30 epochs with the rounding in the forward pass "
        "(PyTorch, seed 0, scripts/train_qat.py). The line marks the page's bits.",
    ))  # fmt: skip
    st.markdown(shipped_words(bits, granularity, t))


def _show_fine_tune(bits: int, granularity: str, changed: bool, t: Tr) -> None:
    st.markdown(f"**{t('text.training.tune_title', 'Train it here')}**")
    g = t(f"text.granularity.{granularity}", granularity)
    st.caption(t(
        "text.training.tune_note",
        "A short QAT fine-tune in numpy at the page's setting ({bits} bits, one scale per "
        "{granularity}, the asymmetric min-max grid recomputed at every step): fake "
        "quantization forward, STE backward, Adam, on the 1,257 training digits; seed 0. "
        "After each epoch the quantized network is tested on the 540 test digits.",
        bits=bits, granularity=g,
    ))  # fmt: skip
    if changed:
        st.info(t("text.training.per_tensor", "The fine-tune has one scale per tensor or per "
                  "channel: shown per tensor."))  # fmt: skip
    with st.container(horizontal=True, vertical_alignment="bottom"):
        with st.container(width=320):
            epochs = int(control("qat_epochs", t=t))
        run_now = st.button(t("text.training.run", "Fine-tune"), key="qat_run", type="primary")
    chart = st.empty()
    float_accuracy = float(results().attrs["float_accuracy"])
    if run_now:
        seen: list[qat.Epoch] = []
        bar = st.progress(0.0, text=t("text.training.running", "Training…"))

        def heard(epoch: qat.Epoch) -> None:
            seen.append(epoch)
            bar.progress(len(seen) / epochs, text=t(
                "text.training.progress", "Epoch {n} of {total}: {accuracy}",
                n=len(seen), total=epochs, accuracy=percent(epoch.accuracy)))  # fmt: skip
            frames = tune_frames(None, seen, epochs, float_accuracy)
            chart.vega_lite_chart(with_data(tune_spec(epochs, t=t), frames), width="stretch",
                                  theme=None)  # fmt: skip

        fine_tune(bits, granularity, epochs, heard)
        bar.empty()
    run = kept_run(bits, granularity, epochs)
    if run is None:
        return
    frames = tune_frames(run.ptq, run.epochs, epochs, float_accuracy)
    chart.vega_lite_chart(with_data(tune_spec(epochs, t=t), frames), width="stretch",
                          theme=None)  # fmt: skip
    st.markdown(run_words(run, bits, granularity, t))


@st.fragment
def _room(s: Settings, t: Tr) -> None:
    st.subheader(t("text.training.title", "Train for it"))
    st.caption(t(
        "text.training.intro",
        "Post-training quantization (PTQ) rounds a trained network's weights; at 2 bits that "
        "breaks the digits CNN. Quantization-aware training (QAT) keeps training with the "
        "rounding in the forward pass, so the weights learn to live on the grid.",
    ))  # fmt: skip
    if not integer_grid(s):
        st.info(t(
            "text.training.format",
            "Training for quantization here trains for the integer grid: shown at the page's "
            "{bits} bits, not {format}.",
            bits=int(s["bits"]), format=option_label("format", s["format"], t),
        ))  # fmt: skip
    _show_gradients(s, t)
    bits, granularity, changed = tune_setting(s)
    _show_results(bits, granularity, t)
    _show_fine_tune(bits, granularity, changed, t)


def show(m: Move) -> None:
    """The room, in the page's language (the shipped model, whatever tensor the page shows)."""
    _room(m.s, m.t)


# ---- the room's charts ------------------------------------------------------------------


def forward_frames(g: qat.SteGradients) -> dict[str, pd.DataFrame]:
    """The staircase, the identity, and the grid's ends."""
    return {
        "stairs": pd.DataFrame({"x": g.x, "y": g.quantized}),
        "identity": pd.DataFrame({"x": [g.x[0], g.x[-1]], "y": [g.x[0], g.x[-1]]}),
        "ends": pd.DataFrame({"x": [g.low, g.high]}),
    }


def forward_spec(*, height: int = 240, t: Tr = EN) -> dict:
    """Forward: x̂ = Q(x), a staircase over the identity, the grid's ends dashed.

    Datasets ``stairs`` and ``identity`` (``x``, ``y``), ``ends`` (``x``)."""
    x = {"field": "x", "type": "quantitative", "title": "x", "axis": {"tickCount": 5}}
    y = {"field": "y", "type": "quantitative", "title": "x̂"}
    return {
        "$schema": SCHEMA,
        "height": height,
        "title": t("text.training.forward", "forward: x̂ = Q(x)"),
        "layer": [
            {"data": {"name": "ends"}, "mark": {"type": "rule", "strokeDash": [4, 4],
                                                "color": LEVEL},
             "encoding": {"x": {"field": "x", "type": "quantitative"}}},
            {"data": {"name": "identity"}, "mark": {"type": "line", "color": LEVEL,
                                                    "strokeDash": [6, 4]},
             "encoding": {"x": x, "y": y}},
            {"data": {"name": "stairs"}, "mark": {"type": "line", "color": QUANTIZED,
                                                  "strokeWidth": 2.5, "interpolate": "step"},
             "encoding": {"x": x, "y": y}},
        ],
        "config": config(),
    }  # fmt: skip


def gradient_labels(t: Tr = EN) -> list[str]:
    """The three gradients of :func:`backward_spec`, in order."""
    return [
        t("text.training.true_gradient", "true gradient ∂x̂/∂x"),
        t("text.training.ste_gradient", "STE's ∂x̂/∂x"),
        t("text.training.lsq_gradient", "LSQ's ∂x̂/∂s"),
    ]


def backward_frames(g: qat.SteGradients, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """The three gradients as long rows (``x``, ``value``, ``what``) and the jumps."""
    true, ste, lsq = gradient_labels(t)
    parts = [pd.DataFrame({"x": g.x, "value": v, "what": w})
             for v, w in ((g.true_gradient, true), (g.ste_gradient, ste),
                          (g.lsq_step_gradient, lsq))]  # fmt: skip
    return {"gradients": pd.concat(parts, ignore_index=True),
            "jumps": pd.DataFrame({"x": g.jumps})}  # fmt: skip


def backward_spec(*, height: int = 240, t: Tr = EN) -> dict:
    """Backward: the true gradient (0, undefined at the jumps, drawn as thin rules), the
    STE's (1 inside, 0 outside) and LSQ's gradient for the step.

    Datasets ``gradients`` (``x``, ``value``, ``what``), ``jumps`` (``x``)."""
    labels = gradient_labels(t)
    colour = {"field": "what", "type": "nominal", "title": None,
              "scale": {"domain": labels, "range": [INK, GREEN, ORIGINAL]},
              "legend": {"orient": "bottom", "direction": "vertical"}}  # fmt: skip
    x = {"field": "x", "type": "quantitative", "title": "x", "axis": {"tickCount": 5}}
    return {
        "$schema": SCHEMA,
        "height": height,
        "title": t("text.training.backward", "backward: the gradients"),
        "layer": [
            {"data": {"name": "jumps"}, "mark": {"type": "rule", "color": LEVEL,
                                                 "strokeDash": [2, 3], "opacity": 0.7},
             "encoding": {"x": {"field": "x", "type": "quantitative"},
                          "tooltip": [{"field": "x", "type": "quantitative", "format": ".3f",
                                       "title": t("text.training.jump", "jump: no gradient")}]}},
            {"data": {"name": "gradients"},
             "mark": {"type": "line", "strokeWidth": 2.5, "interpolate": "step"},
             "encoding": {"x": x,
                          "y": {"field": "value", "type": "quantitative", "title": None},
                          "color": colour, "strokeDash": {"field": "what", "legend": None,
                                                          "scale": {"domain": labels, "range": [
                                                              [1, 0], [1, 0], [6, 3]]}}}},
        ],
        "config": config(),
    }  # fmt: skip


def results_frames(
    table: pd.DataFrame, granularity: str, bits: int | None, t: Tr = EN
) -> dict[str, pd.DataFrame]:
    """One granularity's accuracies against bits (long rows), the float line, and the page's
    bits (``bits``: None where this panel is not the page's granularity)."""
    labels = method_labels(t)
    rows = table[table["granularity"] == granularity]
    curves = pd.concat(
        [pd.DataFrame({"bits": rows["bits"], "accuracy": 100 * rows[m], "series": labels[m]})
         for m in METHODS], ignore_index=True,
    )  # fmt: skip
    current = [] if bits is None or bits not in SHIPPED_BITS else [bits]
    return {
        "curves": curves,
        "float": pd.DataFrame({"accuracy": [100 * float(table.attrs["float_accuracy"])]}),
        "current": pd.DataFrame({"bits": current}, dtype=float),
    }


def results_spec(granularity: str, *, height: int = 260, t: Tr = EN) -> dict:
    """Accuracy against bits for one granularity: PTQ (min-max, MSE) and QAT (STE, LSQ),
    float32 dashed, the page's bits as a rule.

    Datasets ``curves`` (``bits``, ``accuracy`` %, ``series``), ``float``, ``current``."""
    labels = list(method_labels(t).values())
    bits = {"field": "bits", "type": "quantitative", "title": t("text.chart.bits", "bits"),
            "scale": {"domain": [1.8, 4.2], "nice": False},
            "axis": {"values": list(SHIPPED_BITS), "format": "d"}}  # fmt: skip
    acc = _acc_axis(t)
    colour = {"field": "series", "type": "nominal", "title": None,
              "scale": {"domain": labels, "range": [SKY, PURPLE, QUANTIZED, GREEN]},
              "legend": {"orient": "bottom", "columns": 2}}  # fmt: skip
    dash = {"field": "series", "legend": None,
            "scale": {"domain": labels, "range": [[6, 3], [6, 3], [1, 0], [1, 0]]}}  # fmt: skip
    return {
        "$schema": SCHEMA,
        "height": height,
        "title": t("text.training.panel", "one scale per {granularity}",
                   granularity=t(f"text.granularity.{granularity}", granularity)),
        "layer": [
            _float_rule(t),
            {"data": {"name": "current"}, "transform": [{"filter": "isValid(datum.bits)"}],
             "mark": {"type": "rule", "color": LEVEL, "strokeWidth": 1},
             "encoding": {"x": bits}},
            {"data": {"name": "curves"},
             "mark": {"type": "line", "strokeWidth": 2.5, "point": {"filled": True, "size": 50}},
             "encoding": {"x": bits, "y": acc, "color": colour, "strokeDash": dash,
                          "tooltip": [{"field": "series", "title": None},
                                      {"field": "bits", "title": bits["title"]},
                                      {"field": "accuracy", "type": "quantitative",
                                       "format": ".1f", "title": "%"}]}},
        ],
        "config": config(),
    }  # fmt: skip


def tune_frames(
    ptq: float | None, epochs: list | tuple, total: int, float_accuracy: float
) -> dict[str, pd.DataFrame]:
    """The fine-tune's accuracy after each epoch (epoch 0: PTQ, when known), the float line."""
    rows = [] if ptq is None else [{"epoch": 0, "accuracy": 100 * ptq}]
    rows += [{"epoch": e.epoch, "accuracy": 100 * e.accuracy} for e in epochs]
    return {
        "epochs": pd.DataFrame(rows, columns=["epoch", "accuracy"]),
        "float": pd.DataFrame({"accuracy": [100 * float_accuracy]}),
    }


def tune_spec(total: int, *, height: int = 220, t: Tr = EN) -> dict:
    """The fine-tune's test accuracy against epochs (0: before training), float32 dashed.

    Datasets ``epochs`` (``epoch``, ``accuracy`` %), ``float`` (``accuracy``)."""
    epoch = {"field": "epoch", "type": "quantitative", "title": t("text.training.epoch", "epoch"),
             "scale": {"domain": [0, total], "nice": False},
             "axis": {"values": list(range(total + 1)), "format": "d"}}  # fmt: skip
    acc = _acc_axis(t)
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            _float_rule(t),
            {"data": {"name": "epochs"}, "transform": [{"filter": "isValid(datum.accuracy)"}],
             "mark": {"type": "line", "color": QUANTIZED, "strokeWidth": 2.5,
                      "point": {"filled": True, "size": 70, "color": QUANTIZED}},
             "encoding": {"x": epoch, "y": acc,
                          "tooltip": [{"field": "epoch", "title": epoch["title"]},
                                      {"field": "accuracy", "type": "quantitative",
                                       "format": ".1f", "title": "%"}]}},
        ],
        "config": config(),
    }  # fmt: skip
