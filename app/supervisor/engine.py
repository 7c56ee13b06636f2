"""The supervisor's engine: light on Slurm, and optional for chains continued inside Slurm.

Per cycle: read the chains from the registry (finished ones from its cache: a cycle costs what
the live chains cost); every 30 s (60 s when every live chain continues inside Slurm) list the
user's queue with ONE squeue; ask ONE batched sacct about the links that ended (gone from that
listing, or reported by their wrapper's `link_exited` marker, seen without any Slurm call); and
for each chain that needs watching, under its lock, record endings, decide, and submit the next
link right away. For chains continued inside Slurm the queued successor decides; the supervisor
only steps in when nothing is left in the queue to do it, cancels queued jobs of a stopped chain,
and runs --notify commands a wrapper could not. Intents without a job id (a process died between
sbatch and the record) are matched to jobs by their comment before anything is resubmitted; an
end recorded without its decision (a process died in between) is decided again from the record.
Nothing one chain does stops the others: a damaged chain is reported and skipped, a chain whose
lock another longrun process holds is skipped for one cycle. Slurm being slow or down, or a full
disk, never ends a chain: the cycle backs off and tries again.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.model.chain import DECIDED_BY_SUPERVISOR, ChainStatus, Link
from app.model.outcome import LinkOutcome
from app.model.states import JobState
from app.registry import (
    ChainStatuses,
    LockBusy,
    Registry,
    RegistryError,
    RegistryWriteError,
    UnknownChain,
    needs_submission,
    upstream_block,
)
from app.registry import events as ev
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmError, SlurmUnavailable
from app.slurm.records import JobAccounting
from app.supervisor.endings import awaiting_real_row, decide_recorded, give_up_vanished, record_end
from app.supervisor.links import cancel_successors, queue_successor, submit_link
from app.supervisor.notify import notify_due, run_notify
from app.supervisor.reconcile import Reconciler

log = logging.getLogger("longrun.supervisor")

FAST_POLL = 2.0  # work to do right now (a link just ended, a placeholder row, a lock someone held)
SUPERVISED_POLL = 30.0  # one squeue for all: a supervised link's unreported end (preemption...) within 30 s
IN_SLURM_POLL = 60.0  # chains continued inside Slurm need the supervisor only as a safety net
IDLE_POLL = 30.0
MAX_BACKOFF = 120.0
VANISHED_AFTER = 900.0  # seconds a submitted job may stay unknown to both sacct and squeue
QUEUE_MARGIN = timedelta(seconds=5)  # a job submitted this close to a squeue listing may be missing from it
STORAGE_REFUSES = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}  # write errors that are the disk's
LOCK_WAIT = 2.0  # a chain whose lock another longrun process holds longer is skipped for this cycle


def watched(status: ChainStatus) -> bool:
    """The chain needs the supervisor: it is not final, a link of it is live or undecided, a queued
    successor must be cancelled, or its --notify command has not run.

    A chain with events of a newer longrun is never acted on by this version (it is reported).
    """
    if status.unknown_kinds:
        return False
    return not status.settled or notify_due(status)


@dataclass
class CycleReport:
    live_links: int = 0
    active_chains: int = 0  # chains that need watching (see watched())
    ended: int = 0
    submitted: list[str] = field(default_factory=list)
    slurm_calls: int = 0
    next_poll: float = IDLE_POLL
    listed: bool = False  # this cycle asked squeue for the user's queue


class Supervisor(Reconciler):
    def __init__(self, reg: Registry, slurm: SlurmClient, user: str) -> None:
        self.reg = reg
        self.slurm = slurm
        self.user = user
        self.failures = 0
        self.unsupervised: frozenset[str] = frozenset()  # what the log last said about unreadable chains
        self.quiet: dict[str, ChainStatus] = {}  # chains not watched last cycle: the same object still is not
        self.next_listing = 0.0  # monotonic time of the next squeue listing (the liveness poll)
        self.listing: tuple[Mapping[str, JobState], datetime | None] = ({}, None)  # this cycle's listing

    # -- helpers ---------------------------------------------------------------------------------
    def load(self) -> dict[str, ChainStatus]:
        found = self.reg.statuses()
        self.tell_unsupervised(found)
        return found.chains

    def tell_unsupervised(self, found: ChainStatuses) -> None:
        """Log the damaged chains and those of a newer longrun, once each time that set changes."""
        now = frozenset(
            [f"{d}; its files are left as they are" for d in found.damaged]
            + [
                f"chain {cid}: events of a newer longrun ({', '.join(s.unknown_kinds)}); not supervised by this version"
                for cid, s in found.chains.items()
                if s.unknown_kinds
            ]
        )
        if now == self.unsupervised:
            return
        for line in sorted(now - self.unsupervised):
            log.error("skipping %s", line)
        if self.unsupervised - now:
            log.info("%d chain(s) no longer skipped", len(self.unsupervised - now))
        self.unsupervised = now

    def watched_among(self, statuses: dict[str, ChainStatus]) -> dict[str, ChainStatus]:
        """The chains that need the supervisor. The registry hands out the same status object while
        a chain's files are unchanged, so a finished chain costs one identity check per cycle."""
        active: dict[str, ChainStatus] = {}
        quiet: dict[str, ChainStatus] = {}
        for chain_id, status in statuses.items():
            if self.quiet.get(chain_id) is status or not watched(status):
                quiet[chain_id] = status
            else:
                active[chain_id] = status
        self.quiet = quiet
        return active

    def fresh(self, chain_id: str) -> ChainStatus:
        """The chain as its files say now (read again unless its event log is unchanged)."""
        return self.reg.current(chain_id)

    # -- the cycle -------------------------------------------------------------------------------
    def cycle(self) -> CycleReport:
        """One pass over every chain that needs watching. Raises SlurmUnavailable when Slurm does not
        answer and RegistryWriteError when the registry cannot be written (the caller backs off).

        Slurm is asked only what the registry cannot tell: one squeue listing of the user's queue
        every SUPERVISED_POLL (IN_SLURM_POLL when every live chain continues inside Slurm), and one
        batched sacct for the links that ended (gone from that listing, or reported by their wrapper).
        """
        calls_before = self.slurm.calls
        report = CycleReport()
        statuses = self.load()
        active = self.watched_among(statuses)
        report.active_chains = len(active)
        live = [s for s in active.values() if s.live_link is not None or s.successors]
        report.live_links = sum(1 for s in live if s.live_link is not None)
        queued: dict[str, JobState] = {}
        listed_at: datetime | None = None
        if live and monotonic() >= self.next_listing:
            if self.initial_listing is not None:  # reconcile listed the queue a moment ago
                queued, listed_at = self.initial_listing
            else:
                listed_at = datetime.now(UTC)
                queued = {r.job_id: r.state for r in self.slurm.queue(user=self.user)}
            supervised = any(not s.spec.in_slurm or not s.successors for s in live)
            self.next_listing = monotonic() + (SUPERVISED_POLL if supervised else IN_SLURM_POLL)
            report.listed = True
        self.initial_listing = None
        self.listing = (queued, listed_at)
        asked = {j for s in active.values() for j in self.to_ask(s, queued, listed_at)}
        acct = self.slurm.accounting(sorted(asked)) if asked else {}
        known = asked | set(queued)  # what Slurm answered for this cycle
        orphans = [s for s in active.values() if s.live_link and s.live_link.job_id is None]
        tagged = self.tagged_jobs(orphans) if orphans else None
        polls: list[float] = [max(0.0, self.next_listing - monotonic())] if live else []
        for chain_id in active:
            try:
                with self.reg.chain_lock(chain_id, timeout=LOCK_WAIT):
                    status = self.fresh(chain_id)
                    if not watched(status):
                        continue
                    poll = self.step(status, acct, queued, tagged, statuses.get, report, known)
                    if status.spec.in_slurm:
                        poll = min(poll, self.tend_successors(self.fresh(chain_id), queued, listed_at))
            except SlurmUnavailable:
                raise
            except RegistryWriteError as exc:
                if exc.errno in STORAGE_REFUSES:
                    raise  # the disk refuses every chain alike: back off
                log.error("%s: skipped this cycle: %s", chain_id, exc)  # this chain's files only
                poll = SUPERVISED_POLL
            except LockBusy as exc:
                log.warning("%s: skipped this cycle (%s)", chain_id, exc)
                poll = FAST_POLL
            except UnknownChain:
                continue  # removed since the listing
            except (RegistryError, SlurmError) as exc:
                log.error("%s: skipped this cycle: %s", chain_id, exc)
                poll = SUPERVISED_POLL
            polls.append(poll)
        report.next_poll = min(polls, default=IDLE_POLL)
        report.slurm_calls = self.slurm.calls - calls_before
        return report

    @staticmethod
    def gone(link: Link, queued: Mapping[str, JobState], listed_at: datetime | None) -> bool:
        """The listing was made after the job was submitted and does not hold it: it ended."""
        if listed_at is None or link.job_id is None or link.job_id in queued:
            return False
        submitted = link.submit or link.intent_at
        if submitted is None:
            return True
        when = submitted if submitted.tzinfo else submitted.replace(tzinfo=UTC)
        return when < listed_at - QUEUE_MARGIN

    def to_ask(self, status: ChainStatus, queued: Mapping[str, JobState], listed_at: datetime | None) -> list[str]:
        """Job ids whose accounting this chain needs now: a live link its wrapper reported ended,
        one cancelled, or one gone from the queue listing. For a chain continued inside Slurm the job
        queued after the link decides too; recording the end here as well (the same records, under
        the same lock: whoever comes first) tells a person at once, and cancels a queued successor
        that would otherwise wait in the queue only to end the chain."""
        link = status.live_link
        if link is None or link.job_id is None:
            return []
        if link.exited is not None or link.cancelled or self.gone(link, queued, listed_at):
            return [link.job_id]
        return []

    def tend_successors(self, status: ChainStatus, queued: Mapping[str, JobState], listed_at: datetime | None) -> float:
        """A chain continued inside Slurm: cancel queued jobs that must never run; when the live link
        is in the queue but nothing is queued after it any more (cancelled outside longrun), queue one."""
        if status.stale_successors:
            gone = cancel_successors(self.reg, self.slurm, status, status.stale_successors)
            if gone:
                log.info("%s: cancelled queued job(s) %s: the chain is %s", status.chain_id, ", ".join(gone),
                         status.state.value.lower())  # fmt: skip
            return IDLE_POLL
        link = status.live_link
        if listed_at is None or link is None or link.job_id is None or link.job_id not in queued:
            return IN_SLURM_POLL
        if queued[link.job_id].is_terminal:
            return FAST_POLL
        dead = [s for s in status.successors if self.gone(s, queued, listed_at)]
        if len(dead) < len(status.successors):
            return IN_SLURM_POLL
        for successor in dead:
            assert successor.job_id is not None
            self.reg.append(status.chain_id, ev.Withdrawn(job_id=successor.job_id, reason="left the queue unrun"))
        job_id = queue_successor(self.reg, self.slurm, self.fresh(status.chain_id), link)
        if job_id:
            log.info("%s: nothing was queued after job %s; queued job %s", status.chain_id, link.job_id, job_id)
        return IN_SLURM_POLL

    def step(
        self,
        status: ChainStatus,
        acct: Mapping[str, JobAccounting],
        queued: Mapping[str, JobState],
        tagged: dict[tuple[str, int], tuple[str, JobState]] | None,
        lookup: Callable[[str], ChainStatus | None],
        report: CycleReport,
        asked: set[str] | None = None,
    ) -> float:
        """One chain, under its lock. `acct` and `queued` are what Slurm said this cycle; `asked`
        the job ids they answer for (None: every live link was asked about)."""
        link = status.live_link
        if notify_due(status) and link is None:
            run_notify(self.reg, status, slurm=self.slurm)
            return IDLE_POLL
        if link is None and status.undecided_link is not None:
            report.ended += 1
            decision = decide_recorded(self.reg, status, by=DECIDED_BY_SUPERVISOR)
            if decision.outcome is not LinkOutcome.CONTINUE:
                return FAST_POLL
            status = self.fresh(status.chain_id)
        elif link is not None and link.job_id is None:
            if tagged is None:
                return FAST_POLL  # appeared during this cycle: next cycle looks for its job
            found = tagged.get((status.chain_id, link.attempt))
            if found is not None and found[0] not in status.known_jobs:  # a job withdrawn is no intent's
                log.info("%s: attempt %d was submitted as job %s (recovered)", status.chain_id, link.attempt, found[0])
                self.reg.append(status.chain_id, ev.Submitted(attempt=link.attempt, job_id=found[0], recovered=True))
                return FAST_POLL
            log.info("%s: attempt %d never reached Slurm; submitting it again", status.chain_id, link.attempt)
            self.reg.append(status.chain_id, ev.IntentLost(attempt=link.attempt))
            status = self.fresh(status.chain_id)
        elif link is not None and link.job_id is not None:
            if asked is not None and link.job_id not in asked:
                return SUPERVISED_POLL  # nothing says it ended: the next listing asks again
            job = acct.get(link.job_id)
            state = job.job.state if job else queued.get(link.job_id)
            if status.cancel_requested and not link.cancelled and state is not None and not state.is_terminal:
                self.slurm.cancel(link.job_id)
                self.reg.append(status.chain_id, ev.Cancelled(job_id=link.job_id))
                return FAST_POLL
            if job is None and state is None and self.vanished(link.submit):
                give_up_vanished(self.reg, status)
                return IDLE_POLL
            if job is None or not job.job.state.is_terminal:
                return FAST_POLL if link.exited is not None or link.cancelled else SUPERVISED_POLL
            if self.awaiting_real_row(job):
                return FAST_POLL
            report.ended += 1
            decision = record_end(self.reg, status, job)
            if decision.outcome is not LinkOutcome.CONTINUE:
                # Chains waiting on this one read its new state next cycle: release them now, not in 30 s.
                return FAST_POLL
            caught = self.catch_up(self.fresh(status.chain_id), report)
            if caught is None or caught.live_link is not None:
                return FAST_POLL  # a queued successor became the next link: it decides when it runs
            status = caught
        if not needs_submission(status):
            return IDLE_POLL
        if status.spec.depends_on and not status.links:
            ready, _why = upstream_block(status, lookup)
            if not ready:
                return IDLE_POLL
        job_id = submit_link(self.reg, self.slurm, status)
        if job_id:
            log.info("%s: submitted attempt %d as job %s", status.chain_id, status.attempt + 1, job_id)
            report.submitted.append(job_id)
        return FAST_POLL

    def catch_up(self, status: ChainStatus, report: CycleReport) -> ChainStatus | None:
        """A queued successor that became the chain's link but had left the queue by this cycle's
        listing (it died before deciding): record its end too, now (one sacct each). None when the
        chain stopped."""
        queued, listed_at = self.listing
        for _ in range(5):
            link = status.live_link
            if link is None or link.job_id is None or not self.gone(link, queued, listed_at):
                return status
            job = self.slurm.accounting([link.job_id]).get(link.job_id)
            if job is None or not job.job.state.is_terminal or self.awaiting_real_row(job):
                return status
            report.ended += 1
            if record_end(self.reg, status, job).outcome is not LinkOutcome.CONTINUE:
                return None
            status = self.fresh(status.chain_id)
        return status

    @staticmethod
    def vanished(submitted: datetime | None) -> bool:
        """Neither sacct nor squeue has known this job for VANISHED_AFTER seconds after submission."""
        if submitted is None:
            return False
        when = submitted if submitted.tzinfo else submitted.replace(tzinfo=UTC)
        return (datetime.now(UTC) - when).total_seconds() > VANISHED_AFTER

    @staticmethod
    def awaiting_real_row(job: JobAccounting) -> bool:
        return awaiting_real_row(job)

    # -- the loop --------------------------------------------------------------------------------
    def run(
        self, should_stop: Callable[[], bool], on_idle: Callable[[float], None], idle_exit: float | None = None
    ) -> None:
        """Cycle until should_stop(); on_idle(seconds) sleeps (and keeps the heartbeat). With idle_exit,
        return once no chain has needed watching for that many seconds (the next command restarts it)."""
        reconciled = False
        idle_since: float | None = None
        while not should_stop():
            try:
                if not reconciled:
                    self.reconcile_duplicates()
                    reconciled = True
                report = self.cycle()
                self.failures = 0
                delay = report.next_poll
                if report.active_chains:
                    idle_since = None
                elif idle_since is None:
                    idle_since = monotonic()
                elif idle_exit is not None and monotonic() - idle_since >= idle_exit:
                    log.info("nothing to watch for %.0f s; exiting (any longrun command restarts me)", idle_exit)
                    return
            except SlurmUnavailable as exc:
                self.failures += 1
                delay = min(MAX_BACKOFF, 5.0 * 2 ** min(self.failures - 1, 5))
                log.warning("Slurm unavailable (%s); retrying in %.0f s, every chain kept", exc, delay)
            except RegistryWriteError as exc:
                self.failures += 1
                delay = min(MAX_BACKOFF, 5.0 * self.failures)
                log.error("cannot write the registry (%s); retrying in %.0f s, every chain kept", exc, delay)
            except (SlurmError, RegistryError) as exc:
                self.failures += 1
                delay = min(MAX_BACKOFF, 5.0 * self.failures)
                log.error("cycle failed: %s; retrying in %.0f s", exc, delay)
            on_idle(delay)


def monotonic() -> float:
    return time.monotonic()
