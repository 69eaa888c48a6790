"""Integer-only inference (Jacob et al., 2018): the network as an int8 engine runs it.

>>> import quantviz as qv
>>> im = qv.integer_model("digits-cnn", bits=8, granularity="channel", symmetric=True)
>>> r = im.run(im.model.x_test)
>>> [c.dtype.name for c in r.codes], r.logits.dtype.name
(['uint8', 'uint8', 'uint8', 'uint8'], 'float32')

Fake quantization (:func:`quantviz.evaluate`) rounds values onto the grid and computes in
float again. An integer engine sees no float between its input and its logits. For each
layer, with ``r = s·(q − z)`` for every tensor:

* ``q_x``: the layer's input codes (uint8, or int8 with symmetric activations) on a static
  grid ``s_x, z_x`` calibrated once on the calibration split (as :func:`quantviz.evaluate`
  calibrates); the first layer's codes come from the float image by ONNX's QuantizeLinear,
  ``clamp(round(x / s_x) + z_x)`` (a true division, rounding half to even);
* ``q_w``: the weight codes (int8 when symmetric, uint8 otherwise) with a scale ``s_w`` per
  output channel (or one per tensor) and zero point ``z_w``;
* ``q_b = round(b / (s_w·s_x))``: the bias as int32 on the accumulator's scale;
* ``acc = Σ (q_w − z_w)(q_x − z_x) + q_b``: the int32 accumulator (exact: every product
  and sum is a whole number);
* requantization to the next layer's input grid ``s_y, z_y``:
  ``q_y = clamp(z_y + round(M · acc), qmin, qmax)`` with ``M = s_w·s_x / s_y``;
* ReLU is ``max(q_y, z_y)`` (nothing to do when ``z_y = qmin``, the usual case after a
  ReLU: the clamp is the ReLU) and max-pooling is a max over codes; both commute with the
  rounding, so they are exact in integers;
* the last layer's accumulator becomes float logits, ``float32(acc) · (s_w·s_x)``.

Requantization, ``round(M · acc)``, two ways (:data:`REQUANTIZATIONS`):

* ``"float"``: ONNX Runtime's CPU kernels (MLAS ``MlasRequantizeOutput`` and its symmetric
  convolution kernels): ``float32(acc) × M`` with ``M`` computed in float32 as
  ``(s_x · s_w) / s_y``, rounded half to even. The default: with it the pipeline equals
  ONNX Runtime running :func:`quantviz.export_onnx`'s file bit for bit.
* ``"fixed"``: gemmlowp / TFLite (LiteRT) integer arithmetic. ``M = M0 · 2^−n`` with
  ``M0`` an int32 in [2^30, 2^31) (:func:`fixed_point_multiplier`); ``acc · M0`` is
  formed exactly in 64 bits, halved back to 32 bits with rounding
  (``SaturatingRoundingDoublingHighMul``: ``(acc·M0 + 2^30) >> 31``, half up) and shifted
  right by ``n − 31`` with rounding half away from zero (``RoundingDivideByPOT``). Two
  roundings and the 31-bit ``M0`` can land one code away from the float path.

The accumulator is computed with float64 matrix products of the (centred) codes: every
product and partial sum is a whole number far below 2^53, so float64 holds it exactly and
BLAS does the work; :func:`accumulate` checks that it fits int32.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from quantviz.errors import InputError
from quantviz.models.evaluate import (
    INT32_MAX,
    INT32_MIN,
    ActivationSpec,
    Evaluation,
    _Session,
    _session,
    bias_codes,
    evaluation,
)
from quantviz.models.forward import LayerPlan, _conv_nhwc, _pool_nhwc, run
from quantviz.models.zoo import Layer, Model
from quantviz.quantizer import F32

REQUANTIZATIONS = ("float", "fixed")
MAX_INTEGER_BITS = 8
DEFAULT_ACTIVATIONS = {"bits": 8, "mode": "static"}
"""The activations an integer engine runs when none are given: 8 bits, static min-max ranges."""


# -------------------------------------------------------------- arithmetic --


def fixed_point_multiplier(m: float) -> tuple[int, int]:
    """``M = M0 · 2^−n`` with ``M0`` a whole number in [2^30, 2^31) (an int32), as TFLite's
    ``QuantizeMultiplier``.

    ``M = f · 2^e`` with ``f`` in [0.5, 1) (``frexp``); ``M0 = round(f · 2^31)`` (half away
    from zero) and ``n = 31 − e``. If ``f · 2^31`` rounds up to 2^31, ``M0`` is halved and
    ``n`` lowered by one; below 2^−32, ``M0 = 0`` (TFLite's rule). E.g.
    ``M = 0.0003 = 0.6144 · 2^−11`` → ``M0 = 1319413953``, ``n = 42``
    (``1319413953 / 2^42 = 0.000299999999924``).
    """
    m = float(m)
    if not math.isfinite(m) or m <= 0:
        raise InputError(f"A requantization multiplier must be a positive number, not {m}.")
    f, e = math.frexp(m)
    m0 = math.floor(f * 2**31 + 0.5)
    n = 31 - e
    if m0 == 2**31:
        m0 //= 2
        n -= 1
    if n > 31 + 31:  # M < 2^−32 (a channel of zeros): TFLite's M0 = 0, every result 0
        return 0, 31
    return int(m0), int(n)


def rounding_doubling_high_mul(acc: np.ndarray, m0: np.ndarray) -> np.ndarray:
    """gemmlowp's ``SaturatingRoundingDoublingHighMul(acc, M0)``: ``acc·M0 / 2^31`` rounded
    (``+2^30`` before the division for a non-negative product, ``1 − 2^30`` for a negative
    one, then truncation toward zero: ties go up). ``acc`` and ``M0`` are int32 values."""
    ab = np.asarray(acc, dtype=np.int64) * np.asarray(m0, dtype=np.int64)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    s = ab + nudge
    return np.sign(s) * (np.abs(s) >> 31)  # C's division truncates toward zero


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """gemmlowp's ``RoundingDivideByPOT(x, exponent)``: ``x / 2^exponent`` rounded half away
    from zero, with an arithmetic shift and a look at the bits shifted out."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def requantize_fixed(acc: np.ndarray, m0: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``round(acc · M0 · 2^−n)`` as TFLite's ``MultiplyByQuantizedMultiplier`` (before the
    zero point and the clamp); ``M0``, ``n`` broadcast against ``acc`` (one per channel)."""
    n = np.asarray(n, dtype=np.int64)
    left = np.maximum(31 - n, 0)  # M ≥ 1: shift left first (never for this network)
    right = np.maximum(n - 31, 0)
    high = rounding_doubling_high_mul(np.asarray(acc, dtype=np.int64) << left, m0)
    return rounding_divide_by_pot(high, right)


def requantize_float(acc: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
    """``round(float32(acc) × M)`` in float32, half to even, as ONNX Runtime's MLAS."""
    v = np.multiply(np.asarray(acc).astype(F32), multiplier, dtype=F32)
    return np.rint(v).astype(np.int64)


