"""deploy/run.sh started for the deploy tests, and browsers spoken for at its protocol level.

A plain module, not a conftest (test modules import it by its unique name, as
tests/e2e/browser_helpers.py). conftest.py starts two deployments of two replicas each,
once per test session and together (each takes ~8 s to come up on a 2-core machine):

* ``plain``: run.sh as a teacher runs it, on 127.0.0.1, with its run directory given by
  ``QUANTVIZ_RUN_DIR``: a private directory in which files named like run.sh's own logs
  were planted beforehand as symlinks to files of the user's (``victims``);
* ``replicas``: on 127.0.0.2 (the ADDRESS argument), ``QUANTVIZ_REPLICA_HEADER=1`` (every
  response names its replica), the default run directory (a new one per run), with
  ``/tmp/quantviz-deploy-PORT/replica-1.log`` planted beforehand as a symlink to a victim.

A :class:`Browser` keeps cookies as a browser does; :class:`Session` is the page's
websocket (Streamlit's ``BackMsg``/``ForwardMsg``). Needs nginx (apt-get install nginx;
.ci/run installs it): skipped without it, failed under QUANTVIZ_REQUIRE_ALL=1.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_ALL

ROOT = Path(__file__).resolve().parents[2]
RUN_SH = ROOT / "deploy/run.sh"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
)
SKIP_REASON = "nginx is not installed (apt-get install nginx)"
START_TIMEOUT_S = 90.0
VICTIM_TEXT = b"the user's own file: nothing may write here\n"


def require_nginx() -> None:
    if NGINX is None:
        if REQUIRE_ALL:
            pytest.fail(f"QUANTVIZ_REQUIRE_ALL=1 but {SKIP_REASON}", pytrace=False)
        pytest.skip(SKIP_REASON)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host, port)) == 0


def free_port_block(size: int) -> int:
    """A port P with P … P+size-1 free on every loopback address."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + size < 65535 and not any(
            port_open(host, base + i) for i in range(size) for host in ("127.0.0.1", "127.0.0.2")
        ):
            return base
    raise RuntimeError("no free block of ports")


# --------------------------------------------------------------------------- deployments


@dataclass
class Deployment:
    """One ``deploy/run.sh 2 PORT [ADDRESS]`` in its own process group."""

    port: int
    address: str
    env: dict[str, str]
    victims: dict[Path, bytes] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    run_dir: Path | None = None
    output: list[str] = field(default_factory=list)
    stopping: bool = False  # SIGTERM sent (a second one would only be ignored)

    @property
    def base(self) -> str:
        return f"http://{self.address}:{self.port}"

    def replica(self, i: int) -> str:
        """The address of replica ``i`` (1-based), as nginx's $upstream_addr names it."""
        return f"127.0.0.1:{self.port + i}"

    def replica_pid(self, i: int) -> int:
        assert self.run_dir is not None
        return int((self.run_dir / f"replica-{i}.pid").read_text())

    def start(self) -> None:
        args = [str(RUN_SH), "2", str(self.port)]
        if self.address != "127.0.0.1":
            args.append(self.address)
        self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            text = line.decode(errors="replace").rstrip()
            self.output.append(text)
            found = re.search(r"\(logs in (\S+)\)", text)
            if found:
                self.run_dir = Path(found.group(1))

    def wait_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.run_dir is not None:
                try:
                    if Browser(self.base).get("/_stcore/health")[0] == 200:
                        return
                except OSError:
                    pass
            assert self.proc is not None
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("deploy/run.sh did not come up:\n" + self.log(), pytrace=False)
            time.sleep(0.3)

    def log(self) -> str:
        return "\n".join(self.output)

    def terminate(self) -> None:
        """SIGTERM to run.sh: it stops nginx and the replicas."""
        if self.proc is not None and self.proc.poll() is None and not self.stopping:
            self.proc.send_signal(signal.SIGTERM)
        self.stopping = True

    def stop(self) -> None:
        """:meth:`terminate`, and wait for run.sh to end (SIGKILL to all after 20 s)."""
        if self.proc is None:
            return
        self.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


# --------------------------------------------------------------------------- a browser


class Browser:
    """A browser's cookie jar over urllib: the cookies nginx and Streamlit set are kept."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None) -> None:
        self.base = base
        self.cookies: dict[str, str] = dict(cookies or {})

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def get(self, path: str, headers: dict[str, str] | None = None,
            method: str = "GET", body: bytes | None = None) -> tuple[int, Any]:  # fmt: skip
        """The status and the response's headers (4xx/5xx included)."""
        req = urllib.request.Request(self.base + path, data=body, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if self.cookies:
            req.add_header("Cookie", self.cookie_header())
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                resp.read()
                status, got = resp.status, resp.headers
        except urllib.error.HTTPError as exc:
            exc.read()
            status, got = exc.code, exc.headers
        for value in got.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            self.cookies.update({name: m.value for name, m in jar.items()})
        return status, got

    def open_page(self) -> None:
        """What a browser does before it opens the websocket: the page, then the health
        check (which sets Streamlit's XSRF cookie)."""
        for path in ("/", "/_stcore/health"):
            status, _ = self.get(path)
            assert status == 200, f"{path}: {status}"

    def upload(self, upload_url: str, name: str = "w.npy", data: bytes = b"0123") -> int:
        """The upload PUT the page's uploader sends; its status (204: stored)."""
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "X-Xsrftoken": self.cookies["_streamlit_xsrf"]}  # fmt: skip
        return self.get("/" + upload_url.lstrip("/"), headers, method="PUT", body=body)[0]


