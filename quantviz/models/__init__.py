"""Real models under quantization: the shipped networks, their test accuracy, the fewest bits.

:func:`models` names the shipped models and :func:`load_model` opens one (layers, test set,
calibration set); :func:`evaluate` runs the test set with the weights (and optionally the
activations) quantized; :func:`accuracy_spread` repeats it across seeds of stochastic
rounding; :func:`fewest_bits` searches for the smallest model that keeps its accuracy;
:func:`integer_model` runs it as an integer engine does and :func:`export_onnx` writes that
as an ONNX file.
Numpy only: the forward pass is :mod:`quantviz.models.forward`. A transformer
(``minilm-l6``, :mod:`quantviz.models.transformer`) answers :func:`evaluate` with retrieval
scores and embedding cosines; :func:`activation_stats` shows its inputs' outlier channels.
"""

from quantviz.models.costs import InferenceCosts, inference_costs
from quantviz.models.evaluate import (
    Evaluation,
    Spread,
    accuracy_spread,
    accuracy_standard_error,
    evaluate,
    layer_inputs,
)
from quantviz.models.fewest import FewestBits, SearchStep, fewest_bits, fewest_bits_steps
from quantviz.models.integer import IntegerModel, IntegerRun, integer_model
from quantviz.models.onnx_export import export_onnx
from quantviz.models.transformer import (
    TransformerEvaluation,
    TransformerModel,
    activation_stats,
    evaluate_transformer,
)
from quantviz.models.zoo import Layer, Model, load_model, model_installed, models

__all__ = [
    "Evaluation",
    "FewestBits",
    "InferenceCosts",
    "IntegerModel",
    "IntegerRun",
    "Layer",
    "Model",
    "SearchStep",
    "Spread",
    "TransformerEvaluation",
    "TransformerModel",
    "accuracy_spread",
    "accuracy_standard_error",
    "activation_stats",
    "evaluate",
    "evaluate_transformer",
    "export_onnx",
    "fewest_bits",
    "fewest_bits_steps",
    "inference_costs",
    "integer_model",
    "layer_inputs",
    "load_model",
    "model_installed",
    "models",
]