def quantize_linear(x: np.ndarray, scale: F32, zero_point: int, qmin: int, qmax: int) -> np.ndarray:
    """ONNX QuantizeLinear: ``clamp(round(x / scale) + zero_point)``, a float32 division
    rounded half to even (PyTorch multiplies by ``1/scale`` instead; a tie can differ)."""
    v = np.rint(np.divide(np.asarray(x, dtype=F32), F32(scale), dtype=F32)).astype(np.int64)
    return np.clip(v + int(zero_point), qmin, qmax)


# ------------------------------------------------------------------ layers --


@dataclass(frozen=True, eq=False)
class Grid:
    """An activation grid: ``r = scale · (q − zero_point)``, codes in ``[qmin, qmax]``."""

    scale: F32
    zero_point: int
    qmin: int
    qmax: int

    @property
    def dtype(self) -> np.dtype:
        """int8 for a signed grid, uint8 otherwise (codes of up to 8 bits)."""
        return np.dtype(np.int8 if self.qmin < 0 else np.uint8)

    @property
    def bits(self) -> int:
        return int(self.qmax - self.qmin).bit_length()

    def dequantize(self, codes: np.ndarray) -> np.ndarray:
        return ((np.asarray(codes, dtype=np.int64) - self.zero_point) * self.scale).astype(F32)


