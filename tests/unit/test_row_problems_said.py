"""Rows Slurm printed that could not be read are said once, never dropped silently: in the
supervisor's log (the logger `longrun.slurm`, which `longrun supervise` writes) and in the
dashboard's notes (told once while they do not change). Our real sacct capture of four jobs, one
row edited to a state this version has never seen (tests/unit/test_row_problems_through_client.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.services import Services
from app.slurm.client import SlurmClient
from app.supervisor.engine import Supervisor
from tests.unit.test_row_problems_through_client import (
    DAMAGED,
    JOBS,
    CapturedSacct,
    newer_state,
    registry_with_a_chain_per_job,
)


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "longrun.slurm"]


def test_the_supervisor_log_says_an_unreadable_row_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    reg = registry_with_a_chain_per_job(tmp_path)
    client = SlurmClient(runner=CapturedSacct(newer_state))
    supervisor = Supervisor(reg, client, "alice")
    for _ in range(3):  # the chain waits on its unreadable row: every cycle reads it again
        supervisor.cycle()
    (line,) = said(caplog)
    assert f"job {JOBS[DAMAGED]}" in line and "state 'EXPEDITING' is unknown to this version" in line
    assert "left out" in line and "EXPEDITING" in line


def test_the_dashboard_notes_name_the_unreadable_row(tmp_path: Path) -> None:
    registry_with_a_chain_per_job(tmp_path)
    services = Services(viewer="alice", slurm=SlurmClient(runner=CapturedSacct(newer_state)), home=tmp_path)
    first = services.snapshot("alice", focus_job_id=JOBS[DAMAGED])
    (note,) = [n for n in first.notes if "could not be read" in n]
    assert note.startswith("1 row from Slurm could not be read and is left out: ")
    assert f"sacct: job {JOBS[DAMAGED]}: state 'EXPEDITING' is unknown to this version" in note
    again = services.snapshot("alice", focus_job_id=JOBS[DAMAGED])
    assert again.notes == first.notes, "the same notes: the dashboard tells them once"


def test_a_hostile_row_is_said_inert(caplog: pytest.LogCaptureFixture) -> None:
    def hostile(rows: list[list[str]]) -> None:
        for cells in rows:
            if cells[0] == JOBS[DAMAGED]:
                cells[5] = "\x1b]0;pwned\x07[@click=app.quit]"

    caplog.set_level(logging.INFO)
    client = SlurmClient(runner=CapturedSacct(hostile))
    client.accounting(list(JOBS.values()))
    (line,) = said(caplog)
    assert "\x1b" not in line and "\x07" not in line and "\\x1b]0;pwned\\x07" in line
    assert all("\x1b" not in str(p) for p in client.said_problems)
