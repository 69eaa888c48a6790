"""deploy/run.sh: two replicas behind nginx, and a browser's requests all on one of them.

Streamlit keeps a session in the process that accepted its websocket; an upload PUT or a
websocket on another replica finds no session. nginx pins each browser to a replica by a
cookie whose value is that replica's token for this run (deploy/nginx.conf.template).
The ``replicas`` deployment runs with QUANTVIZ_REPLICA_HEADER=1, so every response says
which replica answered, and listens on 127.0.0.2 (run.sh's ADDRESS argument).
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path

import pytest
import streamlit
from deploy_helpers import Browser, Deployment, Session, isolated, port_open

pytest.importorskip("websockets")

HEX32 = re.compile(r"[0-9a-f]{32}")


async def session_replica_and_upload(browser: Browser) -> tuple[str, str, int]:
    """Open the page's websocket and run the page; the replica that accepted the websocket,
    the session id and the status of an upload PUT into that session."""
    session = await Session.open(browser)
    try:
        assert await session.rerun() == []
        url = await session.upload_url()
        return session.replica, session.session_id, browser.upload(url)
    finally:
        await session.close()


def test_a_new_browser_gets_its_cookies_and_all_its_requests_reach_one_replica(
    replicas: Deployment,
):
    browser = Browser(replicas.base)
    _, page = browser.get("/")  # the first visit: no cookie yet
    assert HEX32.fullmatch(browser.cookies["qv_replica"])  # this run's token of a replica
    assert HEX32.fullmatch(browser.cookies["qv_browser"])  # the browser's own secret
    _, health = browser.get("/_stcore/health")  # sets Streamlit's XSRF cookie
    replica, session, upload = isolated(asyncio.run, session_replica_and_upload(browser))
    assert page["X-Replica"] == health["X-Replica"] == replica
    assert replica in {replicas.replica(1), replicas.replica(2)}
    assert session and upload == 204  # the upload found its session on that replica


def test_new_browsers_spread_over_both_replicas_and_each_stays_on_its_own(replicas: Deployment):
    seen = {}
    for n in range(16):
        browser = Browser(replicas.base)
        seen[n] = {browser.get(path)[1]["X-Replica"] for path in ("/", "/_stcore/health", "/")}
    assert all(len(answered) == 1 for answered in seen.values())
    assert set().union(*seen.values()) == {replicas.replica(1), replicas.replica(2)}


@pytest.mark.parametrize("made_up", ["student-0", "0" * 32, "f" * 32, "qv_r1", "../x"])
def test_a_cookie_the_client_makes_up_does_not_choose_its_replica(
    replicas: Deployment, made_up: str
):
    """A value that is not one of this run's tokens counts as no cookie: the first response
    pins the browser to a replica of nginx's choice, and it stays there."""
    browser = Browser(replicas.base, {"qv_replica": made_up})
    answered = {browser.get("/")[1]["X-Replica"]}
    pinned = browser.cookies["qv_replica"]
    assert pinned != made_up and HEX32.fullmatch(pinned)
    answered |= {browser.get(path)[1]["X-Replica"] for path in ("/_stcore/health", "/")}
    assert len(answered) == 1


def test_nginx_listens_only_on_the_address_it_was_given(replicas: Deployment):
    assert replicas.address == "127.0.0.2"
    assert Browser(replicas.base).get("/_stcore/health")[0] == 200
    assert not port_open("127.0.0.1", replicas.port)


def test_streamlits_frontend_files_are_sent_by_nginx_not_by_a_replica(replicas: Deployment):
    """A new browser's first page asks for ~140 frontend files: nginx sends them from the
    installed streamlit package (no X-Replica: no replica answered), byte for byte, with
    the type a browser needs to run a module script, and kept a year (hashed names)."""
    browser = Browser(replicas.base)
    with urllib.request.urlopen(replicas.base + "/", timeout=30) as resp:
        index = resp.read().decode()
    scripts = re.findall(r'src="\.?/(static/js/[^"]+\.js)"', index)
    sheets = re.findall(r'href="\.?/(static/css/[^"]+\.css)"', index)
    assert scripts and sheets
    files = Path(streamlit.__file__).parent / "static"
    for path, kind in ((scripts[0], "application/javascript"), (sheets[0], "text/css")):
        status, headers = browser.get("/" + path)
        assert status == 200
        assert headers["X-Replica"] is None  # nginx answered: no upstream
        assert headers["Content-Type"] == kind
        assert headers["Cache-Control"] == "max-age=31536000"
        with urllib.request.urlopen(f"{replicas.base}/{path}", timeout=30) as resp:
            assert resp.read() == (files / path).read_bytes()
    assert browser.get("/static/js/no-such-file.js")[0] == 404
    assert browser.get("/static/../index.html")[0] in (400, 404)


def test_each_replica_ran_the_page_once_as_it_started_and_nginx_refuses_that_check(
    replicas: Deployment,
):
    """run.sh warms each replica up with Streamlit's script health check (the page run
    once for nobody, so the first student finds the imports and caches ready): it answers
    ok on the replica itself, and nginx refuses it from outside (a student may not make a
    replica run the page)."""
    for i in (1, 2):
        url = f"http://{replicas.replica(i)}/_stcore/script-health-check"
        with urllib.request.urlopen(url, timeout=120) as resp:
            assert resp.read().decode().strip() == "ok"
    assert Browser(replicas.base).get("/_stcore/script-health-check")[0] == 404
    assert "warm-up run did not answer ok" not in "\n".join(replicas.output)
