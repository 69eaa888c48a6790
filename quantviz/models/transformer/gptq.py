"""GPTQ (Frantar et al., 2023): round each weight column knowing what the rounding does to
the layer's output, and let the columns not yet rounded absorb the error.

A Linear ``Y = X·Wᵀ`` is judged by its output, not its weights: GPTQ looks for codes Ŵ on
a fixed grid that make ``‖X·Wᵀ − X·Ŵᵀ‖²`` small. With ``H = 2·XᵀX`` (in × in, from
calibration tokens; XᵀX is :class:`~quantviz.models.transformer.activations.InputStats`'
``gram``), one row's output error is ``½·Δw·H·Δwᵀ`` — a quadratic in the weight error
Δw whose cross terms say how an error in one column can be cancelled by others. The
algorithm (the paper's, in the order of its reference code):

1. dampen: ``H += λ·mean(diag H)·I`` (λ = 0.01), so that H is safely invertible;
   a column no calibration token uses (``H_jj = 0``) gets ``H_jj = 1`` first;
2. optionally reorder the columns by decreasing ``H_jj`` ("act-order": the columns that
   meet the largest inputs are rounded first, while most columns can still absorb error);
3. ``U`` = the upper Cholesky factor of ``H⁻¹`` (``H⁻¹ = UᵀU``);
4. for each column i in turn: ``q_i = round(w_i)`` on the column's grid, then every later
   column j moves by ``−(w_i − q_i)/U_ii · U_ij`` (the optimal correction for the columns
   left, Optimal Brain Surgeon's update in Cholesky form). Columns are processed in blocks
   of 128: inside a block the update is applied column by column, to the columns after the
   block once per block (the same arithmetic, fewer passes over memory).

The grid (a scale and zero point per row, or per row and group of columns) is fixed before
the first column: here it is exactly round-to-nearest's grid from :func:`quantviz.quantize`
(min-max per channel or group), so GPTQ differs from RTN only in which level each weight
rounds to (the reference code's ``static_groups`` for groups). With a diagonal H
(uncorrelated inputs) nothing moves and GPTQ *is* RTN.

The Hessians here come from the float model's calibration activations (computed once and
kept), where the reference code quantizes the layers one after the other and feeds each
the already-quantized model's activations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from quantviz.errors import InputError
from quantviz.quantizer import dequantize, quantize_codes

F32 = np.float32
BLOCK = 128
DAMP = 0.01


@dataclass(frozen=True)
class Grid:
    """A fixed integer grid for a weight ``(out, in)``: ``scale`` and ``zero_point`` of shape
    ``(out, groups)``; column j uses group ``j // group_size``; codes in ``[qmin, qmax]``."""

    scale: np.ndarray
    zero_point: np.ndarray
    group_size: int
    qmin: int
    qmax: int

    @classmethod
    def of(
        cls, scale: np.ndarray, zero_point: np.ndarray, shape: tuple[int, int], qmin: int,
        qmax: int,
    ) -> Grid:  # fmt: skip
        """From :func:`quantviz.quantize`'s ``scale``/``zero_point`` of a weight of ``shape``:
        one value (per tensor), one per row (per channel, axis 0) or ``(rows, groups)``."""
        out, width = shape
        scale = np.asarray(scale, dtype=F32)
        zero_point = np.asarray(zero_point, dtype=np.int64)
        if scale.ndim == 0:
            scale, zero_point = np.full((out, 1), scale), np.full((out, 1), zero_point)
        elif scale.ndim == 1:
            if scale.shape[0] != out:
                raise InputError("GPTQ needs one scale per output row (per channel on axis 0).")
            scale, zero_point = scale[:, None], zero_point[:, None]
        groups = scale.shape[1]
        if width % groups:
            raise InputError(f"{groups} groups do not divide {width} columns.")
        return cls(scale, zero_point, width // groups, int(qmin), int(qmax))

    def column(self, w: np.ndarray, j: int) -> np.ndarray:
        """Round column ``j``'s values ``w`` ``(out,)`` to nearest on its grid: x̂ (float32)."""
        g = j // self.group_size
        s, z = self.scale[:, g], self.zero_point[:, g]
        codes, _ = quantize_codes(w.astype(F32), s, z, self.qmin, self.qmax)
        return dequantize(codes, s, z)

    def round_to_nearest(self, weight: np.ndarray) -> np.ndarray:
        """Every column rounded to nearest (RTN), for comparison."""
        s = np.repeat(self.scale, self.group_size, axis=1)
        z = np.repeat(self.zero_point, self.group_size, axis=1)
        codes, _ = quantize_codes(np.asarray(weight, dtype=F32), s, z, self.qmin, self.qmax)
        return dequantize(codes, s, z)


def gptq(
    weight: np.ndarray, hessian: np.ndarray, grid: Grid, *, act_order: bool = False,
    damp: float = DAMP, block: int = BLOCK,
) -> np.ndarray:  # fmt: skip
    """GPTQ's quantized weight ``(out, in)`` (dequantized, float32), on ``grid``.

    ``hessian`` is ``H = 2·XᵀX`` (or any positive multiple of XᵀX: the result is the same)
    over calibration tokens, ``(in, in)``.
    """
    w = np.array(weight, dtype=np.float64)
    h = np.array(hessian, dtype=np.float64)
    n = w.shape[1]
    if h.shape != (n, n):
        raise InputError(f"The Hessian must be {n}×{n} for a weight with {n} columns.")
    dead = np.diag(h) == 0
    h[dead, dead] = 1.0
    order = np.argsort(-np.diag(h), kind="stable") if act_order else np.arange(n)
    w = w[:, order]
    h = h[np.ix_(order, order)]
    h[np.diag_indices(n)] += damp * np.mean(np.diag(h))
    with threadpool_limits(limits=1, user_api="blas"):  # as the forward pass (model.py)
        u = np.linalg.cholesky(np.linalg.inv(h)).T  # upper: H⁻¹ = UᵀU
    q = np.zeros_like(w)
    for i1 in range(0, n, block):
        i2 = min(i1 + block, n)
        w1 = w[:, i1:i2].copy()
        err1 = np.zeros_like(w1)
        u1 = u[i1:i2, i1:i2]
        for i in range(i2 - i1):
            col = w1[:, i]
            qi = grid.column(col, int(order[i1 + i]))
            q[:, i1 + i] = qi
            e = (col - qi) / u1[i, i]
            w1[:, i:] -= np.outer(e, u1[i, i:])
            err1[:, i] = e
        w[:, i2:] -= err1 @ u[i1:i2, i2:]
    out = np.empty_like(q)
    out[:, order] = q
    return out.astype(F32)


def output_error(delta: np.ndarray, gram: np.ndarray) -> float:
    """``‖ΔW·Xᵀ‖² = trace(ΔW·G·ΔWᵀ)`` summed over tokens, for ``G = XᵀX``."""
    d = np.asarray(delta, dtype=np.float64)
    return float(np.einsum("ij,ij->", d @ gram, d))
