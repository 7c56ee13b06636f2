"""Submitting one link of a chain, write-ahead: the intent is on disk before sbatch runs.

If the process dies between sbatch and the `submitted` record, the next supervisor finds the
job by its comment (`longrun:<chain>:<attempt>`) instead of submitting a second one (and a queued
successor records its own job id when it starts).

A chain with a launcher (app/supervisor/launcher.py) submits it instead of the job script: the
link wrapper in the job runs the script. A chain continued inside Slurm (ChainSpec.in_slurm) has
each link queued together with its successor, held with `--dependency=afterany:<link>`
(`queue_successor`); `cancel_successors` removes queued ones that must never run, and
`withdraw_queued` takes queued ones out of the chain (a link re-queued with other options).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping
from pathlib import Path

from app.model.chain import ChainStatus, Link, comment_tag
from app.registry import Registry
from app.registry.events import Cancelled, IntentLost, RunRefused, SubmitFailed, SubmitIntent, Submitted, Withdrawn
from app.registry.scripts import verify_script
from app.slurm.client import SlurmClient
from app.slurm.errors import SubmissionRejected
from app.supervisor.launcher import LAUNCHER_FILE
from app.supervisor.progress import link_log_path, progress_now

log = logging.getLogger("longrun.supervisor")

CRASH_HOOK = "LONGRUN_TEST_CRASH_AFTER_SBATCH"  # test-only: die right after sbatch returns (probability)
_DROPPED_ENV_PREFIXES = ("SLURM_", "LONGRUN_TEST_", "SBATCH_")
_KEPT_ENV_PREFIXES = ("LONGRUN_TEST_WRAPPER_",)  # test hooks meant for the wrapper in the job


def job_environment(snapshot: Mapping[str, str] | None, status: ChainStatus, attempt: int) -> dict[str, str]:
    """The link's environment: the submitter's (minus the submitting job's SLURM_*) plus the chain's."""
    env = {
        k: v
        for k, v in (snapshot or {}).items()
        if not k.startswith(_DROPPED_ENV_PREFIXES) or k.startswith(_KEPT_ENV_PREFIXES)
    }
    env["LONGRUN_CHAIN_ID"] = status.chain_id
    env["LONGRUN_ATTEMPT"] = str(attempt)
    first = status.first_job_id
    if attempt > 1 and first:
        env["SLURM_LONGRUN_INITIAL_JOB_ID"] = first
    return env


def link_options(status: ChainStatus, attempt: int, after: str | None = None) -> list[str]:
    options = [*status.spec.sbatch_options, *status.next_options, f"--comment={comment_tag(status.chain_id, attempt)}"]
    if attempt > 1:
        options.append("--open-mode=append")
    if after is not None:
        options.append(f"--dependency=afterany:{after}")  # the last --dependency wins over the chain's own
    return options


def link_command(reg: Registry, status: ChainStatus, attempt: int) -> tuple[str, tuple[str, ...]]:
    """(what sbatch submits, its arguments): the chain's launcher with the wrapper's arguments, or
    the job script itself for a chain without one (made before the wrapper existed)."""
    if status.spec.launcher is None:
        return status.spec.script, status.spec.args
    launcher = reg.chain_dir(status.chain_id) / LAUNCHER_FILE
    return str(launcher), (str(reg.home), status.chain_id, str(attempt))


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


def submit_link(reg: Registry, slurm: SlurmClient, status: ChainStatus, after: str | None = None) -> str | None:
    """Submit the chain's next link (and, for a chain continued inside Slurm, its successor); the
    caller holds the chain lock. `after`: hold the link until this job ended (a wrapper that
    replaces itself with a link of other options).

    Returns the link's job id, or None when sbatch refused (recorded: the chain stops with
    Slurm's message). SlurmUnavailable propagates with the intent left on disk: the next cycle
    reconciles it. A successor sbatch refuses leaves the link running: it is queued again later.
    """
    attempt = next_attempt(status)
    if status.spec.script_sha256:
        problem = verify_script(status.spec.script, status.spec.script_sha256)
        if problem is not None:  # never run a script other than the one recorded at submit
            reg.append(status.chain_id, RunRefused(attempt=attempt, error=problem))
            return None
    try:
        job_id = _submit(reg, slurm, status, attempt, after=after)
    except _Refused as exc:
        reg.append(status.chain_id, SubmitFailed(attempt=attempt, error=str(exc)))
        return None
    if job_id is not None and status.spec.in_slurm:
        queue_successor(reg, slurm, reg.status(status.chain_id), Link(attempt=attempt, job_id=job_id))
    return job_id


def queue_successor(reg: Registry, slurm: SlurmClient, status: ChainStatus, after: Link) -> str | None:
    """Queue the job that runs when `after` ends (`--dependency=afterany`): its wrapper decides from
    that ending, then runs the next link's work or ends the chain. The caller holds the chain lock.

    A refusal by sbatch (e.g. a job-count limit) drops the intent and returns None: the chain goes
    on while `after` runs, and the wrapper or the supervisor queues it again."""
    assert after.job_id is not None
    try:
        return _submit(reg, slurm, status, after.attempt + 1, after=after.job_id)
    except _Refused as exc:
        reg.append(status.chain_id, IntentLost(attempt=after.attempt + 1))
        log.warning("%s: could not queue the job after %s: %s", status.chain_id, after.job_id, exc)
        return None


def cancel_successors(reg: Registry, slurm: SlurmClient, status: ChainStatus, links: tuple[Link, ...]) -> list[str]:
    """scancel queued successors that must never run the work and record it; returns their ids.
    One that already ended is gone all the same (scancel of an ended job is no error)."""
    cancelled: list[str] = []
    for link in links:
        if link.job_id is None:
            continue  # its intent has no job yet: the job withdraws itself when it starts
        slurm.cancel(link.job_id)
        reg.append(status.chain_id, Cancelled(job_id=link.job_id))
        cancelled.append(link.job_id)
    return cancelled


def withdraw_queued(
    reg: Registry, slurm: SlurmClient, status: ChainStatus, links: tuple[Link, ...], why: str
) -> list[str]:
    """Take queued jobs out of the chain for good (recorded as withdrawn, then scancel'd): unlike a
    cancelled successor, a withdrawn job can never be taken for the chain's next link. Returns their
    ids. The record comes first: a job whose scancel fails finds itself withdrawn when it starts and
    ends at once. SlurmError from scancel propagates after every job is recorded."""
    gone = [link.job_id for link in links if link.job_id is not None]
    for job_id in gone:
        reg.append(status.chain_id, Withdrawn(job_id=job_id, reason=why))
    for job_id in gone:
        slurm.cancel(job_id)
    return gone


class _Refused(Exception):
    """sbatch refused a successor (never recorded as the chain's stop)."""


def _submit(reg: Registry, slurm: SlurmClient, status: ChainStatus, attempt: int, after: str | None) -> str:
    """The write-ahead submission of one job of the chain: intent, sbatch, job id."""
    last = status.links[-1] if status.links and status.spec.policy.progress_regex else None
    before = progress_now(status.spec, link_log_path(status.spec, last))
    reg.append(
        status.chain_id,
        SubmitIntent(
            attempt=attempt, options=status.next_options, progress=progress_signature(status),
            done_before=before.done if before is not None else None, after=after,
        ),
    )  # fmt: skip
    env = job_environment(reg.load_env(status.chain_id), status, attempt)
    script, args = link_command(reg, status, attempt)
    try:
        job_id = slurm.submit(script, args, link_options(status, attempt, after), env=env, cwd=status.spec.workdir)
    except SubmissionRejected as exc:
        raise _Refused(str(exc)) from None
    crash = os.environ.get(CRASH_HOOK)
    if crash and random.random() < float(crash):
        os._exit(99)
    reg.append(status.chain_id, Submitted(attempt=attempt, job_id=job_id))
    return job_id
