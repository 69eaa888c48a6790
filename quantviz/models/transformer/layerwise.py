"""One Linear at a time: what SmoothQuant's α does to its input and its weight, what each
rounding method does to its weight and its output, and three grids on an activation matrix.

>>> import numpy as np
>>> x = np.array([[30.0, 0.2, -0.1], [0.3, -0.2, 0.1], [0.1, 0.3, -0.3]], dtype=np.float32)
>>> g = activation_grids(x, bits=4)        # row 0 is [CLS], column 0 its outlier channel
>>> [round(g[mode].metrics["sqnr_db"], 1) for mode in GRID_MODES]
[32.8, 41.7, 39.5]

(One grid for the matrix steps by 2 and rounds every small value to 0; a grid per token
gives the other tokens a fine step, and a grid per channel the other channels: only the
small values beside 30 in its row, or in its column, still round to 0.)

These are the room's pictures of the transformer, each computed by the same pieces as
:func:`quantviz.evaluate` (so a layer's numbers here are that evaluation's):

* :func:`smooth_tradeoff`: SmoothQuant at several α on one Linear: the SQNR of its input
  ``X/s`` on the static per-tensor grid (calibrated with min-max over every calibration
  token, measured on the fixed sample of calibration tokens), of its weight ``W·diag(s)``
  rounded per output channel, and of its output ``Q(X/s)·Q(W·s)ᵀ`` against ``X·Wᵀ``;
* :func:`smoothed_maxima`: each input channel's max |x| and each weight column's max |w|
  after the migration (SmoothQuant's own picture);
* :func:`method_errors`: RTN, GPTQ and AWQ on one Linear: the weight's relative error
  ``‖Ŵ − W‖²/‖W‖²`` (and its SQNR) and the output's ``‖(Ŵ − W)·Xᵀ‖²/‖W·Xᵀ‖²`` on the
  calibration tokens;
* :func:`activation_grids`: one matrix (tokens × channels) on one grid per tensor, per
  token (row) and per channel (column): :func:`quantviz.quantize`'s asymmetric min-max grid,
  as the model's activations use.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quantviz.metrics import metrics as error_figures
from quantviz.models.transformer.act_quant import ActivationSpec
from quantviz.models.transformer.activations import calibration, stats_of
from quantviz.models.transformer.evaluate import (
    METHODS,
    _check_model,
    _output_power,
    input_quantizer,
    quantize_linear,
)
from quantviz.models.transformer.gptq import output_error
from quantviz.models.transformer.model import TransformerModel
from quantviz.models.transformer.smoothquant import check_alpha, smooth_scales
from quantviz.pipeline import QuantResult, quantize

F32 = np.float32
ALPHAS = tuple(round(0.05 * i, 2) for i in range(21))
"""SmoothQuant's α on a grid of 0.05, from 0 to 1."""

GRID_MODES = ("tensor", "token", "channel")
"""The grids of :func:`activation_grids`: one per matrix, per row (token), per column."""

SMOOTH_COLUMNS = ("alpha", "act_sqnr_db", "weight_sqnr_db", "output_sqnr_db")
METHOD_COLUMNS = ("method", "sqnr_db", "weight_error", "output_error")


def relative_error(sqnr_db: float | np.ndarray) -> float | np.ndarray:
    """``‖x̂ − x‖²/‖x‖²`` from an SQNR in dB (the SQNR's signal is the mean square of x):
    ``10^(−SQNR/10)``."""
    return 10.0 ** (-np.asarray(sqnr_db, dtype=np.float64) / 10.0)


