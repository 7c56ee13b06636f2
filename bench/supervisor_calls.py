#!/usr/bin/env python3
"""Slurm command invocations per supervisor cycle for 1, 10, 100, 1000 chains (target: one sacct).

Builds a throw-away registry of N chains whose live links are REAL job ids from the test
cluster's accounting (finished jobs, so the cycle records their endings), with max_restarts=0
so that nothing is submitted, runs one supervisor cycle with the real SlurmClient and reads its
`calls` counter. sbatch_longrun's monitor makes two calls per job per poll (sacct + scontrol),
so its figure for the same poll is 2 x N, printed alongside.

usage: /opt/longrun-tui/venv/bin/python bench/supervisor_calls.py
"""

from __future__ import annotations

import getpass
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model.chain import ChainSpec, Policy
from app.registry import Registry
from app.registry.events import SubmitIntent, Submitted
from app.slurm.client import SlurmClient
from app.supervisor import Supervisor


def real_job_ids(slurm: SlurmClient, want: int) -> list[str]:
    jobs = slurm.accounting_for_user(None, datetime.now(UTC) - timedelta(days=30))
    ids = [j.job_id for j in jobs if j.job.state.is_terminal and "_" not in j.job_id]
    if not ids:
        raise SystemExit("no finished jobs in accounting: run the test suite once first")
    return [ids[i % len(ids)] for i in range(want)]


def build(home: Path, job_ids: list[str]) -> Registry:
    reg = Registry(home)
    for n, job_id in enumerate(job_ids):
        chain_id = f"b{n:05d}"
        spec = ChainSpec(chain_id=chain_id, name=chain_id, owner=getpass.getuser(), script="/bin/true",
                         policy=Policy(max_restarts=0), created=datetime.now(UTC))  # fmt: skip
        reg.create_chain(spec)
        reg.append(chain_id, SubmitIntent(attempt=1))
        reg.append(chain_id, Submitted(attempt=1, job_id=job_id))
    return reg


def main() -> None:
    slurm = SlurmClient()
    pool = real_job_ids(slurm, 1000)
    distinct = len(set(pool))
    print(f"job ids: {distinct} distinct finished jobs from the test cluster's accounting")
    print(f"{'chains':>7} {'calls/cycle':>12} {'sbatch_longrun':>15} {'cycle s':>8} {'idle cycle calls':>17}")
    for n in (1, 10, 100, 1000):
        with tempfile.TemporaryDirectory() as tmp:
            reg = build(Path(tmp), pool[:n])
            sup = Supervisor(reg, slurm, getpass.getuser())
            t0 = time.monotonic()
            report = sup.cycle()
            elapsed = time.monotonic() - t0
            idle = sup.cycle()  # every ending recorded: nothing live, nothing to ask
            print(f"{n:>7} {report.slurm_calls:>12} {2 * n:>15} {elapsed:>8.2f} {idle.slurm_calls:>17}")
            assert not report.submitted, "max_restarts=0: the benchmark never submits"


if __name__ == "__main__":
    main()
