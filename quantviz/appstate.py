"""The app's settings as one value: read from a shared link, checked against the data, written back.

Everything a page of ``app.py`` shows is a function of one :class:`Settings`.
This module turns a URL query (``?dist=laplace&bits=4&symmetric=true``) into
validated settings and back, and fits settings to the tensor at hand (a
granularity the tensor cannot have, a group size that does not divide it). It
is pure Python: no streamlit, no matplotlib, so a shared link can be checked in
a notebook or a test.

URL parameters (all optional; a value that cannot be used is ignored and
reported, never raised):

=============  ==============================================================
``dist``       distribution name (``qv.distributions()``), e.g. ``laplace``
*param names*  that distribution's parameters, e.g. ``scale=0.5``, ``df=3``
``n``          sample size, one of :data:`SAMPLE_SIZES`
``seed``       non-negative whole number
``bits``       1 … 16
``symmetric``  ``true`` / ``false`` (zero point 0, signed codes)
``narrow``     ``true`` / ``false`` (symmetric narrow range; implies symmetric)
``strategy``   range strategy name (``qv.strategies()``)
``percentile`` ``n_sigma``  the strategy parameters
``low`` ``high``  the manual clipping range
``granularity``  ``tensor`` / ``channel`` / ``group``
``axis``       channel axis;  ``group_size``  values per group
``rounding``   ``nearest`` / ``stochastic``
``log``        ``true`` / ``false``: log counts in the histograms
``compare``    comma-separated strategies drawn in the trade-off view
``source``     ``synthetic`` (default: the distribution above), ``sample`` (the
               shipped MiniLM-L6 tensors) or ``file`` (an upload, which a link
               cannot carry: reported and ignored)
``tensor``     for ``source=sample``: the tensor's name in the file
=============  ==============================================================

With ``source=sample`` (or ``file``) the link carries the tensor and the
quantization settings, not the distribution, its parameters or the sample size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import quantviz as qv

SAMPLE_SIZES: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000)
"""Sample sizes the app offers (and a link may carry)."""

MAX_SEED = 2**32 - 1
MAX_AXIS = 7
SCHEMES: tuple[str, ...] = ("asymmetric", "symmetric", "narrow")
"""The app's scheme choice: affine, symmetric, symmetric narrow range."""

ROUNDINGS: tuple[str, ...] = ("nearest", "stochastic")
DEFAULT_COMPARE: tuple[str, ...] = ("minmax", "percentile", "aciq_laplace")
"""Strategies drawn in the trade-off view when the link names none (all fast to sweep)."""

SOURCES: tuple[str, ...] = ("synthetic", "sample", "file")
"""Where the tensor comes from: a distribution, the shipped sample file, an uploaded file."""

SAMPLE_NAME = "minilm-l6"
"""The shipped sample's name in source keys (``assets/minilm-l6-sample.safetensors``)."""

MAX_TENSOR_NAME = 500
"""Longest tensor name a link may carry."""

_PERCENTILE = qv.get_strategy("percentile").params[0]
_N_SIGMA = qv.get_strategy("sigma").params[0]
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _dist_defaults(name: str) -> tuple[tuple[str, float], ...]:
    return tuple((p.name, p.default) for p in qv.get_distribution(name).params)


