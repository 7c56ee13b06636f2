"""A Torc failure handler as a chain policy: failures with matching exit codes are resubmitted, each
rule with its own budget; the retrying link runs the recovery script first (real bash here)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from app.model.exit_status import ExitStatus
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide
from app.model.policy import Policy, RetryRule
from app.model.states import JobState
from app.workflows.loader import load_workflow_text
from app.workflows.run import plan_workflow

POLICY = Policy(max_restarts=0, retry_rules=(RetryRule((10,), False, 2), RetryRule((), True, 1)))


def failed(code: int) -> LinkEnding:
    return LinkEnding(state=JobState.FAILED, exit_status=ExitStatus(code, 0))


def test_retries_per_rule_then_a_person() -> None:
    first = decide(failed(10), POLICY, ChainHistory())
    assert first.outcome is LinkOutcome.CONTINUE and first.reason == "retry after exit code 10 (1 of 2)"
    second = decide(failed(10), POLICY, ChainHistory(retried_codes=(10,)))
    assert second.outcome is LinkOutcome.CONTINUE and "(2 of 2)" in second.reason
    third = decide(failed(10), POLICY, ChainHistory(retried_codes=(10, 10)))
    assert third.outcome is LinkOutcome.NEEDS_PERSON and "retries are used up" in third.reason
    other = decide(failed(3), POLICY, ChainHistory(retried_codes=(10, 10)))  # the any-code rule has its own budget
    assert other.outcome is LinkOutcome.CONTINUE and "(1 of 1)" in other.reason
    assert decide(failed(3), Policy(), ChainHistory()).outcome is LinkOutcome.NEEDS_PERSON  # no rules: as before


def test_the_restart_limit_is_not_a_retry_limit_and_timeouts_still_stop() -> None:
    timeout = LinkEnding(state=JobState.TIMEOUT, exit_status=ExitStatus(0, 0))
    assert decide(timeout, POLICY, ChainHistory()).outcome is LinkOutcome.NEEDS_PERSON  # max_restarts=0


def test_policy_round_trips_through_the_chain_spec() -> None:
    assert Policy.from_json(POLICY.to_json()) == POLICY
    assert Policy.from_json({}).retry_rules == ()  # specs written before retries existed


def test_retrying_link_runs_the_recovery_script_first(tmp_path: Path) -> None:
    (tmp_path / "fix.sh").write_text(
        'echo "recovered $TORC_JOB_NAME from $TORC_RETURN_CODE attempt $TORC_ATTEMPT_ID" > fixed.txt\n'
    )
    wf_file = tmp_path / "wf.yaml"
    text = (
        "name: r\nfailure_handlers:\n  - name: h\n    rules:\n      - {exit_codes: [10], recovery_script: fix.sh}\n"
        "jobs:\n  - name: j\n    command: test -e fixed.txt || exit 10\n    failure_handler: h\n"
    )
    wf = load_workflow_text(text, wf_file).workflow
    assert wf is not None
    state = tmp_path / "state"
    state.mkdir()
    script = tmp_path / "j.sh"
    script.write_text(plan_workflow(wf, state)[0].plan.script)

    def link(attempt: int) -> int:
        env = {**os.environ, "LONGRUN_ATTEMPT": str(attempt), "LONGRUN_CHAIN_ID": "c1"}
        return subprocess.run(["bash", str(script)], env=env, timeout=30, capture_output=True).returncode

    assert link(1) == 10 and (state / "j.failed").read_text() == "10\n"
    assert link(2) == 0
    assert (tmp_path / "fixed.txt").read_text() == "recovered j from 10 attempt 2\n"
    assert not (state / "j.failed").exists()
