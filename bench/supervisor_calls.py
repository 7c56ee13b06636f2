#!/usr/bin/env python3
"""Slurm calls over a whole chain's life, and per minute in steady state: longrun (continued inside
Slurm, and supervised) next to sbatch_longrun, for the same job in the same run, on the test cluster.

The job (tests/slurm/jobs/checkpoint_job.sh, no --signal) counts to TOTAL steps of 1 s, saving each,
and is killed at its 1-minute limit (TIMEOUT) until done: about 4 links for each tool, run side by
side as the test user alice. Every Slurm command anyone of them runs (the login-node processes AND
the link wrappers inside the jobs, which inherit PATH) goes through a counting shim that logs it
and then runs the real command. Printed per tool: calls over the chain's life by command, links,
calls per link, and the calls of the process outside Slurm (supervisor / sbatch_longrun's monitor)
per minute while a link runs.

sbatch_longrun is on PyPI as slurm-longrun; it is installed in this benchmark's own environment:
  /usr/bin/python3 -m venv /opt/longrun-tui/venv-cont-bench
  /opt/longrun-tui/venv-cont-bench/bin/pip install slurm-longrun

usage (as root, test cluster up): $LONGRUN_VENV/bin/python bench/supervisor_calls.py [TOTAL]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import USER_PATH, make_user_dir, write_script  # noqa: E402

SBATCH_LONGRUN = Path(os.environ.get("SBATCH_LONGRUN_VENV", "/opt/longrun-tui/venv-cont-bench")) / "bin"
COMMANDS = ("sbatch", "sacct", "squeue", "scontrol", "scancel", "sacctmgr", "sstat")
SHIM = """#!/usr/bin/python3
import os, sys, time
log = os.environ.get("LONGRUN_BENCH_CALLS")
if log:
    with open(log, "a") as fh:
        fh.write(f"{{time.time():.3f}} {{os.environ.get('LONGRUN_BENCH_TAG', '?')}} "
                 f"{{'job' if os.environ.get('SLURM_JOB_ID') else 'login'}} {name}\\n")
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
"""


def make_shims(directory: Path) -> Path:
    shims = directory / "shims"
    shims.mkdir()
    for name in COMMANDS:
        real = shutil.which(name)
        if real:
            write_script(shims, name, SHIM.format(name=name, real=real), "alice")
    return shims


def start(directory: Path, tag: str, argv: list[str], shims: Path, calls: Path, extra: dict[str, str]
          ) -> subprocess.Popen[bytes]:  # fmt: skip
    env = {"PATH": f"{shims}:{SBATCH_LONGRUN}:{USER_PATH}", "HOME": "/home/alice", "USER": "alice",
           "LANG": "C.UTF-8", "LONGRUN_BENCH_CALLS": str(calls), "LONGRUN_BENCH_TAG": tag, **extra}  # fmt: skip
    out = open(directory / f"{tag}.out", "ab")  # the child writes it
    return subprocess.Popen(
        ["runuser", "-u", "alice", "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv],
        cwd=directory, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def chain_done(directory: Path, tag: str) -> bool:
    proc = subprocess.run(
        ["runuser", "-u", "alice", "--", "env", "-i", f"PATH={USER_PATH}", f"LONGRUN_HOME={directory / tag}",
         "LONGRUN_NO_AUTOSTART=1", "HOME=/home/alice", "longrun", "status", "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    chains = json.loads(proc.stdout or "[]")
    return bool(chains) and all(c["state"] in ("DONE", "STOPPED") for c in chains)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--report":  # print a finished run again
        directory = Path(sys.argv[2])
        stamps = [float(line.split()[0]) for line in (directory / "calls.log").read_text().splitlines() if line]
        report(directory, directory / "calls.log", min(stamps), max(stamps))
        return
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if not (SBATCH_LONGRUN / "sbatch_longrun").exists():
        raise SystemExit(f"sbatch_longrun is not installed in {SBATCH_LONGRUN.parent} (see this file's docstring)")
    helped = subprocess.run([f"{USER_PATH.split(':')[0]}/longrun", "submit", "--help"], capture_output=True, text=True)
    if "--mode" not in helped.stdout:
        raise SystemExit(f"the longrun in {USER_PATH.split(':')[0]} has no --mode: set LONGRUN_VENV to this checkout's")
    directory = make_user_dir("alice", "bench-calls")
    shims = make_shims(directory)
    calls = directory / "calls.log"
    calls.touch()
    shutil.chown(calls, "alice", "alice")
    job = write_script(directory, "checkpoint_job.sh", (REPO / "tests/slurm/jobs/checkpoint_job.sh").read_text(),
                       "alice")  # fmt: skip
    common = ["--time=1"]

    def job_args(tag: str) -> list[str]:
        return [str(job), str(directory / f"{tag}.state"), str(total), "1", "75"]

    began = time.time()
    longrun_env = {"LONGRUN_NO_AUTOSTART": "1"}
    procs = []
    for tag, mode in (("in-slurm", "slurm"), ("supervised", "supervisor")):
        home = {"LONGRUN_HOME": str(directory / tag), **longrun_env}
        submit = ["longrun", "submit", "--mode", mode, "--max-restarts", "20", "--min-link-seconds", "0", *common,
                  "-o", str(directory / f"{tag}.log"), *job_args(tag)]  # fmt: skip
        start(directory, tag, submit, shims, calls, home).wait(timeout=120)
        # A supervisor for each (a chain continued inside Slurm needs none; one runs anyway whenever
        # any longrun command ran): its calls count for its tool.
        procs.append(start(directory, tag, ["longrun", "supervise"], shims, calls, home))
    monitor = start(directory, "sbatch_longrun", ["sbatch_longrun", "--max-restarts", "20", *common, "-o",
                    str(directory / "sbatch_longrun.log"), *job_args("sbatch_longrun")], shims, calls, {})  # fmt: skip
    deadline = time.time() + 1800
    while time.time() < deadline:
        if chain_done(directory, "in-slurm") and chain_done(directory, "supervised") and monitor.poll() is not None:
            break
        time.sleep(10)
    ended = time.time()
    for proc in procs:
        proc.terminate()
    report(directory, calls, began, ended)


def report(directory: Path, calls: Path, began: float, ended: float) -> None:
    """Per tool: every call over the chain's life; the polls of the process outside Slurm per minute
    (its calls other than submitting a link, cancelling a queued one, and the one sacct per ended
    link that records it)."""
    rows = [line.split() for line in calls.read_text().splitlines() if len(line.split()) == 4]
    print(f"one checkpointing job killed at its 1-minute limit until done, three tools side by side "
          f"({(ended - began) / 60:.1f} min; files in {directory})")  # fmt: skip
    print(f"{'tool':<15} {'links':>5} {'calls':>6} {'per link':>9} {'in jobs':>8} {'polls/min':>10}  by command")
    for tag in ("in-slurm", "supervised", "sbatch_longrun"):
        mine = [r for r in rows if r[1] == tag]
        links = count_links(directory, tag)
        outside = [r for r in mine if r[2] == "login"]
        stamps = [float(r[0]) for r in outside]
        minutes = (max(stamps) - min(stamps)) / 60 if len(stamps) > 1 else 0.0
        polls = [r for r in outside if r[3] not in ("sbatch", "scancel")]  # submitting and tidying up: per link
        # longrun's one sacct per ended link is not a poll (sbatch_longrun's every sacct is one)
        recording = min(links, sum(1 for r in polls if r[3] == "sacct")) if tag != "sbatch_longrun" else 0
        per_min = f"{(len(polls) - recording) / minutes:.1f}" if minutes else "-"
        by = Counter(f"{'job ' if r[2] == 'job' else ''}{r[3]}" for r in mine)
        print(f"{tag:<15} {links:>5} {len(mine):>6} {len(mine) / max(links, 1):>9.1f} "
              f"{sum(1 for r in mine if r[2] == 'job'):>8} {per_min:>10}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(by.items())))  # fmt: skip


def count_links(directory: Path, tag: str) -> int:
    if tag == "sbatch_longrun":
        return (directory / "sbatch_longrun.log").read_text(errors="replace").count("resume=")
    chains = list((directory / tag / "chains").glob("*/events.jsonl"))
    if not chains:
        return 0
    sys.path.insert(0, str(REPO))
    from app.registry import Registry

    return len(Registry(directory / tag, read_only=True).status(chains[0].parent.name).links)


if __name__ == "__main__":
    main()
