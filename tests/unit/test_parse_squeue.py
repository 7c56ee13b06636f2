"""The squeue parser on real captures (tests/captures/squeue_*.txt): fields, odd ids and names,
rows that cannot be read (reported, the others kept)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.model.states import JobState
from app.model.units import Duration
from app.slurm.records import QueueRecord
from app.slurm.squeue import SEPARATOR, SQUEUE_FORMAT, parse_squeue, squeue_argv
from tests.captures import capture_argv, parse_squeue_capture, squeue_delimiter


@pytest.fixture(scope="module")
def by_name() -> dict[str, QueueRecord]:
    return {r.name: r for r in parse_squeue_capture("squeue_pending_running.txt")}


@pytest.mark.parametrize("name", ["squeue_pending_running.txt", "squeue_odd_ids_and_names.txt"])
def test_capture_was_made_by_the_clients_own_argv(name: str) -> None:
    captured = capture_argv(name)
    assert captured == squeue_argv(captured[-1].split(","), None, squeue_delimiter(name))


def test_pending_row(by_name: dict[str, QueueRecord]) -> None:
    pending = by_name["lrcap-pending"]
    assert pending.state is JobState.PENDING and pending.user == "alice" and pending.partition == "debug"
    assert pending.reason == "BeginTime" and pending.node_list is None and pending.comment is None
    assert pending.time_used == Duration(0) and pending.time_limit is None and pending.time_left is None
    assert pending.submit is not None and pending.start is not None
    assert pending.start - pending.submit == timedelta(hours=1), "expected start = --begin=now+3600"


def test_held_row_has_no_expected_start(by_name: dict[str, QueueRecord]) -> None:
    held = by_name["lrcap-held"]
    assert held.reason == "JobHeldUser" and held.start is None


def test_running_rows(by_name: dict[str, QueueRecord]) -> None:
    running = by_name["lrcap-running"]
    assert running.state is JobState.RUNNING and running.node_list == "lr1" and running.reason == "None"
    assert running.time_limit == Duration(600)
    assert running.time_used is not None and running.time_left is not None
    assert running.time_used.seconds + running.time_left.seconds == 600
    assert by_name["lrcap|pipe|name"].time_limit == Duration(300)


def test_comment_of_a_users_queue() -> None:
    rows = parse_squeue_capture("squeue_user_alice.txt")
    assert all(r.user == "alice" for r in rows) and len(rows) >= 5
    timeout = next(r for r in rows if r.name == "lrcap-timeout")
    assert timeout.comment == "longrun:cap timeout" and timeout.time_limit == Duration(60)


def test_argv() -> None:
    assert squeue_argv(user="bob") == ["squeue", "-h", "-o", SQUEUE_FORMAT, "-u", "bob"]
    assert squeue_argv(["1", "2"])[-4:] == ["-t", "all", "-j", "1,2"]


def test_odd_ids_and_names_of_anyone_on_the_cluster() -> None:
    """A pending array with a limit, a heterogeneous job, and bob's jobs whose names and comment
    hold the unit separator, newlines, terminal escapes, 1,024 characters, or imitate a row."""
    rows = parse_squeue_capture("squeue_odd_ids_and_names.txt")
    assert rows.problems == () and len(rows) == 11
    ids = [r.job_id for r in rows]
    array = next(i for i in ids if "_[" in i)
    assert array.endswith("%1]") and rows[ids.index(array)].state is JobState.PENDING
    het = sorted(i for i in ids if "+" in i)
    assert len(het) == 2 and het[0].endswith("+0") and het[1].endswith("+1")
    alice = next(r for r in rows if r.name == "lrcap-alice-between")
    assert alice.user == "alice" and alice.state is JobState.PENDING and alice.comment is None
    bobs = [r for r in rows if r.user == "bob"]
    assert len(bobs) == 7 and all(r.comment == "odd \x1f comment\nline two" for r in bobs)
    assert {"lrcap-x\x1fy", "lrcap-two\nlines", "lrcap-" + "L" * 1018} <= {r.name for r in bobs}
    forged = next(r for r in bobs if r.name.startswith("lrcap-forge\n"))
    assert forged.name.startswith(f"lrcap-forge\n{alice.job_id}\x1f")


def _row(job_id: str = "7", state: str = "RUNNING", **cells: str) -> str:
    values = ["", "n", "u", state, "debug", "0:01", "10:00", "9:59", "", "", "None", "lr1", ""]
    values[0] = job_id
    return SEPARATOR.join(values)


def test_a_bad_row_is_reported_and_the_others_kept() -> None:
    too_many = SEPARATOR.join(["4"] + ["x"] * 14)
    text = "\n".join([_row("1"), _row("2", state="NOT A STATE"), too_many, _row("3")]) + "\n"
    rows = parse_squeue(text)
    assert [(r.job_id, r.state) for r in rows] == [
        ("1", JobState.RUNNING), ("2", JobState.UNKNOWN), ("3", JobState.RUNNING)
    ]  # fmt: skip
    assert [(p.job_id, p.message) for p in rows.problems] == [
        ("2", "cannot read %T"), ("4", "unreadable row: the row has other cells than asked for")
    ]  # fmt: skip
    assert rows.problems[1].text == too_many


def test_a_line_without_cells_is_the_previous_rows_last_cell() -> None:
    """What follows a newline up to the next row is text of the last cell (a comment with a newline)."""
    rows = parse_squeue("\n".join([_row("1"), "second line of the comment", _row("3")]) + "\n")
    assert [r.job_id for r in rows] == ["1", "3"] and rows[0].comment == "\nsecond line of the comment"


def test_a_state_newer_than_this_code_is_unknown_and_reported() -> None:
    rows = parse_squeue(_row("8", state="EXPEDITING") + "\n" + _row("9", state="RESV_DEL_HOLD") + "\n")
    assert [r.state for r in rows] == [JobState.UNKNOWN, JobState.RESV_DEL_HOLD]
    assert [(p.job_id, p.message) for p in rows.problems] == [("8", "state 'EXPEDITING' is unknown to this version")]


def test_a_job_printed_twice_is_not_trusted() -> None:
    rows = parse_squeue("\n".join([_row("4"), _row("4", state="COMPLETED"), _row("5")]) + "\n")
    assert [(r.job_id, r.state) for r in rows] == [("4", JobState.UNKNOWN), ("5", JobState.RUNNING)]
    assert [p.job_id for p in rows.problems] == ["4"]


@pytest.mark.parametrize(
    "text",
    ["garbage", SEPARATOR * 5, SEPARATOR.join(["1", "n", "u", "NOPE"] + [""] * 9), SEPARATOR * 12, "x" * 10_000],
)
def test_bad_text_is_a_problem_never_an_exception(text: str) -> None:
    rows = parse_squeue(text)
    assert rows.problems and all(p.command == "squeue" for p in rows.problems)
    assert all(r.state is JobState.UNKNOWN for r in rows)


def test_empty_queue() -> None:
    assert parse_squeue("") == [] and parse_squeue("\n") == []
