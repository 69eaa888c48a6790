"""A plain ``streamlit run app.py`` restarted under an open page (issue 22, item 3).

This module's ``app_server`` is killed and started again on its port by each test.

The teacher's server stops (a crash, Ctrl-C and up again) while a student's page is open.
While it is gone the page says so in one sentence (Streamlit's own status says only
"CONNECTING"); when it is back, the browser reconnects in a new session and the page must
work at once: the bit slider (a fragment) changes the numbers and a scene (a widget's
on_change) is applied. Streamlit's browser side reruns the page on a reconnect only in
some cases (quantviz_app/layout.py says which); before, after a whole-page run, the slider
moved and the numbers stayed, and the first scene reran the page without applying it.
tests/deploy/test_student_browser.py does the same behind nginx, a replica killed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    FIRST_LOAD_TIMEOUT_MS,
    STAPP,
    STAPP_CONNECTED,
    StreamlitServer,
    assert_no_errors,
    metric_value,
    open_app,
    require_browser_tools,
    slider_thumb,
    slider_value_text,
    wait_for_app_run,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)

try:
    from playwright.sync_api import expect
except ImportError:  # only under QUANTVIZ_REQUIRE_ALL=1: the `browser` fixture fails first
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

SAID = f"""() => {{
  const app = document.querySelector("{STAPP}");
  return [app.getAttribute("data-test-connection-state"),
          getComputedStyle(app, "::before").content];
}}"""
LOST = {
    "en": "The connection to the server was lost; reconnecting… Your settings are in the "
    "page's link; if the server restarted, a file you uploaded must be uploaded again.",
    "zh": "与服务器的连接已断开，正在重新连接……页面的设置都在它的链接里；"
    "如果服务器重新启动过，上传的文件需要重新上传。",
}


def restart(server: StreamlitServer, page: Page, screenshot: str) -> list[str]:
    """Kill the server (SIGKILL: as a crash) and start it again on its port; the page's
    connection state and sentence while it was gone."""
    assert server.proc is not None
    server.proc.kill()
    server.proc.wait()
    server.proc = None
    page.wait_for_function(f'() => !document.querySelector("{STAPP_CONNECTED}")')
    said = page.evaluate(SAID)
    page.screenshot(path=screenshot)
    server.start()
    page.wait_for_selector(STAPP_CONNECTED, timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_run(page, FIRST_LOAD_TIMEOUT_MS)  # the whole page, rerun by the browser
    return said


@pytest.mark.parametrize(
    ("lang", "size"),
    [("en", {"width": 1280, "height": 800}), ("zh", {"width": 1024, "height": 768})],
)
def test_after_a_restart_the_slider_and_the_scenes_work_at_once(
    app_server: StreamlitServer, page: Page, lang: str, size: dict[str, int], tmp_path
):
    page.set_viewport_size(size)
    open_app(page, f"{app_server.url}/?lang={lang}")
    expect(metric_value(page, "SQNR")).to_have_text("10.1 dB")

    state, sentence = restart(app_server, page, str(tmp_path / f"lost-{lang}.png"))
    assert state != "CONNECTED"
    assert sentence == f'"{LOST[lang]}"'
    assert page.evaluate(SAID)[1] == "none"  # connected again: the sentence is gone

    slider_thumb(page, "bits").focus()
    page.keyboard.press("ArrowLeft")
    wait_for_app_run(page)
    expect(slider_value_text(page, "bits")).to_have_text("3")
    expect(metric_value(page, "SQNR")).to_have_text("4.4 dB")

    page.get_by_text("2 bits" if lang == "en" else "2 比特", exact=True).click()
    wait_for_app_run(page)
    expect(slider_value_text(page, "bits")).to_have_text("2")
    expect(metric_value(page, "SQNR")).to_have_text("1.8 dB")
    expect(page).to_have_url(re.compile(r"[?&]dist=normal&.*[?&]?bits=2(?:&|#|$)"))
    assert_no_errors(page)
