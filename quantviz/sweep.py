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
        ``sqnr_rule_db``, the 6.02 dB-per-bit reference line.
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
                    }
                )
    return pd.DataFrame(rows)
