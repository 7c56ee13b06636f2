"""The no-progress guard never stops a healthy chain: a link that ran until its warning signal
(or its time limit) made progress by definition, whatever --min-link-seconds says."""

from __future__ import annotations

from app.model.exit_status import ExitStatus
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide, short_link
from app.model.policy import Policy
from app.model.states import JobState
from app.model.units import Duration


def checkpointed(elapsed: int, limit: int, warning: int | None) -> LinkEnding:
    return LinkEnding(JobState.FAILED, ExitStatus(75, 0), Duration(elapsed), Duration(limit), warning_seconds=warning)


def test_links_of_a_one_minute_chain_that_got_their_signal_are_not_short() -> None:
    """Seen on the test cluster: --time=1 --signal=B:TERM@20, links of 27-35 s, stopped at 3 links by 60 s."""
    policy = Policy()  # min_link_seconds 60
    for elapsed in (1, 27, 35, 59):
        ending = checkpointed(elapsed, 60, 20)
        decision = decide(ending, policy, ChainHistory(restarts_used=3, short_links_before=2))
        assert decision.outcome is LinkOutcome.CONTINUE, (elapsed, decision.reason)


def test_a_link_dying_early_in_a_long_link_is_still_short() -> None:
    policy = Policy()
    assert short_link(Duration(5), Duration(3600), 120, policy)
    decision = decide(checkpointed(5, 3600, 120), policy, ChainHistory(short_links_before=2))
    assert decision.outcome is LinkOutcome.NEEDS_PERSON
    assert decision.reason == "no progress: 3 links in a row ended within 60 s"


def test_the_threshold_is_the_earliest_moment_the_signal_may_come() -> None:
    policy = Policy(min_link_seconds=600)  # more than a link runs before its signal: capped
    assert short_link(Duration(99), Duration(180), 40, policy)  # 180 - 40 - 40 = 100
    assert not short_link(Duration(100), Duration(180), 40, policy)
    decision = decide(checkpointed(50, 180, 40), policy, ChainHistory(short_links_before=2))
    assert decision.reason == "no progress: 3 links in a row ended within 100 s"
    assert not short_link(Duration(90), Duration(120), None, Policy())  # ran until (near) its limit: TIMEOUT
    assert short_link(Duration(10), None, None, Policy()), "an unknown limit leaves min_link_seconds alone"
    assert not short_link(Duration(10), Duration(3600), None, Policy(min_link_seconds=0))


def test_a_stopped_chain_says_who_stopped_it_even_at_its_restart_limit() -> None:
    history = ChainHistory(restarts_used=1, stop_requested_by="alice")
    decision = decide(checkpointed(40, 600, 30), Policy(max_restarts=1), history)
    assert decision.outcome is LinkOutcome.NEEDS_PERSON
    assert decision.reason == "stopped by alice; the link ended: checkpointed (exit 75)"
    failed = decide(LinkEnding(JobState.FAILED, ExitStatus(3, 0), Duration(5)), Policy(), history)
    assert failed.reason == "failed with exit code 3", "a failure is still told as a failure"
