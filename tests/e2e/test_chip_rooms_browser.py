"""The Integers and Train for it rooms in headless chromium at 1024×768 and 1280×800: the
stage table and the ONNX lines fit, the ONNX file a click downloads runs in ONNX Runtime
with the room's answers (the fine-tune is tested with AppTest: tests/rooms/test_training_room.py).

Fixtures and helpers as in ``test_rooms_browser.py``; screenshots go to the test's tmp dir.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from browser_helpers import (
    assert_no_errors,
    open_app,
    overflowing,
    require_browser_tools,
    shot,
    wait_for_charts,
)
from test_rooms_browser import expect

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)

pytestmark = pytest.mark.browser

INTEGERS = "?room=Integers&source=model&bits=8&scheme=symmetric&granularity=channel"


def test_the_integers_room_fits_and_its_file_runs(sized: Page, app_url: str, tmp_path):
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
