"""A colleague's chains on a site with private groups (Debian's default), on the real cluster.

alice and bob each have a private group and the default umask; both are in `hpcusers`. Their
registries follow a team layout (LONGRUN_HOME=<team dir>/%u/reg), so each finds the other's.
bob's chains that alice may not read come from Slurm accounting, one by one, merged with those
she may read; LONGRUN_GROUP shares new chains, `longrun share` the older ones.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_as, wait_until
from tests.slurm.chain_helpers import copy_job
from tests.slurm.team import TEAM_GROUP, cancel_team_jobs, make_team, team_longrun


@pytest.fixture
def team() -> Iterator[Path]:
    root = make_team()
    yield root
    cancel_team_jobs(root)


longrun = team_longrun


def bob_submits(root: Path, *argv: str, env: dict[str, str] | None = None) -> str:
    job = copy_job(root / "bob", "trap_job.sh", "bob")
    proc = longrun("bob", root, "submit", "--json", *argv, "--time=5", "-o", f"{root}/bob/%j.out", str(job), "300",
                   env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return str(json.loads(proc.stdout)["chain_id"])


def alice_views_bob(root: Path) -> tuple[dict[str, dict[str, Any]], str]:
    proc = longrun("alice", root, "status", "--user", "bob", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return {c["chain_id"]: c for c in json.loads(proc.stdout)}, proc.stderr


def job_names(root: Path) -> dict[str, str]:
    """chain id -> Slurm job name of bob's queued jobs of this test."""
    out = subprocess.run(["squeue", "-h", "-u", "bob", "-o", "%k|%j|%Z"], capture_output=True, text=True, timeout=30)
    names = {}
    for line in out.stdout.splitlines():
        fields = line.split("|", 2)
        if len(fields) != 3:
            continue  # another test's job whose name holds a newline: not one of ours
        comment, name, workdir = fields
        if workdir.startswith(str(root)) and comment.startswith("longrun:"):
            names[comment.split(":")[1]] = name
    return names


def test_a_colleagues_private_and_shared_chains_are_merged(team: Path) -> None:
    private = bob_submits(team, "--max-restarts", "5", "--name", "private-run")
    seen, notes = alice_views_bob(team)
    assert seen[private]["owner"] == "bob" and seen[private]["read_only"] is True
    assert seen[private]["max_restarts"] is None, "rebuilt from accounting: the policy is not in Slurm"
    assert f"cannot read bob's registry ({team}/bob/reg: Permission denied)" in notes, "the right path is named"

    shared = bob_submits(team, "--max-restarts", "7", "--name", "shared-run", "-J", "own-job-name",
                         env={"LONGRUN_GROUP": TEAM_GROUP})  # fmt: skip
    seen, notes = alice_views_bob(team)
    assert seen[shared]["max_restarts"] == 7 and seen[shared]["name"] == "shared-run", "read from bob's registry"
    assert seen[private]["max_restarts"] is None and seen[private]["state"] == "RUNNING", "still there, from Slurm"
    assert f"1 of bob's chains cannot be read ({private}: Permission denied)" in notes
    assert "longrun share" in notes

    chain_dir = team / "bob" / "reg" / "chains" / shared
    info = os.stat(chain_dir)
    assert info.st_gid == _gid(TEAM_GROUP) and info.st_mode & stat.S_ISGID and stat.S_IMODE(info.st_mode) & 0o050
    for name in ("spec.json", "events.jsonl"):
        assert os.stat(chain_dir / name).st_gid == _gid(TEAM_GROUP)
    assert stat.S_IMODE(os.stat(chain_dir / "env.json").st_mode) == 0o600, "the environment stays private"
    assert job_names(team) == {private: "private-run", shared: "own-job-name"}, "--name names the job unless -J"

    proc = longrun("bob", team, "share", "--group", TEAM_GROUP)
    assert proc.returncode == 0, proc.stderr
    assert f"given to group {TEAM_GROUP}" in proc.stdout
    seen, notes = alice_views_bob(team)
    assert seen[private]["max_restarts"] == 5 and seen[shared]["max_restarts"] == 7
    assert notes == "", "everything readable: no note, no Slurm accounting needed"
    assert stat.S_IMODE(os.stat(team / "bob" / "reg" / "chains" / private / "env.json").st_mode) == 0o600


def test_one_damaged_colleague_chain_does_not_hide_the_others(team: Path) -> None:
    first = bob_submits(team, "--name", "first", env={"LONGRUN_GROUP": TEAM_GROUP})
    second = bob_submits(team, "--name", "second", env={"LONGRUN_GROUP": TEAM_GROUP})
    spec = team / "bob" / "reg" / "chains" / second / "spec.json"
    # damaged only once its link runs: inside Slurm a link whose chain is damaged before it starts never
    # runs its work (and would be seen ended); a loaded machine may start it late
    events_file = spec.parent / "events.jsonl"
    wait_until(lambda: '"work_started"' in events_file.read_text(), timeout=300, interval=1, what="the link's work")
    run_as("bob", ["sh", "-c", f"echo '{{garbage' > {spec}"], timeout=30)
    seen, notes = alice_views_bob(team)
    assert seen[first]["name"] == "first" and seen[first]["read_only"] is True
    assert seen[second]["state"] == "RUNNING", "the damaged one comes from Slurm"
    assert f"bob's chain {second}:" in notes and "not valid JSON" in notes


def _gid(group: str) -> int:
    import grp

    return grp.getgrnam(group).gr_gid
