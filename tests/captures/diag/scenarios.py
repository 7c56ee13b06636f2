"""Jobs shaped like real ones, made on purpose on the test cluster: the scripts, how they are submitted.

Shared by tests/slurm/test_explain_realworld.py (which makes them happen and runs `longrun explain`)
and make_diag.py here (which saves their sacct/scontrol output and logs as captures). Everything
runs as alice on the debug partition (lr1), and `short` (lr1, MaxTime 1 minute) when the cluster
has it (the line `PartitionName=short Nodes=lr1 MaxTime=1 State=UP` in scripts/test-cluster; not
there yet: a shared cluster's configuration changes only when everybody's branch has it). The
heterogeneous job needs two nodes (Slurm puts its components on different nodes: both on debug it
waits for Resources forever), so its second component runs on lr2, under the lr2 lock that the
preemption and node-failure tests take.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.captures.endings.scenarios import Submitted, lr2_lock
from tests.conftest import run_as, wait_until, write_script

TASK_MIB = 120  # each of four tasks holds about this much
MT_REQUEST = "300M"  # --mem (per node) of the four-task jobs: the tasks together need about 480M

_ALLOC = (
    "srun -n 4 /usr/bin/python3 -c "
    f'"import time; b = [bytearray({TASK_MIB // 3} * 1024 * 1024) for _ in range(3)]; time.sleep(4)"\n'
)

SCRIPTS = {
    # a multi-task step killed at the memory limit; the script goes on and exits 0
    "mt_oom_then_echo": "#!/bin/bash\n" + _ALLOC + "echo after the step\n",
    # the same step as the script's last command: the job ends with srun's exit status
    "mt_oom_last": "#!/bin/bash\n" + _ALLOC,
    # steps that fail (exit 1) and die of a signal (SIGSEGV) under a script that exits 0
    "srun_false": "#!/bin/bash\nsrun false\nsrun bash -c 'kill -SEGV $$'\necho done\n",
    # asked per CPU in the script: the advice must come in --mem-per-cpu
    "per_cpu_oom": "#!/usr/bin/python3\n#SBATCH --mem-per-cpu=100M -c 2\nimport time\n"
    "blocks = [bytearray(64 * 1024 * 1024) for _ in range(8)]\ntime.sleep(3)\n",
    # a heterogeneous job: component 1's step fails, the script exits 3
    "het": "#!/bin/bash\n#SBATCH --mem=100M\n#SBATCH hetjob\n#SBATCH -p preemptible --mem=150M -c 2\n"
    "srun --het-group=1 bash -c 'exit 4'\necho 'after het step'\nexit 3\n",
    # array tasks that end four ways
    "array_mixed": "#!/bin/bash\ncase $SLURM_ARRAY_TASK_ID in\n 1) echo ok;;\n 2) exit 3;;\n"
    " 3) /usr/bin/python3 -c 'b = [bytearray(64 * 1024 * 1024) for _ in range(6)]';;\n *) echo ok;;\nesac\n",
    "sleeper": "#!/bin/bash\nsleep ${1:-300}\n",
    "fail_later": "#!/bin/bash\nsleep ${1:-8}\nexit 1\n",
}


@dataclass(frozen=True)
class Scenario:
    key: str
    script: str
    options: tuple[str, ...] = ()
    args: tuple[str, ...] = ()


ENDED = (
    Scenario("mt_oom_then_echo", "mt_oom_then_echo", ("-n", "4", f"--mem={MT_REQUEST}")),
    Scenario("mt_oom_last", "mt_oom_last", ("-n", "4", f"--mem={MT_REQUEST}")),
    Scenario("srun_false", "srun_false"),
    Scenario("per_cpu_oom", "per_cpu_oom"),
    Scenario("array_mixed", "array_mixed", ("--mem=200M", "--array=1-4")),
)
SHORT_PARTITION = "short"


def submit(directory: Path, scenario: Scenario, into: Submitted, extra: tuple[str, ...] = ()) -> str:
    script = directory / f"{scenario.script}.sh"
    if not script.exists():
        write_script(directory, script.name, SCRIPTS[scenario.script], owner="alice")
    output = (
        f"{directory}/%A_%a.out" if any(o.startswith("--array") for o in scenario.options) else f"{directory}/%j.out"
    )
    argv = ["sbatch", "--parsable", "-D", str(directory), "-o", output, "-J", f"lrd-{scenario.key}",
            *scenario.options, *extra, str(script), *scenario.args]  # fmt: skip
    job_id = run_as("alice", argv, check=True).stdout.strip().split(";")[0]
    into.jobs[scenario.key] = job_id
    into.argv[scenario.key] = argv
    return job_id


def submit_ended(directory: Path) -> Submitted:
    result = Submitted(directory)
    for scenario in ENDED:
        submit(directory, scenario, result)
    return result


HET = Scenario("het", "het")


def run_het(directory: Path, then: Callable[[Submitted], object] = lambda _sub: None) -> Submitted:
    """The heterogeneous job, from submission to its end, under the lr2 lock; `then` runs before the
    lock is let go (while the controller still holds the job)."""
    result = Submitted(directory)
    with lr2_lock():
        submit(directory, HET, result)
        wait_family_ended(result.jobs, 120)
        then(result)
    return result


def wait_family_ended(jobs: dict[str, str], timeout: float) -> None:
    """Every job ended; for an array or a heterogeneous job, every task or component (sacct -X by base id)."""

    def ended() -> bool:
        proc = run_as("alice", ["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(jobs.values())])
        rows = [line.split("|") for line in proc.stdout.splitlines() if "|" in line]
        seen = {job_id: False for job_id in jobs.values()}
        for job_id, state in rows:
            base = job_id.split("_")[0].split("+")[0]
            if base in seen:
                seen[base] = True
            if state.split()[0].rstrip("+") not in TERMINAL:
                return False
        return all(seen.values())

    wait_until(ended, timeout, interval=1.0, what=f"jobs {', '.join(jobs.values())} to end")


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "PREEMPTED", "NODE_FAIL", "BOOT_FAIL", "DEADLINE",
            "OUT_OF_MEMORY", "REVOKED"}  # fmt: skip


def has_partition(name: str) -> bool:
    proc = subprocess.run(["scontrol", "-o", "show", "partition", name], capture_output=True, text=True, timeout=15)
    return proc.returncode == 0 and f"PartitionName={name} " in proc.stdout


def squeue_reason(job_id: str) -> str:
    proc = run_as("alice", ["squeue", "-h", "-o", "%r", "-j", job_id])
    return proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""


def submit_pending(directory: Path) -> Submitted:
    """Jobs that wait for known reasons. `never` waits for `fails` (it exits 1 after a few seconds), so
    its DependencyNeverSatisfied comes while the controller still holds the failed job."""
    result = Submitted(directory)
    sleeper = submit(directory, Scenario("sleeper", "sleeper", ("--time=10",), ("600",)), result)
    fails = submit(directory, Scenario("fails", "fail_later", ("--time=5",), ("8",)), result)
    submit(directory, Scenario("begin", "sleeper", ("--begin=now+2hours",)), result)
    submit(directory, Scenario("dependency", "sleeper", (f"--dependency=afterok:{sleeper}",)), result)
    submit(directory, Scenario("never", "sleeper", (f"--dependency=afterok:{fails}",)), result)
    submit(directory, Scenario("held_user", "sleeper", ("--hold",)), result)
    submit(directory, Scenario("held_admin", "sleeper", ("--begin=now+2hours",)), result)
    submit(directory, Scenario("array_limit", "sleeper", ("--array=1-3%1",), ("600",)), result)
    submit(directory, Scenario("node_limit", "sleeper", ("--nodes=2",)), result)
    if has_partition(SHORT_PARTITION):
        submit(directory, Scenario("time_limit", "sleeper", ("-p", SHORT_PARTITION, "--time=5")), result)
    subprocess.run(["scontrol", "hold", result.jobs["held_admin"]], check=True, capture_output=True, timeout=15)
    return result


EXPECTED_REASONS = {
    "begin": "BeginTime",
    "dependency": "Dependency",
    "never": "DependencyNeverSatisfied",
    "held_user": "JobHeldUser",
    "held_admin": "JobHeldAdmin",
    "array_limit": "JobArrayTaskLimit",
    "node_limit": "PartitionNodeLimit",
    "time_limit": "PartitionTimeLimit",
}


def pending_id(sub: Submitted, key: str) -> str:
    """The id that waits: the array's pending tasks (`N_[2-3%1]` in squeue) are asked for as task 2."""
    return f"{sub.jobs[key]}_2" if key == "array_limit" else sub.jobs[key]


def wait_reasons(sub: Submitted, timeout: float = 120) -> None:
    """Until squeue shows every expected reason (the scheduler sets some only in its next cycle)."""
    keys = [k for k in EXPECTED_REASONS if k in sub.jobs]

    def shown() -> bool:
        return all(squeue_reason(pending_id(sub, k)) == EXPECTED_REASONS[k] for k in keys)

    wait_until(shown, timeout, interval=2.0, what="the pending reasons")


def cancel_all(sub: Submitted) -> None:
    if sub.jobs:
        run_as("alice", ["scancel", *sub.jobs.values()])
