"""quantviz: see neural-network quantization, computed exactly as the field does.

>>> import quantviz as qv
>>> x = qv.sample("laplace", n=10_000, seed=0)
>>> r = qv.quantize(x, bits=4, symmetric=True, strategy="mse")
>>> r.metrics["sqnr_db"] > qv.quantize(x, bits=4, symmetric=True).metrics["sqnr_db"]
True

The data flows one way: a tensor (:func:`sample` or a file) → a range strategy
(:func:`strategies`) → the integer grid (:func:`qparams`, :func:`quantize_codes`,
:func:`dequantize`) → a :class:`QuantResult` with its :func:`metrics` →
:func:`sweep` tables. :func:`fit_settings` adapts settings to a tensor they do not
fit; :mod:`quantviz.counts` reduces a tensor and its result to the counts a picture
needs. Pictures are drawn by the page (``quantviz_app``), never here.
"""

from quantviz.distributions import Distribution, distributions, get_distribution, sample
from quantviz.errors import InputError
from quantviz.fit import Adjustment, fit_settings, group_sizes
from quantviz.granularity import GRANULARITIES
from quantviz.io import is_quantizable, load_weights, read_weights
from quantviz.metrics import metrics, sqnr_rule_db
from quantviz.mistakes import ArticleMistakes, article_mistakes
from quantviz.models import (
    Evaluation,
    FewestBits,
    IntegerModel,
    Model,
    Spread,
    TransformerEvaluation,
    TransformerModel,
    accuracy_spread,
    accuracy_standard_error,
    activation_stats,
    evaluate,
    export_onnx,
    fewest_bits,
    fewest_bits_steps,
    inference_costs,
    integer_model,
    load_model,
    model_installed,
    models,
)
from quantviz.number_formats import FormatResult, NumberFormat, formats, get_format, quantize_format
from quantviz.params import Param
from quantviz.pipeline import QuantConfig, QuantResult, quantize
from quantviz.quantizer import (
    QParams,
    code_range,
    dequantize,
    fake_quantize,
    qparams,
    quantize_codes,
)
from quantviz.ranges import Strategy, aciq_alpha, get_strategy, strategies
from quantviz.sweep import sqnr_uniform_db, sweep, sweep_estimate
from quantviz.tensor import as_weights, finite_values
from quantviz.worked import WorkedExample, worked_example

__version__ = "0.1.0"

__all__ = [
    "GRANULARITIES",
    "Adjustment",
    "ArticleMistakes",
    "Distribution",
    "Evaluation",
    "FewestBits",
    "FormatResult",
    "InputError",
    "IntegerModel",
    "Model",
    "NumberFormat",
    "Param",
    "QParams",
    "QuantConfig",
    "QuantResult",
    "Spread",
    "Strategy",
    "TransformerEvaluation",
    "TransformerModel",
    "WorkedExample",
    "__version__",
    "accuracy_spread",
    "accuracy_standard_error",
    "aciq_alpha",
    "activation_stats",
    "article_mistakes",
    "as_weights",
    "code_range",
    "dequantize",
    "distributions",
    "evaluate",
    "export_onnx",
    "fake_quantize",
    "fewest_bits",
    "fewest_bits_steps",
    "finite_values",
    "fit_settings",
    "formats",
    "get_distribution",
    "get_format",
    "get_strategy",
    "group_sizes",
    "inference_costs",
    "integer_model",
    "is_quantizable",
    "load_model",
    "load_weights",
    "metrics",
    "model_installed",
    "models",
    "qparams",
    "quantize",
    "quantize_codes",
    "quantize_format",
    "read_weights",
    "sample",
    "sqnr_rule_db",
    "sqnr_uniform_db",
    "strategies",
    "sweep",
    "sweep_estimate",
    "worked_example",
]
