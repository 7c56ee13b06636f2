"""The controller goes away during a chain: the supervisor waits (backs off), never ends a chain,
and both the running chain and one submitted during the outage complete once Slurm is back.

Stops slurmctld, so it is `exclusive` (runs alone, after the rest) and restarts the cluster in a finally.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_user_dir, wait_until
from tests.slurm.chain_helpers import (
    copy_job,
    final_state,
    longrun,
    stop_supervisor,
    submit,
    submitted_ids,
    supervisor_log,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def chain_dir() -> Iterator[Path]:
    path = make_user_dir("alice", "outage")
    yield path
    stop_supervisor(path)


def controller_up() -> bool:
    proc = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=30)
    return "UP" in proc.stdout


@pytest.mark.exclusive
def test_controller_outage_never_ends_a_chain(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "first_link_exits.sh", "alice")
    chain_id, _ = submit("alice", chain_dir, "--time=2", "-o", str(chain_dir / "run.log"), str(job), "20")
    wait_until(lambda: "attempt=1" in (chain_dir / "run.log").read_text() if (chain_dir / "run.log").exists()
               else False, timeout=300, what="first link running")  # fmt: skip
    pid = int(Path("/run/slurm/slurmctld.pid").read_text().strip())
    try:
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not controller_up(), timeout=60, what="slurmctld down")
        during = longrun(
            "alice", chain_dir, "submit", "--time=1", "-o", str(chain_dir / "second.log"), str(job), "3",
            env={"LONGRUN_SLURM_TIMEOUT": "10"}, timeout=120,
        )  # fmt: skip
        assert during.returncode == 3 and "the chain is kept" in during.stderr, during.stderr
        # the first link exits 75 while nobody can tell the controller (its log says when)
        wait_until(lambda: "first link exits 75" in (chain_dir / "run.log").read_text(), timeout=300,
                   what="the first link to end during the outage")  # fmt: skip
        chain = final_state("alice", chain_dir, chain_id)
        assert chain is None, "an outage must never end a chain"
    finally:
        subprocess.run(["/usr/bin/python3", str(REPO / "scripts" / "test-cluster"), "up"], timeout=300,
                       capture_output=True)  # fmt: skip
    done = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=300, interval=3, what="chain done")
    assert isinstance(done, dict) and done["state"] == "DONE", done
    assert len(submitted_ids(chain_dir, chain_id)) == 2
    others = [
        p.name for p in (chain_dir / "reg" / "chains").iterdir() if p.name != chain_id and not p.name.startswith(".")
    ]  # .changes: the journal
    assert len(others) == 1
    second = wait_until(lambda: final_state("alice", chain_dir, others[0]), timeout=300, interval=3, what="second")
    assert isinstance(second, dict) and second["state"] == "DONE", second
    assert len(submitted_ids(chain_dir, others[0])) == 2
    assert "Slurm unavailable" in supervisor_log(chain_dir) or "cycle failed" in supervisor_log(chain_dir)
