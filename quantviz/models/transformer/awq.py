"""AWQ (Lin et al., 2024): protect the weights that meet large activations by scaling them up
before rounding.

A Linear ``Y = X·Wᵀ`` equals ``(X·diag(s)⁻¹)·(W·diag(s))ᵀ`` for any positive ``s``. AWQ
quantizes ``W·diag(s)`` and divides the result back: the effective weight is
``Q(W·diag(s))·diag(s)⁻¹``. A column j with ``s_j > 1`` is rounded on a grid that is
``s_j`` times finer *for it* (relative to its values), so the columns that meet the largest
activations — the salient ones, whose errors the output feels most — keep more precision,
at the cost of the others (which share the same scale per row or group). The scales come
from the activations alone:

    s_j = mean|X_j|^α,   then   s ← s / √(max s · min s)

(the mean of |x| over calibration tokens, floored at 10⁻⁴; the normalisation keeps s
centred around 1), with α chosen on the grid 0, 1/20, …, 19/20 to minimise the layer's
output error ``‖X·(Ŵ − W)ᵀ‖²`` on calibration tokens. α = 0 gives s = 1: round-to-nearest,
so AWQ's output error is never above RTN's. No back-propagation, no reordering.

Here each Linear gets its own s (the reference code shares one s between the Linears that
read the same input, q/k/v, so that the division can be folded into the LayerNorm before
them); the division is taken into the effective weight (a simulation: activations see X
as it is), and AWQ's second step (a search for a clipping range per group) is not done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from quantviz.models.transformer.gptq import output_error

F32 = np.float32
N_GRID = 20
FLOOR = 1e-4


@dataclass(frozen=True)
class AwqResult:
    """The search's outcome: the effective ``weight`` (float32, already divided by s), the
    chosen ``alpha``, the ``scales`` s, and the output error at every α tried (``errors``,
    for α = ``alphas``)."""

    weight: np.ndarray
    alpha: float
    scales: np.ndarray
    alphas: np.ndarray
    errors: np.ndarray


def awq_scales(mean_abs: np.ndarray, alpha: float) -> np.ndarray:
    """``s = mean|X|^α`` (floored at 10⁻⁴), divided by ``√(max s · min s)``; float32."""
    s = np.maximum(np.asarray(mean_abs, dtype=np.float64), FLOOR) ** alpha
    return (s / np.sqrt(s.max() * s.min())).astype(F32)


def awq(
    weight: np.ndarray, mean_abs: np.ndarray, gram: np.ndarray,
    quantize: Callable[[np.ndarray], np.ndarray], n_grid: int = N_GRID,
) -> AwqResult:  # fmt: skip
    """Search α for one Linear.

    ``mean_abs`` is each input channel's mean |x| over calibration tokens, ``gram`` their
    ``XᵀX``; ``quantize`` maps a weight matrix to its dequantized quantization (the same
    settings as round-to-nearest).
    """
    alphas = np.arange(n_grid) / n_grid
    errors = np.empty(n_grid)
    best = None
    for i, alpha in enumerate(alphas):
        s = awq_scales(mean_abs, float(alpha))
        w_eff = (quantize(weight * s) / s).astype(F32)
        errors[i] = output_error(w_eff - weight, gram)
        if best is None or errors[i] < errors[best[0]]:
            best = (i, w_eff, s)
    i, w_eff, s = best
    return AwqResult(w_eff, float(alphas[i]), s, alphas, errors)
