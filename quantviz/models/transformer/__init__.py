"""A real transformer under quantization: all-MiniLM-L6-v2, run in numpy.

:mod:`.wordpiece` (the tokenizer), :mod:`.bert` (the encoder), :mod:`.model` (the model's
files and ``encode``), :mod:`.retrieval` (the task it is judged on), :mod:`.activations`
(calibration statistics, ``activation_stats``), :mod:`.act_quant` (activation grids),
:mod:`.smoothquant`, :mod:`.gptq`, :mod:`.awq`, and :mod:`.evaluate`, which
:func:`quantviz.evaluate` calls for a transformer.
"""

from quantviz.models.transformer.activations import activation_stats, linear_input
from quantviz.models.transformer.evaluate import (
    TransformerEvaluation,
    encode_quantized,
    evaluate_transformer,
)
from quantviz.models.transformer.model import TransformerModel

__all__ = [
    "TransformerEvaluation",
    "TransformerModel",
    "activation_stats",
    "encode_quantized",
    "evaluate_transformer",
    "linear_input",
]
