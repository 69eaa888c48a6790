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

    .venv/bin/python benchmarks/bench_rooms.py [--warm N] [--cold N] [--room-cold N]
        [--rooms A,B] [--before DIR] [--write]

``--before DIR``: a checkout of other code (``git worktree add /tmp/before main``, or ``git
archive main | tar -x -C /tmp/before``), measured in turn with this one in the same run,
so a shared machine's load falls on both alike.

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
    "Integers": "",
    "Train for it": "",
    "Transformer": "",
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


def add(times: Times, ms: float, *, first: bool) -> None:
    (times.colds if first else times.warm).append(ms)


def measure_room(browser, room: str, warm: int, cold: int, tree: Path, found: dict) -> None:
    """``cold`` servers of its own (``tree``'s app.py): the page on another room (untimed),
    then the tab; on the first, ``warm`` more fresh contexts. Into ``found[case]``: the
    room, and in the Accuracy room its search, in Take home a download."""
    other = BASE_ROOM if room != BASE_ROOM else "Close-up"
    for k in range(cold):
        with StreamlitServer("app.py", cwd=tree) as server:
            for i in range(warm + 1 if k == 0 else 1):
                _, ctx, page = open_page(browser, room_url(server, room, other))
                ms = click(page, tab(page, room))
                add(found.setdefault(room, Times()), ms, first=i == 0)
                print(f"  {tree.name}: {'warm' if i else 'cold'} {ms:,.0f} ms", file=sys.stderr,
                      flush=True)  # fmt: skip
                if room == "Accuracy":
                    search = click(page, page.get_by_role("button", name="Search", exact=True))
                    add(found.setdefault(SEARCH, Times()), search, first=i == 0)
                if room == "Take home":
                    add(found.setdefault(DOWNLOAD, Times()), download(page), first=i == 0)
                ctx.close()


def download(page) -> float:
    """Click histograms.png → the browser has the file (ms)."""
    page.evaluate("() => { window.__qvStart = performance.now(); }")
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="histograms.png").click()
    info.value.path()
    return float(page.evaluate("() => performance.now() - window.__qvStart"))


def measure_pages(browser, warm: int, cold: int, trees: list[Path]) -> tuple[Times, float, dict]:
    """The bare page and each tree's default page, each ``cold`` times on a fresh server
    (in turn, so all see the same load), ``warm`` more visits on the first; the bare page's
    rerun (the median of ``warm`` + 3 key presses on its slider)."""
    bare = Times()
    pages = {tree: Times() for tree in trees}
    reruns: list[float] = []
    for k in range(cold):
        runs = [("benchmarks/bare_app.py", ROOT, bare)] + [("app.py", t, pages[t]) for t in trees]
        for script, tree, times in runs:
            with StreamlitServer(script, cwd=tree) as server:
                for i in range(warm + 1 if k == 0 else 1):
                    ms, ctx, opened = open_page(browser, server.url + "/")
                    add(times, ms, first=i == 0)
                    if times is bare and k == 0 and i == warm:
                        slider_thumb(opened, "bits").focus()  # its run is too short to be
                        for j in range(warm + 3):  # seen "running": its metric is watched
                            key = "ArrowLeft" if j % 2 == 0 else "ArrowRight"
                            reruns.append(move(opened, key)[1])
                    ctx.close()
    return bare, statistics.median(reruns), pages


def fmt(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:,.0f}"


