"""Real models under quantization: the shipped networks, their test accuracy, the fewest bits.

:func:`models` names the shipped models and :func:`load_model` opens one (layers, test set,
calibration set); :func:`evaluate` runs the test set with the weights (and optionally the
activations) quantized; :func:`accuracy_spread` repeats it across seeds of stochastic
rounding; :func:`fewest_bits` searches for the smallest model that keeps its accuracy.
Numpy only: the forward pass is :mod:`quantviz.models.forward`. A transformer
(``minilm-l6``, :mod:`quantviz.models.transformer`) answers :func:`evaluate` with retrieval
scores and embedding cosines; :func:`activation_stats` shows its inputs' outlier channels.
"""

from quantviz.models.evaluate import Evaluation, Spread, accuracy_spread, evaluate, layer_inputs
from quantviz.models.fewest import FewestBits, SearchStep, fewest_bits, fewest_bits_steps
from quantviz.models.transformer import (
    TransformerEvaluation,
    TransformerModel,
    activation_stats,
    evaluate_transformer,
)
from quantviz.models.zoo import Layer, Model, load_model, models

__all__ = [
    "Evaluation",
    "FewestBits",
    "Layer",
    "Model",
    "SearchStep",
    "Spread",
    "TransformerEvaluation",
    "TransformerModel",
    "accuracy_spread",
    "activation_stats",
    "evaluate",
    "evaluate_transformer",
    "fewest_bits",
    "fewest_bits_steps",
    "layer_inputs",
    "load_model",
    "models",
]
