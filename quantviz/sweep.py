"""Sweep: the same tensor at many bit widths and range strategies, as one table."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from quantviz.errors import InputError
from quantviz.metrics import sqnr_rule_db
from quantviz.pipeline import quantize
from quantviz.ranges import get_strategy
from quantviz.tensor import as_weights


def sqnr_uniform_db(bits: int | np.ndarray) -> float | np.ndarray:
    """The SQNR of data spread evenly over its range on a ``bits``-bit min-max grid:
    ``20 · log10(2**bits − 1)`` dB.

    Levels sit at both ends of the range, so ``2**bits`` levels make ``2**bits − 1``
    steps: uniform data on ``[−A, A]`` has power ``A²/3``, the step is
    ``Δ = 2A / (2**bits − 1)`` and the rounding noise ``Δ²/12``, so the ratio is
    ``(2**bits − 1)²``. 1 bit: 0 dB, 2: 9.5, 4: 23.5, 8: 48.1. It approaches the
    textbook 6.02 dB per bit (:func:`quantviz.sqnr_rule_db`) from about 6 bits.
    """
    b = np.asarray(bits, dtype=np.float64)
    return 20.0 * np.log10(2.0**b - 1.0)


def sweep(
    x: object,
    bits: Iterable[int] = range(1, 9),
    strategies: Iterable[str] = ("minmax", "percentile", "mse"),
    symmetric: bool | Iterable[bool] = False,
    **options: object,
) -> pd.DataFrame:
    """Quantize ``x`` for every combination of ``bits`` × ``strategies`` × ``symmetric``.

    ``options`` go to :func:`quantviz.quantize` unchanged (granularity, axis,
    group_size, narrow_range, rounding, percentile, ...). A narrow-range sweep
    leaves out 1 bit, where a narrow grid would have a single code.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``strategy``, ``symmetric``, ``bits``, the
        clipping range ``low``/``high`` and, per tensor, ``scale`` and
        ``zero_point``; every metric of ``QuantResult.metrics``; and
        ``sqnr_rule_db``, the 6.02 dB-per-bit line, and ``sqnr_uniform_db``, what data
        spread evenly over its range reaches (:func:`sqnr_uniform_db`).
    """
    x = as_weights(x)
    bits = [int(b) for b in bits]
    strategies = list(strategies)
    schemes = [symmetric] if isinstance(symmetric, bool | np.bool_) else list(symmetric)
    if not bits or not strategies or not schemes:
        raise InputError("sweep needs at least one bit width, one strategy and one scheme.")
    for name in strategies:
        get_strategy(name)  # unknown names fail before any work is done
    rows = []
    for name in strategies:
        for sym in schemes:
            for b in bits:
                if b == 1 and sym and options.get("narrow_range"):
                    continue  # a narrow 1-bit grid has a single code: no such quantizer
                r = quantize(x, b, symmetric=sym, strategy=name, **options)
                per_tensor = np.ndim(r.scale) == 0
                rows.append(
                    {
                        "strategy": name,
                        "symmetric": bool(sym),
                        "bits": b,
                        "low": r.low if per_tensor else float(np.min(r.low)),
                        "high": r.high if per_tensor else float(np.max(r.high)),
                        "scale": r.scale if per_tensor else np.nan,
                        "zero_point": r.zero_point if per_tensor else np.nan,
                        **r.metrics,
                        "sqnr_rule_db": float(sqnr_rule_db(b)),
                        "sqnr_uniform_db": float(sqnr_uniform_db(b)),
                    }
                )
    return pd.DataFrame(rows)
