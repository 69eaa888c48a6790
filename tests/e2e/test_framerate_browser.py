"""The picture follows the finger (issue 18): an arrow key on the bit slider repaints both
histograms and the main numbers in the browser, before the server has answered.

Each test holds back everything the server sends once the page is drawn (Playwright's
``route_web_socket`` sits between the page and Streamlit's websocket), presses an arrow key,
and reads what the page shows then: the numbers and the histograms' titles at the new bit
width, which only the browser can have drawn. Then it lets the server's messages through and
checks that the page, once settled, shows the same. No timing: each check waits for a state.

The expected numbers are written by hand: the default tensor's are the core's for its seeded
Laplace tensor (``qv.quantize(qv.sample("laplace", n=100_000, seed=0), bits=b)``, min-max,
asymmetric), and the uploaded tensor is 0, 1, …, 255, whose grids are worked out below.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

import numpy as np
import pytest
from browser_helpers import (
    JS_METRIC_TEXT,
    assert_no_errors,
    open_app,
    require_browser_tools,
    slider_thumb,
    upload_file,
    wait_for_app_run,
    wait_for_charts,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page, WebSocketRoute

require_browser_tools(collecting=True)

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:  # only under QUANTVIZ_REQUIRE_ALL=1: the `browser` fixture fails first
    expect = None  # type: ignore[assignment]
    PlaywrightTimeout = TimeoutError  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

#: JS: every line of the charts' own titles (Vega's text marks), in page order.
JS_TITLES = """
() => [...document.querySelectorAll("[data-testid='stVegaLiteChart'] .role-mark.mark-text text")]
  .flatMap(t => {
    const spans = [...t.querySelectorAll("tspan")];
    return spans.length ? spans.map(s => s.textContent) : [t.textContent];
  })
"""


class Server:
    """Between the page and Streamlit's websocket: passes every message, except that while
    :attr:`held` the server's messages wait in :attr:`queue` (the page then sees no answer)."""

    def __init__(self, page: Page) -> None:
        self.held = False
        self.queue: list[str | bytes] = []
        self.route: WebSocketRoute | None = None
        page.route_web_socket(re.compile(r"/_stcore/stream$"), self._connect)

    def _connect(self, route: WebSocketRoute) -> None:
        server = route.connect_to_server()
        route.on_message(server.send)
        server.on_message(lambda m: self.queue.append(m) if self.held else route.send(m))
        self.route = route

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        """Deliver what was held, in order, and pass everything from now on."""
        self.held = False
        assert self.route is not None
        while self.queue:
            self.route.send(self.queue.pop(0))


def cards(page: Page, labels: list[str]) -> dict[str, str | None]:
    return {label: page.evaluate(JS_METRIC_TEXT, label) for label in labels}


def check_shown(page: Page, numbers: dict[str, str], titles: list[str]) -> None:
    """Wait until the cards show ``numbers`` and the charts' titles include ``titles``; fail
    with what the page shows instead."""
    wanted = {"numbers": numbers, "titles": titles}
    try:
        page.wait_for_function(
            f"""(w) => {{
              const text = {JS_METRIC_TEXT};
              const shown = ({JS_TITLES})();
              return Object.entries(w.numbers).every(([l, v]) => text(l) === v)
                && w.titles.every(t => shown.includes(t));
            }}""",
            arg=wanted,
            timeout=10_000,
        )
    except PlaywrightTimeout:
        shown = cards(page, list(numbers)), page.evaluate(JS_TITLES)
        pytest.fail(f"wanted {numbers} and {titles}; the page shows {shown}")


def press(page: Page, key: str, bits: int) -> None:
    """Press ``key`` on the bit slider; the slider itself says ``bits`` to a screen reader
    too (its name is its label, its value the width)."""
    thumb = slider_thumb(page, "bits")
    expect(thumb).to_have_attribute("aria-label", "Bit width b")
    thumb.focus()
    page.keyboard.press(key)
    expect(thumb).to_have_value(str(bits))
    expect(thumb).to_have_attribute("aria-valuetext", str(bits))


