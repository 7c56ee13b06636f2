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


@pytest.mark.parametrize("text", ["", "running", "CANCELLED by", "CANCELLED by x", "NOPE", "R R"])
def test_garbage(text: str) -> None:
    with pytest.raises(StateParseError):
        parse_state(text)


def test_meanings() -> None:
    assert JobState.COMPLETED.is_terminal and JobState.COMPLETED.is_success
    assert not JobState.REQUEUED.is_terminal and JobState.REQUEUED.is_active
    assert JobState.PENDING.is_active and not JobState.UNKNOWN.is_active
    continuing = {s for s in JobState if s.continues_chain}
    assert continuing == {JobState.TIMEOUT, JobState.PREEMPTED, JobState.NODE_FAIL, JobState.BOOT_FAIL,
                          JobState.DEADLINE, JobState.REVOKED}  # fmt: skip
    assert all(s.is_terminal for s in continuing)
    assert not JobState.OUT_OF_MEMORY.continues_chain and not JobState.FAILED.is_success
