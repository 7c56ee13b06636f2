"""Benchmark: the progress part of a dashboard refresh for 200 running chains whose logs grow by 1 MB/s.

A writer process appends log lines (training-style lines, a `step N/TOTAL` line among every ten) to
one log per chain, `--rate-mb` MB per second in total. Every `--interval` seconds (the dashboard's
default refresh is 5 s) the service layer's LiveFacts reads every chain's progress (app/supervisor/
progress.py through app/explain/follow.py) and the read model projects the chains (economics and
the finish estimate). Measured: CPU time of each refresh in this process (the writer's is not
counted), target < 50 ms; bytes read vs bytes written since the previous refresh (only new bytes
should be read; the first refresh reads each log backwards from its end to its newest progress line).

    /opt/longrun-tui/venv/bin/python bench/progress_refresh.py [--chains 200] [--rate-mb 1] [--interval 5]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import app.explain.follow as follow
import app.supervisor.progress as progress_module
from app.model.chain import ChainSpec, ChainState, ChainStatus, Link
from app.model.policy import Policy
from app.model.units import Duration
from app.services.live_facts import LiveFacts
from app.views.projection import chain_view

PATTERN = r"step (?P<done>\d+)/(?P<total>\d+)"
TOTAL_STEPS = 10_000_000


def writer(logs: list[str], rate_bytes: float, stop_at: float) -> None:
    """Append lines to every log, rate_bytes per second in total, until stop_at (time.time())."""
    handles = [open(path, "a", buffering=1) for path in logs]
    step = [0] * len(logs)
    tick = 0.1
    per_file = max(1, int(rate_bytes * tick / len(logs)))
    line = "epoch 3 iter {i:>8} loss=0.0123 acc=0.981 lr=3.0e-04 grad_norm=1.27 throughput=1843.2 samples/s\n"
    while time.time() < stop_at:
        began = time.time()
        for index, handle in enumerate(handles):
            chunk = []
            size = 0
            while size < per_file:
                step[index] += 1
                text = f"step {step[index]}/{TOTAL_STEPS}\n" if step[index] % 10 == 0 else line.format(i=step[index])
                chunk.append(text)
                size += len(text)
            handle.write("".join(chunk))
        time.sleep(max(0.0, tick - (time.time() - began)))
    for handle in handles:
        handle.close()


def statuses(directory: Path, chains: int) -> tuple[list[ChainStatus], dict[str, str | None]]:
    start = datetime.now() - timedelta(hours=2)
    found: list[ChainStatus] = []
    paths: dict[str, str | None] = {}
    for c in range(chains):
        log = directory / f"chain{c:04d}.log"
        log.touch()
        spec = ChainSpec(chain_id=f"c{c:04d}", name=f"run-{c}", owner="bench", script="/bin/true",
                         sbatch_options=("--time=60", "-o", str(log)), workdir=str(directory),
                         policy=Policy(progress_regex=PATTERN), created=start.astimezone(UTC))  # fmt: skip
        links = (
            Link(attempt=1, job_id=str(1000 + c * 2), state="TIMEOUT", ended=True, submit=start,
                 start=start + timedelta(seconds=30), end=start + timedelta(hours=1, seconds=30),
                 elapsed=Duration(3600), time_limit=Duration(3600), decision="continue: time limit"),
            Link(attempt=2, job_id=str(1001 + c * 2), state="RUNNING", submit=start + timedelta(hours=1, seconds=40),
                 start=start + timedelta(hours=1, seconds=60), time_limit=Duration(3600)),
        )  # fmt: skip
        found.append(ChainStatus(spec=spec, state=ChainState.RUNNING, reason=None, links=links))
        paths[spec.chain_id] = str(log)
    return found, paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chains", type=int, default=200)
    parser.add_argument("--rate-mb", type=float, default=1.0, help="MB per second written, all logs together")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between refreshes")
    parser.add_argument("--refreshes", type=int, default=10)
    args = parser.parse_args()

    read = [0]

    def counting(original: Callable[[int, int, int], bytes]) -> Callable[[int, int, int], bytes]:
        def read_at(fd: int, size: int, offset: int) -> bytes:
            data = original(fd, size, offset)
            read[0] += len(data)
            return data

        return read_at

    # count the bytes the follower reads and those the first read's backward scan reads
    for module in (follow, progress_module):
        setattr(module, "read_at", counting(module.read_at))  # type: ignore[attr-defined]  # noqa: B010
    with tempfile.TemporaryDirectory(prefix="longrun-bench-progress-") as tmp:
        directory = Path(tmp)
        chains, paths = statuses(directory, args.chains)
        stop_at = time.time() + args.interval * (args.refreshes + 1) + 1
        proc = multiprocessing.Process(target=writer, args=(list(paths.values()), args.rate_mb * 1e6, stop_at))
        proc.start()
        facts = LiveFacts()
        cpu_ms: list[float] = []
        project_ms: list[float] = []
        sizes_before = sum(os.path.getsize(p) for p in paths.values() if p)
        time.sleep(args.interval)
        print(f"{args.chains} chains, {args.rate_mb:g} MB/s in total, a refresh every {args.interval:g} s")
        print("refresh  cpu ms  (progress / projection)  written KB  read KB  chains with progress")
        for number in range(args.refreshes + 1):
            read[0] = 0
            sizes = sum(os.path.getsize(p) for p in paths.values() if p)
            began = time.process_time()
            progress = facts.progress_of(chains, lambda status: paths[status.chain_id])
            middle = time.process_time()
            views = [
                chain_view(s, {}, read_only=False, progress=progress.get((s.spec.owner, s.chain_id))) for s in chains
            ]
            ended = time.process_time()
            written = sizes - sizes_before
            sizes_before = sizes
            label = "first" if number == 0 else str(number)
            total = (ended - began) * 1000
            shown = sum(1 for v in views if v.progress)
            parts = f"({(middle - began) * 1000:5.1f} / {(ended - middle) * 1000:5.1f})"
            print(f"{label:>7}  {total:6.1f}  {parts}  {written / 1024:10.0f}  {read[0] / 1024:7.0f}  {shown}")
            if number:
                cpu_ms.append(total)
                project_ms.append((ended - middle) * 1000)
            time.sleep(args.interval)
        proc.join()
    p95 = sorted(cpu_ms)[max(0, int(len(cpu_ms) * 0.95) - 1)]
    print(f"cpu per refresh after the first: median {statistics.median(cpu_ms):.1f} ms, p95 {p95:.1f} ms, "
          f"max {max(cpu_ms):.1f} ms (target < 50 ms)")  # fmt: skip
    print(f"of which the projection (economics, estimate): median {statistics.median(project_ms):.1f} ms")


if __name__ == "__main__":
    main()
