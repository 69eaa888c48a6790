"""Does the model still work? The test accuracy of a shipped model with its weights (and
optionally its activations) quantized.

>>> import quantviz as qv
>>> m = qv.load_model("digits-cnn")
>>> r = qv.evaluate(m, bits=8)
>>> round(r.float_accuracy, 4), abs(r.accuracy - r.float_accuracy) < 0.005
(0.9815, True)

What is simulated ("fake quantization", as PyTorch's QAT/PTQ tooling does it):

* **weights**: every weight tensor goes through :func:`quantviz.quantize` with the same
  settings (``bits``, ``symmetric``, ``strategy``, ``granularity``, ``group_size``,
  ``format``, …) and the network computes with the dequantized values. Weights are
  quantized as matrices, one row per output channel (a conv's ``(out, in, k, k)`` as
  ``(out, in·k·k)``), so per-channel scales are per filter and groups run along a
  filter's inputs. Settings that do not fit a tensor are adapted as the whole-model
  table does (:func:`quantviz.model_table.table_kwargs`); the table's ``note`` says so.
  A block format (MX, NVFP4, GGML) whose block does not divide a row takes the tensor
  flattened and padded with zeros to whole blocks (the padding is counted in its size).
* **activations** (``activations={...}``): each layer's input is fake-quantized on an
  integer grid (:func:`quantviz.quantizer.quantize_codes`, PyTorch's
  ``fake_quantize_per_tensor_affine``), **static** (one range per layer, calibrated once
  on the calibration split's float activations with a range strategy, as PyTorch's
  observers in prepare → calibrate → convert) or **dynamic** (min-max or any strategy
  on each batch at run time, as ``torch.ao.quantization.quantize_dynamic``; by default a
  batch is one example). With activations quantized, a bias is stored as an int32 code on
  the scale ``s_w · s_x`` (weight scale × input scale, as integer engines such as FBGEMM
  and TFLite do) wherever the weight has one scale per output channel; with groups or a
  number format it stays float32. The logits are not quantized.
* **pruning** (``prune=0.5``): the smallest-magnitude weights are set to zero before
  quantizing (per layer, or with one threshold for the whole model) and stay zero.
* **mixed precision** (``per_layer={"fc1": 4, "conv1": None}``): a layer's own bits
  (an int), format (a name), settings (a dict) or None to keep it float32.

Size: ``bits_per_weight`` is the whole model's stored bits over its number of
parameters (weights and biases): each weight tensor's :func:`quantviz.quantize` size
(element bits plus every stored scale and zero point), biases at 32 bits (float32, or
int32 when activations are quantized). A pruned tensor stores only its kept weights
plus a bitmap index of 1 bit per weight (position kept or not).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quantviz.errors import InputError
from quantviz.metrics import metrics as error_figures
from quantviz.model_table import table_kwargs
from quantviz.models.forward import LayerPlan, float_inputs, run
from quantviz.models.zoo import Model, load_model, models
from quantviz.number_formats import get_format
from quantviz.pipeline import QuantResult, quantize
from quantviz.quantizer import F32, check_bits, dequantize, qparams, quantize_codes
from quantviz.ranges import clipping_range, get_strategy

FLOAT32_BITS = 32
BIAS_BITS = 32
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
ACTIVATION_MODES = ("static", "dynamic")
PRUNE_SCOPES = ("layer", "global")
_ACTIVATION_KEYS = {"bits", "mode", "strategy", "symmetric", "batch"}

PER_LAYER_COLUMNS = (
    "layer", "shape", "weights", "setting", "bits_per_weight", "sparsity", "mse", "sqnr_db",
    "accuracy", "drop", "note",
)  # fmt: skip
"""Columns of :attr:`Evaluation.per_layer`, in order."""


@dataclass(frozen=True)
class Evaluation:
    """A model's test accuracy at one setting.

    Attributes
    ----------
    accuracy, float_accuracy : float
        Fractions of the test set classified right (0 to 1), quantized and float.
    bits_per_weight : float
        The whole model's stored bits over its parameters (weights and biases; biases at
        32 bits; scales, zero points and a pruning bitmap counted). 32.0 is float32.
    size_bytes, float32_bytes : float
        The model's size as stored, and in float32.
    per_layer : pandas.DataFrame
        One row per layer (:data:`PER_LAYER_COLUMNS`): ``setting`` (bits or the format),
        the layer's own ``bits_per_weight`` (biases not included), ``sparsity`` (fraction
        pruned), the weight error ``mse`` and ``sqnr_db`` (against the float weights,
        pruning included), ``accuracy`` with only that layer quantized (its weights, and
        its input and bias when activations are quantized) and ``drop`` =
        ``float_accuracy − accuracy``: the layer's sensitivity. ``note`` says what was
        adapted to fit the layer.
    predictions, float_predictions : np.ndarray
        The predicted class of every test example, quantized and float.
    logits : np.ndarray
        The quantized network's outputs, ``(n_test, classes)`` float32 (not quantized).
    settings : dict
        The settings evaluated (as given, with defaults filled in).
    """

    accuracy: float
    float_accuracy: float
    bits_per_weight: float
    size_bytes: float
    float32_bytes: float
    per_layer: pd.DataFrame
    predictions: np.ndarray
    float_predictions: np.ndarray
    logits: np.ndarray
    settings: dict = field(default_factory=dict)

    @property
    def drop(self) -> float:
        """``float_accuracy − accuracy`` (a fraction; negative when quantizing helped)."""
        return self.float_accuracy - self.accuracy

    @property
    def compression_ratio(self) -> float:
        """Float32 size over stored size."""
        return self.float32_bytes / self.size_bytes


@dataclass(frozen=True)
class LayerQuant:
    """One layer's weights after pruning and quantization, and what they cost."""

    weight: np.ndarray  # dequantized, the layer's shape, float32
    out_scales: np.ndarray | None  # one weight scale per output channel (for an int32 bias)
    total_bits: float  # the weight tensor as stored (biases not included)
    kept: int  # weights not pruned
    setting: str  # "4 bits", "fp8_e4m3", "float32"
    note: str
    grid: QuantResult | None = None  # the integer grid's codes, scales and zero points


