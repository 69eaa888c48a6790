"""Does the transformer still work? Retrieval accuracy and embedding cosine of MiniLM with its
Linear layers (and optionally their inputs) quantized.

>>> import quantviz as qv
>>> m = qv.load_model("minilm-l6")                                    # doctest: +SKIP
>>> r = qv.evaluate(m, bits=4, granularity="channel", method="gptq")  # doctest: +SKIP
>>> round(r.float_accuracy, 3), round(r.accuracy, 3), round(r.cosine, 3)  # doctest: +SKIP
(0.692, 0.692, 0.971)

What is simulated (fake quantization, as PyTorch's tooling and the papers do it):

* **weights**: each of the 36 Linear weights (q, k, v, attention output, FFN in and out ×
  6 layers) through :func:`quantviz.quantize` with the given settings (``bits``,
  ``granularity``, ``group_size``, ``symmetric``, ``strategy``, ``format``, …), as a
  matrix ``(out, in)`` (per channel = per output row; groups run along the inputs);
  adapted to a matrix they do not fit as the whole-model table does. The embedding
  tables (``embeddings=True`` quantizes them too), LayerNorms and biases stay float32.
  ``method`` chooses how each weight is rounded on that grid: ``"rtn"`` (to nearest),
  ``"gptq"`` (:mod:`.gptq`, the same grid, rounding chosen for the output; ``act_order``)
  or ``"awq"`` (:mod:`.awq`, activation-aware scaling, then the same quantizer);
* **activations** (``activations={"bits": 8, "mode": ...}``): every Linear's input
  fake-quantized (:mod:`.act_quant`: ``static``, ``dynamic`` per text, ``per_token``,
  ``per_channel``); attention's softmax and matmuls, GELU and LayerNorm stay float32;
* **SmoothQuant** (``smooth=α``): each Linear input divided per channel by
  ``s_j = max|X_j|^α / max|W_j|^(1−α)`` and its weight columns multiplied by s before
  quantizing (:mod:`.smoothquant`), on every input (``smooth_scope="all"``) or only the
  LayerNorm-fed ones (``"layernorm"``: query/key/value and intermediate.dense);
* **per_layer**: a Linear's own bits (int), format (name), settings (dict) or None (float),
  by weight name.

Scores on the evaluation texts (never the calibration texts): retrieval ``accuracy``
(accuracy@1) and ``mrr`` beside the float model's, the mean ``cosine`` between each text's
quantized and float embeddings (and its 5th percentile). Per layer: the weight error (MSE,
SQNR against the float weight), the **output error** ``‖ΔW·X‖²/‖W·X‖²`` on the calibration
tokens (from their Gram matrix: exact, no forward pass), and, with ``layer_cosine=True``,
the mean cosine when only that Linear is quantized (36 forward passes from that layer on:
about a minute; ``progress`` reports them).

Size: ``bits_per_weight`` is the Linear weights' stored bits (codes, scales, zero points)
over their number; ``size_bytes`` adds everything else at float32 (or the embedding tables
as stored). Smoothing and AWQ scale vectors are not counted (folded into the LayerNorm in a
deployment where possible, one float per input channel otherwise).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from quantviz.errors import InputError
from quantviz.metrics import metrics as error_figures
from quantviz.model_table import table_kwargs
from quantviz.models.evaluate import FLOAT32_BITS, _layer_settings, quantize_layer
from quantviz.models.transformer import act_quant
from quantviz.models.transformer.activations import InputStats, calibration, stats_of
from quantviz.models.transformer.awq import awq
from quantviz.models.transformer.bert import (
    INPUT_OF,
    Batch,
    LinearPlan,
    embed,
    float_plans,
    split_name,
)
from quantviz.models.transformer.gptq import Grid, gptq, output_error
from quantviz.models.transformer.model import TransformerModel
from quantviz.models.transformer.retrieval import score
from quantviz.models.transformer.smoothquant import (
    check_alpha,
    smooth_scales,
    smoothed,
    weight_absmax,
)
from quantviz.number_formats import get_format
from quantviz.pipeline import quantize
from quantviz.quantizer import check_bits

F32 = np.float32
METHODS = ("rtn", "gptq", "awq")
EMBEDDING_TABLES = (
    "embeddings.word_embeddings.weight",
    "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight",
)
_CACHE_LOCK = threading.Lock()
LAYER_CACHE = 144
"""Quantized Linears kept on the model (four whole models' worth, least recently used go)."""

PER_LAYER_COLUMNS = (
    "layer", "input", "shape", "weights", "setting", "method", "bits_per_weight", "mse",
    "sqnr_db", "output_error", "cosine", "smoothed", "awq_alpha", "note",
)  # fmt: skip
"""Columns of :attr:`TransformerEvaluation.per_layer`, in order."""

Progress = Callable[[int, int, str], None]
"""``progress(done, total, what)``: ``done`` steps of ``total`` finished, ``what`` is next."""


@dataclass(frozen=True)
class TransformerEvaluation:
    """A sentence-embedding model's scores at one setting.

    Attributes
    ----------
    accuracy, float_accuracy : float
        Retrieval accuracy@1 (0 to 1), quantized and float.
    mrr, float_mrr : float
        Mean reciprocal rank (0 to 1), quantized and float.
    cosine, cosine_p5 : float
        The mean, and the 5th percentile, over every evaluation text of the cosine between
        its quantized and its float embedding (1.0: unchanged).
    bits_per_weight : float
        The Linear weights' stored bits over their number (scales and zero points counted).
    size_bytes, float32_bytes : float
        The whole encoder as stored (everything not quantized at float32), and in float32.
    per_layer : pandas.DataFrame
        One row per Linear (:data:`PER_LAYER_COLUMNS`): ``input`` (what it reads),
        ``setting``, ``method``, its ``bits_per_weight``, the weight error ``mse`` and
        ``sqnr_db`` (against the float weight, after undoing any smoothing or AWQ scale),
        ``output_error`` = ‖ΔW·X‖²/‖W·X‖² on calibration tokens, ``cosine`` with only this
        Linear quantized (NaN unless ``layer_cosine=True``), ``smoothed`` (its input
        divided by SmoothQuant's s), ``awq_alpha`` (AWQ's chosen α, else NaN), ``note``.
    embeddings, float_embeddings : np.ndarray
        Every evaluation text's embedding ``(n, 384)`` (queries first, then documents).
    ranks : np.ndarray
        Each query's rank of its answer (1 = first), quantized.
    settings : dict
        The settings evaluated.
    seconds : dict
        Where the time went (``calibration``, ``weights``, ``forward``, ``layer_cosine``).
    """

    accuracy: float
    float_accuracy: float
    mrr: float
    float_mrr: float
    cosine: float
    cosine_p5: float
    bits_per_weight: float
    size_bytes: float
    float32_bytes: float
    per_layer: pd.DataFrame
    embeddings: np.ndarray
    float_embeddings: np.ndarray
    ranks: np.ndarray
    settings: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    @property
    def drop(self) -> float:
        """``float_accuracy − accuracy``."""
        return self.float_accuracy - self.accuracy


@dataclass(frozen=True)
class QuantLinear:
    """One Linear after quantization: the weight the forward pass uses (in the smoothed
    space when ``in_scale`` is set) and what the report says about it."""

    weight: np.ndarray
    in_scale: np.ndarray | None
    effective: np.ndarray  # the float-space weight: weight / in_scale (column-wise)
    total_bits: float
    setting: str
    note: str
    awq_alpha: float = float("nan")


def _check_model(model: object) -> TransformerModel:
    if isinstance(model, TransformerModel):
        return model
    from quantviz.models.zoo import load_model

    if isinstance(model, str):
        loaded = load_model(model)
        if isinstance(loaded, TransformerModel):
            return loaded
    raise InputError(f"model must be a transformer from qv.models() (minilm-l6), not {model!r}.")


def _cache(model: TransformerModel) -> OrderedDict:
    return model._memo.setdefault("quantized_linears", OrderedDict())


def _float_embeddings(model: TransformerModel) -> np.ndarray:
    memo = model._memo
    if "eval_sequences" not in memo:
        memo["eval_sequences"] = model.tokenize(list(model.task.texts))
    if "float_embeddings" not in memo:
        e = model.run(memo["eval_sequences"])
        e.flags.writeable = False
        memo["float_embeddings"] = e
    return memo["float_embeddings"]


def _output_power(model: TransformerModel, linear: str) -> float:
    """``‖W·Xᵀ‖²`` over the calibration tokens (bias excluded): the output error's yardstick."""
    memo = model._memo.setdefault("output_power", {})
    if linear not in memo:
        memo[linear] = output_error(model.weights[linear], stats_of(model, linear).gram)
    return memo[linear]


def _float_states(model: TransformerModel) -> dict[tuple[int, int], np.ndarray]:
    """Each evaluation batch's float input of every layer, keyed by (layer, first text):
    quantizing one Linear changes nothing before its layer, so its run starts there."""
    memo = model._memo
    if "float_states" not in memo:
        _float_embeddings(model)
        states: dict[tuple[int, int], np.ndarray] = {}

        def observe(name: str, x: np.ndarray, batch: Batch) -> None:
            layer, kind = split_name(name)
            if kind == "query":  # the layer's input
                states[(layer, int(batch.index[0]))] = x.copy()

        model.run(memo["eval_sequences"], observe=observe)
        memo["float_states"] = states
    return memo["float_states"]


def input_scales(
    model: TransformerModel, linear: str, alpha: float | None, scope: str
) -> np.ndarray | None:
    """SmoothQuant's s for the input of ``linear`` (None: not smoothed)."""
    if alpha is None:
        return None
    _, kind = split_name(linear)
    if not smoothed(INPUT_OF[kind], scope):
        return None
    stats = stats_of(model, linear)
    w_max = weight_absmax([model.weights[name] for name in stats.linears])
    return smooth_scales(stats.absmax, w_max, alpha)


def _scaled_gram(stats: InputStats, s: np.ndarray | None) -> np.ndarray:
    if s is None:
        return stats.gram
    inv = 1.0 / s.astype(np.float64)
    return stats.gram * inv[:, None] * inv[None, :]


def _gptq_grid(weight: np.ndarray, settings: dict) -> tuple[Grid, float, str, str]:
    """Round-to-nearest's grid for ``weight`` (from qv.quantize), its size in bits, label, note."""
    if settings.get("format", "int") != "int":
        raise InputError(
            "GPTQ here rounds on the integer grid; choose format='int' (or method='rtn'/'awq' "
            "for the number formats)."
        )
    if settings.get("rounding", "nearest") != "nearest":
        raise InputError("GPTQ chooses its own rounding; leave rounding at 'nearest'.")
    kw, note = table_kwargs(weight.shape, settings)
    if kw.get("granularity") == "channel" and kw.get("axis", 0) not in (0, -2):
        raise InputError("GPTQ needs its scales per output row: per channel on axis 0.")
    r = quantize(weight, **kw)
    grid = Grid.of(r.scale, r.zero_point, weight.shape, r.qmin, r.qmax)
    return grid, float(r.metrics["size_bytes"]) * 8, f"{int(kw['bits'])} bits", note


def quantize_linear(
    model: TransformerModel, linear: str, settings: dict | None, method: str,
    act_order: bool, alpha: float | None, scope: str,
) -> QuantLinear:  # fmt: skip
    """One Linear's weight quantized by ``method`` (memoized on the model)."""
    key = (linear, repr(sorted(settings.items())) if settings else None, method, act_order,
           alpha, scope)  # fmt: skip
    cache = _cache(model)
    with _CACHE_LOCK:  # the page's sessions are threads
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    weight = model.weights[linear]
    # a Linear kept in float32 is left as it is: no smoothing, no quantized input
    s = input_scales(model, linear, alpha, scope) if settings is not None else None
    scaled = weight if s is None else (weight * s).astype(F32)
    awq_alpha = float("nan")
    if settings is None:
        q = quantize_layer(scaled, None)
        w_q, bits, setting, note = q.weight, q.total_bits, q.setting, ""
    elif method == "gptq":
        stats = stats_of(model, linear)
        grid, bits, setting, note = _gptq_grid(scaled, settings)
        w_q = gptq(scaled, 2.0 * _scaled_gram(stats, s), grid, act_order=act_order)
    elif method == "awq":
        stats = stats_of(model, linear)
        mean_abs = stats.mean_abs if s is None else stats.mean_abs / s
        q0 = quantize_layer(scaled, settings)
        result = awq(scaled, mean_abs, _scaled_gram(stats, s),
                     lambda m: quantize_layer(m.astype(F32), settings).weight)  # fmt: skip
        w_q, bits, setting, note = result.weight, q0.total_bits, q0.setting, q0.note
        awq_alpha = result.alpha
    else:
        q = quantize_layer(scaled, settings)
        w_q, bits, setting, note = q.weight, q.total_bits, q.setting, q.note
    effective = w_q if s is None else (w_q / s).astype(F32)
    for a in (w_q, effective):
        a.flags.writeable = False
    out = QuantLinear(w_q, s, effective, float(bits), setting, note, awq_alpha)
    with _CACHE_LOCK:
        cache[key] = out
        while len(cache) > LAYER_CACHE:
            cache.popitem(last=False)
    return out


def input_quantizer(
    model: TransformerModel, linear: str, spec: act_quant.ActivationSpec, s: np.ndarray | None
) -> act_quant.InputQuantizer:
    """The quantizer of ``linear``'s input (after any smoothing division by ``s``)."""
    if spec.mode == "dynamic":
        return act_quant.per_text(spec)
    if spec.mode == "per_token":
        return act_quant.per_token(spec)
    stats = stats_of(model, linear)
    inv = np.ones(stats.channels, dtype=F32) if s is None else (F32(1) / s)
    lo_c, hi_c = stats.minimum * inv, stats.maximum * inv  # s > 0 keeps the order
    if spec.strategy == "minmax":
        if spec.mode == "per_channel":
            return act_quant.fixed(spec, lo_c, hi_c)
        return act_quant.fixed(spec, lo_c.min(), hi_c.max())
    sample = stats.sample * inv
    if spec.mode == "per_channel":
        lo, hi = spec.ranges(np.ascontiguousarray(sample.T))
        return act_quant.fixed(spec, lo, hi)
    lo, hi = spec.ranges(sample.reshape(1, -1))
    return act_quant.fixed(spec, lo.reshape(()), hi.reshape(()))


def _embedding_tables(model: TransformerModel, settings: dict) -> tuple[Callable, float, float]:
    """The embedding block on quantized tables: (embed function, stored bits, float bits)."""
    tables = {}
    bits = 0.0
    n = 0
    for name in EMBEDDING_TABLES:
        q = quantize_layer(model.weights[name], settings)
        tables[name] = q.weight
        bits += q.total_bits
        n += model.weights[name].size
    weights = {**model.weights, **tables}

    def run_embed(batch: Batch) -> np.ndarray:
        return embed(weights, batch, model.config)

    return run_embed, bits, n * FLOAT32_BITS


@dataclass(frozen=True)
class Request:
    """One evaluation's settings, checked: the weight settings of every Linear (None: float),
    the rounding ``method``, GPTQ's ``act_order``, SmoothQuant's ``alpha`` and ``scope``,
    the activation ``spec``, whether the embedding tables are quantized."""

    layer_settings: dict[str, dict | None]
    base: dict
    method: str
    act_order: bool
    alpha: float | None
    scope: str
    spec: act_quant.ActivationSpec | None
    embeddings: bool


def _base_settings(bits: int | None, settings: Mapping[str, object]) -> dict:
    base = {"bits": bits, **settings}
    if base.get("format", "int") == "int":
        base["bits"] = check_bits(8 if bits is None else bits)
    else:
        get_format(str(base["format"]))
    return base


def request(
    model: TransformerModel, bits: int | None, *, method: str = "rtn", act_order: bool = False,
    activations: Mapping[str, object] | None = None, smooth: float | None = None,
    smooth_scope: str = "all", embeddings: bool = False,
    per_layer: Mapping[str, object] | None = None, **settings: object,
) -> Request:  # fmt: skip
    """Check :func:`evaluate_transformer`'s settings (one sentence per mistake)."""
    if method not in METHODS:
        raise InputError(f'method must be one of "rtn", "gptq", "awq"; not {method!r}.')
    if not isinstance(act_order, bool):
        raise InputError(f"act_order must be True or False, not {act_order!r}.")
    if act_order and method != "gptq":
        raise InputError('act_order is a GPTQ option; use it with method="gptq".')
    if not isinstance(embeddings, bool):
        raise InputError(f"embeddings must be True or False, not {embeddings!r}.")
    alpha = None if smooth is None else check_alpha(smooth)
    smoothed("attention", smooth_scope)  # checks the scope
    spec = act_quant.ActivationSpec.of(activations)
    base = _base_settings(bits, settings)
    if per_layer is not None and not isinstance(per_layer, Mapping):
        raise InputError('per_layer must be a dict such as {"encoder.layer.0...weight": 4}.')
    per_layer = dict(per_layer or {})
    names = model.linear_names
    for name in per_layer:
        if name not in names:
            raise InputError(
                f"{model.name} has no Linear {name!r}; its Linears are named like "
                f"{names[0]} … {names[-1]}."
            )
    layer_settings = {
        name: _layer_settings(base, per_layer[name], name) if name in per_layer else dict(base)
        for name in names
    }
    return Request(layer_settings, base, method, act_order, alpha, smooth_scope, spec, embeddings)


def _quantize_all(
    model: TransformerModel, req: Request, report: Callable[[int, str], None]
) -> dict[str, QuantLinear]:
    quant = {}
    for i, name in enumerate(model.linear_names):
        report(i, name)
        quant[name] = quantize_linear(
            model, name, req.layer_settings[name], req.method, req.act_order, req.alpha,
            req.scope,
        )  # fmt: skip
    return quant


def encode_quantized(
    model: TransformerModel | str, texts: list[str], bits: int | None = None,
    progress: Callable[[int, int, str], None] | None = None, **settings: object,
) -> np.ndarray:  # fmt: skip
    """Sentence embeddings of any texts from the quantized model (``evaluate``'s settings):
    what a search box shows beside ``model.encode(texts)``, the float model's.
    ``progress(done, total, what)`` while the Linears are quantized (memoized on the model:
    a setting seen before is not quantized again)."""
    model = _check_model(model)
    req = request(model, bits, **settings)
    sequences = model.tokenize(texts)
    if not sequences:
        return np.zeros((0, model.config.hidden_size), dtype=F32)
    total = len(model.linear_names)

    def report(done: int, what: str) -> None:
        if progress is not None:
            progress(min(done, total), total, what)

    with threadpool_limits(limits=1, user_api="blas"):
        plans = _plans(model, req, _quantize_all(model, req, report))
        start = _embedding_tables(model, req.base)[0] if req.embeddings else None
        return model.run(sequences, plans, start=start)


def _plans(
    model: TransformerModel, req: Request, quant: Mapping[str, QuantLinear]
) -> dict[str, LinearPlan]:
    plans = {}
    for name, q in quant.items():
        quantizer = None
        if req.spec is not None and req.layer_settings[name] is not None:
            quantizer = input_quantizer(model, name, req.spec, q.in_scale)
        bias = model.weights[name[: -len("weight")] + "bias"]
        plans[name] = LinearPlan(q.weight, bias, quantizer, q.in_scale)
    return plans


def _layer_cosines(
    model: TransformerModel, plans: Mapping[str, LinearPlan], report: Callable[[int, str], None]
) -> dict[str, float]:
    """The mean cosine to float with only one Linear quantized, for each Linear."""
    float_e = _float_embeddings(model)
    float_p = float_plans(model.weights, model.config)
    states = _float_states(model)
    out = {}
    for i, name in enumerate(plans):
        report(i, f"only {name}")
        layer = split_name(name)[0]

        def start(batch: Batch, layer: int = layer) -> np.ndarray:
            return states[(layer, int(batch.index[0]))]

        only = {**float_p, name: plans[name]}
        e = model.run(model._memo["eval_sequences"], only, start=start, first_layer=layer)
        out[name] = float(np.mean(np.sum(e.astype(np.float64) * float_e, axis=1)))
    return out


def _per_layer(
    model: TransformerModel, req: Request, quant: Mapping[str, QuantLinear],
    cosines: Mapping[str, float],
) -> pd.DataFrame:  # fmt: skip
    rows = []
    for name, q in quant.items():
        w = model.weights[name]
        stats = stats_of(model, name)
        fig = error_figures(w, q.effective)
        rows.append({
            "layer": name, "input": stats.name, "shape": tuple(w.shape), "weights": int(w.size),
            "setting": q.setting, "method": req.method if req.layer_settings[name] else "float",
            "bits_per_weight": q.total_bits / w.size, "mse": fig["mse"],
            "sqnr_db": fig["sqnr_db"],
            "output_error": output_error(q.effective - w, stats.gram)
            / _output_power(model, name),
            "cosine": cosines.get(name, float("nan")), "smoothed": q.in_scale is not None,
            "awq_alpha": q.awq_alpha, "note": q.note,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(PER_LAYER_COLUMNS))


def evaluate_transformer(
    model: TransformerModel | str,
    bits: int | None = None,
    *,
    layer_cosine: bool = False,
    progress: Progress | None = None,
    **settings: object,
) -> TransformerEvaluation:
    """Retrieval scores and embedding cosine of a transformer at one setting.

    Parameters
    ----------
    model : TransformerModel or str
        ``qv.load_model("minilm-l6")`` or its name.
    bits, **settings :
        :func:`quantviz.quantize`'s keywords for every Linear weight (``bits`` default 8,
        ``granularity``, ``group_size``, ``symmetric``, ``strategy``, ``format``, …), and:
    method : str
        ``"rtn"`` (round to nearest, the default), ``"gptq"`` or ``"awq"``.
    act_order : bool
        GPTQ only: round the columns in order of decreasing Hessian diagonal.
    activations : dict, optional
        ``bits`` (default 8), ``mode`` (``"static"``, ``"dynamic"``, ``"per_token"``,
        ``"per_channel"``), ``strategy`` (default ``"minmax"``) and its parameters,
        ``symmetric`` (default False).
    smooth : float, optional
        SmoothQuant's α (0 to 1); None: no smoothing.
    smooth_scope : str
        ``"all"`` (every Linear input; a simulation) or ``"layernorm"`` (only the inputs a
        LayerNorm feeds, which a deployment can fold: query/key/value, intermediate).
    embeddings : bool
        Quantize the word, position and token-type tables too (per row = per token when
        ``granularity="channel"``).
    per_layer : dict, optional
        Overrides by weight name: bits (int; 32 = float32), a format name, a dict of
        settings, or None (float32).
    layer_cosine : bool
        Also compute each Linear's cosine with only it quantized (36 runs of the layers
        from that Linear's on: about a minute).
    progress : callable, optional
        ``progress(done, total, what)`` while quantizing the weights and running.
    """
    t0 = time.perf_counter()
    model = _check_model(model)
    req = request(model, bits, **settings)
    names = model.linear_names
    total = len(names) + 1 + (len(names) if layer_cosine else 0)

    def report(done: int, what: str) -> None:
        if progress is not None:
            progress(done, total, what)

    seconds: dict[str, float] = {}
    # one BLAS thread, as model.run: GPTQ's inverses and the Gram products included
    with threadpool_limits(limits=1, user_api="blas"):
        t = time.perf_counter()
        calibration(model)  # every per-layer output error needs it
        float_e = _float_embeddings(model)
        seconds["calibration"] = time.perf_counter() - t
        t = time.perf_counter()
        quant = _quantize_all(model, req, report)
        seconds["weights"] = time.perf_counter() - t
        plans = _plans(model, req, quant)
        run_embed = None
        embed_bits = embed_float_bits = 0.0
        if req.embeddings:
            run_embed, embed_bits, embed_float_bits = _embedding_tables(model, req.base)
        report(len(names), "forward")
        t = time.perf_counter()
        e = model.run(model._memo["eval_sequences"], plans, start=run_embed)
        seconds["forward"] = time.perf_counter() - t
        cosines: dict[str, float] = {}
        if layer_cosine:
            t = time.perf_counter()
            cosines = _layer_cosines(model, plans, lambda i, w: report(len(names) + 1 + i, w))
            seconds["layer_cosine"] = time.perf_counter() - t
        per_layer = _per_layer(model, req, quant, cosines)
    report(total, "")

    nq = len(model.task.queries)
    answers = model.task.answers
    quantized_scores = score(e[:nq], e[nq:], answers)
    float_scores = score(float_e[:nq], float_e[nq:], answers)
    cos = np.sum(e.astype(np.float64) * float_e, axis=1)
    linear_bits = sum(q.total_bits for q in quant.values())
    rest = model.n_parameters - model.n_linear_weights
    stored_bits = linear_bits + rest * FLOAT32_BITS + (embed_bits - embed_float_bits)
    seconds["total"] = time.perf_counter() - t0
    return TransformerEvaluation(
        accuracy=quantized_scores.accuracy,
        float_accuracy=float_scores.accuracy,
        mrr=quantized_scores.mrr,
        float_mrr=float_scores.mrr,
        cosine=float(np.mean(cos)),
        cosine_p5=float(np.percentile(cos, 5)),
        bits_per_weight=linear_bits / model.n_linear_weights,
        size_bytes=stored_bits / 8,
        float32_bytes=model.n_parameters * 4.0,
        per_layer=per_layer,
        embeddings=e,
        float_embeddings=float_e,
        ranks=quantized_scores.ranks,
        settings={"bits": req.base.get("bits"), **settings, "layer_cosine": layer_cosine},
        seconds=seconds,
    )
