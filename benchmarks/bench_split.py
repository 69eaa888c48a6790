"""Where a cached bit-slider move's time goes: the server or the browser.

The same cached moves as ``bench_app.py`` (←/→ between two bit widths already computed),
with the page's WebSocket watched from inside the page. Each move is split into four
intervals on the page's clock:

* **key → request**: the key press until the browser sends the rerun request;
* **request → last message**: until the last message of the run arrives (the server runs
  the fragment and streams its elements; the browser already draws those that arrived,
  so on a 2-core machine the two share the CPU);
* **last message → numbers**: until the SQNR card shows the new value and the script is
  idle (the browser draws the rest);
* **numbers → pictures**: until the browser's next idle moment (the charts redrawn).

Run for the app and for the bare page (``benchmarks/bare_app.py``), so each interval
has its floor. Usage (not part of pytest)::

    .venv/bin/python benchmarks/bench_split.py [--moves N] [--write]

``--write`` replaces the "## App: where a cached move's time goes" section of
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_app import _LOADED, METRIC, VIEWPORT, move  # noqa: E402
from browser_helpers import (  # noqa: E402
    CHROMIUM_ARGS,
    FIRST_LOAD_TIMEOUT_MS,
    StreamlitServer,
    chromium_path,
    missing_browser_tools,
    slider_thumb,
)
from report import machine, publish  # noqa: E402

SECTION_TITLE = "App: where a cached move's time goes"
INTERVALS = ("key → request", "request → last message", "last message → numbers",
             "numbers → pictures", "total (pictures)")  # fmt: skip

# Before the page's scripts run: every WebSocket records when it sends and receives.
_WATCH = """
window.__ws = [];
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener("message", () => window.__ws.push(["in", performance.now()]));
  const send = ws.send.bind(ws);
  ws.send = (data) => { window.__ws.push(["out", performance.now()]); return send(data); };
  return ws;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, Native);
"""


def split(page, key: str) -> tuple[float, ...] | None:
    """One move: the four intervals and the total, in ms (None if no message was seen)."""
    page.evaluate("() => { window.__ws = []; }")
    _, pictures = move(page, key)
    clocks, events = page.evaluate("() => [window.__qv, window.__ws]")
    sent = [t for kind, t in events if kind == "out"]
    received = [t for kind, t in events if kind == "in" and t <= clocks["numbers"]]
    if not sent or not received:
        return None
    return (
        sent[0] - clocks["key"],
        received[-1] - sent[0],
        clocks["numbers"] - received[-1],
        clocks["pictures"] - clocks["numbers"],
        pictures,
    )


def measure(browser, script: str, moves: int, warmup: int) -> list[float]:
    """Median of each interval over ``moves`` cached moves of ``script``."""
    with StreamlitServer(script) as server:
        ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        ctx.add_init_script(_WATCH)
        page = ctx.new_page()
        page.goto(server.url, wait_until="commit", timeout=FIRST_LOAD_TIMEOUT_MS)
        page.wait_for_function(_LOADED, polling="raf", timeout=FIRST_LOAD_TIMEOUT_MS)
        slider_thumb(page, "bits").focus()
        rows = []
        for i in range(warmup + moves):
            row = split(page, "ArrowLeft" if i % 2 == 0 else "ArrowRight")
            if i >= warmup and row is not None:
                rows.append(row)
            time.sleep(0.3)
        ctx.close()
    return [statistics.median(r[j] for r in rows) for j in range(len(INTERVALS))]


def render(app: list[float], bare: list[float], moves: int, version: str) -> str:
    lines = [
        f"The cached moves of the section above ({moves} per page), each split on the page's "
        f'clock by watching the page\'s WebSocket (`{METRIC}` card for "numbers"). Medians, ms. '
        "While the server streams a run's elements the browser draws those already "
        "arrived, so on 2 cores the middle intervals share the CPU.",
        "",
        "| interval | app.py (default) | bare Streamlit | app − bare |",
        "|---|---:|---:|---:|",
    ]
    for name, a, b in zip(INTERVALS, app, bare, strict=True):
        lines.append(f"| {name} | {a:.0f} | {b:.0f} | {a - b:.0f} |")
    lines += ["", f"Machine: {machine()}; Chromium {version} (headless), viewport "
              f"{VIEWPORT['width']}×{VIEWPORT['height']}.", "",
              "Reproduce: `.venv/bin/python benchmarks/bench_split.py --write`."]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=16, help="measured moves per page")
    ap.add_argument("--warmup", type=int, default=4, help="unmeasured moves first")
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()
    missing = missing_browser_tools()
    if missing:
        print("cannot run: missing " + " and ".join(missing), file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            app = measure(browser, "app.py", args.moves, args.warmup)
            bare = measure(browser, "benchmarks/bare_app.py", args.moves, args.warmup)
            version = browser.version
        finally:
            browser.close()
    body = render(app, bare, args.moves, version)
    return publish(SECTION_TITLE, body, write=args.write)


if __name__ == "__main__":
    sys.exit(main())
