#!/usr/bin/env python3
"""The gap from a link's end to the next link's start, on the test cluster, in both modes.

Runs, as the test user alice with the real `longrun`, the same two chains continued inside Slurm
(`--mode slurm`, no supervisor) and supervised (`--mode supervisor`, its background supervisor):
  checkpoint  exits 75 at the warning signal (--time=1 --signal=B:TERM@30), ends before its limit
  timeout     ignores the limit and is killed at it (TIMEOUT)
For every link followed by another it prints the next link's Slurm start and the moment its
wrapper started the work (`work_started`), counted from the link's end (sacct End; whole seconds),
next to what a monitor that sleeps until the link's limit (as sbatch_longrun does) would have had.
Target: median end -> next start under 3 s.

usage (as root, test cluster up): $LONGRUN_VENV/bin/python bench/resubmit_latency.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.registry import Registry  # noqa: E402
from app.slurm.client import SlurmClient  # noqa: E402
from tests.conftest import make_user_dir, run_as, write_script  # noqa: E402
from tests.slurm.chain_helpers import processes_outside_slurm  # noqa: E402

JOBS = REPO / "tests" / "slurm" / "jobs"


def longrun(directory: Path, mode: str, *argv: str) -> str:
    env = {"LONGRUN_HOME": str(directory / mode)}
    if mode == "slurm":
        env["LONGRUN_NO_AUTOSTART"] = "1"
    proc = run_as("alice", ["longrun", *argv], cwd=directory, env=env, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return proc.stdout


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.astimezone()


def main() -> None:
    directory = make_user_dir("alice", "bench-latency")
    ckpt = write_script(directory, "checkpoint_job.sh", (JOBS / "checkpoint_job.sh").read_text(), "alice")
    sleeper = write_script(directory, "exit_code.sh", (JOBS / "exit_code.sh").read_text(), "alice")
    chains: dict[tuple[str, str], str] = {}
    for mode in ("slurm", "supervisor"):
        chains[(mode, "checkpoint")] = json.loads(longrun(
            directory, mode, "submit", "--json", "--mode", mode, "--max-restarts", "3", "--min-link-seconds", "0",
            "--time=1", "--signal=B:TERM@30", "-o", str(directory / f"{mode}-ckpt.log"), str(ckpt),
            str(directory / f"{mode}.state"), "100000", "0.5", "75",
        ))["chain_id"]  # fmt: skip
        chains[(mode, "timeout")] = json.loads(longrun(
            directory, mode, "submit", "--json", "--mode", mode, "--max-restarts", "2", "--time=1", "-o",
            str(directory / f"{mode}-to.log"), str(sleeper), "0", "600",
        ))["chain_id"]  # fmt: skip
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        done = all(
            Registry(directory / mode, read_only=True).status(cid).state.is_final for (mode, _), cid in chains.items()
        )
        if done:
            break
        time.sleep(5)
    slurm = SlurmClient()
    rows: list[tuple[str, str, str, float, float | None, float]] = []
    for (mode, label), chain_id in chains.items():
        status = Registry(directory / mode, read_only=True).status(chain_id)
        links = [lk for lk in status.links if lk.job_id]
        acct = slurm.accounting([lk.job_id for lk in links if lk.job_id])
        events = (directory / mode / "chains" / chain_id / "events.jsonl").read_text().splitlines()
        work = {
            e["job_id"]: datetime.fromisoformat(e["t"]) for e in map(json.loads, events) if e["type"] == "work_started"
        }
        for before, after in pairwise(links):
            row, nxt = acct[before.job_id or ""].job, acct[after.job_id or ""].job
            assert row.end and row.start and row.time_limit and nxt.start
            end = aware(row.end)
            begun = (aware(nxt.start) - end).total_seconds()
            worked = (work[after.job_id] - end).total_seconds() if after.job_id in work else None
            theirs = max(0.0, aware(row.start).timestamp() + row.time_limit.seconds - end.timestamp())
            rows.append((mode, label, f"{row.job_id} {row.state.name}", begun, worked, theirs))
    print(
        f"{'mode':<11} {'chain':<11} {'link':<20} {'-> start s':>10} {'-> work s':>10} {'sleep-until-limit s (>=)':>25}"
    )
    for mode, label, link, begun, worked, theirs in rows:
        shown = f"{worked:.1f}" if worked is not None else "-"
        print(f"{mode:<11} {label:<11} {link:<20} {begun:>10.1f} {shown:>10} {theirs:>25.1f}")
    for mode in ("slurm", "supervisor"):
        mine = [r for r in rows if r[0] == mode]
        if mine:
            works = [r[4] for r in mine if r[4] is not None]
            print(f"median {mode}: end -> next start {statistics.median(r[3] for r in mine):.1f} s, -> its work "
                  f"{statistics.median(works) if works else float('nan'):.1f} s; a sleep-until-limit monitor >= "
                  f"{statistics.median(r[5] for r in mine):.1f} s (n={len(mine)})")  # fmt: skip
    print(f"(registries and logs in {directory})")
    for pid in processes_outside_slurm(directory / "supervisor"):
        run_as("alice", ["kill", str(pid)])  # the supervisor this run started


if __name__ == "__main__":
    main()