def smooth_tradeoff(
    model: TransformerModel | str,
    linear: str,
    alphas: Sequence[float | None] = ALPHAS,
    *,
    act_bits: int = 8,
    weight_bits: int = 8,
) -> pd.DataFrame:
    """SmoothQuant on the Linear ``linear`` at each α of ``alphas`` (None: not smoothed).

    Columns (:data:`SMOOTH_COLUMNS`): ``alpha`` (NaN for None), ``act_sqnr_db`` (the input
    divided by s, fake-quantized at ``act_bits`` on the static per-tensor grid that
    ``qv.evaluate(activations={"bits": act_bits})`` uses), ``weight_sqnr_db`` (``W·diag(s)``
    rounded to nearest per output channel at ``weight_bits``, against itself: how hard the
    smoothed weight is to quantize), ``output_sqnr_db`` (the Linear's output with both
    quantized, against the float output, bias left out). Measured on the fixed sample of
    calibration tokens (:data:`~quantviz.models.transformer.activations.SAMPLE_TOKENS`).
    α is applied to this input whatever the scope (smoothing every input, as
    ``smooth_scope="all"``).
    """
    model = _check_model(model)
    calibration(model)
    stats = stats_of(model, linear)
    weight = model.weights[linear]
    x = stats.sample  # (tokens, in)
    mask = np.ones((1, x.shape[0]), dtype=bool)
    y = x @ weight.T
    spec = ActivationSpec(bits=int(act_bits), mode="static")
    settings = {"bits": int(weight_bits), "granularity": "channel"}
    rows = []
    for alpha in alphas:
        a = None if alpha is None else check_alpha(alpha)
        q = quantize_linear(model, linear, settings, "rtn", False, a, "all")
        s = q.in_scale
        xs = x if s is None else (x / s).astype(F32)
        ws = weight if s is None else (weight * s).astype(F32)
        x_hat = input_quantizer(model, linear, spec, s)(xs[None], mask)[0]
        rows.append({
            "alpha": np.nan if a is None else a,
            "act_sqnr_db": error_figures(xs, x_hat)["sqnr_db"],
            "weight_sqnr_db": error_figures(ws, q.weight)["sqnr_db"],
            "output_sqnr_db": error_figures(y, x_hat @ q.weight.T)["sqnr_db"],
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(SMOOTH_COLUMNS))


def smoothed_maxima(
    act_absmax: np.ndarray, weight_absmax: np.ndarray, alpha: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each input channel's max |x| and each weight column's max |w| after SmoothQuant's
    migration with ``alpha`` (None: as they are): ``max|X_j| / s_j`` and ``max|W_j| · s_j``
    with ``s_j = max|X_j|^α / max|W_j|^(1−α)``.

    >>> a, w = smoothed_maxima(np.array([16.0, 1.0]), np.array([1.0, 4.0]), 0.5)
    >>> a.tolist(), w.tolist()
    ([4.0, 2.0], [4.0, 2.0])

    (At α = 0.5 both become ``√(max|X_j|·max|W_j|)``: the same for input and weight.)
    """
    act = np.asarray(act_absmax, dtype=np.float64)
    w = np.asarray(weight_absmax, dtype=np.float64)
    if alpha is None:
        return act, w
    s = smooth_scales(act, w, check_alpha(alpha)).astype(np.float64)
    return act / s, w * s


def method_errors(
    model: TransformerModel | str,
    linear: str,
    bits: int = 4,
    methods: Sequence[str] = METHODS,
    **settings: object,
) -> pd.DataFrame:
    """Each rounding method of ``methods`` on the Linear ``linear`` at ``bits`` (and
    ``settings``, default one scale per output channel), exactly as ``qv.evaluate(method=…)``
    quantizes it.

    Columns (:data:`METHOD_COLUMNS`): ``method``, ``sqnr_db`` and ``weight_error``
    (``‖Ŵ − W‖²/‖W‖²``) of the weight, ``output_error`` (``‖(Ŵ − W)·Xᵀ‖²/‖W·Xᵀ‖²`` over the
    calibration tokens X, from their Gram matrix). Round to nearest has the smallest weight
    error on its grid; GPTQ moves weights away from their nearest level to lower the output
    error.
    """
    model = _check_model(model)
    calibration(model)
    kw = {"granularity": "channel", **settings, "bits": int(bits)}
    weight = model.weights[linear]
    gram = stats_of(model, linear).gram
    rows = []
    for method in methods:
        q = quantize_linear(model, linear, kw, method, False, None, "all")
        sqnr = error_figures(weight, q.effective)["sqnr_db"]
        rows.append({
            "method": method,
            "sqnr_db": sqnr,
            "weight_error": float(relative_error(sqnr)),
            "output_error": output_error(q.effective - weight, gram) / _output_power(model, linear),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(METHOD_COLUMNS))


def activation_grids(x: np.ndarray, bits: int = 8) -> dict[str, QuantResult]:
    """A matrix ``x`` (tokens × channels) on three asymmetric min-max grids of ``bits``:
    ``"tensor"`` (one for all), ``"token"`` (one per row: what an integer matmul can apply,
    one scale per output row) and ``"channel"`` (one per column: fits an outlier channel,
    but its scale would sit inside the matmul's sum)."""
    return {
        "tensor": quantize(x, bits=bits),
        "token": quantize(x, bits=bits, granularity="channel", axis=0),
        "channel": quantize(x, bits=bits, granularity="channel", axis=1),
    }
