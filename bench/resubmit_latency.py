#!/usr/bin/env python3
"""Delay from a link's end (sacct End) to the next link's submission, on the test cluster.

Runs two chains as the test user alice with the real `longrun` and its background supervisor:
  checkpoint  exits 75 at the warning signal (--time=1 --signal=B:TERM@30), ends before its limit
  timeout     ignores the limit and is killed at it (TIMEOUT)
For every link that was followed by another, prints End -> next submission (target median < 5 s),
next to what a monitor that sleeps until the link's remaining wall-time (as sbatch_longrun does)
would have had: it wakes at Start + TimeLimit, so a link that ends early waits out the rest.

usage (as root, with the test cluster up): /opt/longrun-tui/venv/bin/python bench/resubmit_latency.py
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.slurm.client import SlurmClient  # noqa: E402
from tests.conftest import make_user_dir, run_as, write_script  # noqa: E402

JOBS = REPO / "tests" / "slurm" / "jobs"


def longrun(directory: Path, *argv: str) -> str:
    env = {"LONGRUN_HOME": str(directory / "reg")}
    proc = run_as("alice", ["longrun", *argv], cwd=directory, env=env, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return proc.stdout


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.astimezone()


def main() -> None:
    directory = make_user_dir("alice", "bench-latency")
    ckpt = write_script(directory, "checkpoint_job.py", (JOBS / "checkpoint_job.py").read_text(), "alice")
    sleeper = write_script(directory, "exit_code.sh", (JOBS / "exit_code.sh").read_text(), "alice")
    chains = {
        "checkpoint": json.loads(longrun(
            directory, "submit", "--json", "--max-restarts", "3", "--min-link-seconds", "0", "--time=1",
            "--signal=B:TERM@30", "-o", str(directory / "ckpt.log"), str(ckpt), str(directory / "state"), "100000",
            "0.5", "75",
        ))["chain_id"],
        "timeout": json.loads(longrun(
            directory, "submit", "--json", "--max-restarts", "2", "--time=1", "-o", str(directory / "to.log"),
            str(sleeper), "0", "600",
        ))["chain_id"],
    }  # fmt: skip
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        states = {c["chain_id"]: c["state"] for c in json.loads(longrun(directory, "status", "--json"))}
        if all(states.get(cid) in ("DONE", "STOPPED") for cid in chains.values()):
            break
        time.sleep(5)
    slurm = SlurmClient()
    rows: list[tuple[str, str, float, float]] = []
    for label, chain_id in chains.items():
        log = (directory / "reg" / "chains" / chain_id / "events.jsonl").read_text()
        events = [json.loads(x) for x in log.split("\n") if x]
        submitted = {
            e["attempt"]: (e["job_id"], datetime.fromisoformat(e["t"])) for e in events if e["type"] == "submitted"
        }
        acct = slurm.accounting([job for job, _ in submitted.values()])
        for attempt in sorted(submitted):
            if attempt + 1 not in submitted:
                continue
            row = acct[submitted[attempt][0]].job
            assert row.end and row.start and row.time_limit
            end = aware(row.end)
            ours = (submitted[attempt + 1][1] - end).total_seconds()
            wake = aware(row.start).timestamp() + row.time_limit.seconds
            theirs = max(0.0, wake - end.timestamp())  # a lower bound: it still has to poll and submit
            rows.append((label, f"{row.job_id} {row.state.name}", ours, theirs))
    print(f"{'chain':<11} {'link':<22} {'longrun s':>10} {'sleep-until-limit s (>=)':>25}")
    for label, link, ours, theirs in rows:
        print(f"{label:<11} {link:<22} {ours:>10.1f} {theirs:>25.1f}")
    if rows:
        ours = statistics.median(r[2] for r in rows)
        theirs = statistics.median(r[3] for r in rows)
        print(f"median: longrun {ours:.1f} s, sleep-until-limit monitor >= {theirs:.1f} s  (n={len(rows)})")
    print(f"(registry and logs in {directory})")
    beat = directory / "reg" / "supervisor" / "heartbeat.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        os.kill(int(json.loads(beat.read_text())["pid"]), signal.SIGTERM)  # the supervisor this run started


if __name__ == "__main__":
    main()
