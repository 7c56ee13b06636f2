#!/usr/bin/python3
"""Test job for chains: each link does CHUNK steps of STEP_SECONDS (resuming from STATE_FILE), then
exits 75 ("checkpointed, continue"); the link that reaches TOTAL prints "work done" and exits 0.

usage: chunk_job.py STATE_FILE TOTAL CHUNK STEP_SECONDS
Every step is saved before it is printed, so a link killed at any instant loses no saved step and
prints none twice; a step printed is a step saved.
"""

import os
import sys
import time

state_file, total, chunk, step_seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


def load() -> int:
    try:
        with open(state_file) as fh:
            return int(fh.read().strip() or 0)
    except FileNotFoundError:
        return 0


def save(value: int) -> None:
    tmp = f"{state_file}.tmp.{os.getpid()}"
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
for _ in range(chunk):
    if step >= total:
        break
    time.sleep(step_seconds)
    step += 1
    save(step)
    print(f"step {step}", flush=True)
if step >= total:
    print("work done", flush=True)
    sys.exit(0)
sys.exit(75)
