"""The registry's files and directories: private locks whatever the umask, a team's setgid
directory left as it is, the supervisor log private, statuses() reading only what changed, and a
registry path that cannot be a registry refused in one line by every command."""

from __future__ import annotations

import grp
import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from app.registry import Registry, RegistryError, store
from app.supervisor.lease import start_detached
from tests.conftest import VENV
from tests.events import record
from tests.unit.test_registry import make_spec


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_locks_are_private_whatever_the_registry_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGRUN_UMASK", "022")  # a registry colleagues may read
    reg = Registry(tmp_path / "home")
    reg.create_chain(make_spec())
    with reg.chain_lock("c1"):
        pass
    assert mode(reg.chain_dir("c1")) == 0o755 and mode(reg.chain_dir("c1") / "spec.json") == 0o644
    assert mode(reg.locks_dir) == 0o700
    assert [p.name for p in reg.locks_dir.iterdir()] == ["chain-c1"]
    assert mode(reg.locks_dir / "chain-c1") == 0o600
    assert not (reg.chain_dir("c1") / "lock").exists(), "no lock where colleagues can open it"


def test_a_loose_lock_left_by_an_older_version_is_made_private(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    os.chmod(reg.locks_dir, 0o755)
    (reg.locks_dir / "chain-c1").touch(mode=0o644)
    os.chmod(reg.locks_dir / "chain-c1", 0o644)
    with reg.chain_lock("c1"):
        assert mode(reg.locks_dir / "chain-c1") == 0o600
    reg.ensure_dirs()
    assert mode(reg.locks_dir) == 0o700


def test_a_locks_directory_of_someone_else_is_refused(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec())
    os.chown(reg.locks_dir, 54321, 54321)
    with pytest.raises(RegistryError, match="belongs to uid 54321"):
        reg.ensure_dirs()


def test_ensure_dirs_keeps_a_teams_setgid_directory_as_it_is(tmp_path: Path) -> None:
    group = grp.getgrnam("hpcusers").gr_gid if "hpcusers" in {g.gr_name for g in grp.getgrall()} else 54321
    home = tmp_path / "team"
    home.mkdir()
    os.chown(home, -1, group)
    os.chmod(home, 0o2770)  # a team's shared directory: setgid, group-writable, on purpose
    reg = Registry(home)
    reg.ensure_dirs()
    reg.create_chain(make_spec())
    info = os.stat(home)
    assert stat.S_IMODE(info.st_mode) == 0o2770 and info.st_gid == group
    for created in (reg.chains_dir, reg.supervisor_dir, reg.chain_dir("c1")):
        assert os.stat(created).st_mode & stat.S_ISGID and os.stat(created).st_gid == group, created
    assert mode(reg.chains_dir) & 0o777 == 0o750


def test_the_supervisor_log_is_private_under_umask_002(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{VENV}/bin:{os.environ['PATH']}")
    reg = Registry(tmp_path)
    old = os.umask(0o002)
    try:
        pid = start_detached(reg)
    finally:
        os.umask(old)
    try:
        assert mode(reg.supervisor_dir / "log") == 0o600
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


def test_statuses_read_only_the_chains_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = Registry(tmp_path)
    for n in range(20):
        reg.create_chain(make_spec(f"c{n:02d}"))
    reads: list[str] = []
    real = store.Registry.read_events

    def counting(self: Registry, chain_id: str) -> list[object]:
        reads.append(chain_id)
        return real(self, chain_id)  # type: ignore[return-value]

    monkeypatch.setattr(store.Registry, "read_events", counting)
    first = reg.statuses()
    assert len(first.chains) == 20 and len(reads) == 20
    reads.clear()
    assert reg.statuses().chains == first.chains and reads == []
    record(reg, "c07", "reinit", by="alice")
    again = reg.statuses()
    assert reads == ["c07"] and again.chains["c07"].reason == "reinit by alice"
    os.chmod(reg.chain_dir("c03") / "events.jsonl", 0o600)  # a change of mode is a change too (ctime)
    reads.clear()
    reg.statuses()
    assert reads == ["c03"]


def test_a_chain_is_never_seen_half_created_or_half_deleted(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.create_chain(make_spec("c1"))
    (reg.chains_dir / ".new-c2-0000").mkdir()  # a creation in progress
    (reg.chains_dir / ".deleted-c3-0000").mkdir()  # a deletion in progress
    assert reg.chain_ids() == ["c1"] and not reg.statuses().damaged
    reg.delete_chain("c1")
    assert reg.chain_ids() == [] and not (reg.locks_dir / "chain-c1").exists()


@pytest.mark.parametrize(
    "argv",
    [["status"], ["status", "--json"], ["submit", "--time=1", "JOB"], ["supervise"], ["cancel", "abc"],
     ["resubmit", "abc"], ["workflow", "status", "wf"]],
)  # fmt: skip
def test_a_registry_path_that_is_a_file_is_one_clear_line(tmp_path: Path, argv: list[str]) -> None:
    home = tmp_path / "registry"
    home.write_text("I am a file\n")
    job = tmp_path / "job.sh"
    job.write_text("#!/bin/sh\n")
    argv = [str(job) if a == "JOB" else a for a in argv]
    env = {**os.environ, "LONGRUN_HOME": str(home), "LONGRUN_NO_AUTOSTART": "1"}
    proc = subprocess.run([str(VENV / "bin" / "longrun"), *argv], capture_output=True, text=True, timeout=60, env=env,
                          cwd=tmp_path)  # fmt: skip
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(home) in errors[0], proc.stderr
