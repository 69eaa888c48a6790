"""Shared helpers for driving the Streamlit app in a real browser.

Used by the e2e tests (``tests/e2e``) and by ``benchmarks/bench_app.py``, so the server
launch, chromium flags and selectors live in one place. This module is a plain module,
not a conftest: test modules import it by its (unique) name. Importing names from
``conftest`` breaks as soon as pytest loads two ``conftest.py`` files in one run.

The pattern follows Streamlit's own ``e2e_playwright/conftest.py``: serve the app with
``streamlit run`` on a free port, wait for ``/_stcore/health``, then drive headless
chromium and wait on the ``stApp`` element's ``data-test-script-state`` attribute
instead of sleeping.

Playwright's bundled browser cannot be downloaded on these machines, so the Debian
``chromium`` binary is launched via ``executable_path``. The ``--disable-*`` networking
flags stop chromium's background connections, which this machine refuses.

Playwright is imported lazily so that a machine without it can still import this module
(and :func:`require_browser_tools` can skip or fail with a clear reason).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Locator, Page

REPO_ROOT = Path(__file__).resolve().parents[2]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
#: What a person sees it on: a projector and a laptop (the ``sized`` fixture's two pages).
SIZES = {"1024x768": {"width": 1024, "height": 768}, "1280x800": {"width": 1280, "height": 800}}

#: The first load of the real app imports numpy/matplotlib and computes; be generous.
FIRST_LOAD_TIMEOUT_MS = 30_000
#: One rerun after a widget change.
RUN_TIMEOUT_MS = 15_000
SERVER_START_TIMEOUT_S = 60.0

STAPP = "[data-testid='stApp']"
STAPP_CONNECTED = f"{STAPP}[data-test-connection-state='CONNECTED']"
STAPP_NOT_RUNNING = f"{STAPP}[data-test-script-state='notRunning']"


# --------------------------------------------------------------------------- tools


def chromium_path() -> str | None:
    """The Debian chromium binary, or None."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def missing_browser_tools() -> list[str]:
    """What is missing to run the browser tests (empty when all is there)."""
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        problems.append(f"the 'playwright' Python package ({exc})")
    if chromium_path() is None:
        problems.append("a chromium binary (apt-get install chromium)")
    return problems


def require_browser_tools(*, collecting: bool = False) -> str | None:
    """Return the chromium path, or skip/fail when playwright or chromium is missing.

    Outside CI a missing tool skips: called at module level with ``collecting=True`` it
    skips the whole module with the reason. With ``QUANTVIZ_REQUIRE_ALL=1`` (CI) a
    missing tool is a failure, never a skip: at collection time this returns None and
    lets the tests run into the ``browser`` fixture, which fails each of them with the
    reason (a collection error would stop the whole suite from running).
    """
    import pytest

    problems = missing_browser_tools()
    if problems:
        reason = "missing " + " and ".join(problems)
        if os.environ.get("QUANTVIZ_REQUIRE_ALL") == "1":
            if collecting:
                return None
            pytest.fail(f"QUANTVIZ_REQUIRE_ALL=1 but the browser tests are {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}", allow_module_level=True)
    return chromium_path()


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``python -m streamlit run <script>`` from the repo root on a free port.

    Output goes to a temporary file, not a PIPE (a full pipe would block the server).
    """

    def __init__(self, script: str, cwd: Path = REPO_ROOT) -> None:
        self.script = script
        self.cwd = cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> StreamlitServer:
        """Start and poll ``/_stcore/health`` until it says ``ok``; RuntimeError with the log."""
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            cmd, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"`streamlit run {self.script}` exited with code {self.proc.returncode} "
                    f"before it was healthy. Server log:\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().decode(errors="replace").strip() == "ok":
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        log = self.log()
        self.stop()
        raise RuntimeError(
            f"`streamlit run {self.script}` did not answer 'ok' on /_stcore/health within "
            f"{timeout_s:.0f} s. Server log:\n{log}"
        )

    def log(self) -> str:
        """The last 20 000 characters the server printed."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-20_000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()


# --------------------------------------------------------------------------- waiting


def wait_for_app_run(page: Page, timeout_ms: float = RUN_TIMEOUT_MS) -> None:
    """Wait until the script run triggered by the last interaction has finished.

    Streamlit's own trick: give the frontend ~250 ms to send the widget change and flip
    the script state away from ``notRunning``, then wait for CONNECTED and ``notRunning``.
    """
    page.wait_for_timeout(250)
    page.wait_for_selector(STAPP_CONNECTED, timeout=timeout_ms)
    page.wait_for_selector(STAPP_NOT_RUNNING, timeout=timeout_ms)


def wait_for_app_loaded(page: Page, timeout_ms: float = FIRST_LOAD_TIMEOUT_MS) -> None:
    """After ``page.goto``: the app shell is up and the first script run has finished."""
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout_ms)
    wait_for_app_run(page, timeout_ms)


def open_app(page: Page, url: str, timeout_ms: float = FIRST_LOAD_TIMEOUT_MS) -> None:
    """Navigate to ``url`` and wait for the first run (generous timeout for a cold app)."""
    page.goto(url, timeout=timeout_ms)
    wait_for_app_loaded(page, timeout_ms)


# --------------------------------------------------------------------------- locators


def key_selector(key: str) -> str:
    """CSS selector of the element container Streamlit tags with ``st-key-<key>``."""
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key.strip())


def get_element_by_key(page: Page, key: str) -> Locator:
    return page.locator(key_selector(key))


