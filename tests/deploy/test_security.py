"""What deploy/run.sh lets a student or another local user do (issue 22, items 4, 9, 14).

docs/SECURITY.md states the model these tests pin: session ids never logged, a session
resumed only by the browser that owns it, a private run directory that no planted symlink
can redirect, nginx on 127.0.0.1 unless told otherwise, and no header naming the server's
version or the replica.
"""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
from deploy_helpers import (
    Browser,
    Deployment,
    Session,
    clean_env,
    free_port_block,
    isolated,
    port_open,
    private_files,
    run_sh,
)

websockets = pytest.importorskip("websockets")


# --------------------------------------------------------------------------- item 4


async def victim_and_thief(dep: Deployment) -> dict:
    """A victim with an upload; a thief who knows its session id (as the access log used to
    tell) and reaches its replica, asks for that session while the victim is connected and
    after it left; then the victim's own browser reconnects."""
    victim = Browser(dep.base)
    await asyncio.to_thread(victim.open_page)
    session = await Session.open(victim)
    assert await session.rerun() == []
    victim_id = session.session_id
    upload_url = await session.upload_url()
    uploaded = await asyncio.to_thread(victim.upload, upload_url)

    thief = Browser(dep.base)
    await asyncio.to_thread(thief.open_page)
    thief.cookies["qv_replica"] = victim.cookies["qv_replica"]  # the victim's replica

    stolen = await Session.open(thief, resume=victim_id)
    assert await stolen.rerun() == []
    while_connected = stolen.session_id
    await stolen.close()
    try:  # the victim still has its session (a takeover detaches it from the victim)
        assert await session.rerun(timeout=30) == []
        still_victims = session.session_id
    except (websockets.ConnectionClosed, TimeoutError):
        still_victims = "(the victim's page no longer answers)"
    await session.close()

    stolen = await Session.open(thief, resume=victim_id)
    assert await stolen.rerun() == []
    after_it_left = stolen.session_id
    await stolen.close()

    back = await Session.open(victim, resume=victim_id)
    assert await back.rerun() == []
    victim_back = back.session_id
    await back.close()
    return {"victim": victim, "thief": thief, "victim_id": victim_id, "uploaded": uploaded,
            "upload_url": upload_url, "while_connected": while_connected,
            "still_victims": still_victims, "after_it_left": after_it_left,
            "victim_back": victim_back}  # fmt: skip


@pytest.fixture(scope="module")
def takeover(plain: Deployment) -> dict:
    return isolated(asyncio.run, victim_and_thief(plain))


def test_a_session_id_alone_does_not_resume_another_browsers_session(takeover):
    assert takeover["uploaded"] == 204
    victim_id = takeover["victim_id"]
    assert takeover["while_connected"] not in ("", victim_id)
    assert takeover["still_victims"] == victim_id
    assert takeover["after_it_left"] not in ("", victim_id)
    # ... while the victim's own browser, reconnecting, gets its session back
    assert takeover["victim_back"] == victim_id


def test_no_log_holds_a_session_id_a_file_id_or_a_cookie(plain: Deployment, takeover):
    assert plain.run_dir is not None
    secrets = {
        takeover["victim_id"],
        takeover["while_connected"],
        takeover["after_it_left"],
        takeover["upload_url"].rstrip("/").rsplit("/", 1)[-1],  # the file id
        *takeover["victim"].cookies.values(),
        *takeover["thief"].cookies.values(),
    }
    logs = {p.name: p.read_text(errors="replace") for p in plain.run_dir.glob("*.log")}
    assert set(logs) >= {"nginx-access.log", "nginx-error.log", "replica-1.log"}
    assert [(name, s) for name, text in logs.items() for s in secrets if s in text] == []
    access = logs["nginx-access.log"]
    assert '"PUT /_stcore/upload_file/-" 204' in access  # the upload is logged, cut
    assert '"GET /_stcore/stream" 101' in access


def test_the_run_directory_and_everything_in_it_are_private(
    plain: Deployment, replicas: Deployment
):
    for dep in (plain, replicas):
        assert dep.run_dir is not None and dep.run_dir.is_dir()
        assert (dep.run_dir / "nginx-access.log").is_file()
        assert private_files(dep.run_dir) == []
    # the default directory is new for each run, not /tmp/quantviz-deploy-PORT itself
    assert replicas.run_dir.name.startswith(f"quantviz-deploy-{replicas.port}.")


# --------------------------------------------------------------------------- item 9


def test_a_planted_symlink_redirects_no_log(plain: Deployment, replicas: Deployment):
    for dep in (plain, replicas):
        assert dep.victims
        for victim, text in dep.victims.items():
            assert victim.read_bytes() == text, f"{victim} was written through a symlink"


@pytest.mark.parametrize("case", ["world-readable", "symlink", "shared parent"])
def test_a_run_directory_that_is_not_private_is_refused(case: str, tmp_path):
    scratch = tmp_path
    target = scratch / "run"
    if case == "world-readable":
        target.mkdir(mode=0o755)
        target.chmod(0o755)
    elif case == "symlink":
        real = scratch / "elsewhere"
        real.mkdir(mode=0o700)
        target.symlink_to(real)
    else:
        shared = scratch / "shared"
        shared.mkdir()
        shared.chmod(0o777)
        target = shared / "run"
    port = free_port_block(3)
    status, out = run_sh(["2", str(port)], {**clean_env(), "QUANTVIZ_RUN_DIR": str(target)})
    assert status != 0
    assert "deploy/run.sh: " in out and str(target.parent) in out
    assert not port_open("127.0.0.1", port + 1)
    assert not (target / "nginx.conf").exists()


def test_a_replica_port_held_by_another_program_is_refused():
    port = free_port_block(3)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port + 2))
        squatter.listen()
        status, out = run_sh(["2", str(port)], clean_env())
    assert status != 0
    assert f"port {port + 2} is already in use" in out


# --------------------------------------------------------------------------- item 14


def test_responses_name_neither_the_replica_nor_nginxs_version(plain: Deployment):
    browser = Browser(plain.base)
    for path in ("/", "/_stcore/health", "/_stcore/host-config", "/no-such-page"):
        _, headers = browser.get(path)
        assert "X-Replica" not in headers, path
        assert headers["Server"] == "nginx", path
    assert browser.get("/_stcore/metrics")[0] == 404


def test_nginx_listens_on_127_0_0_1_by_default(plain: Deployment):
    assert plain.address == "127.0.0.1"
    assert Browser(plain.base).get("/_stcore/health")[0] == 200
    # another address of this machine (all of 127/8 is loopback on Linux): nothing there
    assert not port_open("127.0.0.2", plain.port)


# --------------------------------------------------------------------------- item 6


def test_nginx_bounds_one_browsers_upload_requests(plain: Deployment):
    """Replayed upload requests (the review's 8 × 150 MB) are refused by nginx before they
    reach a replica: a browser gets 1 + a burst of 3 a minute, then 429. (The page keeps
    one file per session on top of this: quantviz_app/uploads.guard_files.)"""
    browser = Browser(plain.base)
    browser.open_page()
    url = f"/_stcore/upload_file/{uuid.uuid4()}/{uuid.uuid4()}"
    statuses = [browser.upload(url) for _ in range(8)]
    assert 429 not in statuses[:4], statuses  # the first four reach the replica
    assert statuses[4:] == [429] * 4, statuses
    # another browser is not held up by this one
    other = Browser(plain.base)
    other.open_page()
    assert other.upload(url) != 429
