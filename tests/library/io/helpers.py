"""Helpers of the io tests: random tensors and the one way to assert a refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantviz.errors import InputError
from quantviz.io import load_weights

RNG = np.random.default_rng(1234)


def randn(*shape: int, dtype: type = np.float32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def refused(data: bytes, filename: str, match: str = "", **limits: int) -> InputError:
    """Assert load_weights raises InputError naming the file; return the error."""
    with pytest.raises(InputError) as info:
        load_weights(data, filename, **limits)
    message = str(info.value)
    assert Path(filename).name in message, message
    assert match.lower() in message.lower(), message
    assert "\n" not in message
    return info.value


def float32_exact(*shape: int) -> np.ndarray:
    """float64 values that are exactly float32 numbers (so text round trips are exact)."""
    return randn(*shape).astype(np.float64)
