"""The code a student takes home: the quantviz call, plain numpy and PyTorch lines that
reproduce the page's numbers, source a student can paste and run.

:func:`load_lines` makes the tensor ``x`` (from a distribution or a file) and
:func:`code_snippet` is the quantviz call.

Each function takes the page's :class:`quantviz.QuantResult` and the line(s) that make its
tensor ``x`` (:func:`load_lines`) and returns Python source that ends
with ``scale``, ``zero_point``, ``codes`` and ``mse`` as variables of those names, equal to
the page's: the same float32 arithmetic as :mod:`quantviz.quantizer` (the float32
reciprocal of the scale, rounding half to even, the clamp), the MSE summed in float64.

The min-max range is computed from the data in the snippet. Every other strategy is a
search, not a one-liner, so its range is written out as numbers (up to
:data:`LITERALS` per side) or, for many channels or groups, taken from
``qv.quantize``. Stochastic rounding comes from quantviz's seeded generator; the
snippets round to nearest and say so.

No streamlit here: the functions are pure and the tests execute what they return.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from quantviz.pipeline import QuantConfig, QuantResult

LITERALS = 8
"""The most scales (or ranges) a snippet writes out as numbers; more are taken from quantviz."""

STOCHASTIC_NOTE = (
    "# The page rounds stochastically (quantviz's seeded generator); these lines round to\n"
    "# nearest, so the scale and zero point are the page's, the codes and the MSE differ a little."
)


def numpy_snippet(r: QuantResult, load: str) -> str:
    """Plain numpy lines that compute the page's ``scale``, ``zero_point``, ``codes`` and ``mse``.

    ``load`` makes ``x`` (:func:`load_lines`). Per channel the scale is a
    column (one value per channel, ``keepdims``) so it broadcasts against ``x``; per group
    ``x`` is viewed as ``xg``, its last axis cut into groups of ``group_size``.
    """
    cfg = r.config
    data = "xg" if cfg.granularity == "group" else "x"
    back = ["codes, x_hat = codes.reshape(x.shape), x_hat.reshape(x.shape)  # back to x's shape"]
    back = back if cfg.granularity == "group" else []
    lines = [
        *_header(load, ["import numpy as np"], qv=_needs_quantviz(r, load)),
        "x = np.asarray(x, dtype=np.float32)  # quantviz works in float32",
        "",
        *_code_range(cfg),
        *_numpy_layout(cfg),
        *_numpy_range(r),
        *_numpy_grid(cfg),
        "",
        *([STOCHASTIC_NOTE] if cfg.rounding == "stochastic" else []),
        "# Quantize: multiply by the float32 reciprocal of the scale, round half to even, clamp",
        f"codes = np.clip(np.rint({data} * (np.float32(1) / scale)) + zero_point, qmin, qmax)",
        "codes = codes.astype(np.int64)",
        "x_hat = (codes - zero_point).astype(np.float32) * scale  # dequantize",
        *back,
        "mse = np.mean((x_hat.astype(np.float64) - x) ** 2)  # summed in float64",
        "scale, zero_point, mse",
    ]
    return "\n".join(lines) + "\n"


def torch_snippet(r: QuantResult, load: str) -> str:
    """PyTorch lines that compute the page's ``scale``, ``zero_point``, ``codes`` and ``mse``.

    Min-max uses PyTorch's own observers (``MinMaxObserver``, ``PerChannelMinMaxObserver``;
    per group, each group is a row of ``x.reshape(-1, group_size)`` and each row a
    channel). Other strategies have no PyTorch observer: the page's scale and zero point
    are written out. The values go through ``torch.fake_quantize_per_*_affine``.
    """
    cfg = r.config
    per_tensor = cfg.granularity == "tensor"
    observer = "MinMaxObserver" if per_tensor else "PerChannelMinMaxObserver"
    imports = ["import numpy as np", "import torch"]
    if cfg.strategy == "minmax":
        imports.append(f"from torch.ao.quantization.observer import {observer}")
    lines = [
        *_header(load, imports, qv=_needs_quantviz(r, load)),
        "x = torch.from_numpy(np.asarray(x, dtype=np.float32))  # quantviz works in float32",
        "",
        *_code_range(cfg),
        *_torch_layout(cfg),
        *(_torch_observer(cfg) if cfg.strategy == "minmax" else _torch_literals(r)),
        "zero_point = zero_point.int()  # fake_quantize takes int32 zero points",
        "",
        *([STOCHASTIC_NOTE] if cfg.rounding == "stochastic" else []),
        *_torch_values(cfg),
        "mse = torch.mean((x_hat.double() - x.double()) ** 2).item()  # summed in float64",
        "scale, zero_point, mse",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------ shared lines --


def _needs_quantviz(r: QuantResult, load: str) -> bool:
    """True if the snippet calls ``qv.``: to make ``x`` or to take many searched ranges."""
    return "qv." in load or _from_quantviz(r)


def _from_quantviz(r: QuantResult) -> bool:
    """True if the ranges are too many to write out (a searched range per channel / group)."""
    return r.config.strategy != "minmax" and np.size(r.scale) > LITERALS


def _header(load: str, imports: list[str], *, qv: bool) -> list[str]:
    """The imports, then the line(s) that make ``x``."""
    extra = ["import quantviz as qv"] if qv else []
    return [*imports, *extra, "", load]


def _code_range(cfg: QuantConfig) -> list[str]:
    """``bits`` and the codes ``qmin, qmax`` of the scheme."""
    if not cfg.symmetric:
        codes = "qmin, qmax = 0, 2**bits - 1  # asymmetric: codes from 0"
    elif cfg.narrow_range:
        codes = (
            "qmin, qmax = -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1  # symmetric, narrow range"
        )
    else:
        codes = "qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1  # symmetric"
    return [f"bits = {cfg.bits}", codes]


def _floats(values: object) -> str:
    """Numbers as Python literals that give back the same float32 values."""
    return ", ".join(repr(float(v)) for v in np.ravel(values))


def _ints(values: object) -> str:
    return ", ".join(str(int(v)) for v in np.ravel(values))


def _chosen_by(cfg: QuantConfig) -> str:
    """Whose range it is, as a comment."""
    if cfg.strategy == "manual":
        return "# Your range (the manual strategy), widened to include 0"
    return f"# Chosen by quantviz's {cfg.strategy!r} strategy (a search, not a one-liner)"


def _quantize_call(cfg: QuantConfig, x: str) -> str:
    """``qv.quantize(x, …)`` with the keywords that choose the range."""
    args = [f"bits={cfg.bits}", f"strategy={cfg.strategy!r}", f"granularity={cfg.granularity!r}"]
    if cfg.symmetric:
        args.append("symmetric=True")
    if cfg.narrow_range:
        args.append("narrow_range=True")
    if cfg.granularity == "channel":
        args.append(f"axis={cfg.axis}")
    if cfg.granularity == "group":
        args.append(f"group_size={cfg.group_size}")
    if cfg.strategy == "manual":
        args += [f"low={cfg.low!r}", f"high={cfg.high!r}"]
    args += [f"{k}={v!r}" for k, v in cfg.strategy_params.items()]
    return f"qv.quantize({x}, {', '.join(args)}, arrays=False)"


# ------------------------------------------------------------------- numpy --


def _numpy_layout(cfg: QuantConfig) -> list[str]:
    """Which values share a scale: the channel axis, or the groups of the last axis."""
    if cfg.granularity == "channel":
        return [
            f"axis = {cfg.axis}  # one scale per channel along this axis",
            "other = tuple(d for d in range(x.ndim) if d != axis)  # reduced over: the rest",
        ]
    if cfg.granularity == "group":
        return [
            f"group_size = {cfg.group_size}",
            "xg = x.reshape(*x.shape[:-1], -1, group_size)  # the last axis cut into groups",
        ]
    return []


def _reduce(cfg: QuantConfig, what: str, of: str = "{}") -> str:
    """``x.min()``, or one value per channel / group (kept as a column); ``of`` wraps the data."""
    data = of.format("xg" if cfg.granularity == "group" else "x")
    if cfg.granularity == "channel":
        return f"{data}.{what}(axis=other, keepdims=True)"
    if cfg.granularity == "group":
        return f"{data}.{what}(axis=-1, keepdims=True)"
    return f"{data}.{what}()"


def _column(cfg: QuantConfig, values: str) -> str:
    """Per channel / group ``values`` shaped as a column that broadcasts against the data."""
    if cfg.granularity == "channel":
        return f"np.expand_dims(np.float32({values}), other)"
    if cfg.granularity == "group":
        return f"np.float32({values}).reshape(*xg.shape[:-1], 1)"
    return f"np.float32({values})"


def _numpy_range(r: QuantResult) -> list[str]:
    """The clipping range: min-max from the data, any other strategy's as numbers."""
    cfg = r.config
    if cfg.strategy == "minmax":
        if cfg.symmetric:
            return [
                "# The clipping range: ±max|x|, centred on 0",
                f"amax = {_reduce(cfg, 'max', of='np.abs({})')}",
            ]
        return [
            "# The clipping range: min and max, widened to include 0 (so 0.0 is a level)",
            f"low = np.minimum({_reduce(cfg, 'min')}, np.float32(0))",
            f"high = np.maximum({_reduce(cfg, 'max')}, np.float32(0))",
        ]
    ends = ("high",) if cfg.symmetric else ("low", "high")
    if _from_quantviz(r):
        values = {end: f"r.{end}" for end in ends}
        lines = [f"{_chosen_by(cfg)}, one per {cfg.granularity}", f"r = {_quantize_call(cfg, 'x')}"]
    elif cfg.granularity == "tensor":
        values = {end: _floats(getattr(r, end)) for end in ends}
        lines = [_chosen_by(cfg)]
    else:
        values = {end: f"[{_floats(getattr(r, end))}]" for end in ends}
        lines = [_chosen_by(cfg)]
    if cfg.symmetric:
        return [*lines, f"amax = {_column(cfg, values['high'])}  # the range is ±amax"]
    return [*lines, *(f"{end} = {_column(cfg, values[end])}" for end in ends)]


