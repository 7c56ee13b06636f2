#!/usr/bin/env python3
"""CPU time of reading a colleague's registry for the dashboard (`longrun-tui --user bob`), with
10,000 finished chains of 5 links and 100 live ones, as every refresh does (app/services/discovery).

Target: like the viewer's own registry (bench/supervisor_cycle.py), a refresh costs what the live
chains cost: a chain whose event log did not change is not read again (one stat). Printed: the
first refresh (every chain read), the next ones, and the same without the cache (a fresh Registry
per refresh, which is what every refresh cost before). The registry is real (on /dev/shm when there
is one); no Slurm is asked (every chain is readable).

usage: /opt/longrun-tui/venv/bin/python bench/colleague_refresh.py [FINISHED] [LIVE]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from supervisor_cycle import build  # bench/ is the script's directory

from app.services import Services, discovery


def cpu_ms(refresh: Callable[[], int], expected: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    assert refresh() == expected
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def main() -> None:
    finished = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    live = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        home = Path(tmp) / "bob"
        started = time.perf_counter()
        build(home, finished, live, "bob")
        where = base or tempfile.gettempdir()
        print(f"bob's registry: {finished:,} finished chains of 5 links + {live} live, on {where}"
              f" (built in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        vars(discovery)["default_home"] = lambda user: home  # bob's home, wherever it is
        total = finished + live
        viewer = Services(viewer="alice", home=Path(tmp) / "alice")
        cold = cpu_ms(lambda: len(viewer.read_colleague("bob").chains), total)
        warm = [cpu_ms(lambda: len(viewer.read_colleague("bob").chains), total) for _ in range(10)]
        uncached = [
            cpu_ms(lambda: len(Services(viewer="alice", home=Path(tmp) / "alice").read_colleague("bob").chains), total)
            for _ in range(3)
        ]
        print(f"{'refresh':<38} {'CPU ms':>8} {'wall ms':>8}")
        print(f"{'first (reads every chain)':<38} {cold[0]:>8.1f} {cold[1]:>8.1f}")
        print(f"{'next ones, median of 10':<38} {statistics.median(c for c, _ in warm):>8.1f} "
              f"{statistics.median(w for _, w in warm):>8.1f}")  # fmt: skip
        print(f"{'without the cache, median of 3':<38} {statistics.median(c for c, _ in uncached):>8.1f} "
              f"{statistics.median(w for _, w in uncached):>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
