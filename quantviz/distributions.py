"""Named synthetic weight distributions, seeded and reproducible.

Quantization error depends on the *shape* of the values being quantized: where
most values sit, how far the tails reach, whether the range is symmetric, and
whether parts of a tensor live on very different scales. Each distribution here
isolates one of those effects so it can be seen on its own.

>>> x = sample("laplace", n=1_000, seed=0)
>>> x.dtype, x.shape
(dtype('float32'), (1000,))

The same ``(name, n, seed, params)`` always gives the same array: values are
drawn in float64 from ``numpy.random.default_rng(seed)`` and then cast to
float32. Every distribution returns shape ``(n,)`` except ``"layer"``, which
returns a ``(rows, layer_columns(n, rows))`` matrix.

Available, in teaching order: ``normal``, ``uniform``, ``laplace``,
``student_t``, ``outliers``, ``bimodal``, ``lognormal``, ``layer``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from quantviz.errors import InputError
from quantviz.params import Param, check_params

__all__ = [
    "MAX_SAMPLES",
    "Distribution",
    "Param",
    "distributions",
    "get_distribution",
    "min_samples",
    "sample",
]

MAX_SAMPLES = 50_000_000
"""Largest ``n`` that :func:`sample` accepts (about 200 MB of float32)."""

LAYER_COLUMN_MULTIPLE = 128
"""Rows of the ``"layer"`` matrix hold a multiple of this many values (when they can)."""

LAYER_BASE_STD = 0.02
"""Median standard deviation of a row of the ``"layer"`` distribution."""


@dataclass(frozen=True)
class Distribution:
    """A named synthetic distribution and its parameters.

    Attributes
    ----------
    name : str
        Public identifier passed to :func:`sample` (also used in app URLs).
    description : str
        One line: what the values look like.
    params : tuple of Param
        The parameters :func:`sample` accepts for this distribution.
    """

    name: str
    description: str
    params: tuple[Param, ...]

    def defaults(self) -> dict[str, float]:
        """Return ``{parameter name: default value}``."""
        return {p.name: p.default for p in self.params}


Sampler = Callable[..., np.ndarray]


# ---------------------------------------------------------------- samplers --
# Each sampler receives a fresh generator, n and the validated parameters,
# and returns float64 values. The order of draws is part of reproducibility:
# do not reorder them.


def _normal(rng: np.random.Generator, n: int, *, std: float) -> np.ndarray:
    """Gaussian with mean 0 and standard deviation ``std``."""
    return rng.normal(0.0, std, size=n)


def _uniform(rng: np.random.Generator, n: int, *, half_width: float) -> np.ndarray:
    """Uniform on ``[-half_width, half_width]``."""
    return rng.uniform(-half_width, half_width, size=n)


def _laplace(rng: np.random.Generator, n: int, *, scale: float) -> np.ndarray:
    """Laplace with mean 0 and scale ``b`` (standard deviation ``b * sqrt(2)``)."""
    return rng.laplace(0.0, scale, size=n)


def _student_t(rng: np.random.Generator, n: int, *, df: float, scale: float) -> np.ndarray:
    """Student's t with ``df`` degrees of freedom, multiplied by ``scale``."""
    return scale * rng.standard_t(df, size=n)


def _outliers(rng: np.random.Generator, n: int, *, fraction: float, magnitude: float) -> np.ndarray:
    """Standard normal with ``k = floor(fraction * n + 0.5)`` values set to ±magnitude.

    ``k`` is ``fraction * n`` rounded half up, so there is at least one outlier
    whenever ``fraction * n >= 0.5`` (and none when ``fraction`` is 0). The ``k``
    positions are distinct and chosen uniformly; each outlier is exactly
    ``+magnitude`` or ``-magnitude`` with probability 1/2 each.
    """
    x = rng.standard_normal(n)
    k = min(n, math.floor(fraction * n + 0.5))
    if k > 0:
        where = rng.choice(n, size=k, replace=False)
        signs = rng.choice(np.array([-1.0, 1.0]), size=k)
        x[where] = signs * magnitude
    return x


def _bimodal(rng: np.random.Generator, n: int, *, separation: float, weight: float) -> np.ndarray:
    """Mixture of N(-separation/2, 1) and N(+separation/2, 1); ``weight`` on the right."""
    x = rng.standard_normal(n)
    right = rng.random(n) < weight
    x -= separation / 2
    x[right] += separation
    return x


def _lognormal(rng: np.random.Generator, n: int, *, sigma: float) -> np.ndarray:
    """``exp(N(0, sigma^2))``: strictly positive, median 1, long right tail."""
    return rng.lognormal(0.0, sigma, size=n)