@dataclass(frozen=True, eq=False)
class IntegerLayer:
    """One layer as integers: its codes, scales, int32 bias and requantization multipliers.

    ``weight_codes`` has the layer's shape (int8 or uint8); ``weight_scale`` and
    ``weight_zero_point`` have one entry per output channel (codes of ``weight_bits``).
    ``bias_codes`` (int32) sits on ``s_w · s_x``. ``output`` is the next layer's input grid
    (None for the last layer, whose accumulator becomes float logits). ``multiplier`` is
    ``M`` per output channel in float32 as ONNX Runtime computes it, ``m_exact`` the same
    in float64, ``m0`` and ``n`` its fixed-point form.
    """

    layer: Layer
    weight_codes: np.ndarray
    weight_scale: np.ndarray
    weight_zero_point: np.ndarray
    bias_codes: np.ndarray
    input: Grid
    output: Grid | None
    weight_bits: int = 8
    multiplier: np.ndarray | None = None
    m_exact: np.ndarray | None = None
    m0: np.ndarray | None = None
    n: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def accumulator_scale(self) -> np.ndarray:
        """``s_w · s_x`` per output channel (float32): what one accumulator unit is worth."""
        return (F32(self.input.scale) * self.weight_scale).astype(F32)

    def accumulate(self, codes: np.ndarray) -> np.ndarray:
        """``Σ (q_w − z_w)(q_x − z_x) + q_b``: int64 (values within int32), the layer's
        output layout (conv ``(n, out, h, w)``, before ReLU and pooling; dense ``(n, out)``)."""
        return accumulate(self, codes)

    def requantize(self, acc: np.ndarray, requantization: str = "float") -> np.ndarray:
        """The accumulator onto the next layer's grid: ``clamp(z_y + round(M·acc))``, then
        ReLU (``max(q, z_y)``) and max-pooling on the codes."""
        out = self.output
        if out is None:
            raise InputError(f"{self.name} is the last layer: its accumulator becomes logits.")
        conv = self.layer.kind == "conv"
        shape = (1, -1, 1, 1) if conv else (1, -1)
        if requantization == "float":
            r = requantize_float(acc, self.multiplier.reshape(shape))
        elif requantization == "fixed":
            r = requantize_fixed(acc, self.m0.reshape(shape), self.n.reshape(shape))
        else:
            raise InputError(f'requantization must be "float" or "fixed", not {requantization!r}.')
        q = np.clip(r + out.zero_point, out.qmin, out.qmax)
        if self.layer.relu:
            q = np.maximum(q, out.zero_point)
        if conv and self.layer.pool:
            q = _pool_nhwc(q.transpose(0, 2, 3, 1), int(self.layer.pool)).transpose(0, 3, 1, 2)
        return np.ascontiguousarray(q).astype(out.dtype)

    def logits(self, acc: np.ndarray) -> np.ndarray:
        """The last layer: ``float32(acc) · float32(s_w·s_x)`` (ONNX: Cast, then Mul)."""
        return np.multiply(acc.astype(F32), self.accumulator_scale, dtype=F32)


def accumulate(layer: IntegerLayer, codes: np.ndarray) -> np.ndarray:
    """See :meth:`IntegerLayer.accumulate`."""
    x = np.asarray(codes, dtype=np.float64) - layer.input.zero_point
    zw = layer.weight_zero_point.reshape((-1,) + (1,) * (layer.weight_codes.ndim - 1))
    w = layer.weight_codes.astype(np.float64) - zw
    if layer.layer.kind == "conv":
        zeros = np.zeros(w.shape[0])
        acc = _conv_nhwc(x, w, zeros, layer.layer.padding).transpose(0, 3, 1, 2)
        bias = layer.bias_codes.reshape(1, -1, 1, 1)
    else:
        acc = x.reshape(x.shape[0], -1) @ w.T
        bias = layer.bias_codes
    acc = np.rint(acc).astype(np.int64) + bias.astype(np.int64)
    if acc.size and (acc.min() < INT32_MIN or acc.max() > INT32_MAX):  # pragma: no cover
        raise InputError(f"{layer.name}'s accumulator leaves int32: use fewer bits.")
    return np.ascontiguousarray(acc)


# ------------------------------------------------------------------- model --


@dataclass(frozen=True)
class IntegerRun:
    """What the integer pipeline computed for a batch of inputs.

    ``codes[i]`` is layer ``i``'s input as codes (uint8 or int8, ``(n, c, h, w)`` or
    ``(n, features)``): ``codes[0]`` the quantized images, the rest what each layer
    requantized, ReLU'd and pooled. ``accumulators[i]`` is layer ``i``'s int32 accumulator
    (bias included, before requantization). ``logits`` float32, ``predictions`` their argmax.
    """

    codes: tuple[np.ndarray, ...]
    accumulators: tuple[np.ndarray, ...]
    logits: np.ndarray
    predictions: np.ndarray
    requantization: str


