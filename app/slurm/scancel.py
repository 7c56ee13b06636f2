"""scancel: the argv of a cancel or signal, and the reading of its verbose report.

Plain `scancel` exits 0 and prints nothing for an unknown job id; with `-v` it reports per job
(`Kill job error on job id N: Invalid job id specified`), so we always pass `-v` and read stderr.
"""

from __future__ import annotations

from app.slurm.errors import SlurmError
from app.slurm.runner import CommandResult, classify_failure

ALREADY_DONE = "already completing or completed"


def scancel_argv(job_id: str, signal: str | None = None, batch_only: bool = False, full: bool = False) -> list[str]:
    """`scancel -v [--signal=SIG] [--batch | --full] JOBID`."""
    if batch_only and full:
        raise ValueError("batch_only and full exclude each other")
    argv = ["scancel", "-v"]
    if signal is not None:
        argv.append(f"--signal={signal}")
    if batch_only:
        argv.append("--batch")
    if full:
        argv.append("--full")
    argv.append(job_id)
    return argv


def scancel_failure(result: CommandResult, signal: str | None) -> SlurmError | None:
    """The error scancel reported (even with exit 0), or None.

    Cancelling a job that already ended is not an error (the goal is reached); signalling one is.
    """
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    if not errors and result.returncode == 0:
        return None
    if signal is None and errors and all(ALREADY_DONE in line for line in errors):
        return None
    return classify_failure(result.argv, result.returncode or 1, "\n".join(errors) or result.stderr)
