"""The Transformer room: inside a real transformer, MiniLM-L6 (issue 19).

all-MiniLM-L6-v2 (6 layers, 36 Linears) as ``quantviz.models.transformer`` runs it, judged on
its retrieval task (Python's documentation: a section's title finds its text). Five parts,
each about the Linear the ``linear`` setting names:

1. **outlier channels**: each input channel's max |x| over the calibration tokens, the six
   layers' inputs of the same kind as a heat strip (channel 99 lights up in every layer) and
   this input's channels as bars, the largest with the token that carries them;
2. **grids**: one sentence's input of this Linear on one grid per tensor, per token and per
   channel: where each grid loses (the error of every value) and its SQNR;
3. **SmoothQuant**: α moving the input's difficulty into the weight: the layer's input,
   weight and output SQNR against α, the channel maxima after the migration, and the
   model's cosine and accuracy, smoothing every input (a simulation) or only the
   LayerNorm-fed ones (deployable);
4. **rounding**: RTN, GPTQ and AWQ on this Linear (the weight's error against the
   output's: GPTQ's weight error is larger, its output error smaller), on every Linear,
   and the model's accuracy and cosine against bits;
5. **search**: a sentence typed here and its nearest sections in float and quantized.

What the room shows by default comes from the shipped numbers
(``quantviz.models.transformer.precomputed``), read without the model. The model is read
once per server (``st.cache_resource``; it keeps its float activations) and runs for one
sentence's activations (a few milliseconds), for a setting that was not shipped (with
progress; kept in the shared store) and for the search. The room is offered only where the
model's package is installed (:func:`offered`; the README's commands install it).

The data steps are pure functions of the settings (:func:`top_channels`, :func:`grids`,
:func:`smooth_scores`, :func:`method_table`, …); the lessons' facts
(:mod:`quantviz_app.facts`) read the same functions, so a lesson's answer is the number on
screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import quantviz as qv
from quantviz.models.transformer import layerwise
from quantviz.models.transformer import precomputed as pre
from quantviz.models.transformer.activations import calibration, linear_input
from quantviz.models.transformer.bert import INPUT_OF, LAYERNORM_FED, linear_name, split_name
from quantviz.models.transformer.evaluate import encode_quantized
from quantviz.models.transformer.retrieval import nearest
from quantviz_app import widgets
from quantviz_app.charts import (
    GREEN,
    INK,
    LEVEL,
    ORANGE,
    ORIGINAL,
    PURPLE,
    QUANTIZED,
    SCHEMA,
    STAR,
    YELLOW,
    config,
    with_data,
)
from quantviz_app.data import shared_store
from quantviz_app.format import db, num, percent
from quantviz_app.i18n import EN, Tr
from quantviz_app.move import Move
from quantviz_app.schema import MINILM_LINEARS, Settings
from quantviz_app.widgets import control

MODEL = "minilm-l6"
WEIGHT_BITS_SQ = 8  # SmoothQuant's picture: 8-bit weights per channel (W8A8, W8A6)
SENTENCE = "Return a new sorted list from the items in an iterable."
SENTENCE_KEY = "tf_sentence"  # room widgets (not settings: no link carries them)
SEARCH_KEY = "tf_search"
LABELLED = 3  # channels labelled in the bars (the table lists five)
K = 3  # neighbours shown by the search
SAME_COSINE = 5e-4  # two cosines closer than this read as "the same"
METHODS = ("rtn", "gptq", "awq")
METHOD_COLOURS = {"rtn": ORIGINAL, "gptq": QUANTIZED, "awq": GREEN}


# ---- the model, when its package is installed ------------------------------------------------


@cache
def installed() -> bool:
    """Whether MiniLM-L6's files are installed here (its package found, not imported)."""
    return qv.model_installed(MODEL)


def offered(m: Move) -> bool:
    """The room exists where the model can run (whatever tensor the page shows)."""
    return installed()


@st.cache_resource(show_spinner=False)
def model() -> qv.TransformerModel:
    """MiniLM-L6, read once per server (it keeps the float activations it computes)."""
    return qv.load_model(MODEL)


def _memo(what: str, key: tuple, compute: Callable[[], Any]) -> Any:
    return shared_store().get(("transformer", what, *key), compute)


# ---- names ------------------------------------------------------------------------------------


def kind_label(kind: str, t: Tr = EN) -> str:
    """A Linear's role in its layer."""
    labels = {
        "query": t("text.transformer.kind_query", "attention query"),
        "key": t("text.transformer.kind_key", "attention key"),
        "value": t("text.transformer.kind_value", "attention value"),
        "attention_output": t("text.transformer.kind_attention_output", "attention output"),
        "intermediate": t("text.transformer.kind_intermediate", "FFN in"),
        "output": t("text.transformer.kind_output", "FFN out"),
    }
    return labels[kind]


def linear_label(linear: str, t: Tr = EN) -> str:
    """``layer 0 · FFN in``: a Linear as a sentence names it."""
    layer, kind = split_name(linear)
    return t("text.transformer.linear", "layer {layer} · {kind}", layer=layer,
             kind=kind_label(kind, t))  # fmt: skip


def linear_option(linear: str, t: Tr = EN) -> str:
    """The Linear picker's option: its label and its weight's name in the checkpoint."""
    path = ".".join(linear.split(".")[3:-1])
    return f"{linear_label(linear, t)} · {path}"


def input_label(linear: str, t: Tr = EN) -> str:
    """What a Linear reads, in words."""
    kind = INPUT_OF[split_name(linear)[1]]
    labels = {
        "attention": t("text.transformer.input_attention",
                       "the layer's input (LayerNorm output, read by query, key and value)"),
        "context": t("text.transformer.input_context", "the attention heads' output"),
        "ffn": t("text.transformer.input_ffn", "the FFN's input (LayerNorm output)"),
        "gelu": t("text.transformer.input_gelu", "the GELU output inside the FFN"),
    }  # fmt: skip
    return labels[kind]


def method_label(method: str) -> str:
    """RTN, GPTQ, AWQ: the methods' names in every language."""
    return method.upper()


# ---- 1. outlier channels (shipped) ------------------------------------------------------------


