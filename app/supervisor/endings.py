"""A link's end in the registry: recorded as Slurm tells it, then decided from that record.

The decision is always made from the recorded `observed_end` (never from the live sacct row), so
that a supervisor that died between the two records decides the same way when it restarts.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from app.explain.scripts import asked_memory
from app.model.chain import DECIDED_BY_SUPERVISOR, ChainStatus, Link
from app.model.exit_status import ExitStatus
from app.model.outcome import (
    RETRY_REASON,
    UNSTARTED_REASON,
    ChainHistory,
    Decision,
    LinkEnding,
    LinkOutcome,
    decide,
    short_link,
)
from app.model.sbatch_options import warning_seconds
from app.model.states import JobState
from app.registry import Registry
from app.registry import events as ev
from app.slurm.records import JobAccounting
from app.slurm.sacct import is_placeholder
from app.supervisor.progress import link_log_path, progress_now

log = logging.getLogger("longrun.supervisor")

BLAMELESS = {"PREEMPTED", "NODE_FAIL", "BOOT_FAIL", "REVOKED"}
RETRIED = f"{LinkOutcome.CONTINUE.value}: {RETRY_REASON}"  # the decision label of a retried failure
UNSTARTED = f"{LinkOutcome.CONTINUE.value}: {UNSTARTED_REASON}"  # ... of a link whose work never started
VANISHED = "vanished"
PLACEHOLDER_PATIENCE = 60.0  # seconds after a link's end to wait for slurmdbd's real job row
CRASH_AFTER_END_HOOK = "LONGRUN_TEST_CRASH_AFTER_END"  # test-only: die after recording an end, before deciding


def recorded_ending(link: Link, warning: int | None, wrapped: bool = False) -> LinkEnding:
    """A link's ending as its observed_end event recorded it: what decide() needs, re-made at will.
    `wrapped`: the link ran through the wrapper, which records whether it started the work."""
    state, exit_status = JobState[link.state], link.exit_status
    if wrapped and link.exited is not None and state in (JobState.FAILED, JobState.COMPLETED):
        # The wrapper saw the script's own exit; a wrapper killed after that leaves Slurm only its own death.
        exit_status = link.exited
        state = JobState.COMPLETED if exit_status == ExitStatus(0, 0) else JobState.FAILED
    return LinkEnding(
        state=state,
        exit_status=exit_status,
        elapsed=link.elapsed,
        time_limit=link.time_limit,
        requested_memory=link.requested_memory,
        cancelled_by_uid=link.cancelled_by_uid,
        warning_seconds=warning,
        oom_step=link.oom_step,
        memory_ask=link.memory_ask,
        work_started=link.work_started if wrapped else None,
    )


def record_end(reg: Registry, status: ChainStatus, job: JobAccounting) -> Decision:
    """The supervisor records the live link's end as Slurm tells it, then decides from that record
    (as a restart would)."""
    observe_end(reg, status, job)
    if os.environ.get(CRASH_AFTER_END_HOOK):
        os._exit(98)
    return decide_recorded(reg, reg.status(status.chain_id), by=DECIDED_BY_SUPERVISOR)


def observe_end(reg: Registry, status: ChainStatus, job: JobAccounting) -> None:
    """Record the live link's end as Slurm tells it (the decision is a separate record)."""
    link = status.live_link
    assert link is not None and link.job_id is not None
    row = job.job
    observed = LinkEnding(row.state, row.exit_status, row.elapsed, row.time_limit)
    reg.append(
        status.chain_id,
        ev.ObservedEnd(
            attempt=link.attempt,
            job_id=link.job_id,
            state=row.state,
            exit=row.exit_status,
            submit=row.submit,
            start=row.start,
            end=row.end,
            elapsed=row.elapsed.seconds if row.elapsed else None,
            time_limit=row.time_limit.seconds if row.time_limit else None,
            ending=observed.describe(),
            cancelled_by=row.cancelled_by_uid,
            req_mem=job.requested_memory.bytes if job.requested_memory else None,
            observed=datetime.now(UTC),
            oom_step=job.out_of_memory_step,
            mem_ask=asked_memory([*status.spec.sbatch_options, *link.options], status.spec.script),
            req_mem_per_node=job.usage.request.per_node.bytes if job.usage.request.per_node else None,
        ),
    )


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


