"""The supervisor on the real cluster against faults of its own machine (issue 16 items 7 and 9),
with supervised chains (`--mode supervisor`: the supervisor decides and submits):
killed between recording a link's end and deciding, and a registry on a full file system. In
both the chain completes, with no link lost and none twice."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_user_dir, wait_until
from tests.slurm.chain_helpers import (
    copy_job,
    events,
    final_state,
    stop,
    submit,
    submitted_ids,
    supervise_in_foreground,
)

QUIET = {"LONGRUN_NO_AUTOSTART": "1"}  # the tests run their own supervisors


@pytest.fixture
def chain_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    yield make_user_dir("alice", request.node.name[:30])


def decisions(directory: Path, chain_id: str) -> list[tuple[int, str]]:
    return [(e["attempt"], e["outcome"]) for e in events(directory, chain_id) if e["type"] == "decision"]


def test_a_crash_between_a_links_end_and_its_decision_is_decided_on_restart(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "first_link_exits.sh", "alice")
    chain_id, first = submit("alice", chain_dir, "--mode", "supervisor", "--min-link-seconds", "0", "--time=1", "-o",
                             str(chain_dir / "%j.out"), str(job), "3", env=QUIET)  # fmt: skip
    crashing = supervise_in_foreground("alice", chain_dir, env={"LONGRUN_TEST_CRASH_AFTER_END": "1"})
    try:
        assert crashing.wait(timeout=300) == 98, "the hook kills the supervisor right after recording the end"
    finally:
        stop(crashing)
    ends = [e for e in events(chain_dir, chain_id) if e["type"] == "observed_end"]
    assert [(e["job_id"], e["ending"]) for e in ends] == [(first, "exit 75")] and decisions(chain_dir, chain_id) == []
    restarted = supervise_in_foreground("alice", chain_dir)
    try:
        chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=300, interval=2, what="done")
    finally:
        stop(restarted)
    assert isinstance(chain, dict) and chain["state"] == "DONE", chain
    assert decisions(chain_dir, chain_id) == [(1, "continue"), (2, "finished")]
    ids = submitted_ids(chain_dir, chain_id)
    assert len(ids) == 2 == len(set(ids)) and ids[0] == first


@contextlib.contextmanager
def tiny_file_system(path: Path, owner: str) -> Iterator[Path]:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(path)], check=True, timeout=30)
    try:
        subprocess.run(["chown", owner, str(path)], check=True, timeout=30)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=60)


def fill(path: Path, events_file: Path) -> Path:
    """Fill the file system at path to the last byte; the filler file is returned (remove it to free space).

    The event log is first padded with blank lines (readers skip them) to a whole number of blocks:
    otherwise the next append would still fit the file's last, partly used block.
    """
    block = os.statvfs(path).f_bsize
    with open(events_file, "ab") as fh:
        fh.write(b"\n" * (-events_file.stat().st_size % block))
    filler = path / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k"], capture_output=True, timeout=60)
    with contextlib.suppress(OSError), open(filler, "ab") as fh:  # the last partial block
        while True:
            fh.write(b"\0")
            fh.flush()
    return filler


def test_a_full_disk_never_ends_the_supervisor_nor_loses_a_chain(chain_dir: Path) -> None:
    job = copy_job(chain_dir, "first_link_exits.sh", "alice")
    with tiny_file_system(chain_dir / "reg", "alice") as home:
        chain_id, first = submit("alice", chain_dir, "--mode", "supervisor", "--min-link-seconds", "0", "--time=1",
                                 "-o", str(chain_dir / "%j.out"), str(job), "3", env=QUIET)  # fmt: skip
        filler = fill(home, home / "chains" / chain_id / "events.jsonl")
        supervisor = supervise_in_foreground("alice", chain_dir)  # its output goes outside the full disk
        try:
            log = chain_dir / "supervisor.out"
            wait_until(lambda: "cannot write the registry" in log.read_text(), timeout=300, interval=1,
                       what="the supervisor to meet the full disk")  # fmt: skip
            assert supervisor.poll() is None, "a full disk must not end the supervisor"
            assert decisions(chain_dir, chain_id) == [], "nothing half-written is taken for a decision"
            filler.unlink()
            chain = wait_until(lambda: final_state("alice", chain_dir, chain_id), timeout=300, interval=2,
                               what="done once there is space")  # fmt: skip
            assert supervisor.poll() is None
        finally:
            stop(supervisor)
        assert isinstance(chain, dict) and chain["state"] == "DONE", chain
        assert decisions(chain_dir, chain_id) == [(1, "continue"), (2, "finished")]
        ids = submitted_ids(chain_dir, chain_id)
        assert len(ids) == 2 == len(set(ids)) and ids[0] == first
        assert "Traceback" not in log.read_text()
