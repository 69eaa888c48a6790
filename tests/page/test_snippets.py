""" "Show the code": the numpy and PyTorch snippets, executed and compared with quantviz.

Each snippet is run with ``exec`` exactly as the page shows it (its load line makes
``x`` from a distribution or reads it from a weight file), and what it leaves behind
(``scale``, ``zero_point``, ``codes``, ``x_hat``, ``mse``) must equal what
``qv.quantize`` computed for the page. Scale, zero point, codes and dequantized values
must be *equal*: the snippets do the same float32 arithmetic, and a searched range is
written out with enough digits to give back the same float32 number. Only the MSE is
compared to 1e-12: quantviz sums the squared errors with ``np.dot`` and adds the clipped
values' part apart, ``np.mean`` and ``torch.mean`` sum in another order, so the last
bits of a float64 may differ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import quantviz as qv
from quantviz_app import snippets
from tests.conftest import require_module

LAYER = {"dist": "layer", "n": 2048, "seed": 3, "params": {"rows": 16}}  # a (16, 128) matrix
LAPLACE = {"dist": "laplace", "n": 3000, "seed": 1, "params": {}}  # 1-D, both signs

# (tensor, granularity keywords): channels and groups few enough to be written out as
# numbers, and many enough to be taken from quantviz (snippets.LITERALS), on both sides of 0.
CASES = [
    ("layer", {}),
    ("layer", {"granularity": "channel", "axis": 0}),  # 16 channels
    ("layer", {"granularity": "channel", "axis": 1}),  # 128 channels
    ("layer", {"granularity": "group", "group_size": 32}),  # 64 groups
    ("laplace", {}),
    ("laplace", {"granularity": "group", "group_size": 600}),  # 5 groups: written out
    ("positive", {}),  # all > 0: the range must be widened to 0
    ("positive", {"granularity": "channel", "axis": 0}),  # 6 channels: written out
    ("positive", {"granularity": "group", "group_size": 8}),
    ("negative", {}),  # all < 0, 3-D
    ("negative", {"granularity": "channel", "axis": 1}),  # 4 channels of a 3-D tensor
    ("negative", {"granularity": "group", "group_size": 16}),  # 16 groups
    ("tiny", {"granularity": "group", "group_size": 6}),  # 4 groups: written out
]

SCHEMES = {
    "asymmetric": {},
    "symmetric": {"symmetric": True},
    "narrow": {"symmetric": True, "narrow_range": True},
}
SETTINGS = [
    (bits, scheme)
    for bits in (1, 2, 4, 8, 16)
    for scheme in SCHEMES
    if not (scheme == "narrow" and bits == 1)  # a narrow 1-bit grid has one code
]


@pytest.fixture(scope="module")
def weight_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tensors that no distribution makes, in a .npz file the snippets read with load_weights."""
    rng = np.random.default_rng(7)
    path = tmp_path_factory.mktemp("snippets") / "weights.npz"
    np.savez(
        path,
        positive=(np.abs(rng.normal(0.3, 0.2, (6, 40))) + 0.05).astype(np.float32),
        negative=(-np.abs(rng.laplace(0.5, 0.3, (8, 4, 32))) - 0.01).astype(np.float32),
        tiny=rng.normal(0, 1, (2, 12)).astype(np.float32),
    )
    return path


def source(name: str, weight_file: Path) -> dict:
    """Where tensor ``name`` comes from, as the page's take-home room describes it."""
    if name == "layer":
        return LAYER
    if name == "laplace":
        return LAPLACE
    return {"file": str(weight_file), "tensor": name}


def tensor(src: dict) -> np.ndarray:
    if "dist" in src:
        return qv.sample(src["dist"], n=src["n"], seed=src["seed"], **src["params"])
    return qv.load_weights(src["file"])[src["tensor"]]


def run(snippet: str) -> dict:
    """Execute a snippet as a student would paste it; return the variables it leaves."""
    namespace: dict = {}
    exec(compile(snippet, "<snippet>", "exec"), namespace)
    return namespace


def as_array(value: object) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def assert_same_grid(ns: dict, r: qv.QuantResult) -> None:
    """The snippet's scale and zero point are the page's (one per channel or group)."""
    scale, zero_point = as_array(ns["scale"]), as_array(ns["zero_point"])
    assert scale.dtype == np.float32
    np.testing.assert_array_equal(scale.reshape(np.shape(r.scale)), np.float32(r.scale))
    np.testing.assert_array_equal(
        np.broadcast_to(zero_point, scale.shape).reshape(np.shape(r.zero_point)), r.zero_point
    )


