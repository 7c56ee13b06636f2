"""Link outcome rules: what a link's ending means for its chain (DESIGN.md, "Contracts").

finished / continue (resubmit) / needs a person (failed, out of memory, no progress) / cancelled,
plus "keep watching" for endings that are not endings (REQUEUED). Pure: the supervisor feeds
the observed ending, the policy and the chain's history, and records the Decision it gets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from app.model.exit_status import ExitStatus
from app.model.policy import Policy
from app.model.sbatch_options import MemoryAsk
from app.model.states import JobState
from app.model.units import Duration, MemorySize

# slurmctld checks time limits every 30 s and sends --signal when at most warn+30 s remain; plus margin.
EARLY_SLACK_SECONDS = 40
# With short limits the window covers the whole job (Slurm may signal up to a minute early); a job
# that ended within seconds of starting finished its work rather than saving it.
EARLY_MIN_WORK_SECONDS = 10


class LinkOutcome(Enum):
    KEEP_WATCHING = "keep_watching"
    FINISHED = "finished"
    CONTINUE = "continue"
    NEEDS_PERSON = "needs_person"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class LinkEnding:
    """What Slurm says about a link that may have ended."""

    state: JobState
    exit_status: ExitStatus | None = None
    elapsed: Duration | None = None
    time_limit: Duration | None = None
    requested_memory: MemorySize | None = None
    cancelled_by_uid: int | None = None
    warning_seconds: int | None = None  # from the chain's --signal=...@N; None without --signal
    oom_step: str | None = None  # a step OUT_OF_MEMORY (`123.0`, `123.batch`) under a job that ended otherwise
    memory_ask: MemoryAsk | None = None  # the link's memory option; None: the job total as --mem (older records)
    work_started: bool | None = None  # the link's wrapper ran the script (None: no wrapper to tell)

    def describe(self) -> str:
        """`TIMEOUT`, `exit 75`, `FAILED exit 3`, `OUT_OF_MEMORY`."""
        code = self.exit_status.code if self.exit_status else 0
        if self.state is JobState.COMPLETED:
            return "COMPLETED"
        if self.state is JobState.FAILED and self.exit_status is not None:
            return f"exit {code}" if self.exit_status.signal == 0 else f"FAILED signal {self.exit_status.signal}"
        return self.state.name


@dataclass(frozen=True)
class Decision:
    outcome: LinkOutcome
    reason: str
    new_memory: MemorySize | None = None  # grow-mem: request this much for the next link, per new_memory_option
    new_memory_option: str = "mem"  # MEMORY_OPTIONS: the unit the link asked in (per node, CPU or GPU)
    stopped_early: bool = False  # COMPLETED right after the warning signal

    @property
    def label(self) -> str:
        """`continue: time limit` as shown in a chain's link table."""
        return f"{self.outcome.value}: {self.reason}"


@dataclass(frozen=True)
class ChainHistory:
    """What the rules need to know about earlier links."""

    restarts_used: int = 0  # resubmissions so far (since the last reinit)
    short_links_before: int = 0  # consecutive continue-links shorter than min_link_seconds, before this one
    progress_changed: bool | None = None  # the chain's progress moved during this link (None: not reported/known)
    cancel_requested: bool = False  # the owner cancelled through longrun
    extra_link_allowed: bool = False  # a person asked for one more link beyond the budget
    continue_code_seen: bool = False  # an earlier link exited with the continue code: COMPLETED is final
    retried_codes: tuple[int, ...] = ()  # exit codes of earlier links (since the last reinit) that were retried
    stop_requested_by: str | None = None  # `longrun stop`: a link that would continue stops instead
    unstarted_before: int = 0  # consecutive links just before this one that ended before their work started


def completed_early(ending: LinkEnding) -> bool:
    """COMPLETED within the warning window before the time limit: it probably caught the signal and quit."""
    if ending.state is not JobState.COMPLETED or ending.warning_seconds is None:
        return False
    if ending.elapsed is None or ending.time_limit is None:
        return False
    if ending.elapsed.seconds < EARLY_MIN_WORK_SECONDS:
        return False
    window = ending.warning_seconds + EARLY_SLACK_SECONDS
    return ending.elapsed.seconds >= ending.time_limit.seconds - window


def decide(ending: LinkEnding, policy: Policy, history: ChainHistory) -> Decision:
    """The outcome of one link's ending under a policy (a stop asked for turns a continue into a stop)."""
    stopper = history.stop_requested_by
    if stopper is None:
        return _decide(ending, policy, history)
    # Stopped by a person: what the ending itself means, the budget and the guard aside.
    unlimited = replace(history, extra_link_allowed=True, short_links_before=0, progress_changed=None)
    decision = _decide(ending, policy, unlimited)
    if decision.outcome is LinkOutcome.CONTINUE:
        return Decision(LinkOutcome.NEEDS_PERSON, f"stopped by {stopper}; the link ended: {decision.reason}")
    if decision.outcome is LinkOutcome.CANCELLED:
        return Decision(LinkOutcome.NEEDS_PERSON, f"stopped by {stopper}")
    return decision


