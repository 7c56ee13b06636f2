"""Damaged registry files never crash anything (issue 16 items 3 and 6): each damage of the corpus
becomes one DamagedChain naming its file, skipped by the supervisor cycle (which goes on with
the others) and reported by `longrun status` (run as a real process: one line each, exit 1, no
traceback). A FIFO in place of a file never hangs a reader."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from app.model.chain import ChainState
from app.registry import Registry
from app.slurm.client import SlurmClient
from app.supervisor.engine import Supervisor
from tests.conftest import VENV
from tests.damage_corpus import DAMAGES, build, damaged_ids


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A reader that blocks (on a FIFO) fails the test instead of hanging the suite."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError("a registry read hung")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_each_damage_is_one_damaged_chain_and_the_others_stay(tmp_path: Path, damage: str) -> None:
    reg = build(tmp_path, "alice", [damage])
    found = Registry(tmp_path).statuses()
    assert list(found.chains) == ["good"]
    by_id = {d.chain_id: d.problem for d in found.damaged}
    assert set(by_id) == {"good.bak", f"dmg-{damage}"}
    assert str(reg.chains_dir / f"dmg-{damage}") in by_id[f"dmg-{damage}"], by_id
    assert "Traceback" not in by_id[f"dmg-{damage}"]


def test_a_copied_chain_directory_is_damaged_and_never_supervised(tmp_path: Path) -> None:
    reg = build(tmp_path, "alice", [])
    found = reg.statuses()
    (copy,) = found.damaged
    assert copy.chain_id == "good.bak" and "the spec is chain 'good', not 'good.bak'" in copy.problem
    sup = Supervisor(reg, SlurmClient(), "alice")
    sup.cycle()
    assert reg.status("good").state is ChainState.STOPPED
    copy_events = (reg.chains_dir / "good.bak" / "events.jsonl").read_bytes()
    assert b'"decision"' not in copy_events, "the copy is never written to"


def test_the_supervisor_cycle_skips_every_damaged_chain_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reg = build(tmp_path, "alice")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "good" not in p.parts[-2]
              and p.name != ".changes"}  # fmt: skip
    slurm = SlurmClient()
    sup = Supervisor(reg, slurm, "alice")
    with caplog.at_level(logging.INFO, logger="longrun.supervisor"):
        report = sup.cycle()
    assert report.active_chains == 1 and report.ended == 1 and slurm.calls == 0
    good = reg.status("good")
    assert good.state is ChainState.STOPPED and good.reason == "failed with exit code 3"
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    assert sorted(m.split(":")[0] for m in skipped) == sorted(f"skipping chain {c}" for c in damaged_ids())
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="longrun.supervisor"):
        sup.cycle()
    assert not [r for r in caplog.records if r.getMessage().startswith("skipping")], "logged once, not every cycle"
    after = {p: p.read_bytes() for p in before}
    assert after == before, "damaged files are left as they are"


def test_longrun_status_names_each_damaged_chain_without_a_traceback(tmp_path: Path) -> None:
    build(tmp_path, os.environ.get("USER", "root"))
    env = {**os.environ, "LONGRUN_HOME": str(tmp_path), "LONGRUN_NO_AUTOSTART": "1", "COLUMNS": "200"}
    proc = subprocess.run(
        [str(VENV / "bin" / "longrun"), "status"], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: chain ")]
    named = {line.split()[2].rstrip(":") for line in lines}
    assert named == damaged_ids(), proc.stderr
    assert "good" in proc.stdout and "STOPPED" not in proc.stdout  # good's end is not decided yet: RUNNING


def test_longrun_workflow_status_reports_damaged_chains_the_same_way(tmp_path: Path) -> None:
    build(tmp_path, os.environ.get("USER", "root"), ["schema_abc"])
    env = {**os.environ, "LONGRUN_HOME": str(tmp_path), "LONGRUN_NO_AUTOSTART": "1", "COLUMNS": "200"}
    proc = subprocess.run(
        [str(VENV / "bin" / "longrun"), "workflow", "status", "wf"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    named = {line.split()[2].rstrip(":") for line in proc.stderr.splitlines() if line.startswith("error: chain ")}
    assert named == {"good.bak", "dmg-schema_abc"}, proc.stderr
