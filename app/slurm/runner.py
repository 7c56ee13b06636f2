"""Running one Slurm command: argv list, timeout, call counting, stderr -> typed error.

Everything that starts a Slurm process goes through CommandRunner.run, so that every call has a
timeout, is counted (benchmarks and the load budget read `calls`), and fails with a type from
app/slurm/errors.py that says whether Slurm was unreachable, refused, or did not know the job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.slurm.errors import (
    PermissionDenied,
    SlurmCommandError,
    SlurmError,
    SlurmTimeout,
    SlurmUnavailable,
    SubmissionRejected,
    UnknownJob,
)

# Lowercased fragments of Slurm's messages, checked in this order.
_TIMEOUT_MARKERS = ("socket timed out", "timed out")
_UNAVAILABLE_MARKERS = (
    "unable to contact slurm controller",
    "connection refused",
    "slurmdbd",
    "problem talking to the database",
    "unable to establish a connection",
    "slurm_persist_conn_open",
    "munge",
    "communication connection failure",
    "zero bytes were transmitted or received",
    "unable to connect",
    "slurm controller is not responding",
)
# scontrol hold/release of another user's job says "Invalid user id for job N".
_DENIED_MARKERS = ("access/permission denied", "permission denied", "access denied", "invalid user id for job")
_UNKNOWN_MARKERS = ("invalid job id", "invalid job_id", "job does not exist", "no such job")

# Query commands read dates; a user's SLURM_TIME_FORMAT=relative would break them.
QUERY_ENV = {"SLURM_TIME_FORMAT": "standard"}


@dataclass(frozen=True)
class CommandResult:
    """What a finished Slurm command printed."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def slurm_message(stderr: str) -> str:
    """Slurm's own error text, one line: `sbatch: error: X` lines joined, prefixes kept short."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()] or lines
    return "; ".join(errors)[:2000]


def classify_failure(argv: Sequence[str], returncode: int, stderr: str) -> SlurmError:
    """The typed error for a Slurm command that failed with this stderr."""
    command = os.path.basename(argv[0]) if argv else "slurm"
    message = slurm_message(stderr) or f"{command} exited with status {returncode}"
    lowered = stderr.lower() or message.lower()
    text = f"{command}: {message}" if not message.startswith(command) else message
    if any(m in lowered for m in _TIMEOUT_MARKERS):
        return SlurmTimeout(text)
    if any(m in lowered for m in _UNAVAILABLE_MARKERS):
        return SlurmUnavailable(text)
    if command == "sbatch":
        return SubmissionRejected(message)
    if any(m in lowered for m in _DENIED_MARKERS):
        return PermissionDenied(text)
    if any(m in lowered for m in _UNKNOWN_MARKERS):
        return UnknownJob(text)
    return SlurmCommandError(text)


class CommandRunner:
    """Runs Slurm commands with a timeout; `path` overrides where commands are looked up."""

    def __init__(self, timeout: float = 30.0, path: str | None = None) -> None:
        self.timeout = timeout
        self.path = path
        self._calls = 0
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        """Slurm command invocations so far (including failed ones)."""
        return self._calls

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        timeout: float | None = None,
        check: bool = True,
    ) -> CommandResult:
        """Run argv; raise a typed SlurmError on failure (unless check=False, which still maps outages)."""
        if not argv:
            raise SlurmCommandError("empty Slurm command")
        limit = self.timeout if timeout is None else timeout
        executable = shutil.which(argv[0], path=self.path) if self.path is not None else argv[0]
        if executable is None:
            raise SlurmUnavailable(f"{argv[0]}: command not found (is Slurm installed and on PATH?)")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        with self._lock:
            self._calls += 1
        try:
            proc = subprocess.run(
                [executable, *argv[1:]],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=limit,
                env=full_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            maybe = "; the job may have been submitted anyway" if os.path.basename(argv[0]) == "sbatch" else ""
            raise SlurmTimeout(f"{argv[0]} did not answer within {limit:g} s{maybe}") from None
        except FileNotFoundError:
            raise SlurmUnavailable(f"{argv[0]}: command not found (is Slurm installed and on PATH?)") from None
        except PermissionError as exc:
            raise SlurmUnavailable(f"{argv[0]}: cannot run it: {exc}") from None
        except OSError as exc:
            if cwd is not None and not os.path.isdir(cwd):
                raise SlurmCommandError(f"{argv[0]}: working directory {cwd!r} does not exist") from None
            raise SlurmUnavailable(f"{argv[0]}: cannot run it: {exc}") from None
        result = CommandResult(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise classify_failure(argv, proc.returncode, proc.stderr)
        return result