def layer_columns(n: int, rows: int) -> int:
    """Columns of the ``"layer"`` matrix: ``n // rows``, rounded down to a multiple of 128
    when there are at least 128, as real hidden sizes are (384, 768, 4096...), so that
    the usual group sizes 32, 64 and 128 divide a row.

    >>> layer_columns(100_000, 64)
    1536
    """
    cols = n // rows
    return cols - cols % LAYER_COLUMN_MULTIPLE if cols >= LAYER_COLUMN_MULTIPLE else cols


def _layer(rng: np.random.Generator, n: int, *, rows: int, row_spread: float) -> np.ndarray:
    """A ``(rows, layer_columns(n, rows))`` weight matrix whose rows have different scales.

    Row ``i`` has standard deviation ``0.02 * exp(row_spread * z_i)`` with
    ``z_i ~ N(0, 1)`` (a lognormal spread of row scales), and its values are
    Laplace with that standard deviation.
    """
    cols = layer_columns(n, rows)
    row_std = LAYER_BASE_STD * np.exp(row_spread * rng.standard_normal(rows))
    x = rng.laplace(0.0, 1.0 / math.sqrt(2.0), size=(rows, cols))
    x *= row_std[:, None]
    return x


# ------------------------------------------------------------------- table --

_TABLE: tuple[tuple[Distribution, Sampler], ...] = (
    (
        Distribution(
            name="normal",
            description="The bell curve: most values near 0, very few far away.",
            params=(Param("std", 1.0, 0.01, 10.0, "Standard deviation (width of the bell)."),),
        ),
        _normal,
    ),
    (
        Distribution(
            name="uniform",
            description="Every value between -w and w is equally likely.",
            params=(
                Param("half_width", 1.0, 0.01, 10.0, "Values lie in [-half_width, half_width]."),
            ),
        ),
        _uniform,
    ),
    (
        Distribution(
            name="laplace",
            description=("The usual shape of trained weights: a sharp peak and heavier tails."),
            params=(
                Param(
                    "scale",
                    1.0 / math.sqrt(2.0),
                    0.01,
                    10.0,
                    "Scale b; the standard deviation is b·√2 (default gives std 1).",
                ),
            ),
        ),
        _laplace,
    ),
    (
        Distribution(
            name="student_t",
            description="Like the bell curve, but with rare values very far from 0.",
            params=(
                Param("df", 3.0, 1.0, 30.0, "Degrees of freedom: small means heavier tails."),
                Param("scale", 1.0, 0.01, 10.0, "Multiplies every value."),
            ),
        ),
        _student_t,
    ),
    (
        Distribution(
            name="outliers",
            description=(
                "A bell curve where a few values, scattered at random, are huge: one of them "
                "sets the whole min-max range."
            ),
            params=(
                Param("fraction", 0.001, 0.0, 0.05, "Share of values replaced by outliers."),
                Param("magnitude", 20.0, 2.0, 100.0, "Outlier size, in standard deviations."),
            ),
        ),
        _outliers,
    ),
    (
        Distribution(
            name="bimodal",
            description="Two bell curves side by side, with a gap in between.",
            params=(
                Param("separation", 4.0, 0.0, 10.0, "Distance between the two peaks."),
                Param("weight", 0.5, 0.0, 1.0, "Share of values in the right-hand peak."),
            ),
        ),
        _bimodal,
    ),
    (
        Distribution(
            name="lognormal",
            description="Only positive values, bunched near 1 with a long tail to the right.",
            params=(Param("sigma", 0.5, 0.05, 2.0, "Spread of log(x): larger means more skewed."),),
        ),
        _lognormal,
    ),
    (
        Distribution(
            name="layer",
            description=("A weight matrix whose rows (output channels) have very different sizes."),
            params=(
                Param("rows", 64, 1, 1024, "Number of rows (output channels).", integer=True),
                Param("row_spread", 1.0, 0.0, 2.0, "How much row scales differ (0: all equal)."),
            ),
        ),
        _layer,
    ),
)

_BY_NAME: dict[str, tuple[Distribution, Sampler]] = {d.name: (d, f) for d, f in _TABLE}


# -------------------------------------------------------------- public API --


def distributions() -> tuple[Distribution, ...]:
    """List the available distributions in teaching order.

    Returns
    -------
    tuple of Distribution
        ``normal``, ``uniform``, ``laplace``, ``student_t``, ``outliers``,
        ``bimodal``, ``lognormal``, ``layer``.
    """
    return tuple(d for d, _ in _TABLE)


def get_distribution(name: str) -> Distribution:
    """Return the distribution called ``name``.

    Raises
    ------
    InputError
        If there is no distribution with that name (the message lists them).
    """
    entry = _BY_NAME.get(name) if isinstance(name, str) else None
    if entry is None:
        raise InputError(f"Unknown distribution {name!r}. Choose one of: {', '.join(_BY_NAME)}.")
    return entry[0]


