"""The Integers and Train for it rooms in headless chromium at 1024×768 and 1280×800: the
stage table and the ONNX lines fit, the ONNX file a click downloads runs in ONNX Runtime
with the room's answers, and the fine-tune runs from the page with its progress.

Fixtures and helpers as in ``test_rooms_browser.py``; screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pytest
from browser_helpers import (
    assert_no_errors,
    open_app,
    overflowing,
    require_browser_tools,
    wait_for_app_run,
    wait_for_charts,
)
from test_rooms_browser import (
    expect,
    shot,
    sized,  # noqa: F401  (the fixture: 1024×768, then 1280×800)
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)

pytestmark = pytest.mark.browser

INTEGERS = "?room=Integers&source=model&bits=8&scheme=symmetric&granularity=channel"


def test_the_integers_room_fits_and_its_file_runs(sized: Page, app_url: str, tmp_path):  # noqa: F811
    ort = pytest.importorskip("onnxruntime")
    import quantviz as qv

    page = sized
    open_app(page, app_url + INTEGERS)
    wait_for_charts(page)
    table = page.locator("table", has_text="accumulator").first
    table.scroll_into_view_if_needed()
    expect(table.get_by_text("174,081", exact=True).first).to_be_visible()  # conv2, digit 0
    expect(table.get_by_text("220", exact=True).first).to_be_visible()
    shot(page, tmp_path, "integers-table")
    code = page.locator("[data-testid='stCode']", has_text="onnxruntime")
    code.scroll_into_view_if_needed()
    assert overflowing(page, "[data-testid='stCode'] pre") == []  # the three lines, uncut
    assert overflowing(page, "[data-testid='stMarkdownContainer'] table") == []
    shot(page, tmp_path, "integers-onnx")
    with page.expect_download() as got:
        page.locator(".st-key-dl_onnx button").click()
    path = tmp_path / "digits-cnn-int8.onnx"
    got.value.save_as(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    m = qv.load_model("digits-cnn")
    answers = session.run(None, {"image": m.x_test})[0].argmax(axis=1)
    assert int(np.sum(answers == m.y_test)) == 530  # 98.1 %, as the room's metric says
    assert_no_errors(page)


def test_the_fine_tune_runs_from_the_page_with_its_progress(sized: Page, app_url: str, tmp_path):  # noqa: F811
    page = sized
    epochs = {"1024x768": 2, "1280x800": 3}[page.size_name]  # a setting not trained yet
    open_app(page, app_url + f"?room=Train+for+it&bits=2&qat_epochs={epochs}")
    wait_for_charts(page)
    button = page.locator(".st-key-qat_run button")
    button.scroll_into_view_if_needed()
    button.click()
    running = re.compile(rf"^Epoch 1 of {epochs}: ")  # the bar, after the first epoch
    expect(page.get_by_text(running)).to_be_visible(timeout=60_000)
    shot(page, tmp_path, "fine-tune-running")
    done = rf"^Before: 20\.6 % \(PTQ\); after {epochs} epochs in numpy: "
    expect(page.get_by_text(re.compile(done))).to_be_visible(timeout=120_000)
    wait_for_app_run(page, 60_000)
    expect(page.get_by_text(re.compile(r"^Epoch \d of \d: "))).to_have_count(0)  # bar gone
    shot(page, tmp_path, "fine-tune-done")
    assert_no_errors(page)