@dataclass(frozen=True)
class Settings:
    """Every choice the page depends on (hashable: usable as a cache key).

    ``params`` holds every parameter of ``dist`` as ``(name, value)`` pairs in the
    distribution's order. ``low``/``high`` are None until fitted to the data
    (:func:`fit_to_data` sets them to the data's range).
    """

    dist: str = "laplace"
    params: tuple[tuple[str, float], ...] = field(default_factory=lambda: _dist_defaults("laplace"))
    n: int = 100_000
    seed: int = 0
    bits: int = 4
    symmetric: bool = False
    narrow: bool = False
    strategy: str = "minmax"
    percentile: float = _PERCENTILE.default
    n_sigma: float = _N_SIGMA.default
    low: float | None = None
    high: float | None = None
    granularity: str = "tensor"
    axis: int = 0
    group_size: int | None = None
    rounding: str = "nearest"
    log: bool = False
    compare: tuple[str, ...] = DEFAULT_COMPARE
    source: str = "synthetic"
    tensor: str | None = None
    file_id: str | None = None

    @property
    def param_dict(self) -> dict[str, float]:
        """The distribution parameters as keywords for ``qv.sample``."""
        return dict(self.params)

    @property
    def scheme(self) -> str:
        """``"asymmetric"``, ``"symmetric"`` or ``"narrow"``."""
        if self.narrow:
            return "narrow"
        return "symmetric" if self.symmetric else "asymmetric"

    @property
    def strategy_params(self) -> dict[str, float]:
        """Keywords of the chosen strategy (``percentile=…``, ``n_sigma=…``, or none)."""
        return strategy_params(self, self.strategy)

    def source_key(self) -> tuple:
        """What identifies the tensor.

        ``("synthetic", dist, n, seed, params)`` for a distribution;
        ``("sample", SAMPLE_NAME, tensor)`` for the shipped sample;
        ``("file", file_id, tensor)`` for an uploaded file (``file_id`` is the
        upload's own id, unique per upload).
        """
        if self.source == "sample":
            return ("sample", SAMPLE_NAME, self.tensor)
        if self.source == "file":
            return ("file", self.file_id, self.tensor)
        return ("synthetic", self.dist, self.n, self.seed, self.params)

    def file_key(self) -> tuple | None:
        """What identifies the weight file (``source_key`` without the tensor), or None."""
        return None if self.source == "synthetic" else self.source_key()[:2]


def strategy_params(s: Settings, strategy: str) -> dict[str, float]:
    """The keyword arguments ``strategy`` takes under the settings ``s``."""
    if strategy == "percentile":
        return {"percentile": s.percentile}
    if strategy == "sigma":
        return {"n_sigma": s.n_sigma}
    return {}


def with_scheme(s: Settings, scheme: str) -> Settings:
    """``s`` with the scheme chosen by name (one of :data:`SCHEMES`)."""
    return replace(s, symmetric=scheme != "asymmetric", narrow=scheme == "narrow")


def with_dist(s: Settings, dist: str, params: Mapping[str, float] | None = None) -> Settings:
    """``s`` with another distribution; parameters not given take their defaults."""
    given = dict(params or {})
    values = tuple((name, given.get(name, default)) for name, default in _dist_defaults(dist))
    return replace(s, dist=dist, params=values)


def quantize_kwargs(s: Settings) -> dict:
    """The keyword arguments of ``qv.quantize`` for these settings (``bits`` included).

    For a variant, change the settings first:
    ``quantize_kwargs(dataclasses.replace(s, granularity="tensor"))``.
    """
    kwargs: dict = {
        "bits": s.bits,
        "symmetric": s.symmetric,
        "narrow_range": s.narrow,
        "strategy": s.strategy,
        "granularity": s.granularity,
        "rounding": s.rounding,
    }
    if s.granularity == "channel":
        kwargs["axis"] = s.axis
    if s.granularity == "group":
        kwargs["group_size"] = s.group_size
    if s.rounding == "stochastic":
        kwargs["seed"] = s.seed
    if s.strategy == "manual":
        kwargs["low"], kwargs["high"] = s.low, s.high
    kwargs.update(strategy_params(s, s.strategy))
    return kwargs


