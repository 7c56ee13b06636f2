"""SlurmClient: the typed calls the rest of the program makes to Slurm, one command each.

Every method runs exactly one Slurm command through a CommandRunner, so every call has a
timeout, is counted in `calls`, and fails with the typed errors of app/slurm/errors.py. The
parsing lives in sacct.py, squeue.py, scontrol.py, sbatch.py. sacct and squeue get a delimiter
made for each call (rows.fresh_delimiter), so no job name on the cluster can break a row; rows
that cannot be read anyway are left out and listed in the result's `problems`, and said once
(the logger `longrun.slurm`: the supervisor's log; `said_problems`: the dashboard's notes).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from app.model.text import inert
from app.slurm.errors import UnknownJob
from app.slurm.jobid import family_of
from app.slurm.records import (
    AccountingMap,
    ControllerJob,
    JobAccounting,
    LiveStep,
    Partition,
    QueueRecord,
    RecordList,
    RowProblem,
    StartEstimate,
)
from app.slurm.rows import fresh_delimiter
from app.slurm.runner import QUERY_ENV, CommandRunner
from app.slurm.sacct import is_placeholder, parse_sacct, sacct_argv_for_jobs, sacct_argv_for_user
from app.slurm.sacctmgr import JobLimits, assoc_argv, parse_limits, qos_argv
from app.slurm.sbatch import parse_sbatch_output, sbatch_argv
from app.slurm.scancel import scancel_argv, scancel_failure
from app.slurm.scontrol import parse_show_job, parse_show_partitions, show_job_argv, show_partition_argv
from app.slurm.squeue import parse_squeue, parse_squeue_start, squeue_argv, squeue_start_argv
from app.slurm.sstat import parse_sstat, sstat_argv, sstat_failure

__all__ = ["CommandRunner", "SlurmClient"]


def _check_ids(job_ids: Sequence[str]) -> list[str]:
    ids = [str(j).strip() for j in job_ids]
    for job_id in ids:
        if not job_id or any(c in job_id for c in ", \t\n") or job_id.startswith("-"):
            raise UnknownJob(f"not a Slurm job id: {job_id!r}")
    return list(dict.fromkeys(ids))


def _honest(accounting: JobAccounting) -> JobAccounting:
    """A placeholder job row without the name and user slurmdbd made up for it."""
    if not is_placeholder(accounting):
        return accounting
    job = replace(accounting.job, name="", user=None, alloc_cpus=accounting.job.alloc_cpus or None)
    return JobAccounting(job, accounting.steps)


log = logging.getLogger("longrun.slurm")
log.addHandler(logging.NullHandler())  # said where a handler is set up (the supervisor's log), never on a CLI's stderr
R = TypeVar("R")
SAID_KEPT = 50  # problems remembered as said; an older one said again is said once more


class SlurmClient:
    """Typed Slurm calls; `runner` decides how commands run (timeout, PATH), default a CommandRunner."""

    def __init__(self, timeout: float = 30.0, runner: CommandRunner | None = None) -> None:
        self.runner = runner if runner is not None else CommandRunner(timeout=timeout)
        self._said: dict[tuple[str, str | None, str, str], RowProblem] = {}
        self._said_lock = threading.Lock()

    @property
    def said_problems(self) -> tuple[RowProblem, ...]:
        """The unreadable rows said so far (the newest SAID_KEPT), oldest first."""
        with self._said_lock:
            return tuple(self._said.values())

    def _tell(self, problems: Sequence[RowProblem]) -> None:
        """Say each unreadable row once (a poll sees the same row again and again)."""
        for problem in problems:
            key = (problem.command, problem.job_id, problem.message, problem.text)
            with self._said_lock:
                if key in self._said:
                    continue
                self._said[key] = problem
                while len(self._said) > SAID_KEPT:
                    del self._said[next(iter(self._said))]
            log.warning("%s: %s (left out): %s", problem.command, problem, inert(problem.text))

    @property
    def calls(self) -> int:
        """Number of Slurm command invocations made so far."""
        return self.runner.calls

    def _told(self, found: RecordList[R]) -> RecordList[R]:
        self._tell(found.problems)
        return found

    def submit(
        self,
        script: str,
        args: Sequence[str] = (),
        options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> str:
        """Submit with `sbatch --parsable`; `env` adds variables to sbatch's (and so the job's) environment.

        Returns the job id (without the `;cluster` part). SubmissionRejected carries Slurm's message;
        SlurmTimeout means the job may have been submitted anyway (find it by its comment).
        """
        result = self.runner.run(sbatch_argv(script, args, options), env=env, cwd=cwd)
        job_id, _cluster = parse_sbatch_output(result.stdout)
        return job_id

    def accounting(self, job_ids: Sequence[str]) -> AccountingMap:
        """Accounting with steps for many jobs in ONE sacct call; ids not yet in accounting are absent.

        Keys are sacct's job ids: an array's tasks come as `ID_N` (and `ID_[...]` for the pending
        ones), a heterogeneous job's components as `ID+N`; family() finds them from sbatch's id.
        Rows that could not be read are left out and listed in `problems` (with their job id).

        For about a second after a job starts or ends slurmdbd may show a placeholder job row
        (sacct.is_placeholder): its state, exit code, times and steps are real, its name and user
        (`allocation`, root) are not, so they come back empty ("" and None) until the next poll.
        """
        ids = _check_ids(job_ids)
        if not ids:
            return AccountingMap()
        delimiter = fresh_delimiter()
        result = self.runner.run(sacct_argv_for_jobs(ids, delimiter), env=QUERY_ENV)
        found = parse_sacct(result.stdout, delimiter)
        self._tell(found.problems)
        return AccountingMap(((job_id, _honest(acc)) for job_id, acc in found.items()), found.problems)

    def family(self, job_id: str) -> list[JobAccounting]:
        """Every record of the job sbatch printed as `job_id`, in one sacct call: the job itself, or its
        heterogeneous components (`ID+0`, `ID+1`, ...) or its array tasks (`ID_1`, ..., then the record
        of the pending tasks `ID_[...]`); for a task's or component's own id, that one record."""
        return family_of(self.accounting([job_id]), job_id)

    def accounting_for_user(
        self, user: str | None, since: datetime, comment_prefix: str | None = None
    ) -> RecordList[JobAccounting]:
        """Every job of `user` (all users when None) since `since`, in one sacct call.

        With comment_prefix, only jobs whose Comment starts with it. Listing by user lags
        listing by id (accounting()) by a second or two in slurmdbd. Rows that could not be read
        (anyone's job may have an odd name) are left out and listed in `problems`.
        """
        delimiter = fresh_delimiter()
        result = self.runner.run(sacct_argv_for_user(user, since, delimiter), env=QUERY_ENV)
        found = parse_sacct(result.stdout, delimiter)
        self._tell(found.problems)
        jobs = [_honest(acc) for acc in found.values()]
        if comment_prefix is not None:
            jobs = [j for j in jobs if (j.job.comment or "").startswith(comment_prefix)]
        return RecordList(jobs, found.problems)

    def queue(self, job_ids: Sequence[str] | None = None, user: str | None = None) -> RecordList[QueueRecord]:
        """One squeue call. With job_ids: those jobs in any state the controller still holds
        (an id it no longer knows is absent); else the queue of `user` (everyone's when None).
        Rows that could not be read are left out and listed in `problems`."""
        ids = None if job_ids is None else _check_ids(job_ids)
        if ids is not None and not ids:
            return RecordList()
        delimiter = fresh_delimiter()
        try:
            result = self.runner.run(squeue_argv(ids, user, delimiter), env=QUERY_ENV)
        except UnknownJob:
            return RecordList()  # squeue fails when none of the given ids is known any more
        return self._told(parse_squeue(result.stdout, delimiter))

    def start_estimates(self, job_ids: Sequence[str]) -> RecordList[StartEstimate]:
        """One `squeue --start` call: Slurm's expected start and the reason of those jobs still
        pending (the others, and ids the controller has forgotten, are absent)."""
        ids = _check_ids(job_ids)
        if not ids:
            return RecordList()
        delimiter = fresh_delimiter()
        try:
            result = self.runner.run(squeue_start_argv(ids, delimiter), env=QUERY_ENV)
        except UnknownJob:
            return RecordList()  # squeue fails when none of the given ids is known any more
        return self._told(parse_squeue_start(result.stdout, delimiter))

    def live_steps(self, job_ids: Sequence[str]) -> RecordList[LiveStep]:
        """One `sstat` call: the memory of every running step of these jobs, as their nodes see it now.

        Empty when no step runs (pending, ended, or just starting); PermissionDenied for another
        user's job (sstat then says `Invalid user id`, with exit status 0).
        """
        ids = _check_ids(job_ids)
        if not ids:
            return RecordList()
        result = self.runner.run(sstat_argv(ids), env=QUERY_ENV, check=False)
        error = sstat_failure(result)
        if isinstance(error, UnknownJob):
            return RecordList()
        if error is not None:
            raise error
        return self._told(parse_sstat(result.stdout))

    def show_job(self, job_id: str) -> ControllerJob:
        """`scontrol show job`; UnknownJob when the controller has forgotten the job (after MinJobAge)."""
        (checked,) = _check_ids([job_id])
        result = self.runner.run(show_job_argv(checked), env=QUERY_ENV)
        return parse_show_job(result.stdout, checked)

    def partitions(self) -> dict[str, Partition]:
        """`scontrol show partition`: every partition the user may see, by name (their time and size limits)."""
        result = self.runner.run(show_partition_argv(), env=QUERY_ENV)
        return parse_show_partitions(result.stdout)

    def job_limits(self, user: str) -> JobLimits:
        """The tightest job-count limits of the user's associations and QOS (two sacctmgr calls)."""
        assoc = self.runner.run(assoc_argv(user), env=QUERY_ENV)
        qos = self.runner.run(qos_argv(), env=QUERY_ENV)
        return parse_limits(assoc.stdout, qos.stdout)

    def cancel(self, job_id: str, signal: str | None = None, batch_only: bool = False, full: bool = False) -> None:
        """Cancel, or with `signal` send it (to the batch shell only with batch_only, or to all
        steps and the batch shell with full). Cancelling an already ended job is not an error;
        signalling one raises UnknownJob (Slurm says "Invalid job id specified")."""
        (checked,) = _check_ids([job_id])
        result = self.runner.run(scancel_argv(checked, signal, batch_only, full), check=False)
        error = scancel_failure(result, signal)
        if error is not None:
            raise error


def default_client() -> SlurmClient:
    """A client with the timeout from LONGRUN_SLURM_TIMEOUT (seconds; default 30)."""
    try:
        timeout = float(os.environ.get("LONGRUN_SLURM_TIMEOUT", "30"))
    except ValueError:
        timeout = 30.0
    return SlurmClient(timeout=timeout if timeout > 0 else 30.0)
