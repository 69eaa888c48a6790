"""quantviz against PyTorch itself: observers' scale and zero point, fake-quantize's values.

Reference: ``torch.ao.quantization.MinMaxObserver`` / ``PerChannelMinMaxObserver``
with explicit ``quant_min``/``quant_max`` and ``torch.fake_quantize_per_tensor_affine``
/ ``fake_quantize_per_channel_affine``. Everything must be *equal*, not close.
"""

import warnings

import numpy as np
import pytest

import quantviz as qv
from tests.conftest import require_module

torch = require_module("torch", "the conformance tests compare against PyTorch (pip install torch)")
from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver  # noqa: E402

pytestmark = pytest.mark.torch


def torch_dtype(bits: int, symmetric: bool):
    if bits > 8:
        return torch.qint32
    return torch.qint8 if symmetric else torch.quint8


def random_tensors(n_cases: int, seed: int):
    rng = np.random.default_rng(seed)
    makers = [
        lambda: rng.normal(rng.normal(), rng.uniform(0.01, 3), rng.integers(1, 2000)),
        lambda: rng.laplace(0, rng.uniform(0.01, 1), rng.integers(1, 2000)),
        lambda: rng.uniform(0, rng.uniform(0.1, 10), rng.integers(1, 500)),  # all positive
        lambda: -rng.uniform(0, rng.uniform(0.1, 10), rng.integers(1, 500)),  # all negative
        lambda: rng.standard_t(2, rng.integers(10, 2000)) * 0.05,
        lambda: np.full(rng.integers(1, 50), rng.normal()),  # constant
    ]
    for i in range(n_cases):
        yield makers[i % len(makers)]().astype(np.float32)


@pytest.mark.parametrize(
    ("bits", "scheme"),
    [
        (bits, scheme)
        for bits in (1, 2, 3, 4, 5, 6, 7, 8, 12, 16)
        for scheme in ("affine", "symmetric", "narrow")
        if not (scheme == "narrow" and bits == 1)  # a narrow 1-bit grid has one code
    ],
)
def test_per_tensor_matches_minmax_observer_and_fake_quantize(bits, scheme):
    symmetric = scheme != "affine"
    narrow = scheme == "narrow"
    qscheme = torch.per_tensor_symmetric if symmetric else torch.per_tensor_affine
    for x in random_tensors(24, seed=bits):
        r = qv.quantize(x, bits, symmetric=symmetric, narrow_range=narrow)
        obs = MinMaxObserver(
            dtype=torch_dtype(bits, symmetric), qscheme=qscheme, quant_min=r.qmin, quant_max=r.qmax
        )
        xt = torch.from_numpy(x)
        obs(xt)
        scale, zp = obs.calculate_qparams()
        assert np.float32(r.scale) == scale.item()
        assert r.zero_point == zp.item()
        fq = torch.fake_quantize_per_tensor_affine(xt, scale.item(), zp.item(), r.qmin, r.qmax)
        np.testing.assert_array_equal(r.dequantized, fq.numpy())


@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize(("shape", "axis"), [((16, 33), 0), ((8, 5, 7), 1), ((6, 40), -1)])
def test_per_channel_matches_per_channel_observer(bits, symmetric, shape, axis):
    rng = np.random.default_rng(bits + 10 * len(shape))
    qscheme = torch.per_channel_symmetric if symmetric else torch.per_channel_affine
    for _ in range(8):
        rows = rng.lognormal(0, 1.0, size=shape[axis])  # channels on very different scales
        scales = np.expand_dims(rows, [d for d in range(len(shape)) if d != axis % len(shape)])
        x = (rng.normal(size=shape) * scales).astype(np.float32)
        r = qv.quantize(x, bits, symmetric=symmetric, granularity="channel", axis=axis)
        ch_axis = axis % len(shape)
        obs = PerChannelMinMaxObserver(
            ch_axis=ch_axis,
            dtype=torch_dtype(bits, symmetric),
            qscheme=qscheme,
            quant_min=r.qmin,
            quant_max=r.qmax,
        )
        xt = torch.from_numpy(x)
        obs(xt)
        scale, zp = obs.calculate_qparams()
        np.testing.assert_array_equal(r.scale.astype(np.float32), scale.numpy().astype(np.float32))
        np.testing.assert_array_equal(r.zero_point, zp.numpy())
        fq = torch.fake_quantize_per_channel_affine(
            xt, scale.float(), zp.int(), ch_axis, r.qmin, r.qmax
        )
        np.testing.assert_array_equal(r.dequantized, fq.numpy())


def test_manual_range_matches_observer_fed_that_range():
    # An observer that has seen exactly [low, high] gives the grid quantviz builds for it.
    x = np.linspace(-3, 3, 1001, dtype=np.float32)
    r = qv.quantize(x, 4, strategy="manual", low=-1.5, high=2.0)
    obs = MinMaxObserver(dtype=torch.quint8, quant_min=0, quant_max=15)
    obs(torch.tensor([-1.5, 2.0]))
    scale, zp = obs.calculate_qparams()
    assert np.float32(r.scale) == scale.item() and r.zero_point == zp.item()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fq = torch.fake_quantize_per_tensor_affine(
            torch.from_numpy(x), scale.item(), zp.item(), 0, 15
        )
    np.testing.assert_array_equal(r.dequantized, fq.numpy())
