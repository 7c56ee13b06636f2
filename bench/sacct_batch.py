"""Benchmark: one batched sacct call for 100 real jobs, next to our parse time of its output.

    /opt/longrun-tui/venv/bin/python bench/sacct_batch.py [JOBS]

Submits JOBS (default 100) short jobs on the test cluster (as alice when run as root, else as
yourself), waits until accounting has them all with their steps, then times the very sacct call
SlurmClient.accounting makes and our parse of its output. Prints both and our share of the total
(target: under 10%). No assertions: it reports numbers.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.slurm.client import SlurmClient
from app.slurm.rows import fresh_delimiter
from app.slurm.runner import QUERY_ENV, CommandRunner
from app.slurm.sacct import parse_sacct, sacct_argv_for_jobs

REPEATS = 5
USER_PATH = "/usr/local/bin:/usr/bin:/bin"


def as_submitter(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "alice", "--", "env", f"PATH={USER_PATH}", *argv]
    return argv


def submit_jobs(count: int, directory: Path) -> list[str]:
    """`count` short jobs with a step each, submitted by one Python process (one sbatch per job)."""
    script = directory / "job.sh"
    script.write_text("#!/bin/bash\nsrun true\n")
    script.chmod(0o755)
    code = (
        "from app.slurm.client import SlurmClient\nc = SlurmClient()\n"
        f"for i in range({count}):\n"
        f"    print(c.submit({str(script)!r}, options=['-J', f'bench-{{i}}', '-D', {str(directory)!r}, "
        f"'-o', '/dev/null', '--time=2']))\n"
    )
    proc = subprocess.run(
        as_submitter([sys.executable, "-c", code]), capture_output=True, text=True, timeout=600, cwd=str(directory)
    )
    if proc.returncode != 0:
        raise SystemExit(f"submitting failed:\n{proc.stderr}")
    return proc.stdout.split()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    directory = Path(tempfile.mkdtemp(prefix="longrun-bench-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "alice", "alice")
    directory.chmod(0o755)
    started = time.monotonic()
    ids = submit_jobs(count, directory)
    print(f"submitted {len(ids)} jobs in {time.monotonic() - started:.1f} s ({ids[0]}..{ids[-1]})")

    client = SlurmClient(timeout=120)
    deadline = time.monotonic() + 600
    while True:
        found = client.accounting(ids)
        done = [a for a in found.values() if a.job.state.is_terminal and a.steps]
        if len(done) == len(ids):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(done)} of {len(ids)} jobs ended within 10 minutes")
        time.sleep(2)
    print(f"all ended after {time.monotonic() - started:.1f} s ({client.calls} sacct polls while waiting)")

    runner = CommandRunner(timeout=120)
    delimiter = fresh_delimiter()
    argv = sacct_argv_for_jobs(ids, delimiter)
    call_times, parse_times = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = runner.run(argv, env=QUERY_ENV)
        t1 = time.perf_counter()
        jobs = parse_sacct(result.stdout, delimiter)
        t2 = time.perf_counter()
        call_times.append(t1 - t0)
        parse_times.append(t2 - t1)
    rows = result.stdout.count("\n")
    call, parse = statistics.median(call_times), statistics.median(parse_times)
    print(f"sacct output: {rows} rows for {len(jobs)} jobs, {len(result.stdout)} bytes")
    print(f"sacct call (median of {REPEATS}): {call * 1000:.1f} ms")
    print(f"our parse  (median of {REPEATS}): {parse * 1000:.2f} ms")
    print(f"our share of one poll: {100 * parse / (call + parse):.1f}% (target < 10%)")
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
