"""Benchmark of the dashboard on a big registry: 1,000 chains x 10 links (by default).

Measures, on the real service layer and the real Slurm of this machine:
  - time to the first complete screen (app start -> chains, links and status drawn), target < 1.5 s
  - selection-move latency p95 (a key press until the panes show the new chain), target < 50 ms
  - RSS of the process, target < 200 MB
  - Slurm calls per refresh, target 1
The registry is written with the registry API (app/registry) once and reused (`--registry DIR`).

    /opt/longrun-tui/venv/bin/python bench/tui_startup.py [--chains 1000] [--links 10] [--moves 200]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model.chain import ChainSpec
from app.model.exit_status import ExitStatus
from app.model.outcome import LinkOutcome
from app.model.policy import Policy
from app.model.states import JobState
from app.registry import Registry
from app.registry.events import Decision, ObservedEnd, SubmitIntent, Submitted
from app.services import Services
from app.slurm.client import SlurmClient
from app.tui import LongrunApp
from widgets.chain_list import ChainList
from widgets.link_table import LinkTable

FAKE_JOB_BASE = 90_000_000  # ids Slurm never handed out here: sacct answers them with nothing


def build_registry(home: Path, chains: int, links: int, owner: str) -> None:
    """`chains` chains of `links` links each; every 10th chain has a live (unfinished) last link."""
    registry = Registry(home)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    for c in range(chains):
        chain_id = f"bench{c:05d}"
        workflow = f"sweep-{c // 50:02d}" if c % 3 == 0 else None
        spec = ChainSpec(chain_id=chain_id, name=f"run-{c:05d}", owner=owner, script="/bin/true",
                         sbatch_options=("--time=10", "-o", "/tmp/bench-%j.out"), workdir="/tmp",
                         policy=Policy(max_restarts=20), created=start, workflow=workflow)  # fmt: skip
        registry.create_chain(spec)
        live = c % 10 == 0
        for attempt in range(1, links + 1):
            job_id = str(FAKE_JOB_BASE + c * 100 + attempt)
            registry.append(chain_id, SubmitIntent(attempt=attempt))
            registry.append(chain_id, Submitted(attempt=attempt, job_id=job_id))
            if live and attempt == links:
                break
            begin = start + timedelta(minutes=10 * attempt)
            registry.append(chain_id, ObservedEnd(
                attempt=attempt, job_id=job_id, state=JobState.TIMEOUT, exit=ExitStatus(0),
                start=begin, end=begin + timedelta(minutes=10), elapsed=600, time_limit=600, ending="TIMEOUT",
            ))  # fmt: skip
            registry.append(chain_id, Decision(attempt=attempt, outcome=LinkOutcome.CONTINUE, reason="time limit"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def measure(services: Services, slurm: SlurmClient, user: str, moves: int) -> dict[str, float]:
    app = LongrunApp(services, user, me=user, interval=3600, show_log=False)
    started = time.perf_counter()
    async with app.run_test(size=(160, 50)) as pilot:
        chains = app.query_one(ChainList)
        links = app.query_one(LinkTable)
        while app.dashboard.snapshot is None or not chains.row_count or not links.row_count:
            await asyncio.sleep(0.005)
        await pilot.pause()
        first_screen = time.perf_counter() - started

        # (1) key -> every pane shows the new chain: what the app does on a move (its own work)
        # (2) a Pilot press: the same plus waiting until the screen is redrawn (headless)
        # (3) a Pilot press of a key bound to nothing: Pilot's own wait, to read (2) against
        handled, drawn, idle = [], [], []
        for i in range(moves):
            key = "down" if (i // 50) % 2 == 0 else "up"
            before = chains.selected_key()
            t0 = time.perf_counter()
            if i % 2 == 0:
                app.simulate_key(key)
                while chains.selected_key() == before or app.dashboard.selected_link() is not _link_of(app):
                    await asyncio.sleep(0)
                handled.append(time.perf_counter() - t0)
                await pilot.pause()
            else:
                await pilot.press(key)
                drawn.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                await pilot.press("z")  # bound to nothing
                idle.append(time.perf_counter() - t0)
        await app.workers.wait_for_complete()
        calls_before = slurm.calls
        app.action_refresh()
        await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause()
        calls_per_refresh = slurm.calls - calls_before
        rss = rss_mb()
    return {
        "first_screen_s": first_screen,
        "move_p50_ms": 1000 * statistics.median(handled),
        "move_p95_ms": _p95(handled),
        "move_max_ms": 1000 * max(handled),
        "move_drawn_p95_ms": _p95(drawn),
        "noop_press_p95_ms": _p95(idle),
        "rss_mb": rss,
        "slurm_calls_per_refresh": float(calls_per_refresh),
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return 1000 * ordered[int(0.95 * (len(ordered) - 1))]


def _link_of(app: LongrunApp) -> object:
    """The link the panes should show for the selected chain (its newest), or None."""
    chain = app.dashboard.selected_chain()
    return chain.links[-1] if chain and chain.links else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chains", type=int, default=1000)
    parser.add_argument("--links", type=int, default=10)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--registry", type=Path, default=None, help="registry to build or reuse")
    args = parser.parse_args(argv)
    user = getpass.getuser()
    home = args.registry or Path(f"/tmp/longrun-bench-{args.chains}x{args.links}")
    if not (home / "chains").exists() or len(list((home / "chains").iterdir())) != args.chains:
        t0 = time.perf_counter()
        build_registry(home, args.chains, args.links, user)
        print(f"built registry {home} in {time.perf_counter() - t0:.1f} s")
    slurm = SlurmClient()
    services = Services(viewer=user, slurm=slurm, home=home)

    t0 = time.perf_counter()
    calls = slurm.calls
    snapshot = services.snapshot(user)
    print(f"services.snapshot alone: {time.perf_counter() - t0:.3f} s, {len(snapshot.chains)} chains, "
          f"{slurm.calls - calls} Slurm call(s)")  # fmt: skip

    results = asyncio.run(measure(services, slurm, user, args.moves))
    targets = {"first_screen_s": 1.5, "move_p95_ms": 50.0, "rss_mb": 200.0, "slurm_calls_per_refresh": 1.0}
    print(f"{'measure':<26}{'value':>10}  target")
    for name, value in results.items():
        target = targets.get(name)
        verdict = "" if target is None else ("ok" if value <= target else "OVER")
        shown = f"<= {target:g}" if target is not None else ""
        print(f"{name:<26}{value:>10.3f}  {shown} {verdict}")
    return 0 if all(results[k] <= v for k, v in targets.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
