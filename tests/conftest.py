"""Shared test helpers.

Tests that need an optional tool (PyTorch, Chromium) skip with a reason where it
is missing, so a new user's ``pytest`` passes without them. CI sets
``QUANTVIZ_REQUIRE_ALL=1``: there a missing tool fails the run instead, so a
conformance test can never pass by silently not running.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

REQUIRE_ALL = os.environ.get("QUANTVIZ_REQUIRE_ALL") == "1"


def require_module(name: str, why: str) -> ModuleType:
    """Import ``name``, or skip (fail under QUANTVIZ_REQUIRE_ALL=1) saying ``why`` it is needed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if REQUIRE_ALL:
            pytest.fail(f"{name} is required here (QUANTVIZ_REQUIRE_ALL=1): {why}")
        pytest.skip(f"{name} is not installed: {why}", allow_module_level=True)


def unescape(markdown: str) -> str:
    """What a student reads of the page's Markdown: its backslash escapes undone and its
    invisible word joiners left out (the page escapes every value it repeats from a link, a
    file or a person, and breaks the bare addresses GFM would link)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
