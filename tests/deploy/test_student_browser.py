"""A student's browser behind nginx (issue 22, items 3 and 14), in headless Chromium.

One page, opened through the ``replicas`` deployment:

* it asks no server but its own (a classroom machine has no network, and a request to a
  CDN tells a third party who opened the page); every request it makes while it loads is
  recorded and must go to the page's own address (or be inline: data:, blob:). The tab's
  icon was the one that did not: Streamlit fetches a ``:material/…:`` icon from
  fonts.gstatic.com;
* then its replica is killed: the page says so in a sentence of its own (Streamlit's status
  says only "CONNECTING"), reconnects (to the other replica: a new session) and reruns the
  whole page there at once, so the next slider move (a fragment's) changes the numbers
  and the next scene (a widget's on_change) is applied. Before, the page stayed as it was:
  the new session knew neither the lesson's fragment nor the scene buttons.
"""

from __future__ import annotations

import os
import signal
from urllib.parse import urlsplit

from deploy_helpers import Deployment, isolated

from tests.e2e.browser_helpers import (
    CHROMIUM_ARGS,
    FIRST_LOAD_TIMEOUT_MS,
    metric_value,
    open_app,
    require_browser_tools,
    slider_thumb,
    slider_value_text,
    wait_for_app_run,
)

require_browser_tools(collecting=True)

# Every change of the page's connection state and script state, in order; and what the
# page says across its top (the root's ::before) while it is not connected.
WATCH_STATES = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.qvStates = [];
  window.qvSaid = new Set();
  new MutationObserver(() => {
    const connection = app.getAttribute("data-test-connection-state");
    window.qvStates.push(connection + " " + app.getAttribute("data-test-script-state"));
    if (connection !== "CONNECTED")
      window.qvSaid.add(getComputedStyle(app, "::before").content);
  }).observe(app, {attributes: true,
                   attributeFilter: ["data-test-connection-state", "data-test-script-state"]});
}"""
LOST = (
    '"The connection to the server was lost; reconnecting… Your settings are in the '
    "page's link; if the server restarted, a file you uploaded must be uploaded again.\""
)
CONNECTED_AGAIN = "() => window.qvStates.at(-1)?.startsWith('CONNECTED')"
RAN = """(n) => window.qvStates.slice(n).some(s => s.endsWith('running'))
               && window.qvStates.at(-1) === 'CONNECTED notRunning'"""


def test_a_student_page_loads_offline_and_survives_its_replicas_death(replicas: Deployment):
    isolated(student_page_survives, replicas)  # Playwright's sync API needs a thread of its own


def student_page_survives(replicas: Deployment) -> None:
    """Every request of the page stays on its own host, the tab's icon is inline, and after
    its replica is killed the page reconnects to the other and runs there."""
    from playwright.sync_api import expect, sync_playwright

    exe = require_browser_tools()
    requested: list[str] = []
    answered: list[str] = []  # X-Replica of each response from the page's own server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("request", lambda request: requested.append(request.url))
            page.on("response", lambda r: answered.append(r.headers.get("x-replica", "")))
            open_app(page, replicas.base + "/")
            page.wait_for_timeout(500)  # the tab's icon is set after the first run
            icon = page.evaluate("() => document.querySelector(\"link[rel~='icon']\")?.href")
            loaded = list(requested)

            mine = answered[0]
            i = 1 if mine == replicas.replica(1) else 2
            page.evaluate(WATCH_STATES)
            os.kill(replicas.replica_pid(i), signal.SIGKILL)
            page.wait_for_function(CONNECTED_AGAIN, timeout=15_000)
            reconnecting = page.evaluate("() => window.qvStates")
            said = page.evaluate("() => [...window.qvSaid]")

            # Reconnected, the browser reruns the whole page in the new session on the
            # other replica by itself (its first run there: slow on a busy machine).
            page.wait_for_function(RAN, arg=0, timeout=FIRST_LOAD_TIMEOUT_MS * 2)
            # The bit slider (a fragment) works at once: 4 → 3 bits changes the numbers.
            expect(metric_value(page, "SQNR")).to_have_text("10.1 dB")
            slider_thumb(page, "bits").focus()
            page.keyboard.press("ArrowLeft")
            wait_for_app_run(page, FIRST_LOAD_TIMEOUT_MS)
            expect(slider_value_text(page, "bits")).to_have_text("3")
            expect(metric_value(page, "SQNR")).to_have_text("4.4 dB")
            # So does the first scene: normal data at 2 bits.
            page.get_by_text("2 bits", exact=True).click()
            wait_for_app_run(page, FIRST_LOAD_TIMEOUT_MS)
            expect(slider_value_text(page, "bits")).to_have_text("2")
            expect(metric_value(page, "SQNR")).to_have_text("1.8 dB")
            expect(
                page.get_by_test_id("stMain").get_by_text("Normal (Gaussian)").first
            ).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
        finally:
            browser.close()

    own = urlsplit(replicas.base).netloc
    elsewhere = [
        url for url in loaded
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own
    ]  # fmt: skip
    assert len(loaded) > 20  # the page, its scripts, the health check, the websocket ...
    assert elsewhere == []
    assert icon is not None and icon.startswith("data:image/svg+xml;base64,")

    # It noticed (Streamlit's "connecting" state, and the page's sentence) and reconnected,
    # to the other replica.
    assert not reconnecting[0].startswith("CONNECTED")
    assert said == [LOST]
    assert reconnecting[-1].startswith("CONNECTED")
    assert answered[-1].split(", ")[-1] == replicas.replica(3 - i)  # nginx tried both
