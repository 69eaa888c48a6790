"""The Integers room: what the chip computes.

The digits CNN as an integer engine runs it (``qv.integer_model``; Jacob et al., 2018): one
layer for one test digit, stage by stage (8-bit codes → int32 accumulator → × M0 → shift →
round → + zero point → clamp → the next layer's codes), each stage's values and range beside
the float network's; the requantization multiplier ``M = s_w·s_x/s_y = M0·2^−n`` with its
numbers; the zero point's cross terms and what they cost; the multiply-adds and bytes of one
inference, float32 against int8; the integer network's accuracy against the fake-quantized
one and float; and the network as an ONNX file that ONNX Runtime runs in integers.

The weights follow the page's settings where an engine can run them (up to 8 bits, one scale
per tensor or per output channel); activations are 8-bit with one static range per layer.
Every number comes from ``quantviz.models`` (``integer``, ``integer_stages``, ``costs``,
``onnx_export``); results are kept in the shared store under small keys. The room does not
depend on the tensor on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.models.integer import MAX_INTEGER_BITS, IntegerLayer
from quantviz.models.integer_stages import (
    LayerStages,
    Stage,
    ZeroPointTerms,
    layer_stages,
    zero_point_terms,
)
from quantviz.models.onnx_export import check_exportable
from quantviz_app.charts import INK, LEVEL, QUANTIZED, SCHEMA, SHADE, config, with_data
from quantviz_app.data import MODEL_NAME, shared_store
from quantviz_app.format import MINUS, num, operand_digits, percent, tex
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.names import strategy_label
from quantviz_app.rooms.accuracy import digit_image
from quantviz_app.schema import Settings, integer_grid, quantize_kwargs
from quantviz_app.text import SCHEME_WORDS, in_sentence
from quantviz_app.widgets import control

Frozen = tuple[tuple[str, object], ...]

MODEL = MODEL_NAME
ACTIVATIONS = {"bits": 8, "mode": "static"}
"""What the engine runs its activations at: 8-bit codes, one range per layer calibrated once."""
ENGINE: Frozen = (("bits", 8), ("granularity", "channel"), ("symmetric", True))
"""What int8 engines run: 8-bit symmetric weights, one scale per output channel."""
ONNX_FILE = "digits-cnn-int8.onnx"
ONNX_LINES = f"""import onnxruntime as ort
session = ort.InferenceSession("{ONNX_FILE}", providers=["CPUExecutionProvider"])
logits = session.run(None, {{"image": images}})[0]  # images: float32 (n, 1, 8, 8), pixels / 16
"""
"""The three lines that run the downloaded file (``pip install onnxruntime``)."""


# ---- the data step: settings → integer network → one layer for one digit ---------------


def engine_settings(s: Settings) -> tuple[Frozen, str | None]:
    """The page's weight settings as an integer engine can run them (``qv.integer_model``'s
    keywords, sorted pairs), and why they differ from the page's, if they do: ``"format"`` (a
    number format: the engine's usual int8 symmetric per-channel weights instead), ``"bits"``
    (more than 8: 8), ``"group"`` (one scale per group: per output channel instead)."""
    if not integer_grid(s):
        return ENGINE, "format"
    kw = {k: v for k, v in quantize_kwargs(s).items() if k not in ("axis", "group_size")}
    why = None
    if kw.get("granularity") == "group":
        kw["granularity"], why = "channel", "group"
    if kw["bits"] > MAX_INTEGER_BITS:
        kw["bits"], why = MAX_INTEGER_BITS, "bits"
    return tuple(sorted(kw.items())), why


def _memo(what: str, key: tuple, compute: Callable):
    return shared_store().get(("integers", MODEL, what, *key), compute)


def network(settings: Frozen) -> qv.IntegerModel:
    """The digits CNN in integers at ``settings`` (weights) and :data:`ACTIVATIONS`."""
    return _memo("network", (settings,), lambda: qv.integer_model(
        MODEL, activations=ACTIVATIONS, **dict(settings)))  # fmt: skip


@dataclass(frozen=True)
class Pipeline:
    """One layer for one test digit: its stages (``quantviz.models.integer_stages``), the
    zero point's four terms, the layer, and the output followed through the stages
    (``index`` in the accumulator's layout: the layer's largest float output for this digit)."""

    stages: LayerStages
    terms: ZeroPointTerms
    layer: IntegerLayer
    index: tuple[int, ...]
    label: int

    @property
    def channel(self) -> int:
        """The followed output's channel."""
        return int(self.index[1])

    def at(self, stage: Stage) -> tuple[int, ...]:
        """The followed output's place in ``stage`` (after pooling: its window's)."""
        if stage.key != "pooled":
            return self.index
        p = int(self.layer.layer.pool)
        n, c, i, j = self.index
        return n, c, i // p, j // p

    @property
    def output(self) -> Stage:
        """The layer's last stage: the next layer's input codes, or the logits."""
        return self.stages.stages[-1]