@dataclass(frozen=True, eq=False)
class IntegerModel:
    """A network converted to integers (:func:`integer_model`): its :class:`IntegerLayer` s,
    the float :class:`~quantviz.models.zoo.Model` it came from and the settings used."""

    model: Model
    layers: tuple[IntegerLayer, ...]
    settings: dict = field(default_factory=dict)

    @property
    def input(self) -> Grid:
        return self.layers[0].input

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """Float images → the first layer's codes (ONNX QuantizeLinear)."""
        return quantize_linear(x, *_grid_tuple(self.input)).astype(self.input.dtype)

    def run(self, x: np.ndarray, requantization: str = "float", *, start: int = 0) -> IntegerRun:
        """Run float images ``x`` (or, with ``start``, layer ``start``'s input codes) through
        the integer layers; see :class:`IntegerRun`."""
        if requantization not in REQUANTIZATIONS:
            raise InputError(f'requantization must be "float" or "fixed", not {requantization!r}.')
        q = self.quantize_input(x) if start == 0 else np.asarray(x)
        logits = np.empty((0, 0), dtype=F32)
        codes, accs = [], []
        for layer in self.layers[start:]:
            codes.append(q)
            acc = layer.accumulate(q)
            accs.append(acc.astype(np.int32))
            if layer.output is None:
                logits = layer.logits(acc)
                break
            q = layer.requantize(acc, requantization)
        return IntegerRun(tuple(codes), tuple(accs), logits, logits.argmax(axis=1), requantization)


def _checked_activations(activations: object) -> tuple[dict, ActivationSpec]:
    given = dict(DEFAULT_ACTIVATIONS) if activations is None else activations
    act = ActivationSpec.of(given)
    if act.mode != "static":
        raise InputError(
            "Integer inference needs static activation ranges (calibrated once); dynamic ranges "
            'are found in float at run time: use activations={"mode": "static"}.'
        )
    if act.bits > MAX_INTEGER_BITS:
        raise InputError(
            f"Integer inference runs codes of at most {MAX_INTEGER_BITS} bits (an int32 "
            f"accumulator); activations have {act.bits}."
        )
    return dict(given), act


def _check_weights(name: str, settings: dict | None) -> None:
    if settings is None:
        raise InputError(
            f"Integer inference has every layer in integers; {name} is kept float32 by per_layer."
        )
    if settings.get("format", "int") != "int":
        raise InputError(
            f"Integer inference runs the integer grid; {name} has format {settings['format']!r}."
        )
    if int(settings["bits"]) > MAX_INTEGER_BITS:
        raise InputError(
            f"Integer inference runs codes of at most {MAX_INTEGER_BITS} bits (an int32 "
            f"accumulator); {name}'s weights have {settings['bits']}."
        )
    granularity = settings.get("granularity", "tensor")
    if granularity not in ("tensor", "channel") or settings.get("axis", 0) not in (0, -2):
        raise InputError(
            "Integer inference needs one weight scale per tensor or per output channel (one "
            f"requantization multiplier per output); {name} has granularity {granularity!r}."
        )


def integer_model(
    model: Model | str,
    bits: int | None = None,
    *,
    activations: Mapping[str, object] | None = None,
    prune: float = 0.0,
    prune_scope: str = "layer",
    per_layer: Mapping[str, object] | None = None,
    **settings: object,
) -> IntegerModel:
    """Convert ``model`` to integers with :func:`quantviz.evaluate`'s settings.

    Weights are quantized exactly as :func:`quantviz.evaluate` quantizes them (``bits`` up
    to 8, ``granularity`` ``"tensor"`` or ``"channel"``, any range strategy, pruning, per-layer
    bits); activations default to 8 bits with static min-max ranges and must be static.
    Symmetric weights are int8 with zero point 0 (what engines use: no cross terms, see
    :func:`quantviz.models.integer_stages.zero_point_terms`); asymmetric ones uint8.
    """
    return _convert(model, bits, activations, prune, prune_scope, per_layer, settings)[0]


