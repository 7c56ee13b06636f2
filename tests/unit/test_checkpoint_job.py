"""The cluster tests' checkpointing job (tests/slurm/jobs/checkpoint_job.sh) against a warning signal at
any instant once it runs: Slurm sends it at its 30-s time-limit check, which on a 1-minute test job
may be the job's first second. Whenever SIGTERM comes, the job ends with its "checkpointed" code
and the links together print every step once, in order (the flake of issue 10 item 7: a signal
between saving step N and printing it lost "step N" from the log)."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from pathlib import Path

JOB = Path(__file__).parents[1] / "slurm" / "jobs" / "checkpoint_job.sh"
TOTAL = 30


def link(state: Path, log: Path, stop_after: float | None) -> int:
    """One link: run the job and, `stop_after` seconds after it has set its trap (its first line
    says so), send SIGTERM; its exit code."""
    started = log.read_text().count("link attempt=") if log.exists() else 0
    with log.open("ab") as out:
        proc = subprocess.Popen(["bash", str(JOB), str(state), str(TOTAL), "0.01", "75"], stdout=out)
        if stop_after is not None:
            deadline = time.monotonic() + 60
            while log.read_text().count("link attempt=") == started:
                assert time.monotonic() < deadline, "the job did not start"
                time.sleep(0.001)
            time.sleep(stop_after)
            proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=60)


def test_a_warning_signal_at_any_instant_loses_no_step(tmp_path: Path) -> None:
    rng = random.Random(10)
    delays = [0.0, 0.0, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.05] + [rng.uniform(0, 0.1) for _ in range(20)]
    state, log = tmp_path / "state", tmp_path / "run.log"
    codes = [link(state, log, delay) for delay in delays]
    while b"work done" not in log.read_bytes():
        codes.append(link(state, log, None))
    text = log.read_text()
    steps = [int(n) for n in re.findall(r"^step (\d+)$", text, re.MULTILINE)]
    assert steps == list(range(1, TOTAL + 1)), steps
    assert set(codes) <= {0, 75}, f"a link died of the signal instead of checkpointing: {codes}"
    assert text.count("checkpoint step=") == codes.count(75)
