"""`longrun cancel|stop|signal` on the real cluster: an action names the job the person saw and is
refused once the chain has moved on; stop sends the chain's warning signal and submits no more;
cancel of a job that has just left the controller cancels the chain and says so."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.slurm.chain_helpers import (
    copy_job,
    final_state,
    longrun,
    status,
    submit,
    submitted_ids,
)
from tests.slurm.team import user_test_dir


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    yield from user_test_dir("alice", request.node.name[:30])


def test_an_action_on_a_job_that_has_been_followed_by_the_next_link_is_refused(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "trap_job.sh", "alice")
    log = chain_dir / "run.log"
    name = f"pin-{uuid.uuid4().hex[:6]}"
    chain_id, first = submit("alice", chain_dir, "--name", name, "--time=5", "--signal=B:USR1@10", "-o", str(log),
                             str(job), "300", "75", "2")  # the first link exits 75 after 2 s  # fmt: skip
    ids = wait_until(lambda: submitted_ids(chain_dir, chain_id)[1:], timeout=180, what="the second link")
    second = ids[0]  # type: ignore[index]
    wait_until(lambda: f"job={second}" in log.read_text(), timeout=120, what="the second link running")
    for action in (["signal", name, "USR1"], ["stop", name], ["cancel", name]):
        proc = longrun("alice", chain_dir, *action, "--job", first)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"the chain moved on to job {second} (job {first} has ended); nothing was done" in proc.stderr
    assert "caught" not in log.read_text(), "no signal reached the new job"
    assert status("alice", chain_dir, chain_id)["state"] == "RUNNING"

    proc = longrun("alice", chain_dir, "stop", name, "--job", second)
    assert proc.returncode == 0, proc.stderr
    assert f"sent USR1 to the batch shell of job {second} (the chain's warning signal)" in proc.stdout
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=120, what="the chain to stop")
    assert chain["state"] == "STOPPED"  # type: ignore[index]
    assert chain["reason"] == "stopped by alice; the link ended: checkpointed (exit 75)"  # type: ignore[index]
    assert f"caught USR1 attempt=2 job={second}" in log.read_text(), "the job checkpointed on the signal"
    assert submitted_ids(chain_dir, chain_id) == [first, second], "nothing submitted after the stop"
    again = longrun("alice", chain_dir, "resubmit", name)
    assert again.returncode == 0 and "submitted attempt 3" in again.stdout, "a stopped chain goes on when asked"
    longrun("alice", chain_dir, "cancel", name)


def test_stopping_a_link_that_has_not_started_cancels_it(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "trap_job.sh", "alice")
    chain_id, job_id = submit("alice", chain_dir, "--time=5", "--begin=now+2hours", "-o", str(chain_dir / "%j.out"),
                              str(job), "300")  # fmt: skip
    proc = longrun("alice", chain_dir, "stop", chain_id)
    assert proc.returncode == 0, proc.stderr
    assert f"cancelled job {job_id}, which had not started; chain {chain_id} is stopped" in proc.stdout
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=120, what="the chain to stop")
    assert chain["state"] == "STOPPED" and chain["reason"] == "stopped by alice", chain  # type: ignore[index]
    assert submitted_ids(chain_dir, chain_id) == [job_id]


def test_cancel_after_the_job_left_the_controller_cancels_the_chain(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "exit_code.sh", "alice")
    env = {"LONGRUN_NO_AUTOSTART": "1"}  # nobody records the end: the chain still thinks the job runs
    chain_id, job_id = submit("alice", chain_dir, "--mode", "supervisor", "--time=5", "-o", str(chain_dir / "%j.out"),
                              str(job), "0", "1", env=env)  # fmt: skip

    def forgotten() -> bool:
        proc = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=30)
        return proc.returncode != 0

    wait_until(forgotten, timeout=240, interval=3, what="the controller to forget the job (MinJobAge)")
    proc = longrun("alice", chain_dir, "cancel", chain_id, env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"its job {job_id} had already ended" in proc.stdout
    chain = status("alice", chain_dir, chain_id)
    assert chain["reason"] == "cancelled by alice"
