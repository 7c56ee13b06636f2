"""The supervisor against faults that are not Slurm's: a chain lock someone holds, an end recorded
without its decision (a crash in between), a full disk, and its liveness told by its lock."""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from pathlib import Path

import pytest

from app.model.chain import ChainSpec, ChainState
from app.model.policy import Policy
from app.registry import Registry, RegistryWriteError
from app.slurm.client import SlurmClient
from app.supervisor import engine
from app.supervisor.engine import FAST_POLL, Supervisor
from app.supervisor.lease import Lease, heartbeat_path, supervisor_alive, write_heartbeat
from tests.events import record


def ended_chain(reg: Registry, chain_id: str, state: str = "FAILED", exit_status: str = "3:0", **end: object) -> None:
    """A chain whose first link's end is recorded but not decided: what a crash in between leaves."""
    spec = ChainSpec(chain_id=chain_id, name=chain_id, owner="alice", script="/bin/true", workdir=str(reg.home),
                     policy=Policy(max_restarts=0))  # fmt: skip
    reg.create_chain(spec)
    record(reg, chain_id, "submit_intent", attempt=1)
    record(reg, chain_id, "submitted", attempt=1, job_id="41")
    record(reg, chain_id, "observed_end", attempt=1, job_id="41", state=state, exit=exit_status, elapsed=5, **end)


def test_an_end_recorded_without_its_decision_is_decided_on_the_next_cycle(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    ended_chain(reg, "failed")
    ended_chain(reg, "timeout", state="TIMEOUT", exit_status="0:0", time_limit=60, ending="TIMEOUT")
    ended_chain(reg, "gone", state="UNKNOWN", exit_status="0:0", ending="vanished")
    before = {cid: reg.status(cid) for cid in ("failed", "timeout", "gone")}
    assert all(s.state is ChainState.RUNNING and s.live_link is None for s in before.values()), "stuck before"
    slurm = SlurmClient()
    report = Supervisor(reg, slurm, "alice").cycle()
    assert report.ended == 3 and slurm.calls == 0
    assert reg.status("failed").state is ChainState.STOPPED and reg.status("failed").reason == "failed with exit code 3"
    timeout = reg.status("timeout")
    assert timeout.state is ChainState.STOPPED and "restart limit reached (0) after time limit" in (
        timeout.reason or ""
    )
    gone = reg.status("gone")
    assert gone.state is ChainState.STOPPED and "unknown to sacct and squeue" in (gone.reason or "")
    assert Supervisor(reg, slurm, "alice").cycle().ended == 0, "decided once"


def test_a_chain_whose_lock_is_held_is_skipped_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine, "LOCK_WAIT", 0.2)
    reg = Registry(tmp_path)
    ended_chain(reg, "stuck")
    ended_chain(reg, "free")
    sup = Supervisor(reg, SlurmClient(), "alice")
    with reg.chain_lock("stuck"), caplog.at_level(logging.WARNING, logger="longrun.supervisor"):
        started = time.monotonic()
        report = sup.cycle()
        took = time.monotonic() - started
    assert report.ended == 1 and report.next_poll == FAST_POLL
    assert reg.status("free").state is ChainState.STOPPED
    assert reg.status("stuck").undecided_link is not None
    assert any("stuck: skipped this cycle" in r.getMessage() and "locked" in r.getMessage() for r in caplog.records)
    assert took < 25, "one held lock must not cost the cycle the whole lock timeout"
    assert sup.cycle().ended == 1 and reg.status("stuck").state is ChainState.STOPPED


def test_a_full_disk_backs_off_keeps_every_chain_and_recovers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = Registry(tmp_path)
    ended_chain(reg, "c1")
    real_write = os.write
    full = True

    def write(fd: int, data: bytes | memoryview) -> int:
        if full and os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path)):  # only the registry's disk
            if len(data) > 10:
                return real_write(fd, bytes(data)[:10])  # a full disk takes part of the line...
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # ...then nothing
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    sup = Supervisor(reg, SlurmClient(), "alice")
    with pytest.raises(RegistryWriteError, match="No space left on device"):
        sup.cycle()
    delays: list[float] = []
    rounds = iter(range(3))
    sup.run(lambda: next(rounds, None) is None, delays.append)
    assert len(delays) == 3 and delays == sorted(delays) and delays[0] >= 5, "backs off, never exits"
    full = False
    assert reg.status("c1").undecided_link is not None, "the torn part of the line is not an event"
    sup.cycle()
    status = reg.status("c1")
    assert status.state is ChainState.STOPPED and status.reason == "failed with exit code 3"
    assert (
        sum(1 for line in (reg.chain_dir("c1") / "events.jsonl").read_bytes().splitlines() if b"decision" in line) == 1
    )


def test_liveness_is_the_lock_not_the_heartbeat_age(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    assert not supervisor_alive(reg)
    lease = Lease(reg)
    write_heartbeat(reg)
    assert supervisor_alive(reg)
    lease.release()  # what kill -9 does to the lock; the heartbeat is seconds old
    assert json.loads(heartbeat_path(reg).read_text())["time"] > time.time() - 60
    assert not supervisor_alive(reg), "a dead supervisor is reported down at once"


def test_an_older_supervisor_counts_only_with_its_own_fresh_heartbeat(tmp_path: Path) -> None:
    """Before the private lock, supervisor/lock was the lock: during an upgrade an old supervisor
    may hold it. A colleague holding that file (it was group-readable) must count for nothing."""
    import fcntl

    reg = Registry(tmp_path)
    reg.ensure_dirs()
    fd = os.open(reg.supervisor_dir / "lock", os.O_RDONLY | os.O_CREAT, 0o640)
    fcntl.flock(fd, fcntl.LOCK_EX)  # held, as by a colleague or by an old supervisor
    try:
        assert not supervisor_alive(reg)
        Lease(reg).release()  # a new supervisor may start
        old = {"pid": 1, "time": time.time(), "host": "x"}  # an old version's heartbeat: no "lock" field
        heartbeat_path(reg).write_text(json.dumps(old))
        assert supervisor_alive(reg)
        with pytest.raises(Exception, match="older longrun"):
            Lease(reg)
        write_heartbeat(reg)  # a new version's heartbeat
        assert not supervisor_alive(reg)
    finally:
        os.close(fd)


def test_a_write_refused_for_one_chain_only_skips_that_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission trouble in one chain's directory is that chain's problem; a full disk is everyone's."""
    reg = Registry(tmp_path)
    ended_chain(reg, "locked-out")
    ended_chain(reg, "fine")
    real_open = os.open

    def refusing(path: str | os.PathLike[str], flags: int, mode: int = 0o777, **kw: object) -> int:
        if "locked-out/events.jsonl" in str(path) and flags & os.O_APPEND:
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        return real_open(path, flags, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing)
    report = Supervisor(reg, SlurmClient(), "alice").cycle()
    assert report.ended == 2 and reg.status("fine").state is ChainState.STOPPED
    assert reg.status("locked-out").undecided_link is not None
