"""The installed `longrun-tui` in a real terminal (tmux): it starts, shows live data, and quits on `q`."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import VENV, make_user_dir, run_as, wait_until, write_script

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def tmux(*argv: str) -> str:
    proc = subprocess.run(["tmux", *argv], capture_output=True, text=True, timeout=15)
    return proc.stdout


@pytest.fixture
def session() -> Iterator[str]:
    name = f"lrtui-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=15)


def test_dashboard_shows_a_running_job_and_quits(session: str) -> None:
    workdir = make_user_dir("alice", "tmux")
    tag = f"tmux{uuid.uuid4().hex[:6]}"
    script = write_script(workdir, f"{tag}.sh", "#!/bin/bash\nsleep 120\n", owner="alice")
    sbatch = ["sbatch", "--parsable", "-J", tag, "-t", "3", "-D", str(workdir), "-o", f"{workdir}/%j.out", str(script)]
    job_id = run_as("alice", sbatch, check=True).stdout.strip()
    try:
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
             str(VENV / "bin" / "longrun-tui"), "--user", "alice", "--interval", "2")  # fmt: skip
        screen = wait_until(
            lambda: (text := tmux("capture-pane", "-p", "-t", session)) and tag in text and "viewing alice" in text
            and text, timeout=30, interval=0.5, what=f"job {tag} on the dashboard",
        )  # fmt: skip
        assert isinstance(screen, str)
        row = next(line for line in screen.splitlines() if tag in line)
        assert job_id in row
        assert "RUNNING" in row or "PENDING" in row
        assert "Traceback" not in screen
        tmux("send-keys", "-t", session, "q")
        wait_until(
            lambda: subprocess.run(["tmux", "has-session", "-t", session], capture_output=True, timeout=15).returncode,
            timeout=15, interval=0.5, what="the dashboard to quit on q",
        )  # fmt: skip
    finally:
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30)
