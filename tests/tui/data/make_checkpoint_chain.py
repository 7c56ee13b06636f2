"""Capture a real checkpointing chain from the test cluster for the dashboard's tests (run as root).

    /opt/longrun-tui/venv/bin/python -m tests.tui.data.make_checkpoint_chain

As alice, with a private LONGRUN_HOME: `longrun submit --name 'sweep[lr=3e-4]'` of a script that
sets its own `#SBATCH --output`, catches the warning signal, saves its step and exits 75, and
finishes with exit 0 when its 150 steps are done. The supervisor (started by submit) runs the chain
to its end; then this writes, into tests/tui/data/checkpoint_chain/:
  spec.json, events.jsonl   the chain as the registry recorded it (paths as they were)
  sacct.txt, sacct.cmd      the links' accounting, by the client's own sacct argv
  train-JOBID.out           each link's log (the script's own `#SBATCH --output=.../train-%j.out`)
Takes 2-4 minutes (the links end at their warning signal).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

from app.slurm.rows import fresh_delimiter
from app.slurm.sacct import sacct_argv_for_jobs
from tests.captures.make_captures import capture
from tests.conftest import make_user_dir, run_as, wait_until, write_script

OUT = Path(__file__).parent / "checkpoint_chain"
NAME = "sweep[lr=3e-4]"
SCRIPT = """#!/bin/bash
#SBATCH --output={dir}/train-%j.out
#SBATCH --time=1 --signal=B:TERM@30
STATE={dir}/step
step=$(cat "$STATE" 2>/dev/null || echo 0)
echo "link $LONGRUN_ATTEMPT of chain $LONGRUN_CHAIN_ID resumes at step $step"
trap 'echo "caught SIGTERM: checkpoint saved at step $step"; echo $step > "$STATE"; exit 75' TERM
while [ "$step" -lt 150 ]; do
  sleep 0.5 & wait $!
  step=$((step + 1))
  [ $((step % 10)) -eq 0 ] && echo "step $step/150 loss=$(( 1000 / step ))"
done
echo $step > "$STATE"
echo "done: 150/150"
"""


def main() -> None:
    workdir = make_user_dir("alice", "dash-checkpoint")
    home = workdir / "reg"
    script = write_script(workdir, "train.sh", SCRIPT.format(dir=workdir), owner="alice")
    env = {"LONGRUN_HOME": str(home)}
    proc = run_as("alice", ["longrun", "submit", "--json", "--name", NAME, "--min-link-seconds", "5",
                            "--max-restarts", "6", str(script)], cwd=workdir, env=env, check=True)  # fmt: skip
    chain_id = json.loads(proc.stdout)["chain_id"]
    chain_dir = home / "chains" / chain_id

    def finished() -> bool:
        events = (chain_dir / "events.jsonl").read_text()
        return '"outcome": "finished"' in events or '"outcome": "needs_person"' in events

    try:
        wait_until(finished, timeout=600, interval=5, what=f"chain {chain_id} to end")
    finally:
        heartbeat = home / "supervisor" / "heartbeat.json"
        if heartbeat.exists():  # the supervisor this capture started, and only it
            pid = json.loads(heartbeat.read_text()).get("pid")
            if isinstance(pid, int):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
    time.sleep(2)
    events = [json.loads(line) for line in (chain_dir / "events.jsonl").read_text().splitlines()]
    job_ids = [str(e["job_id"]) for e in events if e.get("type") == "submitted"]
    OUT.mkdir(exist_ok=True)
    shutil.copyfile(chain_dir / "spec.json", OUT / "spec.json")
    shutil.copyfile(chain_dir / "events.jsonl", OUT / "events.jsonl")
    logs = sorted(workdir.glob("train-*.out"))
    for log in logs:
        shutil.copyfile(log, OUT / log.name)
    capture("../tui/data/checkpoint_chain/sacct", "alice", sacct_argv_for_jobs(job_ids, fresh_delimiter()))
    print(f"chain {chain_id}: jobs {' '.join(job_ids)}; logs {', '.join(p.name for p in logs)}")


if __name__ == "__main__":
    main()
