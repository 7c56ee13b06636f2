"""Link outcome rules and policy: what each ending means for the chain."""

from __future__ import annotations

import pytest

from app.model.chain import comment_tag, parse_comment_tag
from app.model.exit_status import ExitStatus
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide
from app.model.policy import Policy, PolicyError
from app.model.sbatch_options import warning_seconds
from app.model.states import JobState
from app.model.units import Duration, MemorySize

P = Policy()


def end(state: JobState, code: int = 0, sig: int = 0, elapsed: int = 300, limit: int = 600, **kw: object) -> LinkEnding:
    return LinkEnding(state, ExitStatus(code, sig), Duration(elapsed), Duration(limit), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "state", [JobState.TIMEOUT, JobState.PREEMPTED, JobState.NODE_FAIL, JobState.BOOT_FAIL, JobState.DEADLINE,
              JobState.REVOKED],
)  # fmt: skip
def test_continue_states(state: JobState) -> None:
    assert decide(end(state), P, ChainHistory()).outcome is LinkOutcome.CONTINUE


def test_exit_75_continues_and_is_configurable() -> None:
    assert decide(end(JobState.FAILED, 75), P, ChainHistory()).outcome is LinkOutcome.CONTINUE
    assert decide(end(JobState.FAILED, 75), Policy(continue_exit_code=99), ChainHistory()).outcome is (
        LinkOutcome.NEEDS_PERSON
    )
    assert decide(end(JobState.FAILED, 99), Policy(continue_exit_code=99), ChainHistory()).reason.startswith(
        "checkpointed"
    )


def test_failed_needs_a_person() -> None:
    d = decide(end(JobState.FAILED, 3), P, ChainHistory())
    assert d.outcome is LinkOutcome.NEEDS_PERSON and d.reason == "failed with exit code 3"


def test_requeued_keeps_watching() -> None:
    assert decide(end(JobState.REQUEUED), P, ChainHistory()).outcome is LinkOutcome.KEEP_WATCHING
    assert decide(end(JobState.RUNNING), P, ChainHistory()).outcome is LinkOutcome.KEEP_WATCHING


def test_completed() -> None:
    assert decide(end(JobState.COMPLETED), P, ChainHistory()).outcome is LinkOutcome.FINISHED
    early = end(JobState.COMPLETED, elapsed=560, limit=600, warning_seconds=30)
    d = decide(early, P, ChainHistory())
    assert d.outcome is LinkOutcome.FINISHED and d.stopped_early and "probably stopped early" in d.reason
    d = decide(early, Policy(resubmit_completed_early=True), ChainHistory())
    assert d.outcome is LinkOutcome.CONTINUE
    # finished well before the warning window: really finished
    well_before = end(JobState.COMPLETED, elapsed=100, limit=600, warning_seconds=30)
    assert not decide(well_before, P, ChainHistory()).stopped_early
    # without --signal nothing is "early"
    assert not decide(end(JobState.COMPLETED, elapsed=590, limit=600), P, ChainHistory()).stopped_early
    # a one-minute limit with @30: the window covers the whole job, yet a job that ended at once
    # (the sample workflow's evaluate, 0 s) finished; one that ran into the window did not
    assert not decide(end(JobState.COMPLETED, elapsed=0, limit=60, warning_seconds=30), P, ChainHistory()).stopped_early
    assert decide(end(JobState.COMPLETED, elapsed=25, limit=60, warning_seconds=30), P, ChainHistory()).stopped_early


def test_restart_budget() -> None:
    pol = Policy(max_restarts=2)
    assert decide(end(JobState.TIMEOUT), pol, ChainHistory(restarts_used=1)).outcome is LinkOutcome.CONTINUE
    d = decide(end(JobState.TIMEOUT), pol, ChainHistory(restarts_used=2))
    assert d.outcome is LinkOutcome.NEEDS_PERSON and "restart limit" in d.reason
    assert decide(end(JobState.TIMEOUT), pol, ChainHistory(restarts_used=2, extra_link_allowed=True)).outcome is (
        LinkOutcome.CONTINUE
    )