# ---------------------------------------------------------------- settings --


def _is_transformer(model: object) -> bool:
    """A sentence-embedding transformer (by object or by name), evaluated on its own path."""
    from quantviz.models.transformer.model import TransformerModel

    if isinstance(model, str) and model in models():
        model = load_model(model)
    return isinstance(model, TransformerModel)


def _model(model: Model | str) -> Model:
    if isinstance(model, Model):
        return model
    if isinstance(model, str):
        return load_model(model)
    raise InputError(f"model must be a name from qv.models() or a loaded model, not {model!r}.")


def _fraction(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number from 0 to 1, not {value!r}.")
    if not 0.0 <= float(value) < 1.0:
        raise InputError(f"{name} must be at least 0 and below 1 (a fraction); got {value}.")
    return float(value)


@dataclass(frozen=True)
class ActivationSpec:
    """How each layer's input is quantized (see :func:`evaluate`'s ``activations``)."""

    bits: int = 8
    mode: str = "static"
    strategy: str = "minmax"
    symmetric: bool = False
    batch: int = 1
    params: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, spec: object) -> ActivationSpec | None:
        if spec is None:
            return None
        if not isinstance(spec, Mapping):
            raise InputError(
                'activations must be a dict such as {"bits": 8, "mode": "static"}, or None.'
            )
        spec = dict(spec)
        strategy = str(spec.get("strategy", "minmax"))
        get_strategy(strategy)
        params = {k: v for k, v in spec.items() if k not in _ACTIVATION_KEYS}
        for k, v in params.items():
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise InputError(
                    f"activations[{k!r}] is not a setting of activations or a number "
                    f"(the settings are {', '.join(sorted(_ACTIVATION_KEYS))}); got {v!r}."
                )
        mode = spec.get("mode", "static")
        if mode not in ACTIVATION_MODES:
            raise InputError(f'activations["mode"] must be "static" or "dynamic", not {mode!r}.')
        symmetric = spec.get("symmetric", False)
        if not isinstance(symmetric, bool | np.bool_):
            raise InputError(f'activations["symmetric"] must be True or False, not {symmetric!r}.')
        batch = spec.get("batch", 1)
        if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
            raise InputError(f'activations["batch"] must be a whole number ≥ 1, not {batch!r}.')
        if strategy == "manual":
            raise InputError(
                "Activation ranges are calibrated per layer; choose a strategy other than manual."
            )
        return cls(
            check_bits(spec.get("bits", 8)), mode, strategy, bool(symmetric), int(batch),
            tuple(sorted((str(k), float(v)) for k, v in params.items())),
        )  # fmt: skip

    def ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The strategy's clipping range of each row (quantviz's range code)."""
        return clipping_range(
            rows, self.strategy, bits=self.bits, symmetric=self.symmetric, **dict(self.params)
        )


def _layer_settings(
    base: dict, override: object, name: str
) -> dict | None:  # None: keep the layer float
    if override is None:
        return None
    kw = dict(base)
    if isinstance(override, bool):
        raise InputError(f"per_layer[{name!r}] must be bits, a format name, a dict or None.")
    if isinstance(override, int | np.integer):
        if int(override) == FLOAT32_BITS:
            return None
        kw.update(bits=int(override), format="int")
    elif isinstance(override, str):
        kw.update(format=override, bits=None)
    elif isinstance(override, Mapping):
        kw.update(override)
    else:
        raise InputError(
            f"per_layer[{name!r}] must be bits (an int), a format name, a dict of settings or "
            f"None (float32); got {override!r}."
        )
    return kw


# ------------------------------------------------------------------ layers --


def prune_masks(model: Model, fraction: float, scope: str) -> list[np.ndarray | None]:
    """Magnitude pruning: True for the weights kept, one mask per layer (None: nothing pruned).

    ``scope="layer"`` removes the ``round(fraction · n)`` smallest |w| of each layer;
    ``"global"`` the ``round(fraction · N)`` smallest of the whole model (one threshold,
    so small layers of large weights lose fewer). Ties are broken by position.
    """
    if scope not in PRUNE_SCOPES:
        raise InputError(f'prune_scope must be "layer" or "global", not {scope!r}.')
    if fraction == 0:
        return [None] * len(model.layers)
    mags = [np.abs(layer.weight).ravel() for layer in model.layers]

    def smallest(values: np.ndarray, k: int) -> np.ndarray:
        keep = np.ones(values.size, dtype=bool)
        keep[np.argsort(values, kind="stable")[:k]] = False
        return keep

    if scope == "layer":
        keeps = [smallest(m, round(fraction * m.size)) for m in mags]
    else:
        flat = smallest(np.concatenate(mags), round(fraction * sum(m.size for m in mags)))
        keeps = np.split(flat, np.cumsum([m.size for m in mags])[:-1])
    return [k.reshape(layer.weight.shape) for k, layer in zip(keeps, model.layers, strict=True)]


def quantize_layer(
    weight: np.ndarray, settings: dict | None, keep: np.ndarray | None = None
) -> LayerQuant:
    """Prune (``keep``) and quantize one weight tensor with :func:`quantviz.quantize`.

    ``settings`` are ``qv.quantize`` keywords (None keeps the tensor float32). The tensor
    is quantized as a matrix ``(out, rest)``; a block format whose block does not divide
    a row takes the flattened tensor padded with zeros to whole blocks.
    """
    n, out = weight.size, weight.shape[0]
    w = weight if keep is None else weight * keep
    kept = n if keep is None else int(keep.sum())
    index_bits = 0 if keep is None else n  # a bitmap: 1 bit per position
    if settings is None:
        return LayerQuant(w, None, kept * FLOAT32_BITS + index_bits, kept, "float32", "")
    kw = dict(settings)
    fmt_name = kw.get("format", "int")
    if fmt_name == "int" and kw.get("bits") is None:
        kw["bits"] = 8
    matrix = w.reshape(out, -1)
    kw, note = table_kwargs(matrix.shape, kw)
    if fmt_name != "int":
        fmt = get_format(str(fmt_name))
        element_bits = fmt.element_bits
        block = fmt.block_size
        if block and matrix.shape[1] % block:
            matrix = np.pad(w.ravel(), (0, (-n) % block)).reshape(1, -1)
            note = (
                f"{note} Rows of {weight.size // out} values are not whole {fmt.name} blocks "
                f"of {block}: the tensor is stored flattened, padded to whole blocks."
            ).strip()
        setting = fmt.name
    else:
        element_bits = int(kw["bits"])
        setting = f"{element_bits} bits"
    r = quantize(matrix, **kw)
    x_hat = np.asarray(r.dequantized, dtype=F32).ravel()[:n].reshape(weight.shape)
    if keep is not None:
        x_hat = x_hat * keep
    stored = float(r.metrics["size_bytes"]) * 8
    stored -= (n - kept) * element_bits  # pruned weights are not stored ...
    stored += index_bits  # ... but where the kept ones sit is
    out_scales = None
    if fmt_name == "int" and kw.get("granularity", "tensor") in ("tensor", None):
        out_scales = np.full(out, r.scale, dtype=F32)
    elif fmt_name == "int" and kw.get("granularity") == "channel" and kw.get("axis", 0) in (0, -2):
        out_scales = np.asarray(r.scale, dtype=F32).reshape(out)
    grid = r if fmt_name == "int" else None
    return LayerQuant(x_hat.astype(F32), out_scales, stored, kept, setting, note, grid)


def _fake_quant(a: np.ndarray, scale: np.ndarray, zero_point: np.ndarray, qmin: int, qmax: int):
    codes, _ = quantize_codes(a, scale, zero_point, qmin, qmax)
    return dequantize(codes, scale, zero_point)


def bias_int32(bias: np.ndarray, out_scales: np.ndarray, s_x: np.ndarray) -> np.ndarray:
    """The bias an integer engine adds: int32 codes on the scale ``s_w · s_x``, dequantized.

    ``code = clamp(round(b · (1 / (s_w · s_x))), −2³¹, 2³¹ − 1)``, rounding half to even,
    zero point 0. ``s_x`` is one input scale (shape ``()``) or one per example (``(n,)``,
    dynamic): then the result is ``(n, out)``.
    """
    codes, scale = bias_codes(bias, out_scales, s_x)
    return dequantize(codes, scale, 0)


def bias_codes(
    bias: np.ndarray, out_scales: np.ndarray, s_x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bias_int32`'s int32 codes (as float64 whole numbers) and their scale ``s_w · s_x``."""
    s_x = np.asarray(s_x, dtype=F32)
    scale = (s_x[..., None] * out_scales).astype(F32) if s_x.ndim else F32(s_x) * out_scales
    v = np.rint(np.multiply(bias, F32(1) / scale, dtype=F32)).astype(np.float64)
    return np.clip(v, INT32_MIN, INT32_MAX), scale


