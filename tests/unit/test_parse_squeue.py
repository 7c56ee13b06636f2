"""The squeue parser on real captures (tests/captures/squeue_*.txt)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.model.states import JobState
from app.model.units import Duration
from app.slurm.errors import SlurmParseError
from app.slurm.records import QueueRecord
from app.slurm.squeue import SEPARATOR, SQUEUE_FORMAT, parse_squeue, squeue_argv
from tests.captures import capture_argv, capture_text


@pytest.fixture(scope="module")
def by_name() -> dict[str, QueueRecord]:
    return {r.name: r for r in parse_squeue(capture_text("squeue_pending_running.txt"))}


def test_capture_was_made_by_the_clients_own_argv() -> None:
    captured = capture_argv("squeue_pending_running.txt")
    assert captured == squeue_argv(captured[-1].split(","))


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
    rows = parse_squeue(capture_text("squeue_user_alice.txt"))
    assert all(r.user == "alice" for r in rows) and len(rows) >= 5
    timeout = next(r for r in rows if r.name == "lrcap-timeout")
    assert timeout.comment == "longrun:cap timeout" and timeout.time_limit == Duration(60)


def test_argv() -> None:
    assert squeue_argv(user="bob") == ["squeue", "-h", "-o", SQUEUE_FORMAT, "-u", "bob"]
    assert squeue_argv(["1", "2"])[-4:] == ["-t", "all", "-j", "1,2"]


@pytest.mark.parametrize(
    "text",
    ["garbage", SEPARATOR * 5, SEPARATOR.join(["1", "n", "u", "NOPE"] + [""] * 9), SEPARATOR * 12],
)
def test_bad_text_is_a_parse_error(text: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_squeue(text)


def test_empty_queue() -> None:
    assert parse_squeue("") == [] and parse_squeue("\n") == []