def assert_same_numbers(ns: dict, r: qv.QuantResult) -> None:
    """Scale, zero point, codes and x̂ equal to the page's; the MSE to 1e-12 (summation order)."""
    assert_same_grid(ns, r)
    np.testing.assert_array_equal(as_array(ns["codes"]), r.codes.astype(np.int64))
    np.testing.assert_array_equal(as_array(ns["x_hat"]), r.dequantized)
    assert float(ns["mse"]) == pytest.approx(r.metrics["mse"], rel=1e-12, abs=1e-300)


def page_result(src: dict, bits: int, scheme: str, strategy: str, granularity: dict):
    return qv.quantize(tensor(src), bits, strategy=strategy, **SCHEMES[scheme], **granularity)


# ------------------------------------------------------------------- numpy --


@pytest.mark.parametrize(("bits", "scheme"), SETTINGS)
@pytest.mark.parametrize("strategy", ["minmax", "mse", "percentile"])
def test_numpy_snippet_gives_the_pages_numbers(weight_file, bits, scheme, strategy):
    for name, granularity in CASES:
        src = source(name, weight_file)
        r = page_result(src, bits, scheme, strategy, granularity)
        snippet = snippets.numpy_snippet(r, snippets.load_lines(src))
        assert "import torch" not in snippet
        ns = run(snippet)
        assert_same_numbers(ns, r)
        assert ns["codes"].dtype == np.int64


@pytest.mark.parametrize("strategy", [s.name for s in qv.strategies() if s.name != "manual"])
def test_numpy_snippet_writes_out_every_strategys_range(strategy):
    x = tensor(LAYER)
    r = qv.quantize(x, 3, symmetric=strategy != "sigma", strategy=strategy)
    assert_same_numbers(run(snippets.numpy_snippet(r, snippets.load_lines(LAYER))), r)


def test_a_manual_range_is_written_out():
    r = qv.quantize(tensor(LAPLACE), 4, strategy="manual", low=0.25, high=1.5)
    snippet = snippets.numpy_snippet(r, snippets.load_lines(LAPLACE))
    # The range the page used: the user's, widened to include 0.
    assert "# Your range (the manual strategy), widened to include 0\n" in snippet
    assert "low = np.float32(0.0)\nhigh = np.float32(1.5)\n" in snippet
    assert_same_numbers(run(snippet), r)


def test_stochastic_rounding_gives_the_grid_and_rounds_to_nearest():
    x = tensor(LAYER)
    kwargs = {"bits": 3, "granularity": "channel", "axis": 0}
    page = qv.quantize(x, **kwargs, rounding="stochastic", seed=5)
    nearest = qv.quantize(x, **kwargs)
    snippet = snippets.numpy_snippet(page, snippets.load_lines(LAYER))
    assert "rounds stochastically" in snippet
    ns = run(snippet)
    assert_same_grid(ns, page)
    assert not np.array_equal(ns["codes"], page.codes)  # the page's codes are random
    assert_same_numbers(ns, nearest)


def test_the_per_tensor_min_max_snippet_reads_as_written():
    r = qv.quantize(tensor(LAPLACE), 4)
    assert snippets.numpy_snippet(r, snippets.load_lines(LAPLACE)) == (
        "import numpy as np\n"
        "import quantviz as qv\n"
        "\n"
        "x = qv.sample('laplace', n=3000, seed=1)\n"
        "x = np.asarray(x, dtype=np.float32)  # quantviz works in float32\n"
        "\n"
        "bits = 4\n"
        "qmin, qmax = 0, 2**bits - 1  # asymmetric: codes from 0\n"
        "# The clipping range: min and max, widened to include 0 (so 0.0 is a level)\n"
        "low = np.minimum(x.min(), np.float32(0))\n"
        "high = np.maximum(x.max(), np.float32(0))\n"
        "scale = np.maximum((high - low) / np.float32(qmax - qmin), np.finfo(np.float32).eps)"
        "  # never 0\n"
        "zero_point = np.clip(qmin - np.rint(low / scale).astype(np.int64), qmin, qmax)\n"
        "\n"
        "# Quantize: multiply by the float32 reciprocal of the scale, round half to even, clamp\n"
        "codes = np.clip(np.rint(x * (np.float32(1) / scale)) + zero_point, qmin, qmax)\n"
        "codes = codes.astype(np.int64)\n"
        "x_hat = (codes - zero_point).astype(np.float32) * scale  # dequantize\n"
        "mse = np.mean((x_hat.astype(np.float64) - x) ** 2)  # summed in float64\n"
        "scale, zero_point, mse\n"
    )


def test_symmetric_per_channel_and_searched_ranges_read_as_the_field_writes_them():
    x = tensor(LAYER)
    load = snippets.load_lines(LAYER)
    narrow = snippets.numpy_snippet(
        qv.quantize(x, 4, symmetric=True, narrow_range=True, granularity="channel"), load
    )
    assert "qmin, qmax = -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1  # symmetric, narrow" in narrow
    assert "amax = np.abs(x).max(axis=other, keepdims=True)\n" in narrow
    r = qv.quantize(x, 4, strategy="mse")
    searched = snippets.numpy_snippet(r, load)
    assert f"low = np.float32({float(r.low)!r})\nhigh = np.float32({float(r.high)!r})\n" in searched
    assert "# Chosen by quantviz's 'mse' strategy" in searched
    assert "x.min()" not in searched


