#!/usr/bin/env python3
"""CPU time of one supervisor cycle with 10,000 finished chains of 5 links and 100 live ones.

Target (issue 15 item 4): a cycle costs what the live chains cost, under 50 ms of CPU, however
much history the registry holds. The registry is real (files on /dev/shm when there is one);
Slurm is a stand-in that answers every live link as RUNNING without running a command (this
measures the registry and the engine, not Slurm). Printed: the first cycle (every chain read),
the following ones (finished chains from the registry's cache), and the same cycle without the
cache (a fresh Registry each time, which is what every cycle cost before).

usage: /opt/longrun-tui/venv/bin/python bench/supervisor_cycle.py [FINISHED] [LIVE]
"""

from __future__ import annotations

import getpass
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model.chain import ChainSpec
from app.model.exit_status import ExitStatus
from app.model.outcome import LinkOutcome
from app.model.policy import Policy
from app.model.states import JobState
from app.model.units import Duration
from app.registry import Registry
from app.registry.event_json import encode_event
from app.registry.events import Created, Decision, Event, ObservedEnd, SubmitIntent, Submitted
from app.services import Services
from app.slurm.client import SlurmClient
from app.slurm.records import AccountingMap, JobAccounting, QueueRecord, RecordList, SacctRow
from app.supervisor import Supervisor

LINKS = 5
START = datetime(2026, 11, 1, tzinfo=UTC)


class RunningSlurm(SlurmClient):
    """Every asked-for job is RUNNING with an hour left; one 'call' per batched question."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    @property
    def calls(self) -> int:
        return self.asked

    def accounting(self, job_ids: Sequence[str]) -> AccountingMap:
        self.asked += 1 if job_ids else 0
        row = dict(name="bench", state=JobState.RUNNING, cancelled_by_uid=None, exit_status=ExitStatus(0),
                   start=START, elapsed=Duration(600), time_limit=Duration(7200))  # fmt: skip
        return AccountingMap((j, JobAccounting(SacctRow(job_id=j, step=None, **row))) for j in job_ids)  # type: ignore[arg-type]

    def queue(self, job_ids: Sequence[str] | None = None, user: str | None = None) -> RecordList[QueueRecord]:
        self.asked += 1
        return RecordList()


def chain_events(n: int, live: bool) -> list[Event]:
    events: list[Event] = [Created(t=START)]
    for attempt in range(1, LINKS + 1):
        job_id = str(10_000_000 + n * 10 + attempt)
        begin = START + timedelta(hours=attempt)
        events += [SubmitIntent(attempt=attempt, t=begin), Submitted(attempt=attempt, job_id=job_id, t=begin)]
        if live and attempt == LINKS:
            break
        last = attempt == LINKS
        state = JobState.COMPLETED if last else JobState.TIMEOUT
        events.append(ObservedEnd(attempt=attempt, job_id=job_id, state=state, exit=ExitStatus(0), start=begin,
                                  end=begin + timedelta(hours=1), elapsed=3600, time_limit=3600, ending=state.name,
                                  t=begin))  # fmt: skip
        outcome = LinkOutcome.FINISHED if last else LinkOutcome.CONTINUE
        events.append(Decision(attempt=attempt, outcome=outcome, reason="completed" if last else "time limit", t=begin))
    return events


def build(home: Path, finished: int, live: int, owner: str) -> None:
    """Chain directories written directly with the registry's own encoder (no fsync per line: a bench)."""
    Registry(home).ensure_dirs()
    for n in range(finished + live):
        chain_id = f"c{n:06d}"
        spec = ChainSpec(chain_id=chain_id, name=f"run-{n}", owner=owner, script="/bin/true", workdir="/tmp",
                         sbatch_options=("--time=60",), policy=Policy(max_restarts=10), created=START)  # fmt: skip
        directory = home / "chains" / chain_id
        directory.mkdir()
        (directory / "spec.json").write_text(json.dumps({"schema": 1, "spec": spec.to_json()}))
        lines = [json.dumps(encode_event(e), sort_keys=True) for e in chain_events(n, live=n >= finished)]
        (directory / "events.jsonl").write_text("\n".join(lines) + "\n")


def cpu_ms(supervisor: Supervisor) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    report = supervisor.cycle()
    assert not report.submitted and report.active_chains == supervisor.expected_live  # type: ignore[attr-defined]
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def main() -> None:
    finished = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    live = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    user = getpass.getuser()
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        build(home, finished, live, user)
        where = base or tempfile.gettempdir()
        print(f"registry: {finished:,} finished chains of {LINKS} links + {live} live, on {where}"
              f" (built in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        slurm = RunningSlurm()
        sup = Supervisor(Registry(home), slurm, user)
        sup.expected_live = live  # type: ignore[attr-defined]
        cold = cpu_ms(sup)
        warm = [cpu_ms(sup) for _ in range(20)]
        uncached = []
        for _ in range(3):
            fresh = Supervisor(Registry(home), slurm, user)
            fresh.expected_live = live  # type: ignore[attr-defined]
            uncached.append(cpu_ms(fresh))
        calls_before = slurm.calls
        sup.cycle()
        cycle_calls = slurm.calls - calls_before
        refresh = refresh_ms(home, user, slurm)
        print(f"{'cycle':<38} {'CPU ms':>8} {'wall ms':>8}")
        print(f"{'first (reads every chain)':<38} {cold[0]:>8.1f} {cold[1]:>8.1f}")
        print(f"{'next ones, median of 20':<38} {statistics.median(c for c, _ in warm):>8.1f} "
              f"{statistics.median(w for _, w in warm):>8.1f}")  # fmt: skip
        print(f"{'next ones, worst of 20':<38} {max(c for c, _ in warm):>8.1f} {max(w for _, w in warm):>8.1f}")
        print(f"{'without the cache, median of 3':<38} {statistics.median(c for c, _ in uncached):>8.1f} "
              f"{statistics.median(w for _, w in uncached):>8.1f}")  # fmt: skip
        print(f"{'dashboard refresh, median of 10':<38} {statistics.median(c for c, _ in refresh):>8.1f} "
              f"{statistics.median(w for _, w in refresh):>8.1f}")  # fmt: skip
        print(f"Slurm questions per cycle: {cycle_calls} (targets: a cycle under 50 ms CPU, "
              "a refresh under 100 ms)")  # fmt: skip


def refresh_ms(home: Path, user: str, slurm: SlurmClient) -> list[tuple[float, float]]:
    """The dashboard's refresh (Services.snapshot of the user's chains) after a first one."""
    services = Services(viewer=user, slurm=slurm, home=home)
    services.snapshot(user)
    times = []
    for _ in range(10):
        cpu, wall = time.process_time(), time.perf_counter()
        services.snapshot(user)
        times.append(((time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000))
    return times


if __name__ == "__main__":
    main()
