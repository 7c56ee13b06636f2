"""Captures of live use (sstat) and start estimates (squeue --start) from the test cluster (run as root).

    /opt/longrun-tui/venv/bin/python -m tests.captures.make_live_captures
    /opt/longrun-tui/venv/bin/python -m tests.captures.make_live_captures refresh   # only the refresh_* ones

About 90 s. Jobs are alice's (names `lrcap-live-*`). The `-j` list of each capture's argv names the
jobs in the order the tests expect (see tests/unit/test_live_slurm.py).
- sstat_running.txt: `lrcap-live-one` (one process holding 200 MB) and `lrcap-live-four` (`srun -n 4`,
  60 MB each) while they hold it; sstat_freed.txt: the same jobs after they freed it (MaxRSS stays,
  TRESUsageInTot falls); sstat_denied.stderr: bob asking for alice's job (exit 0, error on stderr);
  sstat_no_steps.stderr: a job that ended.
- squeue_start.txt: `squeue --start` for a job waiting for `--begin` (BeginTime, estimate = the begin
  time), a held one (N/A), one waiting for Resources on the preemptible partition after the
  backfill scheduler estimated it, and a running one (not printed: it is not pending).
- refresh_sacct.txt, refresh_squeue_start.txt, refresh_sstat.txt: the three calls of one dashboard
  refresh, made with the client's own argv one after the other: `lrcap-refresh-running` (one
  process holding 200 MB of --mem=400M), `lrcap-refresh-pending` (waiting for --begin); the -j list
  of refresh_sacct.cmd is (running, pending).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from app.slurm.rows import fresh_delimiter
from app.slurm.sacct import sacct_argv_for_jobs
from app.slurm.squeue import squeue_start_argv
from app.slurm.sstat import sstat_argv
from tests.captures.make_captures import capture
from tests.conftest import make_user_dir, run_as, write_script

HOLD = (
    "import sys, time; b = bytearray(int(sys.argv[1]) * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); "
    "time.sleep(float(sys.argv[2])); del b; time.sleep(float(sys.argv[3]))"
)


def sbatch(directory: Path, name: str, script: Path, *options: str) -> str:
    argv = ["sbatch", "--parsable", "-D", str(directory), "-o", f"{directory}/%j.out", "-J", name, *options]
    return run_as("alice", [*argv, str(script)], check=True).stdout.strip().split(";")[0]


def running(job_id: str) -> bool:
    out = run_as("alice", ["squeue", "-h", "-j", job_id, "-o", "%T"]).stdout.strip()
    return out == "RUNNING"


def main() -> None:
    d = make_user_dir("alice", "live-captures")
    one = write_script(d, "one.sh", f'#!/bin/bash\n/usr/bin/python3 -c "{HOLD}" 200 25 120\n', "alice")
    four = write_script(d, "four.sh", f'#!/bin/bash\nsrun -n 4 /usr/bin/python3 -c "{HOLD}" 60 25 120\n', "alice")
    idle = write_script(d, "idle.sh", "#!/bin/bash\nsleep 90\n", "alice")
    short = write_script(d, "short.sh", "#!/bin/bash\ntrue\n", "alice")
    jobs = [
        sbatch(d, "lrcap-live-one", one, "--mem=400M", "--time=3"),
        sbatch(d, "lrcap-live-four", four, "-n", "4", "--mem=600M", "--time=3"),
    ]
    ended = sbatch(d, "lrcap-live-ended", short, "--time=1")
    begin = sbatch(d, "lrcap-live-begin", idle, "--begin=now+2hours", "--time=2")
    held = sbatch(d, "lrcap-live-held", idle, "--hold", "--time=2")
    blocker = sbatch(d, "lrcap-live-blocker", idle, "-p", "preemptible", "-c", "8", "--mem=100M", "--time=1")
    waiting = sbatch(d, "lrcap-live-resources", idle, "-p", "preemptible", "-c", "8", "--mem=100M", "--time=1")
    try:
        deadline = time.monotonic() + 60
        while not all(running(j) for j in jobs) and time.monotonic() < deadline:
            time.sleep(1)
        started = time.monotonic()
        time.sleep(12)  # every task has allocated and touched its memory
        capture("sstat_running", "alice", sstat_argv(jobs))
        capture("sstat_denied", "bob", sstat_argv(jobs[:1]), stream="stderr")
        capture("sstat_no_steps", "alice", sstat_argv([ended]), stream="stderr")
        # the backfill scheduler estimates a start every 30 s by default
        delimiter = fresh_delimiter()
        argv = squeue_start_argv([begin, held, waiting, jobs[0]], delimiter)
        deadline = time.monotonic() + 75
        while time.monotonic() < deadline:
            proc = run_as("alice", argv)
            if any(line.startswith(waiting) and "N/A" not in line for line in proc.stdout.splitlines()):
                break
            time.sleep(3)
        capture("squeue_start", "alice", argv)
        time.sleep(max(0.0, started + 32 - time.monotonic()))  # the memory is freed 25 s after it was allocated
        capture("sstat_freed", "alice", sstat_argv(jobs))
    finally:
        for job in (*jobs, begin, held, blocker, waiting):
            run_as("alice", ["scancel", job])


def capture_refresh() -> None:
    d = make_user_dir("alice", "refresh-captures")
    hold = write_script(d, "hold.sh", f'#!/bin/bash\n/usr/bin/python3 -c "{HOLD}" 200 60 1\n', "alice")
    later = write_script(d, "later.sh", "#!/bin/bash\ntrue\n", "alice")
    running = sbatch(d, "lrcap-refresh-running", hold, "-p", "preemptible", "--mem=400M", "--time=2")
    pending = sbatch(d, "lrcap-refresh-pending", later, "--begin=now+2hours", "--time=1")
    try:
        deadline = time.monotonic() + 60
        while not running_job(running) and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(10)  # sacct has the job's start; sstat has its 200 MB
        capture("refresh_sacct", "alice", sacct_argv_for_jobs([running, pending], fresh_delimiter()))
        capture("refresh_squeue_start", "alice", squeue_start_argv([pending], fresh_delimiter()))
        capture("refresh_sstat", "alice", sstat_argv([running]))
    finally:
        for job in (running, pending):
            run_as("alice", ["scancel", job])


running_job = running


if __name__ == "__main__":
    if sys.argv[1:] == ["refresh"]:
        capture_refresh()
    else:
        main()
        capture_refresh()