# The default tensor: Laplace, 100,000 values, seed 0, min-max, asymmetric, per tensor.
DEFAULT = {
    3: {"Step size": "2.406", "SQNR": "4.4 dB", "MSE": "0.358", "Levels used": "8 of 8",
        "Clipped": "0 %"},
    2: {"Step size": "5.615", "SQNR": "0.7 dB", "MSE": "0.848", "Levels used": "4 of 4",
        "Clipped": "0 %"},
    1: {"Step size": "16.84", "SQNR": "0.0 dB", "MSE": "0.998", "Levels used": "2 of 2",
        "Clipped": "0 %"},
}  # fmt: skip


def test_an_arrow_key_repaints_the_numbers_and_histograms_before_the_server_answers(
    page: Page, app_url: str
):
    server = Server(page)
    open_app(page, app_url)  # 4 bits
    wait_for_charts(page)
    server.hold()
    press(page, "ArrowLeft", 3)
    check_shown(page, DEFAULT[3], ["After 3-bit quantization", "8 of 8 levels used"])
    press(page, "ArrowLeft", 2)  # two presses ahead of the server
    check_shown(page, DEFAULT[2], ["After 2-bit quantization", "4 of 4 levels used"])
    # three presses: 1 bit was not sent ahead (4 ± 2); picture and numbers stay together on
    # 2 bits until the server has drawn 1 bit
    press(page, "ArrowLeft", 1)
    check_shown(page, DEFAULT[2], ["After 2-bit quantization", "4 of 4 levels used"])
    assert server.queue, "the server answered nothing: the key press reached it?"
    server.release()
    wait_for_app_run(page)
    check_shown(page, DEFAULT[1], ["After 1-bit quantization", "2 of 2 levels used"])
    expect(page).to_have_url(re.compile(r"[?&]bits=1(?:&|#|$)"), timeout=5_000)
    assert_no_errors(page)


def test_the_class_view_follows_the_slider_before_the_server(page: Page, app_url: str):
    server = Server(page)
    open_app(page, f"{app_url}/?view=class&bits=3")
    wait_for_charts(page)
    server.hold()
    press(page, "ArrowLeft", 2)
    big = {k: DEFAULT[2][k] for k in ("Step size", "SQNR", "Levels used")}
    check_shown(page, big, ["After 2-bit quantization"])
    server.release()
    wait_for_app_run(page)
    check_shown(page, big, ["After 2-bit quantization"])
    assert_no_errors(page)


# 0, 1, …, 255 on the asymmetric min-max grid: step = 255 / (2^b − 1), zero point 0; the mean
# square is Σk²/256 = 255·511/6 = 21,717.5.
#  4 bits: step 17; the values between two levels are 1…16 from the lower, errors 1…8 then
#          8…1: Σe² = 2·204 per step, 15 steps, MSE = 6,120/256 = 23.906;
#          SQNR = 10·log10(21,717.5/23.906) = 29.6 dB.
#  3 bits: step 255/7 = 36.43 (float32: 36.428570); x/step = 7k/255 is never halfway (14k is
#          even, 255·odd is not); k's error is its distance to the nearest of 0, 36.43, …, 255:
#          Σe² = 28,199.18 (summed level by level in float64), MSE = 110.15,
#          SQNR = 10·log10(21,717.5/110.15) = 22.9 dB.
ARANGE = {
    4: {"Step size": "17", "MSE": "23.9", "SQNR": "29.6 dB", "Levels used": "16 of 16",
        "Clipped": "0 %"},
    3: {"Step size": "36.43", "MSE": "110", "SQNR": "22.9 dB", "Levels used": "8 of 8",
        "Clipped": "0 %"},
}  # fmt: skip


def test_an_uploaded_tensor_follows_the_slider_before_the_server(page: Page, app_url: str):
    server = Server(page)
    open_app(page, app_url)
    wait_for_charts(page)
    buf = io.BytesIO()
    np.save(buf, np.arange(256, dtype=np.float32))
    upload_file(page, "ramp.npy", buf.getvalue(), key="upload")
    wait_for_charts(page)
    check_shown(page, ARANGE[4], ["After 4-bit quantization", "16 of 16 levels used"])
    server.hold()
    press(page, "ArrowLeft", 3)
    check_shown(page, ARANGE[3], ["After 3-bit quantization", "8 of 8 levels used"])
    server.release()
    wait_for_app_run(page)
    check_shown(page, ARANGE[3], ["After 3-bit quantization", "8 of 8 levels used"])
    assert_no_errors(page)
