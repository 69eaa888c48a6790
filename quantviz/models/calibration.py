"""One layer's input under static and dynamic activation ranges: what calibration sets,
what the test set then does beyond it, and what each example's own range would be.

Static quantization (PyTorch's prepare → calibrate → convert) runs the float network on
the calibration examples, records each layer's input range with a range strategy, and
fixes its grid: ``s_x``, ``z_x``. At inference an input beyond that range is clipped to
the grid's end levels. Dynamic quantization computes the range of each batch at run
time (here one example), so nothing is clipped, at the cost of a scale per batch.

>>> import quantviz as qv
>>> g = static_grid("digits-cnn", "fc1", bits=8)
>>> g.low, g.zero_point   # fc1's input follows a ReLU: ℓ = 0 and 0.0 is code 0
(0.0, 0)

The same grid as :func:`quantviz.evaluate` uses with
``activations={"bits": b, "mode": "static"}`` (min-max over the calibration split's
values, the asymmetric grid of :func:`quantviz.quantizer.qparams`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantviz.models.evaluate import ActivationSpec, _model
from quantviz.models.forward import float_inputs
from quantviz.models.zoo import Model
from quantviz.quantizer import qparams, quantize_codes


@dataclass(frozen=True)
class StaticGrid:
    """A layer's calibrated input grid, and the test set's inputs on it.

    Attributes
    ----------
    layer : str
        The layer whose input it is.
    bits : int
    low, high : float
        The calibrated clipping range ``[ℓ, h]`` (widened to include 0), units of the input.
    scale, zero_point : float, int
        ``s_x`` and ``z_x`` of the static grid.
    qmin, qmax : int
    calibration_examples : int
        How many examples set the range.
    test_low, test_high : float
        The smallest and largest input value over the whole test set.
    clipped_fraction : float
        The share of the test set's input values the static grid clips (the clamp moves
        their code), in [0, 1].
    examples_clipped : int
        Test examples with at least one clipped input value.
    dynamic_scales : np.ndarray
        Each test example's own min-max scale at ``bits`` (dynamic quantization, one example
        per batch), float32, one per example.
    """

    layer: str
    bits: int
    low: float
    high: float
    scale: float
    zero_point: int
    qmin: int
    qmax: int
    calibration_examples: int
    test_low: float
    test_high: float
    clipped_fraction: float
    examples_clipped: int
    dynamic_scales: np.ndarray

    @property
    def examples(self) -> int:
        """How many test examples there are."""
        return int(self.dynamic_scales.size)


def static_grid(
    model: Model | str, layer: str, bits: int = 8, strategy: str = "minmax"
) -> StaticGrid:
    """The input grid of ``layer`` calibrated on the model's calibration split (asymmetric,
    ``strategy`` as :func:`quantviz.clipping_range`), and the float test inputs on it."""
    model = _model(model)
    model.layer(layer)  # an unknown name is an InputError naming the valid ones
    i = model.layer_names.index(layer)
    spec = ActivationSpec.of({"bits": bits, "mode": "static", "strategy": strategy})
    calib = float_inputs(model.layers[:i], model.x_calib)[i]
    test = float_inputs(model.layers[:i], model.x_test)[i]
    lo, hi = spec.ranges(calib.reshape(1, -1))
    qp = qparams(lo, hi, spec.bits)
    rows = test.reshape(test.shape[0], -1)
    _, clipped = quantize_codes(rows, qp.scale.reshape(()), qp.zero_point.reshape(()),
                                qp.qmin, qp.qmax)  # fmt: skip
    dyn_lo, dyn_hi = spec.ranges(rows)
    dynamic = qparams(dyn_lo, dyn_hi, spec.bits)
    return StaticGrid(
        layer=layer, bits=spec.bits, low=float(np.min(lo)), high=float(np.max(hi)),
        scale=float(qp.scale.reshape(())), zero_point=int(qp.zero_point.reshape(())),
        qmin=qp.qmin, qmax=qp.qmax, calibration_examples=int(calib.shape[0]),
        test_low=float(rows.min()), test_high=float(rows.max()),
        clipped_fraction=float(clipped.mean()),
        examples_clipped=int(np.count_nonzero(clipped.any(axis=1))),
        dynamic_scales=np.asarray(dynamic.scale, np.float32).reshape(-1),
    )  # fmt: skip
