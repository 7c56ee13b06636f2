#!/usr/bin/python3
"""Checkpointing test job: counts to TOTAL steps of STEP_SECONDS each, resuming from STATE_FILE.

usage: checkpoint_job.py STATE_FILE TOTAL STEP_SECONDS EXIT_ON_TERM
On SIGTERM (sent by --signal=B:TERM@N) it saves the counter atomically and exits EXIT_ON_TERM
(75: "checkpointed, continue"; 0: the sbatch_longrun style). Prints every step, so one log with
--open-mode=append shows every link's work.
"""

import os
import signal
import sys
import time

state_file, total, step_seconds, exit_on_term = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])


def load() -> int:
    try:
        with open(state_file) as fh:
            return int(fh.read().strip() or 0)
    except FileNotFoundError:
        return 0


def save(value: int) -> None:
    tmp = f"{state_file}.tmp"
    with open(tmp, "w") as fh:
        fh.write(str(value))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, state_file)


step = load()
print(
    f"link attempt={os.environ.get('LONGRUN_ATTEMPT')} job={os.environ.get('SLURM_JOB_ID')} "
    f"chain={os.environ.get('LONGRUN_CHAIN_ID')} initial={os.environ.get('SLURM_LONGRUN_INITIAL_JOB_ID')} "
    f"resume={step}",
    flush=True,
)


def on_term(signum: int, frame: object) -> None:
    save(step)
    print(f"checkpoint step={step} exit={exit_on_term}", flush=True)
    sys.exit(exit_on_term)


signal.signal(signal.SIGTERM, on_term)
while step < total:
    time.sleep(step_seconds)
    step += 1
    save(step)
    print(f"step {step}", flush=True)
print("work done", flush=True)