def code_snippet(s: Settings) -> str:
    """The Python that reproduces these settings with the library (for students to copy)."""
    params = "".join(f", {k}={v!r}" for k, v in s.params)
    args = ", ".join(f"{k}={v!r}" for k, v in quantize_kwargs(s).items())
    if s.source == "synthetic":
        load = f"x = qv.sample({s.dist!r}, n={s.n}, seed={s.seed}{params})\n"
    else:
        path = "assets/minilm-l6-sample.safetensors" if s.source == "sample" else "your_file"
        comment = "" if s.source == "sample" else "  # the file you uploaded"
        load = (
            "from quantviz.io import load_weights\n\n"
            f"x = load_weights({path!r})[{s.tensor!r}]{comment}\n"
        )
        return f"import quantviz as qv\n{load}r = qv.quantize(x, {args})\nr.metrics"
    return f"import quantviz as qv\n\n{load}r = qv.quantize(x, {args})\nr.metrics"


# ------------------------------------------------------------ parsing --


def clean_float(value: float, default: float | None = None) -> float:
    """Round a slider's float to 10 significant digits (``0.1 + 0.2`` → ``0.3``).

    The default is kept exactly, so an untouched control samples exactly what
    ``qv.sample`` would with no arguments.
    """
    value = float(value)
    if default is not None and value == default:
        return default
    return float(f"{value:.10g}")


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def _parse_int(text: str, low: int, high: int) -> int:
    number = float(text.strip())
    if not math.isfinite(number) or not number.is_integer():
        raise ValueError("expected a whole number")
    if not low <= number <= high:
        raise ValueError(f"expected {low} to {high}")
    return int(number)


def _parse_float(text: str, low: float = -math.inf, high: float = math.inf) -> float:
    number = float(text.strip())
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    if not low <= number <= high:
        raise ValueError(f"expected {low:g} to {high:g}")
    return number


def _parse_param(text: str, p: qv.Param) -> float:
    if p.integer:
        return _parse_int(text, int(p.low), int(p.high))
    return clean_float(_parse_float(text, p.low, p.high), p.default)


def _parse_compare(text: str) -> tuple[str, ...]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    valid = {s.name for s in qv.strategies()} - {"manual"}
    bad = [t for t in names if t not in valid]
    if bad:
        raise ValueError(f"unknown strategy {bad[0]!r}")
    return tuple(dict.fromkeys(names))


