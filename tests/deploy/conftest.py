"""Fixtures of the deploy tests: two deployments of deploy/run.sh, started once per test
session and together (deploy_helpers.py says what each is for)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import VICTIM_TEXT, Deployment, clean_env, free_port_block, require_nginx


def plant_victim(link: Path, victim: Path, victims: dict[Path, bytes]) -> None:
    """``link`` → ``victim`` (a file of the user's with known content)."""
    victim.write_bytes(VICTIM_TEXT)
    link.symlink_to(victim)
    victims[victim] = VICTIM_TEXT


@pytest.fixture(scope="session")
def deployments(tmp_path_factory) -> Iterator[dict[str, Deployment]]:
    require_nginx()
    env = clean_env()
    own = tmp_path_factory.mktemp("victims")

    run_dir = tmp_path_factory.mktemp("run")
    run_dir.chmod(0o700)
    plain = Deployment(free_port_block(3), "127.0.0.1", {**env, "QUANTVIZ_RUN_DIR": str(run_dir)})
    for name in ("replica-1.log", "replica-2.log", "nginx-access.log", "nginx.conf"):
        plant_victim(run_dir / name, own / f"plain-{name}", plain.victims)

    replicas = Deployment(free_port_block(3), "127.0.0.2", {**env, "QUANTVIZ_REPLICA_HEADER": "1"})
    trap = Path(f"/tmp/quantviz-deploy-{replicas.port}")
    trap.mkdir(mode=0o777, exist_ok=True)
    plant_victim(trap / "replica-1.log", own / "replicas-replica-1.log", replicas.victims)

    try:
        for dep in (plain, replicas):
            dep.start()
        for dep in (plain, replicas):
            dep.wait_up()
        yield {"plain": plain, "replicas": replicas}
    finally:
        for dep in (plain, replicas):  # both stop at once
            dep.terminate()
        for dep in (plain, replicas):
            dep.stop()
        shutil.rmtree(trap, ignore_errors=True)
        if replicas.run_dir is not None:  # run.sh leaves its run directory (the logs)
            shutil.rmtree(replicas.run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def plain(deployments) -> Deployment:
    return deployments["plain"]


@pytest.fixture(scope="session")
def replicas(deployments) -> Deployment:
    return deployments["replicas"]
