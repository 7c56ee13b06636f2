"""sacct: the argv we run and the parser of its text output into SacctRow / JobAccounting.

We always ask for an explicit field list, `-P -n` and the ASCII unit separator as delimiter, so
a `|` in a job name cannot shift the columns. Never `--json`: in 22.05 it reports non-zero exits
as success. The parser is the hot path of every poll, so it splits each line once and converts
cells through memoised converters (app/slurm/convert.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from app.model.states import JobState
from app.slurm.convert import (
    parse_duration_cell,
    parse_exit_cell,
    parse_int_cell,
    parse_memory_cell,
    parse_state_cell,
    parse_time_cell,
)
from app.slurm.errors import SlurmParseError
from app.slurm.records import JobAccounting, SacctRow

SEPARATOR = "\x1f"
SACCT_FIELDS = (
    "JobID",
    "JobName",
    "User",
    "Partition",
    "NodeList",
    "State",
    "ExitCode",
    "Submit",
    "Start",
    "End",
    "Elapsed",
    "Timelimit",
    "MaxRSS",
    "ReqMem",
    "AllocCPUS",
    "Comment",
    "WorkDir",
    "Reason",
)
_NFIELDS = len(SACCT_FIELDS)
_BASE_ARGS = ("-P", "-n", f"--delimiter={SEPARATOR}", "--format=" + ",".join(SACCT_FIELDS))
_NO_NODE = frozenset({"", "None assigned", "(null)"})


def sacct_argv_for_jobs(job_ids: Sequence[str]) -> list[str]:
    """One sacct call for many jobs, steps included (`-j` alone searches from the epoch)."""
    return ["sacct", *_BASE_ARGS, "-j", ",".join(job_ids)]


def sacct_argv_for_user(user: str | None, since: datetime) -> list[str]:
    """One sacct call for every job of `user` (all users when None) since a moment."""
    who = ["-a"] if user is None else ["-u", user]
    return ["sacct", *_BASE_ARGS, *who, "-S", since.strftime("%Y-%m-%dT%H:%M:%S"), "-E", "now"]


def _records(text: str) -> Iterable[list[str]]:
    """Cells of each row; a row whose free text held a newline continues on the next line."""
    pending: list[str] | None = None
    for line in text.split("\n"):
        cells = line.split(SEPARATOR)
        if pending is not None:
            pending[-1] += "\n" + cells[0]
            pending.extend(cells[1:])
            cells = pending
            pending = None
        n = len(cells)
        if n == _NFIELDS:
            yield cells
        elif n < _NFIELDS:
            if n == 1 and not cells[0].strip():
                continue
            pending = cells
        else:
            raise SlurmParseError(
                f"sacct printed {n} fields where {_NFIELDS} were asked for: {line[:200]!r}", line
            )
    if pending is not None:
        raise SlurmParseError(f"sacct printed an incomplete row: {SEPARATOR.join(pending)[:200]!r}", text[-2000:])


def parse_sacct_rows(text: str) -> list[SacctRow]:
    """Every row sacct printed, job rows and step rows, in order; SlurmParseError on bad text."""
    rows: list[SacctRow] = []
    append = rows.append
    time_cell = parse_time_cell
    duration_cell = parse_duration_cell
    for cells in _records(text):
        (job_id, name, user, partition, node_list, state, exit_code, submit, start, end, elapsed,
         time_limit, max_rss, req_mem, alloc_cpus, comment, work_dir, reason) = cells  # fmt: skip
        if not job_id:
            raise SlurmParseError("sacct printed a row without a job id", SEPARATOR.join(cells))
        job, dot, step = job_id.partition(".")
        parsed_state = parse_state_cell(state)
        req, per_cpu = parse_memory_cell(req_mem)
        append(
            SacctRow(
                job_id=job,
                step=step if dot else None,
                name=name,
                state=parsed_state.state,
                cancelled_by_uid=parsed_state.by_uid,
                exit_status=parse_exit_cell(exit_code),
                user=user or None,
                partition=partition or None,
                node_list=None if node_list in _NO_NODE else node_list,
                submit=time_cell(submit),
                start=time_cell(start),
                end=time_cell(end),
                elapsed=duration_cell(elapsed),
                time_limit=duration_cell(time_limit),
                max_rss=parse_memory_cell(max_rss)[0],
                req_mem=req,
                req_mem_per_cpu=per_cpu,
                alloc_cpus=parse_int_cell(alloc_cpus),
                comment=comment or None,
                work_dir=work_dir or None,
                reason=reason or None,
            )
        )
    return rows


def group_accounting(rows: Iterable[SacctRow]) -> dict[str, JobAccounting]:
    """Job rows with their steps, keyed by job id (`123`, `123_4`); steps without a job row are dropped."""
    jobs: dict[str, SacctRow] = {}
    steps: dict[str, list[SacctRow]] = {}
    for row in rows:
        if row.step is None:
            jobs[row.job_id] = row
            steps.setdefault(row.job_id, [])
        elif row.job_id in steps:
            steps[row.job_id].append(row)
    return {job_id: JobAccounting(job, tuple(steps[job_id])) for job_id, job in jobs.items()}


def is_placeholder(accounting: JobAccounting) -> bool:
    """slurmdbd's stand-in job row: a step started before the job's own start record arrived.

    Seen on 22.05 for about a second after a start: the job row says PENDING, JobName
    `allocation`, User root, no partition, ReqMem `16?`, while its batch step is RUNNING. Its
    fields are not the job's; ask squeue instead (see tests/captures/sacct_fresh_job.txt).
    """
    job = accounting.job
    return job.state is JobState.PENDING and job.partition is None and bool(accounting.steps)


def parse_sacct(text: str) -> dict[str, JobAccounting]:
    """sacct text -> accounting per job id."""
    return group_accounting(parse_sacct_rows(text))
