"""The page opened and each room opened, cold and warm, in a real browser, beside the bare
Streamlit page measured in the same run (issue 16, item 13).

Headless chromium (Playwright, the e2e tests' flags), 1280×800. Every time is on the page's
clock, until the page is **settled**: the first animation frame, after the server's last
message, at which the script is idle, no loading skeleton is left, every chart is drawn (a
canvas or an SVG in each) and every image loaded (the server then says nothing for 300 ms;
after a click, it must have answered the request the click sent: a run too short to be
seen "running" counts too).

* **page**: navigation → settled. *cold*: the first visit after the server started (the
  server imports the library, reads the shipped files, computes the default tensor), the
  median of ``--cold`` servers; *warm*: the median of ``--warm`` later visits, each in a
  fresh browser context.
* **room**: a click on the room's tab → settled. *cold*: a server started for this room, the
  page opened once on another room (untimed), then the tab clicked: the first time the
  server computes that room; *warm*: the median of ``--warm`` fresh contexts on the same
  server, each opening the page and clicking the tab (another student opening the room).
  Rooms that need another page: Channels a matrix (``?dist=layer``), Whole model a file
  (``?source=sample``), Block a number format (``?format=nf4``).
* **the fewest-bits search** (Accuracy room, its Search button) and a **Take home
  download** (histograms.png: built on the click): click → settled or downloaded.
* **bare**: ``benchmarks/bare_app.py`` (one slider, one metric): its page cold and warm,
  and a rerun (a key on its slider → its metric redrawn), the floor of every click above.

Targets (issue 16, item 13): first page ≤ 3 s; any room ≤ 1 s warm, ≤ 2 s the first time.
The machine is shared: every ratio compares times taken in the same run, and the load
average is printed with the table.

Usage (not part of pytest)::

    .venv/bin/python benchmarks/bench_rooms.py [--warm N] [--cold N] [--rooms A,B] [--write]

``--write`` replaces the "## App: page and rooms, cold and warm" section of
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_app import move  # noqa: E402
from browser_helpers import (  # noqa: E402
    CHROMIUM_ARGS,
    FIRST_LOAD_TIMEOUT_MS,
    StreamlitServer,
    chromium_path,
    missing_browser_tools,
    slider_thumb,
)
from report import machine, publish  # noqa: E402

SECTION_TITLE = "App: page and rooms, cold and warm"
VIEWPORT = {"width": 1280, "height": 800}
TARGET_PAGE_MS, TARGET_ROOM_WARM_MS, TARGET_ROOM_COLD_MS = 3000, 1000, 2000
BASE_ROOM = "Formulas"  # the room a page opens on before another room's tab is clicked
ROOMS = {  # room → the page it needs (its link without the room)
    "Trade-off": "",
    "Formats": "",
    "Formulas": "",
    "Close-up": "",
    "Staircase": "",
    "Channels": "dist=layer",
    "Whole model": "source=sample",
    "Accuracy": "",
    "Take home": "",
    "Block": "format=nf4",
}
SEARCH = "fewest-bits search (Accuracy, Search)"
DOWNLOAD = "Take home, histograms.png (built on the click)"

# Before the page's scripts run: when the page's WebSocket last sent and received.
_WIRE = """
window.__qvWire = {out: 0, in: 0};
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener("message", () => { window.__qvWire.in = performance.now(); });
  const send = ws.send.bind(ws);
  ws.send = (data) => { window.__qvWire.out = performance.now(); return send(data); };
  return ws;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, Native);
