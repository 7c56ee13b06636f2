"""Reconciling the registry with Slurm through the job comments (`longrun:<chain>:<attempt>`),
mixed into the Supervisor: an intent whose job id was never recorded is matched to its job, and
on start a live job tagged for a chain that is none of its jobs is cancelled (a chain never has
two live links). A chain's queued successors, and jobs it withdrew, are its own: never cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from app.model.chain import COMMENT_PREFIX, ChainStatus, parse_comment_tag
from app.model.states import JobState
from app.registry import LockBusy, Registry
from app.registry import events as ev
from app.slurm.client import SlurmClient

log = logging.getLogger("longrun.supervisor")


class Reconciler:
    """What the Supervisor provides (set in Supervisor.__init__)."""

    reg: Registry
    slurm: SlurmClient
    user: str
    initial_listing: tuple[dict[str, JobState], datetime] | None = None

    def load(self) -> Mapping[str, ChainStatus]:
        raise NotImplementedError

    def fresh(self, chain_id: str) -> ChainStatus:
        raise NotImplementedError

    def tagged_jobs(self, chains: list[ChainStatus]) -> dict[tuple[str, int], tuple[str, JobState]]:
        """(chain, attempt) -> (job id, state) for this user's jobs carrying a longrun comment.

        Two calls (sacct by comment since the oldest intent, and squeue for jobs sacct has not
        seen yet); only made when there is something to reconcile.
        """
        oldest = min(
            (s.live_link.intent_at for s in chains if s.live_link and s.live_link.intent_at),
            default=datetime.now(UTC) - timedelta(days=1),
        )
        found: dict[tuple[str, int], tuple[str, JobState]] = {}
        for acc in self.slurm.accounting_for_user(self.user, oldest - timedelta(minutes=5), COMMENT_PREFIX):
            tag = parse_comment_tag(acc.job.comment)
            if tag:
                _keep_newest(found, tag, acc.job_id, acc.job.state)
        for rec in self.slurm.queue(user=self.user):
            tag = parse_comment_tag(rec.comment)
            if tag:
                _keep_newest(found, tag, rec.job_id, rec.state)
        return found

    def reconcile_duplicates(self) -> int:
        """On start: cancel live jobs that carry one of our chains' tags but are not its recorded
        link (a chain must never have two live links). Returns how many were cancelled."""
        statuses = self.load()
        active = {cid: s for cid, s in statuses.items() if not s.settled and not s.unknown_kinds}
        if not active:
            return 0
        cancelled = 0
        listed_at = datetime.now(UTC)
        records = self.slurm.queue(user=self.user)
        self.initial_listing = ({r.job_id: r.state for r in records}, listed_at)  # the first cycle's listing
        for rec in records:
            tag = parse_comment_tag(rec.comment)
            if tag is None or tag[0] not in active or rec.state.is_terminal:
                continue
            try:
                with self.reg.chain_lock(tag[0]):  # on start: waits a while for a command that holds it
                    cancelled += self.reconcile_job(tag[0], tag[1], rec.job_id)
            except LockBusy as exc:
                log.warning("%s: job %s not reconciled (%s)", tag[0], rec.job_id, exc)
        return cancelled

    def reconcile_job(self, chain_id: str, attempt: int, job_id: str) -> int:
        """One live job tagged for this chain: record it as the pending intent's job, or cancel it
        when it is not the chain's link. The caller holds the chain lock. Returns jobs cancelled."""
        status = self.fresh(chain_id)
        link = status.live_link
        if link is not None and link.job_id is None and link.attempt == attempt and job_id not in status.known_jobs:
            log.info("%s: attempt %d was submitted as job %s (recovered)", chain_id, attempt, job_id)
            self.reg.append(chain_id, ev.Submitted(attempt=attempt, job_id=job_id, recovered=True))
            return 0
        if job_id in status.known_jobs:
            return 0  # a link, a queued successor, or one that withdraws itself
        log.warning("%s: job %s is not the chain's live link; cancelling it", chain_id, job_id)
        self.slurm.cancel(job_id)
        return 1


def _keep_newest(found: dict[tuple[str, int], tuple[str, JobState]], tag: tuple[str, int], job_id: str,
                 state: JobState) -> None:  # fmt: skip
    """Two jobs may carry one tag: a successor that replaced itself with a link of other options
    (grown memory) gives the replacement its own attempt number. The newer job is the intent's."""
    seen = found.get(tag)
    if seen is None or _order(job_id) > _order(seen[0]):
        found[tag] = (job_id, state)


def _order(job_id: str) -> tuple[int, str]:
    head = job_id.split("_")[0].split("+")[0]
    return (int(head) if head.isdigit() else -1, job_id)
