"""The registry on disk: atomic chain records, append-only event logs, torn lines, corruption, modes."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.model.chain import ChainSpec, ChainState
from app.model.policy import Policy
from app.model.units import MemorySize
from app.registry import CorruptRecord, Registry, RegistryError, UnknownChain, derive, needs_submission, upstream_block
from app.registry.event_json import decode_event
from app.registry.events import CancelRequested, ChainEvent, SubmitIntent, Submitted


def make_spec(chain_id: str = "c1", **kw: object) -> ChainSpec:
    base: dict[str, object] = dict(
        chain_id=chain_id, name="train", owner="alice", script="/x/job.sh", args=("a",),
        sbatch_options=("--time=1", "--signal=B:TERM@30"), workdir="/x",
        policy=Policy(max_restarts=3, grow_mem_factor=1.5, grow_mem_cap=MemorySize.parse("4G")),
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    base.update(kw)
    return ChainSpec(**base)  # type: ignore[arg-type]


def test_spec_round_trip_and_modes(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "home")
    spec = make_spec()
    reg.create_chain(spec, env={"PATH": "/bin"})
    assert reg.load_spec("c1") == spec
    assert reg.chain_ids() == ["c1"]
    assert stat.S_IMODE(os.stat(reg.chain_dir("c1")).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(reg.chain_dir("c1") / "spec.json").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(reg.chain_dir("c1") / "env.json").st_mode) == 0o600
    assert reg.load_env("c1") == {"PATH": "/bin"}
    # no temporary files left behind by the atomic write
    assert sorted(p.name for p in reg.chain_dir("c1").iterdir()) == ["env.json", "events.jsonl", "spec.json"]


def test_a_registry_others_can_write_is_tightened_or_refused(tmp_path: Path) -> None:
    """Whoever can write chains/ can plant a chain the owner's supervisor submits as the owner."""
    own = tmp_path / "own"
    (own / "chains").mkdir(parents=True, mode=0o777)
    os.chmod(own / "chains", 0o2777)  # umask 002 or a chmod; a setgid bit a team set stays
    Registry(own).ensure_dirs()
    assert stat.S_IMODE(os.stat(own / "chains").st_mode) == 0o2755
    if os.geteuid() != 0:
        pytest.skip("making a colleague's directory needs root (chown)")
    theirs = tmp_path / "theirs"
    (theirs / "chains").mkdir(parents=True)
    os.chown(theirs, 1, 1)  # daemon: anyone but us
    with pytest.raises(RegistryError, match=r"belongs to .*not to you"):
        Registry(theirs).ensure_dirs()
    reg = Registry(tmp_path / "home")
    reg.create_chain(make_spec("planted"))
    os.chown(reg.chain_dir("planted"), 1, 1)
    with pytest.raises(CorruptRecord, match="not to the registry's owner"):
        reg.load_spec("planted")
    assert [d.chain_id for d in reg.statuses().damaged] == ["planted"]


def test_umask_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGRUN_UMASK", "077")
    reg = Registry(tmp_path / "home")
    reg.create_chain(make_spec())
    assert stat.S_IMODE(os.stat(reg.chain_dir("c1") / "spec.json").st_mode) == 0o600
    monkeypatch.setenv("LONGRUN_UMASK", "zz")
    with pytest.raises(RegistryError, match="octal"):
        Registry(tmp_path / "other")


