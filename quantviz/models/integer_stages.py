"""One layer of the integer pipeline for one input, stage by stage, beside the float network.

>>> import quantviz as qv
>>> from quantviz.models.integer_stages import layer_stages
>>> im = qv.integer_model("digits-cnn", bits=8, granularity="channel", symmetric=True)
>>> [s.key for s in layer_stages(im, "conv2", example=0).stages]  # doctest: +NORMALIZE_WHITESPACE
['input', 'weights', 'accumulator', 'times_m0', 'shifted', 'rounded', 'zero_point', 'clamped',
 'relu', 'pooled']

What a chip computes for a layer (Jacob et al., 2018; gemmlowp, TFLite), each stage an array
of whole numbers with the range its type holds, and the real value it stands for
(``(values − zero_point) · scale``) next to what the float network computes there:

``input`` (8-bit codes) and ``weights`` (8-bit codes) → ``accumulator`` (int32:
``Σ (q_w − z_w)(q_x − z_x) + q_b``) → ``times_m0`` (int64: ``acc · M0``) → ``shifted``
(``acc · M0 / 2^n``, not yet rounded) → ``rounded`` (gemmlowp's two roundings) →
``zero_point`` (``+ z_y``) → ``clamped`` (to ``[qmin, qmax]``) → ``relu`` (``max(q, z_y)``)
→ ``pooled`` (the next layer's input codes). The last layer ends in ``logits`` instead.

:func:`zero_point_terms` expands the accumulator when zero points are not 0 and counts what
each term costs at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.models.forward import _conv_nhwc, _pool_nhwc, float_inputs
from quantviz.models.integer import (
    IntegerLayer,
    IntegerModel,
    requantize_fixed,
    requantize_float,
)
from quantviz.quantizer import F32

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Stage:
    """One stage of a layer's integer pipeline for one example.

    ``values``: the integers (or, for ``shifted``, the exact quotient before rounding);
    ``low``/``high``: their smallest and largest; ``limits``: what the stage's type holds
    (``(qmin, qmax)`` for codes, int32's or int64's range); ``scale`` and ``zero_point``: the
    real value is ``(values − zero_point) · scale`` (``scale`` per output channel, shaped
    to broadcast); ``real``: that value; ``reference``: what the float network computes
    there (None where it has no counterpart).
    """

    key: str
    values: np.ndarray
    low: float
    high: float
    limits: tuple[int, int]
    scale: np.ndarray
    zero_point: np.ndarray | int
    reference: np.ndarray | None

    @property
    def real(self) -> np.ndarray:
        return ((self.values - self.zero_point) * self.scale).astype(np.float64)

    @property
    def error_steps(self) -> np.ndarray | None:
        """How far the stage is from the float network, in the stage's own steps:
        ``(real − reference) / scale`` (None where the float network has no counterpart).
        After requantization one step is one code of the next layer's grid."""
        if self.reference is None:
            return None
        return (self.real - self.reference) / np.asarray(self.scale, dtype=np.float64)

    @property
    def bits_used(self) -> int:
        """The bits a whole-number type needs for ``low … high`` (see :func:`integer_bits`)."""
        return integer_bits(self.low, self.high)

    @property
    def type_bits(self) -> int:
        """The bits of the stage's type (``limits``): 8 for codes, 32 or 64 for int32/int64."""
        return integer_bits(*self.limits)


def integer_bits(low: float, high: float) -> int:
    """The fewest bits of a whole-number type that holds every whole number from ``low`` to
    ``high`` (rounded outwards): unsigned when ``low ≥ 0``, else two's complement with a
    sign bit. E.g. ``0 … 255`` → 8, ``−128 … 127`` → 8, ``−129 … 0`` → 9, ``0 … 0`` → 1."""
    lo, hi = math.floor(low), math.ceil(high)
    if lo >= 0:
        return max(int(hi).bit_length(), 1)
    return 1 + max(int(-lo - 1).bit_length(), max(int(hi), 0).bit_length())