def _convert(
    model: Model | str,
    bits: int | None,
    activations: Mapping[str, object] | None,
    prune: float,
    prune_scope: str,
    per_layer: Mapping[str, object] | None,
    settings: dict,
) -> tuple[IntegerModel, _Session, list[dict]]:
    given_act, _ = _checked_activations(activations)
    session, layer_settings = _session(
        model, bits, per_layer=per_layer, activations=given_act, prune=prune,
        prune_scope=prune_scope, **settings,
    )  # fmt: skip
    m = session.model
    grids = []
    for i in range(len(m.layers)):
        scale, zp, qmin, qmax = session.static_range(i)
        grids.append(Grid(F32(scale), int(zp), int(qmin), int(qmax)))
    layers = []
    for i, layer in enumerate(m.layers):
        _check_weights(layer.name, layer_settings[i])
        r = session.layer(i, layer_settings[i]).grid
        out = layer.weight.shape[0]
        scale = np.broadcast_to(np.asarray(r.scale, dtype=F32).reshape(-1), (out,)).copy()
        zero_point = np.broadcast_to(np.asarray(r.zero_point).reshape(-1), (out,))
        dtype = np.int8 if r.qmin < 0 else np.uint8
        codes = np.asarray(r.codes).reshape(layer.weight.shape).astype(dtype)
        keep = session.masks[i]
        if keep is not None:  # pruned weights are real zeros: the zero point's code
            zp_full = zero_point.reshape((-1,) + (1,) * (codes.ndim - 1))
            codes = np.where(keep, codes, zp_full).astype(dtype)
        x_grid = grids[i]
        b_codes, _ = bias_codes(layer.bias, scale, x_grid.scale)
        kw: dict = {}
        y_grid = grids[i + 1] if i + 1 < len(m.layers) else None
        if y_grid is not None:
            kw["multiplier"] = ((F32(x_grid.scale) * scale) / F32(y_grid.scale)).astype(F32)
            exact = np.float64(x_grid.scale) * scale.astype(np.float64) / np.float64(y_grid.scale)
            m0n = [fixed_point_multiplier(v) for v in exact]
            kw["m_exact"] = exact
            kw["m0"] = np.array([a for a, _ in m0n], dtype=np.int64)
            kw["n"] = np.array([b for _, b in m0n], dtype=np.int64)
        layers.append(
            IntegerLayer(
                layer,
                codes,
                scale,
                zero_point.astype(np.int64),
                b_codes.astype(np.int32),
                x_grid,
                y_grid,
                int(r.bits),
                **kw,
            )
        )
    recorded = {
        "bits": session.settings.get("bits"), **settings, "activations": given_act,
        "prune": prune, "prune_scope": prune_scope, "per_layer": dict(per_layer or {}),
    }  # fmt: skip
    return IntegerModel(m, tuple(layers), recorded), session, layer_settings


def evaluate_integer(
    model: Model | str,
    bits: int | None = None,
    *,
    activations: Mapping[str, object] | None = None,
    prune: float = 0.0,
    prune_scope: str = "layer",
    per_layer: Mapping[str, object] | None = None,
    layer_accuracy: bool = True,
    **settings: object,
) -> Evaluation:
    """``qv.evaluate(model, integer=True, ...)``: the test accuracy of the integer pipeline
    (requantization as ONNX Runtime), with :func:`quantviz.evaluate`'s result fields.

    A row's ``accuracy`` has only that layer in integers: the float network up to its
    input, which is quantized (QuantizeLinear), the integer layer, its output codes
    dequantized, and the float network after it.
    """
    im, session, layer_settings = _convert(
        model, bits, activations, prune, prune_scope, per_layer, settings
    )
    m = im.model

    def only(i: int) -> float:
        layer = im.layers[i]
        codes = quantize_linear(session.float_test[i], *_grid_tuple(layer.input))
        acc = layer.accumulate(codes)
        if layer.output is None:
            logits = layer.logits(acc)
        else:
            x = layer.output.dequantize(layer.requantize(acc))
            plans = [LayerPlan(lay.weight, lay.bias) for lay in m.layers]
            logits = run(m.layers, plans, x, start=i + 1)
        return float(np.mean(logits.argmax(axis=1) == m.y_test))

    logits = im.run(m.x_test).logits
    given = {**im.settings, "integer": True}
    return evaluation(session, layer_settings, logits, only if layer_accuracy else None, given)


def _grid_tuple(g: Grid) -> tuple[F32, int, int, int]:
    return g.scale, g.zero_point, g.qmin, g.qmax
