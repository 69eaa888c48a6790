"""The facts of the lessons on what the chip computes and on training for 2 bits.

Named numbers (:mod:`quantviz_app.facts` adds them to its table) computed by the same data
steps the Integers and Train for it rooms draw with, at the page's settings: the digits CNN
in integers (``rooms/integers``: the layer ``int_layer`` for test digit ``digit``, weights
as an engine can run them, 8-bit static activations), one inference's costs, and the
shipped PTQ-vs-QAT results and the staircase's gradients (``rooms/training``). They do not
depend on the tensor on the page (``data`` is unused), so a lesson on the digits CNN asks
the same question whatever tensor is open.

Each entry is ``(name, meaning, unit, compute(settings, data))``, as :class:`quantviz_app.fact.Fact`
takes them; units as there (``"int"``, ``"%"`` in percent, ``""``, ``"text"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from quantviz.models.integer_stages import integer_bits
from quantviz_app.fact import Fact
from quantviz_app.rooms import integers, training
from quantviz_app.schema import Settings

Spec = tuple[str, str, str, Callable[[Settings, Any], float | str]]


# ---- what the chip computes ---------------------------------------------------------------


def _pipeline(s: Settings) -> integers.Pipeline:
    settings, _ = integers.engine_settings(s)
    return integers.pipeline(settings, s["int_layer"], int(s["digit"]))


def _stage_value(key: str) -> Callable[[Settings, Any], float]:
    """The followed output's value at stage ``key`` (NaN where the layer has no such stage)."""

    def value(s: Settings, _data: Any) -> float:
        p = _pipeline(s)
        keys = [stage.key for stage in p.stages.stages]
        if key not in keys:
            return math.nan
        stage = p.stages.stage(key)
        return float(stage.values[p.at(stage)])

    return value


def _accumulator(attr: str) -> Callable[[Settings, Any], float]:
    return lambda s, _d: float(getattr(_pipeline(s).stages.stage("accumulator"), attr))


def worst_accumulator(s: Settings) -> int:
    """The largest |accumulator| the layer's codes allow (bias aside): K products of the
    largest weight code magnitude and the largest input code distance from z_x, e.g. conv2
    with int8 weights and uint8 inputs: 144 × 128 × 255 = 4,700,160."""
    p = _pipeline(s)
    w = p.stages.stage("weights")
    x = p.stages.stage("input")
    zw = np.asarray(w.zero_point)
    weight = float(np.max(np.maximum(np.abs(w.limits[0] - zw), np.abs(w.limits[1] - zw))))
    zx = float(x.zero_point)
    inputs = max(x.limits[1] - zx, zx - x.limits[0])
    return int(p.terms.k * weight * inputs)


def _channel(attr: str) -> Callable[[Settings, Any], float]:
    """The followed output channel's multiplier (``m``, ``m0`` or ``n``; NaN for logits)."""

    def value(s: Settings, _data: Any) -> float:
        p = _pipeline(s)
        got = getattr(p.stages, attr)
        return math.nan if got is None else float(got[p.channel])

    return value


def _zw_ops(s: Settings) -> int:
    return int(_pipeline(s).terms.ops["weight_zero_point_term"])


def _zw_share(s: Settings) -> float:
    """The weight zero point's run-time term, in % of the layer's multiply-adds."""
    ops = _pipeline(s).terms.ops
    return 100 * ops["weight_zero_point_term"] / ops["products"]


def _accuracy(attr: str) -> Callable[[Settings, Any], float]:
    def value(s: Settings, _data: Any) -> float:
        settings, _ = integers.engine_settings(s)
        return 100 * float(getattr(integers.accuracies(settings), attr))

    return value


def _cost(attr: str) -> Callable[[Settings, Any], float]:
    return lambda s, _d: float(getattr(integers.costs(), attr))


