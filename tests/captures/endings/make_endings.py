"""Regenerate the job-ending captures in this directory from the real test cluster (run as root).

    /opt/longrun-tui/venv/bin/python -m tests.captures.endings.make_endings

Makes every ending of scenarios.py happen (as alice; lr2 under its lock), then writes per scenario:
  KEY.sbatch.cmd        the sbatch argv that made the job, and its script
  KEY.scontrol.txt/.cmd `scontrol show job` right after the end (only for the quick jobs, while held)
  KEY.sacct.txt/.cmd    the Slurm client's own sacct argv for that job, after the end
  KEY.log               the job's output file
  KEY.explain.json      `longrun explain KEY --json` as alice at capture time
Job ids differ on every run. About two minutes (two time-limit jobs).
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

from app.slurm.sacct import sacct_argv_for_jobs
from tests.captures.endings.scenarios import (
    QUICK,
    SCRIPTS,
    TIMED,
    Submitted,
    preempt_and_fail_lr2,
    submit_all,
    wait_ended,
    wait_running,
)
from tests.conftest import make_user_dir, run_as

HERE = Path(__file__).parent
HEADER = "# user: {user}\n# exit status: {rc}\n# captured: {stream}, Slurm 22.05.8, cluster longrun-test\n"


def capture(name: str, argv: list[str], user: str = "alice") -> str:
    proc = run_as(user, argv, timeout=60)
    (HERE / f"{name}.txt").write_text(proc.stdout)
    (HERE / f"{name}.cmd").write_text(
        HEADER.format(user=user, rc=proc.returncode, stream="stdout")
        + f"# argv (JSON): {json.dumps(argv)}\n{shlex.join(argv)}\n"
    )
    return proc.stdout


def save_submission(sub: Submitted, key: str) -> None:
    argv = sub.argv[key]
    script = Path(argv[-1])
    body = SCRIPTS.get(script.stem, script.read_text() if script.exists() else "")
    text = "# user: alice\n# how the job was made\n" + f"# argv (JSON): {json.dumps(argv)}\n{shlex.join(argv)}\n"
    text += "# script:\n" + "".join(f"#   {line}\n" for line in body.splitlines())
    (HERE / f"{key}.sbatch.cmd").write_text(text)


def save_after_end(sub: Submitted, key: str) -> None:
    job_id = sub.jobs[key]
    capture(f"{key}.sacct", sacct_argv_for_jobs([job_id]))
    log = sub.directory / f"{job_id}.out"
    if log.exists():
        shutil.copyfile(log, HERE / f"{key}.log")
    proc = run_as("alice", ["longrun", "explain", job_id, "--json"], timeout=60)
    (HERE / f"{key}.explain.json").write_text(proc.stdout)
    save_submission(sub, key)
    print(f"{key}: job {job_id}", file=sys.stderr)


def main() -> int:
    directory = make_user_dir("alice", "endings-capture")
    quick = submit_all(directory, QUICK)
    timed = submit_all(directory, TIMED)
    wait_running(quick.jobs["cancelled"])
    run_as("alice", ["scancel", quick.jobs["cancelled"]], check=True)
    wait_ended(list(quick.jobs.values()), 90)
    for key, job_id in quick.jobs.items():
        capture(f"{key}.scontrol", ["scontrol", "show", "job", job_id])
    lr2 = preempt_and_fail_lr2(directory)
    wait_ended(list(timed.jobs.values()), 150)
    for sub in (quick, timed, lr2):
        for key in sub.jobs:
            save_after_end(sub, key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
