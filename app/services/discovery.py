"""Which chains there are for a view: the viewer's registry, a colleague's when it is readable, and
otherwise the longrun jobs Slurm knows (accounting comments and the queue).

Reads files and makes at most two Slurm calls (one sacct over the accounting window, one squeue),
and those only for a user whose registry cannot be read, or for everybody (`--all`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.model.chain import ChainStatus
from app.registry import Registry, RegistryError, default_home
from app.services.base import ServiceBase
from app.slurm.records import JobAccounting, QueueRecord

ACCOUNTING_WINDOW = timedelta(days=7)  # how far back chains are rebuilt from accounting


@dataclass(frozen=True)
class Discovered:
    """The records a view is built from."""

    from_registry: tuple[tuple[ChainStatus, bool], ...]  # every readable chain, with whether it is read-only
    damaged: tuple[str, ...]  # chains whose files cannot be read: what is wrong with each
    tagged_jobs: tuple[JobAccounting, ...] = ()  # longrun jobs from accounting, steps included
    queued: tuple[QueueRecord, ...] = ()  # the queue, for live links accounting has no comment for yet


class ChainDiscovery(ServiceBase):
    def registry_for(self, user: str) -> Registry | None:
        """The user's registry when we can read it (ours, or a colleague's that is group-readable)."""
        if user == self.viewer:
            return self.registry
        try:
            reg = Registry(default_home(user), read_only=True)
        except RegistryError:
            return None
        return reg if os.access(reg.chains_dir, os.R_OK | os.X_OK) else None

    def discover(self, user: str | None) -> Discovered:
        """The chains of `user` (everybody's when None; only the viewer's registry is read then)."""
        reg = self.registry_for(user if user is not None else self.viewer)
        from_registry: tuple[tuple[ChainStatus, bool], ...] = ()
        damaged: tuple[str, ...] = ()
        if reg is not None:
            found = reg.statuses()  # damaged chains are reported, their files left as they are
            read_only = reg is not self.registry
            from_registry = tuple((status, read_only) for status in found.chains.values())
            damaged = tuple(str(d) for d in found.damaged)
        if user is not None and reg is not None:
            return Discovered(from_registry, damaged)
        since = datetime.now(UTC) - ACCOUNTING_WINDOW
        jobs = self.slurm.accounting_for_user(user, since, "longrun:")  # unreadable rows: jobs.problems
        queued = self.slurm.queue(user=user)
        return Discovered(from_registry, damaged, tuple(jobs), tuple(queued))