def strip_frame(linear: str) -> pd.DataFrame:
    """The heat strip's data: every channel of the input of this kind of Linear in each of the
    six layers (``layer``, ``channel``, ``absmax``, ``times``: over that input's median
    channel)."""
    kind = split_name(linear)[1]
    frames = []
    for layer in range(6):
        m = pre.maxima_of(linear_name(layer, kind))
        frames.append(pd.DataFrame({"layer": layer, "channel": np.arange(m.absmax.size),
                                    "absmax": m.absmax, "times": m.absmax / m.median}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def top_channels(linear: str) -> pd.DataFrame:
    """The five largest channels of this Linear's input, as shipped: ``channel``, ``absmax``,
    ``times_median``, ``token`` (the word piece carrying it), ``position``, ``text``,
    ``source``."""
    return pre.maxima_of(linear).top


def channels_frame(linear: str) -> pd.DataFrame:
    """The bars: every channel's max |x| (``channel``, ``absmax``), the five largest marked
    (``top``), the three largest labelled (``label``: ``99 · [CLS]``, else empty)."""
    m = pre.maxima_of(linear)
    labels = {int(r.channel): f"{int(r.channel)} · {r.token}"
              for r in m.top.iloc[:LABELLED].itertuples()}  # fmt: skip
    top = set(m.top["channel"].astype(int))
    return pd.DataFrame({"channel": np.arange(m.absmax.size), "absmax": m.absmax,
                         "top": [c in top for c in range(m.absmax.size)],
                         "label": [labels.get(c, "") for c in range(m.absmax.size)]})  # fmt: skip


def top_table(linear: str, t: Tr = EN) -> pd.DataFrame:
    """The five largest channels as the table shows them: channel, max |x|, × the median
    channel, the token carrying it, its position, the calibration text it is in."""
    top = top_channels(linear)
    return pd.DataFrame({
        t("text.chart.channel", "channel"): top["channel"].astype(int),
        "max |x|": top["absmax"].round(2),
        t("text.transformer.times", "× median channel"): top["times_median"].round(1),
        t("text.transformer.token", "token"): top["token"],
        t("text.transformer.position", "position"): top["position"].astype(int),
        t("text.transformer.source", "calibration text"): top["source"],
    })  # fmt: skip


def layers_led(linear: str) -> int:
    """In how many of the six layers the same channel leads this kind of input."""
    kind = split_name(linear)[1]
    lead = int(top_channels(linear)["channel"].iloc[0])
    return sum(int(top_channels(linear_name(i, kind))["channel"].iloc[0]) == lead for i in range(6))


# ---- 2. grids on one sentence (the model) ------------------------------------------------------


def sentence_input(linear: str, sentence: str) -> tuple[tuple[str, ...], np.ndarray] | None:
    """One sentence's tokens and what ``linear`` receives for it in the float model (tokens ×
    channels), or None for an empty sentence."""
    if not sentence.strip():
        return None
    mdl = model()

    def compute() -> tuple[tuple[str, ...], np.ndarray]:
        ids = mdl.tokenize([sentence])[0]
        x = linear_input(mdl, linear, [sentence])[0]
        x.flags.writeable = False
        return tuple(mdl.tokenizer.vocab[i] for i in ids), x

    return _memo("sentence", (linear, sentence), compute)


def grids(linear: str, sentence: str, bits: int) -> dict[str, qv.QuantResult] | None:
    """The sentence's input on one grid per tensor, per token and per channel
    (``layerwise.activation_grids``), or None for an empty sentence."""
    found = sentence_input(linear, sentence)
    if found is None:
        return None
    x = found[1]
    return _memo("grids", (linear, sentence, bits), lambda: layerwise.activation_grids(x, bits))


def grid_frame(tokens: tuple[str, ...], x: np.ndarray, results: Mapping[str, qv.QuantResult],
               t: Tr = EN) -> pd.DataFrame:  # fmt: skip
    """The heat maps' cells: one row per (panel, token, channel) with ``value`` (|x| in the
    first panel, |x̂ − x| in the others), ``token`` (``0 [CLS]``) and ``pos``."""
    names = grid_names(t)
    frames = [_cells(tokens, np.abs(x), names["x"])]
    for mode, r in results.items():
        frames.append(_cells(tokens, np.abs(np.asarray(r.dequantized) - x), names[mode]))
    return pd.concat(frames, ignore_index=True)


def _cells(tokens: tuple[str, ...], values: np.ndarray, panel: str) -> pd.DataFrame:
    n, c = values.shape
    return pd.DataFrame({
        "panel": panel, "pos": np.repeat(np.arange(n), c), "channel": np.tile(np.arange(c), n),
        "token": np.repeat([f"{i} {tok}" for i, tok in enumerate(tokens)], c),
        "value": np.maximum(values.ravel().astype(np.float64), 1e-6),
    })  # fmt: skip


def grid_names(t: Tr = EN) -> dict[str, str]:
    """The heat maps' panels."""
    return {
        "x": t("text.transformer.grid_x", "|x|: the input"),
        "tensor": t("text.transformer.grid_tensor", "error, one grid per tensor"),
        "token": t("text.transformer.grid_token", "error, one grid per token"),
        "channel": t("text.transformer.grid_channel", "error, one grid per channel"),
    }


# ---- 3. SmoothQuant ---------------------------------------------------------------------------


def alpha_of(value: object) -> float | None:
    """The ``alpha`` setting as SmoothQuant's α (None: off)."""
    return None if value == "off" else float(value)


def smooth_settings(act_bits: int, alpha: float | None, scope: str,
                    mode: str = "static") -> dict:  # fmt: skip
    """``qv.evaluate``'s keywords for W8A{act_bits}: 8-bit weights per channel, every Linear's
    input on a grid (``mode``), smoothed with α over ``scope`` (None: not smoothed)."""
    kw: dict = {"bits": WEIGHT_BITS_SQ, "granularity": "channel",
                "activations": {"bits": int(act_bits), "mode": mode}}  # fmt: skip
    if alpha is not None:
        kw["smooth"] = alpha
        if scope != "all":
            kw["smooth_scope"] = scope
    return kw


def smooth_table(linear: str, act_bits: int) -> pd.DataFrame:
    """The layer's SQNRs against α (``layerwise.smooth_tradeoff``, shipped): the unsmoothed
    row first (``alpha`` NaN), then α = 0 … 1."""
    return pre.smooth_tradeoff(linear, act_bits)


def smooth_row(linear: str, act_bits: int, alpha: float | None) -> dict[str, float]:
    """The layer's input, weight and output SQNR at α (None: not smoothed)."""
    table = smooth_table(linear, act_bits)
    if alpha is None:
        return dict(table.iloc[0])
    return dict(table[np.isclose(table["alpha"], alpha)].iloc[0])


def maxima_frame(linear: str, alpha: float | None, t: Tr = EN) -> pd.DataFrame:
    """SmoothQuant's picture: each input channel's max |x| and each weight column's max |w|
    (``layerwise.smoothed_maxima``), unsmoothed and at α: ``channel``, ``panel`` (input or
    weight), ``when`` (before, after), ``value``."""
    m = pre.maxima_of(linear)
    w = pre.weight_absmax(m.name)
    panels = maxima_panels(t)
    frames = []
    for when, a in ((panels["before"], None), (panels["after"], alpha)):
        act, weight = layerwise.smoothed_maxima(m.absmax, w, a)
        for panel, values in ((panels["input"], act), (panels["weight"], weight)):
            frames.append(pd.DataFrame({"channel": np.arange(values.size), "panel": panel,
                                        "when": when, "value": values}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def maxima_panels(t: Tr = EN) -> dict[str, str]:
    return {
        "input": t("text.transformer.max_input", "input: max |x| per channel"),
        "weight": t("text.transformer.max_weight", "weight: max |w| per input channel"),
        "before": t("text.transformer.before", "not smoothed"),
        "after": t("text.transformer.after", "smoothed"),
    }


# ---- the model's scores: shipped, or computed once with progress -----------------------------


Progress = Callable[[int, int, str], None]


def shipped_scores(settings: Mapping[str, object]) -> dict | None:
    """The shipped scores of a configuration (None: not shipped)."""
    return pre.find_scores(settings)


def scores(settings: Mapping[str, object], progress: Progress | None = None) -> dict:
    """``accuracy``, ``mrr``, ``cosine``, ``bits_per_weight`` of ``qv.evaluate(MiniLM,
    **settings)``: shipped, kept from an earlier run, or computed now (``progress`` told)."""
    found = shipped_scores(settings)
    if found is not None:
        return found

    def compute() -> dict:
        r = qv.evaluate(model(), progress=progress, **settings)
        return {"accuracy": r.accuracy, "mrr": r.mrr, "cosine": r.cosine,
                "cosine_p5": r.cosine_p5, "bits_per_weight": r.bits_per_weight}  # fmt: skip

    return shared_store().get(_scores_key(settings), compute)


def _scores_key(settings: Mapping[str, object]) -> tuple:
    return ("transformer", "scores", pre.settings_key(settings))


def with_progress(settings: Mapping[str, object], t: Tr) -> dict:
    """:func:`scores`, drawing a progress bar while a setting not seen before is computed."""
    if shipped_scores(settings) is not None or _scores_key(settings) in shared_store():
        return scores(settings)
    label = t("text.transformer.computing", "Evaluating MiniLM-L6 at a setting not seen before…")
    with st.status(label, expanded=True) as status:
        st.caption(t("text.transformer.calibrating",
                     "A new server first reads the calibration texts and the float model's "
                     "embeddings once (a few seconds); then every Linear is quantized and the "
                     "318 evaluation texts run."))  # fmt: skip
        calibration(model())
        bar = st.progress(0.0)

        def progress(done: int, total: int, what: str) -> None:
            bar.progress(min(done / max(total, 1), 1.0),
                         text=t("text.transformer.step", "{done} of {total}", done=done,
                                total=total))  # fmt: skip

        out = scores(settings, progress)
        status.update(label=t("text.transformer.computed", "Evaluated."), state="complete",
                      expanded=False)  # fmt: skip
    return out


def sq_points(act_bits: int) -> pd.DataFrame:
    """The shipped SmoothQuant configurations at ``act_bits``: ``alpha``, ``scope``,
    ``cosine``, ``accuracy`` (one row per α and scope)."""
    rows = []
    for row in pre.scores().itertuples():
        kw = row.settings
        acts = kw.get("activations") or {}
        if "smooth" not in kw or acts.get("bits") != act_bits or kw.get("bits") != 8:
            continue
        rows.append({"alpha": kw["smooth"], "scope": kw.get("smooth_scope", "all"),
                     "cosine": row.cosine, "accuracy": row.accuracy})  # fmt: skip
    return pd.DataFrame(rows, columns=["alpha", "scope", "cosine", "accuracy"])


# ---- 4. rounding methods ----------------------------------------------------------------------


def method_table(linear: str, bits: int) -> pd.DataFrame:
    """RTN, GPTQ and AWQ on ``linear`` at ``bits`` per channel (shipped
    ``layerwise.method_errors``): ``method``, ``sqnr_db``, ``weight_error``,
    ``output_error``."""
    return pre.method_errors(linear, bits)


def method_row(linear: str, bits: int, method: str) -> dict[str, float]:
    table = method_table(linear, bits)
    return dict(table[table["method"] == method].iloc[0])


def all_layers_frame(bits: int, t: Tr = EN) -> pd.DataFrame:
    """Every Linear's weight and output error by each method at ``bits``: ``linear`` (its
    label), ``order``, ``method``, ``panel``, ``error`` (%)."""
    panels = error_panels(t)
    rows = []
    for order, linear in enumerate(MINILM_LINEARS):
        for r in method_table(linear, bits).itertuples():
            for panel, value in ((panels["weight"], r.weight_error),
                                 (panels["output"], r.output_error)):  # fmt: skip
                rows.append({"linear": linear_label(linear, t), "order": order,
                             "method": method_label(r.method), "panel": panel,
                             "error": 100 * value})  # fmt: skip
    return pd.DataFrame(rows)


def gptq_against_rtn(bits: int) -> tuple[int, int]:
    """On how many of the 36 Linears GPTQ's weight error is above RTN's, and on how many its
    output error is below (``bits`` per channel, shipped)."""
    worse = better = 0
    for linear in MINILM_LINEARS:
        table = method_table(linear, bits).set_index("method")
        worse += int(table.loc["gptq", "weight_error"] > table.loc["rtn", "weight_error"])
        better += int(table.loc["gptq", "output_error"] < table.loc["rtn", "output_error"])
    return worse, better


def error_panels(t: Tr = EN) -> dict[str, str]:
    return {
        "weight": t("text.transformer.weight_error", "weight error ‖Ŵ − W‖²/‖W‖², %"),
        "output": t("text.transformer.output_error", "output error ‖(Ŵ − W)·X‖²/‖W·X‖², %"),
    }


def model_settings(bits: int, method: str, granularity: str = "channel") -> dict:
    """``qv.evaluate``'s keywords for the weights at ``bits`` by ``method``, one scale per
    output channel (``"channel"``) or per group of 32 (``"g32"``)."""
    gran = ({"granularity": "channel"} if granularity == "channel"
            else {"granularity": "group", "group_size": 32})  # fmt: skip
    return {"bits": int(bits), **gran, "method": method}


def bits_frame(granularity: str) -> pd.DataFrame:
    """The shipped accuracy and cosine of each method at 2–8 bits (``bits``, ``method``,
    ``accuracy`` %, ``cosine``)."""
    rows = []
    for method in METHODS:
        for bits in range(2, 9):
            found = shipped_scores(model_settings(bits, method, granularity))
            if found is not None:
                rows.append(
                    {
                        "bits": bits,
                        "method": method_label(method),
                        "accuracy": 100 * found["accuracy"],
                        "cosine": found["cosine"],
                    }
                )
    return pd.DataFrame(rows, columns=["bits", "method", "accuracy", "cosine"])


# ---- 5. search --------------------------------------------------------------------------------


def neighbours(
    query: str, bits: int, method: str, progress: Progress | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The :data:`K` sections whose text is nearest to ``query`` in float and with the weights
    at ``bits`` by ``method`` (per channel): ``title``, ``similarity``."""
    mdl = model()
    settings = model_settings(bits, method)

    texts = list(mdl.task.documents)
    float_docs = _memo("documents", ("float",), lambda: mdl.encode(texts))
    quant_docs = _memo(
        "documents", (pre.settings_key(settings),),
        lambda: encode_quantized(mdl, texts, progress=progress, **settings),
    )  # fmt: skip
    q_float = mdl.encode([query])[0]
    q_quant = encode_quantized(mdl, [query], **settings)[0]
    titles = mdl.task.queries
    out = []
    for q, docs in ((q_float, float_docs), (q_quant, quant_docs)):
        index, sim = nearest(q, docs, K)
        out.append(pd.DataFrame({"title": [titles[i] for i in index], "similarity": sim}))
    return out[0], out[1]


# ---- the room -----------------------------------------------------------------------------------


def show(m: Move) -> None:
    """The room, in the page's language (MiniLM-L6, whatever tensor the page shows)."""
    _room(m.state, m.t)


@st.fragment
def _room(state: MutableMapping[str, Any], t: Tr) -> None:
    s = widgets.read(state)  # this fragment's controls rerun it alone: read them here
    st.subheader(t("text.transformer.title", "Inside a real transformer: MiniLM-L6"))
    floats = pre.float_scores()
    st.caption(t(
        "text.transformer.intro",
        "sentence-transformers/all-MiniLM-L6-v2 (6 layers, hidden size 384, Apache-2.0) run "
        "in numpy. Its task: each of 159 section titles of Python's documentation must find "
        "its section's text among 159; float32 finds it first for {acc} of them (MRR {mrr}). "
        "The 36 Linear layers are quantized; embeddings and LayerNorms stay float32; "
        "ranges and statistics come from 126 other texts (calibration).",
        acc=percent(floats["accuracy"]), mrr=num(floats["mrr"], 3),
    ))  # fmt: skip
    with st.container(horizontal=True):
        control("linear", format_func=lambda v: linear_option(v, t), t=t)
        control("act_bits", t=t)
    linear = s["linear"]
    _outliers(linear, t)
    _grids_part(linear, state, t)
    _sq_part(linear, state, t)
    _rounding_part(linear, state, t)


# Each part is a fragment of its own: its controls rerun it alone (an α move does not send
# the grids' 25,000 cells again). The Linear and the activation bits, read by several
# parts, sit above them and rerun the room.


@st.fragment
def _grids_part(linear: str, state: MutableMapping[str, Any], t: Tr) -> None:
    _grids(linear, widgets.read(state), state, t)


@st.fragment
def _sq_part(linear: str, state: MutableMapping[str, Any], t: Tr) -> None:
    _smoothquant(linear, widgets.read(state), t)


@st.fragment
def _rounding_part(linear: str, state: MutableMapping[str, Any], t: Tr) -> None:
    s = widgets.read(state)
    _methods(linear, s, state, t)
    _search(s, state, t)


def _outliers(linear: str, t: Tr) -> None:
    st.markdown(f"#### {t('text.transformer.outliers_title', 'Outlier channels')}")
    top = top_channels(linear).iloc[0]
    m = pre.maxima_of(linear)
    st.markdown(t(
        "text.transformer.outliers_note",
        "What {linear} receives, {input}, over {tokens} calibration tokens: channel "
        "**{channel}** reaches **{absmax}**, {times}× the median channel's largest value "
        "({median}), on the token **{token}** (position {position}). The same channel leads "
        "this input in {led} of the 6 layers.",
        linear=linear_label(linear, t), input=input_label(linear, t), tokens=f"{m.tokens:,}",
        channel=int(top.channel), absmax=num(top.absmax, 3), times=num(top.times_median, 3),
        median=num(m.median, 3), token=top.token, position=int(top.position),
        led=layers_led(linear),
    ))  # fmt: skip
    kind = kind_label(split_name(linear)[1], t)
    st.vega_lite_chart(with_data(strip_spec(kind, t=t), {"strip": strip_frame(linear)}),
                       width="stretch", theme=None)  # fmt: skip
    st.vega_lite_chart(with_data(channels_spec(t=t), {"channels": channels_frame(linear)}),
                       width="stretch", theme=None)  # fmt: skip
    st.dataframe(top_table(linear, t), hide_index=True, width="content")
    st.caption(t(
        "text.transformer.strip_note",
        "Above: max |x| of every channel over the median channel's, one row per layer "
        "(log colour). Below: this input's channels, the five largest coloured; the table "
        "says which token carries each and in which calibration text. A weight matrix has no "
        "such token: it is the same for every text.",
    ))  # fmt: skip


def _grids(linear: str, s: Settings, state: MutableMapping[str, Any], t: Tr) -> None:
    st.markdown(f"#### {t('text.transformer.grids_title', 'One grid for what?')}")
    state.setdefault(SENTENCE_KEY, SENTENCE)
    sentence = st.text_input(t("text.transformer.sentence", "A sentence"), key=SENTENCE_KEY,
                             max_chars=300)  # fmt: skip
    bits = int(s["act_bits"])
    found = sentence_input(linear, sentence)
    results = grids(linear, sentence, bits)
    if found is None or results is None:
        return
    tokens, x = found
    sqnr = {mode: r.metrics["sqnr_db"] for mode, r in results.items()}
    st.markdown(t(
        "text.transformer.grids_note",
        "This sentence's {n} tokens as {linear} receives them, at {bits} bits: one grid for "
        "the whole matrix **{tensor}**, one per token **{token}**, one per channel "
        "**{channel}** (SQNR). The largest value sets the grid's step: per tensor every "
        "value pays for it, per token only its own token's row, per channel only its "
        "column. An integer matmul can take a scale per token (one per row of the "
        "product), not one per input channel (inside the sum): per token is what ships.",
        n=len(tokens), linear=linear_label(linear, t), bits=bits, tensor=db(sqnr["tensor"]),
        token=db(sqnr["token"]), channel=db(sqnr["channel"]),
    ))  # fmt: skip
    frame = grid_frame(tokens, x, results, t)
    st.vega_lite_chart(with_data(grid_spec(*x.shape, t=t), {"cells": frame}),
                       width="stretch", theme=None)  # fmt: skip


def _smoothquant(linear: str, s: Settings, t: Tr) -> None:
    st.markdown(f"#### {t('text.transformer.sq_title', 'SmoothQuant: move the difficulty')}")
    st.markdown(t(
        "text.transformer.sq_intro",
        "Divide each input channel j by s_j = max|X_j|^α / max|W_j|^(1−α) and multiply the "
        "weight's column j by it: in float nothing changes, but the outlier channel shrinks "
        "and its weight column grows. Weights {wbits} bits per channel; every Linear's input "
        "on one static grid.",
        wbits=WEIGHT_BITS_SQ,
    ))  # fmt: skip
    with st.container(horizontal=True):
        control("alpha", format_func=lambda v: alpha_text(v, t), t=t)
        control("smooth_scope", t=t)
    act_bits, alpha, scope = int(s["act_bits"]), alpha_of(s["alpha"]), s["smooth_scope"]
    kind = INPUT_OF[split_name(linear)[1]]
    if alpha is not None and scope == "layernorm" and kind not in LAYERNORM_FED:
        st.caption(t(
            "text.transformer.sq_not_here",
            "Only the LayerNorm-fed inputs are smoothed now: this Linear's input is not (its "
            "division could not be folded anywhere); the layer's pictures show what "
            "smoothing it would do.",
        ))  # fmt: skip
    row, off = smooth_row(linear, act_bits, alpha), smooth_row(linear, act_bits, None)
    st.markdown(t(
        "text.transformer.sq_layer",
        "{linear} at A{abits}, α {alpha}: input **{act}** (not smoothed {act_off}), weight "
        "**{weight}** ({weight_off}), output **{out}** ({out_off}).",
        linear=linear_label(linear, t), abits=act_bits, alpha=alpha_text(s["alpha"], t),
        act=db(row["act_sqnr_db"]), act_off=db(off["act_sqnr_db"]),
        weight=db(row["weight_sqnr_db"]), weight_off=db(off["weight_sqnr_db"]),
        out=db(row["output_sqnr_db"]), out_off=db(off["output_sqnr_db"]),
    ))  # fmt: skip
    table = smooth_table(linear, act_bits)
    st.vega_lite_chart(with_data(smooth_spec(t=t), smooth_frames(table, alpha, t)),
                       width="stretch", theme=None)  # fmt: skip
    st.vega_lite_chart(with_data(maxima_spec(t=t), {"maxima": maxima_frame(linear, alpha, t)}),
                       width="stretch", theme=None)  # fmt: skip
    st.caption(t(
        "text.transformer.sq_layer_note",
        "SQNR of the input X/s on its 6- or 8-bit grid, of the weight W·s rounded per channel, "
        "and of the Linear's output with both quantized, on 2,048 calibration tokens; the "
        "dashed lines are without smoothing. α = 0 flattens the weight's columns, α = 1 the "
        "input's channels. The dots: grey without smoothing, coloured at this α.",
    ))  # fmt: skip
    _sq_model(act_bits, alpha, scope, t)


def _sq_model(act_bits: int, alpha: float | None, scope: str, t: Tr) -> None:
    current = with_progress(smooth_settings(act_bits, alpha, scope), t)
    static = scores(smooth_settings(act_bits, None, scope))
    token = scores(smooth_settings(act_bits, None, scope, "per_token"))
    with st.container(horizontal=True):
        st.metric(t("text.transformer.cosine_metric", "cosine to float, this α"),
                  num(current["cosine"], 4),
                  delta=_delta(current["cosine"], static["cosine"]))  # fmt: skip
        st.metric(t("text.transformer.accuracy_metric", "accuracy@1, this α"),
                  percent(current["accuracy"]))  # fmt: skip
        st.metric(t("text.transformer.static_metric", "not smoothed"), num(static["cosine"], 4))
        st.metric(t("text.transformer.token_metric", "per token, not smoothed"),
                  num(token["cosine"], 4))  # fmt: skip
    frames = sq_frames(act_bits, alpha, scope, current, static, token, t)
    st.vega_lite_chart(with_data(sq_model_spec(t=t), frames), width="stretch", theme=None)
    st.caption(t(
        "text.transformer.sq_model_note",
        "The whole model at W8A{abits}: the mean cosine between each text's quantized and "
        "float embedding. Every input (a simulation): the GELU output's division cannot be "
        "folded anywhere, it would cost a multiply per value at run time. LayerNorm-fed only "
        "(deployable): query, key, value and the FFN's first Linear, whose division folds "
        "into the LayerNorm before them. Dots: every α of the slider; the star: this α; "
        "dashed: not smoothed; dotted: a grid per token instead (dynamic, not smoothed).",
        abits=act_bits,
    ))  # fmt: skip


def side_by_side(spec: dict) -> None:
    """Draw a chart of panels side by side at their own widths (fitting the page's width
    would draw an ``hconcat`` zero pixels wide)."""
    st.vega_lite_chart({**spec, "autosize": {"type": "pad"}}, width="content", theme=None)


def _delta(value: float, reference: float) -> str | None:
    change = value - reference
    return None if abs(change) < SAME_COSINE else f"{change:+.4f}"


def _methods(linear: str, s: Settings, state: MutableMapping[str, Any], t: Tr) -> None:
    st.markdown(f"#### {t('text.transformer.methods_title', 'RTN, GPTQ, AWQ: what to round for')}")
    with st.container(horizontal=True):
        control("weight_bits", t=t)
        control("method", t=t)
    bits, method = int(s["weight_bits"]), s["method"]
    table = method_table(linear, bits)
    rtn, gptq = (dict(table[table.method == k].iloc[0]) for k in ("rtn", "gptq"))
    st.markdown(t(
        "text.transformer.methods_note",
        "{linear} at {bits} bits per channel. RTN rounds every weight to its nearest level: "
        "the smallest weight error this grid allows ({rtn_w}). GPTQ rounds the columns one "
        "by one and lets the columns not yet rounded absorb each error, weighted by what the "
        "calibration inputs do with them (H = 2XᵀX): its weight error is larger "
        "(**{gptq_w}**), its output error smaller (**{gptq_o}** against RTN's {rtn_o}). AWQ "
        "first scales up the columns that meet large inputs.",
        linear=linear_label(linear, t), bits=bits, rtn_w=percent(rtn["weight_error"]),
        gptq_w=percent(gptq["weight_error"]), gptq_o=percent(gptq["output_error"]),
        rtn_o=percent(rtn["output_error"]),
    ))  # fmt: skip
    side_by_side(with_data(method_spec(t=t), {"errors": method_frame(table, t)}))
    st.vega_lite_chart(with_data(all_layers_spec(t=t), {"layers": all_layers_frame(bits, t)}),
                       width="stretch", theme=None)  # fmt: skip
    worse, better = gptq_against_rtn(bits)
    st.caption(t(
        "text.transformer.all_layers_note",
        "Every Linear at {bits} bits: GPTQ's weight error is above RTN's on {worse} of 36, "
        "its output error below on {better} of 36. The output is the target; the weights "
        "are only the means.",
        bits=bits, worse=worse, better=better,
    ))  # fmt: skip
    control("weight_scales", t=t)
    granularity = s["weight_scales"]
    current = with_progress(model_settings(bits, method, granularity), t)
    frames = {"curves": bits_frame(granularity),
              "float": pd.DataFrame({"accuracy": [100 * pre.float_scores()["accuracy"]],
                                     "cosine": [1.0]}),
              "current": pd.DataFrame({"bits": [bits], "method": [method_label(method)],
                                       "accuracy": [100 * current["accuracy"]],
                                       "cosine": [current["cosine"]]})}  # fmt: skip
    side_by_side(with_data(bits_spec(t=t), frames))
    st.caption(t(
        "text.transformer.bits_note",
        "The whole model with every Linear's weights at 2–8 bits (activations float32): "
        "retrieval accuracy@1 and the mean embedding cosine to float; the dashed line is "
        "float32, the star {method} at {bits} bits.",
        method=method_label(method), bits=bits,
    ))  # fmt: skip


def _search(s: Settings, state: MutableMapping[str, Any], t: Tr) -> None:
    st.markdown(f"#### {t('text.transformer.search_title', 'Search the documentation')}")
    bits, method = int(s["weight_bits"]), s["method"]
    query = st.text_input(
        t("text.transformer.search", "Type a sentence: its nearest sections, float and "
          "{method} at {bits} bits", method=method_label(method), bits=bits),
        key=SEARCH_KEY, max_chars=300,
        placeholder=t("text.transformer.search_placeholder", "how do I open a file?"),
    )  # fmt: skip
    if not query.strip():
        return
    key = ("transformer", "documents", pre.settings_key(model_settings(bits, method)))
    if key in shared_store():  # the sections were embedded at this setting already
        found = neighbours(query, bits, method)
    else:
        label = t("text.transformer.searching", "Embedding the sections at this setting…")
        with st.status(label, expanded=True) as status:
            bar = st.progress(0.0)

            def progress(done: int, total: int, what: str) -> None:
                bar.progress(min(done / max(total, 1), 1.0))

            found = neighbours(query, bits, method, progress)
            status.update(label=t("text.transformer.computed", "Evaluated."), state="complete",
                          expanded=False)  # fmt: skip
    names = {"title": t("text.transformer.section", "section"),
             "similarity": t("text.transformer.similarity", "cosine similarity")}  # fmt: skip
    left, right = st.columns(2)
    for column, frame, heading in (
        (left, found[0], t("text.transformer.float", "float32")),
        (right, found[1], t("text.transformer.quantized", "{method}, {bits} bits",
                            method=method_label(method), bits=bits)),
    ):  # fmt: skip
        with column:
            st.markdown(f"**{heading}**")
            st.dataframe(frame.rename(columns=names), hide_index=True, width="stretch")


def alpha_text(value: object, t: Tr = EN) -> str:
    """How the α slider shows a value: ``off`` or ``0.8``."""
    if value == "off":
        return t("text.transformer.alpha_off", "off")
    return f"{float(value):g}"


# ---- the room's charts: Vega-Lite specs (structure only; the data is attached by with_data)


def strip_spec(kind: str, *, t: Tr = EN) -> dict:
    """The heat strip: one row per layer (the input of the ``kind`` Linear), one column per
    channel, colour = max |x| over the median channel's (log). Dataset ``strip`` (``layer``,
    ``channel``, ``absmax``, ``times``)."""
    layer = t("text.transformer.layer", "layer")
    channel = t("text.chart.channel", "channel")
    times = t("text.transformer.times", "× median channel")
    return {
        "$schema": SCHEMA,
        "height": 130,
        "title": {"text": t("text.transformer.strip_title", "{kind}: input channels in every "
                            "layer", kind=kind)},
        "data": {"name": "strip"},
        "mark": {"type": "rect"},
        "encoding": {
            "x": {"field": "channel", "type": "ordinal", "title": channel,
                  "axis": {"values": list(range(0, 1536, 64)), "labelAngle": 0}},
            "y": {"field": "layer", "type": "ordinal", "title": layer},
            "color": {"field": "times", "type": "quantitative", "title": times,
                      "scale": {"type": "log", "scheme": "inferno", "reverse": True,
                                "domain": [0.3, 16]},
                      "legend": {"orient": "right", "gradientLength": 100}},
            "tooltip": [{"field": "layer", "title": layer},
                        {"field": "channel", "title": channel},
                        {"field": "absmax", "type": "quantitative", "format": ".3g",
                         "title": "max |x|"},
                        {"field": "times", "type": "quantitative", "format": ".1f",
                         "title": times}],
        },
        "config": config(),
    }  # fmt: skip


def channels_spec(*, height: int = 200, t: Tr = EN) -> dict:
    """This input's channels: max |x| per channel as bars, the five largest coloured and
    labelled. Dataset ``channels`` (``channel``, ``absmax``, ``top``, ``label``)."""
    channel = t("text.chart.channel", "channel")
    x = {"field": "channel", "type": "quantitative", "title": channel,
         "scale": {"nice": False}}  # fmt: skip
    y = {"field": "absmax", "type": "quantitative", "title": "max |x|"}
    return {
        "$schema": SCHEMA,
        "height": height,
        "data": {"name": "channels"},
        "layer": [
            {"mark": {"type": "bar", "width": {"band": 1}},
             "encoding": {"x": x, "y": y,
                          "color": {"condition": {"test": "datum.top", "value": QUANTIZED},
                                    "value": ORIGINAL},
                          "tooltip": [{"field": "channel", "title": channel},
                                      {"field": "absmax", "type": "quantitative",
                                       "format": ".3g", "title": "max |x|"}]}},
            {"transform": [{"filter": "datum.top"}],
             "mark": {"type": "text", "align": "left", "dx": 4, "dy": -2, "fontSize": 13,
                      "color": INK},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
        ],
        "config": config(),
    }  # fmt: skip


def grid_spec(tokens: int, channels: int = 384, *, t: Tr = EN) -> dict:
    """Four heat maps of one sentence's input (tokens × channels): |x|, then the error of one
    grid per tensor, per token and per channel, on one log colour scale. Dataset ``cells``
    (``panel``, ``pos``, ``channel``, ``token``, ``value``)."""
    channel = t("text.chart.channel", "channel")
    token = t("text.transformer.token", "token")
    value = t("text.transformer.magnitude", "|x| or |x̂ − x|")
    return {
        "$schema": SCHEMA,
        "data": {"name": "cells"},
        **panels(list(grid_names(t).values()), {
            "height": 12 * tokens,
            "mark": {"type": "rect"},
            "encoding": {
                "x": {"field": "channel", "type": "quantitative", "title": channel,
                      "bin": {"step": 1},
                      "axis": {"values": list(range(0, channels, 64 if channels <= 384 else 256)),
                               "labelAngle": 0}},
                "y": {"field": "token", "type": "ordinal", "title": token,
                      "sort": {"field": "pos"}, "axis": {"labelFontSize": 11}},
                "color": {"field": "value", "type": "quantitative", "title": value,
                          "scale": {"type": "log", "scheme": "inferno", "reverse": True,
                                    "domain": [1e-4, 30]},
                          "legend": {"orient": "right", "gradientLength": 120}},
                "tooltip": [{"field": "token", "title": token},
                            {"field": "channel", "title": channel},
                            {"field": "value", "type": "quantitative", "format": ".3g",
                             "title": value}],
            },
        }),
        "resolve": {"scale": {"x": "shared", "color": "shared"}},
        "config": config(),
    }  # fmt: skip


def panels(names: list[str], view: dict, *, field: str = "panel", stack: str = "vconcat") -> dict:
    """One ``view`` per panel name, each on the rows whose ``field`` is that name, titled by
    it, stacked (``vconcat``) or side by side (``hconcat``): a facet the page can size (a
    Vega-Lite facet cannot fit the page's width)."""
    return {stack: [
        {**view, "title": {"text": name, "anchor": "start", "fontSize": 14, "fontWeight": 400},
         "transform": [*view.get("transform", []), {"filter": {"field": field, "equal": name}}]}
        for name in names
    ]}  # fmt: skip


def smooth_series(t: Tr = EN) -> list[str]:
    return [
        t("text.transformer.sqnr_input", "input X/s"),
        t("text.transformer.sqnr_weight", "weight W·s"),
        t("text.transformer.sqnr_output", "output"),
    ]


def smooth_frames(table: pd.DataFrame, alpha: float | None, t: Tr = EN) -> dict[str, pd.DataFrame]:
    """:func:`smooth_spec`'s datasets from :func:`smooth_table`."""
    names = smooth_series(t)
    columns = ("act_sqnr_db", "weight_sqnr_db", "output_sqnr_db")
    curve = table.iloc[1:]
    curves = pd.concat(
        [
            pd.DataFrame({"alpha": curve["alpha"], "series": name, "sqnr": curve[col]})
            for name, col in zip(names, columns, strict=True)
        ],
        ignore_index=True,
    )
    off = pd.DataFrame({"series": names, "sqnr": [table.iloc[0][c] for c in columns]})
    return {"curves": curves, "off": off,
            "current": pd.DataFrame({"alpha": [np.nan if alpha is None else alpha]})}  # fmt: skip


def smooth_spec(*, height: int = 240, t: Tr = EN) -> dict:
    """The layer's SQNRs against α: input, weight and output as lines, each one's value
    without smoothing as a dashed rule, the current α as a vertical rule. Datasets
    ``curves`` (``alpha``, ``series``, ``sqnr``), ``off`` (``series``, ``sqnr``),
    ``current`` (``alpha``)."""
    names = smooth_series(t)
    colour = {"field": "series", "type": "nominal", "title": None,
              "scale": {"domain": names, "range": [ORIGINAL, PURPLE, QUANTIZED]}}  # fmt: skip
    alpha = {"field": "alpha", "type": "quantitative", "title": "α",
             "scale": {"domain": [0, 1]}}  # fmt: skip
    sqnr = {"field": "sqnr", "type": "quantitative", "title": "SQNR (dB)"}
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "off"}, "mark": {"type": "rule", "strokeDash": [6, 4]},
             "encoding": {"y": sqnr, "color": colour}},
            {"data": {"name": "current"}, "transform": [{"filter": "isValid(datum.alpha)"}],
             "mark": {"type": "rule", "color": LEVEL, "strokeWidth": 2},
             "encoding": {"x": alpha}},
            {"data": {"name": "curves"},
             "mark": {"type": "line", "strokeWidth": 2.5, "point": {"filled": True, "size": 30}},
             "encoding": {"x": alpha, "y": sqnr, "color": colour,
                          "tooltip": [{"field": "series", "title": None},
                                      {"field": "alpha", "title": "α"},
                                      {"field": "sqnr", "type": "quantitative", "format": ".1f",
                                       "title": "SQNR (dB)"}]}},
        ],
        "config": config(),
    }  # fmt: skip


def maxima_spec(*, t: Tr = EN) -> dict:
    """SmoothQuant's picture: per input channel, the input's max |x| (top) and the weight's
    max |w| (bottom), grey without smoothing and coloured at α (log scale, independent).
    Dataset ``maxima`` (``channel``, ``panel``, ``when``, ``value``)."""
    channel = t("text.chart.channel", "channel")
    p = maxima_panels(t)
    colour = {"field": "when", "type": "nominal", "title": None,
              "scale": {"domain": [p["before"], p["after"]], "range": [LEVEL, ORANGE]}}  # fmt: skip
    return {
        "$schema": SCHEMA,
        "data": {"name": "maxima"},
        **panels([p["input"], p["weight"]], {
            "height": 110,
            "mark": {"type": "point", "filled": True, "size": 14, "opacity": 0.8},
            "encoding": {
                "x": {"field": "channel", "type": "quantitative", "title": channel,
                      "scale": {"nice": False}},
                "y": {"field": "value", "type": "quantitative", "title": None,
                      "scale": {"type": "log"}},
                "color": colour,
                "tooltip": [{"field": "channel", "title": channel},
                            {"field": "when", "title": None},
                            {"field": "value", "type": "quantitative", "format": ".3g",
                             "title": "max"}],
            },
        }),
        "resolve": {"scale": {"y": "independent"}},
        "config": config(),
    }  # fmt: skip


def scope_labels(t: Tr = EN) -> dict[str, str]:
    return {
        "all": t.option("smooth_scope", "all", "every input (simulation)"),
        "layernorm": t.option("smooth_scope", "layernorm", "LayerNorm-fed only (deployable)"),
    }


def sq_frames(act_bits: int, alpha: float | None, scope: str, current: Mapping, static: Mapping,
              token: Mapping, t: Tr = EN) -> dict[str, pd.DataFrame]:  # fmt: skip
    """:func:`sq_model_spec`'s datasets: the shipped α points, the current setting, the
    unsmoothed and per-token levels."""
    labels = scope_labels(t)
    points = sq_points(act_bits)
    points = points.assign(scope=[labels[s] for s in points["scope"]])
    return {
        "points": points,
        "current": pd.DataFrame({"alpha": [np.nan if alpha is None else alpha],
                                 "cosine": [current["cosine"]], "scope": [labels[scope]]}),
        "static": pd.DataFrame({"cosine": [static["cosine"]]}),
        "token": pd.DataFrame({"cosine": [token["cosine"]]}),
    }  # fmt: skip


def sq_model_spec(*, height: int = 240, t: Tr = EN) -> dict:
    """The model's cosine against α for both scopes (shipped points joined by lines), the
    current setting as a star, the unsmoothed static grid dashed, per token dotted.
    Datasets ``points`` (``alpha``, ``scope``, ``cosine``, ``accuracy``), ``current``
    (``alpha``, ``cosine``, ``scope``), ``static``, ``token`` (``cosine``)."""
    labels = list(scope_labels(t).values())
    cosine = t("text.transformer.cosine", "cosine to float")
    alpha = {"field": "alpha", "type": "quantitative", "title": "α", "scale": {"domain": [0, 1]}}
    y = {"field": "cosine", "type": "quantitative", "title": cosine,
         "scale": {"zero": False, "nice": True}}  # fmt: skip
    colour = {"field": "scope", "type": "nominal", "title": None,
              "scale": {"domain": labels, "range": [ORIGINAL, GREEN]}}  # fmt: skip
    tip = [
        {"field": "scope", "title": None},
        {"field": "alpha", "title": "α"},
        {"field": "cosine", "type": "quantitative", "format": ".4f", "title": cosine},
    ]
    return {
        "$schema": SCHEMA,
        "height": height,
        "layer": [
            {"data": {"name": "static"},
             "mark": {"type": "rule", "strokeDash": [6, 4], "color": INK},
             "encoding": {"y": {"field": "cosine", "type": "quantitative"}}},
            {"data": {"name": "token"},
             "mark": {"type": "rule", "strokeDash": [2, 3], "color": INK},
             "encoding": {"y": {"field": "cosine", "type": "quantitative"}}},
            {"data": {"name": "points"},
             "mark": {"type": "line", "strokeWidth": 2, "point": {"filled": True, "size": 60}},
             "encoding": {"x": alpha, "y": y, "color": colour, "tooltip": tip}},
            {"data": {"name": "current"}, "transform": [{"filter": "isValid(datum.alpha)"}],
             "mark": {"type": "point", "shape": STAR, "size": 420, "filled": True,
                      "fill": YELLOW, "stroke": INK, "strokeWidth": 1.5, "opacity": 1},
             "encoding": {"x": alpha, "y": y, "tooltip": tip}},
        ],
        "config": config(),
    }  # fmt: skip


def method_frame(table: pd.DataFrame, t: Tr = EN) -> pd.DataFrame:
    """:func:`method_spec`'s dataset from :func:`method_table` (errors in %)."""
    panels = error_panels(t)
    rows = []
    for r in table.itertuples():
        rows.append(
            {
                "method": method_label(r.method),
                "panel": panels["weight"],
                "error": 100 * r.weight_error,
                "sqnr": r.sqnr_db,
            }
        )
        rows.append(
            {
                "method": method_label(r.method),
                "panel": panels["output"],
                "error": 100 * r.output_error,
                "sqnr": None,
            }
        )
    return pd.DataFrame(rows)


def _method_colour() -> dict:
    return {"field": "method", "type": "nominal", "title": None,
            "scale": {"domain": [method_label(m) for m in METHODS],
                      "range": [METHOD_COLOURS[m] for m in METHODS]}}  # fmt: skip


def method_spec(*, t: Tr = EN) -> dict:
    """One Linear: the weight error and the output error (%) of each method, side by side.
    Dataset ``errors`` (``method``, ``panel``, ``error``, ``sqnr``)."""
    p = error_panels(t)
    error = t("text.transformer.error_axis", "error, %")
    return {
        "$schema": SCHEMA,
        "data": {"name": "errors"},
        **panels([p["weight"], p["output"]], stack="hconcat", view={
            "width": 220,
            "height": 150,
            "mark": {"type": "bar"},
            "encoding": {
                "x": {"field": "method", "type": "nominal", "title": None, "sort": None,
                      "axis": {"labelAngle": 0}},
                "y": {"field": "error", "type": "quantitative", "title": error},
                "color": _method_colour(),
                "tooltip": [{"field": "method", "title": None},
                            {"field": "error", "type": "quantitative", "format": ".3f",
                             "title": error},
                            {"field": "sqnr", "type": "quantitative", "format": ".1f",
                             "title": "SQNR (dB)"}],
            },
        }),
        "resolve": {"scale": {"y": "independent"}},
        "config": {**config(), "legend": {"disable": True}},
    }  # fmt: skip


def all_layers_spec(*, t: Tr = EN) -> dict:
    """Every Linear (in the order of the network) and each method's weight error (top) and
    output error (bottom), %, log scale. Dataset ``layers`` (``linear``, ``order``,
    ``method``, ``panel``, ``error``)."""
    p = error_panels(t)
    linear = t("text.transformer.linear_axis", "Linear layer")
    return {
        "$schema": SCHEMA,
        "data": {"name": "layers"},
        **panels([p["weight"], p["output"]], {
            "height": 120,
            "mark": {"type": "point", "filled": True, "size": 50},
            "encoding": {
                "x": {"field": "order", "type": "quantitative", "title": linear,
                      "scale": {"domain": [-0.5, 35.5], "nice": False},
                      "axis": {"values": [0, 6, 12, 18, 24, 30],
                               "labelExpr": "'L' + datum.value / 6"}},
                "y": {"field": "error", "type": "quantitative", "title": "%",
                      "scale": {"type": "log"}},
                "color": _method_colour(),
                "tooltip": [{"field": "linear", "title": linear},
                            {"field": "method", "title": None},
                            {"field": "error", "type": "quantitative", "format": ".3f",
                             "title": "%"}],
            },
        }),
        "resolve": {"scale": {"y": "independent"}},
        "config": config(),
    }  # fmt: skip


def bits_spec(*, t: Tr = EN) -> dict:
    """The model against bits, one line per method: accuracy@1 (left) and cosine (right), the
    float level dashed, the current setting a star. Datasets ``curves`` (``bits``,
    ``method``, ``accuracy`` %, ``cosine``), ``float`` and ``current``."""
    bits = {"field": "bits", "type": "quantitative", "title": t("text.chart.bits", "bits"),
            "scale": {"domain": [1.5, 8.5], "nice": False},
            "axis": {"values": list(range(2, 9)), "format": "d"}}  # fmt: skip

    def panel(field: str, title: str, fmt: str) -> dict:
        y = {"field": field, "type": "quantitative", "title": title}
        tip = [
            {"field": "method", "title": None},
            {"field": "bits", "title": bits["title"]},
            {"field": field, "type": "quantitative", "format": fmt, "title": title},
        ]
        return {
            "width": 260,
            "height": 220,
            "layer": [
                {"data": {"name": "float"},
                 "mark": {"type": "rule", "strokeDash": [6, 4], "color": INK},
                 "encoding": {"y": {"field": field, "type": "quantitative"}}},
                {"data": {"name": "curves"},
                 "mark": {"type": "line", "strokeWidth": 2.5,
                          "point": {"filled": True, "size": 50}},
                 "encoding": {"x": bits, "y": y, "color": _method_colour(), "tooltip": tip}},
                {"data": {"name": "current"},
                 "mark": {"type": "point", "shape": STAR, "size": 420, "filled": True,
                          "fill": YELLOW, "stroke": INK, "strokeWidth": 1.5, "opacity": 1},
                 "encoding": {"x": bits, "y": y, "tooltip": tip}},
            ],
        }  # fmt: skip

    return {
        "$schema": SCHEMA,
        "hconcat": [
            panel("accuracy", t("text.transformer.accuracy_axis", "accuracy@1, %"), ".1f"),
            panel("cosine", t("text.transformer.cosine", "cosine to float"), ".4f"),
        ],
        "config": config(),
    }
