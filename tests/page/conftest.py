"""The page's AppTest fixtures (tests/apptest.py)."""

from tests.apptest import _clear_streamlit_caches, open_app, small_app  # noqa: F401