def sample(name: str, n: int = 100_000, seed: int = 0, **params: float) -> np.ndarray:
    """Draw ``n`` reproducible float32 values from a named distribution.

    Parameters
    ----------
    name : str
        One of the names listed by :func:`distributions`:

        - ``"normal"`` (``std``): the bell curve, the reference case.
        - ``"uniform"`` (``half_width``): values in ``[-w, w]``, the best case
          for a uniform integer grid.
        - ``"laplace"`` (``scale`` b, default ``1/√2`` so the std is 1): the
          usual shape of trained weights, a sharp peak and heavier tails.
        - ``"student_t"`` (``df``, ``scale``): heavy tails; ``scale`` multiplies
          a standard t variable (its std is ``scale·√(df/(df-2))`` for df > 2).
        - ``"outliers"`` (``fraction``, ``magnitude``): standard normal where
          ``floor(fraction·n + 0.5)`` distinct, randomly placed values are
          replaced by exactly ``±magnitude`` (random sign). So there is at least
          one outlier whenever ``fraction·n >= 0.5``.
        - ``"bimodal"`` (``separation``, ``weight``): two unit-std normals at
          ``±separation/2``; ``weight`` is the share in the right-hand one.
        - ``"lognormal"`` (``sigma``): ``exp(N(0, sigma²))``, strictly positive.
        - ``"layer"`` (``rows``, ``row_spread``): a ``(rows, layer_columns(n, rows))`` matrix
          like a Linear layer's weight; row ``i`` is Laplace with std
          ``0.02·exp(row_spread·z_i)``, ``z_i ~ N(0, 1)``.
    n : int
        Number of values, from 1 to 50,000,000 (a Python or NumPy integer;
        floats such as ``1e5`` are refused). For ``"layer"`` it must be at least
        ``rows``; the matrix has ``layer_columns(n, rows)`` columns (``n // rows``
        rounded down to a multiple of 128 once there are 128 or more).
    seed : int
        Non-negative integer seed for ``numpy.random.default_rng``.
    **params : float
        The distribution's parameters; missing ones take their defaults. Each
        must be a finite number within the range listed by
        :func:`distributions`; integer parameters must be whole numbers.

    Returns
    -------
    numpy.ndarray
        float32 values of shape ``(n,)``, or ``(rows, layer_columns(n, rows))`` for ``"layer"``.
        Identical for identical arguments.

    Raises
    ------
    InputError
        For an unknown name or parameter, a parameter outside its range, or an
        invalid ``n`` or ``seed``. The message says what is wrong and what is valid.

    Examples
    --------
    >>> x = sample("outliers", n=10_000, seed=1, fraction=0.001)
    >>> int((abs(x) == 20).sum())
    10
    """
    dist = get_distribution(name)
    _, sampler = _BY_NAME[name]
    n = _check_n(n)
    seed = _check_seed(seed)
    values = check_params(f"distribution {dist.name!r}", dist.params, params)
    if n < min_samples(name, **values):
        raise InputError(
            f"n ({n}) must be at least the number of rows ({values['rows']}) "
            "for the 'layer' distribution."
        )
    rng = np.random.default_rng(seed)
    x = sampler(rng, n, **values).astype(np.float32)
    if dist.name == "uniform":
        # Casting to float32 may round a value just inside ±w onto a float32
        # slightly outside it; keep the promise that values lie in [-w, w].
        w = _float32_at_most(values["half_width"])
        np.clip(x, -w, w, out=x)
    return x


def min_samples(name: str, **params: float) -> int:
    """The fewest values :func:`sample` draws from ``name`` with these parameters.

    ``"layer"``: one value per row at least, so ``rows`` (default 64); every other
    distribution: 1.

    Raises
    ------
    InputError
        For an unknown name or parameter, or a parameter outside its range.

    Examples
    --------
    >>> min_samples("layer", rows=1024)
    1024
    """
    dist = get_distribution(name)
    values = check_params(f"distribution {dist.name!r}", dist.params, params)
    return int(values["rows"]) if dist.name == "layer" else 1


# -------------------------------------------------------------- validation --


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _check_n(n: object) -> int:
    if not _is_integer(n):
        raise InputError(
            f"n must be a whole number of values between 1 and {MAX_SAMPLES:,} "
            f"(got {n!r} of type {type(n).__name__})."
        )
    n = int(n)  # type: ignore[call-overload]
    if not 1 <= n <= MAX_SAMPLES:
        raise InputError(f"n must be between 1 and {MAX_SAMPLES:,} (got {n:,}).")
    return n


def _check_seed(seed: object) -> int:
    if not _is_integer(seed) or int(seed) < 0:  # type: ignore[call-overload]
        raise InputError(f"seed must be a non-negative whole number such as 0 (got {seed!r}).")
    return int(seed)  # type: ignore[call-overload]


def _float32_at_most(value: float) -> np.float32:
    """Largest float32 that is not greater than ``value``."""
    f = np.float32(value)
    if float(f) > value:
        f = np.nextafter(f, np.float32(-np.inf))
    return f
