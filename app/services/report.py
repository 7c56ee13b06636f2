"""One chain in full for `longrun report`: every link's accounting (efficiencies), the pending link's
expected start, the chain's progress and finish, waste with its fix.

Slurm calls: one sacct for all of the chain's links, and one `squeue --start` when a link is
pending (the discovery of a colleague's chains from accounting adds its own two when their
registry cannot be read). The progress is read once from the end of the log or the progress file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.model.chain import ChainStatus
from app.model.usage import LiveMemory
from app.services.base import ActionRefused
from app.services.live_facts import running_memory, start_estimates
from app.services.reading import ChainReading, live_log_path, log_paths, with_advice
from app.supervisor.progress import ProgressReader, ProgressSource
from app.views import ChainView
from app.views.projection import chain_view, statuses_from_accounting


@dataclass(frozen=True)
class ChainReport:
    chain: ChainView
    taken_at: datetime  # Slurm's local time (naive) the figures were made for
    live_memory: LiveMemory | None = None  # the running link's memory now / peak / requested (sstat)
    live_memory_problem: str | None = None


class ChainReports(ChainReading):
    def report(self, chain: str, user: str | None = None, now: datetime | None = None) -> ChainReport:
        """The chain `chain` (an id, or a name no other chain of the user has) of `user` (the viewer
        by default), as of `now` (Slurm's local time; the clock's by default). ActionRefused when
        there is no such chain, or the name is not unique."""
        owner = user or self.viewer
        found = self.discover(owner)
        statuses = list(found.from_registry)
        read_only = {status.chain_id: found.read_only for status in found.from_registry}
        rebuilt = statuses_from_accounting(found.tagged_jobs, found.queued)
        statuses += [s for s in rebuilt if s.chain_id not in read_only]
        status = pick(statuses, chain, owner)
        ids = [lk.job_id for lk in status.links if lk.job_id]
        acct = self.slurm.accounting(ids) if ids else {}
        estimates = start_estimates(self.slurm, acct)
        source = ProgressSource.of(status.spec)
        progress = ProgressReader(source).read(live_log_path(status, acct)) if source is not None else None
        now = now or datetime.now()
        view = chain_view(
            status, acct, read_only=read_only.get(status.chain_id, True), log_paths=log_paths(status, acct),
            start_estimates=estimates, progress=progress, now=now,
        )  # fmt: skip
        running = next((acct[lk.job_id] for lk in status.links[-1:] if lk.job_id in acct), None)
        memory, problem = running_memory(self.slurm, running, self.viewer) if running is not None else (None, None)
        return ChainReport(with_advice(view), now, memory, problem)


def pick(statuses: list[ChainStatus], chain: str, owner: str) -> ChainStatus:
    """The chain with this id, else the one chain with this name."""
    for status in statuses:
        if status.chain_id == chain:
            return status
    named = [s for s in statuses if s.spec.name == chain]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(sorted(s.chain_id for s in named))
        raise ActionRefused(f"{len(named)} chains of {owner} are named {chain!r} ({ids}): give the chain id")
    raise ActionRefused(f"{owner} has no chain {chain!r} (see `longrun status`)")