def _numpy_grid(cfg: QuantConfig) -> list[str]:
    """Scale and zero point from the range, in float32 (as PyTorch's observers)."""
    eps = "np.finfo(np.float32).eps"
    if cfg.symmetric:
        return [
            f"scale = np.maximum(amax / np.float32((qmax - qmin) / 2), {eps})  # never 0",
            "zero_point = np.zeros_like(scale, dtype=np.int64)  # symmetric: 0.0 is code 0",
        ]
    return [
        f"scale = np.maximum((high - low) / np.float32(qmax - qmin), {eps})  # never 0",
        "zero_point = np.clip(qmin - np.rint(low / scale).astype(np.int64), qmin, qmax)",
    ]


# ----------------------------------------------------------------- PyTorch --


def _torch_dtype(cfg: QuantConfig) -> str:
    """The quantized dtype PyTorch's observers accept for these codes."""
    if cfg.bits > 8:
        return "torch.qint32"
    return "torch.qint8" if cfg.symmetric else "torch.quint8"


def _torch_layout(cfg: QuantConfig) -> list[str]:
    """The channel axis; per group, the rows that PyTorch treats as channels."""
    if cfg.granularity == "channel":
        return [f"axis = {cfg.axis}  # one scale per channel along this axis"]
    if cfg.granularity == "group":
        return [
            f"group_size = {cfg.group_size}",
            "# PyTorch has no per-group observer: each group (group_size values along the last",
            "# axis) is a row of x.reshape(-1, group_size), and each row a channel",
            "rows, axis = x.reshape(-1, group_size), 0",
        ]
    return []


