"""Slurm job states as printed by sacct, squeue and scontrol (app/model/states.py)."""

from __future__ import annotations

import pytest

from app.model.states import JobState, ParsedState, StateParseError, parse_state


@pytest.mark.parametrize("state", list(JobState))
def test_every_long_name_parses(state: JobState) -> None:
    assert parse_state(state.value) == ParsedState(state)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("CANCELLED by 1001", ParsedState(JobState.CANCELLED, 1001)),
     ("CANCELLED by 0", ParsedState(JobState.CANCELLED, 0)),
     ("CANCELLED+", ParsedState(JobState.CANCELLED)), ("PD", ParsedState(JobState.PENDING)),
     ("OOM", ParsedState(JobState.OUT_OF_MEMORY)), (" RUNNING ", ParsedState(JobState.RUNNING)),
     ("CG", ParsedState(JobState.COMPLETING)), ("TO", ParsedState(JobState.TIMEOUT))],
)  # fmt: skip
def test_forms(text: str, parsed: ParsedState) -> None:
    assert parse_state(text) == parsed


@pytest.mark.parametrize("text", ["", "running", "CANCELLED by", "CANCELLED by x", "R R", "42", "PENDING\n"])
def test_garbage(text: str) -> None:
    if text.strip() == "PENDING":  # surrounding blanks and newlines are stripped
        assert parse_state(text).state is JobState.PENDING
        return
    with pytest.raises(StateParseError):
        parse_state(text)


@pytest.mark.parametrize(
    ("text", "name", "uid"),
    [("EXPEDITING", "EXPEDITING", None), ("LAUNCH_FAILED", "LAUNCH_FAILED", None), ("NEWSTATE by 7", "NEWSTATE", 7),
     ("XX+", "XX", None)],
)  # fmt: skip
def test_a_state_name_this_version_does_not_know_is_unknown(text: str, name: str, uid: int | None) -> None:
    """A newer Slurm may print a state we have never seen: UNKNOWN, which nothing takes for an ending."""
    parsed = parse_state(text)
    assert parsed == ParsedState(JobState.UNKNOWN, uid, unknown=name)
    assert not parsed.state.is_terminal and not parsed.state.is_active and not parsed.state.continues_chain


def test_states_added_since_22_05_that_we_know() -> None:
    assert parse_state("RESV_DEL_HOLD") == parse_state("RD") == ParsedState(JobState.RESV_DEL_HOLD)
    assert JobState.RESV_DEL_HOLD.is_active and not JobState.RESV_DEL_HOLD.is_terminal


def test_meanings() -> None:
    assert JobState.COMPLETED.is_terminal and JobState.COMPLETED.is_success
    assert not JobState.REQUEUED.is_terminal and JobState.REQUEUED.is_active
    assert JobState.PENDING.is_active and not JobState.UNKNOWN.is_active
    continuing = {s for s in JobState if s.continues_chain}
    assert continuing == {JobState.TIMEOUT, JobState.PREEMPTED, JobState.NODE_FAIL, JobState.BOOT_FAIL,
                          JobState.DEADLINE, JobState.REVOKED}  # fmt: skip
    assert all(s.is_terminal for s in continuing)
    assert not JobState.OUT_OF_MEMORY.continues_chain and not JobState.FAILED.is_success
