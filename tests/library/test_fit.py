"""The one policy that fits settings to a tensor they were not chosen for."""

from __future__ import annotations

import math

import pytest

import quantviz as qv
from quantviz.fit import fit_settings, group_sizes, nearest_group_size


def test_settings_that_fit_are_left_alone():
    kwargs, changes = fit_settings((64, 128), bits=4, granularity="channel", axis=1)
    assert kwargs == {"bits": 4, "granularity": "channel", "axis": 1}
    assert changes == []


@pytest.mark.parametrize(
    ("shape", "kwargs", "fitted", "message"),
    [
        ((16,), {"granularity": "channel"}, {"granularity": "tensor"},
         "Per-channel quantization needs a tensor with rows (2-D or more); this one is 1-D, "
         "so it is quantized per tensor."),
        ((8, 8), {"granularity": "channel", "axis": 3}, {"granularity": "channel", "axis": 0},
         "The tensor has no axis 3; using axis 0."),
        ((4, 30), {"granularity": "group", "group_size": 128},
         {"granularity": "group", "group_size": 30},
         "Groups of 128 do not divide the last dimension (30); using groups of 30."),
        ((4, 384), {"granularity": "group", "group_size": 100},
         {"granularity": "group", "group_size": 64},
         "Groups of 100 do not divide the last dimension (384); using groups of 64."),
        ((8, 8), {"granularity": "channel", "strategy": "entropy"},
         {"granularity": "channel", "strategy": "minmax"},
         "The 'entropy' strategy calibrates per tensor only (as in TensorRT), so "
         "per-channel quantization uses min-max here."),
        ((8,), {"bits": 1, "symmetric": True, "narrow_range": True},
         {"bits": 2, "symmetric": True, "narrow_range": True},
         "A narrow range needs at least 2 bits (at 1 bit only code 0 would be left)."),
    ],
)  # fmt: skip
def test_each_change_is_the_nearest_that_applies_and_is_said(shape, kwargs, fitted, message):
    out, changes = fit_settings(shape, **kwargs)
    assert out == fitted
    assert [c.message for c in changes] == [message]
    x = qv.sample("normal", n=math.prod(shape)).reshape(shape)
    assert qv.quantize(x, **out).codes.shape == shape  # the fitted settings do apply


def test_per_group_without_a_size_uses_the_default_128():
    assert fit_settings((2, 256), granularity="group") == (
        {"granularity": "group", "group_size": 128},
        [],
    )


def test_group_sizes_offered():
    assert group_sizes(384) == (8, 16, 32, 64, 128)
    assert group_sizes(30) == (2, 3, 5, 6, 10, 15, 30)
    assert group_sizes(7) == (7,)
    assert group_sizes(1) == (1,)
    assert nearest_group_size(None, 1536) == 128
    assert nearest_group_size(4, 1536) == 8
