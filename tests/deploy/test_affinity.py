"""deploy/run.sh: two replicas behind nginx, and a browser's requests all on one of them.

Streamlit keeps a session in the process that accepted its websocket; an upload PUT or a
websocket on another replica finds no session. nginx keys each browser by a cookie it sets
on the first response (deploy/nginx.conf.template). Needs nginx (apt-get install nginx;
.ci/run installs it): skipped without it, failed under QUANTVIZ_REQUIRE_ALL=1.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ALL

websockets = pytest.importorskip("websockets")
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
)
if NGINX is None and not REQUIRE_ALL:
    pytest.skip("nginx is not installed (apt-get install nginx)", allow_module_level=True)


def free_port_block(size: int) -> int:
    """A port P with P … P+size-1 free."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + size < 65535 and all(_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free block of ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def get(base: str, path: str, cookies: dict[str, str]) -> tuple[int, str]:
    """GET ``path``; the status and the replica that answered (cookies set are kept)."""
    req = urllib.request.Request(base + path)
    if cookies:
        req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
        for value in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            cookies.update({name: m.value for name, m in jar.items()})
        return resp.status, resp.headers["X-Replica"]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if NGINX is None:
        pytest.fail("QUANTVIZ_REQUIRE_ALL=1 but nginx is not installed", pytrace=False)
    port = free_port_block(3)
    env = {**os.environ, "QUANTVIZ_RUN_DIR": str(tmp_path_factory.mktemp("deploy"))}
    proc = subprocess.Popen([str(ROOT / "deploy/run.sh"), "2", str(port)], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if get(base, "/_stcore/health", {})[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None or time.time() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"deploy/run.sh did not come up:\n{out}", pytrace=False)
            time.sleep(0.3)
        yield base, port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


async def open_session(base: str, cookies: dict[str, str]) -> tuple[str, str, int]:
    """Open the page's websocket with ``cookies``, run the page; the replica that accepted
    the websocket, the session id, and the status of an upload PUT to that session."""
    url = base.replace("http", "ws", 1) + "/_stcore/stream"
    xsrf = cookies["_streamlit_xsrf"]
    headers = {"Origin": base, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    async with websockets.connect(url, subprotocols=["streamlit", xsrf], max_size=None,
                                  additional_headers=headers) as ws:  # fmt: skip
        replica = ws.response.headers["X-Replica"]
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        await ws.send(msg.SerializeToString())
        session, urls = "", None
        ask = BackMsg()
        while urls is None:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(ws.recv(), 30))
            kind = fm.WhichOneof("type")
            if kind == "new_session" and fm.new_session.HasField("initialize") and not session:
                session = fm.new_session.initialize.session_id
                ask.file_urls_request.request_id = "1"
                ask.file_urls_request.file_names.append("w.npy")
                ask.file_urls_request.session_id = session
                await ws.send(ask.SerializeToString())
            elif kind == "file_urls_response":
                urls = fm.file_urls_response.file_urls[0]
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="w.npy"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n0123\r\n--{boundary}--\r\n"
        ).encode()
        req = urllib.request.Request(base + "/" + urls.upload_url.lstrip("/"), data=body,
                                     method="PUT")  # fmt: skip
        req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        req.add_header("X-Xsrftoken", xsrf)
        req.add_header("Cookie", headers["Cookie"])
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:  # another replica: 400, no such session
            status = exc.code
    return replica, session, status


def test_a_new_browser_gets_a_cookie_and_all_its_requests_reach_one_replica(deployment):
    base, port = deployment
    cookies: dict[str, str] = {}
    _, page = get(base, "/", cookies)  # the first visit: no cookie yet
    assert len(cookies.get("qv_replica", "")) == 32  # nginx's $request_id
    _, health = get(base, "/_stcore/health", cookies)  # sets Streamlit's XSRF cookie
    replica, session, upload = asyncio.run(open_session(base, cookies))
    assert page == health == replica
    assert replica in {f"127.0.0.1:{port + 1}", f"127.0.0.1:{port + 2}"}
    assert session and upload == 204  # the upload found its session on that replica


def test_browsers_spread_over_both_replicas_and_each_stays_on_its_own(deployment):
    base, port = deployment
    seen = {}
    for n in range(16):
        cookies = {"qv_replica": f"student-{n}"}
        seen[n] = {get(base, path, cookies)[1] for path in ("/", "/_stcore/health", "/")}
    assert all(len(replicas) == 1 for replicas in seen.values())
    assert set().union(*seen.values()) == {f"127.0.0.1:{port + 1}", f"127.0.0.1:{port + 2}"}
