"""--grow-mem on the real test cluster, for a job that asked per CPU and ran a multi-task `srun` step:
the step is killed at the limit (OUT_OF_MEMORY) while the job ends FAILED 1:0 (its script's last
command failed), and the next link asks more per CPU (sbatch takes it, the controller holds it)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_user_dir, wait_until, write_script
from tests.slurm.chain_helpers import copy_job, events, final_state, stop_supervisor, submit


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