@dataclass(frozen=True)
class LayerStages:
    """:func:`layer_stages`' answer: the stages in order, the multipliers of each output
    channel (``m``: exact, ``m0`` and ``n``: ``M ≈ M0 · 2^−n``), and how many of the layer's
    output codes the fixed-point path puts one away from ONNX Runtime's float path
    (``fixed_vs_float``, out of ``outputs``)."""

    layer: str
    example: int
    stages: tuple[Stage, ...]
    m: np.ndarray | None
    m0: np.ndarray | None
    n: np.ndarray | None
    fixed_vs_float: int
    outputs: int

    def stage(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise InputError(f"No stage {key!r}; the stages are {[s.key for s in self.stages]}.")


def _stage(key, values, limits, scale, zero_point, reference) -> Stage:
    v = np.asarray(values)
    return Stage(key, v, float(v.min()), float(v.max()), limits, scale, zero_point, reference)


def _layer_index(im: IntegerModel, layer: str | int) -> int:
    names = [lay.name for lay in im.layers]
    if isinstance(layer, int) and not isinstance(layer, bool) and 0 <= layer < len(names):
        return layer
    if layer in names:
        return names.index(layer)
    raise InputError(f"layer must be one of {', '.join(names)}; not {layer!r}.")


def _float_preactivation(lay: IntegerLayer, x: np.ndarray) -> np.ndarray:
    """The float network's ``W ⊛ x + b`` (before ReLU and pooling), the accumulator's layout."""
    layer = lay.layer
    if layer.kind == "conv":
        return _conv_nhwc(x, layer.weight, layer.bias, layer.padding).transpose(0, 3, 1, 2)
    return x.reshape(x.shape[0], -1) @ layer.weight.T + layer.bias


def layer_stages(im: IntegerModel, layer: str | int, example: int = 0) -> LayerStages:
    """Layer ``layer`` of ``im`` for test example ``example``, stage by stage (see the module).

    The input codes are what the integer network computed up to this layer (ONNX Runtime's
    requantization); the stages after the accumulator follow the fixed-point path.
    """
    i = _layer_index(im, layer)
    m = im.model
    if isinstance(example, bool) or not isinstance(example, int | np.integer):
        raise InputError(f"example must be a whole number, not {example!r}.")
    if not 0 <= example < len(m.y_test):
        raise InputError(f"example must be from 0 to {len(m.y_test) - 1}; got {example}.")
    x = m.x_test[example : example + 1]
    run = im.run(x)
    lay = im.layers[i]
    codes = run.codes[i]
    float_in = float_inputs(m.layers[:i], x)[-1]
    chan = (1, -1, 1, 1) if lay.layer.kind == "conv" else (1, -1)
    wshape = (-1,) + (1,) * (lay.weight_codes.ndim - 1)
    g = lay.input
    stages = [
        _stage("input", codes.astype(np.int64), (g.qmin, g.qmax), g.scale, g.zero_point,
               float_in),
        _stage("weights", lay.weight_codes.astype(np.int64), _weight_limits(lay),
               lay.weight_scale.reshape(wshape), lay.weight_zero_point.reshape(wshape),
               lay.layer.weight),
    ]  # fmt: skip
    acc = run.accumulators[i].astype(np.int64)
    pre = _float_preactivation(lay, float_in)
    acc_scale = lay.accumulator_scale.reshape(chan)
    stages.append(_stage("accumulator", acc, INT32, acc_scale, 0, pre))
    outputs = 0
    differ = 0
    if lay.output is None:
        logits = lay.logits(acc)
        stages.append(_stage("logits", logits, INT32, np.float32(1), 0,
                             pre.astype(F32)))  # fmt: skip
    else:
        y = lay.output
        m0, n = lay.m0.reshape(chan), lay.n.reshape(chan)
        product = acc * m0
        stages.append(_stage("times_m0", product, INT64, acc_scale / m0, 0, pre))
        shifted = product / np.exp2(n.astype(np.float64))
        stages.append(_stage("shifted", shifted, INT32, y.scale, 0, pre))
        rounded = requantize_fixed(acc, m0, n)
        stages.append(_stage("rounded", rounded, INT32, y.scale, 0, pre))
        with_zp = rounded + y.zero_point
        stages.append(_stage("zero_point", with_zp, INT32, y.scale, y.zero_point, pre))
        clamped = np.clip(with_zp, y.qmin, y.qmax)
        grid_ends = y.dequantize(np.array([y.qmin, y.qmax]))
        in_grid = np.clip(pre, grid_ends[0], grid_ends[1])  # what the clamp keeps of the float
        stages.append(_stage("clamped", clamped, (y.qmin, y.qmax), y.scale, y.zero_point, in_grid))
        out = clamped
        ref = pre
        if lay.layer.relu:
            out = np.maximum(out, y.zero_point)
            ref = np.maximum(pre, 0)
            stages.append(_stage("relu", out, (y.qmin, y.qmax), y.scale, y.zero_point, ref))
        if lay.layer.kind == "conv" and lay.layer.pool:
            p = int(lay.layer.pool)
            out = _pool_nhwc(out.transpose(0, 2, 3, 1), p).transpose(0, 3, 1, 2)
            ref = _pool_nhwc(ref.transpose(0, 2, 3, 1), p).transpose(0, 3, 1, 2)
            stages.append(_stage("pooled", out, (y.qmin, y.qmax), y.scale, y.zero_point, ref))
        float_path = np.clip(requantize_float(acc, lay.multiplier.reshape(chan)) + y.zero_point,
                             y.qmin, y.qmax)  # fmt: skip
        differ = int(np.count_nonzero(float_path != clamped))
        outputs = int(clamped.size)
    return LayerStages(
        lay.name, int(example), tuple(stages), lay.m_exact, lay.m0, lay.n, differ, outputs
    )


def _weight_limits(lay: IntegerLayer) -> tuple[int, int]:
    """The weight codes' range: signed ``±2^(b−1)`` (int8 container) or ``0 … 2^b − 1``."""
    b = lay.weight_bits
    if lay.weight_codes.dtype == np.int8:
        return -(2 ** (b - 1)), 2 ** (b - 1) - 1
    return 0, 2**b - 1


@dataclass(frozen=True)
class ZeroPointTerms:
    """``Σ (q_w − z_w)(q_x − z_x) = Σ q_w q_x − z_x Σ q_w − z_w Σ q_x + K z_w z_x`` for one
    example, each term an array in the accumulator's layout (``K`` products per output).

    ``ops`` counts what each term costs at run time for one example: the main product
    ``K`` multiply-adds per output; ``z_x Σ q_w`` none (the weights are constant: it folds
    into the bias); ``z_w Σ q_x`` a sum of ``K`` inputs per output position (shared by the
    channels) and one multiply per output, unless ``z_w = 0`` (symmetric weights); the
    constant none.
    """

    products: np.ndarray
    input_zero_point_term: np.ndarray
    weight_zero_point_term: np.ndarray
    constant_term: np.ndarray
    k: int
    ops: dict[str, int]

    @property
    def total(self) -> np.ndarray:
        return (
            self.products - self.input_zero_point_term - self.weight_zero_point_term
            + self.constant_term
        )  # fmt: skip


def zero_point_terms(im: IntegerModel, layer: str | int, example: int = 0) -> ZeroPointTerms:
    """The four terms of layer ``layer``'s accumulator (bias left out) for test example
    ``example`` and their run-time cost (see :class:`ZeroPointTerms`)."""
    i = _layer_index(im, layer)
    lay = im.layers[i]
    codes = im.run(im.model.x_test[example : example + 1]).codes[i].astype(np.float64)
    w = lay.weight_codes.astype(np.float64)
    zx = float(lay.input.zero_point)
    zw = lay.weight_zero_point.astype(np.float64)
    k = int(np.prod(w.shape[1:]))
    conv = lay.layer.kind == "conv"
    chan = (1, -1, 1, 1) if conv else (1, -1)
    if conv and lay.layer.padding:  # a padded position holds the real 0: the code z_x
        p = lay.layer.padding
        codes = np.pad(codes, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=zx)

    def conv_product(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if conv:  # the padding is in the codes already
            zeros = np.zeros(weights.shape[0])
            return _conv_nhwc(x, weights, zeros, 0).transpose(0, 3, 1, 2)
        return x.reshape(1, -1) @ weights.reshape(weights.shape[0], -1).T

    products = np.rint(conv_product(codes, w))
    sum_w = w.reshape(w.shape[0], -1).sum(axis=1).reshape(chan)
    sum_x = np.rint(conv_product(codes, np.ones((1, *w.shape[1:]))))
    outputs = products.size
    positions = outputs // w.shape[0]
    symmetric = bool(np.all(zw == 0))
    ops = {
        "products": outputs * k,
        "input_zero_point_term": 0,
        "weight_zero_point_term": 0 if symmetric else positions * k + outputs,
        "constant_term": 0,
    }
    return ZeroPointTerms(
        products=products,
        input_zero_point_term=zx * np.broadcast_to(sum_w, products.shape),
        weight_zero_point_term=zw.reshape(chan) * sum_x,
        constant_term=np.full(products.shape, k * zx) * zw.reshape(chan),
        k=k,
        ops=ops,
    )
