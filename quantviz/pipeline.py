"""``quantize``: tensor → range strategy → grid → codes → dequantized values → metrics.

The one function most users call. It validates the inputs once, cuts the tensor
into rows (one per scale, :mod:`quantviz.granularity`), asks the range strategy
for a clipping range per row (:mod:`quantviz.ranges`), builds the grid
(:mod:`quantviz.quantizer`) and measures the result (:mod:`quantviz.metrics`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from quantviz.errors import InputError
from quantviz.granularity import layout
from quantviz.metrics import (
    ErrorSums,
    code_counts,
    code_metrics,
    code_patterns,
    size_metrics,
    uniform_rounding_mse,
)
from quantviz.number_formats import FORMAT_NEUTRAL, FormatResult, get_format, quantize_format
from quantviz.quantizer import (
    ROUNDINGS,
    QParams,
    check_bits,
    code_dtype,
    code_range,
    dequantize,
    qparams,
    quantize_codes,
)
from quantviz.ranges import clipping_range
from quantviz.tensor import as_weights


@dataclass(frozen=True)
class QuantConfig:
    """The settings of one quantization, apart from its results (see :func:`quantize`)."""

    bits: int = 8
    symmetric: bool = False
    narrow_range: bool = False
    strategy: str = "minmax"
    granularity: str = "tensor"
    axis: int = 0
    group_size: int | None = None
    rounding: str = "nearest"
    seed: int | None = None
    low: float | None = None
    high: float | None = None
    strategy_params: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class QuantResult:
    """What quantizing one tensor produced.

    Attributes
    ----------
    codes : np.ndarray
        Integer codes, same shape as the input (``()`` for a single number), each
        in ``[qmin, qmax]``.
    dequantized : np.ndarray
        ``(codes − zero_point) · scale`` as float32, same shape as the input.
    scale : float or np.ndarray
        Step size (real units per code); an array per channel / group.
    zero_point : int or np.ndarray
        The code of the real value 0.0 (0 for symmetric schemes).
    qmin, qmax : int
        Code range.
    low, high : float or np.ndarray
        The clipping range the grid was built on: the strategy's range, widened
        to include 0 (and made ``±amax`` for symmetric schemes).
    clipped : np.ndarray of bool, or None
        True for values that lay outside the grid and were clamped.
    code_counts : np.ndarray
        How many values use each code ``qmin … qmax``.
    metrics : dict
        ``mse``, ``rmse``, ``sqnr_db``, ``signal_power``, ``max_abs_error``, ``mean_error``,
        ``clipped_count``, ``clipped_fraction``, ``mse_clipping``, ``mse_rounding``,
        ``levels_used``, ``levels_available``, ``code_entropy_bits``, ``bits_per_weight``,
        ``compression_ratio``, ``size_bytes``, ``float32_bytes``.
    config : QuantConfig
        The settings that produced this result.
    """

    codes: np.ndarray | None
    dequantized: np.ndarray | None
    scale: float | np.ndarray
    zero_point: int | np.ndarray
    qmin: int
    qmax: int
    low: float | np.ndarray
    high: float | np.ndarray
    clipped: np.ndarray | None
    code_counts: np.ndarray
    metrics: dict
    config: QuantConfig

    @property
    def bits(self) -> int:
        return self.config.bits

    @property
    def per_tensor(self) -> bool:
        """True if one grid (one scale and zero point) serves the whole tensor."""
        return self.config.granularity == "tensor"

    @property
    def grid_low(self) -> float | np.ndarray:
        """The lowest value the grid can represent, ``(qmin − zero_point) · scale``.

        It can differ from :attr:`low` by up to half a step, because the zero
        point is rounded to a whole code so that 0.0 stays exact.
        """
        return self._grid_end(self.qmin)

    @property
    def grid_high(self) -> float | np.ndarray:
        """The highest value the grid can represent, ``(qmax − zero_point) · scale``."""
        return self._grid_end(self.qmax)

    @property
    def clip_low(self) -> float | np.ndarray:
        """Where clipping starts at the bottom: values below it are clamped to the lowest level.

        With ``rounding="nearest"`` a value rounds to its nearest level, so a value
        down to half a step below the lowest level still lands on it by rounding:
        the clamp only acts below ``grid_low − scale/2``. With
        ``rounding="stochastic"`` a value below ``grid_low`` may be rounded down
        to a code that does not exist, so clipping starts at ``grid_low`` itself.
        (Values exactly on the boundary are ties of the rounding.) A float per
        tensor, an array per channel / group, like :attr:`grid_low`.
        """
        return self._clip_end(self.grid_low, -1.0)

    @property
    def clip_high(self) -> float | np.ndarray:
        """Where clipping starts at the top: values above it are clamped to the highest level.

        ``grid_high + scale/2`` with ``rounding="nearest"``, ``grid_high`` with
        ``rounding="stochastic"`` (see :attr:`clip_low`).
        """
        return self._clip_end(self.grid_high, 1.0)

    def _clip_end(self, grid_end: float | np.ndarray, side: float) -> float | np.ndarray:
        end = np.asarray(grid_end, dtype=np.float64)
        if self.config.rounding == "nearest":
            end = end + side * np.asarray(self.scale, dtype=np.float64) / 2.0
        return float(end) if end.ndim == 0 else end

    def _grid_end(self, code: int) -> float | np.ndarray:
        end = dequantize(np.asarray(code), self.scale, self.zero_point)
        return float(end) if np.ndim(end) == 0 else end

    def levels(self, index: int | tuple[int, ...] | None = None) -> np.ndarray:
        """The real values the grid can represent, lowest first: ``(q − zero_point) · scale``.

        Per tensor there is one grid; per channel or group pass the ``index`` of
        the scale whose grid you want.
        """
        scale, zp = np.asarray(self.scale), np.asarray(self.zero_point)
        if scale.ndim:
            if index is None:
                raise InputError("This result has one grid per channel/group: pass an index.")
            scale, zp = scale[index], zp[index]
        q = np.arange(self.qmin, self.qmax + 1)
        return dequantize(q, scale, zp)


BLOCK = 1 << 18  # values per block: small enough to stay in cache
WORKERS = 1
"""Threads for the blocks. One: on this project's 2-core machine two threads were slower
(a 10M-value tensor: 111–165 ms on one thread, 196–238 ms on two; 1M: 12–18 against 32–42),
as each block's float64 sums hold the GIL between short numpy calls, and a page's server
shares the machine with the browser. Raise it where more cores are free."""


def _blocks(n_rows: int, row_length: int) -> list[tuple[slice, slice]]:
    """Cut a (rows, length) array into blocks of about BLOCK values, rows kept whole when short."""
    if row_length >= BLOCK:
        return [
            (slice(r, r + 1), slice(c, c + BLOCK))
            for r in range(n_rows)
            for c in range(0, row_length, BLOCK)
        ]
    per = max(1, BLOCK // row_length)
    return [(slice(r, r + per), slice(None)) for r in range(0, n_rows, per)]


def apply_grid(
    rows: np.ndarray,
    qp: QParams,
    *,
    rounding: str = "nearest",
    seed: int | None = None,
    arrays: bool = True,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, ErrorSums, np.ndarray]:
    """Quantize and dequantize every row on its grid, measuring the error on the way.

    The work is split into cache-sized blocks (:data:`WORKERS` threads run them), so
    memory stays bounded; each block gets its own random stream from ``seed`` for
    stochastic rounding, so results do not depend on the order blocks finish.

    Returns codes, dequantized values, the clipped mask, the error sums and the
    code bit-pattern counts (:func:`quantviz.metrics.code_patterns`). With
    ``arrays=False`` the first three are None: each block is measured and let go, so a
    huge tensor is measured without writing three tensors of its size.
    """
    codes = x_hat = clipped = None
    if arrays:
        codes = np.empty(rows.shape, code_dtype(qp.qmin, qp.qmax))
        x_hat = np.empty(rows.shape, np.float32)
        clipped = np.empty(rows.shape, bool)
    scale, zp = qp.scale[:, None], qp.zero_point[:, None]
    zp32 = zp.astype(np.float32)  # codes − zero point in float32 (exact: whole numbers)
    blocks = _blocks(*rows.shape)
    streams = np.random.SeedSequence(seed).spawn(len(blocks)) if rounding == "stochastic" else None

    def work(i: int) -> tuple[ErrorSums, np.ndarray]:
        r, c = blocks[i]
        rng = np.random.default_rng(streams[i]) if streams else None
        q, k = quantize_codes(
            rows[r, c], scale[r], zp[r], qp.qmin, qp.qmax, rounding=rounding, rng=rng
        )
        xh = dequantize(q.astype(np.float32), scale[r], zp32[r])  # one type: no mixed casts
        if arrays:
            codes[r, c], x_hat[r, c], clipped[r, c] = q, xh, k
        return ErrorSums.of(rows[r, c], xh, k), code_patterns(q)

    if len(blocks) == 1 or WORKERS == 1:
        parts = [work(i) for i in range(len(blocks))]
    else:
        with ThreadPoolExecutor(WORKERS) as pool:
            parts = list(pool.map(work, range(len(blocks))))
    sums = sum((p[0] for p in parts), ErrorSums())
    patterns = sum(p[1] for p in parts)
    return codes, x_hat, clipped, sums, patterns


def _check_format_keywords(format: str, **given: object) -> None:
    """A number format decides its own grid: refuse integer-grid settings that ask otherwise."""
    fmt = get_format(str(format))
    bits = given.pop("bits")
    if bits is not None and bits != fmt.element_bits:
        raise InputError(
            f"{fmt.name} stores {fmt.element_bits}-bit elements; "
            f"leave bits out (got bits={bits!r})."
        )
    wrong = [k for k, v in given.items() if k not in FORMAT_NEUTRAL or v != FORMAT_NEUTRAL[k]]
    if wrong:
        raise InputError(
            f"{fmt.name} takes its scale from each block's largest |value|, so "
            f"{', '.join(wrong)} does not apply; give only granularity, axis and group_size."
        )


def _as_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False, not {value!r}.")
    return bool(value)


def quantize(
    x: object,
    bits: int | None = None,
    *,
    format: str = "int",
    symmetric: bool = False,
    narrow_range: bool = False,
    strategy: str = "minmax",
    granularity: str | None = None,
    axis: int = 0,
    group_size: int | None = None,
    rounding: str = "nearest",
    seed: int | None = None,
    low: float | None = None,
    high: float | None = None,
    arrays: bool = True,
    **strategy_params: float,
) -> QuantResult | FormatResult:
    """Quantize ``x`` onto a ``bits``-bit integer grid (or a number ``format``) and measure
    what was lost.

    Parameters
    ----------
    x : array-like
        The weights: any shape (a single number keeps the shape ``()``), float /
        integer / bool; finite values only.
    bits : int
        1 to 16: ``2**bits`` codes (default 8). With a ``format``, leave it out or give the
        format's element bits.
    format : str
        ``"int"`` (the default): the integer grid these parameters describe. Any other
        name from ``quantviz.formats()`` (``"fp8_e4m3"``, ``"mxfp4"``, ``"nvfp4"``,
        ``"nf4"``, ``"q4_0"``, ``"binary"``, …) stores ``x`` in that format and returns a
        :class:`~quantviz.number_formats.FormatResult` (``dequantized``, ``codes``,
        ``scales``, ``levels()``, the same ``metrics`` keys). A format takes its scale from
        each block's largest |value|: only ``granularity``, ``axis`` and ``group_size``
        apply (block formats take their own blocks; see
        :func:`~quantviz.number_formats.quantize_format`).
    symmetric : bool
        False: affine grid, codes ``0 … 2**bits − 1``, zero point where 0.0 lands.
        True: codes ``−2**(bits−1) … 2**(bits−1) − 1``, zero point 0.
    narrow_range : bool
        Symmetric only: drop the most negative code, so the grid is symmetric
        about 0 (TensorRT/TFLite weights).
    strategy : str
        Range strategy: ``"minmax"``, ``"percentile"`` (``percentile=99.99``),
        ``"mse"``, ``"entropy"`` (per tensor only), ``"sigma"`` (``n_sigma=3``),
        ``"aciq_laplace"``, ``"aciq_gaussian"`` or ``"manual"`` (``low``, ``high``).
        See ``quantviz.strategies()``.
    granularity : str
        ``"tensor"`` (the default): one scale; ``"channel"``: one per slice along ``axis``;
        ``"group"``: one per ``group_size`` consecutive values of the last axis
        (default 128).
    rounding : str
        ``"nearest"`` (half to even, as PyTorch) or ``"stochastic"`` (unbiased,
        reproducible with ``seed``).
    low, high : float
        The clipping range, for ``strategy="manual"`` only (an :class:`InputError`
        with any other strategy, which chooses its own range).
    arrays : bool
        False: measure only. ``codes``, ``dequantized`` and ``clipped`` are None;
        everything else (grid, metrics, code counts) is the same. Quicker and lighter
        for a huge tensor when only the numbers and the level counts are wanted.

    Returns
    -------
    QuantResult

    Examples
    --------
    >>> r = quantize([-1.0, 0.5, 2.0], bits=8)
    >>> round(r.scale, 7), r.zero_point, r.codes.tolist()
    (0.0117647, 85, [0, 127, 255])
    """
    if format != "int":
        _check_format_keywords(
            format, bits=bits, symmetric=symmetric, narrow_range=narrow_range,
            strategy=strategy, rounding=rounding, seed=seed, low=low, high=high,
            **strategy_params,
        )  # fmt: skip
        _as_flag(arrays, "arrays")  # a format's result always holds its arrays
        return quantize_format(x, format, granularity=granularity, axis=axis,
                               group_size=group_size)  # fmt: skip
    granularity = "tensor" if granularity is None else granularity
    x = as_weights(x)
    bits = check_bits(8 if bits is None else bits)
    symmetric = _as_flag(symmetric, "symmetric")
    narrow_range = _as_flag(narrow_range, "narrow_range")
    qmin, qmax = code_range(bits, symmetric=symmetric, narrow_range=narrow_range)
    if rounding not in ROUNDINGS:
        raise InputError(f"rounding must be one of {ROUNDINGS}, not {rounding!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise InputError(f"seed must be a whole number or None, not {seed!r}.")
    if x.ndim == 0 and granularity in ("channel", "group"):
        raise InputError(
            f"A single number has no channels or groups; quantize it with granularity='tensor' "
            f"(got granularity={granularity!r})."
        )
    lay = layout(x.shape, granularity, axis=axis, group_size=group_size)
    config = QuantConfig(
        bits, symmetric, narrow_range, strategy, granularity, lay.axis or 0, lay.group_size,
        rounding, seed, low, high, dict(strategy_params),
    )  # fmt: skip

    rows = lay.to_rows(x)
    lo, hi = clipping_range(
        rows, strategy, bits=bits, symmetric=symmetric, narrow_range=narrow_range,
        granularity=lay.granularity, low=low, high=high, **strategy_params,
    )  # fmt: skip
    qp = qparams(lo, hi, bits, symmetric=symmetric, narrow_range=narrow_range)
    codes, x_hat, clipped, sums, patterns = apply_grid(
        rows, qp, rounding=rounding, seed=seed, arrays=_as_flag(arrays, "arrays")
    )
    counts = code_counts(codes, qmin, qmax, patterns)
    metrics = {
        **sums.figures(),
        "uniform_rounding_mse": uniform_rounding_mse(qp.scale),
        **code_metrics(counts, bits),
        **size_metrics(x.size, bits, lay.n_rows, symmetric),
    }
    lo_used = np.minimum(np.asarray(lo, dtype=np.float32), 0)
    hi_used = np.maximum(np.asarray(hi, dtype=np.float32), 0)
    if symmetric:
        hi_used = np.maximum(-lo_used, hi_used)
        lo_used = -hi_used

    def per_scale(values: np.ndarray, kind: type) -> float | int | np.ndarray:
        return kind(values[0]) if lay.granularity == "tensor" else lay.to_params(values)

    return QuantResult(
        codes=None if codes is None else lay.from_rows(codes),
        dequantized=None if x_hat is None else lay.from_rows(x_hat),
        scale=per_scale(qp.scale, float),
        zero_point=per_scale(qp.zero_point, int),
        qmin=qmin,
        qmax=qmax,
        low=per_scale(lo_used, float),
        high=per_scale(hi_used, float),
        clipped=None if clipped is None else lay.from_rows(clipped),
        code_counts=counts,
        metrics=metrics,
        config=config,
    )
