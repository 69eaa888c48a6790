"""deploy/run.sh stopped as a teacher stops it (Ctrl-C or SIGTERM): nothing of it is left,
also once each replica's warm-up run has finished (run.sh's supervisors kill a warm-up only
while it runs; a finished one must not cut the stopping short)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

from deploy_helpers import Deployment, clean_env, free_port_block, port_open, require_nginx


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def warm_ups_running(dep: Deployment) -> bool:
    """Whether a warm-up's curl still runs in run.sh's process group."""
    assert dep.proc is not None
    found = subprocess.run(["pgrep", "-g", str(dep.proc.pid), "curl"], capture_output=True)
    return found.returncode == 0


def test_stopping_run_sh_ends_every_replica_and_nginx(tmp_path):
    require_nginx()
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    dep = Deployment(free_port_block(3), "127.0.0.1", {**clean_env(),
                     "QUANTVIZ_RUN_DIR": str(run_dir)})  # fmt: skip
    try:
        dep.start()
        dep.wait_up()
        deadline = time.monotonic() + 120
        while warm_ups_running(dep) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not warm_ups_running(dep), "the replicas' warm-up runs did not end"
        replicas = [dep.replica_pid(i) for i in (1, 2)]
        assert all(alive(pid) for pid in replicas)
        dep.stop()  # SIGTERM to run.sh, as Ctrl-C
        assert dep.proc.returncode is not None
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in replicas) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in replicas if alive(pid)] == []
        assert not any(port_open("127.0.0.1", dep.port + i) for i in range(3))
    finally:
        dep.stop()
        if dep.proc is not None:  # whatever outlived it (the failure above): not left behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(dep.proc.pid, signal.SIGKILL)