def _torch_observer(cfg: QuantConfig) -> list[str]:
    """Min-max: PyTorch's own observer gives the scale and the zero point."""
    kind = "tensor" if cfg.granularity == "tensor" else "channel"
    qscheme = f"torch.per_{kind}_{'symmetric' if cfg.symmetric else 'affine'}"
    data = "rows" if cfg.granularity == "group" else "x"
    args = f"dtype={_torch_dtype(cfg)}, qscheme={qscheme}"
    if kind == "tensor":
        build = ["obs = MinMaxObserver(", f"    {args}, quant_min=qmin, quant_max=qmax", ")"]
    else:
        build = [
            "obs = PerChannelMinMaxObserver(",
            f"    ch_axis=axis, {args},",
            "    quant_min=qmin, quant_max=qmax,",
            ")",
        ]
    wide = ["# qint32: PyTorch's 8-bit dtypes cannot hold codes wider than 8 bits"]
    what = "±max|x|" if cfg.symmetric else "min and max, widened to include 0"
    return [
        *(wide if cfg.bits > 8 else []),
        *build,
        f"obs({data})  # records {what}" + ("" if kind == "tensor" else ", per channel"),
        "scale, zero_point = obs.calculate_qparams()",
    ]


def _torch_literals(r: QuantResult) -> list[str]:
    """Other strategies: the page's scale and zero point (PyTorch has no such observer)."""
    cfg = r.config
    if cfg.strategy == "manual":
        why = ["# Your range (the manual strategy): quantviz's scale and zero point for it"]
    else:
        why = [
            f"# PyTorch has no observer for quantviz's {cfg.strategy!r} strategy: quantviz chose",
            "# the range, and these are its scale and zero point",
        ]
    if _from_quantviz(r):
        return [
            *why,
            f"r = {_quantize_call(cfg, 'x.numpy()')}",
            "scale = torch.tensor(r.scale, dtype=torch.float32).reshape(-1)",
            "zero_point = torch.tensor(r.zero_point).reshape(-1)",
        ]
    return [
        *why,
        f"scale = torch.tensor([{_floats(r.scale)}], dtype=torch.float32)",
        f"zero_point = torch.tensor([{_ints(r.zero_point)}])",
    ]


