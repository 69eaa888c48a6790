"""The forward pass in numpy: convolution as one matrix product (im2col), ReLU, max-pooling.

Everything is float32, as PyTorch's CPU kernels compute; only the order of the sums can
differ from theirs (results agree to about 1e-6 relative). Matrix products run in slices
that BLAS computes on one thread (:func:`matmul`). A layer computes
``y = pool(relu(W ⊛ x + b))``; :func:`run` chains the layers and, between them, lets a
quantizer replace each layer's input and bias (:class:`LayerPlan`), which is how
:func:`quantviz.evaluate` simulates integer inference ("fake quantization").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from quantviz.models.zoo import Layer

F32 = np.float32
SINGLE_THREAD_MACS = 65_536 * 4
"""OpenBLAS multiplies on one thread when ``m·n·k`` is at most this (its ``SMP_THRESHOLD_MIN``
× ``GEMM_MULTITHREAD_THRESHOLD``). :func:`matmul` keeps each product below it: on this
project's 2-core machine, shared with the page's server and the browser, two BLAS threads
made the conv layer's product 4–8× slower under load (8 ms against 0.9 ms, see
benchmarks/bench_evaluate.py), and on one thread it is as fast as the whole product."""


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` (float32), in slices of rows small enough for BLAS to use one thread."""
    m, k = a.shape
    n = b.shape[1]
    rows = max(1, SINGLE_THREAD_MACS // max(1, k * n))
    if m <= rows:
        return np.matmul(a, b)
    out = np.empty((m, n), dtype=np.result_type(a, b))
    for i in range(0, m, rows):
        np.matmul(a[i : i + rows], b, out=out[i : i + rows])
    return out


def _conv_nhwc(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, padding: int) -> np.ndarray:
    """:func:`conv2d` before its final transpose: ``(n, h', w', out)``."""
    n, c, _, _ = x.shape
    out, _, k, _ = weight.shape
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (n, c, h', w', k, k)
    h, w = win.shape[2], win.shape[3]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * k * k)
    y = matmul(cols, weight.reshape(out, -1).T).reshape(n, h, w, out)
    y += bias[:, None, None, :] if bias.ndim == 2 else bias
    return y


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, padding: int) -> np.ndarray:
    """2-D convolution, stride 1, as ``torch.nn.functional.conv2d`` (cross-correlation).

    ``x`` is ``(n, c, h, w)``, ``weight`` ``(out, c, k, k)``; ``bias`` is ``(out,)`` or
    ``(n, out)`` (one bias per example, when its quantization scale follows a dynamic
    input scale). Each output pixel is the dot product of its ``c·k·k`` input window with
    a filter: the windows are laid out as the rows of one matrix (im2col), so the whole
    layer is one matrix product ``(n·h'·w', c·k·k) @ (c·k·k, out)``.
    """
    y = _conv_nhwc(x, weight, bias, padding)
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2))


def dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ W.T + b`` (``torch.nn.functional.linear``); ``x`` is flattened to ``(n, in)``."""
    x = x.reshape(x.shape[0], -1)
    return np.asarray(matmul(x, weight.T) + bias, dtype=F32)


def max_pool(x: np.ndarray, k: int) -> np.ndarray:
    """Max over non-overlapping ``k × k`` windows (stride ``k``; a ragged edge is dropped)."""
    return np.ascontiguousarray(_pool_nhwc(x.transpose(0, 2, 3, 1), k).transpose(0, 3, 1, 2))


def _pool_nhwc(x: np.ndarray, k: int) -> np.ndarray:
    h2, w2 = x.shape[1] // k, x.shape[2] // k
    out = x[:, 0 : h2 * k : k, 0 : w2 * k : k].copy()
    for i in range(k):  # the window's other k² − 1 positions, as strided views
        for j in range(k):
            if i or j:
                np.maximum(out, x[:, i : h2 * k : k, j : w2 * k : k], out=out)
    return out


def apply_layer(layer: Layer, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """One layer with the given (possibly quantized) weight and bias: op, ReLU, pool.

    A conv layer is computed channels-last (im2col's natural layout), ReLU'd and pooled
    there, and turned back to ``(n, c, h, w)`` once, at its smaller pooled size.
    """
    if layer.kind == "conv":
        y = _conv_nhwc(x, weight, bias, layer.padding)
        if layer.relu:
            np.maximum(y, 0, out=y)
        if layer.pool:
            y = _pool_nhwc(y, int(layer.pool))
        return np.ascontiguousarray(y.transpose(0, 3, 1, 2))
    y = dense(x, weight, bias)
    if layer.relu:
        np.maximum(y, 0, out=y)
    return y


InputQuantizer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``a → (â, s_x)``: the fake-quantized input and its scale, one per example (shape ``(n,)``)."""

BiasQuantizer = Callable[[np.ndarray], np.ndarray]
"""``s_x → b̂``: the bias as the integer engine adds it, given the input scale per example."""


@dataclass(frozen=True)
class LayerPlan:
    """What one layer computes with: its weight and bias, and how its input is quantized.

    ``quantize_input`` is None for a float input; otherwise it returns the quantized
    input and its scale ``s_x`` per example, and ``quantize_bias`` (if given) turns that
    scale into the bias the engine adds (an int32 bias on the scale ``s_w · s_x``).
    """

    weight: np.ndarray
    bias: np.ndarray
    quantize_input: InputQuantizer | None = None
    quantize_bias: BiasQuantizer | None = None


def run(
    layers: tuple[Layer, ...],
    plans: list[LayerPlan],
    x: np.ndarray,
    start: int = 0,
    trace: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Run ``x`` through ``layers[start:]`` with ``plans[start:]``; returns the last output
    (the logits).

    ``x`` is the input of layer ``start``: starting past the first layer reuses float
    activations computed once, when the earlier layers stay float. A ``trace`` list
    receives each layer's input as it arrives (before its quantization), then the logits.
    """
    for layer, plan in zip(layers[start:], plans[start:], strict=True):
        if trace is not None:
            trace.append(x)
        bias = plan.bias
        if plan.quantize_input is not None:
            x, s_x = plan.quantize_input(x)
            if plan.quantize_bias is not None:
                bias = plan.quantize_bias(s_x)
        x = apply_layer(layer, x, plan.weight, bias)
    if trace is not None:
        trace.append(x)
    return x


def float_inputs(layers: tuple[Layer, ...], x: np.ndarray) -> list[np.ndarray]:
    """Every layer's float input (``[x, layer 0's output, …]``) and, last, the logits."""
    out = [x]
    for layer in layers:
        x = apply_layer(layer, x, layer.weight, layer.bias)
        out.append(x)
    return out
