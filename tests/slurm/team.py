"""Two test users sharing a team layout: <root>/alice and <root>/bob, registries in <root>/%u/reg.

Each user keeps the private group and default umask of a new account; `hpcusers` is the group
both are in (what LONGRUN_GROUP names to share).
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import WORK_ROOT, make_user_dir, run_as
from tests.slurm.chain_helpers import stop_supervisor

TEAM_GROUP = "hpcusers"
USERS = ("alice", "bob")


def make_team() -> Path:
    WORK_ROOT.mkdir(mode=0o777, exist_ok=True)
    root = WORK_ROOT / f"team-{uuid.uuid4().hex[:8]}"
    root.mkdir(mode=0o755)
    for user in USERS:
        (root / user).mkdir(mode=0o755)
        shutil.chown(root / user, user, user)
    return root


def cancel_team_jobs(root: Path) -> None:
    """Cancel the queued jobs of this team directory only (found by their working directory)."""
    for user in USERS:
        cancel_jobs_in(user, root)


def team_longrun(
    user: str, root: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {"LONGRUN_HOME": f"{root}/%u/reg", "LONGRUN_NO_AUTOSTART": "1", **(env or {})}
    return run_as(user, ["longrun", *argv], cwd=root / user, env=full, timeout=120)


def cancel_jobs_in(user: str, directory: Path) -> None:
    """Cancel `user`'s queued jobs whose working directory is under `directory` (a test's own)."""
    jobs = subprocess.run(["squeue", "-h", "-u", user, "-o", "%i %Z"], capture_output=True, text=True, timeout=30)
    mine = [line.split()[0] for line in jobs.stdout.splitlines() if str(directory) in line]
    if mine:
        run_as(user, ["scancel", *mine], timeout=30)


def user_test_dir(user: str, label: str) -> Iterator[Path]:
    """A test's own directory for `user` (registry under reg/); afterwards its supervisor is stopped
    and its jobs cancelled."""
    path = make_user_dir(user, label)
    yield path
    stop_supervisor(path)
    cancel_jobs_in(user, path)