def give_up_vanished(reg: Registry, status: ChainStatus) -> None:
    """The live link's job is unknown to sacct and squeue for good: record that, and stop the chain."""
    link = status.live_link
    assert link is not None and link.job_id is not None
    end = ev.ObservedEnd(attempt=link.attempt, job_id=link.job_id, state=JobState.UNKNOWN, ending=VANISHED)
    reg.append(status.chain_id, end)
    decide_recorded(reg, reg.status(status.chain_id), by=DECIDED_BY_SUPERVISOR)


def decide_recorded(reg: Registry, status: ChainStatus, by: str) -> Decision:
    """Decide the chain's undecided link from its recorded end, and record the decision and `by`,
    who made it ("job 1234": the link wrapper of the job queued after it; DECIDED_BY_SUPERVISOR)."""
    link = status.undecided_link
    assert link is not None
    if link.ending == VANISHED:
        reason = f"job {link.job_id} is unknown to sacct and squeue; check it, then resubmit or reinit"
        decision = Decision(LinkOutcome.NEEDS_PERSON, reason)
    else:
        wrapped = status.spec.launcher is not None
        ending = recorded_ending(link, warning_seconds(list(status.spec.sbatch_options)), wrapped)
        decision = decide(ending, status.spec.policy, history(status, link))
    reg.append(
        status.chain_id,
        ev.Decision(
            attempt=link.attempt,
            outcome=decision.outcome,
            reason=decision.reason,
            new_memory=decision.new_memory.bytes if decision.new_memory else None,
            new_memory_option=decision.new_memory_option if decision.new_memory else None,
            by=by,
        ),
    )
    log.info("%s: job %s ended %s -> %s", status.chain_id, link.job_id, link.ending or link.state, decision.label)
    return decision


def history(status: ChainStatus, link: Link) -> ChainHistory:
    """What the outcome rules need to know about the links before this one. A short link that made
    progress (the chain's progress at the next link's submit differs from its own) breaks a run of
    short links as a long one does."""
    policy = status.spec.policy
    attempt = link.attempt
    warning = warning_seconds(list(status.spec.sbatch_options))
    short = 0
    after = link
    for earlier in reversed(status.links[status.restart_base :]):
        if earlier.attempt >= attempt:
            continue
        if (earlier.decision or "").startswith(UNSTARTED):
            continue  # the work never ran: neither progress nor the lack of it
        if not (earlier.decision or "").startswith("continue") or earlier.state in BLAMELESS:
            break
        if not short_link(earlier.elapsed, earlier.time_limit, warning, policy):
            break
        if None not in (earlier.done_before, after.done_before) and after.done_before != earlier.done_before:
            break
        short += 1
        after = earlier
    return ChainHistory(
        restarts_used=status.restarts_used,
        short_links_before=short,
        progress_changed=progress_changed(status, link),
        cancel_requested=status.cancel_requested,
        stop_requested_by=status.stop_requested_by,
        extra_link_allowed=status.extra_link_allowed,
        continue_code_seen=any(
            lk.ending == f"exit {policy.continue_exit_code}" for lk in status.links if lk.attempt < attempt
        ),
        retried_codes=tuple(
            lk.exit_status.code
            for lk in status.links[status.restart_base :]
            if lk.attempt < attempt and lk.exit_status is not None and (lk.decision or "").startswith(RETRIED)
        ),
        unstarted_before=unstarted_before(status, attempt),
    )


def unstarted_before(status: ChainStatus, attempt: int) -> int:
    """Consecutive links just before `attempt` (since the last reinit) that ended before their work started."""
    count = 0
    for earlier in reversed(status.links[status.restart_base :]):
        if earlier.attempt >= attempt:
            continue
        if not (earlier.decision or "").startswith(UNSTARTED):
            break
        count += 1
    return count


def progress_changed(status: ChainStatus, link: Link) -> bool | None:
    """Did the link make progress? None: the chain reports none, or its log cannot tell.

    One mechanism with the progress shown everywhere (app/supervisor/progress.py): the units done
    now against those recorded when the link was submitted. A progress file that holds no number
    falls back to its size and mtime; a log without any progress line in its last SCAN_LIMIT bytes
    tells nothing (the short-link rule still applies).
    """
    policy = status.spec.policy
    if not policy.progress_file and not policy.progress_regex:
        return None
    now = progress_now(status.spec, link_log_path(status.spec, link) if policy.progress_regex else None)
    if policy.progress_regex:
        if now is None:
            return None
        return link.done_before is None or now.done != link.done_before
    if now is not None and link.done_before is not None:
        return now.done != link.done_before
    try:
        st = (Path(status.spec.workdir) / str(policy.progress_file)).stat()
    except OSError:
        return False
    return link.progress_before != (st.st_mtime_ns, st.st_size)
