"""Typed chain events: every kind round-trips, registries written before typed events read the
same, every field is checked (a damaged field names its file and line), and kinds of a newer
version are kept, reported and never acted on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.model.chain import ChainState
from app.model.exit_status import ExitStatus
from app.model.outcome import LinkOutcome
from app.model.states import JobState
from app.registry import CorruptRecord, Registry, derive
from app.registry.event_json import decode_event, encode_event
from app.registry.events import (
    KINDS,
    Archived,
    Cancelled,
    CancelRequested,
    Created,
    Decision,
    EventError,
    IntentLost,
    LinkExited,
    Notified,
    ObservedEnd,
    Reinit,
    ResubmitRequested,
    RunRefused,
    SettingsChanged,
    StopRequested,
    SubmitFailed,
    SubmitIntent,
    Submitted,
    Unarchived,
    UnknownEvent,
    Withdrawn,
    WorkStarted,
)
from app.supervisor.engine import watched
from tests.conftest import VENV
from tests.unit.test_registry import make_spec

CAPTURES = Path(__file__).parents[1] / "captures" / "registry_v1"
T = datetime(2026, 12, 1, 16, 48, 41, 888974, tzinfo=UTC)

EVERY_KIND = [
    Created(t=T),
    SubmitIntent(attempt=1, options=("--mem=256M",), progress=(1764607721000000000, 42), t=T),
    Submitted(attempt=1, job_id="23", recovered=True, t=T),
    IntentLost(attempt=2, t=T),
    SubmitFailed(attempt=2, error="sbatch: error: invalid partition", t=T),
    ObservedEnd(
        attempt=1,
        job_id="23",
        state=JobState.OUT_OF_MEMORY,
        exit=ExitStatus(0, 125),
        submit=datetime(2026, 12, 1),
        start=datetime(2026, 12, 1, 0, 0, 1),
        end=datetime(2026, 12, 1, 0, 1),
        elapsed=59,
        time_limit=60,
        ending="OUT_OF_MEMORY",
        cancelled_by=None,
        req_mem=104857600,
        observed=T,
        t=T,
    ),
    Decision(attempt=1, outcome=LinkOutcome.CONTINUE, reason="out of memory: growing", new_memory=268435456, t=T),
    CancelRequested(by="alice", t=T),
    Cancelled(job_id="106", t=T),
    Reinit(by="alice", t=T),
    ResubmitRequested(by=None, t=T),
    StopRequested(by="alice", job_id="125", t=T),
    SettingsChanged(
        by="alice", given=("--mem=2G",), sbatch_options=("--time=1", "--mem=2G"), policy={"max_restarts": 10}, t=T
    ),
    Archived(by="alice", t=T),
    Unarchived(by=None, t=T),
    SubmitIntent(attempt=3, after="107", t=T),
    WorkStarted(attempt=2, job_id="107", host="lr1", t=T),
    LinkExited(attempt=2, job_id="107", exit=ExitStatus(75, 0), t=T),
    Withdrawn(job_id="108", reason="the chain stopped: completed", t=T),
    RunRefused(attempt=3, error="the job script /x changed since it was submitted", job_id="109", t=T),
    Notified(attempt=3, status=0, t=T),
]


def test_every_kind_round_trips_through_json() -> None:
    assert {type(e) for e in EVERY_KIND} == set(KINDS.values())
    for event in EVERY_KIND:
        line = json.dumps(encode_event(event), sort_keys=True)
        assert decode_event(json.loads(line)) == event


def v1_chain(tmp_path: Path, name: str) -> tuple[Registry, str]:
    """A captured chain directory, placed under its chain id in a fresh registry."""
    source = CAPTURES / name
    chain_id = json.loads((source / "spec.json").read_text())["spec"]["chain_id"]
    shutil.copytree(source, tmp_path / "chains" / chain_id)
    return Registry(tmp_path), chain_id


def link_summary(status: Any) -> list[dict[str, Any]]:
    def ts(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return [
        {
            "attempt": lk.attempt, "job_id": lk.job_id, "state": lk.state, "ended": lk.ended,
            "exit_status": str(lk.exit_status) if lk.exit_status else None, "submit": ts(lk.submit),
            "start": ts(lk.start), "end": ts(lk.end), "elapsed": lk.elapsed.seconds if lk.elapsed else None,
            "time_limit": lk.time_limit.seconds if lk.time_limit else None, "ending": lk.ending,
            "decision": lk.decision, "options": list(lk.options), "intent_at": ts(lk.intent_at),
        }
        for lk in status.links
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(p.name for p in CAPTURES.iterdir() if p.is_dir()))
def test_a_registry_written_before_typed_events_derives_the_same(tmp_path: Path, name: str) -> None:
    expected = json.loads((CAPTURES / "expected.json").read_text())[name]
    reg, chain_id = v1_chain(tmp_path, name)
    status = reg.statuses().chains[chain_id]
    assert status.state.value == expected["state"] and status.reason == expected["reason"]
    assert status.restart_base == expected["restart_base"]
    assert status.cancel_requested == expected["cancel_requested"]
    assert status.extra_link_allowed == expected["extra_link_allowed"]
    assert list(status.next_options) == expected["next_options"]
    assert link_summary(status) == expected["links"]


@pytest.mark.parametrize("name", sorted(p.name for p in CAPTURES.iterdir() if p.is_dir()))
def test_lines_written_before_typed_events_are_written_the_same_way(name: str) -> None:
    """The format stays: re-encoding a v1 line gives the same JSON (observed_end gains `req_mem`,
    `oom_step`, `mem_ask`, `req_mem_per_node`, decision `new_memory_option` and `by`, submit_intent
    `done_before`: fields written as null when unknown)."""
    for line in (CAPTURES / name / "events.jsonl").read_text().splitlines():
        original = json.loads(line)
        again = encode_event(decode_event(original))
        if original["type"] == "observed_end":
            assert again.pop("req_mem") is None
            assert [again.pop(key) for key in ("oom_step", "mem_ask", "req_mem_per_node")] == [None] * 3
        if original["type"] == "decision":
            assert again.pop("new_memory_option") is None
            assert again.pop("by") is None  # who decided came later
        if original["type"] == "submitted":
            original.setdefault("recovered", False)
        if original["type"] == "submit_intent":
            assert again.pop("done_before") is None
            assert again.pop("after") is None  # in-Slurm continuation came later
        assert again == original


def test_new_records_append_to_a_v1_registry(tmp_path: Path) -> None:
    reg, chain_id = v1_chain(tmp_path, "reinit_resubmit_live")
    before = reg.status(chain_id)
    assert before.live_link is not None and before.live_link.job_id is not None
    reg.append(chain_id, CancelRequested(by="alice"))
    after = reg.status(chain_id)
    assert after.state is ChainState.STOPPED and after.reason == "cancelled by alice" and after.cancel_requested
    assert after.links == before.links


BAD_FIELDS = [
    ({"type": "submitted", "attempt": "one", "job_id": "5"}, "submitted event: attempt must be a whole number"),
    ({"type": "submitted", "attempt": True, "job_id": "5"}, "attempt must be a whole number"),
    ({"type": "submit_intent", "attempt": 0}, "attempt must be a whole number from 1"),
    ({"type": "submitted", "attempt": 1}, "submitted event: job_id is missing"),
    ({"type": "submitted", "attempt": 1, "job_id": ""}, "job_id must be a job id"),
    ({"type": "cancelled"}, "cancelled event: job_id is missing"),
    ({"type": "decision", "attempt": 1, "outcome": "retry"}, "outcome must be one of"),
    ({"type": "decision", "attempt": 1}, "outcome is missing"),
    ({"type": "created", "t": "yesterday"}, "created event: t must be an ISO time"),
    ({"type": "observed_end", "attempt": 1, "job_id": "5", "state": "DONE"}, "state must be a Slurm job state"),
    ({"type": "observed_end", "attempt": 1, "job_id": "5", "state": "FAILED", "exit": "3"}, "exit must be CODE:SIGNAL"),
    ({"type": "observed_end", "attempt": 1, "job_id": "5", "state": "FAILED", "elapsed": -5}, "cannot be negative"),
    ({"type": "observed_end", "attempt": 1, "job_id": "5", "state": "FAILED", "end": 7}, "end must be an ISO time"),
    ({"type": "submit_intent", "attempt": 1, "options": "--mem=1G"}, "options must be a list of texts"),
    ({"type": "submit_intent", "attempt": 1, "progress": [1]}, "progress must be [mtime_ns, size]"),
    ({"type": "decision", "attempt": 1, "outcome": "continue", "new_memory": 1e400}, "must be finite"),
    ({"type": "reinit", "by": ["alice"]}, "by must be text"),
    ({"no_type": 1}, "no event type"),
    ([1, 2], "not a JSON object"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FIELDS)
def test_every_field_is_checked(data: Any, message: str) -> None:
    with pytest.raises(EventError, match=message.replace("[", r"\[").replace("]", r"\]")):
        decode_event(data)


@pytest.mark.parametrize(("data", "message"), BAD_FIELDS[:10])
def test_a_bad_field_on_disk_is_a_damaged_chain_naming_file_and_line(tmp_path: Path, data: Any, message: str) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec("bad"))
    reg.create_chain(make_spec("good"))
    with open(reg.chain_dir("bad") / "events.jsonl", "a") as fh:
        fh.write(json.dumps(data) + "\n")
    reg.append("bad", Reinit(by="alice"))  # the bad line is in the middle, not a torn tail
    with pytest.raises(CorruptRecord, match=r"events\.jsonl: line 2 is not an event"):
        reg.read_events("bad")
    found = reg.statuses()
    assert list(found.chains) == ["good"]
    (damaged,) = found.damaged
    assert damaged.chain_id == "bad" and "line 2" in damaged.problem and str(reg.chain_dir("bad")) in damaged.problem
    assert message in damaged.problem


def test_a_kind_of_a_newer_version_is_kept_reported_and_never_acted_on(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec("c1"))
    reg.append("c1", SubmitIntent(attempt=1))
    reg.append("c1", Submitted(attempt=1, job_id="41"))
    newer = {"type": "successor_queued", "t": T.isoformat(), "v": 2, "attempt": 2, "job_id": "42", "after": "41"}
    with open(reg.chain_dir("c1") / "events.jsonl", "a") as fh:
        fh.write(json.dumps(newer) + "\n")
    events = reg.read_events("c1")
    kept = UnknownEvent(kind="successor_queued", fields={"attempt": 2, "job_id": "42", "after": "41"}, t=T)
    assert events[-1] == kept
    found = reg.statuses()
    assert not found.damaged
    status = found.chains["c1"]
    assert status.unknown_kinds == ("successor_queued",)
    assert status.live_link is not None and status.live_link.job_id == "41"  # what it knows is still shown
    assert not watched(status)
    with pytest.raises(ValueError, match="never written"):
        reg.append("c1", events[-1])


def test_derive_is_the_only_replay_and_keeps_the_progress_signature_on_the_link() -> None:
    spec = make_spec()
    status = derive(spec, [SubmitIntent(attempt=1, progress=(5, 6), t=T), Submitted(attempt=1, job_id="9", t=T)])
    assert status.links[0].progress_before == (5, 6) and status.links[0].intent_at == T


def test_longrun_status_notes_a_chain_with_events_of_a_newer_version(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec("c1"))
    with open(reg.chain_dir("c1") / "events.jsonl", "a") as fh:
        fh.write(json.dumps({"type": "link_started", "v": 2, "attempt": 1, "host": "[red]x"}) + "\n")
    env = {**os.environ, "LONGRUN_HOME": str(tmp_path), "LONGRUN_NO_AUTOSTART": "1", "COLUMNS": "200"}
    proc = subprocess.run(
        [str(VENV / "bin" / "longrun"), "status"], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "note: chain c1 has events of a newer longrun (link_started)" in proc.stderr
    assert "c1" in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        ({"max_restarts": -1}, "max_restarts must be between"),
        ({"grow_mem_factor": "nan"}, "grow_mem_factor"),
        ({"colour": 1}, "has settings a policy does not have: colour"),
        ([1], "must be an object of policy settings"),
    ],
)
def test_a_settings_change_with_a_bad_policy_is_a_damaged_line(policy: object, problem: str) -> None:
    with pytest.raises(EventError, match=f"settings_changed event: policy .*{problem}"):
        decode_event({"type": "settings_changed", "by": "alice", "policy": policy})