"""
# Settled: the script idle, no loading skeleton, a canvas or an SVG in every chart, every
# image loaded, and (after an action) the server has answered the request the action sent
# and said nothing for QUIET_MS. The time is the first animation frame at which all that
# held after the server's last message (a run too short to be seen "running" counts too).
QUIET_MS = 300
_SETTLED = f"""
(since) => {{
  const now = performance.now(), wire = window.__qvWire;
  const app = document.querySelector("[data-testid='stApp']");
  const drawn = app && app.dataset.testScriptState === "notRunning"
    && !document.querySelector("[data-testid='stSkeleton']")
    && [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
         .every(c => c.querySelector("canvas, svg"))
    && [...document.images].every(i => i.complete);
  const answered = since === null || (wire.out > since && wire.in > wire.out);
  if (!drawn || !answered) {{ window.__qvDrawn = null; return false; }}
  if (window.__qvDrawn === null || window.__qvDrawn < wire.in) window.__qvDrawn = now;
  return now - wire.in >= {QUIET_MS} ? window.__qvDrawn - (since ?? 0) : false;
}}
"""


@dataclass
class Times:
    colds: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)

    @property
    def cold(self) -> float:
        return statistics.median(self.colds) if self.colds else math.nan

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm) if self.warm else math.nan


def settle(page, since: float | None, timeout_ms: float = 120_000) -> float:
    """Wait until the page is settled (after ``since``, the action's time on the page's clock:
    the answer to its request); ms from ``since`` (or from the navigation)."""
    page.evaluate("() => { window.__qvDrawn = null; }")
    found = page.wait_for_function(_SETTLED, arg=since, polling="raf", timeout=timeout_ms)
    return float(found.json_value())


def open_page(browser, url: str) -> tuple[float, object, object]:
    """A fresh context → (ms from navigation to settled, context, page)."""
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, accept_downloads=True)
    ctx.add_init_script(_WIRE)
    page = ctx.new_page()
    page.goto(url, wait_until="commit", timeout=FIRST_LOAD_TIMEOUT_MS)
    page.wait_for_selector("[data-testid='stApp']", timeout=FIRST_LOAD_TIMEOUT_MS)
    return settle(page, None), ctx, page  # performance.now() counts from the navigation


def click(page, locator, *, timeout_ms: float = 120_000) -> float:
    """Click → settled after the answer to the request the click sent (ms)."""
    since = float(page.evaluate("() => performance.now()"))
    locator.click()
    return settle(page, since, timeout_ms)


def tab(page, room: str):
    return page.get_by_role("tab", name=room, exact=True)


def room_url(server: StreamlitServer, room: str, opened: str) -> str:
    """The page ``room`` needs, opened on the room ``opened``."""
    return f"{server.url}/?" + "&".join(q for q in (ROOMS[room], f"room={opened}") if q)


def measure_room(browser, room: str, warm: int, extras: dict[str, Times]) -> Times:
    """A server of its own: the page on another room (untimed), then the tab: cold; then
    ``warm`` fresh contexts."""
    other = BASE_ROOM if room != BASE_ROOM else "Close-up"
    times = Times()
    with StreamlitServer("app.py") as server:
        url = room_url(server, room, other)
        for i in range(warm + 1):
            _, ctx, page = open_page(browser, url)
            ms = click(page, tab(page, room))
            add(times, ms, first=i == 0)
            print(f"  {'warm' if i else 'cold'} {ms:,.0f} ms", file=sys.stderr, flush=True)
            if room == "Accuracy":
                search = click(page, page.get_by_role("button", name="Search", exact=True))
                add(extras.setdefault(SEARCH, Times()), search, first=i == 0)
            if room == "Take home":
                add(extras.setdefault(DOWNLOAD, Times()), download(page), first=i == 0)
            ctx.close()
    return times


def add(times: Times, ms: float, *, first: bool) -> None:
    (times.colds if first else times.warm).append(ms)


def download(page) -> float:
    """Click histograms.png → the browser has the file (ms)."""
    page.evaluate("() => { window.__qvStart = performance.now(); }")
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="histograms.png").click()
    info.value.path()
    return float(page.evaluate("() => performance.now() - window.__qvStart"))


def measure_pages(browser, warm: int, cold: int) -> tuple[Times, float, Times]:
    """The bare page and the app's default page, each ``cold`` times on a fresh server
    (alternately, so both see the same load), ``warm`` more visits on the first; the bare
    page's rerun (the median of ``warm`` + 3 key presses on its slider)."""
    bare, page = Times(), Times()
    reruns: list[float] = []
    for k in range(cold):
        for script, times in (("benchmarks/bare_app.py", bare), ("app.py", page)):
            with StreamlitServer(script) as server:
                for i in range(warm + 1 if k == 0 else 1):
                    ms, ctx, opened = open_page(browser, server.url + "/")
                    add(times, ms, first=i == 0)
                    if script.startswith("benchmarks") and k == 0 and i == warm:
                        slider_thumb(opened, "bits").focus()  # its run is too short to be
                        for j in range(warm + 3):  # seen "running": its metric is watched
                            key = "ArrowLeft" if j % 2 == 0 else "ArrowRight"
                            reruns.append(move(opened, key)[1])
                    ctx.close()
    return bare, statistics.median(reruns), page


def fmt(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:,.0f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(
    bare_page: Times, bare_rerun: float, page: Times, rooms: dict[str, Times],
    extras: dict[str, Times], args, version: str, loads: tuple[str, str],
) -> str:  # fmt: skip
    lines = [
        "Times to **settled** (the first frame after the server's last message with the "
        "script idle and every chart and image drawn), in ms on the page's clock; "
        "× bare: the same time of the bare Streamlit page (`benchmarks/bare_app.py`) in the "
        f"same run. Page cold: median of {args.cold} fresh servers; warm: median of "
        f"{args.warm} fresh browser contexts.",
        "",
        "| page | cold | × bare | warm | × bare | target |",
        "|---|---:|---:|---:|---:|---|",
        f"| app.py, default page | {fmt(page.cold)} | {page.cold / bare_page.cold:.1f} "
        f"| {fmt(page.warm_median)} | {page.warm_median / bare_page.warm_median:.1f} "
        f"| ≤ {TARGET_PAGE_MS:,}: {verdict(page.cold <= TARGET_PAGE_MS)} |",
        f"| bare Streamlit | {fmt(bare_page.cold)} | 1.0 | {fmt(bare_page.warm_median)} | 1.0 "
        "| — |",
        "",
        f"A room's tab clicked → settled; × bare: the bare page's rerun ({fmt(bare_rerun)} ms, "
        "a key on its slider → the metric redrawn and the browser idle, as bench_app.py). "
        "Cold: the first time its server opens the room.",
        "",
        "| room | cold | × bare | warm | × bare | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, t in [*rooms.items(), *extras.items()]:
        target = ""
        if name in rooms:
            ok = t.cold <= TARGET_ROOM_COLD_MS and t.warm_median <= TARGET_ROOM_WARM_MS
            target = f"≤ {TARGET_ROOM_COLD_MS:,} / ≤ {TARGET_ROOM_WARM_MS:,}: {verdict(ok)}"
        lines.append(
            f"| {name} | {fmt(t.cold)} | {t.cold / bare_rerun:.1f} | {fmt(t.warm_median)} "
            f"| {t.warm_median / bare_rerun:.1f} | {target} |"
        )
    lines += [
        "",
        f"Machine: {machine()}, shared with other work (load average {loads[0]} at the start, "
        f"{loads[1]} at the end); Chromium {version} (headless), viewport 1280×800.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/bench_rooms.py --write`.",
    ]
    return "\n".join(lines) + "\n"


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warm", type=int, default=3, help="warm repetitions (fresh contexts)")
    ap.add_argument("--cold", type=int, default=3, help="fresh servers for the pages' cold")
    ap.add_argument("--rooms", default=",".join(ROOMS), help="comma-separated rooms")
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()
    missing = missing_browser_tools()
    if missing:
        print("cannot run: missing " + " and ".join(missing), file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    start_load = load_average()
    rooms: dict[str, Times] = {}
    extras: dict[str, Times] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            print("measuring the bare page and the page …", file=sys.stderr, flush=True)
            bare_page, bare_rerun, page = measure_pages(browser, args.warm, args.cold)
            for room in filter(None, args.rooms.split(",")):
                print(f"measuring {room} …", file=sys.stderr, flush=True)
                rooms[room] = measure_room(browser, room, args.warm, extras)
            version = browser.version
        finally:
            browser.close()
    body = render(bare_page, bare_rerun, page, rooms, extras, args, version,
                  (start_load, load_average()))  # fmt: skip
    return publish(SECTION_TITLE, body, write=args.write)


if __name__ == "__main__":
    sys.exit(main())
