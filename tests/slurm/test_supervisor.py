"""The supervisor on the real cluster: preemption and node failure continue a chain, one
supervisor per registry, other users refused before any Slurm call, and chaos (SIGKILL at
random moments, also right after sbatch) never gives a chain two live links or loses one."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from app.services import ActionRefused, Services
from app.slurm.client import SlurmClient
from tests.conftest import USER_PATH, make_user_dir, run_as, wait_until
from tests.slurm.chain_helpers import (
    copy_job,
    events,
    final_state,
    live_jobs_by_chain,
    log_headers,
    longrun,
    status,
    stop_supervisor,
    submit,
    submitted_ids,
)

LR2_LOCK = "/tmp/longrun-lr2.lock"


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = make_user_dir("alice", request.node.name[:30].replace("[", "_").replace("]", ""))
    yield path
    stop_supervisor(path)


@contextlib.contextmanager
def lr2_exclusive() -> Iterator[None]:
    fd = os.open(LR2_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        subprocess.run(["scontrol", "update", "nodename=lr2", "state=resume"], capture_output=True, timeout=30)
        os.close(fd)


def link_running(chain_id: str) -> bool:
    proc = subprocess.run(["squeue", "-h", "-t", "R", "-o", "%k"], capture_output=True, text=True, timeout=20)
    return any(line.startswith(f"longrun:{chain_id}:") for line in proc.stdout.splitlines())


def test_preempted_link_is_resubmitted(chain_dir: Path, bob_dir: Path) -> None:
    job = copy_job(chain_dir, "first_link_waits.sh", "alice")  # however late the preemption comes
    with lr2_exclusive():
        chain_id, _ = submit(
            "alice", chain_dir, "--min-link-seconds", "0", "-p", "preemptible", "-c", "8", "--time=2",
            "-o", str(chain_dir / "run.log"), str(job),
        )  # fmt: skip
        wait_until(lambda: link_running(chain_id), timeout=300, what="first link running on lr2")
        urgent = run_as(
            "bob", ["sbatch", "--parsable", "-p", "urgent", "-c", "8", "--time=1", "-o", "/dev/null",
                    "--wrap", "sleep 10"], cwd=bob_dir, check=True,
        ).stdout.strip()  # fmt: skip
        try:
            chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=240, interval=2, what="done")
        finally:
            subprocess.run(["scancel", urgent], capture_output=True, timeout=30)
    assert isinstance(chain, dict)
    assert chain["state"] == "DONE", chain
    assert chain["links"][0]["state"] == "PREEMPTED"
    assert chain["links"][0]["decision"] == "continue: preempted"
    assert len(chain["links"]) >= 2 and chain["links"][-1]["state"] == "COMPLETED"


def test_node_failure_link_is_resubmitted(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "first_link_waits.sh", "alice")  # however late the node goes down
    with lr2_exclusive():
        chain_id, _ = submit(
            "alice", chain_dir, "--min-link-seconds", "0", "-p", "preemptible", "--no-requeue", "--time=2",
            "-o", str(chain_dir / "run.log"), str(job),
        )  # fmt: skip
        wait_until(lambda: link_running(chain_id), timeout=300, what="first link running on lr2")
        subprocess.run(
            ["scontrol", "update", "nodename=lr2", "state=down", "reason=longrun-node-fail-test"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        wait_until(lambda: len(submitted_ids(chain_dir, chain_id)) >= 2, timeout=90, what="second link submitted")
        subprocess.run(["scontrol", "update", "nodename=lr2", "state=resume"], capture_output=True, timeout=30)
        chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=240, interval=2, what="done")
    assert isinstance(chain, dict)
    assert chain["state"] == "DONE", chain
    assert chain["links"][0]["state"] == "NODE_FAIL"
    assert chain["links"][0]["decision"] == "continue: node failure"


def test_second_supervisor_is_refused(chain_dir: Path) -> None:
    env = {"LONGRUN_HOME": str(chain_dir / "reg")}
    first = start_supervisor(chain_dir, env)
    try:
        wait_until(lambda: (chain_dir / "reg" / "supervisor" / "heartbeat.json").exists(), timeout=30, what="beat")
        second = longrun("alice", chain_dir, "supervise", timeout=30)
        assert second.returncode == 1
        assert "already runs" in second.stderr and "not starting a second one" in second.stderr
        ensure = longrun("alice", chain_dir, "supervise", "--ensure", timeout=30)
        assert ensure.returncode == 0 and ensure.stdout == "" and ensure.stderr == ""
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=30)


def test_other_users_are_refused_before_any_slurm_call(chain_dir: Path, bob_dir: Path) -> None:
    job = copy_job(chain_dir, "exit_code.sh", "alice")
    chain_id, job_id = submit("alice", chain_dir, "--time=5", "-o", str(chain_dir / "%j.out"), str(job), "0", "300")
    try:
        for action in (["cancel", chain_id], ["signal", chain_id, "USR1"], ["resubmit", chain_id],
                       ["reinit", chain_id]):  # fmt: skip
            proc = longrun("bob", bob_dir, *action, env={"LONGRUN_NO_AUTOSTART": "1"})
            assert proc.returncode == 2 and "error" in proc.stderr, proc.stderr
        # even with alice's registry readable, the service layer refuses bob before calling Slurm
        slurm = SlurmClient()
        services = Services(viewer="bob", slurm=slurm, home=chain_dir / "reg")
        for call in (partial(services.cancel, chain_id), partial(services.signal, chain_id, "USR1"),
                     partial(services.resubmit, chain_id), partial(services.reinit, chain_id)):  # fmt: skip
            with pytest.raises(ActionRefused, match="belongs to alice"):
                call()
        assert slurm.calls == 0
        assert link_running(chain_id) or job_id in live_jobs_by_chain("alice").get(chain_id, [])
        # bob sees alice's chain read-only (rebuilt from the job comments)
        seen = longrun("bob", bob_dir, "status", "--user", "alice", "--json", env={"LONGRUN_NO_AUTOSTART": "1"})
        chains = {c["chain_id"]: c for c in json.loads(seen.stdout)}
        assert chains[chain_id]["read_only"] is True and chains[chain_id]["owner"] == "alice"
    finally:
        done = longrun("alice", chain_dir, "cancel", chain_id)
    assert done.returncode == 0, done.stderr
    # The supervisor's decision on the cancelled link: a wrong resubmission would come with it.
    wait_until(lambda: any(e["type"] == "decision" for e in events(chain_dir, chain_id)), timeout=120,
               what="the supervisor's decision on the cancelled link")  # fmt: skip
    chain = status("alice", chain_dir, chain_id)
    assert chain["state"] == "STOPPED" and chain["reason"] == "cancelled by alice"
    assert submitted_ids(chain_dir, chain_id) == [job_id], "a cancelled chain is never resubmitted"
    assert chain_id not in live_jobs_by_chain("alice")


def start_supervisor(directory: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    base = {"PATH": USER_PATH, "HOME": "/home/alice", "USER": "alice", "LANG": "C.UTF-8", **env}
    log = open(directory / "supervisor.out", "ab")
    return subprocess.Popen(
        ["runuser", "-u", "alice", "--", "env", "-i", *(f"{k}={v}" for k, v in base.items()), "longrun", "supervise"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def test_chaos_supervisor_killed_at_random_moments(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "checkpoint_job.sh", "alice")
    log = chain_dir / "run.log"
    total = 150
    chain_id, _ = submit(
        "alice", chain_dir, "--mode", "supervisor", "--min-link-seconds", "0", "--time=1", "--signal=B:TERM@30",
        "-o", str(log), str(job), str(chain_dir / "state"), str(total), "0.4", "75", env={"LONGRUN_NO_AUTOSTART": "1"},
    )  # fmt: skip
    env = {
        "LONGRUN_HOME": str(chain_dir / "reg"),
        "LONGRUN_NO_AUTOSTART": "1",
        "LONGRUN_TEST_CRASH_AFTER_SBATCH": "0.5",
    }
    rng = random.Random(chain_id)
    kills = crashes = 0
    doubles: list[list[str]] = []
    deadline = time.monotonic() + 420
    chain = None
    while time.monotonic() < deadline:
        proc = start_supervisor(chain_dir, env)
        until = time.monotonic() + rng.uniform(0.5, 8)
        while time.monotonic() < until and proc.poll() is None:
            live = live_jobs_by_chain("alice").get(chain_id, [])
            if len(live) > 1:
                doubles.append(live)
            time.sleep(0.3)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        else:
            crashes += 1  # died by the crash-after-sbatch hook
        proc.wait(timeout=30)
        chain = final_state("alice", chain_dir, chain_id)
        if chain:
            break
    assert chain is not None and chain["state"] == "DONE", chain
    assert not doubles, f"two live links of one chain at once: {doubles}"
    assert kills >= 5, f"only {kills} kills"
    text = log.read_text()
    headers = log_headers(text)
    ids = submitted_ids(chain_dir, chain_id)
    assert [h["job"] for h in headers] == ids, "every link that ran is in the event log, in order"
    assert len(set(ids)) == len(ids)
    steps = [int(line.split()[1]) for line in text.splitlines() if line.startswith("step ")]
    assert steps == list(range(1, total + 1))
    recovered = [e for e in events(chain_dir, chain_id) if e.get("recovered")]
    assert crashes == 0 or recovered, "a crash right after sbatch was recovered from the job comment"