def parse_query(query: Mapping[str, object]) -> tuple[Settings, list[str]]:
    """Settings from URL query parameters, and a note for every value that was ignored.

    ``query`` maps names to strings (or lists of strings: the last one counts,
    as in ``st.query_params``). Unknown names are ignored silently; a known name
    with an unusable value keeps the default and adds a note such as
    ``"bits=99 (expected 1 to 16)"``. Never raises.
    """
    notes: list[str] = []

    def text(name: str) -> str | None:
        value = query.get(name)
        if isinstance(value, list | tuple):
            value = value[-1] if value else None
        return None if value is None else str(value)

    def read(name: str, parse, default):
        raw = text(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except (ValueError, TypeError, OverflowError) as exc:
            notes.append(f"{name}={raw[:40]} ({exc})")
            return default

    base = Settings()
    dist_names = {d.name for d in qv.distributions()}

    def parse_dist(raw: str) -> str:
        if raw not in dist_names:
            raise ValueError("unknown distribution")
        return raw

    dist = read("dist", parse_dist, base.dist)
    params = {
        p.name: read(p.name, lambda raw, p=p: _parse_param(raw, p), p.default)
        for p in qv.get_distribution(dist).params
    }

    def parse_n(raw: str) -> int:
        n = _parse_int(raw, 1, 10**9)
        if n not in SAMPLE_SIZES:
            raise ValueError("expected one of " + ", ".join(str(v) for v in SAMPLE_SIZES))
        return n

    def parse_choice(options):
        def parse(raw: str) -> str:
            if raw not in options:
                raise ValueError("expected one of " + ", ".join(options))
            return raw

        return parse

    strategies = tuple(s.name for s in qv.strategies())
    symmetric = read("symmetric", _parse_bool, base.symmetric)
    narrow = read("narrow", _parse_bool, base.narrow)
    low = read("low", _parse_float, None)
    high = read("high", _parse_float, None)
    if (low is None) != (high is None) or (low is not None and not low < high):
        if low is not None or high is not None:
            notes.append(f"low={text('low')}, high={text('high')} (need both, with low < high)")
        low = high = None
    group_size = read("group_size", lambda raw: _parse_int(raw, 1, 2**31), None)

    def parse_source(raw: str) -> str:
        if raw == "file":
            raise ValueError("an uploaded file cannot travel in a link: upload it again")
        return parse_choice(SOURCES[:2])(raw)

    def parse_tensor(raw: str) -> str:
        if not raw or len(raw) > MAX_TENSOR_NAME:
            raise ValueError(f"expected a tensor name of 1 to {MAX_TENSOR_NAME} characters")
        return raw

    source = read("source", parse_source, base.source)
    tensor = read("tensor", parse_tensor, None) if source == "sample" else None
    settings = Settings(
        dist=dist,
        params=tuple(params.items()),
        n=read("n", parse_n, base.n),
        seed=read("seed", lambda raw: _parse_int(raw, 0, MAX_SEED), base.seed),
        bits=read("bits", lambda raw: _parse_int(raw, 1, qv.quantizer.MAX_BITS), base.bits),
        symmetric=symmetric or narrow,
        narrow=narrow,
        strategy=read("strategy", parse_choice(strategies), base.strategy),
        percentile=read(
            "percentile",
            lambda raw: clean_float(
                _parse_float(raw, _PERCENTILE.low, _PERCENTILE.high), _PERCENTILE.default
            ),
            base.percentile,
        ),
        n_sigma=read(
            "n_sigma",
            lambda raw: clean_float(_parse_float(raw, _N_SIGMA.low, _N_SIGMA.high)),
            base.n_sigma,
        ),
        low=low,
        high=high,
        granularity=read("granularity", parse_choice(qv.GRANULARITIES), base.granularity),
        axis=read("axis", lambda raw: _parse_int(raw, 0, MAX_AXIS), base.axis),
        group_size=group_size,
        rounding=read("rounding", parse_choice(ROUNDINGS), base.rounding),
        log=read("log", _parse_bool, base.log),
        compare=read("compare", _parse_compare, base.compare),
        source=source,
        tensor=tensor,
    )
    return settings, notes


def to_query(s: Settings) -> dict[str, str]:
    """The URL query parameters of ``s`` (inverse of :func:`parse_query`).

    The identity of the data and the main choices are always written, so a link
    keeps its meaning even if defaults change; the rest only when they matter.
    """
    if s.source == "synthetic":
        q: dict[str, str] = {"dist": s.dist}
        q.update({name: _format(value) for name, value in s.params})
        q.update(n=str(s.n), seed=str(s.seed))
    else:  # a file: its tensor (an upload's name is written, but cannot bring the file back)
        q = {"source": s.source}
        if s.tensor is not None:
            q["tensor"] = s.tensor
        if s.rounding == "stochastic":
            q["seed"] = str(s.seed)
    q.update(
        bits=str(s.bits),
        symmetric=_format(s.symmetric),
        strategy=s.strategy,
        granularity=s.granularity,
    )
    if s.narrow:
        q["narrow"] = "true"
    if s.strategy == "percentile" or s.percentile != _PERCENTILE.default:
        q["percentile"] = _format(s.percentile)
    if s.strategy == "sigma" or s.n_sigma != _N_SIGMA.default:
        q["n_sigma"] = _format(s.n_sigma)
    if s.strategy == "manual" and s.low is not None and s.high is not None:
        q["low"], q["high"] = _format(s.low), _format(s.high)
    if s.granularity == "channel" or s.axis != 0:
        q["axis"] = str(s.axis)
    if s.granularity == "group" and s.group_size is not None:
        q["group_size"] = str(s.group_size)
    if s.rounding != "nearest":
        q["rounding"] = s.rounding
    if s.log:
        q["log"] = "true"
    if s.compare != DEFAULT_COMPARE:
        q["compare"] = ",".join(s.compare)
    return q


# ------------------------------------------------------ fit to data --


def group_sizes(last_dim: int) -> tuple[int, ...]:
    """Group sizes offered for a last dimension of ``last_dim`` values.

    Powers of two from 8 up that divide it (8, 16, 32, …, as GGML and
    bitsandbytes use). When none does (e.g. 1562 columns), every divisor from 2
    up, so that groups are still offered; a last dimension of 1 gives ``(1,)``.
    """
    last_dim = int(last_dim)
    powers = tuple(g for g in (2**k for k in range(3, 31)) if g <= last_dim and last_dim % g == 0)
    if powers:
        return powers
    divisors = tuple(d for d in range(2, last_dim + 1) if last_dim % d == 0)
    return divisors or (1,)


def default_group_size(options: tuple[int, ...]) -> int:
    """128 if offered (the core's default), else the largest option up to 128, else the smallest."""
    small = [g for g in options if g <= qv.granularity.DEFAULT_GROUP_SIZE]
    return max(small) if small else min(options)


def manual_bounds(data_low: float, data_high: float) -> tuple[float, float]:
    """Bounds of the manual range slider: the data's range plus half its width each side.

    Wide enough to feel "too wide: coarse steps" as well as "too narrow: clipping".
    """
    span = data_high - data_low
    if not span > 0:
        span = max(abs(data_low), 1.0)
    return clean_float(data_low - span / 2), clean_float(data_high + span / 2)


def fit_to_data(
    s: Settings, shape: tuple[int, ...], data_low: float, data_high: float
) -> tuple[Settings, list[str]]:
    """Make ``s`` valid for a tensor of ``shape`` whose values span ``[data_low, data_high]``.

    Returns the fitted settings and a sentence for each change a user should hear about.
    """
    notes: list[str] = []
    ndim = len(shape)
    if s.granularity != "tensor" and ndim < 2:
        notes.append(
            f"Per-{s.granularity} quantization needs a tensor with rows (2-D or more); "
            "this one is 1-D, so it is quantized per tensor."
        )
        s = replace(s, granularity="tensor")
    if s.axis >= max(ndim, 1):
        if s.granularity == "channel":
            notes.append(f"The tensor has no axis {s.axis}; using axis 0.")
        s = replace(s, axis=0)
    if ndim >= 2:
        options = group_sizes(shape[-1])
        if s.group_size not in options:
            if s.group_size is not None and s.granularity == "group":
                notes.append(
                    f"Groups of {s.group_size} do not divide the last dimension ({shape[-1]}); "
                    f"using {default_group_size(options)}."
                )
            s = replace(s, group_size=default_group_size(options))
    else:
        s = replace(s, group_size=None)
    spec = qv.get_strategy(s.strategy)
    if s.granularity not in spec.granularities:
        notes.append(
            f"{spec.label} calibration works per tensor only (as in TensorRT); "
            f"using min-max for per-{s.granularity} quantization."
        )
        s = replace(s, strategy="minmax")
    if s.narrow and s.bits < 2:
        notes.append("A narrow range needs at least 2 bits (at 1 bit only code 0 is left).")
        s = replace(s, bits=2)
    lo_bound, hi_bound = manual_bounds(data_low, data_high)
    low, high = s.low, s.high
    if low is None or high is None:
        low, high = float(data_low), float(data_high)
    low, high = min(max(low, lo_bound), hi_bound), min(max(high, lo_bound), hi_bound)
    if not low < high:
        low, high = lo_bound, hi_bound
    s = replace(s, low=low, high=high)
    return s, notes


def differs(a: Settings, b: Settings) -> list[str]:
    """Names of the fields in which two settings differ."""
    return [f.name for f in fields(Settings) if getattr(a, f.name) != getattr(b, f.name)]
