"""SmoothQuant (Xiao et al., 2023): move the activations' outliers into the weights.

>>> import numpy as np
>>> smooth_scales(np.array([16.0, 1.0]), np.array([1.0, 4.0]), alpha=0.5).tolist()
[4.0, 0.5]

A Linear computes ``Y = X·Wᵀ``. For any positive ``s`` (one per input channel j),
``Y = (X·diag(s)⁻¹)·(W·diag(s))ᵀ`` exactly: dividing the input's channel j by ``s_j`` and
multiplying the weight's column j by ``s_j`` changes nothing in float. Quantized, it moves
difficulty: an outlier channel (max |X_j| large) shrinks, its weight column grows. With

    s_j = max|X_j|^α / max|W_j|^(1−α)      (max over calibration tokens / over output rows)

both become ``max|X_j|^α · max|W_j|^α``-ish: α = 0 leaves the activations alone (s_j =
1/max|W_j|: only the weights are flattened), α = 1 flattens the activations completely
(every channel's max becomes 1) and makes the weight columns as uneven as the activations
were; the paper uses 0.5, more for models with stronger outliers. Both maxima are floored at
10⁻⁵ (SmoothQuant's code does the same) so an all-zero channel gets a finite scale.

Where the division can live in a deployment: when X comes straight from a LayerNorm, the
division folds into its γ and β (``attention`` — read by query, key and value, which share
one ``s`` computed from their weights together — and ``ffn``, read by
intermediate.dense). The attention output's input (``context``) could be folded into the
value projection's rows; the FFN's second Linear reads GELU's output, whose division
cannot be folded anywhere (it would cost one multiply per activation at run time). quantviz
smooths every Linear input by default (``scope="all"``, a simulation of what smoothing
could do) or only the LayerNorm-fed ones (``scope="layernorm"``, what ships).
"""

from __future__ import annotations

import numpy as np

from quantviz.errors import InputError
from quantviz.models.transformer.bert import LAYERNORM_FED

SCOPES = ("all", "layernorm")
FLOOR = 1e-5


def check_alpha(alpha: object) -> float:
    """α as a float in [0, 1] (InputError otherwise)."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.integer | np.floating):
        raise InputError(f"smooth must be a number α from 0 to 1 (or None), not {alpha!r}.")
    if not 0.0 <= float(alpha) <= 1.0:
        raise InputError(f"smooth (SmoothQuant's α) must be from 0 to 1; got {alpha}.")
    return float(alpha)


def smooth_scales(act_absmax: np.ndarray, weight_absmax: np.ndarray, alpha: float) -> np.ndarray:
    """``s_j = max|X_j|^α / max|W_j|^(1−α)`` per input channel j (float32).

    ``act_absmax`` is each input channel's max |x| over calibration tokens; ``weight_absmax``
    each weight column's max |w| over output rows (over every Linear that reads the input).
    """
    a = np.maximum(np.asarray(act_absmax, dtype=np.float64), FLOOR)
    w = np.maximum(np.asarray(weight_absmax, dtype=np.float64), FLOOR)
    return (a**alpha / w ** (1.0 - alpha)).astype(np.float32)


def weight_absmax(weights: list[np.ndarray]) -> np.ndarray:
    """Each input channel's max |w| over the rows of every weight that reads the input."""
    return np.max([np.abs(w).max(axis=0) for w in weights], axis=0)


def smoothed(input_kind: str, scope: str) -> bool:
    """Whether an input (``attention``, ``context``, ``ffn``, ``gelu``) is smoothed in
    ``scope`` (``"all"``, or ``"layernorm"``: only the inputs a LayerNorm feeds)."""
    if scope not in SCOPES:
        raise InputError(f'smooth_scope must be "all" or "layernorm", not {scope!r}.')
    return scope == "all" or input_kind in LAYERNORM_FED