CHIP: list[Spec] = [
    ("int_k", "the products each output of the layer sums, K", "int",
     lambda s, d: _pipeline(s).terms.k),
    ("int_acc", "the followed output's int32 accumulator", "int", _stage_value("accumulator")),
    ("int_acc_low", "the layer's smallest accumulator for this digit", "int",
     _accumulator("low")),
    ("int_acc_high", "the layer's largest accumulator for this digit", "int",
     _accumulator("high")),
    ("int_acc_bits", "the bits this digit's accumulators need (with a sign)", "int",
     _accumulator("bits_used")),
    ("int_acc_worst", "the largest |accumulator| the codes allow, K·max|q_w|·max|q_x − z_x|",
     "int", lambda s, d: worst_accumulator(s)),
    ("int_acc_worst_bits", "the bits the worst accumulator needs (with a sign)", "int",
     lambda s, d: integer_bits(-worst_accumulator(s), worst_accumulator(s))),
    ("int_fits_int16", "whether the worst accumulator fits int16: yes or no", "text",
     lambda s, d: "yes" if worst_accumulator(s) <= 2**15 - 1 else "no"),
    ("int_m", "the followed channel's multiplier M = s_w·s_x/s_y", "", _channel("m")),
    ("int_m0", "M0, the 31-bit integer of M = M0·2^−n", "int", _channel("m0")),
    ("int_n", "n, the right shift of M = M0·2^−n", "int", _channel("n")),
    ("int_acc_times_m", "the followed accumulator times M, before rounding", "",
     _stage_value("shifted")),
    ("int_code", "the followed output's code after requantization", "int",
     _stage_value("clamped")),
    ("int_zw_ops", "what the weight zero point's term costs per digit, operations", "int",
     lambda s, d: _zw_ops(s)),
    ("int_zw_share", "that cost in % of the layer's multiply-adds", "%",
     lambda s, d: _zw_share(s)),
    ("int_zw_cost", "whether that cost is above or below 1 % of the multiply-adds", "text",
     lambda s, d: "above" if _zw_share(s) > 1 else "below"),
    ("int_layer_macs", "the layer's multiply-adds for one digit", "int",
     lambda s, d: _pipeline(s).terms.ops["products"]),
    ("int_macs", "one inference's multiply-adds, float32 or int8", "int", _cost("macs")),
    ("int_float32_bytes", "one inference's bytes moved in float32", "int",
     _cost("float32_bytes")),
    ("int_int8_bytes", "one inference's bytes moved in int8", "int", _cost("int8_bytes")),
    ("int_bytes_ratio", "float32 bytes over int8 bytes", "", _cost("bytes_ratio")),
    ("int_extra_ops", "what integers add: requantizations and the input's quantization", "int",
     _cost("extra_ops")),
    ("int_extra_share", "what integers add, in % of the multiply-adds", "%",
     lambda s, d: 100 * integers.costs().extra_fraction),
    ("int_float_accuracy", "the float network's test accuracy", "%", _accuracy("float")),
    ("int_fake_accuracy", "the fake-quantized network's test accuracy", "%", _accuracy("fake")),
    ("int_integer_accuracy", "the integer network's test accuracy", "%", _accuracy("integer")),
]  # fmt: skip


# ---- training for 2 bits -------------------------------------------------------------------


def _gradients(s: Settings):
    return training.gradients(*training.staircase_setting(s))


def _shipped(column: str) -> Callable[[Settings, Any], float]:
    """A shipped result at the page's bits and granularity, in % (NaN where none ran)."""

    def value(s: Settings, _data: Any) -> float:
        bits, granularity, _ = training.tune_setting(s)
        row = training.shipped_row(bits, granularity)
        return math.nan if row is None else 100 * float(row[column])

    return value


def _qat_band(s: Settings, _data: Any) -> str:
    """QAT (STE)'s accuracy: ``"high"`` above 90 %, ``"mid"`` from 50 %, else ``"low"``."""
    ste = _shipped("qat_ste")(s, None)
    if math.isnan(ste):
        return "none"
    return "high" if ste > 90 else ("mid" if ste >= 50 else "low")


def _qat_gain(s: Settings, _data: Any) -> float:
    """QAT (STE) minus PTQ (min-max), in percentage points (one decimal)."""
    return round(_shipped("qat_ste")(s, None) - _shipped("ptq_minmax")(s, None), 1)


def _qat_gain_size(s: Settings, data: Any) -> str:
    """``"much"`` (more than 5 points), ``"some"`` (1 to 5) or ``"little"`` (under 1)."""
    gain = _qat_gain(s, data)
    if math.isnan(gain):
        return "none"
    return "much" if gain > 5 else ("some" if gain >= 1 else "little")


TRAINING: list[Spec] = [
    ("qat_jumps", "the staircase's jumps on the chart", "int",
     lambda s, d: len(_gradients(s).jumps)),
    ("qat_true_gradient", "the staircase's derivative between its jumps: zero, one or step",
     "text", lambda s, d: "zero" if float(np.abs(_gradients(s).true_gradient).max()) == 0
     else "one"),
    ("qat_ste_low", "where the STE's gradient starts being 1 (the grid's low end level)", "",
     lambda s, d: _gradients(s).low),
    ("qat_ste_high", "where the STE's gradient stops being 1 (the grid's high end level)", "",
     lambda s, d: _gradients(s).high),
    ("qat_ptq_minmax", "PTQ with min-max ranges, test accuracy", "%", _shipped("ptq_minmax")),
    ("qat_ptq_mse", "PTQ with MSE ranges, test accuracy", "%", _shipped("ptq_mse")),
    ("qat_ste", "QAT with the STE (30 epochs), test accuracy", "%", _shipped("qat_ste")),
    ("qat_lsq", "QAT with LSQ (30 epochs), test accuracy", "%", _shipped("qat_lsq")),
    ("qat_float", "the float network's test accuracy", "%",
     lambda s, d: 100 * float(training.results().attrs["float_accuracy"])),
    ("qat_band", "QAT (STE)'s accuracy: high (> 90 %), mid (50–90 %) or low", "text",
     _qat_band),
    ("qat_gain", "QAT (STE) minus PTQ (min-max), percentage points", "", _qat_gain),
    ("qat_gain_size", "QAT's gain over PTQ: much (> 5 points), some (1–5) or little (< 1)",
     "text", _qat_gain_size),
]  # fmt: skip

CHIP_FACTS: tuple[Fact, ...] = tuple(Fact(*spec) for spec in CHIP + TRAINING)
"""Every fact of this module, for :data:`quantviz_app.facts.FACTS`."""
