"""Benchmark: parse a synthetic sacct output of 100,000 rows and print rows per second.

    /opt/longrun-tui/venv/bin/python bench/parse_sacct.py [ROWS]

The rows mimic what the client's sacct call prints (tests/captures/sacct_scenarios.txt): every
field the client asks for, cells joined by a fresh per-call delimiter, each job row followed by
`.batch`, `.extern` and `.0` steps (with TRES usage lists), distinct ids and dates, a mix of
states, exit codes, memory sizes, limits and names with `|`. Target: >= 200,000 rows/s.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

from app.slurm.rows import fresh_delimiter
from app.slurm.sacct import SACCT_FIELDS, SEPARATOR, parse_sacct, parse_sacct_rows

STATES = ["COMPLETED", "FAILED", "TIMEOUT", "CANCELLED by 1001", "OUT_OF_MEMORY", "RUNNING", "PREEMPTED"]
EXITS = ["0:0", "3:0", "0:0", "0:0", "0:125", "0:0", "0:0"]


def synthetic_sacct(rows: int, delimiter: str = SEPARATOR) -> str:
    """About `rows` lines of sacct text: a job row and three steps per job, every field of SACCT_FIELDS."""
    lines: list[str] = []
    base = datetime(2026, 11, 1)
    job = 100000
    while len(lines) < rows:
        job += 1
        k = job % len(STATES)
        submit = base + timedelta(seconds=job * 7)
        start = submit + timedelta(seconds=3)
        end = start + timedelta(seconds=job % 5000)
        s, st, en = (t.strftime("%Y-%m-%dT%H:%M:%S") for t in (submit, start, end))
        elapsed = f"{(job % 5000) // 3600:02d}:{(job % 3600) // 60:02d}:{job % 60:02d}"
        name = f"train|run-{job % 97}" if job % 10 == 0 else f"job-{job % 97}"
        state, exit_code = STATES[k], EXITS[k]
        cpus = job % 8 + 1
        tres = f"billing={cpus},cpu={cpus},mem={cpus * 1000}M,node=1"
        lines.append(
            row(
                delimiter, JobID=str(job), JobName=name, User="alice", Partition="debug", NodeList="lr1",
                State=state, ExitCode=exit_code, Submit=s, Start=st, End=en, Elapsed=elapsed,
                Timelimit="1-00:00:00" if job % 3 else "UNLIMITED", ReqMem=f"{cpus * 1000}M", AllocCPUS=str(cpus),
                Comment=f"longrun:c{job % 50}:{job % 7}", WorkDir="/home/alice/run", Reason="None",
                JobIDRaw=str(job), NNodes="1", TotalCPU=f"{job % 60:02d}:{job % 59:02d}.{job % 997:03d}",
                ReqTRES=tres, AllocTRES=tres,
            )
        )  # fmt: skip
        for step, step_name in (("batch", "batch"), ("extern", "extern"), ("0", "python")):
            rss = f"{(job * 37) % 900000}K"
            usage = f"cpu=00:{job % 60:02d}:{job % 59:02d},energy=0,fs/disk={job * 11},mem={rss},pages=0,vmem={rss}"
            lines.append(
                row(
                    delimiter, JobID=f"{job}.{step}", JobName=step_name, NodeList="lr1", State=state.split(" ")[0],
                    ExitCode=exit_code, Submit=st, Start=st, End=en, Elapsed=elapsed, MaxRSS=rss,
                    AllocCPUS=str(cpus), JobIDRaw=f"{job}.{step}", NNodes="1", NTasks="1",
                    TotalCPU=f"00:{job % 59:02d}.{job % 991:03d}", AllocTRES=f"cpu={cpus},mem={cpus * 1000}M,node=1",
                    TRESUsageInMax=usage, TRESUsageInTot=usage,
                )
            )  # fmt: skip
    return "\n".join(lines[:rows]) + "\n"


def row(delimiter: str, **cells: str) -> str:
    return delimiter.join(cells.get(name, "") for name in SACCT_FIELDS)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    delimiter = fresh_delimiter()  # as the client makes for each call
    text = synthetic_sacct(rows, delimiter)
    times, cpu_times = [], []
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        parsed = parse_sacct_rows(text, delimiter)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    cold, best, best_cpu = times[0], min(times), min(cpu_times)
    started = time.perf_counter()
    jobs = parse_sacct(text, delimiter)
    with_grouping = time.perf_counter() - started
    print(f"rows: {len(parsed)}  jobs: {len(jobs)}  text: {len(text) / 1e6:.1f} MB")
    print(f"parse_sacct_rows, first run (cold caches): {cold:.3f} s  ->  {len(parsed) / cold:,.0f} rows/s")
    print(f"parse_sacct_rows, best of 3:               {best:.3f} s  ->  {len(parsed) / best:,.0f} rows/s")
    # On a busy machine wall time includes waiting for a core; CPU time does not.
    print(f"parse_sacct_rows, best CPU time of 3:      {best_cpu:.3f} s  ->  {len(parsed) / best_cpu:,.0f} rows/CPU-s")
    grouped_rate = len(parsed) / with_grouping
    print(f"parse_sacct (rows grouped into jobs):      {with_grouping:.3f} s  ->  {grouped_rate:,.0f} rows/s")


if __name__ == "__main__":
    main()
