"""Range strategies (calibration): data → the clipping range ``[low, high]`` of each row.

Choosing the range is a separate step from applying the grid, as in PyTorch's
observers: a strategy only looks at the values and returns where to clip. A narrow
range gives fine steps but clips the tails; a wide one keeps every value but spends
levels on empty space.

Every strategy works on a 2-D array of *rows* (one row per scale: a tensor, a channel
or a group, see :mod:`quantviz.granularity`) and returns one ``low`` and one ``high``
per row as float64 arrays. One module per family:

- :mod:`~quantviz.ranges.simple`: closed forms (min-max, percentile, k sigma, ACIQ,
  manual);
- :mod:`~quantviz.ranges.mse`: the MSE-optimal range (its fast search engine is
  :mod:`~quantviz.ranges.search`);
- :mod:`~quantviz.ranges.entropy`: TensorRT's KL calibration;
- :mod:`~quantviz.ranges.histogram`: the 2048-bin histograms they count.

This module is the table: :func:`strategies`, :func:`get_strategy` and
:func:`clipping_range`, which checks a strategy's settings and dispatches. ``low`` and
``high`` given to any strategy but ``"manual"`` are refused: they would be ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantviz.errors import InputError
from quantviz.params import Param, check_params
from quantviz.ranges.entropy import entropy_range, entropy_threshold
from quantviz.ranges.histogram import HIST_BINS
from quantviz.ranges.mse import exact_sse, expected_sse, mse_range
from quantviz.ranges.simple import (
    Range,
    Rows,
    aciq_alpha,
    aciq_range,
    manual_range,
    minmax_range,
    percentile_range,
    sigma_range,
)


@dataclass(frozen=True)
class Strategy:
    """A named range strategy, described for the API listing and the app's controls.

    Attributes
    ----------
    name : str
        Identifier used by ``quantize(strategy=...)`` and in shared links.
    description : str
        The rule in one sentence.
    reference : str
        The library or paper whose rule this follows.
    params : tuple of Param
        Numeric knobs of the strategy (``quantize`` takes them as keywords).
    granularities : tuple of str
        Granularities the strategy supports.
    """

    name: str
    description: str
    reference: str
    params: tuple[Param, ...] = ()
    granularities: tuple[str, ...] = ("tensor", "channel", "group")


PERCENTILE = Param("percentile", 99.99, 50.0, 100.0, "Percent of the values kept inside the range.")
N_SIGMA = Param("n_sigma", 3.0, 0.5, 10.0, "Half-width of the range in standard deviations.")

STRATEGIES: tuple[Strategy, ...] = (
    Strategy(
        "minmax",
        "Use the smallest and largest value: no value is more than half a step from a "
        "level, but one outlier stretches every step.",
        "PyTorch MinMaxObserver; TensorRT 'max' calibrator",
    ),
    Strategy(
        "percentile",
        "Keep the central p % of the values and clip the rest.",
        "TensorRT / ModelOpt histogram calibrator (99.99); ONNX Runtime (99.999)",
        params=(PERCENTILE,),
    ),
    Strategy(
        "mse",
        "Search the range with the smallest mean squared error "
        "at this bit width: the best trade between clipping and coarse steps.",
        "PyTorch HistogramObserver's L2 search; ModelOpt MSE calibrator",
    ),
    Strategy(
        "entropy",
        "Pick the threshold whose quantized histogram loses the least information (KL divergence).",
        "TensorRT entropy calibration (2048 bins)",
        granularities=("tensor",),
    ),
    Strategy(
        "sigma",
        "Clip at k standard deviations around the mean.",
        "common rule of thumb",
        params=(N_SIGMA,),
    ),
    Strategy(
        "aciq_laplace",
        "Analytic optimal clipping if the values follow a Laplace distribution.",
        "Banner et al., ACIQ (NeurIPS 2019)",
    ),
    Strategy(
        "aciq_gaussian",
        "Analytic optimal clipping if the values follow a Gaussian distribution.",
        "Banner et al., ACIQ (NeurIPS 2019)",
    ),
    Strategy(
        "manual",
        "Set the clipping range yourself: feel 'too narrow' "
        "(clipping) against 'too wide' (coarse steps).",
        "—",
    ),
)
_BY_NAME = {s.name: s for s in STRATEGIES}


def strategies() -> tuple[Strategy, ...]:
    """The available range strategies, in teaching order."""
    return STRATEGIES


def get_strategy(name: str) -> Strategy:
    """The :class:`Strategy` called ``name``, or :class:`InputError` listing the valid names."""
    if name not in _BY_NAME:
        raise InputError(f"Unknown range strategy {name!r}; choose one of: {', '.join(_BY_NAME)}.")
    return _BY_NAME[name]


def clipping_range(
    rows: Rows,
    strategy: str,
    *,
    bits: int,
    symmetric: bool,
    narrow_range: bool = False,
    granularity: str = "tensor",
    low: float | None = None,
    high: float | None = None,
    **params: float,
) -> Range:
    """Apply the range strategy ``strategy`` to every row of ``rows``.

    Parameters are validated here (unknown names and out-of-range values raise
    :class:`InputError`); ``low`` and ``high`` are for ``strategy="manual"`` only,
    and passing them with another strategy is an :class:`InputError` (they would
    be ignored).
    """
    spec = get_strategy(strategy)
    if granularity not in spec.granularities:
        raise InputError(
            f"The {strategy!r} strategy works per tensor only (as in TensorRT); "
            f"choose granularity 'tensor' or another strategy."
        )
    if strategy != "manual" and (low is not None or high is not None):
        raise InputError(
            f"low and high set the clipping range only with strategy='manual'; "
            f"strategy {strategy!r} chooses its own range."
        )
    values = check_params(f"strategy {strategy!r}", spec.params, params)
    if strategy == "minmax":
        return minmax_range(rows)
    if strategy == "percentile":
        return percentile_range(rows, symmetric=symmetric, **values)
    if strategy == "sigma":
        return sigma_range(rows, symmetric=symmetric, **values)
    if strategy == "mse":
        return mse_range(rows, bits=bits, symmetric=symmetric, narrow_range=narrow_range)
    if strategy == "entropy":
        return entropy_range(rows, bits=bits, symmetric=symmetric)
    if strategy.startswith("aciq_"):
        prior = strategy.removeprefix("aciq_")
        return aciq_range(rows, bits=bits, symmetric=symmetric, prior=prior)
    return manual_range(rows, low=low, high=high)


__all__ = [
    "HIST_BINS",
    "STRATEGIES",
    "Strategy",
    "aciq_alpha",
    "clipping_range",
    "entropy_threshold",
    "exact_sse",
    "expected_sse",
    "get_strategy",
    "mse_range",
    "strategies",
]