def pipeline(settings: Frozen, layer: str, digit: int) -> Pipeline:
    """Layer ``layer`` of the integer network for test digit ``digit``."""

    def compute() -> Pipeline:
        im = network(settings)
        ls = layer_stages(im, layer, example=digit)
        terms = zero_point_terms(im, layer, example=digit)
        pre = ls.stage("accumulator").reference
        index = tuple(int(i) for i in np.unravel_index(np.argmax(pre), pre.shape))
        lay = next(x for x in im.layers if x.name == layer)
        return Pipeline(ls, terms, lay, index, int(im.model.y_test[digit]))

    return _memo("pipeline", (settings, layer, digit), compute)


@dataclass(frozen=True)
class Accuracies:
    """The 540 test digits three ways: float32, fake-quantized (``qv.evaluate`` with the same
    8-bit static activations) and in integers (``qv.evaluate(integer=True)``); how many
    digits the integer and the fake-quantized networks answer differently; the integer
    network's answer for each digit."""

    float: float
    fake: float
    integer: float
    differ: int
    n: int
    predictions: np.ndarray


def accuracies(settings: Frozen) -> Accuracies:
    """:class:`Accuracies` at ``settings``."""

    def compute() -> Accuracies:
        kw = dict(settings, activations=ACTIVATIONS, layer_accuracy=False)
        fake = qv.evaluate(MODEL, **kw)
        integer = qv.evaluate(MODEL, integer=True, **kw)
        differ = int(np.count_nonzero(fake.predictions != integer.predictions))
        return Accuracies(integer.float_accuracy, fake.accuracy, integer.accuracy, differ,
                          len(integer.predictions), integer.predictions)  # fmt: skip

    return _memo("accuracies", (settings,), compute)


def costs() -> qv.InferenceCosts:
    """One inference's multiply-adds and bytes moved, float32 against int8."""
    return _memo("costs", (), lambda: qv.inference_costs(MODEL))


def export_settings(settings: Frozen) -> tuple[Frozen, bool]:
    """The settings the ONNX file is written at: the page's when ONNX's integer operators
    can hold them (8 bits; one weight zero point), else :data:`ENGINE`; and whether they
    are the page's."""
    try:
        check_exportable(network(settings))
    except qv.InputError:
        return ENGINE, False
    return settings, True


def onnx_file(settings: Frozen) -> bytes:
    """The integer network at ``settings`` as an ONNX file (``qv.export_onnx``)."""
    return _memo("onnx", (settings,), lambda: qv.export_onnx(network(settings)))


# ---- sentences ----------------------------------------------------------------------------


def weights_words(settings: Frozen, t: Tr = EN) -> str:
    """``8-bit, symmetric (zero point 0), one scale per channel, min-max``."""
    kw = dict(settings)
    scheme = "asymmetric"
    if kw.get("symmetric"):
        scheme = "narrow" if kw.get("narrow_range") else "symmetric"
    granularity = kw.get("granularity", "tensor")
    return t(
        "text.integers.weights", "{bits}-bit, {scheme}, one scale per {granularity}, {strategy}",
        bits=kw["bits"], scheme=t(f"text.scheme.{scheme}", SCHEME_WORDS[scheme]),
        granularity=t(f"text.granularity.{granularity}", granularity),
        strategy=in_sentence(strategy_label(str(kw.get("strategy", "minmax")), t), t),
    )  # fmt: skip