def _torch_values(cfg: QuantConfig) -> list[str]:
    """Fake-quantize (the dequantized values) and the codes, with the same formula."""
    rounding = "# The codes: multiply by the float32 reciprocal, round half to even, clamp"
    if cfg.granularity == "tensor":
        return [
            "x_hat = torch.fake_quantize_per_tensor_affine(x, scale, zero_point, qmin, qmax)",
            rounding,
            "codes = torch.clamp(torch.round(x * (1.0 / scale)) + zero_point, qmin, qmax).long()",
        ]
    data = "rows" if cfg.granularity == "group" else "x"
    back = "codes, x_hat = codes.reshape(x.shape), x_hat.reshape(x.shape)  # back to x's shape"
    return [
        f"x_hat = torch.fake_quantize_per_channel_affine({data}, scale, zero_point, axis, qmin, "
        "qmax)",
        rounding,
        f"column = [-1 if d == axis else 1 for d in range({data}.ndim)]  # a value per channel",
        f"codes = torch.round({data} * (1.0 / scale.reshape(column))) + zero_point.reshape(column)",
        "codes = torch.clamp(codes, qmin, qmax).long()",
        *([back] if cfg.granularity == "group" else []),
    ]


def load_lines(source: Mapping[str, object]) -> str:
    """The Python line(s) that make the page's tensor ``x`` (after ``import quantviz as qv``).

    ``source`` is ``{"dist": …, "n": …, "seed": …, "params": {…}}`` for a distribution,
    ``{"file": path, "tensor": name}`` for a weight file.
    """
    if "dist" in source:
        params = "".join(f", {k}={v!r}" for k, v in dict(source["params"]).items())
        return f"x = qv.sample({source['dist']!r}, n={source['n']}, seed={source['seed']}{params})"
    return (
        "from quantviz.io import load_weights\n\n"
        f"x = load_weights({source['file']!r})[{source['tensor']!r}]"
    )


def code_snippet(kwargs: Mapping[str, object], source: Mapping[str, object]) -> str:
    """The Python that reproduces the page's numbers with the library.

    ``source`` is where the tensor comes from, as :func:`load_lines` takes it.
    """
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"import quantviz as qv\n{load_lines(source)}\nr = qv.quantize(x, {args})\nr.metrics"
