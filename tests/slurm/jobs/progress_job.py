#!/usr/bin/python3
"""Checkpointing test job that reports progress: `step N/TOTAL` per step, resuming from STATE_FILE.

usage: progress_job.py STATE_FILE TOTAL STEP_SECONDS QUOTA [MEMORY_MB] [busy|sleep]
Each step takes STEP_SECONDS (a busy loop on one CPU, or a sleep). After QUOTA steps in one link
(0: no quota) it checkpoints and exits 75 on its own, so every link does the same work whatever
the time limit and the warning signal do; on SIGTERM (--signal) it checkpoints and exits 75 too.
MEMORY_MB is held (and touched) for the whole link.
"""

import os
import signal
import sys
import time

state_file, total, step_seconds, quota = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
memory_mb = int(sys.argv[5]) if len(sys.argv) > 5 else 0
busy = len(sys.argv) > 6 and sys.argv[6] == "busy"
held = bytearray(memory_mb * 1024 * 1024)
held[::4096] = b"x" * len(held[::4096])


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
    os.replace(tmp, state_file)


step = load()
attempt, job = os.environ.get("LONGRUN_ATTEMPT"), os.environ.get("SLURM_JOB_ID")
print(f"link attempt={attempt} job={job} resume={step}", flush=True)


def on_term(signum: int, frame: object) -> None:
    save(step)
    print(f"checkpoint step={step} (signal)", flush=True)
    sys.exit(75)


signal.signal(signal.SIGTERM, on_term)
done_here = 0
while step < total:
    began = time.monotonic()
    if busy:
        while time.monotonic() - began < step_seconds:
            pass
    else:
        time.sleep(step_seconds)
    step += 1
    done_here += 1
    save(step)
    print(f"step {step}/{total}", flush=True)
    if quota and done_here >= quota and step < total:
        print(f"checkpoint step={step} (quota)", flush=True)
        sys.exit(75)
print("work done", flush=True)