class _Session:
    """One evaluation's settings, with the quantized layers and activation ranges it needs
    (memoized: a search asks for the same layer at the same bits again and again)."""

    def __init__(
        self,
        model: Model,
        settings: dict,
        activations: ActivationSpec | None,
        masks: list[np.ndarray | None],
    ) -> None:
        self.model = model
        self.settings = settings
        self.act = activations
        self.masks = masks
        self._layers: dict[tuple[int, str], LayerQuant] = {}
        memo = model._memo
        if "float" not in memo:
            for key, x in (("float", model.x_test), ("float_calib", model.x_calib)):
                arrays = float_inputs(model.layers, x)
                for a in arrays:
                    a.flags.writeable = False
                memo[key] = arrays
        self.float_test = memo["float"]
        self.float_calib = memo["float_calib"]

    def layer(self, i: int, settings: dict | None) -> LayerQuant:
        key = (i, repr(sorted(settings.items())) if settings is not None else "float")
        if key not in self._layers:
            layer = self.model.layers[i]
            if settings is not None and settings.get("rounding") == "stochastic":
                seed = settings.get("seed")
                settings = {**settings, "seed": None if seed is None else int(seed) + i}
            self._layers[key] = quantize_layer(layer.weight, settings, self.masks[i])
        return self._layers[key]

    def static_range(self, i: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        act = self.act
        key = ("static", i, act)
        memo = self.model._memo
        if key not in memo:
            rows = self.float_calib[i].reshape(1, -1)
            lo, hi = act.ranges(rows)
            qp = qparams(lo, hi, act.bits, symmetric=act.symmetric)
            memo[key] = (qp.scale.reshape(()), qp.zero_point.reshape(()), qp.qmin, qp.qmax)
        return memo[key]

    def input_quantizer(self, i: int):
        act = self.act
        if act.mode == "static":
            scale, zp, qmin, qmax = self.static_range(i)

            def static(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return _fake_quant(a, scale, zp, qmin, qmax), scale

            return static

        def dynamic(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            n = a.shape[0]
            flat = a.reshape(n, -1)
            b = act.batch
            full = n // b * b
            parts = [flat[:full].reshape(n // b, -1)] if full else []
            if full < n:
                parts.append(flat[full:].reshape(1, -1))
            lo, hi = zip(*(act.ranges(p) for p in parts), strict=True)
            qp = qparams(np.concatenate(lo), np.concatenate(hi), act.bits, symmetric=act.symmetric)
            sizes = [b] * (full // b) + ([n - full] if full < n else [])
            scale = np.repeat(qp.scale, sizes)
            zp = np.repeat(qp.zero_point, sizes)
            shape = (n,) + (1,) * (a.ndim - 1)
            return _fake_quant(a, scale.reshape(shape), zp.reshape(shape), qp.qmin, qp.qmax), scale

        return dynamic

    def plan(self, i: int, settings: dict | None) -> LayerPlan:
        layer = self.model.layers[i]
        if settings is None and self.masks[i] is None:
            return LayerPlan(layer.weight, layer.bias)
        q = self.layer(i, settings)
        if self.act is None or settings is None:
            return LayerPlan(q.weight, layer.bias)
        quantize_bias = None
        if q.out_scales is not None:

            def quantize_bias(s_x: np.ndarray, b=layer.bias, s_w=q.out_scales) -> np.ndarray:
                return bias_int32(b, s_w, s_x)

        return LayerPlan(q.weight, layer.bias, self.input_quantizer(i), quantize_bias)

    def float_plan(self, i: int) -> LayerPlan:
        layer = self.model.layers[i]
        return LayerPlan(layer.weight, layer.bias)

    def logits(self, layer_settings: list[dict | None], only: int | None = None) -> np.ndarray:
        """The test logits; with ``only``, every other layer stays float (and unpruned)."""
        n = len(self.model.layers)
        if only is not None:
            plans = [self.float_plan(j) for j in range(n)]
            plans[only] = self.plan(only, layer_settings[only])
            return run(self.model.layers, plans, self.float_test[only], start=only)
        plans = [self.plan(j, layer_settings[j]) for j in range(n)]
        start = 0
        while start < n and plans[start].weight is self.model.layers[start].weight:
            start += 1  # leading float layers: reuse their float outputs
        if start == n:
            return self.float_test[-1]
        return run(self.model.layers, plans, self.float_test[start], start=start)

    def trace(
        self,
        layer_settings: list[dict | None],
        start: int = 0,
        before: list[np.ndarray] | None = None,
    ) -> list[np.ndarray]:
        """Every layer's test input, then the logits: ``[input of layer 0, …, logits]``.

        With ``start`` and ``before``, the trace of settings equal to these up to layer
        ``start`` (excluded), the layers before ``start`` are not run again: their inputs
        are ``before``'s (the same arrays a full run computes, so the same logits).
        """
        out = list(before[:start]) if start else []
        x = before[start] if start else self.float_test[0]
        plans = [None] * start + [
            self.plan(j, layer_settings[j]) for j in range(start, len(layer_settings))
        ]
        run(self.model.layers, plans, x, start=start, trace=out)
        return out

    def accuracy(self, layer_settings: list[dict | None], only: int | None = None) -> float:
        pred = self.logits(layer_settings, only).argmax(axis=1)
        return float(np.mean(pred == self.model.y_test))

    def size_bits(self, layer_settings: list[dict | None]) -> float:
        weights = sum(self.layer(i, s).total_bits for i, s in enumerate(layer_settings))
        return weights + self.model.n_biases * BIAS_BITS


def _session(
    model: Model | str,
    bits: int | None,
    *,
    per_layer: Mapping[str, object] | None,
    activations: object,
    prune: float,
    prune_scope: str,
    **settings: object,
) -> tuple[_Session, list[dict | None]]:
    model = _model(model)
    base = {"bits": bits, **settings}
    if base.get("format", "int") == "int":
        base["bits"] = check_bits(8 if bits is None else bits)
    else:
        get_format(str(base["format"]))
    if per_layer is not None and not isinstance(per_layer, Mapping):
        raise InputError('per_layer must be a dict such as {"fc1": 4}, or None.')
    per_layer = dict(per_layer or {})
    for name in per_layer:
        model.layer(name)  # an unknown layer name is an InputError
    layer_settings = [
        _layer_settings(base, per_layer[layer.name], layer.name)
        if layer.name in per_layer
        else dict(base)
        for layer in model.layers
    ]
    masks = prune_masks(model, _fraction(prune, "prune"), prune_scope)
    return _Session(model, base, ActivationSpec.of(activations), masks), layer_settings


def evaluate(
    model: Model | str,
    bits: int | None = None,
    *,
    activations: Mapping[str, object] | None = None,
    prune: float = 0.0,
    prune_scope: str = "layer",
    per_layer: Mapping[str, object] | None = None,
    layer_accuracy: bool = True,
    integer: bool = False,
    **settings: object,
) -> Evaluation:
    """The test accuracy of ``model`` with every weight tensor quantized by ``settings``.

    Parameters
    ----------
    model : Model or str
        :func:`quantviz.load_model`'s result, or a name from :func:`quantviz.models`.
    bits, **settings :
        :func:`quantviz.quantize`'s keywords (``bits`` 1–16, default 8; ``symmetric``,
        ``narrow_range``, ``strategy`` and its parameters, ``granularity``, ``axis``,
        ``group_size``, ``rounding``, ``seed``, ``format``), applied to each weight
        tensor as a matrix ``(out, in·k·k)``. With ``rounding="stochastic"``, layer ``i``
        uses ``seed + i``.
    activations : dict, optional
        Quantize each layer's input too: ``bits`` (default 8), ``mode`` (``"static"``:
        ranges calibrated once on the calibration split; ``"dynamic"``: ranges of each
        batch at run time), ``strategy`` (default ``"minmax"``; any of
        ``qv.strategies()`` but manual, with its parameters such as ``percentile``),
        ``symmetric`` (default False: affine, codes 0 … 2^b − 1, as PyTorch's quint8),
        ``batch`` (dynamic only: examples sharing one range, default 1).
    prune : float
        Fraction of weights removed by magnitude, 0 ≤ prune < 1, before quantizing.
    prune_scope : str
        ``"layer"`` (each layer loses ``prune`` of its weights) or ``"global"``.
    per_layer : dict, optional
        Per-layer overrides by layer name: bits (int; 32 = float32), a format name, a
        dict of settings, or None (float32).
    layer_accuracy : bool
        False skips the per-layer accuracies (the table's ``accuracy``/``drop`` are NaN),
        for a quicker answer.
    integer : bool
        True runs the network as an integer engine does instead of simulating it
        (:mod:`quantviz.models.integer`: int8 codes, int32 accumulators and biases,
        requantization as ONNX Runtime's CPU kernels, ReLU and pooling on codes);
        activations default to 8-bit static ranges and must be static. The per-layer
        accuracy then has only that layer in integers.

    A transformer (``"minilm-l6"``) takes its own settings too (``method``, ``smooth``,
    ``layer_cosine``, …): see :func:`quantviz.models.transformer.evaluate_transformer`,
    which returns a ``TransformerEvaluation``.

    Returns
    -------
    Evaluation
    """
    if _is_transformer(model):  # MiniLM: quantviz.models.transformer.evaluate
        from quantviz.models.transformer.evaluate import evaluate_transformer

        if prune or integer:
            raise InputError(
                "Pruning and integer-only inference are offered for the digits CNN only."
            )
        return evaluate_transformer(
            model, bits, activations=activations, per_layer=per_layer, **settings
        )
    if integer:
        from quantviz.models.integer import evaluate_integer  # it builds on this module

        return evaluate_integer(
            model, bits, activations=activations, prune=prune, prune_scope=prune_scope,
            per_layer=per_layer, layer_accuracy=layer_accuracy, **settings,
        )  # fmt: skip
    session, layer_settings = _session(
        model, bits, per_layer=per_layer, activations=activations, prune=prune,
        prune_scope=prune_scope, **settings,
    )  # fmt: skip
    given = {
        "bits": session.settings.get("bits"), **settings, "activations": activations,
        "prune": prune, "prune_scope": prune_scope, "per_layer": dict(per_layer or {}),
    }  # fmt: skip

    def only(i: int) -> float:
        return session.accuracy(layer_settings, only=i)

    logits = session.logits(layer_settings)
    return evaluation(session, layer_settings, logits, only if layer_accuracy else None, given)


def evaluation(
    session: _Session,
    layer_settings: list[dict | None],
    logits: np.ndarray,
    layer_accuracy: Callable[[int], float] | None,
    given: dict,
) -> Evaluation:
    """An :class:`Evaluation` from the test logits; ``layer_accuracy(i)`` is the accuracy with
    only layer ``i`` quantized (None: NaN in the table)."""
    model = session.model
    pred = logits.argmax(axis=1)
    float_pred = session.float_test[-1].argmax(axis=1)
    float_acc = float(np.mean(float_pred == model.y_test))
    rows = []
    for i, layer in enumerate(model.layers):
        q = session.layer(i, layer_settings[i])
        fig = error_figures(layer.weight, q.weight)
        acc = layer_accuracy(i) if layer_accuracy is not None else float("nan")
        rows.append({
            "layer": layer.name, "shape": tuple(layer.weight.shape), "weights": layer.n_weights,
            "setting": q.setting, "bits_per_weight": q.total_bits / layer.n_weights,
            "sparsity": 1 - q.kept / layer.n_weights, "mse": fig["mse"],
            "sqnr_db": fig["sqnr_db"], "accuracy": acc, "drop": float_acc - acc, "note": q.note,
        })  # fmt: skip
    total = session.size_bits(layer_settings)
    n_params = model.n_weights + model.n_biases
    return Evaluation(
        accuracy=float(np.mean(pred == model.y_test)),
        float_accuracy=float_acc,
        bits_per_weight=total / n_params,
        size_bytes=total / 8,
        float32_bytes=n_params * 4.0,
        per_layer=pd.DataFrame(rows, columns=list(PER_LAYER_COLUMNS)),
        predictions=pred,
        float_predictions=float_pred,
        logits=logits,
        settings=given,
    )


def layer_inputs(
    model: Model | str, bits: int | None = None, **settings: object
) -> list[np.ndarray]:
    """What each layer of the quantized network receives, for the whole test set.

    Takes :func:`evaluate`'s settings. Returns ``[input of layer 0, input of layer 1, …,
    logits]``: each layer's input as it arrives, *before* that layer quantizes it (with
    ``activations`` set, the layer then fake-quantizes it). Layer 0's input is the
    test images; the rest are float32 ``(n, c, h, w)`` or ``(n, features)``.
    """
    keys = ("per_layer", "activations", "prune", "prune_scope")
    opts = {k: settings.pop(k) for k in keys if k in settings}
    session, layer_settings = _session(
        model, bits, per_layer=opts.get("per_layer"), activations=opts.get("activations"),
        prune=opts.get("prune", 0.0), prune_scope=opts.get("prune_scope", "layer"), **settings,
    )  # fmt: skip
    plans = [session.plan(i, s) for i, s in enumerate(layer_settings)]
    trace: list[np.ndarray] = []
    run(session.model.layers, plans, session.model.x_test, trace=trace)
    return trace


@dataclass(frozen=True)
class Spread:
    """Accuracy across seeds of stochastic rounding: how stable a quantized model is.

    ``seeds`` and ``accuracies`` pair up; ``mean``, ``std`` (population), ``low`` and
    ``high`` summarize them; ``float_accuracy`` is the float model's.
    """

    seeds: tuple[int, ...]
    accuracies: np.ndarray
    float_accuracy: float

    @property
    def mean(self) -> float:
        return float(np.mean(self.accuracies))

    @property
    def std(self) -> float:
        return float(np.std(self.accuracies))

    @property
    def low(self) -> float:
        return float(np.min(self.accuracies))

    @property
    def high(self) -> float:
        return float(np.max(self.accuracies))

    def table(self) -> pd.DataFrame:
        """One row per seed: ``seed``, ``accuracy``."""
        return pd.DataFrame({"seed": list(self.seeds), "accuracy": self.accuracies})


def accuracy_standard_error(accuracy: float, n: int) -> float:
    """The binomial standard error of an accuracy measured on ``n`` examples,
    ``sqrt(p · (1 − p) / n)`` (a fraction, as ``accuracy``).

    A test set is a sample: on another ``n`` examples like these, the same network would
    score about this much higher or lower. Two settings whose accuracies differ by less
    than this cannot be told apart on this test set (the digits CNN at 98.15 % on its 540
    digits: ±0.58 points, while one digit is 1/540 = 0.19 points).

    >>> round(100 * accuracy_standard_error(0.9815, 540), 2)
    0.58
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InputError(f"n must be a whole number of examples ≥ 1, not {n!r}.")
    p = float(accuracy)
    if not 0.0 <= p <= 1.0:
        raise InputError(f"accuracy must be a fraction from 0 to 1, not {accuracy!r}.")
    return math.sqrt(p * (1.0 - p) / int(n))


def accuracy_spread(
    model: Model | str, seeds: Iterable[int] = range(10), **settings: object
) -> Spread:
    """Evaluate with stochastic rounding once per seed: the spread of the accuracy.

    ``settings`` are :func:`evaluate`'s (``rounding`` is ``"stochastic"``; ``seed`` is
    set per run). With rounding to nearest every run would give the same number.
    """
    if settings.get("rounding", "stochastic") != "stochastic":
        raise InputError('The spread across seeds needs rounding="stochastic".')
    if "seed" in settings:
        raise InputError("Give the seeds as seeds=[...]; seed is set for each run.")
    seeds = tuple(seeds)
    if not seeds or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) for s in seeds
    ):
        raise InputError("seeds must be one or more whole numbers.")
    settings = {**settings, "rounding": "stochastic"}
    runs = [evaluate(model, seed=int(s), layer_accuracy=False, **settings) for s in seeds]
    return Spread(
        seeds=tuple(int(s) for s in seeds),
        accuracies=np.array([r.accuracy for r in runs]),
        float_accuracy=runs[0].float_accuracy,
    )
