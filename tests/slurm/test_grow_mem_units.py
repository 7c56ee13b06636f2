"""--grow-mem on the real test cluster, for a job that asked per CPU and ran a multi-task `srun` step:
the step is killed at the limit (OUT_OF_MEMORY) while the job ends FAILED 1:0 (its script's last
command failed), and the next link asks more per CPU (sbatch takes it, the controller holds it).

Inside Slurm the chain makes at most 6 jobs (README, "Modes"): link 1; the successor queued with it,
which decides (or finds decided) that the memory grows and replaces itself; the job link 1's wrapper
queued behind that successor (withdrawn with it, never started); link 2 with the grown memory; its
successor, which finds the chain done; and the job link 2's wrapper queued behind that one (cancelled).
Before the fix the same chain made 10 jobs and its second link ran as attempt 4."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.registry import Registry
from tests.conftest import make_user_dir, wait_until, write_script
from tests.slurm.chain_helpers import copy_job, events, final_state, log_headers, queued_ids, stop_supervisor, submit


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = make_user_dir("alice", request.node.name[:30])
    yield path
    stop_supervisor(path)


def test_a_multi_task_per_cpu_job_killed_in_its_step_grows_per_cpu(chain_dir: Path) -> None:
    hog = copy_job(chain_dir, "memory_hog.py", "alice")
    # two tasks of 150M each on one node: 300M, over 2 x 100M; 2 x 256M holds them
    script = write_script(chain_dir, "two_tasks.sh", "#!/bin/bash\n#SBATCH --mem-per-cpu=100M\n#SBATCH -n 2\n"
                          f"srun -n 2 /usr/bin/python3 {hog} 150\n", "alice")  # fmt: skip
    out = str(chain_dir / "%j.out")
    chain_id, _ = submit("alice", chain_dir, "--grow-mem", "2", "--time=2", "-o", out, str(script))
    chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=240, interval=2, what="finish")
    assert isinstance(chain, dict)
    first, second = chain["links"]
    assert (first["state"], first["exit_status"]) == ("FAILED", "1:0"), chain
    assert first["decision"].startswith("continue: out of memory in step "), first
    assert first["decision"].endswith(": growing --mem-per-cpu 100M -> 256M"), first
    assert chain["state"] == "DONE" and second["state"] == "COMPLETED", chain
    # the intent of the job that ran as the second link (inside Slurm the successor queued in advance
    # with the old options is withdrawn and queued again with the grown ones)
    log = events(chain_dir, chain_id)
    ran = next(i for i, e in enumerate(log) if e["type"] == "submitted" and e["job_id"] == second["job_id"])
    intent = next(
        e for e in reversed(log[:ran]) if e["type"] == "submit_intent" and e["attempt"] == log[ran]["attempt"]
    )
    assert intent["options"] == ["--mem-per-cpu=256M"]
    shown = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "ReqMem,AllocCPUS", "-j", second["job_id"]],
                           capture_output=True, text=True, timeout=30, check=True).stdout.split()  # fmt: skip
    assert shown == ["512M|2"]  # 256M per CPU x 2 CPUs, as Slurm 22.05 prints it (the total)

    # the jobs it made: every one recorded by the chain, each known to Slurm by the chain's comment
    settled = wait_until(lambda: Registry(chain_dir / "reg", read_only=True).status(chain_id).settled, timeout=120,
                         what="the chain's queued jobs to be withdrawn or cancelled")  # fmt: skip
    assert settled
    made = queued_ids(chain_dir, chain_id)
    assert len(made) <= 6, (made, chain)
    tagged = wait_until(lambda: (found := tagged_jobs(chain_id)) >= set(made) and found, timeout=60,
                        what="sacct to list every job of the chain")  # fmt: skip
    assert tagged == set(made), "Slurm has no job of the chain that the chain did not record"
    log = events(chain_dir, chain_id)
    worked = [(e["attempt"], e["job_id"]) for e in log if e["type"] == "work_started"]
    assert worked == [(1, first["job_id"]), (2, second["job_id"])], log
    assert [(lk["attempt"], lk["job_id"]) for lk in chain["links"]] == worked
    assert [h["attempt"] for h in log_headers((chain_dir / f"{second['job_id']}.out").read_text())] == ["2", "2"]
    assert never_two_queued_after_one_job(log), log


def tagged_jobs(chain_id: str) -> set[str]:
    """Job ids sacct knows with this chain's comment (`longrun:<chain>:<attempt>`). The states are named:
    without them sacct leaves out jobs cancelled while a dependency held them (never eligible)."""
    argv = ["sacct", "-X", "-n", "-P", "--delimiter=\x1f", "-u", "alice", "-S", "now-2hours", "-E", "now",
            "-s", "CA,CD,F,OOM,TO,PR,NF,PD,R", "-o", "JobID,Comment"]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
    rows = [line.split("\x1f") for line in out.splitlines()]
    return {row[0] for row in rows if len(row) == 2 and row[1].startswith(f"longrun:{chain_id}:")}


def never_two_queued_after_one_job(log: list[dict[str, Any]]) -> bool:
    """Replaying the chain's events: whenever a job is recorded as queued after another, no other job
    still in the chain (neither withdrawn nor cancelled) is queued after that same job."""
    after_of: dict[str, str | None] = {}
    pending_after: dict[int, str | None] = {}
    live: set[str] = set()
    for e in log:
        if e["type"] == "submit_intent":
            pending_after[e["attempt"]] = e["after"]
        elif e["type"] == "submitted":
            after = pending_after.pop(e["attempt"], None)
            if after is not None and any(after_of[j] == after for j in live):
                return False
            after_of[e["job_id"]] = after
            live.add(e["job_id"])
        elif e["type"] in ("withdrawn", "cancelled"):
            live.discard(e["job_id"])
    return True
