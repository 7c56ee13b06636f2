"""Submitting one link of a chain, write-ahead: the intent is on disk before sbatch runs.

If the process dies between sbatch and the `submitted` record, the next supervisor finds the
job by its comment (`longrun:<chain>:<attempt>`) instead of submitting a second one.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from pathlib import Path

from app.model.chain import ChainStatus, comment_tag
from app.registry import Registry
from app.registry.events import SubmitFailed, SubmitIntent, Submitted
from app.registry.scripts import verify_script
from app.slurm.client import SlurmClient
from app.slurm.errors import SubmissionRejected
from app.supervisor.progress import link_log_path, progress_now

CRASH_HOOK = "LONGRUN_TEST_CRASH_AFTER_SBATCH"  # test-only: die right after sbatch returns (probability)
_DROPPED_ENV_PREFIXES = ("SLURM_", "LONGRUN_TEST_", "SBATCH_")


def job_environment(snapshot: Mapping[str, str] | None, status: ChainStatus, attempt: int) -> dict[str, str]:
    """The link's environment: the submitter's (minus the submitting job's SLURM_*) plus the chain's."""
    env = {k: v for k, v in (snapshot or {}).items() if not k.startswith(_DROPPED_ENV_PREFIXES)}
    env["LONGRUN_CHAIN_ID"] = status.chain_id
    env["LONGRUN_ATTEMPT"] = str(attempt)
    first = status.first_job_id
    if attempt > 1 and first:
        env["SLURM_LONGRUN_INITIAL_JOB_ID"] = first
    return env


def link_options(status: ChainStatus, attempt: int) -> list[str]:
    options = [*status.spec.sbatch_options, *status.next_options, f"--comment={comment_tag(status.chain_id, attempt)}"]
    if attempt > 1:
        options.append("--open-mode=append")
    return options


def progress_signature(status: ChainStatus) -> tuple[int, int] | None:
    """(mtime_ns, size) of the policy's progress file, to tell later whether the link changed it."""
    name = status.spec.policy.progress_file
    if not name:
        return None
    path = Path(status.spec.workdir) / name
    try:
        st = path.stat()
    except OSError:
        return (0, -1)
    return (st.st_mtime_ns, st.st_size)


def next_attempt(status: ChainStatus) -> int:
    return status.attempt + 1


def submit_link(reg: Registry, slurm: SlurmClient, status: ChainStatus) -> str | None:
    """Submit the chain's next link; the caller holds the chain lock.

    Returns the job id, or None when sbatch refused (recorded: the chain stops with Slurm's
    message). SlurmUnavailable propagates with the intent left on disk: the next cycle
    reconciles it.
    """
    attempt = next_attempt(status)
    if status.spec.script_sha256:
        problem = verify_script(status.spec.script, status.spec.script_sha256)
        if problem is not None:  # never run a script other than the one recorded at submit
            reg.append(status.chain_id, SubmitFailed(attempt=attempt, error=problem))
            return None
    last = status.links[-1] if status.links and status.spec.policy.progress_regex else None
    before = progress_now(status.spec, link_log_path(status.spec, last))
    reg.append(
        status.chain_id,
        SubmitIntent(
            attempt=attempt, options=status.next_options, progress=progress_signature(status),
            done_before=before.done if before is not None else None,
        ),
    )  # fmt: skip
    env = job_environment(reg.load_env(status.chain_id), status, attempt)
    try:
        job_id = slurm.submit(
            status.spec.script, status.spec.args, link_options(status, attempt), env=env, cwd=status.spec.workdir
        )
    except SubmissionRejected as exc:
        reg.append(status.chain_id, SubmitFailed(attempt=attempt, error=str(exc)))
        return None
    crash = os.environ.get(CRASH_HOOK)
    if crash and random.random() < float(crash):
        os._exit(99)
    reg.append(status.chain_id, Submitted(attempt=attempt, job_id=job_id))
    return job_id
