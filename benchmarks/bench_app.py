"""What a person feels: bit-slider key press → page settled with the new numbers.

Runs the app in a real browser (Playwright + Debian chromium, the same flags as the e2e
tests) and measures, for

  (a) ``app.py`` default page (100k samples),
  (b) ``app.py`` at 1M samples (``/?n=1000000``; the real app binds the sample size to
      the query parameter ``n``),
  (c) ``benchmarks/bare_app.py``: one slider and one metric, plain Streamlit,

served and measured the same way in the same run:

* **first load**: navigation start → app settled (script ``notRunning``, SQNR metric
  shown), read from ``performance.now()`` in the page. "cold" is the very first visit
  after the server started (for (b): the first visit with that URL); "warm" is the
  median of ``--loads`` further visits, each in a fresh browser context (new session,
  empty HTTP cache).
* **slider → settled**: focus the ``bits`` slider, press ArrowLeft/ArrowRight
  alternately (after ``--warmup`` unmeasured moves), and time with
  ``time.perf_counter`` from just before the key press until the SQNR metric text
  differs from before *and* the script state is ``notRunning``. The condition is polled
  in the page on every animation frame (``page.wait_for_function(..., polling="raf")``),
  i.e. at the moment the new numbers can be painted. Median, p90 (nearest rank) and max.

Target: median settle ≤ 250 ms and ≤ 3× the bare app.

Alternating between two bit widths revisits the same two settings, so an app that
caches per bit width is measured on its **cached** path after the warm-up. So the
benchmark also measures **first-time** moves, to settings never seen since the server
started: it opens the page with a seed not used before (``?seed=1000``, ``1001``, …: a new
tensor, so nothing about it is cached except what the first load computed) and presses
ArrowRight from the default bit width up to 16, one measured move per new bit width,
repeating with the next seed until ``--moves`` first-time moves are measured. For the bare
app, which caches nothing, both modes are the same round trip.

Usage (not part of pytest)::

    .venv/bin/python benchmarks/bench_app.py [--moves N] [--warmup W] [--loads L] [--write]

``--write`` replaces the "## App: slider to settled page" section of
``docs/BENCHMARKS.md`` (creating the file if needed; other sections are left alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from browser_helpers import (  # noqa: E402
    CHROMIUM_ARGS,
    FIRST_LOAD_TIMEOUT_MS,
    JS_METRIC_TEXT,
    RUN_TIMEOUT_MS,
    VIEWPORT,
    StreamlitServer,
    chromium_path,
    missing_browser_tools,
    slider_thumb,
    wait_for_app_run,
)
from report import BENCHMARKS, write_section  # noqa: E402

SECTION_TITLE = "App: slider to settled page"
SECTION = f"## {SECTION_TITLE}"
METRIC_LABEL = "SQNR"
SLIDER_KEY = "bits"
TARGET_MS = 250.0
TARGET_RATIO = 3.0
FIRST_SEED = 1000  # first-time rounds open the page with seeds from here (never the default)
PAUSE_S = 1.0  # "looking at the page" between first-time moves in the paused mode

# JS predicates. Both return a truthy value (performance.now()) once true.
_SETTLED_LOAD = f"""
(label) => {{
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.dataset.testScriptState !== "notRunning"
      || app.dataset.testConnectionState !== "CONNECTED") return false;
  const text = ({JS_METRIC_TEXT})(label);
  return text ? performance.now() : false;
}}
"""
_SETTLED_MOVE = f"""
([label, before]) => {{
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.dataset.testScriptState !== "notRunning") return false;
  const text = ({JS_METRIC_TEXT})(label);
  return (text !== null && text !== before) ? performance.now() : false;
}}
"""
_IMAGES_LOADED = """
() => {
  const imgs = document.querySelectorAll("[data-testid='stImage'] img");
  for (const img of imgs) if (!img.complete || img.naturalWidth === 0) return false;
  return performance.now();
}
"""


@dataclass
class Case:
    name: str
    script: str
    path: str
    note: str = ""
    cold_load_ms: float = math.nan
    warm_loads_ms: list[float] = field(default_factory=list)
    settle_ms: list[float] = field(default_factory=list)
    settle_inpage_ms: list[float] = field(default_factory=list)
    settle_images_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    first_inpage_ms: list[float] = field(default_factory=list)
    first_images_ms: list[float] = field(default_factory=list)
    paused_ms: list[float] = field(default_factory=list)
    paused_inpage_ms: list[float] = field(default_factory=list)
    paused_images_ms: list[float] = field(default_factory=list)


def p90(xs: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def load_once(browser, url: str) -> tuple[float, object, object]:
    """Fresh context → navigation start to settled (ms, from the page clock)."""
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = ctx.new_page()
    page.goto(url, wait_until="commit", timeout=FIRST_LOAD_TIMEOUT_MS)
    handle = page.wait_for_function(
        _SETTLED_LOAD, arg=METRIC_LABEL, polling="raf", timeout=FIRST_LOAD_TIMEOUT_MS
    )
    return float(handle.json_value()), ctx, page


def check_page(page, case: Case) -> None:
    """Fail loudly on an exception/error box; note whether ``n=`` was honoured."""
    for tid in ("stException", "stAlertContentError"):
        if page.get_by_test_id(tid).count():
            text = page.get_by_test_id(tid).first.inner_text()[:500]
            raise SystemExit(f"{case.name}: the page shows {tid}: {text}")
    if "n=" in case.path:
        n_widget = page.locator(".st-key-n")
        if n_widget.count() == 0:
            case.note = "no widget with key `n` on the page: ran at the default size"
        elif "n=1000000" not in page.url:
            case.note = f"`n=1000000` dropped from the URL (widget shows {n_widget.inner_text()!r})"


def move_once(page, key: str) -> tuple[float, float, float]:
    """Press ``key`` on the focused slider: (settled ms, in-page ms, + images ms)."""
    before = page.evaluate(JS_METRIC_TEXT, METRIC_LABEL)
    t0 = time.perf_counter()
    page.keyboard.press(key)
    handle = page.wait_for_function(
        _SETTLED_MOVE, arg=[METRIC_LABEL, before], polling="raf", timeout=RUN_TIMEOUT_MS
    )
    t1 = time.perf_counter()
    page.wait_for_function(_IMAGES_LOADED, polling="raf", timeout=RUN_TIMEOUT_MS)
    t2 = time.perf_counter()
    inpage = float(handle.json_value()) - page.evaluate("() => window.__qvKeyAt")
    return (t1 - t0) * 1000, inpage, (t2 - t0) * 1000


def track_keydown(page) -> None:
    page.evaluate(
        "() => document.addEventListener('keydown', () => "
        "{ window.__qvKeyAt = performance.now(); }, true)"
    )


def measure_moves(page, case: Case, warmup: int, moves: int) -> None:
    """Cached path: alternate ←/→ between two bit widths."""
    track_keydown(page)
    slider_thumb(page, SLIDER_KEY).focus()
    for i in range(warmup + moves):
        settled, inpage, images = move_once(page, "ArrowLeft" if i % 2 == 0 else "ArrowRight")
        if i >= warmup:
            case.settle_ms.append(settled)
            case.settle_inpage_ms.append(inpage)
            case.settle_images_ms.append(images)
    wait_for_app_run(page)
    check_page(page, case)


def slider_at_max(page) -> bool:
    """The ``bits`` slider (an ``<input type="range">``) is at its largest value."""
    thumb = slider_thumb(page, SLIDER_KEY)
    return float(thumb.input_value()) >= float(thumb.get_attribute("max"))


def measure_first_moves(
    browser, url: str, case: Case, moves: int, *, pause_s: float = 0.0, first_seed: int = FIRST_SEED
) -> None:
    """First-time path: a fresh seed per round, then ArrowRight up to the slider's end.

    ``pause_s``: wait this long after each settled page before the next key press, as a
    person looking at the page does (the app may use the time to prepare the next step).
    The moves go into ``case.paused_*`` when ``pause_s`` > 0, else ``case.first_*``.
    """
    out = (
        (case.paused_ms, case.paused_inpage_ms, case.paused_images_ms)
        if pause_s
        else (case.first_ms, case.first_inpage_ms, case.first_images_ms)
    )
    seed = first_seed
    while len(out[0]) < moves:
        if seed >= first_seed + moves:
            raise SystemExit(f"{case.name}: no first-time move possible (slider already at max?)")
        sep = "&" if "?" in url else "?"
        _, ctx, page = load_once(browser, f"{url}{sep}seed={seed}")
        check_page(page, case)
        track_keydown(page)
        slider_thumb(page, SLIDER_KEY).focus()
        while len(out[0]) < moves and not slider_at_max(page):
            time.sleep(pause_s)
            for values, value in zip(out, move_once(page, "ArrowRight"), strict=True):
                values.append(value)
        wait_for_app_run(page)
        check_page(page, case)
        ctx.close()
        seed += 1


def run_case(browser, server: StreamlitServer, case: Case, loads: int, warmup: int, moves: int):
    url = server.url + case.path
    case.cold_load_ms, ctx, page = load_once(browser, url)
    ctx.close()
    for _ in range(loads):
        ms, ctx, page = load_once(browser, url)
        case.warm_loads_ms.append(ms)
        if _ < loads - 1:
            ctx.close()
    check_page(page, case)
    measure_moves(page, case, warmup, moves)
    ctx.close()
    measure_first_moves(browser, url, case, moves)
    measure_first_moves(
        browser, url, case, moves, pause_s=PAUSE_S, first_seed=FIRST_SEED + 10 * moves
    )


def machine_info(browser_version: str) -> dict[str, str]:
    import streamlit

    cpu = "unknown"
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    app_sha = hashlib.sha256((ROOT / "app.py").read_bytes()).hexdigest()[:12]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, nproc {nproc}",
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
        "playwright": importlib.metadata.version("playwright"),
        "chromium": browser_version,
        "app": f"app.py sha256 {app_sha} (HEAD {commit or '?'})",
    }


def fmt(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.0f}"


def _row(
    c: Case,
    bare_med: float,
    ms: list[float],
    inpage: list[float],
    images: list[float],
    cold: str,
    warm: str,
    is_bare: bool,
) -> str:
    med = statistics.median(ms)
    ratio = med / bare_med
    ok = med <= TARGET_MS and ratio <= TARGET_RATIO
    verdict = "—" if is_bare else ("met" if ok else "**missed**")
    return (
        f"| {c.name} | {cold}{warm}{fmt(med)} | {fmt(p90(ms))} | {fmt(max(ms))} "
        f"| {fmt(statistics.median(inpage))} | {fmt(statistics.median(images))} "
        f"| {ratio:.1f} | {verdict} |"
    )


def render(cases: list[Case], info: dict[str, str], args: argparse.Namespace) -> str:
    bare = next(c for c in cases if c.script.endswith("bare_app.py"))
    bare_med = statistics.median(bare.settle_ms)
    bare_first = statistics.median(bare.first_ms)
    head = (
        "| settle median | settle p90 | settle max | in-page median | + images median "
        "| × bare | target |"
    )
    rule = "|---:|---:|---:|---:|---:|---:|---|"
    lines = [
        f"Slider key press → SQNR metric changed and script `notRunning`. Milliseconds. "
        f"Target: median settle ≤ {TARGET_MS:.0f} ms and ≤ {TARGET_RATIO:.0f}× bare.",
        "",
        f"**Cached moves**: {args.moves} moves alternating ←/→ on `bits` between two bit "
        f"widths, after {args.warmup} warm-up moves, so both settings are cached. First load "
        f"= navigation start → settled (cold = first visit after server start; warm = median "
        f"of {args.loads} fresh contexts).",
        "",
        "| case | first load cold | first load warm " + head,
        "|---|---:|---:" + rule,
    ]
    for c in cases:
        cold = f"{fmt(c.cold_load_ms)} | "
        warm = f"{fmt(statistics.median(c.warm_loads_ms))} | "
        lines.append(
            _row(
                c,
                bare_med,
                c.settle_ms,
                c.settle_inpage_ms,
                c.settle_images_ms,
                cold,
                warm,
                c is bare,
            )
        )
    lines += [
        "",
        f"**First-time moves**: {args.moves} moves to settings never seen since the server "
        f"started: the page opened with a new seed (`seed={FIRST_SEED}`, "
        f"`{FIRST_SEED + 1}`, …: a new tensor), then → from the default bit width up to 16, "
        "each move measured (nothing about the new bit width is cached).",
        "",
        "| case " + head,
        "|---" + rule,
    ]
    for c in cases:
        lines.append(
            _row(c, bare_first, c.first_ms, c.first_inpage_ms, c.first_images_ms, "", "", c is bare)
        )
    bare_paused = statistics.median(bare.paused_ms) if bare.paused_ms else math.nan
    lines += [
        "",
        f"**First-time moves after a look**: the same, but each key press comes {PAUSE_S:g} s "
        "after the page settled, as when a teacher moves the slider, talks, and moves it "
        "again. The app uses such pauses to draw the neighbouring bit widths in the "
        "background (`prefetch_neighbours` in app.py).",
        "",
        "| case " + head,
        "|---" + rule,
    ]
    for c in cases:
        lines.append(
            _row(c, bare_paused, c.paused_ms, c.paused_inpage_ms, c.paused_images_ms, "", "",
                 c is bare)
        )  # fmt: skip
    notes = [f"- {c.name}: {c.note}" for c in cases if c.note]
    if notes:
        lines += ["", "Notes:", *notes]
    lines += [
        "",
        '"in-page" is the same interval on the page clock (keydown event → first animation '
        'frame with the condition true), without Playwright\'s round trips. "+ images" '
        "also waits until every `st.pyplot`/`st.image` picture on the page has loaded "
        "(Streamlit fetches them after the run ends); it is not part of the target.",
        "",
        f"Machine: {info['cpu']}; Python {info['python']}, Streamlit {info['streamlit']}, "
        f"Playwright {info['playwright']}, Chromium {info['chromium']} (headless); "
        f"{info['app']}; {info['date']}.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/bench_app.py --write`.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=15, help="measured slider moves per case")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured moves first")
    ap.add_argument("--loads", type=int, default=3, help="warm first-load repetitions")
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()
    if args.moves < 1 or args.warmup < 0 or args.loads < 1:
        ap.error("--moves and --loads must be ≥ 1, --warmup ≥ 0")

    missing = missing_browser_tools()
    if missing:
        print("cannot run: missing " + " and ".join(missing), file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    cases = [
        Case("app.py, default (100k samples)", "app.py", "/"),
        Case("app.py, 1M samples (`?n=1000000`)", "app.py", "/?n=1000000"),
        Case("bare Streamlit (`benchmarks/bare_app.py`)", "benchmarks/bare_app.py", "/"),
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            for script in dict.fromkeys(c.script for c in cases):
                with StreamlitServer(script) as server:
                    for case in (c for c in cases if c.script == script):
                        print(f"measuring {case.name} …", file=sys.stderr, flush=True)
                        try:
                            run_case(browser, server, case, args.loads, args.warmup, args.moves)
                        except Exception:
                            print(server.log(), file=sys.stderr)
                            raise
            info = machine_info(browser.version)
        finally:
            browser.close()

    body = render(cases, info, args)
    print(f"{SECTION}\n\n{body}")
    if args.write:
        write_section(SECTION_TITLE, body)
        print(f"wrote the section to {BENCHMARKS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
