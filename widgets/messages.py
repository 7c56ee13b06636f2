"""Messages between the app's poller and the dashboard panes.

The app posts `SnapshotArrived` to the dashboard; a burst of them (slow repaint, fast polls)
collapses into the newest one (`can_replace`). Panes post `FocusChanged` up to the app when the
person selects another chain or link, so the next poll asks Slurm for that job's steps.
"""

from __future__ import annotations

from textual.message import Message

from app.views import DashboardSnapshot


class SnapshotArrived(Message):
    """Fresh data from one poll (the selected job's steps and diagnosis included)."""

    def __init__(self, snapshot: DashboardSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotArrived)


class FocusChanged(Message):
    """The selected chain or link changed; `job_id` is the selected link's."""

    def __init__(self, chain_id: str | None, job_id: str | None) -> None:
        super().__init__()
        self.chain_id = chain_id
        self.job_id = job_id
