"""CPU and memory efficiency of real jobs on the test cluster, against reportseff as the oracle.

Four jobs of alice with known use (one process holding 150 MB and busy; `srun -n 4` holding 60 MB
and busy each; two busy processes on 2 CPUs; an idle sleep). When they have ended, longrun's
figures (SlurmClient.accounting(...).usage) and reportseff's (its own sacct call on the same job
ids) must agree within 2 percentage points. The test cluster's nodes are in separate partitions,
so a 2-node job is not possible here; tests/unit/test_usage.py covers multi-node jobs on other
sites' accounting.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from app.model.units import MemorySize
from app.slurm.client import SlurmClient
from tests.conftest import VENV, write_script
from tests.slurm.test_slurm_client import accounting_when, ended, submit_as

BUSY = (
    "import sys, time; b = bytearray(int(sys.argv[1]) * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); "
    "t = time.time()\nwhile time.time() - t < float(sys.argv[2]): pass"
)
M = 1024**2


def reportseff(job_ids: list[str]) -> dict[str, tuple[float | None, float | None]]:
    """job id -> (CPUEff, MemEff) as reportseff prints them (`---` is None)."""
    exe = shutil.which("reportseff", path=f"{VENV}/bin")
    if exe is None:
        pytest.skip("reportseff is not installed in the test environment (it is in the test extra)")
    out = subprocess.run(
        [exe, "--parsable", "--format", "JobID,CPUEff,MemEff", *job_ids],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    figures = {}
    for line in out.splitlines()[1:]:
        job_id, cpu, mem = line.split("|")
        figures[job_id] = (None if cpu == "---" else float(cpu), None if mem == "---" else float(mem))
    return figures


def test_efficiency_agrees_with_reportseff(alice_dir: Path) -> None:
    one = write_script(alice_dir, "one.sh", f'#!/bin/bash\n/usr/bin/python3 -c "{BUSY}" 150 6\n', "alice")
    four = write_script(alice_dir, "four.sh", f'#!/bin/bash\nsrun -n 4 /usr/bin/python3 -c "{BUSY}" 60 5\n', "alice")
    busy = f'/usr/bin/python3 -c "{BUSY}" 30 6'
    two = write_script(alice_dir, "two.sh", f"#!/bin/bash\n{busy} &\n{busy}\nwait\n", "alice")
    idle = write_script(alice_dir, "idle.sh", "#!/bin/bash\nsleep 6\n", "alice")
    jobs = {
        "one task": submit_as("alice", alice_dir, one, "--mem=400M", "--time=3"),
        "four tasks": submit_as("alice", alice_dir, four, "-n", "4", "--mem=600M", "--time=3"),
        "two busy on 2 CPUs": submit_as("alice", alice_dir, two, "-c", "2", "--mem-per-cpu=100M", "--time=3"),
        "idle": submit_as("alice", alice_dir, idle, "--mem=100M", "--time=3"),
    }
    client = SlurmClient()
    found = accounting_when(client, list(jobs.values()), ended, 240)
    oracle = reportseff(list(jobs.values()))
    for what, job_id in jobs.items():
        usage = found[job_id].usage
        cpu, mem = oracle[job_id]
        assert usage.mem_efficiency is not None and mem is not None, what
        assert usage.mem_efficiency == pytest.approx(mem, abs=2), what
        if cpu is None:  # reportseff prints `---` for 0.0
            assert usage.cpu_efficiency is not None and usage.cpu_efficiency < 2, what
        else:
            assert usage.cpu_efficiency == pytest.approx(cpu, abs=2), what
    four_tasks = found[jobs["four tasks"]]
    step = next(s for s in four_tasks.steps if s.step == "0")
    assert step.ntasks == 4 and step.max_rss is not None
    peak = four_tasks.usage.peak_per_node
    assert peak is not None and peak.bytes > 3 * step.max_rss.bytes, "all four tasks counted, not one"
    one_task = found[jobs["one task"]].usage.peak_per_node
    assert one_task is not None and one_task >= MemorySize(150 * M)
    assert found[jobs["two busy on 2 CPUs"]].usage.request.per_cpu == MemorySize(100 * M)
