"""What a refresh adds to the chains beyond their live links' accounting: the accounting of the
selected chain's ended links (read once, kept: it no longer changes), Slurm's expected start of
pending links (one `squeue --start` for all of them), the selected running link's memory now (one
`sstat`), and every live chain's progress (its log's new bytes, or its progress file).

A LiveFacts object lives as long as its service: the dashboard keeps one across refreshes, so an
ended link's accounting is asked for once, and a log is read from where the last refresh left off.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping

from app.model.chain import ChainStatus
from app.model.economics import ChainEconomics
from app.model.progress import Progress
from app.model.states import JobState
from app.model.usage import LiveMemory, live_memory
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmError
from app.slurm.records import JobAccounting, StartEstimate
from app.supervisor.progress import ProgressReaders

ENDED_KEPT = 4096  # ended links whose accounting is kept (a few hundred bytes each)


def chain_key(status: ChainStatus) -> tuple[str, str]:
    """(owner, chain id): two users' chains may share an id (the registry keys them so too)."""
    return status.spec.owner, status.chain_id


class LiveFacts:
    def __init__(self) -> None:
        self.progress = ProgressReaders()
        self._ended: OrderedDict[str, JobAccounting] = OrderedDict()
        self._economics: dict[
            tuple[str, str], tuple[ChainStatus, tuple[JobAccounting | None, ...], ChainEconomics]
        ] = {}

    def finished_economics(
        self, status: ChainStatus, accounting: Mapping[str, JobAccounting]
    ) -> tuple[ChainEconomics | None, Callable[[ChainEconomics | None], None]]:
        """A finished chain's economics made before from the same records (the registry hands out the
        same status while its event log is unchanged), and how to keep the ones made now: finished
        history costs nothing at the next refresh."""
        if not status.state.is_final:
            return None, lambda _economics: None
        used = tuple(accounting.get(lk.job_id) if lk.job_id else None for lk in status.links)
        kept = self._economics.get(chain_key(status))
        if kept is not None and kept[0] is status and all(a is b for a, b in zip(kept[1], used, strict=True)):
            return kept[2], lambda _economics: None

        def keep(economics: ChainEconomics | None) -> None:
            if economics is not None:
                self._economics[chain_key(status)] = (status, used, economics)

        return None, keep

    def keep_economics_of(self, keys: set[tuple[str, str]]) -> None:
        """Forget the kept economics of chains no longer shown (`keys`: chain_key of those shown)."""
        for key in [k for k in self._economics if k not in keys]:
            del self._economics[key]

    def history_ids(self, status: ChainStatus | None) -> list[str]:
        """The chain's ended links whose accounting has not been read yet (ask sacct in the same call)."""
        if status is None:
            return []
        return [lk.job_id for lk in status.links if lk.ended and lk.job_id and lk.job_id not in self._ended]

    def remember(self, accounting: Mapping[str, JobAccounting]) -> None:
        """Keep the accounting of jobs that ended (with every step ended: it will not change)."""
        for job_id, acct in accounting.items():
            ended = acct.job.state.is_terminal and acct.job.end is not None and acct.job.name
            if ended and all(step.state.is_terminal for step in acct.steps):
                self._ended[job_id] = acct
                self._ended.move_to_end(job_id)
        while len(self._ended) > ENDED_KEPT:
            self._ended.popitem(last=False)

    def accounting_of(self, status: ChainStatus | None) -> dict[str, JobAccounting]:
        """The kept accounting of the chain's links."""
        if status is None:
            return {}
        return {lk.job_id: self._ended[lk.job_id] for lk in status.links if lk.job_id and lk.job_id in self._ended}

    def progress_of(
        self, statuses: Iterable[ChainStatus], log_path: Callable[[ChainStatus], str | None]
    ) -> dict[tuple[str, str], Progress]:
        """The newest progress of these chains (by chain_key); `log_path` gives a chain's live log
        (asked only for chains that report progress in their log)."""
        found: dict[tuple[str, str], Progress] = {}
        for status in statuses:
            policy = status.spec.policy
            if not policy.progress_regex and not policy.progress_file:
                continue
            progress = self.progress.read(status.spec, log_path(status) if policy.progress_regex else None)
            if progress is not None:
                found[chain_key(status)] = progress
        return found


def start_estimates(slurm: SlurmClient, accounting: Mapping[str, JobAccounting]) -> dict[str, StartEstimate]:
    """Slurm's expected start of the jobs accounting shows pending, in one `squeue --start` call (none
    when nothing is pending). A failure leaves the estimates out: they are a nicety of the refresh."""
    pending = [job_id for job_id, acct in accounting.items() if acct.job.state is JobState.PENDING]
    if not pending:
        return {}
    try:
        return {estimate.job_id: estimate for estimate in slurm.start_estimates(pending)}
    except SlurmError:
        return {}


NOT_OWNER = "only the job's owner (or an administrator) can see its memory while it runs (sstat)"


def running_memory(slurm: SlurmClient, acct: JobAccounting, viewer: str) -> tuple[LiveMemory | None, str | None]:
    """The running job's memory now / peak / requested per node from one `sstat`, or why not. sstat
    refuses anyone but the job's owner and administrators: for another user's job it is not asked."""
    if acct.job.state is not JobState.RUNNING:
        return None, None
    if acct.job.user and acct.job.user != viewer and viewer != "root":
        return None, NOT_OWNER
    try:
        steps = slurm.live_steps([acct.job_id])
    except SlurmError as exc:
        return None, str(exc)
    if not steps:
        return None, "no step has reported its memory yet"
    return live_memory(steps, acct.usage.request), None
