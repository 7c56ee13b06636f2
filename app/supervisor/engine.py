"""The resubmission engine: one cycle = ONE sacct call for every live link of every chain.

Per cycle: read every chain from the registry (finished ones come from its cache: a cycle costs
what the live chains cost), ask sacct about all live links at once (squeue only for ids sacct
does not know yet), and for each chain that needs watching, under its lock, record endings,
decide, and submit the next link right away. Intents without a job id (a process died between
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.model.chain import COMMENT_PREFIX, ChainStatus, parse_comment_tag, warning_seconds
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
from app.slurm.sacct import is_placeholder
from app.supervisor.endings import decide_recorded, give_up_vanished, record_end
from app.supervisor.links import submit_link

log = logging.getLogger("longrun.supervisor")

FAST_POLL = 2.0  # a link near its time limit, or work to do right now
PENDING_POLL = 10.0
SLOW_POLL = 20.0  # bounded so that unexpected endings (preemption) are seen within 30 s
IDLE_POLL = 30.0
MAX_BACKOFF = 120.0
VANISHED_AFTER = 900.0  # seconds a submitted job may stay unknown to both sacct and squeue
PLACEHOLDER_PATIENCE = 60.0  # seconds after a link's end to wait for slurmdbd's real job row
STORAGE_REFUSES = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}  # write errors that are the disk's
LOCK_WAIT = 2.0  # a chain whose lock another longrun process holds longer is skipped for this cycle


def watched(status: ChainStatus) -> bool:
    """The chain needs the supervisor: it is not final, or a link of it is live or undecided.

    A chain with events of a newer longrun is never acted on by this version (it is reported).
    """
    if status.unknown_kinds:
        return False
    return not status.state.is_final or status.live_link is not None or status.undecided_link is not None


@dataclass
class CycleReport:
    live_links: int = 0
    active_chains: int = 0  # chains that need watching (see watched())
    ended: int = 0
    submitted: list[str] = field(default_factory=list)
    slurm_calls: int = 0
    next_poll: float = IDLE_POLL


class Supervisor:
    def __init__(self, reg: Registry, slurm: SlurmClient, user: str) -> None:
        self.reg = reg
        self.slurm = slurm
        self.user = user
        self.failures = 0
        self.unsupervised: frozenset[str] = frozenset()  # what the log last said about unreadable chains
        self.quiet: dict[str, ChainStatus] = {}  # chains not watched last cycle: the same object still is not

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
        answer and RegistryWriteError when the registry cannot be written (the caller backs off)."""
        calls_before = self.slurm.calls
        report = CycleReport()
        statuses = self.load()
        active = self.watched_among(statuses)
        live_ids = [s.live_link.job_id for s in active.values() if s.live_link and s.live_link.job_id]
        report.live_links = len(live_ids)
        report.active_chains = len(active)
        acct = self.slurm.accounting(live_ids)
        missing = [j for j in live_ids if j not in acct]
        queued = {r.job_id: r.state for r in self.slurm.queue(missing)} if missing else {}
        orphans = [s for s in active.values() if s.live_link and s.live_link.job_id is None]
        tagged = self.tagged_jobs(orphans) if orphans else None
        polls: list[float] = []
        for chain_id in active:
            try:
                with self.reg.chain_lock(chain_id, timeout=LOCK_WAIT):
                    status = self.fresh(chain_id)
                    poll = (
                        self.step(status, acct, queued, tagged, statuses.get, report) if watched(status) else IDLE_POLL
                    )
            except SlurmUnavailable:
                raise
            except RegistryWriteError as exc:
                if exc.errno in STORAGE_REFUSES:
                    raise  # the disk refuses every chain alike: back off
                log.error("%s: skipped this cycle: %s", chain_id, exc)  # this chain's files only
                poll = SLOW_POLL
            except LockBusy as exc:
                log.warning("%s: skipped this cycle (%s)", chain_id, exc)
                poll = FAST_POLL
            except UnknownChain:
                continue  # removed since the listing
            except (RegistryError, SlurmError) as exc:
                log.error("%s: skipped this cycle: %s", chain_id, exc)
                poll = SLOW_POLL
            polls.append(poll)
        report.next_poll = min(polls, default=IDLE_POLL)
        report.slurm_calls = self.slurm.calls - calls_before
        return report

    def step(
        self,
        status: ChainStatus,
        acct: dict[str, JobAccounting],
        queued: dict[str, JobState],
        tagged: dict[tuple[str, int], tuple[str, JobState]] | None,
        lookup: Callable[[str], ChainStatus | None],
        report: CycleReport,
    ) -> float:
        link = status.live_link
        if link is None and status.undecided_link is not None:
            report.ended += 1
            decision = decide_recorded(self.reg, status)
            if decision.outcome is not LinkOutcome.CONTINUE:
                return FAST_POLL
            status = self.fresh(status.chain_id)
        elif link is not None and link.job_id is None:
            if tagged is None:
                return FAST_POLL  # appeared during this cycle: next cycle looks for its job
            found = tagged.get((status.chain_id, link.attempt))
            if found is not None:
                log.info("%s: attempt %d was submitted as job %s (recovered)", status.chain_id, link.attempt, found[0])
                self.reg.append(status.chain_id, ev.Submitted(attempt=link.attempt, job_id=found[0], recovered=True))
                return FAST_POLL
            log.info("%s: attempt %d never reached Slurm; submitting it again", status.chain_id, link.attempt)
            self.reg.append(status.chain_id, ev.IntentLost(attempt=link.attempt))
            status = self.fresh(status.chain_id)
        elif link is not None and link.job_id is not None:
            job = acct.get(link.job_id)
            state = job.job.state if job else queued.get(link.job_id)
            if status.cancel_requested and state is not None and not state.is_terminal:
                self.slurm.cancel(link.job_id)
                self.reg.append(status.chain_id, ev.Cancelled(job_id=link.job_id))
                return FAST_POLL
            if job is None and state is None and self.vanished(link.submit):
                give_up_vanished(self.reg, status)
                return IDLE_POLL
            if job is None or not job.job.state.is_terminal:
                return self.poll_for(status, job)
            if self.awaiting_real_row(job):
                return FAST_POLL
            report.ended += 1
            decision = record_end(self.reg, status, job)
            if decision.outcome is not LinkOutcome.CONTINUE:
                # Chains waiting on this one read its new state next cycle: release them now, not in 30 s.
                return FAST_POLL
            status = self.fresh(status.chain_id)
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

    @staticmethod
    def vanished(submitted: datetime | None) -> bool:
        """Neither sacct nor squeue has known this job for VANISHED_AFTER seconds after submission."""
        if submitted is None:
            return False
        when = submitted if submitted.tzinfo else submitted.replace(tzinfo=UTC)
        return (datetime.now(UTC) - when).total_seconds() > VANISHED_AFTER

    @staticmethod
    def awaiting_real_row(job: JobAccounting) -> bool:
        """A final placeholder row (no ReqMem, no Timelimit): decide on the real row, due in seconds.

        Deciding on it would lose the memory request --grow-mem multiplies and the time limit the
        timeout rules read. After PLACEHOLDER_PATIENCE the placeholder is taken as it is.
        """
        if not is_placeholder(job):
            return False
        end = job.job.end
        if end is None:
            return True
        when = end if end.tzinfo else end.astimezone()  # sacct prints the machine's local time
        return (datetime.now(UTC) - when).total_seconds() < PLACEHOLDER_PATIENCE

    def poll_for(self, status: ChainStatus, job: JobAccounting | None) -> float:
        """Poll fast near a link's time limit (its end is due) or after `longrun stop`, slowly otherwise."""
        if job is None or status.stop_requested_by is not None:
            return FAST_POLL  # just submitted, not in accounting yet; or told to checkpoint now
        row = job.job
        if row.state is JobState.PENDING or row.start is None:
            return PENDING_POLL
        if row.time_limit is None or row.elapsed is None:
            return SLOW_POLL
        window = max(90, (warning_seconds(list(status.spec.sbatch_options)) or 0) + 70)
        remaining = row.time_limit.seconds - row.elapsed.seconds
        if remaining <= window:
            return FAST_POLL
        return max(FAST_POLL, min(SLOW_POLL, remaining - window))

    # -- reconcile -------------------------------------------------------------------------------
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
                found.setdefault(tag, (acc.job_id, acc.job.state))
        for rec in self.slurm.queue(user=self.user):
            tag = parse_comment_tag(rec.comment)
            if tag:
                found.setdefault(tag, (rec.job_id, rec.state))
        return found

    def reconcile_duplicates(self) -> int:
        """On start: cancel live jobs that carry one of our chains' tags but are not its recorded
        link (a chain must never have two live links). Returns how many were cancelled."""
        statuses = self.load()
        active = {cid: s for cid, s in statuses.items() if watched(s)}
        if not active:
            return 0
        cancelled = 0
        for rec in self.slurm.queue(user=self.user):
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
        if link is not None and link.job_id is None and link.attempt == attempt:
            log.info("%s: attempt %d was submitted as job %s (recovered)", chain_id, attempt, job_id)
            self.reg.append(chain_id, ev.Submitted(attempt=attempt, job_id=job_id, recovered=True))
            return 0
        if job_id in {lk.job_id for lk in status.links}:
            return 0
        log.warning("%s: job %s is not the chain's live link; cancelling it", chain_id, job_id)
        self.slurm.cancel(job_id)
        return 1

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