def changed_note(why: str, t: Tr = EN) -> str:
    """Why the room's weights are not the page's."""
    if why == "format":
        return t(
            "text.integers.changed_format",
            "An integer engine runs the integer grid, not a number format: shown here with the "
            "weights engines use, 8-bit symmetric with one scale per output channel.",
        )
    if why == "bits":
        return t(
            "text.integers.changed_bits",
            "An integer engine multiplies codes of at most 8 bits (their products are summed "
            "in int32): shown here at 8 bits.",
        )
    return t(
        "text.integers.changed_group",
        "An integer engine needs one weight scale per output channel at most (one "
        "requantization multiplier per output): shown here with one scale per channel.",
    )


STAGE_WORDS = {
    "input": "input codes q_x",
    "weights": "weight codes q_w",
    "accumulator": "accumulator",
    "times_m0": "× M0",
    "shifted": "÷ 2^n, before rounding",
    "rounded": "rounded",
    "zero_point": "+ z_y",
    "clamped": "clamped to the codes",
    "relu": "ReLU: max(q, z_y)",
    "pooled": "max-pool: the next layer's input",
    "logits": "logits: acc · s_w·s_x",
}


def stage_name(key: str, t: Tr = EN) -> str:
    """A stage's name on the page."""
    return t(f"text.integers.stage.{key}", STAGE_WORDS[key])


def type_name(stage: Stage, t: Tr = EN) -> str:
    """What holds a stage's values: ``uint8``, ``int8 (4-bit codes)``, ``int32``, …"""
    if stage.key == "logits":
        return "float32"
    if stage.key == "times_m0":
        return "int64"
    if stage.key == "shifted":  # the quotient the rounding shift approximates, for reading
        return t("text.integers.not_stored", "not stored: the exact quotient")
    if stage.key in ("accumulator", "shifted", "rounded", "zero_point"):
        return "int32"
    low = stage.limits[0]
    name = "int8" if low < 0 else "uint8"
    if stage.type_bits < 8:
        return t("text.integers.narrow_codes", "{type} ({bits}-bit codes)", type=name,
                 bits=stage.type_bits)  # fmt: skip
    return name


def whole(value: float) -> str:
    """A whole number as a student reads it: ``1,234,567``, ``−12``."""
    return f"{int(value):,}".replace("-", MINUS)


def stage_value(stage: Stage, value: float) -> str:
    """One value of a stage: whole numbers with separators; the quotient before rounding
    with four decimals; logits as floats."""
    if stage.key == "shifted":
        return f"{value:,.4f}".replace("-", MINUS)
    if stage.key == "logits":
        return num(value)
    return whole(value)


