"""A replica killed under load (issue 22, item 3): the class goes on.

Students are played at the protocol level, as benchmarks/bench_class.py does: each has a
browser's cookies and the page's websocket, and reruns the page and asks for the health
check in a loop. One replica is killed with SIGKILL while they work. The students of the
other replica must not notice anything; the killed replica's students reconnect as
Streamlit's client does (the health check, then a websocket that asks for its old session
id) and get a new session on the surviving replica, where they stay, even once the killed
replica is back. run.sh starts the killed replica again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass, field

import pytest
from deploy_helpers import Browser, Deployment, Session, isolated

websockets = pytest.importorskip("websockets")

RECONNECT_BOUND_S = 10.0  # Streamlit's client polls the health check within ~1 s
RESTART_BOUND_S = 45.0  # SIGKILL → the replica answers its health check again (2-core CI)


@dataclass
class Student:
    browser: Browser
    session: Session
    replica: str
    errors: list[str] = field(default_factory=list)
    runs: list[float] = field(default_factory=list)  # when each clean rerun finished
    dropped_at: float | None = None
    reconnected_at: float | None = None
    old_session: str = ""
    new_replica: str = ""

    async def work(self, stop: asyncio.Event) -> None:
        """Rerun the page, then a few health checks, until ``stop``."""
        while not stop.is_set():
            try:
                errors = await self.session.rerun()
                for _ in range(3):
                    status, _ = await asyncio.to_thread(self.browser.get, "/_stcore/health")
                    if status != 200:
                        break
                    await asyncio.sleep(0.2)
            except websockets.ConnectionClosed:
                if self.dropped_at is not None:
                    self.errors.append("the websocket closed again after reconnecting")
                    return
                self.dropped_at = time.monotonic()
                await self.reconnect()
                continue
            except (OSError, TimeoutError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                return
            self.errors += errors
            if status != 200:
                self.errors.append(f"health check {status}")
            self.runs.append(time.monotonic())

    async def reconnect(self) -> None:
        """What Streamlit's client does: health check until it answers, then a websocket
        asking to resume its session."""
        self.old_session = self.session.session_id
        while (await asyncio.to_thread(self.browser.get, "/_stcore/health"))[0] != 200:
            await asyncio.sleep(0.3)
        self.session = await Session.open(self.browser, resume=self.old_session)
        self.new_replica = self.session.replica
        assert await self.session.rerun() == []
        self.reconnected_at = time.monotonic()


async def open_student(base: str) -> Student:
    browser = Browser(base)
    await asyncio.to_thread(browser.open_page)
    session = await Session.open(browser)
    assert await session.rerun() == []
    return Student(browser, session, session.replica)


@dataclass
class Death:
    """What happened around one replica's death."""

    students: list[Student]
    killed: str  # the killed replica's address
    killed_at: float
    old_pid: int
    back_at: float | None = None  # when it answered its health check again
    in_use_at: float | None = None  # when nginx sent a new browser to it again
    new_pid: int = 0
    uploads: list[int] = field(default_factory=list)  # each student's upload at the end
    answered: list[str] = field(default_factory=list)  # the replica of its last request


async def class_with_a_death(dep: Deployment) -> Death:
    students = list(await asyncio.gather(*(open_student(dep.base) for _ in range(4))))
    while len({s.replica for s in students}) < 2 and len(students) < 10:
        students.append(await open_student(dep.base))
    killed = students[0].replica
    i = 1 if killed == dep.replica(1) else 2
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.work(stop)) for s in students]
    await asyncio.sleep(1.0)

    death = Death(students, killed, time.monotonic(), dep.replica_pid(i))
    os.kill(death.old_pid, signal.SIGKILL)
    direct = Browser(f"http://{killed}")
    while time.monotonic() - death.killed_at < RESTART_BOUND_S:
        try:
            if (await asyncio.to_thread(direct.get, "/_stcore/health"))[0] == 200:
                death.back_at = time.monotonic()
                break
        except OSError:
            pass
        await asyncio.sleep(0.3)
    # The class goes on until nginx sends requests to the restarted replica again (it
    # counts as failed for fail_timeout after each refused connection): then a new
    # browser lands on it, as it has the fewest connections.
    while death.back_at is not None and time.monotonic() - death.back_at < RESTART_BOUND_S:
        _, headers = await asyncio.to_thread(Browser(dep.base).get, "/")
        if headers["X-Replica"] == killed:
            death.in_use_at = time.monotonic()
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*tasks)
    death.new_pid = dep.replica_pid(i)

    # Every student's session still takes an upload: its requests reach its session's
    # replica, also for the moved ones now that their old replica is back.
    for s in students:
        death.uploads.append(s.browser.upload(await s.session.upload_url()))
        death.answered.append(s.browser.get("/_stcore/health")[1]["X-Replica"])
        await s.session.close()
    return death


def test_a_killed_replica_leaves_the_class_running_and_comes_back(replicas: Deployment):
    death = isolated(asyncio.run, class_with_a_death(replicas))
    survivors = [s for s in death.students if s.replica != death.killed]
    moved = [s for s in death.students if s.replica == death.killed]
    assert survivors and moved

    for s in survivors:  # nothing happened to them
        assert s.errors == [] and s.dropped_at is None
        assert any(t > death.killed_at for t in s.runs), "a survivor did not run after the kill"

    survivor = survivors[0].replica
    for s in moved:  # a short drop, then a new session on the surviving replica
        assert s.errors == []
        assert s.dropped_at is not None and s.reconnected_at is not None
        assert s.reconnected_at - death.killed_at < RECONNECT_BOUND_S
        assert s.new_replica == survivor
        assert s.session.session_id and s.session.session_id != s.old_session
        assert any(t > s.reconnected_at for t in s.runs)

    assert death.back_at is not None, "the killed replica was not started again"
    assert death.new_pid != death.old_pid
    assert death.in_use_at is not None, "nginx did not use the restarted replica again"
    assert set(death.uploads) == {204}
    assert set(death.answered) == {survivor}  # the moved ones stayed
    assert any("starting it again" in line for line in replicas.output)
