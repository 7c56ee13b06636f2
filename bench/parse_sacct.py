"""Benchmark: parse a synthetic sacct output of 100,000 rows and print rows per second.

    /opt/longrun-tui/venv/bin/python bench/parse_sacct.py [ROWS]

The rows mimic what the client's sacct call prints (tests/captures/sacct_scenarios.txt): each job
row is followed by `.batch`, `.extern` and `.0` steps, with distinct ids and dates, a mix of
states, exit codes, memory sizes, limits and names with `|`. Target: >= 200,000 rows/s.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

from app.slurm.sacct import SEPARATOR, parse_sacct, parse_sacct_rows

STATES = ["COMPLETED", "FAILED", "TIMEOUT", "CANCELLED by 1001", "OUT_OF_MEMORY", "RUNNING", "PREEMPTED"]
EXITS = ["0:0", "3:0", "0:0", "0:0", "0:125", "0:0", "0:0"]


def synthetic_sacct(rows: int) -> str:
    """About `rows` lines of sacct text: a job row and three steps per job."""
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
        lines.append(
            SEPARATOR.join(
                [
                    str(job),
                    name,
                    "alice",
                    "debug",
                    "lr1",
                    state,
                    exit_code,
                    s,
                    st,
                    en,
                    elapsed,
                    "1-00:00:00" if job % 3 else "UNLIMITED",
                    "",
                    f"{(job % 8 + 1) * 1000}M",
                    str(job % 8 + 1),
                    f"longrun:c{job % 50}:{job % 7}",
                    "/home/alice/run",
                    "None",
                ]
            )
        )
        for step, step_name in (("batch", "batch"), ("extern", "extern"), ("0", "python")):
            lines.append(
                SEPARATOR.join(
                    [
                        f"{job}.{step}",
                        step_name,
                        "",
                        "",
                        "lr1",
                        state.split(" ")[0],
                        exit_code,
                        st,
                        st,
                        en,
                        elapsed,
                        "",
                        f"{(job * 37) % 900000}K",
                        "",
                        str(job % 8 + 1),
                        "",
                        "",
                        "",
                    ]
                )
            )
    return "\n".join(lines[:rows]) + "\n"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    text = synthetic_sacct(rows)
    times, cpu_times = [], []
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        parsed = parse_sacct_rows(text)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    cold, best, best_cpu = times[0], min(times), min(cpu_times)
    started = time.perf_counter()
    jobs = parse_sacct(text)
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