def stage_rows(p: Pipeline, t: Tr = EN) -> list[list[str]]:
    """The stages as table rows: name, type, the followed output's value, the real value it
    stands for beside the float network's, and the range over the whole layer."""
    rows = []
    for stage in p.stages.stages:
        span = f"{stage_value(stage, stage.low)} … {stage_value(stage, stage.high)}"
        if stage.key == "input":
            this, real = "–", "–"
        elif stage.key == "weights":
            w = stage.values[p.channel]
            this = f"{whole(w.min())} … {whole(w.max())}"
            real = "–"
        else:
            at = p.at(stage)
            this = stage_value(stage, stage.values[at])
            real = t("text.integers.real", "{real} (float {float})",
                     real=num(stage.real[at]), float=num(stage.reference[at]))  # fmt: skip
        rows.append([stage_name(stage.key, t), type_name(stage, t), this, real, span])
    return rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (cells are the page's own words and numbers)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def sum_words(p: Pipeline, layer: str, t: Tr = EN) -> str:
    """What one output of the layer sums."""
    return t(
        "text.integers.sum",
        "Each output of {layer} is one int32 accumulator: acc = Σ (q_w − z_w)(q_x − z_x) over "
        "K = {k} products of a {bits}-bit weight code and an 8-bit input code, plus the bias q_b "
        "(int32, on the accumulator's scale s_w·s_x). Requantization takes it to the next "
        "layer's codes.",
        layer=layer, k=f"{p.terms.k:,}", bits=p.layer.weight_bits,
    )  # fmt: skip


def followed_words(p: Pipeline, layer: str, t: Tr = EN) -> str:
    """Which output the table follows."""
    if len(p.index) == 4:
        _, c, i, j = p.index
        return t(
            "text.integers.followed_conv",
            "The column *this output* follows {layer}'s largest float output for this digit: "
            "channel {c}, row {i}, column {j}.",
            layer=layer, c=c, i=i, j=j,
        )  # fmt: skip
    return t(
        "text.integers.followed_dense",
        "The column *this output* follows {layer}'s largest float output for this digit: "
        "output {c}.",
        layer=layer, c=p.index[1],
    )  # fmt: skip


def multiplier_line(p: Pipeline, t: Tr = EN) -> str:
    """``M = s_w·s_x/s_y = … = M0·2^−n`` for the followed channel, with its numbers (the
    operands shown with the digits that give the shown M)."""
    c = p.channel
    lay = p.layer
    s_w, s_x, s_y = (float(lay.weight_scale[c]), float(lay.input.scale),
                     float(lay.output.scale))  # fmt: skip
    m, m0, n = float(p.stages.m[c]), int(p.stages.m0[c]), int(p.stages.n[c])
    digits = operand_digits(lambda a, b, d: a * b / d, [s_w, s_x, s_y],
                            show=lambda v: num(v, 4))  # fmt: skip
    w, x, y = (tex(v, digits) for v in (s_w, s_x, s_y))
    m0_tex = f"{m0:,}".replace(",", "{,}")
    formula = (rf"$M = \dfrac{{s_w\, s_x}}{{s_y}} = \dfrac{{{w} \times {x}}}{{{y}}} = {tex(m)}"
               rf" = M_0 \cdot 2^{{-n}}$")  # fmt: skip
    return t(
        "text.integers.multiplier",
        "**The requantization multiplier** of channel {c}: {formula} with $M_0 = {m0}$ and "
        "$n = {n}$ ($M_0$ a 31-bit integer in $[2^{{30}}, 2^{{31}})$). A chip has no float "
        "here: it multiplies the int32 accumulator by $M_0$ (a 64-bit product), shifts it "
        "right by $n$ bits with rounding, adds the zero point $z_y = {z}$ and clamps to "
        "{qmin} … {qmax}.",
        c=c, formula=formula, m0=m0_tex, n=n, z=lay.output.zero_point, qmin=lay.output.qmin,
        qmax=lay.output.qmax,
    )  # fmt: skip


def off_words(p: Pipeline, t: Tr = EN) -> str:
    """How far the layer's integer result is from the float network's, in codes."""
    out = p.output
    err = out.error_steps
    if out.key == "logits":
        return t(
            "text.integers.off_logits",
            "The integer logits differ from the float network's by at most {most} (this "
            "output: {this}). The float network answers {float}; the integers answer {int}.",
            most=num(np.abs(err).max(), 3), this=num(err[p.at(out)], 3),
            float=int(np.argmax(out.reference)), int=int(np.argmax(out.values)),
        )  # fmt: skip
    return t(
        "text.integers.off",
        "**How far off:** this output is {this} codes from the float network's value; over "
        "all {n} outputs of the layer at most {most} codes, {within} of them within half a "
        "code. Rounding the output alone would keep each within half a code; the rest comes "
        "from the rounded weights and the layers before, whose outputs were rounded too. The "
        "fixed-point path above and ONNX Runtime's float arithmetic (the file below) differ by "
        "one code on {differ} of the {outputs} values the layer requantized.",
        this=num(err[p.at(out)], 3), n=f"{err.size:,}", most=num(np.abs(err).max(), 3),
        within=percent(float(np.mean(np.abs(err) <= 0.5))), differ=p.stages.fixed_vs_float,
        outputs=f"{p.stages.outputs:,}",
    )  # fmt: skip


def terms_rows(p: Pipeline, t: Tr = EN) -> list[list[str]]:
    """The accumulator's four terms for the followed output and what each costs per digit."""
    z = p.terms
    at = p.index
    ops = z.ops
    free = t("text.integers.free", "nothing: a constant, folded into the bias")
    weight_cost = (t("text.integers.zw_zero", "nothing: z_w = 0") if ops["weight_zero_point_term"]
                   == 0 else t("text.integers.ops", "{n} operations", n=whole(
                       ops["weight_zero_point_term"])))  # fmt: skip
    return [
        ["Σ q_w·q_x", whole(z.products[at]),
         t("text.integers.macs", "{n} multiply-adds", n=whole(ops["products"]))],
        [f"{MINUS} z_x·Σ q_w", whole(-z.input_zero_point_term[at]), free],
        [f"{MINUS} z_w·Σ q_x", whole(-z.weight_zero_point_term[at]), weight_cost],
        ["+ K·z_w·z_x", whole(z.constant_term[at]), free],
        ["+ q_b", whole(p.layer.bias_codes[p.channel]),
         t("text.integers.bias", "nothing extra: the accumulator starts from it")],
        [t("text.integers.col_sum", "= accumulator"), whole(z.total[at] + p.layer.bias_codes[
            p.channel]), ""],
    ]  # fmt: skip


def terms_words(p: Pipeline, t: Tr = EN) -> str:
    """What the terms teach: why engines keep the weights symmetric."""
    ops = p.terms.ops
    zw = np.unique(p.layer.weight_zero_point)
    zx = p.layer.input.zero_point
    said = t(
        "text.integers.terms",
        "With zero points, each of the {k} products is (q_w − z_w)(q_x − z_x), and the sum "
        "splits into four terms. z_x·Σ q_w and K·z_w·z_x do not depend on the input: they are "
        "computed once, at conversion, into the bias. z_w·Σ q_x does: a sum of the {k} inputs "
        "at every position and one multiply per output, for every digit. Here z_x = {zx} (a "
        "range that starts at 0, after a ReLU, puts 0 on code 0).",
        k=f"{p.terms.k:,}", zx=zx,
    )  # fmt: skip
    if ops["weight_zero_point_term"] == 0:
        return t.paragraph(said, t(
            "text.integers.symmetric",
            "The weights are symmetric (z_w = 0): that term is gone, which is why engines keep "
            "weights symmetric and let only activations have a zero point.",
        ))  # fmt: skip
    return t.paragraph(said, t(
        "text.integers.asymmetric",
        "The weights have zero point {zw}: that term costs {ops} operations for this digit, "
        "{share} of the layer's {macs} multiply-adds. With symmetric weights (z_w = 0) it "
        "disappears, which is why engines keep weights symmetric.",
        zw=", ".join(whole(v) for v in zw[:4]) + (" …" if zw.size > 4 else ""),
        ops=whole(ops["weight_zero_point_term"]),
        share=percent(ops["weight_zero_point_term"] / ops["products"]),
        macs=whole(ops["products"]),
    ))  # fmt: skip


COST_COLUMNS = ("layer", "macs", "float32_bytes", "int8_bytes", "extra_ops")


def costs_table(c: qv.InferenceCosts, t: Tr = EN) -> pd.DataFrame:
    """The costs per layer and in all, with the page's column names."""
    table = c.table.loc[:, list(COST_COLUMNS)].copy()
    total = {"layer": t("text.integers.total", "all layers"), "macs": c.macs,
             "float32_bytes": c.float32_bytes, "int8_bytes": c.int8_bytes,
             "extra_ops": c.extra_ops}  # fmt: skip
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    names = cost_headers(t)
    return table.rename(columns=dict(zip(COST_COLUMNS, names, strict=True)))


def cost_headers(t: Tr = EN) -> list[str]:
    return [
        t("text.integers.layer", "layer"),
        t("text.integers.col_macs", "multiply-adds"),
        t("text.integers.col_float", "bytes moved, float32"),
        t("text.integers.col_int8", "bytes moved, int8"),
        t("text.integers.col_extra", "what integers add, operations"),
    ]


def costs_words(c: qv.InferenceCosts, t: Tr = EN) -> str:
    return t(
        "text.integers.costs",
        "One digit through the network: float32 and int8 do the same **{macs} multiply-adds**, "
        "on 8-bit operands instead of 32-bit ones. Bytes moved (weights, biases, activations; "
        "int8 adds a scale and a multiplier per channel, keeps int32 biases and float32 "
        "logits): **{f32}** in float32, **{i8}** in int8, {ratio}× fewer. Integers add "
        "{extra} operations (requantizing each output value, quantizing the image): {share} "
        "of the multiply-adds. The article this project grew from counts quantization among "
        "the costs that add computation: that is the simulation (quantize, dequantize, compute "
        "in float again), not what a chip runs.",
        macs=whole(c.macs), f32=whole(c.float32_bytes), i8=whole(c.int8_bytes),
        ratio=f"{c.bytes_ratio:.2f}", extra=whole(c.extra_ops), share=percent(c.extra_fraction),
    )  # fmt: skip


def accuracy_words(a: Accuracies, t: Tr = EN) -> str:
    return t(
        "text.integers.accuracy",
        "On the {n} test digits: the integer network and the fake-quantized one (which "
        "rounds the same codes and computes in float again) answer differently on {differ} of "
        "them. "
        "Fake quantization is how the field simulates; the integers are what runs.",
        n=a.n, differ=a.differ,
    )  # fmt: skip


# ---- the room -----------------------------------------------------------------------------


def _show_pipeline(settings: Frozen, a: Accuracies, t: Tr) -> None:
    with st.container(horizontal=True, vertical_alignment="bottom"):
        layer = control("int_layer", t=t)
        digit = int(control("digit", t=t))
        model = qv.load_model(MODEL)
        st.image(digit_image(model.images[digit], scale=6), width=48)
        st.markdown(t("text.integers.digit", "a **{label}**; the integers answer **{answer}**",
                      label=int(model.y_test[digit]),
                      answer=int(a.predictions[digit])))  # fmt: skip
    p = pipeline(settings, layer, digit)
    header = [
        t("text.integers.col_stage", "stage"), t("text.integers.col_type", "type"),
        t("text.integers.col_this", "this output"),
        t("text.integers.col_real", "real value it stands for"),
        t("text.integers.col_range", "all outputs"),
    ]  # fmt: skip
    st.caption(sum_words(p, layer, t))
    st.markdown(markdown_table(header, stage_rows(p, t)))
    st.caption(followed_words(p, layer, t))
    if p.layer.output is not None:
        st.markdown(multiplier_line(p, t))
    st.markdown(off_words(p, t))
    with st.container(horizontal=True):
        st.vega_lite_chart(with_data(bits_spec(t=t), {"bits": bits_frame(p, t)}),
                           width="stretch", theme=None)  # fmt: skip
        st.vega_lite_chart(with_data(errors_spec(p.output.key == "logits", t=t),
                                     {"errors": errors_frame(p)}),
                           width="stretch", theme=None)  # fmt: skip

    st.markdown(f"**{t('text.integers.terms_title', 'The zero points: what they cost')}**")
    header = [t("text.integers.col_term", "term"), t("text.integers.col_this", "this output"),
              t("text.integers.col_cost", "cost at run time, per digit")]  # fmt: skip
    st.markdown(markdown_table(header, terms_rows(p, t)))
    st.caption(terms_words(p, t))


@st.fragment
def _room(s: Settings, t: Tr) -> None:
    st.subheader(t("text.integers.title", "What the chip computes"))
    settings, why = engine_settings(s)
    st.caption(t(
        "text.integers.intro",
        "The digits CNN as an integer engine runs it (Jacob et al., 2018): 8-bit codes in, "
        "an int32 accumulator, one multiplier per output channel to the next layer's 8-bit "
        "codes; no float between the image and the logits. Weights: {weights}. Activations: "
        "8-bit, one static range per layer, calibrated on 256 training digits.",
        weights=weights_words(settings, t),
    ))  # fmt: skip
    if why is not None:
        st.info(changed_note(why, t))
    try:
        a = accuracies(settings)
    except qv.InputError as exc:
        st.error(str(exc))
        return
    _show_pipeline(settings, a, t)

    st.markdown(f"**{t('text.integers.costs_title', 'Does quantization add computation?')}**")
    c = costs()
    table = costs_table(c, t)
    numbers = {name: st.column_config.NumberColumn(name, format="localized")
               for name in table.columns[1:]}  # fmt: skip
    st.dataframe(table, hide_index=True, width="stretch", column_config=numbers)
    st.caption(costs_words(c, t))

    st.markdown(f"**{t('text.integers.accuracy_title', 'Does the integer network still work?')}**")
    with st.container(horizontal=True):
        st.metric(t("text.integers.float_metric", "float32"), percent(a.float))
        st.metric(t("text.integers.fake_metric", "fake-quantized"), percent(a.fake))
        st.metric(t("text.integers.int_metric", "integers"), percent(a.integer))
    st.caption(accuracy_words(a, t))

    st.markdown(f"**{t('text.integers.onnx_title', 'Run it in ONNX Runtime')}**")
    onnx_button(settings, t)
    st.code(ONNX_LINES, language="python", wrap_lines=True)


def onnx_note(settings: Frozen, t: Tr = EN) -> tuple[Frozen, str]:
    """The settings the file holds, and the sentence that says so."""
    exported, same = export_settings(settings)
    if same:
        return exported, t(
            "text.integers.onnx_same",
            "The network above as a standard ONNX file (opset 17: QuantizeLinear, QLinearConv, "
            "MaxPool, MatMulInteger): ONNX Runtime runs it in integers and gives the same codes "
            "in every layer, bit for bit, and the same answers.",
        )
    return exported, t(
        "text.integers.onnx_engine",
        "ONNX's integer operators take 8-bit tensors with one weight zero point, so the file "
        "holds the network with {weights} weights (opset 17: QuantizeLinear, QLinearConv, "
        "MaxPool, MatMulInteger); ONNX Runtime runs it in integers, bit for bit as quantviz.",
        weights=weights_words(ENGINE, t),
    )  # fmt: skip


def home_note(settings: Frozen, t: Tr = EN) -> str:
    """What Take home says above the ONNX file: at the page's settings, or at the engine's
    when ONNX's integer operators cannot hold the page's."""
    exported, same = export_settings(settings)
    if same:
        return t(
            "text.takehome.onnx",
            "The digits CNN in integers at these settings ({weights} weights), an ONNX file "
            "that ONNX Runtime runs (the Integers room shows its three lines):",
            weights=weights_words(exported, t),
        )
    return t(
        "text.takehome.onnx_engine",
        "The digits CNN in integers, an ONNX file that ONNX Runtime runs (the Integers room "
        "shows its three lines). ONNX's integer operators take 8-bit tensors with one weight "
        "zero point, so it holds {weights} weights, not these settings:",
        weights=weights_words(exported, t),
    )


def onnx_button(settings: Frozen, t: Tr = EN, *, key: str = "dl_onnx", home: bool = False) -> None:
    """The ONNX file's download (written when clicked) below what it holds: the room's
    sentence, or with ``home`` Take home's."""
    exported, said = onnx_note(settings, t)
    st.caption(home_note(settings, t) if home else said)
    st.download_button(
        ONNX_FILE, lambda: onnx_file(exported), file_name=ONNX_FILE,
        mime="application/octet-stream", key=key, on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip


def show(m: Move) -> None:
    """The room, in the page's language (the shipped model, whatever tensor the page shows)."""
    _room(m.s, m.t)


# ---- the room's charts ------------------------------------------------------------------


def bits_frame(p: Pipeline, t: Tr = EN) -> pd.DataFrame:
    """Each integer stage: the bits its values use for this digit and the bits of its type."""
    rows = [{"what": stage_name(s.key, t), "used": s.bits_used, "holds": s.type_bits}
            for s in p.stages.stages if s.key != "logits"]  # fmt: skip
    return pd.DataFrame(rows, columns=["what", "used", "holds"])


def bits_spec(*, height: int = 300, t: Tr = EN) -> dict:
    """The pipeline as bit widths: per stage, a light bar for what its type holds and a dark
    one for what this digit's values use (8 → ~19 → ~49 → 8: the widening and the way back).

    Dataset ``bits`` (``what``, ``used``, ``holds``)."""
    title = t("text.integers.bits_axis", "bits")
    heading = t("text.integers.bits_title", "The bits each stage needs\ndark: this digit; light: "
                "what its type holds").split("\n")  # fmt: skip
    y = {"field": "what", "type": "nominal", "sort": None, "title": None,
         "axis": {"labelLimit": 220}}  # fmt: skip
    x = {"type": "quantitative", "title": title, "scale": {"domain": [0, 64]},
         "axis": {"values": [0, 8, 16, 32, 64]}}  # fmt: skip
    used = t("text.integers.bits_used", "used by this digit")
    holds = t("text.integers.bits_holds", "its type holds")
    return {
        "$schema": SCHEMA,
        "height": height,
        "title": {"text": heading[0], "subtitle": heading[1:], "subtitleFontSize": 14},
        "layer": [
            {"data": {"name": "bits"}, "mark": {"type": "bar", "color": SHADE, "stroke": LEVEL},
             "encoding": {"y": y, "x": {**x, "field": "holds"},
                          "tooltip": [{"field": "what", "title": None},
                                      {"field": "holds", "title": holds}]}},
            {"data": {"name": "bits"}, "mark": {"type": "bar", "color": QUANTIZED, "height": 10},
             "encoding": {"y": y, "x": {**x, "field": "used"},
                          "tooltip": [{"field": "what", "title": None},
                                      {"field": "used", "title": used}]}},
            {"data": {"name": "bits"},
             "mark": {"type": "text", "align": "left", "dx": 4, "color": INK, "fontSize": 13},
             "encoding": {"y": y, "x": {**x, "field": "used"}, "text": {"field": "used"}}},
        ],
        "config": config(),
    }  # fmt: skip


def errors_frame(p: Pipeline) -> pd.DataFrame:
    """The layer's last stage minus the float network, in its steps, one row per output."""
    return pd.DataFrame({"error": np.ravel(p.output.error_steps)})


def errors_spec(logits: bool = False, *, height: int = 300, t: Tr = EN) -> dict:
    """How far the layer's integer outputs are from the float network's: a histogram (the
    browser bins ``errors.error``) with half a step marked on each side.

    Dataset ``errors`` (``error``)."""
    title = (t("text.integers.error_logits", "integer − float logits") if logits else
             t("text.integers.error_axis", "integer − float, in output codes"))  # fmt: skip
    count = t("text.integers.outputs", "outputs")
    heading = t("text.integers.errors_title", "Each output: integer minus float"
                "\ndashed: half a code either side").split("\n")  # fmt: skip
    return {
        "$schema": SCHEMA,
        "height": height,
        "title": {"text": heading[0], "subtitle": heading[1:], "subtitleFontSize": 14},
        "layer": [
            {"data": {"values": [{"x": -0.5}, {"x": 0.5}]},
             "mark": {"type": "rule", "strokeDash": [6, 4], "color": INK},
             "encoding": {"x": {"field": "x", "type": "quantitative"}}},
            {"data": {"name": "errors"}, "transform": [{"filter": "isValid(datum.error)"}],
             "mark": {"type": "bar", "color": QUANTIZED},
             "encoding": {
                 "x": {"field": "error", "type": "quantitative", "bin": {"maxbins": 40},
                       "title": title},
                 "y": {"aggregate": "count", "type": "quantitative", "title": count},
                 "tooltip": [{"field": "error", "bin": {"maxbins": 40}, "title": title},
                             {"aggregate": "count", "title": count}]}},
        ],
        "config": config(),
    }  # fmt: skip
