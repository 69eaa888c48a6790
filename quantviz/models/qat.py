"""Training for quantization (QAT): the straight-through estimator, a short fine-tune in numpy,
and the shipped PTQ-vs-QAT results.

>>> import quantviz as qv
>>> from quantviz.models import qat
>>> g = qat.ste_gradients(bits=2)
>>> float(g.true_gradient.max()), float(g.ste_gradient.max())
(0.0, 1.0)

Fake quantization ``x̂ = s·(clamp(round(x/s) + z, qmin, qmax) − z)`` is a staircase: flat
between the steps, so its derivative is 0 almost everywhere (and undefined on the jumps).
Back-propagating through it would stop every gradient. The straight-through estimator
(Bengio et al., 2013; PyTorch's ``FakeQuantize``) takes ``∂x̂/∂x = 1`` inside the grid's
range ``[(qmin − z)·s, (qmax − z)·s]`` and 0 outside (where the clamp really is flat).

* :func:`ste_gradients`: the staircase, its true gradient and the STE's, as arrays for a chart.
* :func:`fine_tune`: a short QAT fine-tune of the digits CNN in numpy (hand-written backward
  pass for its conv, ReLU, max-pool and dense layers; weights fake-quantized on the min-max
  grid at every step, STE backward; Adam). A few seconds; ``on_epoch`` reports progress.
* :func:`qat_results` and :func:`qat_model`: what ``scripts/train_qat.py`` (PyTorch, STE and
  LSQ, 30 epochs) recorded and the QAT models it shipped in ``assets/models``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from quantviz.errors import InputError
from quantviz.io import load_weights
from quantviz.models.forward import float_inputs
from quantviz.models.zoo import MODELS_DIR, Model, load_model
from quantviz.quantizer import F32, check_bits, dequantize, qparams, quantize_codes

QAT_DIR = MODELS_DIR / "qat"
RESULTS_FILE = "digits-cnn-qat.json"
TRAIN_FILE = "digits-train.npz"
QAT_METHODS = ("ste", "lsq")


# ------------------------------------------------------------ the gradient --


@dataclass(frozen=True)
class SteGradients:
    """The staircase ``x̂(x)`` and two gradients of it, on the points ``x``.

    ``true_gradient`` is 0 everywhere it exists (``jumps`` lists where it does not: the
    rounding thresholds, half a step between levels). ``ste_gradient`` is 1 inside
    ``[low, high]`` (the grid's end levels) and 0 outside. ``lsq_step_gradient`` is LSQ's
    ``∂x̂/∂s`` (Esser et al., 2020; symmetric grids): ``round(x/s) − x/s`` inside, ``qmin`` or
    ``qmax`` outside.
    """

    x: np.ndarray
    quantized: np.ndarray
    true_gradient: np.ndarray
    ste_gradient: np.ndarray
    lsq_step_gradient: np.ndarray
    jumps: np.ndarray
    scale: float
    zero_point: int
    low: float
    high: float


def ste_gradients(
    bits: int = 2,
    low: float = -1.0,
    high: float = 1.0,
    symmetric: bool = False,
    points: int = 801,
    margin: float = 0.5,
) -> SteGradients:
    """The staircase of the grid for ``[low, high]`` at ``bits`` and its gradients, on
    ``points`` values from ``low − margin·(high − low)`` to ``high + margin·(high − low)``."""
    bits = check_bits(bits)
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise InputError(f"low must be below high (two finite numbers); got {low} and {high}.")
    if not 2 <= int(points) <= 100_000:
        raise InputError(f"points must be from 2 to 100,000, not {points}.")
    qp = qparams(np.array(low, F32), np.array(high, F32), bits, symmetric=symmetric)
    s, z = qp.scale.reshape(()), qp.zero_point.reshape(())
    width = high - low
    x = np.linspace(low - margin * width, high + margin * width, int(points)).astype(F32)
    codes, _ = quantize_codes(x, s, z, qp.qmin, qp.qmax)
    grid_low, grid_high = float((qp.qmin - z) * s), float((qp.qmax - z) * s)
    inside = (x >= grid_low) & (x <= grid_high)
    v = x / s
    lsq = np.where(inside, np.rint(v) - v, np.where(x < grid_low, qp.qmin - z, qp.qmax - z))
    jumps = ((np.arange(qp.qmin, qp.qmax) - z + 0.5) * s).astype(F32)
    return SteGradients(
        x=x,
        quantized=dequantize(codes, s, z),
        true_gradient=np.zeros_like(x),
        ste_gradient=inside.astype(F32),
        lsq_step_gradient=lsq.astype(F32),
        jumps=jumps,
        scale=float(s),
        zero_point=int(z),
        low=grid_low,
        high=grid_high,
    )


# ---------------------------------------------------------- shipped results --


def qat_results() -> pd.DataFrame:
    """PTQ vs QAT test accuracy recorded by ``scripts/train_qat.py``: one row per bit width
    and granularity, columns ``bits``, ``granularity``, ``ptq_minmax``, ``ptq_mse``,
    ``qat_ste``, ``qat_lsq`` (fractions of the 540 test digits; weights quantized,
    activations float32). ``attrs`` holds the rest of the record (training, check run)."""
    info = _results()
    table = pd.DataFrame(info["rows"])
    table.attrs.update({k: v for k, v in info.items() if k != "rows"})
    return table


@cache
def _results() -> dict:
    path = QAT_DIR / RESULTS_FILE
    if not path.exists():  # pragma: no cover - a broken install
        raise InputError("The QAT results are not installed (assets/models/qat/).")
    return json.loads(path.read_text(encoding="utf-8"))


def deployed_model(tensors: Mapping[str, np.ndarray], base: str = "digits-cnn") -> Model:
    """A shipped model with weights ``(codes − zero_point) · scale`` (one scale and zero point
    per output channel) and the given biases: ``tensors`` has ``<layer>.codes``, ``.scale``,
    ``.zero_point``, ``.bias`` for every layer. Same data as ``base``."""
    m = load_model(base)
    layers = []
    for layer in m.layers:
        codes = np.asarray(tensors[f"{layer.name}.codes"]).astype(np.int64)
        shape = (-1,) + (1,) * (codes.ndim - 1)
        scale = np.asarray(tensors[f"{layer.name}.scale"], dtype=F32).reshape(shape)
        zp = np.asarray(tensors[f"{layer.name}.zero_point"]).astype(np.int64).reshape(shape)
        weight = dequantize(codes, scale, zp).astype(F32)
        bias = np.asarray(tensors[f"{layer.name}.bias"], dtype=F32)
        weight.flags.writeable = bias.flags.writeable = False
        layers.append(dataclasses.replace(layer, weight=weight, bias=bias))
    return dataclasses.replace(m, layers=tuple(layers), _memo={})


def qat_model(method: str = "ste", bits: int = 2, granularity: str = "tensor") -> Model:
    """A QAT model shipped by ``scripts/train_qat.py`` (weights as deployed: its codes and
    scales, dequantized), to run with :func:`accuracy` or :func:`quantviz.evaluate`."""
    if method not in QAT_METHODS:
        raise InputError(f'method must be "ste" or "lsq", not {method!r}.')
    prefix = f"{method}-{bits}-{granularity}."
    tensors = _qat_tensors()
    picked = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    if not picked:
        raise InputError(
            f"No QAT model at {bits} bits per {granularity}: the shipped ones are 2, 3 and 4 "
            'bits, per "tensor" and per "channel".'
        )
    return deployed_model(picked)


@cache
def _qat_tensors() -> dict[str, np.ndarray]:
    return load_weights(QAT_DIR / _results()["weights"])


def accuracy(model: Model, x: np.ndarray | None = None, y: np.ndarray | None = None) -> float:
    """The fraction of the test set (or ``x``, ``y``) a model's weights classify right,
    computed in float32 with the weights as they are."""
    x = model.x_test if x is None else x
    y = model.y_test if y is None else y
    return float(np.mean(float_inputs(model.layers, x)[-1].argmax(axis=1) == y))


# ------------------------------------------------------- fine-tune in numpy --


@dataclass(frozen=True)
class Epoch:
    """One epoch of :func:`fine_tune`: its mean training loss (cross-entropy, nats) and the
    quantized network's test accuracy after it."""

    epoch: int
    loss: float
    accuracy: float


@dataclass(frozen=True)
class FineTune:
    """What :func:`fine_tune` did: ``model`` holds the fine-tuned float (latent) weights;
    ``ptq_accuracy`` is the quantized accuracy before training, ``accuracy`` after (both
    weights quantized with ``settings``, as :func:`quantviz.evaluate` computes them)."""

    model: Model
    ptq_accuracy: float
    accuracy: float
    epochs: tuple[Epoch, ...]
    settings: dict


def training_data() -> tuple[np.ndarray, np.ndarray]:
    """The 1,257 training images (``(n, 1, 8, 8)`` float32, pixels / 16) and labels that
    ``scripts/train_qat.py`` ships (``assets/models/digits-train.npz``)."""
    path = MODELS_DIR / TRAIN_FILE
    if not path.exists():  # pragma: no cover - a broken install
        raise InputError("The training images are not installed (assets/models/digits-train.npz).")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x_train"], f["y_train"]
    return (x.astype(F32) / F32(16))[:, None], y.astype(np.int64)


def _fake_quant(w: np.ndarray, bits: int, per_channel: bool) -> np.ndarray:
    """The asymmetric min-max grid of :func:`quantviz.evaluate` (per tensor or per output
    channel), fake-quantized."""
    rows = w.reshape(w.shape[0], -1) if per_channel else w.reshape(1, -1)
    qp = qparams(rows.min(axis=1), rows.max(axis=1), bits, symmetric=False)
    codes, _ = quantize_codes(rows, qp.scale[:, None], qp.zero_point[:, None], qp.qmin, qp.qmax)
    return dequantize(codes, qp.scale[:, None], qp.zero_point[:, None]).reshape(w.shape)


def _im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """``(n, c, h, w)`` → ``(n·h·w, c·k·k)`` (stride 1, same size), columns ordered (c, kh, kw)."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, (k, k), axis=(2, 3))
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * k * k)


def _col2im(cols: np.ndarray, shape: tuple[int, ...], k: int, pad: int) -> np.ndarray:
    """The adjoint of :func:`_im2col`: each window's gradient added back to its pixels."""
    n, c, h, w = shape
    d = cols.reshape(n, h, w, c, k, k)
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i : i + h, j : j + w] += d[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return out[:, :, pad : pad + h, pad : pad + w]


def _pool(x: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Max-pool NHWC ``x`` by ``p``; returns the result and each window's argmax."""
    n, h, w, c = x.shape
    win = x.reshape(n, h // p, p, w // p, p, c).transpose(0, 1, 3, 5, 2, 4)
    win = win.reshape(n, h // p, w // p, c, p * p)
    idx = win.argmax(axis=-1)
    return np.take_along_axis(win, idx[..., None], axis=-1)[..., 0], idx


def _unpool(d: np.ndarray, idx: np.ndarray, p: int) -> np.ndarray:
    """The max-pool's gradient: each output's gradient to the input that was the max."""
    n, h2, w2, c = d.shape
    win = np.zeros((n, h2, w2, c, p * p), dtype=d.dtype)
    np.put_along_axis(win, idx[..., None], d[..., None], axis=-1)
    win = win.reshape(n, h2, w2, c, p, p).transpose(0, 1, 4, 2, 5, 3)
    return win.reshape(n, h2 * p, w2 * p, c)


def _loss_and_grads(
    layers: list, weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray,
    y: np.ndarray,
) -> tuple[float, list[np.ndarray], list[np.ndarray]]:  # fmt: skip
    """Cross-entropy of the batch and its gradients with respect to each (quantized) weight and
    bias; conv layers (stride 1, same padding) with ReLU and pooling, then dense layers."""
    caches = []
    a = x
    for layer, w, b in zip(layers, weights, biases, strict=True):
        if layer.kind == "conv":
            n, _, h, wd = a.shape
            k = w.shape[-1]
            cols = _im2col(a, k, layer.padding)
            z = (cols @ w.reshape(w.shape[0], -1).T + b).reshape(n, h, wd, -1)
            r = np.maximum(z, 0) if layer.relu else z
            idx = None
            if layer.pool:
                r, idx = _pool(r, int(layer.pool))
            caches.append(("conv", cols, z, idx, a.shape))
            a = np.ascontiguousarray(r.transpose(0, 3, 1, 2))
        else:
            f = a.reshape(a.shape[0], -1)
            z = f @ w.T + b
            caches.append(("dense", f, z, None, a.shape))
            a = np.maximum(z, 0) if layer.relu else z
    logits = a - a.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.mean(np.log(p[np.arange(n), y] + 1e-12)))
    d = p
    d[np.arange(n), y] -= 1
    d /= n
    gw, gb = [None] * len(layers), [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        layer, w = layers[i], weights[i]
        kind, inp, z, idx, in_shape = caches[i]
        if kind == "dense":
            if layer.relu:
                d = d * (z > 0)
            gw[i], gb[i] = d.T @ inp, d.sum(axis=0)
            d = (d @ w).reshape(in_shape)
            continue
        d = d.transpose(0, 2, 3, 1)  # back to NHWC
        if layer.pool:
            d = _unpool(d, idx, int(layer.pool))
        if layer.relu:
            d = d * (z > 0)
        d2 = d.reshape(-1, d.shape[-1])
        gw[i] = (d2.T @ inp).reshape(w.shape)
        gb[i] = d2.sum(axis=0)
        if i:
            d = _col2im(d2 @ w.reshape(w.shape[0], -1), in_shape, w.shape[-1], layer.padding)
    return loss, gw, gb


def fine_tune(
    model: Model | str = "digits-cnn",
    bits: int = 2,
    granularity: str = "tensor",
    *,
    epochs: int = 5,
    lr: float = 1e-3,
    batch: int = 64,
    seed: int = 0,
    on_epoch: Callable[[Epoch], None] | None = None,
) -> FineTune:
    """Fine-tune a shipped model for ``bits``-bit weights (asymmetric min-max grid per tensor
    or per output channel, recomputed at every step), in numpy: fake quantization forward,
    straight-through estimator backward, Adam (``lr``, betas 0.9/0.999) with a cosine schedule,
    batches of ``batch`` shuffled by ``seed``. About a second per epoch on one core.

    Returns the fine-tuned model (float latent weights) and the test accuracy of its quantized
    weights before and after, as ``qv.evaluate(model, bits, granularity=...)`` reports it.
    """
    from quantviz.models.evaluate import evaluate  # evaluate is built on this package

    base = model if isinstance(model, Model) else load_model(model)
    bits = check_bits(bits)
    if granularity not in ("tensor", "channel"):
        raise InputError(f'granularity must be "tensor" or "channel", not {granularity!r}.')
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 200:
        raise InputError(f"epochs must be a whole number from 1 to 200, not {epochs!r}.")
    if not (isinstance(lr, int | float) and 0 < lr <= 1):
        raise InputError(f"lr must be a learning rate above 0 and at most 1, not {lr!r}.")
    settings = {"bits": bits, "granularity": granularity, "strategy": "minmax"}

    def quantized_accuracy(m: Model) -> float:
        return evaluate(m, layer_accuracy=False, **settings).accuracy

    x, y = training_data()
    layers = list(base.layers)
    params = [layer.weight.astype(np.float64) for layer in layers]
    params += [layer.bias.astype(np.float64) for layer in layers]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    rng = np.random.default_rng(seed)
    per_channel = granularity == "channel"
    nl = len(layers)
    steps_per_epoch = math.ceil(len(y) / batch)
    t = 0
    history = []
    ptq = quantized_accuracy(base)
    current = base
    for e in range(epochs):
        rate = lr * 0.5 * (1 + math.cos(math.pi * e / epochs))
        losses = []
        for idx in np.array_split(rng.permutation(len(y)), steps_per_epoch):
            wq = [_fake_quant(p.astype(F32), bits, per_channel).astype(np.float64)
                  for p in params[:nl]]  # fmt: skip
            loss, gw, gb = _loss_and_grads(layers, wq, params[nl:], x[idx].astype(np.float64),
                                           y[idx])  # fmt: skip
            losses.append(loss)
            t += 1
            for p, g, (m1, m2) in zip(params, gw + gb, moments, strict=True):
                m1 *= 0.9
                m1 += 0.1 * g  # the STE: the quantized weight's gradient, unchanged
                m2 *= 0.999
                m2 += 0.001 * g * g
                p -= rate * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
        current = _with_weights(base, params[:nl], params[nl:])
        ep = Epoch(e + 1, float(np.mean(losses)), quantized_accuracy(current))
        history.append(ep)
        if on_epoch is not None:
            on_epoch(ep)
    return FineTune(current, ptq, history[-1].accuracy, tuple(history), settings)


def _with_weights(base: Model, weights: list[np.ndarray], biases: list[np.ndarray]) -> Model:
    layers = []
    for layer, w, b in zip(base.layers, weights, biases, strict=True):
        w32, b32 = w.astype(F32), b.astype(F32)
        w32.flags.writeable = b32.flags.writeable = False
        layers.append(dataclasses.replace(layer, weight=w32, bias=b32))
    return dataclasses.replace(base, layers=tuple(layers), _memo={})


__all__ = [
    "QAT_METHODS",
    "Epoch",
    "FineTune",
    "SteGradients",
    "accuracy",
    "deployed_model",
    "fine_tune",
    "qat_model",
    "qat_results",
    "ste_gradients",
    "training_data",
]
