"""The installed `longrun-tui` in a real terminal (tmux), as alice: her live chain appears, `q` quits."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import USER_PATH, VENV, make_user_dir, run_as, wait_until, write_script

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def tmux(*argv: str) -> str:
    return subprocess.run(["tmux", *argv], capture_output=True, text=True, timeout=15).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


SESSION_VAR = "LONGRUN_TEST_TMUX_SESSION"  # put in the dashboard's environment to find it again


@pytest.fixture
def session() -> Iterator[str]:
    name = f"lrtui-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=15)
    for pid in processes_with(SESSION_VAR, name):  # whatever a failed test left behind
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def processes_with(variable: str, value: str) -> list[int]:
    """Pids whose environment has variable=value (root reads every /proc/PID/environ)."""
    wanted = f"{variable}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def dashboard_command(session: str, home: Path, path: str = USER_PATH, interval: str = "1") -> list[str]:
    """`longrun-tui` as alice with a clean environment, marked with the session's name."""
    return ["runuser", "-u", "alice", "--", "env", "-i", f"PATH={path}", "HOME=/home/alice", "USER=alice",
            "LANG=C.UTF-8", "TERM=xterm-256color", f"LONGRUN_HOME={home}", f"{SESSION_VAR}={session}",
            str(VENV / "bin" / "longrun-tui"), "--interval", interval]  # fmt: skip


def test_dashboard_shows_a_running_chain_and_quits(session: str) -> None:
    workdir = make_user_dir("alice", "tmux")
    home = workdir / "reg"
    tag = f"tmux{uuid.uuid4().hex[:6]}"
    script = write_script(workdir, f"{tag}.sh", "#!/bin/bash\necho started\nsleep 120\n", owner="alice")
    env = {"LONGRUN_HOME": str(home)}
    proc = run_as("alice", ["longrun", "submit", "--json", "--name", tag, "--time=3", "-o", f"{workdir}/%j.out",
                            str(script)], cwd=workdir, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    chain_id, job_id = json.loads(proc.stdout)["chain_id"], json.loads(proc.stdout)["job_id"]
    try:
        command = dashboard_command(session, home, interval="2")
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", *command)
        text = wait_until(
            lambda: (text := screen(session)) and tag in text and "RUNNING" in text and job_id in text and text,
            timeout=120, interval=0.5, what=f"chain {tag} running on the dashboard",
        )  # fmt: skip
        assert isinstance(text, str)
        assert "viewing alice" in text and "supervisor alive" in text
        assert "Traceback" not in text
        row = next(line for line in text.splitlines() if tag in line)
        assert "RUNNING" in row and "1/∞" in row
        tmux("send-keys", "-t", session, "q")
        wait_until(
            lambda: subprocess.run(["tmux", "has-session", "-t", session], capture_output=True, timeout=15).returncode,
            timeout=60, interval=0.5, what="the dashboard to quit on q",
        )  # fmt: skip
    finally:
        run_as("alice", ["longrun", "cancel", chain_id], cwd=workdir, env={**env, "LONGRUN_NO_AUTOSTART": "1"})
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30)
        _stop_supervisor(home)


def test_slurm_outage_shows_stale_since_and_keeps_the_last_data(session: str) -> None:
    """sacct starts failing as it does when slurmdbd is down (a wrapper first on PATH, switched by a file)."""
    workdir = make_user_dir("alice", "tmux-outage")
    home = workdir / "reg"
    tag = f"outage{uuid.uuid4().hex[:6]}"
    script = write_script(workdir, f"{tag}.sh", "#!/bin/bash\nsleep 120\n", owner="alice")
    env = {"LONGRUN_HOME": str(home), "LONGRUN_NO_AUTOSTART": "1"}
    proc = run_as("alice", ["longrun", "submit", "--json", "--name", tag, "--time=3", "-o", f"{workdir}/%j.out",
                            str(script)], cwd=workdir, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    chain_id, job_id = json.loads(proc.stdout)["chain_id"], json.loads(proc.stdout)["job_id"]
    wrappers = workdir / "bin"
    wrappers.mkdir()
    down = workdir / "slurmdbd-down"
    write_script(wrappers, "sacct", f"""#!/bin/bash
if [ -e {down} ]; then
  echo "sacct: error: Problem talking to the database: Connection refused" >&2
  exit 1
fi
exec {shutil.which("sacct")} "$@"
""", owner="alice")  # fmt: skip
    try:
        command = dashboard_command(session, home, path=f"{wrappers}:{USER_PATH}")
        command[-3:-3] = ["LONGRUN_NO_AUTOSTART=1"]
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", *command)
        wait_until(lambda: job_id in screen(session) and "data " in screen(session), timeout=120, interval=0.5,
                   what="live data on the dashboard")  # fmt: skip
        down.touch()
        text = wait_until(lambda: (text := screen(session)) and "stale since" in text and text, timeout=60,
                          interval=0.5, what="the stale notice")  # fmt: skip
        assert isinstance(text, str)
        assert "Connection refused" in text
        assert tag in text and job_id in text, "the last good data stays on screen"
        assert "Traceback" not in text
        down.unlink()
        wait_until(lambda: "stale since" not in screen(session), timeout=60, interval=0.5, what="fresh data again")
    finally:
        run_as("alice", ["longrun", "cancel", chain_id], cwd=workdir, env=env)
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30)


def test_closing_the_terminal_ends_the_dashboard(session: str) -> None:
    """Started through runuser the dashboard gets no SIGHUP, only a dead terminal: it must leave anyway."""
    home = make_user_dir("alice", "tmux-hangup") / "reg"
    command = dashboard_command(session, home)
    command[-3:-3] = ["LONGRUN_NO_AUTOSTART=1"]
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", *command)
    # generous: on a loaded 2-core machine starting Python and Textual took over 45 s once
    wait_until(lambda: "viewing alice" in screen(session), timeout=120, interval=0.5, what="the dashboard")
    dashboards = [p for p in processes_with(SESSION_VAR, session) if b"longrun-tui" in _cmdline(p)]
    assert dashboards, "the dashboard process is found by its environment"
    tmux("kill-session", "-t", session)
    wait_until(lambda: not any(Path(f"/proc/{p}").exists() for p in dashboards), timeout=60, interval=0.5,
               what="the dashboard to leave its closed terminal")  # fmt: skip


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _stop_supervisor(home: Path) -> None:
    try:
        os.kill(int(json.loads((home / "supervisor" / "heartbeat.json").read_text())["pid"]), signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass
