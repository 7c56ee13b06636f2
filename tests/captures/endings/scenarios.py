"""Real job endings on the test cluster, made on purpose: the scripts, how they are submitted, helpers.

Shared by tests/slurm/test_explain_endings.py (which makes them happen and runs `longrun explain`)
and make_endings.py in this directory (which saves their sacct/scontrol output and logs as captures).
Everything runs as the test users; lr2 is only preempted or set down under the lr2 flock.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import run_as, wait_until, write_script

LR2_LOCK = "/tmp/longrun-lr2.lock"
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "PREEMPTED", "NODE_FAIL", "BOOT_FAIL", "DEADLINE",
            "OUT_OF_MEMORY", "REVOKED"}  # fmt: skip
OOM_REQUEST_MIB = 256

SCRIPTS = {
    "oom": "#!/usr/bin/python3\nimport time\nblocks = [bytearray(64 * 1024 * 1024) for _ in range(10)]\n"
    "time.sleep(5)\n",
    "exit3": "#!/bin/bash\necho 'reading input.csv'\necho 'error: input.csv has no header' >&2\nexit 3\n",
    "exit137": "#!/bin/bash\necho 'exiting 137'\nexit 137\n",
    "exit152": "#!/bin/bash\necho 'exiting 152'\nexit 152\n",
    "exit127": "#!/bin/bash\necho start\nno_such_command_xyz --flag\n",
    "exit126": "#!/bin/bash\necho start\nprintf 'echo hi\\n' > ./notexec.sh\nchmod 644 ./notexec.sh\n./notexec.sh\n",
    "sigusr1": "#!/bin/bash\necho start\nkill -USR1 $$\necho never\n",
    "sigsegv": "#!/usr/bin/python3\nimport os, signal\nprint('start', flush=True)\n"
    "os.kill(os.getpid(), signal.SIGSEGV)\n",
    "ok": "#!/bin/bash\necho ok\n",
    "sleeper": "#!/bin/bash\necho sleeping\nsleep 300\n",
    "timeout": "#!/bin/bash\necho 'working without a handler'\nsleep 300\n",
    "trap": "#!/bin/bash\n#SBATCH --signal=B:TERM@30\n"
    "trap 'echo \"Received SIGTERM, saving checkpoint\"; exit 0' TERM\n"
    "echo working\nfor i in $(seq 1 300); do sleep 1; done\n",
}


@dataclass(frozen=True)
class Scenario:
    key: str
    script: str
    options: tuple[str, ...] = ()
    output: str | None = None  # -o value; default DIR/%j.out


QUICK = (
    Scenario("oom", "oom", (f"--mem={OOM_REQUEST_MIB}M",)),
    Scenario("exit3", "exit3"),
    Scenario("exit137", "exit137"),
    Scenario("exit152", "exit152"),
    Scenario("exit127", "exit127"),
    Scenario("exit126", "exit126"),
    Scenario("sigusr1", "sigusr1"),
    Scenario("sigsegv", "sigsegv"),
    Scenario("deadline", "ok", ("--time=5", "--deadline=now+60")),
    Scenario("no_output", "ok", (), output="/nonexistent/longrun-dir/x.out"),
    Scenario("cancelled", "sleeper"),
    Scenario("completed", "ok"),
)
TIMED = (
    Scenario("timeout", "timeout", ("--time=1",)),
    Scenario("trap", "trap", ("--time=1",)),  # --signal comes from the script's #SBATCH line
)


@dataclass
class Submitted:
    directory: Path
    jobs: dict[str, str] = field(default_factory=dict)  # scenario key -> job id
    argv: dict[str, list[str]] = field(default_factory=dict)


def submit(directory: Path, scenario: Scenario, into: Submitted, user: str = "alice") -> str:
    script = directory / f"{scenario.script}.sh"
    if not script.exists():
        write_script(directory, script.name, SCRIPTS[scenario.script], owner=user)
    output = scenario.output or f"{directory}/%j.out"
    argv = ["sbatch", "--parsable", "-D", str(directory), "-o", output, "-J", f"lrx-{scenario.key}",
            *scenario.options, str(script)]  # fmt: skip
    job_id = run_as(user, argv, check=True).stdout.strip().split(";")[0]
    into.jobs[scenario.key] = job_id
    into.argv[scenario.key] = argv
    return job_id


def submit_all(directory: Path, scenarios: Sequence[Scenario]) -> Submitted:
    result = Submitted(directory)
    for scenario in scenarios:
        submit(directory, scenario, result)
    return result


def states(job_ids: Sequence[str]) -> dict[str, str]:
    """Job-row State of each id in accounting (the base word: `CANCELLED by 1001` -> CANCELLED)."""
    proc = run_as("alice", ["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(job_ids)], check=True)
    found = {}
    for line in proc.stdout.splitlines():
        job_id, _, state = line.partition("|")
        found[job_id] = state.split()[0].rstrip("+") if state else ""
    return found


def wait_ended(job_ids: Sequence[str], timeout: float) -> dict[str, str]:
    def ended() -> dict[str, str] | None:
        now = states(job_ids)
        return now if all(now.get(j) in TERMINAL for j in job_ids) else None

    result = wait_until(ended, timeout, interval=1.0, what=f"jobs {', '.join(job_ids)} to end")
    assert isinstance(result, dict)
    return result


def wait_ended_in_controller(job_ids: Sequence[str], timeout: float) -> None:
    """Until the controller (scontrol, not accounting, which lags) says each job ended: a test that
    must see a job while the controller still holds it (MinJobAge) asks as soon as it ends."""

    def state(job_id: str) -> str:
        proc = subprocess.run(["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True, timeout=15)
        return next((f.split("=", 1)[1] for f in proc.stdout.split() if f.startswith("JobState=")), "")

    wait_until(lambda: all(state(j) in TERMINAL for j in job_ids), timeout, interval=0.5,
               what=f"jobs {', '.join(job_ids)} to end in the controller")  # fmt: skip


def wait_running(job_id: str, timeout: float = 300) -> None:
    wait_until(lambda: states([job_id]).get(job_id) == "RUNNING", timeout, 0.5, what=f"job {job_id} running")


def controller_forgot(job_id: str) -> bool:
    proc = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=15)
    return proc.returncode != 0 and "Invalid job id" in proc.stderr


def explain(user: str, job_id: str) -> dict[str, Any]:
    """`longrun explain JOBID --json` run as user; the parsed JSON."""
    proc = run_as(user, ["longrun", "explain", job_id, "--json"], timeout=60)
    assert proc.returncode == 0, f"explain {job_id} as {user}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def explain_each(user: str, job_ids: Sequence[str]) -> list[dict[str, Any]]:
    """`explain` of several jobs at once (each its own process): none waits behind the others."""
    with ThreadPoolExecutor(len(job_ids)) as pool:
        return list(pool.map(lambda job_id: explain(user, job_id), job_ids))


@contextmanager
def lr2_lock() -> Iterator[None]:
    """Exclusive use of lr2 for preemption / down tests; lr2 is resumed afterwards whatever happens."""
    with open(LR2_LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            resume_lr2()
            fcntl.flock(handle, fcntl.LOCK_UN)


def lr2_states() -> set[str]:
    proc = subprocess.run(["sinfo", "-h", "-n", "lr2", "-N", "-o", "%T"], capture_output=True, text=True, timeout=15)
    return {line.strip().rstrip("*~#") for line in proc.stdout.splitlines() if line.strip()}


def resume_lr2() -> None:
    if not lr2_states() <= {"idle", "mixed", "allocated"}:
        subprocess.run(["scontrol", "update", "nodename=lr2", "state=resume"], capture_output=True, timeout=15)
    wait_until(lambda: lr2_states() <= {"idle", "mixed", "allocated"}, 60, 1.0, what="lr2 back in service")


def preempt_and_fail_lr2(directory: Path) -> Submitted:
    """Under the lr2 lock: a job preempted by an `urgent` one, then a --no-requeue job on lr2 set down."""
    result = Submitted(directory)
    with lr2_lock():
        victim = submit(directory, Scenario("preempted", "sleeper", ("-p", "preemptible", "-c", "8")), result)
        wait_running(victim, 300)
        urgent = submit(directory, Scenario("preemptor", "ok", ("-p", "urgent", "-c", "8")), result)
        wait_ended([victim, urgent], 300)
        lost = submit(directory, Scenario("node_fail", "sleeper", ("-p", "preemptible", "--no-requeue")), result)
        wait_running(lost, 300)
        time.sleep(1)
        subprocess.run(["scontrol", "update", "nodename=lr2", "state=down", "reason=longrun explain test"],
                       check=True, capture_output=True, timeout=15)  # fmt: skip
        wait_ended([lost], 300)
    return result