def _decide(ending: LinkEnding, policy: Policy, history: ChainHistory) -> Decision:
    state = ending.state
    if not state.is_terminal:
        return Decision(LinkOutcome.KEEP_WATCHING, f"{state.value.lower()}: still the same job")
    if history.cancel_requested:
        return Decision(LinkOutcome.CANCELLED, "cancelled by its owner")
    code = ending.exit_status.code if ending.exit_status else 0

    if state is JobState.COMPLETED:
        if completed_early(ending) and not history.continue_code_seen:
            if policy.resubmit_completed_early:
                return _continue(ending, policy, history, "completed right after the warning signal", early=True)
            return Decision(
                LinkOutcome.FINISHED,
                "probably stopped early: completed right after the warning signal; if it checkpointed, "
                f"exit {policy.continue_exit_code} instead of 0 (or submit with --resubmit-early)",
                stopped_early=True,
            )
        return Decision(LinkOutcome.FINISHED, "completed")
    if state is JobState.OUT_OF_MEMORY:
        return _out_of_memory(ending, policy, history)
    if state is JobState.CANCELLED:
        who = f" (by uid {ending.cancelled_by_uid})" if ending.cancelled_by_uid is not None else ""
        return Decision(LinkOutcome.CANCELLED, f"cancelled outside longrun{who}")
    if ending.work_started is False and not state.continues_chain:
        return _unstarted(ending, policy, history)
    if state.continues_chain:
        return _continue(ending, policy, history, _CONTINUE_REASONS.get(state, state.value.lower()))
    if code == policy.continue_exit_code and (ending.exit_status is None or ending.exit_status.signal == 0):
        return _continue(ending, policy, history, f"checkpointed (exit {code})")
    if state is JobState.FAILED and ending.oom_step is not None:
        # Slurm ends the job FAILED (the script's own exit) when a step, or the batch step on many
        # sites, was killed at the memory limit: the same ending as a job OUT_OF_MEMORY.
        return _out_of_memory(ending, policy, history)
    if state is JobState.FAILED:
        signal = ending.exit_status.signal if ending.exit_status else 0
        retry = _retry(code, policy, history) if signal == 0 else None
        if retry is not None:
            return retry
        what = f"exit code {code}" if signal == 0 else f"signal {signal}"
        return Decision(LinkOutcome.NEEDS_PERSON, f"failed with {what}")
    return Decision(LinkOutcome.NEEDS_PERSON, f"ended {state.value}")


_CONTINUE_REASONS = {
    JobState.TIMEOUT: "time limit",
    JobState.PREEMPTED: "preempted",
    JobState.NODE_FAIL: "node failure",
    JobState.BOOT_FAIL: "node boot failure",
    JobState.DEADLINE: "deadline",
    JobState.REVOKED: "revoked by a sibling cluster",
}


RETRY_REASON = "retry after exit code"
UNSTARTED_REASON = "ended before its work started"
UNSTARTED_ALLOWED = 3  # links in a row that end before their work started, before the chain stops


def _unstarted(ending: LinkEnding, policy: Policy, history: ChainHistory) -> Decision:
    """A link whose wrapper never ran the script (killed or failed while deciding or queueing):
    the work did not fail, so the chain goes on, a few times in a row at most."""
    what = f"{UNSTARTED_REASON} ({ending.describe()})"
    if history.unstarted_before + 1 >= UNSTARTED_ALLOWED:
        return Decision(
            LinkOutcome.NEEDS_PERSON,
            f"{history.unstarted_before + 1} links in a row {what}: read the job log and run `longrun doctor`",
        )
    if policy.max_restarts is not None and history.restarts_used >= policy.max_restarts:
        if not history.extra_link_allowed:
            return Decision(LinkOutcome.NEEDS_PERSON, f"restart limit reached ({policy.max_restarts}) after {what}")
    return Decision(LinkOutcome.CONTINUE, what)


def _retry(code: int, policy: Policy, history: ChainHistory) -> Decision | None:
    """A failure the policy's retry rules resubmit (the first rule matching the code counts), or None.
    Retries have their own budget per rule: the restart limit and the no-progress guard are for
    continuations after a time-out, not for these."""
    rules = policy.retry_rules

    def rule_of(exit_code: int) -> int | None:
        return next((i for i, rule in enumerate(rules) if rule.matches(exit_code)), None)

    index = rule_of(code)
    if index is None:
        return None
    limit = rules[index].max_retries
    used = sum(1 for earlier in history.retried_codes if rule_of(earlier) == index)
    if used >= limit:
        return Decision(LinkOutcome.NEEDS_PERSON, f"failed with exit code {code}; its {limit} retries are used up")
    return Decision(LinkOutcome.CONTINUE, f"{RETRY_REASON} {code} ({used + 1} of {limit})")


