"""`longrun-tui`: the Textual dashboard. Owns the App, its poller and the command line.

Slurm is only ever called from thread workers started here; widgets receive plain data.
One poll runs at a time: the next is armed with `set_timer` after the previous one finished,
so a slow Slurm never piles up calls.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Protocol

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from app.slurm.errors import SlurmError
from app.slurm.records import JobAccounting
from styles import STYLES_DIR
from widgets.job_table import JobTable
from widgets.status_line import StatusInfo, StatusLine

RECENT = timedelta(days=7)
DEFAULT_INTERVAL = 5.0


class JobSource(Protocol):
    """Where the recent-jobs view gets its data (the real cluster, or a fake in tests)."""

    def recent_jobs(self, user: str | None) -> list[JobAccounting]: ...


class SlurmJobSource:
    """Recent jobs from sacct: one call per refresh."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        from app.slurm.client import SlurmClient

        self.client = SlurmClient(timeout=20.0)
        self.clock = clock

    def recent_jobs(self, user: str | None) -> list[JobAccounting]:
        return self.client.accounting_for_user(user, since=self.clock() - RECENT)


def utc_now() -> datetime:
    return datetime.now(UTC)


class LongrunApp(App[None]):
    """The dashboard."""

    TITLE = "longrun-tui"
    CSS_PATH = str(STYLES_DIR / "app.tcss")
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+r", "refresh", "Refresh now", show=False),
    ]

    def __init__(
        self,
        source: JobSource,
        user: str | None,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.source = source
        self.viewed_user = user
        self.interval = interval
        self.clock = clock
        self._poll_timer: object | None = None

    def compose(self) -> ComposeResult:
        who = self.viewed_user or "all users"
        yield Static(f"Recent Slurm jobs of {who} (last 7 days)", id="title", markup=False)
        yield JobTable(id="jobs")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        status = self.query_one(StatusLine)
        status.update_info(StatusInfo(viewed_user=self.viewed_user), self.clock())
        self.set_interval(1.0, self._tick)
        self.poll_now()

    def _tick(self) -> None:
        self.query_one(StatusLine).tick(self.clock())

    def poll_now(self) -> None:
        """Start one poll in a thread worker (never more than one at a time)."""
        if any(w.group == "poll" and not w.is_finished for w in self.workers):
            return
        self.run_worker(self._fetch, thread=True, group="poll", exit_on_error=False, description="poll Slurm")

    def _fetch(self) -> list[JobAccounting]:
        return self.source.recent_jobs(self.viewed_user)

    def action_refresh(self) -> None:
        self.poll_now()

    @on(Worker.StateChanged)
    def _worker_finished(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "poll" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        status = self.query_one(StatusLine)
        now = self.clock()
        if event.state is WorkerState.SUCCESS and isinstance(worker.result, list):
            self.query_one(JobTable).show_jobs(worker.result)
            status.update_info(replace(status.info, updated_at=now, stale_since=None, problem=None), now)
        else:
            status.mark_stale(now, _describe(worker.error))
        self.set_timer(self.interval, self.poll_now, name="next poll")


def _describe(error: BaseException | None) -> str:
    if isinstance(error, SlurmError):
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"{type(error).__name__}: {error}" if error else "unknown error"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="longrun-tui",
        description="Live dashboard of Slurm job chains: jobs, steps, exit codes, logs. Press q to quit.",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--user", "-u", metavar="USER", help="show USER's jobs (read-only when not you)")
    who.add_argument("--all", "-a", action="store_true", help="show every user's jobs")
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, metavar="SECONDS",
        help=f"seconds between refreshes (default {DEFAULT_INTERVAL:g})",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.interval < 1:
        print("longrun-tui: error: --interval must be at least 1 second", file=sys.stderr)
        return 2
    user = None if args.all else (args.user or getpass.getuser())
    app = LongrunApp(SlurmJobSource(utc_now), user, interval=args.interval)
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