def slider_thumb(page: Page, key: str) -> Locator:
    """The focusable thumb of the slider widget with this key.

    In 1.67 the thumb is a react-aria ``<input type="range">`` whose ``slider`` role is
    implicit (no ``role`` attribute), so the CSS ``.st-key-bits [role='slider']`` matches
    nothing; ``get_by_role("slider")`` does.
    """
    return get_element_by_key(page, key).get_by_role("slider")


def slider_value_text(page: Page, key: str) -> Locator:
    """The value label drawn above the thumb (``stSliderThumbValue``)."""
    return get_element_by_key(page, key).get_by_test_id("stSliderThumbValue")


def metric(page: Page, label: str) -> Locator:
    """The first ``stMetric`` whose label text is exactly ``label``."""
    return (
        page.get_by_test_id("stMetric")
        .filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
        .first
    )


def metric_value(page: Page, label: str) -> Locator:
    return metric(page, label).get_by_test_id("stMetricValue")


def metric_value_text(page: Page, label: str, timeout_ms: float = RUN_TIMEOUT_MS) -> str:
    return metric_value(page, label).inner_text(timeout=timeout_ms).strip()


_NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?")


def parse_number(text: str) -> float:
    """The first number in a metric text such as ``"34.4 dB"`` or ``"−3.0 dB"``."""
    m = _NUMBER.search(text.replace(",", ""))
    if m is None:
        raise ValueError(f"no number in metric text {text!r}")
    return float(m.group().replace("−", "-"))


#: JS: the text of the first stMetric whose label is exactly ``label`` (or null).
JS_METRIC_TEXT = """
(label) => {
  for (const m of document.querySelectorAll("[data-testid='stMetric']")) {
    const l = m.querySelector("[data-testid='stMetricLabel']");
    if (l && l.textContent.trim() === label) {
      const v = m.querySelector("[data-testid='stMetricValue']");
      return v ? v.textContent.trim() : null;
    }
  }
  return null;
}
"""


# --------------------------------------------------------------------------- checks/actions


def assert_no_errors(page: Page) -> None:
    """No Python exception box, no ``st.error`` box, no uncaught JavaScript error.

    ``page.js_errors`` is filled by the e2e ``page`` fixture (``pageerror`` events).
    """
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    js_errors = getattr(page, "js_errors", [])
    assert not js_errors, f"uncaught JavaScript errors in the page: {js_errors}"


def upload_file(
    page: Page,
    name: str,
    data: bytes,
    mime: str = "application/octet-stream",
    key: str | None = None,
) -> None:
    """Upload ``data`` as a file called ``name`` through ``st.file_uploader``; wait for the run.

    With ``key``, the uploader inside ``.st-key-<key>`` is used; otherwise the page must
    hold exactly one uploader. Sets the hidden ``stFileUploaderDropzoneInput`` directly,
    like Streamlit's own e2e tests (no native file chooser involved). The uploaded file's
    row is ``stFileChip`` / ``stFileChipName`` in 1.67.
    """
    scope: Any = get_element_by_key(page, key) if key is not None else page
    scope.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [{"name": name, "mimeType": mime, "buffer": data}]
    )
    wait_for_app_run(page)


def wait_for_charts(page: Page, timeout_ms: float = FIRST_LOAD_TIMEOUT_MS) -> None:
    """Wait until every chart has been drawn (no loading skeletons, a canvas in each chart).

    The browser loads the chart library lazily the first time; until then a chart is a
    grey skeleton.
    """
    page.wait_for_function(
        """() => document.querySelectorAll("[data-testid='stSkeleton']").length === 0
             && [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
                .every(c => c.querySelector("canvas, svg"))""",
        timeout=timeout_ms,
    )


#: JS: every element matching the selector whose content is wider than its box, or that
#: reaches beyond the right edge of the page, as "text (scrollWidth > clientWidth)" lines.
JS_OVERFLOWING = """
(selector) => {
  const out = [];
  for (const e of document.querySelectorAll(selector)) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.right <= 0) continue;  // hidden: a closed expander or sidebar
    if (e.scrollWidth > e.clientWidth + 1 || box.right > window.innerWidth + 1)
      out.push(`${e.textContent.trim().slice(0, 60)} (${e.scrollWidth} > ${e.clientWidth})`);
  }
  return out;
}
"""


#: JS: every formula wider than its place. A display formula scrolls sideways when it is
#: too wide (KaTeX's overflow: auto), so its scrollWidth exceeds its width; 2 px of that
#: are KaTeX's own rounding, present on every formula.
JS_FORMULAS_CUT = """
() => {
  const out = [];
  for (const f of document.querySelectorAll(".katex-display")) {
    const box = f.getBoundingClientRect();
    if (box.width === 0 || box.right <= 0) continue;
    if (f.scrollWidth > f.clientWidth + 3)
      out.push(`${f.textContent.trim().slice(0, 60)} (${f.scrollWidth} > ${f.clientWidth})`);
  }
  return out;
}
"""


def overflowing(page: Page, selector: str) -> list[str]:
    """The elements matching ``selector`` that are cut off or stick out of the page, and
    every formula wider than its place."""
    return page.evaluate(JS_OVERFLOWING, selector) + page.evaluate(JS_FORMULAS_CUT)


def box(page: Page, selector: str) -> dict[str, float]:
    """The bounding box of the first element matching ``selector`` (in CSS pixels)."""
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not on the page"
    return found


def shot(page: Page, tmp_path: Path, name: str) -> None:
    """A screenshot of what is on screen, named by the ``sized`` page's size."""
    page.screenshot(path=str(tmp_path / f"{name}-{page.size_name}.png"))  # type: ignore[attr-defined]
