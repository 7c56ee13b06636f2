"""Regenerate the captures in this directory from the real test cluster (run as root).

    /opt/longrun-tui/venv/bin/python -m tests.captures.diag.make_diag

Makes every job of scenarios.py happen (as alice, on lr1), then writes per scenario:
  KEY.sbatch.cmd        the sbatch argv that made the job, and its script
  KEY.scontrol.txt/.cmd `scontrol show job` right after the end (or while pending)
  KEY.sacct.txt/.cmd    the Slurm client's own sacct argv for that job
  KEY.log               the job's output file (ended jobs; an array: each task's, KEY.N.log)
and for the pending jobs `pending.squeue.txt` (the client's squeue format) and
`begin.squeue_start.txt` (`squeue --start`), and `partitions.scontrol.txt` (`scontrol -o show
partition`). Job ids differ on every run. About a minute.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

from app.slurm.rows import fresh_delimiter
from app.slurm.sacct import sacct_argv_for_jobs
from app.slurm.squeue import squeue_argv
from tests.captures.diag.scenarios import (
    SCRIPTS,
    cancel_all,
    pending_id,
    run_het,
    submit_ended,
    submit_pending,
    wait_family_ended,
    wait_reasons,
)
from tests.captures.endings.scenarios import Submitted
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
    body = SCRIPTS[Path(_script_of(argv)).stem]
    text = "# user: alice\n# how the job was made\n" + f"# argv (JSON): {json.dumps(argv)}\n{shlex.join(argv)}\n"
    text += "# script:\n" + "".join(f"#   {line}\n" for line in body.splitlines())
    (HERE / f"{key}.sbatch.cmd").write_text(text)


def _script_of(argv: list[str]) -> str:
    return next(a for a in argv if a.endswith(".sh"))


def save_logs(sub: Submitted, key: str) -> None:
    job_id = sub.jobs[key]
    single = sub.directory / f"{job_id}.out"
    if single.exists():
        shutil.copyfile(single, HERE / f"{key}.log")
    for task in sorted(sub.directory.glob(f"{job_id}_*.out")):
        shutil.copyfile(task, HERE / f"{key}.{task.stem.split('_')[1]}.log")


def main() -> int:
    directory = make_user_dir("alice", "diag-capture")
    ended = submit_ended(directory)
    wait_family_ended(ended.jobs, 180)
    for key, job_id in ended.jobs.items():  # within MinJobAge: the controller still holds them
        capture(f"{key}.scontrol", ["scontrol", "show", "job", job_id])
    het = run_het(directory, lambda sub: capture("het.scontrol", ["scontrol", "show", "job", sub.jobs["het"]]))
    ended.jobs.update(het.jobs)
    ended.argv.update(het.argv)
    for key, job_id in ended.jobs.items():
        capture(f"{key}.sacct", sacct_argv_for_jobs([job_id], fresh_delimiter()))
        save_logs(ended, key)
        save_submission(ended, key)
        print(f"{key}: job {job_id}", file=sys.stderr)
    waiting = submit_pending(directory)
    try:
        wait_reasons(waiting)
        for key in waiting.jobs:
            capture(f"{key}.scontrol", ["scontrol", "show", "job", pending_id(waiting, key)])
            capture(f"{key}.sacct", sacct_argv_for_jobs([waiting.jobs[key]], fresh_delimiter()))
            save_submission(waiting, key)
        capture("pending.squeue", squeue_argv(list(waiting.jobs.values()), None, fresh_delimiter()))
        capture("begin.squeue_start", ["squeue", "--start", "-j", waiting.jobs["begin"]])
    finally:
        cancel_all(waiting)
    capture("partitions.scontrol", ["scontrol", "-o", "show", "partition"])
    print(f"ended: {ended.jobs}\npending: {waiting.jobs}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