def test_no_progress_guard() -> None:
    pol = Policy(min_link_seconds=60, short_links_allowed=3)
    short = end(JobState.FAILED, 75, elapsed=5)
    assert decide(short, pol, ChainHistory(short_links_before=1)).outcome is LinkOutcome.CONTINUE
    d = decide(short, pol, ChainHistory(short_links_before=2))
    assert d.outcome is LinkOutcome.NEEDS_PERSON and d.reason.startswith("no progress")
    # preemption is not the job's fault
    assert decide(end(JobState.PREEMPTED, elapsed=5), pol, ChainHistory(short_links_before=5)).outcome is (
        LinkOutcome.CONTINUE
    )
    d = decide(end(JobState.TIMEOUT), Policy(progress_file="p"), ChainHistory(progress_changed=False))
    assert d.outcome is LinkOutcome.NEEDS_PERSON and "p did not change" in d.reason


def test_out_of_memory() -> None:
    oom = end(JobState.OUT_OF_MEMORY, 0, 125, requested_memory=MemorySize.parse("512M"))
    assert decide(oom, P, ChainHistory()).outcome is LinkOutcome.NEEDS_PERSON
    d = decide(oom, Policy(grow_mem_factor=2.0, grow_mem_cap=MemorySize.parse("768M")), ChainHistory())
    assert d.outcome is LinkOutcome.CONTINUE and d.new_memory == MemorySize.parse("768M")
    at_cap = end(JobState.OUT_OF_MEMORY, 0, 125, requested_memory=MemorySize.parse("768M"))
    d = decide(at_cap, Policy(grow_mem_factor=2.0, grow_mem_cap=MemorySize.parse("768M")), ChainHistory())
    assert d.outcome is LinkOutcome.NEEDS_PERSON and "cap" in d.reason


def test_cancel() -> None:
    assert decide(end(JobState.CANCELLED), P, ChainHistory(cancel_requested=True)).outcome is LinkOutcome.CANCELLED
    d = decide(end(JobState.CANCELLED, cancelled_by_uid=1001), P, ChainHistory())
    assert d.outcome is LinkOutcome.CANCELLED and "1001" in d.reason


def test_comment_tag_and_signal_option() -> None:
    assert parse_comment_tag(comment_tag("abc123", 4)) == ("abc123", 4)
    assert parse_comment_tag("something else") is None
    assert warning_seconds(["--time=1", "--signal=B:TERM@30"]) == 30
    assert warning_seconds(["--signal", "USR1"]) == 60
    assert warning_seconds(["--time=1"]) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"grow_mem_factor": float("nan")}, "grow_mem_factor must be a finite number"),
        ({"grow_mem_factor": float("inf")}, "grow_mem_factor must be a finite number"),
        ({"grow_mem_factor": "2"}, "grow_mem_factor must be a finite number"),
        ({"grow_mem_factor": 0.5}, "grow_mem_factor must be more than 1"),
        ({"grow_mem_cap": -1}, "grow_mem_cap must be more than 0"),
        ({"grow_mem_cap": "8G"}, "grow_mem_cap must be a number of bytes"),
        ({"max_restarts": -3}, "max_restarts must be between 0 and"),
        ({"max_restarts": "3"}, "max_restarts must be a whole number"),
        ({"max_restarts": True}, "max_restarts must be a whole number"),
        ({"min_link_seconds": 1e99}, "min_link_seconds must be a whole number"),
        ({"short_links_allowed": 0}, "short_links_allowed must be between 1 and"),
        ({"continue_exit_code": 0}, "continue_exit_code must be between 1 and 255"),
        ({"resubmit_completed_early": "yes"}, "resubmit_completed_early must be true or false"),
        ({"progress_file": ""}, "progress_file must be a file name"),
    ],
)
def test_a_stored_policy_out_of_range_is_refused_when_read(changes: dict[str, object], message: str) -> None:
    """A damaged spec must fail when read (the registry reports it), not at the next out-of-memory."""
    stored = {**Policy(grow_mem_factor=1.5).to_json(), **changes}
    with pytest.raises(PolicyError, match=message):
        Policy.from_json(stored)


def test_every_valid_policy_round_trips() -> None:
    policy = Policy(
        max_restarts=0,
        continue_exit_code=99,
        grow_mem_factor=2,
        grow_mem_cap=MemorySize.parse("8G"),
        resubmit_completed_early=True,
        min_link_seconds=0,
        short_links_allowed=1,
        progress_file="ckpt",
    )
    assert Policy.from_json(policy.to_json()) == policy
