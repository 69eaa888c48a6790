"""A layer's static input grid (the activations lesson): calibrated on the calibration split,
then the test split's inputs on it, against numpy written out here."""

from __future__ import annotations

import numpy as np
import pytest

import quantviz as qv
from quantviz.models.calibration import static_grid
from quantviz.models.forward import apply_layer


def inputs_of(model, layer: str, x: np.ndarray) -> np.ndarray:
    """The float input of ``layer``: the layers before it applied one by one."""
    for before in model.layers[: model.layer_names.index(layer)]:
        x = apply_layer(before, x, before.weight, before.bias)
    return x.reshape(x.shape[0], -1).astype(np.float64)


def test_fc1_s_static_grid_is_min_max_over_the_calibration_inputs():
    model = qv.load_model("digits-cnn")
    g = static_grid(model, "fc1", bits=8)
    calib = inputs_of(model, "fc1", model.x_calib)
    assert (g.low, g.zero_point, g.qmin, g.qmax) == (0.0, 0, 0, 255)  # after a ReLU: ℓ = 0
    assert g.high == pytest.approx(calib.max(), rel=1e-6)
    assert g.scale == pytest.approx(calib.max() / 255, rel=1e-6)
    assert g.calibration_examples == calib.shape[0]


def test_what_the_static_grid_clips_of_the_test_inputs_and_each_example_s_own_step():
    model = qv.load_model("digits-cnn")
    g = static_grid(model, "fc1", bits=8)
    test = inputs_of(model, "fc1", model.x_test)
    beyond = test / g.scale + g.zero_point > g.qmax + 0.5  # its code would pass qmax
    assert g.examples == test.shape[0]
    assert g.examples_clipped == int(beyond.any(axis=1).sum())
    assert g.clipped_fraction == pytest.approx(beyond.mean())
    assert g.test_high == pytest.approx(test.max(), rel=1e-6)
    np.testing.assert_allclose(g.dynamic_scales, test.max(axis=1) / 255, rtol=1e-5)


def test_an_unknown_layer_names_the_valid_ones():
    with pytest.raises(qv.InputError, match="fc1"):
        static_grid("digits-cnn", "fc9")
