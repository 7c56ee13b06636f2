#!/usr/bin/python3
"""Test job: touches MIB mebibytes of memory (argv[1]), holds them a few seconds, exits 0."""

import os
import sys
import time

mib = int(sys.argv[1])
attempt, job = os.environ.get("LONGRUN_ATTEMPT"), os.environ.get("SLURM_JOB_ID")
print(f"link attempt={attempt} job={job} allocating {mib}M", flush=True)
blocks = [b"x" * (1024 * 1024) for _ in range(mib)]
time.sleep(3)
print(f"held {len(blocks)}M", flush=True)
