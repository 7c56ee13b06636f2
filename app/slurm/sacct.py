"""sacct: the argv we run and the parser of its text output into SacctRow / JobAccounting.

We always ask for an explicit field list, `-P -n` and a delimiter made for the call
(app/slurm/rows.py), so that no job name, comment or path can shift a column or split a row.
Never `--json`: in 22.05 it reports non-zero exits as success.

One unreadable row never fails the whole text: the parser keeps every good row and reports
each bad one as a RowProblem with its job id (AccountingMap.problems). A state name this version
does not know becomes UNKNOWN (never an ending) and is reported too. The parser is the hot path
of every poll, so it cuts the text once and converts cells through memoised converters
(app/slurm/convert.py); only a row that fails takes the slow path that names the bad cell.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields, replace
from datetime import datetime
from functools import cache
from typing import Any

from app.model.states import JobState
from app.model.tres import Tres
from app.slurm.convert import (
    parse_cpu_time,
    parse_duration_cell,
    parse_exit_cell,
    parse_int_cell,
    parse_memory_cell,
    parse_state_cell,
    parse_time_cell,
    parse_tres_cell,
)
from app.slurm.errors import SlurmParseError
from app.slurm.records import AccountingMap, JobAccounting, RecordList, RowProblem, SacctRow
from app.slurm.rows import UNIT_SEPARATOR, Damaged, split_rows

SEPARATOR = UNIT_SEPARATOR  # the delimiter of texts made without a fresh one (older captures, tests)
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
    "JobIDRaw",
    "NNodes",
    "NTasks",
    "TotalCPU",
    "ReqTRES",
    "AllocTRES",
    "TRESUsageInMax",
    "TRESUsageInTot",
)
_NFIELDS = len(SACCT_FIELDS)
_NO_NODE = frozenset({"", "None assigned", "(null)"})


def _base_args(delimiter: str) -> tuple[str, ...]:
    return ("-P", "-n", f"--delimiter={delimiter}", "--format=" + ",".join(SACCT_FIELDS))


def sacct_argv_for_jobs(job_ids: Sequence[str], delimiter: str = SEPARATOR) -> list[str]:
    """One sacct call for many jobs, steps included (`-j` alone searches from the epoch)."""
    return ["sacct", *_base_args(delimiter), "-j", ",".join(job_ids)]


def sacct_argv_for_user(user: str | None, since: datetime, delimiter: str = SEPARATOR) -> list[str]:
    """One sacct call for every job of `user` (all users when None) since a moment."""
    who = ["-a"] if user is None else ["-u", user]
    return ["sacct", *_base_args(delimiter), *who, "-S", since.strftime("%Y-%m-%dT%H:%M:%S"), "-E", "now"]


def _row_factory() -> Callable[[tuple[object, ...]], SacctRow]:
    """Build SacctRow without its generated __init__ (2 µs of ~5 µs per row, frozen dataclass).

    Every field is set, in declaration order; tests check such rows equal ones built normally.
    """
    names = tuple(f.name for f in fields(SacctRow))
    if hasattr(SacctRow, "__slots__") or len(names) != 30:
        return lambda values: SacctRow(*values)  # type: ignore[arg-type]
    new = object.__new__

    def make(values: tuple[object, ...]) -> SacctRow:
        row: SacctRow = new(SacctRow)
        row.__dict__.update(zip(names, values, strict=True))
        return row

    return make


_make_row = _row_factory()


@cache
def _layout(given: tuple[str, ...]) -> tuple[int, Callable[[list[str]], list[str]] | None]:
    """(index of JobID, a function giving cells in SACCT_FIELDS order) for a field list; None when ours.

    Other sites ask for other fields in other orders. A field they did not ask for reads as empty,
    except State, which reads as UNKNOWN: a job of unknown state is not a damaged row.
    """
    lowered = [f.lower() for f in given]
    if lowered == [f.lower() for f in SACCT_FIELDS]:
        return 0, None
    if "jobid" not in lowered:
        raise ValueError("a sacct field list needs JobID")
    where = [lowered.index(f.lower()) if f.lower() in lowered else -1 for f in SACCT_FIELDS]
    absent = ["UNKNOWN" if f == "State" else "" for f in SACCT_FIELDS]
    pairs = list(zip(where, absent, strict=True))
    return lowered.index("jobid"), lambda cells: [cells[i] if i >= 0 else empty for i, empty in pairs]


def _rows(text: str, delimiter: str, given: tuple[str, ...]) -> Iterator[list[str] | Damaged]:
    id_cell, reorder = _layout(given)
    cut = split_rows(text, delimiter, len(given), id_cell)
    if reorder is None:
        return cut
    return (cells if isinstance(cells, Damaged) else reorder(cells) for cells in cut)


def parse_sacct_rows(
    text: str, delimiter: str = SEPARATOR, field_names: Sequence[str] = SACCT_FIELDS
) -> RecordList[SacctRow]:
    """Every row sacct printed, job rows and step rows, in order; unreadable rows as `problems`.

    `field_names` is the --format list the text was made with (ours by default; other sites'
    captures name theirs), `delimiter` its --delimiter.
    """
    # The cyclic GC would scan the growing list of fresh rows again and again (it cost a third
    # of the time on 100,000 rows); rows hold no reference cycles, so pause it while parsing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_rows(_rows(text, delimiter, tuple(field_names)))
    finally:
        if gc_was_enabled:
            gc.enable()


def _parse_rows(cut: Iterable[list[str] | Damaged]) -> RecordList[SacctRow]:
    rows: RecordList[SacctRow] = RecordList()
    problems: list[RowProblem] = []
    append = rows.append
    make = _make_row
    states, exits, times, tres = parse_state_cell, parse_exit_cell, parse_time_cell, Tres
    durations, memory, ints = parse_duration_cell, parse_memory_cell, parse_int_cell
    total = parse_cpu_time  # TotalCPU differs on every row: remembering it would only churn the cache
    no_node, unknown = _NO_NODE, JobState.UNKNOWN
    for cells in cut:
        if isinstance(cells, Damaged):
            problems.append(RowProblem("sacct", cells.job_id, f"unreadable row: {cells.reason}", cells.text[:200]))
            continue
        (job_id, name, user, partition, node_list, state, exit_code, submit, start, end, elapsed, time_limit,
         max_rss, req_mem, alloc_cpus, comment, work_dir, reason, job_id_raw, nnodes, ntasks, total_cpu,
         req_tres, alloc_tres, usage_max, usage_tot) = cells  # fmt: skip
        try:
            parsed_state = states[state]
            if parsed_state.state is unknown:
                raise SlurmParseError("unknown state", state)
            job, dot, step = job_id.partition(".")
            req, form = memory[req_mem]
            append(make((
                job, step if dot else None, name, parsed_state.state, parsed_state.by_uid, exits[exit_code],
                user or None, partition or None, None if node_list in no_node else node_list,
                times[submit], times[start], times[end], durations[elapsed], durations[time_limit],
                memory[max_rss][0], req, form == "c", ints[alloc_cpus], comment or None, work_dir or None,
                reason or None, job_id_raw or None, form == "n", ints[nnodes], ints[ntasks], total(total_cpu),
                tres(req_tres) if req_tres else None, tres(alloc_tres) if alloc_tres else None,
                tres(usage_max) if usage_max else None, tres(usage_tot) if usage_tot else None,
            )))  # fmt: skip
        except SlurmParseError:
            row, found = _careful_row(cells)
            problems.extend(found)
            if row is not None:
                append(row)
    rows.problems = tuple(problems)
    return rows


def _careful_row(cells: list[str]) -> tuple[SacctRow | None, list[RowProblem]]:
    """The slow path for a row with a bad cell: each cell on its own, the bad ones named.

    A bad date, size or count becomes None. A state this version does not know, or an exit
    code that cannot be read, makes the row's state UNKNOWN: nothing may decide on it.
    """
    job_id = cells[0].strip()
    problems: list[RowProblem] = []

    def cell(index: int, convert: Callable[[str], Any], default: Any = None) -> Any:
        try:
            return convert(cells[index])
        except SlurmParseError:
            problems.append(RowProblem("sacct", job_id, f"cannot read {SACCT_FIELDS[index]}", cells[index][:200]))
            return default

    parsed = cell(5, parse_state_cell)
    state = parsed.state if parsed is not None else JobState.UNKNOWN
    if parsed is not None and parsed.unknown is not None:
        problems.append(RowProblem("sacct", job_id, f"state {parsed.unknown!r} is unknown to this version", cells[5]))
    exit_status = cell(6, parse_exit_cell)
    if exit_status is None:
        state, exit_status = JobState.UNKNOWN, parse_exit_cell("")
    req, form = cell(13, parse_memory_cell, (None, ""))
    job, dot, step = job_id.partition(".")
    row = SacctRow(
        job_id=job, step=step if dot else None, name=cells[1], state=state,
        cancelled_by_uid=parsed.by_uid if parsed is not None else None, exit_status=exit_status,
        user=cells[2] or None, partition=cells[3] or None, node_list=None if cells[4] in _NO_NODE else cells[4],
        submit=cell(7, parse_time_cell), start=cell(8, parse_time_cell), end=cell(9, parse_time_cell),
        elapsed=cell(10, parse_duration_cell), time_limit=cell(11, parse_duration_cell),
        max_rss=cell(12, parse_memory_cell, (None, ""))[0], req_mem=req, req_mem_per_cpu=form == "c",
        alloc_cpus=cell(14, parse_int_cell), comment=cells[15] or None, work_dir=cells[16] or None,
        reason=cells[17] or None, job_id_raw=cells[18] or None, req_mem_per_node=form == "n",
        nnodes=cell(19, parse_int_cell), ntasks=cell(20, parse_int_cell), total_cpu=cell(21, parse_cpu_time),
        req_tres=cell(22, parse_tres_cell), alloc_tres=cell(23, parse_tres_cell),
        tres_usage_in_max=cell(24, parse_tres_cell), tres_usage_in_tot=cell(25, parse_tres_cell),
    )  # fmt: skip
    return row, problems


def group_accounting(rows: Iterable[SacctRow], problems: Iterable[RowProblem] = ()) -> AccountingMap:
    """Job rows with their steps, keyed by job id (`123`, `123_4`, `123+0`); steps without a job row
    are dropped.

    sacct prints each job and step once. A second row with the same id can only come from text
    that imitates rows (a job name, if it ever held the call's delimiter): that job's state
    becomes UNKNOWN, so that nothing decides on rows that may be forged, and it is reported.
    """
    jobs: dict[str, SacctRow] = {}
    steps: dict[str, list[SacctRow]] = {}
    seen_steps: set[tuple[str, str]] = set()
    twice: list[str] = []
    for row in rows:
        if row.step is None:
            if row.job_id in jobs:
                twice.append(row.job_id)
                continue
            jobs[row.job_id] = row
            steps[row.job_id] = []
        elif row.job_id in steps:
            if (row.job_id, row.step) in seen_steps:
                twice.append(row.job_id)
                continue
            seen_steps.add((row.job_id, row.step))
            steps[row.job_id].append(row)
    found = list(problems)
    for job_id in dict.fromkeys(twice):
        jobs[job_id] = replace(jobs[job_id], state=JobState.UNKNOWN)
        found.append(RowProblem("sacct", job_id, "sacct printed this job or one of its steps twice; not trusting it"))
    return AccountingMap(((job_id, JobAccounting(job, tuple(steps[job_id]))) for job_id, job in jobs.items()), found)


def is_placeholder(accounting: JobAccounting) -> bool:
    """slurmdbd's stand-in job row: the job's own start record has not arrived yet.

    Seen on 22.05 for about a second after a job starts, and again right after a short job ends:
    JobName `allocation`, User `root`, no Partition, ReqMem `16?`, with the steps already there
    and a state that may be PENDING or already final. Its name, user and request are not the
    job's (tests/captures/sacct_fresh_job.txt, sacct_placeholder_completed.txt). A real job row
    always has a partition, pending ones too.
    """
    return accounting.job.partition is None


def parse_sacct(text: str, delimiter: str = SEPARATOR, field_names: Sequence[str] = SACCT_FIELDS) -> AccountingMap:
    """sacct text -> accounting per job id, with the rows that could not be read as `problems`."""
    rows = parse_sacct_rows(text, delimiter, field_names)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return group_accounting(rows, rows.problems)
    finally:
        if gc_was_enabled:
            gc.enable()
