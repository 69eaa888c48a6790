"""Fixtures for the real-browser tests: a served app, headless chromium, a fresh page.

Helpers (waiting, locators, upload) live in ``browser_helpers.py`` next to this file;
import them from there, not from this conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    CHROMIUM_ARGS,
    FIRST_LOAD_TIMEOUT_MS,
    SIZES,
    VIEWPORT,
    StreamlitServer,
    require_browser_tools,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def app_server() -> Iterator[StreamlitServer]:
    """``app.py`` served from the repo root on a free port, for one test module."""
    server = StreamlitServer("app.py")
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def app_url(app_server: StreamlitServer) -> str:
    return app_server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium driven by Playwright (its own browser can't be fetched here)."""
    exe = require_browser_tools()
    assert exe is not None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (hence a fresh Streamlit session) per test: 1280×900, scale 1.

    Uncaught JavaScript errors are collected in ``page.js_errors`` (list of str), which
    ``browser_helpers.assert_no_errors`` checks.
    """
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(FIRST_LOAD_TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(params=list(SIZES))
def sized(request, browser: Browser) -> Iterator[Page]:
    """A fresh page (a fresh session) at each of the two sizes; ``page.size_name`` says which."""
    context = browser.new_context(viewport=SIZES[request.param], device_scale_factor=1)
    context.set_default_timeout(FIRST_LOAD_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    page.size_name = request.param  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()