def is_short(ending: LinkEnding, policy: Policy) -> bool:
    """A continue-link that made (almost) no progress (see short_link)."""
    return short_link(ending.elapsed, ending.time_limit, ending.warning_seconds, policy)


def short_link(elapsed: Duration | None, time_limit: Duration | None, warning: int | None, policy: Policy) -> bool:
    """A link that ran less than min_link_seconds and stopped before its warning signal could come.

    A link that ran until its warning signal (or its time limit) made progress by definition:
    Slurm may send the signal up to warning + EARLY_SLACK_SECONDS before the limit, so with short
    limits (`--time=1 --signal=B:TERM@20`) no length counts as short. The threshold is thus
    min(min_link_seconds, limit - warning - slack): the limit and the warning time set the default.
    """
    if elapsed is None or elapsed.seconds >= policy.min_link_seconds:
        return False
    return time_limit is None or elapsed.seconds < earliest_warning(time_limit, warning)


def short_threshold(ending: LinkEnding, policy: Policy) -> int:
    """The seconds under which this link counted as short."""
    if ending.time_limit is None:
        return policy.min_link_seconds
    return min(policy.min_link_seconds, earliest_warning(ending.time_limit, ending.warning_seconds))


def earliest_warning(time_limit: Duration, warning: int | None) -> int:
    """The earliest second of a link at which its warning signal (or its end) may come."""
    return max(0, time_limit.seconds - (warning or 0) - EARLY_SLACK_SECONDS)


def _continue(ending: LinkEnding, policy: Policy, history: ChainHistory, why: str, early: bool = False) -> Decision:
    if history.progress_changed is False:
        what = f"{policy.progress_file} did not change" if policy.progress_file else "the log reported no new progress"
        return Decision(LinkOutcome.NEEDS_PERSON, f"no progress: {what} ({why})")
    # Preemption and node failure are not the job's fault: they never count towards "no progress";
    # nor does a short link that made progress the chain reports.
    blameless = ending.state in (JobState.PREEMPTED, JobState.NODE_FAIL, JobState.BOOT_FAIL, JobState.REVOKED)
    progressed = history.progress_changed is True
    short = not blameless and not progressed and is_short(ending, policy)
    if short and history.short_links_before + 1 >= policy.short_links_allowed:
        return Decision(
            LinkOutcome.NEEDS_PERSON,
            f"no progress: {history.short_links_before + 1} links in a row ended within "
            f"{short_threshold(ending, policy)} s",
        )
    if (
        policy.max_restarts is not None
        and history.restarts_used >= policy.max_restarts
        and not history.extra_link_allowed
    ):
        return Decision(LinkOutcome.NEEDS_PERSON, f"restart limit reached ({policy.max_restarts}) after {why}")
    return Decision(LinkOutcome.CONTINUE, why, stopped_early=early)


def _out_of_memory(ending: LinkEnding, policy: Policy, history: ChainHistory) -> Decision:
    """Stop, or grow the memory request in the unit the link asked in (--mem per node, --mem-per-cpu,
    --mem-per-gpu); the cap is per node. Records without the ask grow the job's total as --mem."""
    where = f" in step {ending.oom_step}" if ending.oom_step is not None else ""
    ask = ending.memory_ask
    if ask is None and ending.requested_memory is not None:
        ask = MemoryAsk("mem", ending.requested_memory, ending.requested_memory)
    if policy.grow_mem_factor is None or ask is None:
        requested = f" (requested {_asked(ask)})" if ask is not None else ""
        return Decision(LinkOutcome.NEEDS_PERSON, f"out of memory{where}{requested}")
    grown = MemorySize(int(ask.value.bytes * policy.grow_mem_factor)).round_up_sane()
    cap = policy.grow_mem_cap
    if cap is not None and ask.per_node is not None and ask.per_node.bytes:
        if grown.bytes * ask.per_node.bytes > cap.bytes * ask.value.bytes:  # more than the cap per node
            grown = ask.scaled_to(cap)
    elif cap is not None and grown > cap:
        grown = cap
    if grown <= ask.value:
        return Decision(LinkOutcome.NEEDS_PERSON, f"out of memory{where} at the --grow-mem cap ({_asked(ask)})")
    if policy.max_restarts is not None and history.restarts_used >= policy.max_restarts:
        if not history.extra_link_allowed:
            limit = policy.max_restarts
            return Decision(LinkOutcome.NEEDS_PERSON, f"out of memory{where}; restart limit reached ({limit})")
    return Decision(
        LinkOutcome.CONTINUE,
        f"out of memory{where}: growing --{ask.option} {ask.value} -> {grown}",
        new_memory=grown,
        new_memory_option=ask.option,
    )


def _asked(ask: MemoryAsk) -> str:
    per = {"mem-per-cpu": " per CPU", "mem-per-gpu": " per GPU"}.get(ask.option, "")
    return f"{ask.value}{per}"