def cell(x: float, floor: float) -> str:
    """``ms (× bare)``."""
    return f"{fmt(x)} ({x / floor:.1f}×)"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(
    bare: Times, bare_rerun: float, found: dict[Path, dict[str, Times]], args, version: str,
    loads: tuple[str, str],
) -> str:  # fmt: skip
    trees = list(found)
    after = trees[-1]
    names = {t: ("before" if t != after else "after") if len(trees) > 1 else "" for t in trees}
    heads = [f"{kind} {names[t]}".strip() for kind in ("cold", "warm") for t in trees]
    head = " | ".join(heads)
    rule = "|---|" + "---:|" * len(heads) + "---|"

    def row(name: str, case: str, floor_cold: float, floor_warm: float, target) -> str:
        times = [found[t][case] for t in trees]
        cells = [cell(x.cold, floor_cold) for x in times]
        cells += [cell(x.warm_median, floor_warm) for x in times]
        return f"| {name} | {' | '.join(cells)} | {target(found[after][case])} |"

    def page_target(t: Times) -> str:
        return f"≤ {TARGET_PAGE_MS:,} cold: {verdict(t.cold <= TARGET_PAGE_MS)}"

    def room_target(t: Times) -> str:
        ok = t.cold <= TARGET_ROOM_COLD_MS and t.warm_median <= TARGET_ROOM_WARM_MS
        return f"≤ {TARGET_ROOM_COLD_MS:,} / ≤ {TARGET_ROOM_WARM_MS:,}: {verdict(ok)}"

    lines = [
        "Times to **settled** (the first frame after the server's last message with the "
        "script idle and every chart and image drawn), in ms on the page's clock, and (×) "
        "over the bare Streamlit page (`benchmarks/bare_app.py`) measured in the same run. "
        f"Page cold: median of {args.cold} fresh servers; warm: median of {args.warm} fresh "
        "browser contexts."
        + (f" Before: `{args.before}`; after: this tree, in turn with it." if args.before else ""),
        "",
        f"| page | {head} | target |",
        rule,
        row("app.py, default page", "page", bare.cold, bare.warm_median, page_target),
        f"| bare Streamlit | {' | '.join([fmt(bare.cold)] * len(trees))} | "
        f"{' | '.join([fmt(bare.warm_median)] * len(trees))} | — |",
        "",
        f"A room's tab clicked → settled; × the bare page's rerun ({fmt(bare_rerun)} ms, a "
        "key on its slider → its metric redrawn, as bench_app.py). Cold: the first time its "
        f"server opens the room (median of {args.room_cold} servers).",
        "",
        f"| room | {head} | target |",
        rule,
    ]
    for case in found[after]:
        if case == "page":
            continue
        target = room_target if case in ROOMS else lambda _: ""
        lines.append(row(case, case, bare_rerun, bare_rerun, target))
    lines += [
        "",
        f"Machine: {machine()}, shared with other work (load average {loads[0]} at the start, "
        f"{loads[1]} at the end); Chromium {version} (headless), viewport 1280×800.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/bench_rooms.py"
        + (" --before DIR" if args.before else "")
        + " --write`.",
    ]
    return "\n".join(lines) + "\n"


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warm", type=int, default=3, help="warm repetitions (fresh contexts)")
    ap.add_argument("--cold", type=int, default=3, help="fresh servers for the pages' cold")
    ap.add_argument("--room-cold", type=int, default=1, help="fresh servers per room's cold")
    ap.add_argument("--rooms", default=",".join(ROOMS), help="comma-separated rooms")
    ap.add_argument("--before", type=Path, help="another checkout, measured in turn with this")
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()
    missing = missing_browser_tools()
    if missing:
        print("cannot run: missing " + " and ".join(missing), file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    trees = [args.before.resolve(), ROOT] if args.before else [ROOT]
    start_load = load_average()
    found: dict[Path, dict[str, Times]] = {tree: {} for tree in trees}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            print("measuring the bare page and the page …", file=sys.stderr, flush=True)
            bare, bare_rerun, pages = measure_pages(browser, args.warm, args.cold, trees)
            for tree in trees:
                found[tree]["page"] = pages[tree]
            for room in filter(None, args.rooms.split(",")):
                print(f"measuring {room} …", file=sys.stderr, flush=True)
                for tree in trees:
                    measure_room(browser, room, args.warm, args.room_cold, tree, found[tree])
            version = browser.version
        finally:
            browser.close()
    body = render(bare, bare_rerun, found, args, version, (start_load, load_average()))
    return publish(SECTION_TITLE, body, write=args.write)


if __name__ == "__main__":
    sys.exit(main())