def test_events_append_and_torn_last_line(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    reg.append("c1", SubmitIntent(attempt=1))
    reg.append("c1", Submitted(attempt=1, job_id="42"))
    with open(reg.chain_dir("c1") / "events.jsonl", "ab") as fh:
        fh.write(b'{"type": "observed_end", "att')  # writer killed mid-append
    events = reg.read_events("c1")
    assert [e.KIND for e in events] == ["created", "submit_intent", "submitted"]
    status = derive(reg.load_spec("c1"), events)
    assert status.state is ChainState.RUNNING and status.live_link is not None
    assert status.live_link.job_id == "42"
    # the next append cuts the torn fragment off instead of burying it mid-file
    reg.append("c1", CancelRequested(by="x"))
    assert [e.KIND for e in reg.read_events("c1")][-2:] == ["submitted", "cancel_requested"]


def test_corrupt_middle_line_is_a_typed_error(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    with open(reg.chain_dir("c1") / "events.jsonl", "ab") as fh:
        fh.write(b"garbage\n")
    reg.append("c1", CancelRequested(by="x"))
    with pytest.raises(CorruptRecord, match="line 2"):
        reg.read_events("c1")


@pytest.mark.parametrize("line", [b'{"no_type": 1}', b"[1, 2]", b'{"type": "a"}, {"type": "b"}', b"\xff\xfe"])
def test_a_middle_line_that_is_not_one_event_is_a_typed_error(tmp_path: Path, line: bytes) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    with open(reg.chain_dir("c1") / "events.jsonl", "ab") as fh:
        fh.write(line + b"\n")
    reg.append("c1", CancelRequested(by="x"))
    with pytest.raises(CorruptRecord, match="line 2"):
        reg.read_events("c1")


def test_corrupt_spec_and_unknown_chain(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    (reg.chain_dir("c1") / "spec.json").write_text("{not json")
    with pytest.raises(CorruptRecord, match=r"spec\.json"):
        reg.load_spec("c1")
    with pytest.raises(UnknownChain):
        reg.load_spec("nope")
    with pytest.raises(UnknownChain):
        reg.chain_dir("../etc")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    path = reg.chain_dir("c1") / "spec.json"
    data = json.loads(path.read_text())
    data["schema"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(CorruptRecord, match="newer"):
        reg.load_spec("c1")


def test_read_only_registry_refuses_writes(tmp_path: Path) -> None:
    Registry(tmp_path).create_chain(make_spec())
    ro = Registry(tmp_path, read_only=True)
    assert ro.load_spec("c1").name == "train"
    with pytest.raises(RegistryError, match="read-only"):
        ro.append("c1", CancelRequested(by="x"))


def test_lock_is_exclusive(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    with reg.chain_lock("c1"), pytest.raises(RegistryError, match="locked"):
        # flock locks are per open file description: a second open in the same process conflicts
        with reg.chain_lock("c1", timeout=0.2):
            pass


def ev(kind: str, **fields: object) -> ChainEvent:
    return decode_event({"type": kind, "t": "2026-01-01T00:00:00+00:00", **fields})


def test_derive_full_story() -> None:
    spec = make_spec()
    events = [
        ev("created"),
        ev("submit_intent", attempt=1, options=[]),
        ev("submitted", attempt=1, job_id="10"),
        ev("observed_end", attempt=1, job_id="10", state="TIMEOUT", exit="0:0", elapsed=65, time_limit=60),
        ev("decision", attempt=1, outcome="continue", reason="time limit"),
    ]
    st = derive(spec, events)
    assert st.state is ChainState.CONTINUING and st.live_link is None
    assert needs_submission(st)
    events += [ev("submit_intent", attempt=2, options=[])]
    st = derive(spec, events)
    assert st.state is ChainState.RUNNING and st.live_link is not None and st.live_link.job_id is None
    events += [ev("intent_lost", attempt=2), ev("submit_intent", attempt=2, options=[])]
    events += [ev("submitted", attempt=2, job_id="11")]
    st = derive(spec, events)
    assert [link.job_id for link in st.links] == ["10", "11"] and st.restarts_used == 1
    events += [
        ev("observed_end", attempt=2, job_id="11", state="OUT_OF_MEMORY", exit="0:125"),
        ev("decision", attempt=2, outcome="needs_person", reason="out of memory"),
    ]
    st = derive(spec, events)
    assert st.state is ChainState.STOPPED and st.reason == "out of memory"
    events += [ev("reinit", by="alice")]
    st = derive(spec, events)
    assert st.state is ChainState.CONTINUING and st.restart_base == 2 and st.restarts_used == 0


def test_derive_grown_memory_and_cancel() -> None:
    spec = make_spec()
    events = [
        ev("submit_intent", attempt=1, options=[]),
        ev("submitted", attempt=1, job_id="10"),
        ev("observed_end", attempt=1, job_id="10", state="OUT_OF_MEMORY", exit="0:125"),
        ev("decision", attempt=1, outcome="continue", reason="grow", new_memory=MemorySize.parse("768M").bytes),
    ]
    st = derive(spec, events)
    assert st.next_options == ("--mem=768M",)
    st = derive(spec, [*events, ev("cancel_requested", by="alice")])
    assert st.state is ChainState.STOPPED and st.cancel_requested and not needs_submission(st)


def test_upstream_block() -> None:
    stopped = ev("decision", attempt=1, outcome="needs_person", reason="out of memory")
    up = derive(make_spec("u", name="prep"), [stopped])
    down = derive(make_spec("d", depends_on=("u",)), [])
    ready, why = upstream_block(down, {"u": up}.get)
    assert not ready and why == "upstream prep stopped: out of memory"
    done = derive(make_spec("u", name="prep"), [ev("decision", attempt=1, outcome="finished", reason="completed")])
    assert upstream_block(down, {"u": done}.get) == (True, None)
    running = derive(make_spec("u", name="prep"), [ev("submit_intent", attempt=1)])
    assert upstream_block(down, {"u": running}.get) == (False, "waiting for upstream prep")
