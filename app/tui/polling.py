"""The dashboard's poller: one refresh at a time, off the event loop, never while a dialog is open.

A thread worker calls `ChainService.snapshot` (the Slurm calls of one refresh, batched, and the
selected job's diagnosis) and the app routes the finished worker here. The next poll is armed with
`set_timer` only when the previous one finished, so slow Slurm answers never pile up. A finished
job's steps and diagnosis cannot change: they are kept and shown at once when it is selected again.
When one of the viewer's own chains newly needs a person (it stopped, not cancelled), the terminal
bell rings once and a notification names it; chains that already needed one at start do not ring.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

from textual.app import App
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from app.services.api import ChainService
from app.tui.errors import describe_error
from app.views import DashboardSnapshot, FocusView
from widgets.dashboard import Dashboard
from widgets.messages import SnapshotArrived
from widgets.status_line import StatusInfo, StatusLine

FOCUS_DEBOUNCE = 0.3  # seconds the cursor must rest on a link before Slurm is asked for its steps
ENDED_CACHE_SIZE = 512  # finished jobs whose steps and diagnosis (they no longer change) are kept
FREEZE_FROM = 1000  # chains in the first snapshot from which what it built is frozen (freeze_history)


class PollingApp(App[None]):
    """The polling half of the dashboard app (LongrunApp sets the attributes declared here)."""

    services: ChainService
    dashboard: Dashboard
    status_line: StatusLine
    viewed_user: str | None
    me: str
    interval: float
    clock: Callable[[], datetime]

    def __init__(self) -> None:
        super().__init__()
        self.focus_job_id: str | None = None
        self._timer: Timer | None = None
        self._poll_again = False
        self._polled_focus: str | None = None  # the link the running (or last) poll asked about
        self._damaged_told: tuple[str, ...] = ()  # unreadable chains already notified about
        self._notes_told: tuple[str, ...] = ()  # how the view was built (a colleague's registry unreadable...)
        self._ended: dict[str, FocusView] = {}
        self._attention: tuple[str | None, frozenset[tuple[str, str]]] | None = None  # (viewed user, chains)
        self._frozen = False

    def _arm_poll(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(delay, 0.01), self._poll_due, name="poll")

    def _poll_due(self) -> None:
        if not self.screen_stack:  # shutting down
            return
        if self.screen.is_modal:
            self._arm_poll(self.interval)  # paused while a dialog or the palette is open
            return
        if any(w.group == "poll" and not w.is_finished for w in self.workers):
            self._poll_again = True
            return
        self._poll_again = False
        self._polled_focus = self.focus_job_id
        fetch = partial(self.services.snapshot, self.viewed_user, self.focus_job_id)
        self.run_worker(fetch, thread=True, group="poll", exit_on_error=False, description="poll")

    def _poll_finished(self, worker: Worker[object]) -> None:
        status = self.status_line
        now = self.clock()
        snap = worker.result
        if isinstance(snap, DashboardSnapshot) and snap.viewed_user == self.viewed_user:
            self._remember_if_ended(snap.focus)
            self.dashboard.post_message(SnapshotArrived(snap))
            health = snap.health
            status.update_info(
                StatusInfo(
                    viewed_user=snap.viewed_user, cluster=snap.cluster,
                    supervisor_alive=health.alive if health else None,
                    heartbeat_age=health.heartbeat_age if health else None, pid=health.pid if health else None,
                    updated_at=snap.taken_at, damaged=len(snap.damaged),
                ),
                now,
            )  # fmt: skip
            self._tell_damaged(snap.damaged)
            self._tell_notes(snap.notes)
            self._ring_for_new_attention(snap)
            self._freeze_history(snap)
        elif worker.state is WorkerState.ERROR:
            status.mark_stale(now, describe_error(worker.error))
        self._arm_poll(self._next_poll_delay())

    def _freeze_history(self, snap: DashboardSnapshot) -> None:
        """Once, after the first big snapshot: the finished chains' statuses and views it built (the
        service keeps them) leave the garbage collector's care. Else every few dozen refreshes a full
        collection walks them all: half a second with 10,000 finished chains, the UI stopped."""
        if self._frozen or len(snap.chains) < FREEZE_FROM:
            return
        self._frozen = True
        gc.collect()  # what is garbage now is not frozen with the rest
        gc.freeze()

    def _next_poll_delay(self) -> float:
        """After a poll: soon when one was asked for meanwhile, or when the cursor moved while it ran
        (re-arming the regular interval here would drop the moved cursor's debounced poll)."""
        if self._poll_again:
            return 0.05
        focus = self.focus_job_id
        if focus is not None and focus != self._polled_focus and focus not in self._ended:
            return FOCUS_DEBOUNCE
        return self.interval

    def _tell_damaged(self, damaged: tuple[str, ...]) -> None:
        """A notification when chains become unreadable; the status line keeps the count."""
        if damaged and damaged != self._damaged_told:
            shown = "\n".join(damaged[:3]) + (f"\n… and {len(damaged) - 3} more" if len(damaged) > 3 else "")
            self.notify(shown + "\nTheir files are left as they are.", title="chains that cannot be read",
                        severity="error", timeout=20, markup=False)  # fmt: skip
        self._damaged_told = damaged

    def _tell_notes(self, notes: tuple[str, ...]) -> None:
        """How the view was built (e.g. a colleague's registry could not be read: chains from Slurm),
        told once when it changes."""
        if notes and notes != self._notes_told:
            self.notify("\n".join(notes[:5]), title="about this view", timeout=15, markup=False)
        self._notes_told = notes

    def _ring_for_new_attention(self, snap: DashboardSnapshot) -> None:
        waiting = {c for c in snap.chains if c.needs_attention and c.owner == self.me}
        keys = frozenset((c.owner, c.chain_id) for c in waiting)
        before = self._attention
        self._attention = (snap.viewed_user, keys)
        if before is None or before[0] != snap.viewed_user:
            return  # the first look at these chains: nothing is new
        new = [c for c in waiting if (c.owner, c.chain_id) not in before[1]]
        if new:
            self.bell()
            lines = [f"{c.name}: {c.reason or 'stopped'}" for c in new[:3]]
            if len(new) > 3:
                lines.append(f"… and {len(new) - 3} more")
            self.notify("\n".join(lines), title="needs you", severity="warning", timeout=15, markup=False)

    def _remember_if_ended(self, focus: FocusView | None) -> None:
        if focus is None or not focus.ended:
            return
        if len(self._ended) >= ENDED_CACHE_SIZE:
            self._ended.pop(next(iter(self._ended)))
        self._ended[focus.job_id] = focus

    def _focus_on(self, job_id: str | None) -> None:
        """The selected link changed: show a finished job's kept data now, else poll for it soon."""
        if job_id == self.focus_job_id:
            return
        self.focus_job_id = job_id
        ended = self._ended.get(job_id) if job_id else None
        snapshot = self.dashboard.snapshot
        if ended is not None and snapshot is not None:
            self.dashboard.post_message(SnapshotArrived(replace(snapshot, focus=ended)))  # no Slurm call
        elif job_id is not None:
            self._arm_poll(FOCUS_DEBOUNCE)
