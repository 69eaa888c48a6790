"""Real-browser tests: the served app in headless chromium, driven like a person would.

What runs: ``streamlit run app.py`` on a free port (fixture ``app_server``), Debian
chromium through Playwright (fixture ``browser``), one fresh page per test.

Skipping: without the ``playwright`` package or a ``chromium`` binary the whole module
is skipped with the reason, except when ``QUANTVIZ_REQUIRE_ALL=1`` (set by ``.ci/run``):
then every test here fails with the reason, so CI never passes by skipping.

Screenshots (full page, 1280×900 viewport, device scale 1): ``default.png`` (the page as
first opened) and ``after-slider.png`` (after the bit-slider move) are always written to
the test's pytest tmp dir. They are also written to ``assets/screenshots/`` only when
``QUANTVIZ_SCREENSHOTS=1``, so an ordinary or CI run does not dirty the clone::

    QUANTVIZ_SCREENSHOTS=1 .venv/bin/pytest tests/e2e -q

The app contract these tests rely on: a slider with key ``bits`` bound to the URL query
parameter ``bits`` (``bind="query-params"``), default 8, and an ``st.metric`` labelled
exactly ``SQNR`` whose value starts with the SQNR in dB.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    REPO_ROOT,
    assert_no_errors,
    metric_value,
    metric_value_text,
    open_app,
    parse_number,
    require_browser_tools,
    slider_thumb,
    slider_value_text,
    upload_file,
    wait_for_app_run,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)  # skips this module when a tool is missing (not in CI)

try:
    from playwright.sync_api import expect
except ImportError:  # only under QUANTVIZ_REQUIRE_ALL=1: the `browser` fixture fails first
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = REPO_ROOT / "assets" / "screenshots"
DEFAULT_BITS = 4  # the app opens at 4 bits: the collapse onto 16 levels is visible
STEPS_LEFT = 2


def save_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """Full-page PNG into the pytest tmp dir; copied to assets/screenshots on request."""
    out = tmp_path / name
    page.screenshot(path=str(out), full_page=True)
    if os.environ.get("QUANTVIZ_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, SCREENSHOT_DIR / name)
    return out


def test_bit_slider_updates_sqnr_and_url(page: Page, app_url: str, tmp_path: Path) -> None:
    open_app(page, app_url)
    assert_no_errors(page)
    expect(slider_value_text(page, "bits")).to_have_text(str(DEFAULT_BITS))
    before_text = metric_value_text(page, "SQNR")
    before = parse_number(before_text)
    save_screenshot(page, tmp_path, "default.png")

    # One key press per run: the 1.67 slider has no debounce (every arrow key sends a
    # value), so rapid presses would interrupt reruns mid-way.
    slider_thumb(page, "bits").focus()
    for _ in range(STEPS_LEFT):
        page.keyboard.press("ArrowLeft")
        wait_for_app_run(page)

    new_bits = DEFAULT_BITS - STEPS_LEFT
    expect(slider_value_text(page, "bits")).to_have_text(str(new_bits))
    expect(metric_value(page, "SQNR")).not_to_have_text(before_text)
    after = parse_number(metric_value_text(page, "SQNR"))
    assert after < before, f"SQNR should drop from {DEFAULT_BITS} to {new_bits} bits"
    assert_no_errors(page)
    save_screenshot(page, tmp_path, "after-slider.png")

    # bind="query-params": the URL now carries the new bit width (a default is dropped).
    expect(page).to_have_url(re.compile(rf"[?&]bits={new_bits}(?:&|#|$)"), timeout=5_000)


def test_deep_link_restores_bits(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    default_sqnr = metric_value_text(page, "SQNR")

    open_app(page, f"{app_url}/?bits=3")
    assert_no_errors(page)
    expect(slider_value_text(page, "bits")).to_have_text("3")
    expect(slider_thumb(page, "bits")).to_have_attribute("aria-valuetext", "3")
    expect(metric_value(page, "SQNR")).not_to_have_text(default_sqnr)


def test_upload_a_real_checkpoint_draws_its_tensor(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    """The shipped MiniLM-L6 sample, uploaded through the page like a user's own file."""
    import quantviz as qv
    from quantviz.io import load_weights

    sample = REPO_ROOT / "assets" / "minilm-l6-sample.safetensors"
    name = "encoder.layer.0.intermediate.dense.weight"  # the largest matrix: the default
    open_app(page, app_url)
    upload_file(page, "minilm.safetensors", sample.read_bytes(), key="upload")

    assert_no_errors(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(name).first).to_be_visible()
    expect(main.get_by_text("1536 × 384 matrix", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stFileChipName")).to_have_text("minilm.safetensors")
    expect(main.get_by_test_id("stImage").first).to_be_visible()
    sqnr = qv.quantize(load_weights(sample)[name], bits=DEFAULT_BITS).metrics["sqnr_db"]
    assert parse_number(metric_value_text(page, "SQNR")) == pytest.approx(sqnr, abs=0.051)
    save_screenshot(page, tmp_path, "uploaded-checkpoint.png")