def test_the_quantviz_snippet_is_unchanged():
    assert snippets.code_snippet({"bits": 4}, LAPLACE) == (
        "import quantviz as qv\nx = qv.sample('laplace', n=3000, seed=1)\n"
        "r = qv.quantize(x, bits=4)\nr.metrics"
    )
    assert snippets.code_snippet(
        {"bits": 8, "symmetric": True}, {"file": "w.npz", "tensor": "a"}
    ) == (
        "import quantviz as qv\nfrom quantviz.io import load_weights\n\n"
        "x = load_weights('w.npz')['a']\nr = qv.quantize(x, bits=8, symmetric=True)\nr.metrics"
    )


# ----------------------------------------------------------------- PyTorch --


@pytest.fixture(scope="module")
def torch():
    return require_module("torch", "the PyTorch snippets are executed with PyTorch")


@pytest.mark.torch
@pytest.mark.parametrize(("bits", "scheme"), SETTINGS)
@pytest.mark.parametrize("strategy", ["minmax", "mse", "percentile"])
def test_torch_snippet_gives_the_pages_numbers(torch, weight_file, bits, scheme, strategy):
    # Min-max goes through PyTorch's own observers, where quantviz claims bit-for-bit
    # conformance (per tensor, per channel; per group as channels of the groups' rows).
    # Other strategies write the page's scale and zero point out (exact float32 values),
    # so fake_quantize gives the same codes and values there too: equal, not close.
    for name, granularity in CASES:
        src = source(name, weight_file)
        r = page_result(src, bits, scheme, strategy, granularity)
        snippet = snippets.torch_snippet(r, snippets.load_lines(src))
        assert ("Observer(" in snippet) == (strategy == "minmax")
        assert_same_numbers(run(snippet), r)


@pytest.mark.torch
def test_torch_stochastic_snippet_rounds_to_nearest(torch):
    x = tensor(LAYER)
    page = qv.quantize(x, 4, symmetric=True, rounding="stochastic", seed=2)
    snippet = snippets.torch_snippet(page, snippets.load_lines(LAYER))
    assert "rounds stochastically" in snippet
    assert_same_numbers(run(snippet), qv.quantize(x, 4, symmetric=True))


@pytest.mark.torch
def test_torch_manual_range(torch):
    r = qv.quantize(tensor(LAPLACE), 4, strategy="manual", low=-0.5, high=0.5)
    snippet = snippets.torch_snippet(r, snippets.load_lines(LAPLACE))
    assert "# Your range (the manual strategy)" in snippet
    # by hand: scale = (0.5 − (−0.5)) / 15; −0.5 / scale = −7.4999996 rounds to −7, so z = 7
    assert "scale = torch.tensor([0.06666667014360428], dtype=torch.float32)" in snippet
    assert "zero_point = torch.tensor([7])" in snippet
    assert_same_numbers(run(snippet), r)


def test_the_torch_snippets_use_pytorchs_observers_and_fake_quantize():
    x = tensor(LAYER)
    load = snippets.load_lines(LAYER)
    per_tensor = snippets.torch_snippet(qv.quantize(x, 8), load)
    for fragment in (
        "from torch.ao.quantization.observer import MinMaxObserver\n",
        "obs = MinMaxObserver(\n",
        "dtype=torch.quint8, qscheme=torch.per_tensor_affine, quant_min=qmin, quant_max=qmax",
        "scale, zero_point = obs.calculate_qparams()\n",
        "torch.fake_quantize_per_tensor_affine(x, scale, zero_point, qmin, qmax)",
    ):
        assert fragment in per_tensor
    per_channel = snippets.torch_snippet(
        qv.quantize(x, 16, symmetric=True, granularity="channel", axis=1), load
    )
    for fragment in (
        "axis = 1",
        "obs = PerChannelMinMaxObserver(\n    ch_axis=axis, dtype=torch.qint32, "
        "qscheme=torch.per_channel_symmetric,\n",
        "torch.fake_quantize_per_channel_affine(x, scale, zero_point, axis, qmin, qmax)",
    ):
        assert fragment in per_channel
    searched = snippets.torch_snippet(qv.quantize(x, 4, strategy="percentile"), load)
    assert "PyTorch has no observer for quantviz's 'percentile' strategy" in searched
    assert "Observer(" not in searched
    per_group = snippets.torch_snippet(qv.quantize(x, 4, granularity="group", group_size=32), load)
    assert "PyTorch has no per-group observer" in per_group
    assert "rows, axis = x.reshape(-1, group_size), 0" in per_group
