"""AppTest fixtures: a fresh app per test, caches cleared so tests cannot see each other.

Used by the page's and the rooms' tests (their ``conftest.py`` import these fixtures).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _open(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def open_app():
    """``open_app(**query)``: run the app once, as if opened from a link carrying ``query``."""
    return _open


@pytest.fixture
def small_app() -> AppTest:
    """The app on 1,000 values (fast), otherwise at its defaults."""
    return _open(n="1000")
