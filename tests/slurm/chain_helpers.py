"""Helpers for chain tests: run `longrun` as a test user against a per-test registry, read it back."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from app.registry import Registry
from tests.conftest import USER_PATH, run_as, write_script

JOBS = Path(__file__).parent / "jobs"


def copy_job(directory: Path, name: str, owner: str) -> Path:
    return write_script(directory, name, (JOBS / name).read_text(), owner)


def longrun(user: str, directory: Path, *argv: str, env: dict[str, str] | None = None, timeout: float = 90,
            home: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    full_env = {"LONGRUN_HOME": str(home or directory / "reg"), **(env or {})}
    return run_as(user, ["longrun", *argv], cwd=directory, env=full_env, timeout=timeout)


def submit(user: str, directory: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    proc = longrun(user, directory, "submit", "--json", *argv, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    return data["chain_id"], data["job_id"]


def status(user: str, directory: Path, chain_id: str, damaged: bool = False) -> dict[str, Any]:
    """The chain as `longrun status --json` shows it (exit 1 is expected when the registry has `damaged` chains)."""
    proc = longrun(user, directory, "status", "--json", env={"LONGRUN_NO_AUTOSTART": "1"})
    assert proc.returncode == (1 if damaged else 0), proc.stdout + proc.stderr
    for chain in json.loads(proc.stdout):
        if chain["chain_id"] == chain_id:
            return dict(chain)
    raise AssertionError(f"chain {chain_id} not in status: {proc.stdout}")


def events(directory: Path, chain_id: str) -> list[dict[str, Any]]:
    path = directory / "reg" / "chains" / chain_id / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def final_state(user: str, directory: Path, chain_id: str, damaged: bool = False) -> dict[str, Any] | None:
    chain = status(user, directory, chain_id, damaged)
    return chain if chain["state"] in ("DONE", "STOPPED") else None


def submitted_ids(directory: Path, chain_id: str) -> list[str]:
    """The job ids of the chain's links, in order (queued successors and withdrawn jobs are no links)."""
    status = Registry(directory / "reg", read_only=True).status(chain_id)
    return [link.job_id for link in status.links if link.job_id]


def queued_ids(directory: Path, chain_id: str) -> list[str]:
    """Every job id the chain submitted: links, successors queued behind them, withdrawn ones."""
    return [str(e["job_id"]) for e in events(directory, chain_id) if e["type"] == "submitted"]


def log_headers(text: str) -> list[dict[str, str]]:
    """The `link attempt=.. job=..` lines each test job prints first."""
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in text.splitlines() if line.startswith("link ")]


def live_jobs_by_chain(user: str) -> dict[str, list[str]]:
    """Jobs of `user` that run or could start now, grouped by chain (from their longrun comment):
    a job held by a dependency on a job that has not ended (a chain's queued successor) is not one."""
    proc = subprocess.run(
        ["squeue", "-h", "-u", user, "-t", "PD,R,S,CF", "-o", "%i|%T|%E|%k"], capture_output=True, text=True, timeout=20
    )
    out: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        job_id, state, dependency, comment = [*line.split("|", 3), "", "", ""][:4]
        if state == "PENDING" and "unfulfilled" in dependency:
            continue
        if comment.startswith("longrun:") and len(comment.split(":")) == 3:
            out.setdefault(comment.split(":")[1], []).append(job_id)
    return out


def supervisor_log(directory: Path) -> str:
    path = directory / "reg" / "supervisor" / "log"
    return path.read_text() if path.exists() else ""


def stop_supervisor(directory: Path) -> None:
    """Stop the test registry's background supervisor (by the pid in its heartbeat)."""
    hb = directory / "reg" / "supervisor" / "heartbeat.json"
    if hb.exists():
        with contextlib.suppress(ProcessLookupError, ValueError, KeyError):
            os.kill(int(json.loads(hb.read_text())["pid"]), signal.SIGTERM)


def which_longrun() -> str:
    return shutil.which("longrun") or "longrun"


def popen_as(user: str, argv: list[str], env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    """Start argv as `user` in the background (its own session), output appended to `output`."""
    base = {"PATH": USER_PATH, "HOME": f"/home/{user}", "USER": user, "LANG": "C.UTF-8", **env}
    with open(output, "ab") as log:
        return subprocess.Popen(
            ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in base.items()), *argv],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def supervise_in_foreground(user: str, directory: Path, env: dict[str, str] | None = None,
                            home: Path | None = None) -> subprocess.Popen[bytes]:  # fmt: skip
    """`longrun supervise` as `user` for directory/reg (or `home`), its output in directory/supervisor.out."""
    full = {"LONGRUN_HOME": str(home or directory / "reg"), "LONGRUN_NO_AUTOSTART": "1", **(env or {})}
    return popen_as(user, ["longrun", "supervise"], full, directory / "supervisor.out")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def processes_outside_slurm(home: Path) -> list[int]:
    """Processes outside Slurm jobs whose environment names this registry (a test's own only)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"LONGRUN_HOME={home}".encode() in env and not any(v.startswith(b"SLURM_JOB_ID=") for v in env):
            found.append(int(entry.name))
    return found
