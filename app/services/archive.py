"""Archiving finished chains: they stay on disk, unchanged but for one event, and leave `status`
and the dashboard; `status --archived` lists them, `archive --undo` brings one back, and a
reinit or resubmit brings it back too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.model.chain import ChainState, ChainStatus
from app.registry.events import Archived, Unarchived
from app.services.actions import ChainActions
from app.services.base import ActionRefused


class ChainArchive(ChainActions):
    def archive(self, chain_id: str) -> str:
        """Archive one finished chain (DONE, or STOPPED with no live job)."""
        status = self._own(chain_id)
        chain_id = status.chain_id
        if status.archived:
            raise ActionRefused(f"chain {chain_id} is already archived")
        if not status.state.is_final or status.live_link is not None:
            raise ActionRefused(
                f"chain {chain_id} is {status.state.value.lower()}: only a finished chain can be archived "
                "(stop or cancel it first)"
            )
        with self.registry.chain_lock(chain_id):
            self.registry.append(chain_id, Archived(by=self.viewer))
        return f"chain {chain_id} archived (`longrun status --archived` lists it)"

    def unarchive(self, chain_id: str) -> str:
        status = self._own(chain_id)
        if not status.archived:
            raise ActionRefused(f"chain {status.chain_id} is not archived")
        with self.registry.chain_lock(status.chain_id):
            self.registry.append(status.chain_id, Unarchived(by=self.viewer))
        return f"chain {status.chain_id} is back in `longrun status`"

    def archive_done(self, older_than: timedelta, now: datetime | None = None) -> list[str]:
        """Archive every DONE chain whose last link ended more than `older_than` ago; their ids."""
        cutoff = (now or datetime.now(UTC)) - older_than
        archived: list[str] = []
        for status in self.registry.statuses().chains.values():
            if status.archived or status.state is not ChainState.DONE or status.live_link is not None:
                continue
            if status.spec.owner != self.viewer or not ended_before(status, cutoff):
                continue
            with self.registry.chain_lock(status.chain_id):
                self.registry.append(status.chain_id, Archived(by=self.viewer))
            archived.append(status.chain_id)
        return archived


def ended_before(status: ChainStatus, cutoff: datetime) -> bool:
    """The chain's last link ended before `cutoff` (a chain without an end time: its creation)."""
    times = [link.end for link in status.links if link.end is not None]
    if not times and status.spec.created is not None:
        times = [status.spec.created]
    aware = [t if t.tzinfo else t.astimezone() for t in times]  # sacct prints the machine's local time
    return bool(aware) and max(aware) < cutoff