class Session:
    """The page's websocket for one browser: a Streamlit session on one replica."""

    def __init__(self, ws: Any, browser: Browser) -> None:
        self.ws, self.browser = ws, browser
        self.session_id = ""

    @classmethod
    async def open(cls, browser: Browser, resume: str = "",
                   headers: dict[str, str] | None = None) -> Session:  # fmt: skip
        """Connect as the page does; ``resume``: a session id to ask for (the third entry
        of the Sec-WebSocket-Protocol, as Streamlit's client does when it reconnects)."""
        import websockets

        url = browser.base.replace("http", "ws", 1) + "/_stcore/stream"
        protocols = ["streamlit", browser.cookies.get("_streamlit_xsrf", "")]
        if resume:
            protocols.append(resume)
        ws = await websockets.connect(
            url, subprotocols=protocols, max_size=None, open_timeout=30, ping_interval=None,
            additional_headers={"Origin": browser.base, "Cookie": browser.cookie_header(),
                                **(headers or {})},
        )  # fmt: skip
        return cls(ws, browser)

    @property
    def replica(self) -> str:
        return self.ws.response.headers.get("X-Replica", "")

    async def rerun(self, query: str = "", timeout: float = 60) -> list[str]:
        """Run the page; the exceptions it showed (empty: a clean run). Sets session_id."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = query
        await self.ws.send(msg.SerializeToString())
        return await self._until(lambda fm: fm.WhichOneof("type") == "script_finished", timeout)

    async def upload_url(self, name: str = "w.npy") -> str:
        """Ask the replica for an upload URL, as the uploader does before its PUT."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        ask = BackMsg()
        ask.file_urls_request.request_id = "1"
        ask.file_urls_request.file_names.append(name)
        ask.file_urls_request.session_id = self.session_id
        await self.ws.send(ask.SerializeToString())
        got: list[str] = []

        def answered(fm: Any) -> bool:
            if fm.WhichOneof("type") == "file_urls_response":
                got.append(fm.file_urls_response.file_urls[0].upload_url)
                return True
            return False

        await self._until(answered, 30)
        return got[0]

    async def _until(self, done: Any, timeout: float) -> list[str]:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        errors: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(self.ws.recv(), deadline - time.monotonic()))
            kind = fm.WhichOneof("type")
            if kind == "new_session" and fm.new_session.HasField("initialize"):
                self.session_id = fm.new_session.initialize.session_id
            elif (
                kind == "delta"
                and fm.delta.WhichOneof("type") == "new_element"
                and fm.delta.new_element.WhichOneof("type") == "exception"
            ):
                errors.append(fm.delta.new_element.exception.message)
            if done(fm):
                return errors

    async def close(self) -> None:
        await self.ws.close()


def private_files(run_dir: Path) -> list[str]:
    """Everything under ``run_dir`` that another user could read or that is not plain."""
    found = []
    for path in [run_dir, *run_dir.rglob("*")]:
        mode = path.lstat().st_mode & 0o777
        if (
            path.is_symlink()
            or (path.is_dir() and mode != 0o700)
            or (path.is_file() and mode != 0o600)
        ):
            found.append(f"{path} {oct(mode)}{' symlink' if path.is_symlink() else ''}")
    return found


def run_sh(args: list[str], env: dict[str, str], timeout: float = 15) -> tuple[int, str]:
    """Run deploy/run.sh expecting it to refuse quickly: its status and output. A run.sh
    that starts instead is killed after ``timeout``, and the test fails."""
    proc = subprocess.Popen([str(RUN_SH), *args], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # run.sh, its replicas and nginx: one group
        out, _ = proc.communicate(timeout=20)
        pytest.fail(f"run.sh {args} did not refuse; it ran:\n{out.decode()}", pytrace=False)
    return proc.returncode, out.decode(errors="replace")


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QUANTVIZ_RUN_DIR", "TMPDIR")}
    env.pop("QUANTVIZ_REPLICA_HEADER", None)
    return env


def isolated(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` on a thread of its own. The test run's main thread may hold a running
    event loop already (the browser tests' Playwright, kept for the whole session), and
    ``asyncio.run`` and Playwright's sync API each need a thread without one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()
