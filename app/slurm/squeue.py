"""squeue: the argv we run and the parser of its text output into QueueRecord.

One call, `-h` and an explicit `-o` format whose cells are joined by a delimiter made for the
call (app/slurm/rows.py), so that no job name or comment (`|`, spaces, newlines, the unit
separator) can shift a column or split a row. With explicit job ids we add `-t all` so that a job
that ended moments ago (the controller keeps it MinJobAge seconds) is still reported. A row that
cannot be read is left out and reported (RecordList.problems); the others are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from app.model.states import JobState
from app.slurm.convert import parse_duration_cell, parse_state_cell, parse_time_cell, text_or_none
from app.slurm.errors import SlurmParseError
from app.slurm.records import QueueRecord, RecordList, RowProblem, StartEstimate
from app.slurm.rows import UNIT_SEPARATOR, Damaged, split_rows

SEPARATOR = UNIT_SEPARATOR  # the delimiter of texts made without a fresh one (older captures, tests)
# job id, name, user, state (long), partition, time used, limit, left, submit, start, reason, nodes, comment
SQUEUE_CODES = ("%i", "%j", "%u", "%T", "%P", "%M", "%l", "%L", "%V", "%S", "%r", "%N", "%k")
SQUEUE_FORMAT = SEPARATOR.join(SQUEUE_CODES)
_NFIELDS = len(SQUEUE_CODES)


def squeue_format(delimiter: str = SEPARATOR) -> str:
    return delimiter.join(SQUEUE_CODES)


def squeue_argv(job_ids: Sequence[str] | None = None, user: str | None = None, delimiter: str = SEPARATOR) -> list[str]:
    """One squeue call: the given jobs (any state), or the queue of `user`, or everyone's."""
    argv = ["squeue", "-h", "-o", squeue_format(delimiter)]
    if job_ids is not None:
        argv += ["-t", "all", "-j", ",".join(job_ids)]
    if user is not None:
        argv += ["-u", user]
    return argv


# `squeue --start`: job id, expected start, reason, the nodes the estimate assumes
START_CODES = ("%i", "%S", "%r", "%Y")


def squeue_start_argv(job_ids: Sequence[str], delimiter: str = SEPARATOR) -> list[str]:
    """One `squeue --start` call for the given jobs: Slurm's expected start of those still pending
    (the same START_TIME as `squeue --start` prints; the others are left out)."""
    return ["squeue", "--start", "-h", "-o", delimiter.join(START_CODES), "-j", ",".join(job_ids)]


def parse_squeue_start(text: str, delimiter: str = SEPARATOR) -> RecordList[StartEstimate]:
    """Rows of squeue_start_argv's call; unreadable rows as `problems`, never an exception."""
    found: list[StartEstimate] = []
    problems: list[RowProblem] = []
    for cells in split_rows(text, delimiter, len(START_CODES)):
        if isinstance(cells, Damaged):
            problems.append(RowProblem("squeue", cells.job_id, f"unreadable row: {cells.reason}", cells.text[:200]))
            continue
        job_id = cells[0].strip()
        try:
            start = parse_time_cell(cells[1])
        except SlurmParseError:
            problems.append(RowProblem("squeue", job_id, "cannot read %S", cells[1][:200]))
            start = None
        found.append(StartEstimate(job_id, start, text_or_none(cells[2]), text_or_none(cells[3])))
    return RecordList(found, problems)


def parse_squeue(text: str, delimiter: str = SEPARATOR) -> RecordList[QueueRecord]:
    """Rows of `squeue -o squeue_format(delimiter)`; unreadable rows as `problems`, never an exception."""
    records: list[QueueRecord] = []
    problems: list[RowProblem] = []
    for cells in split_rows(text, delimiter, _NFIELDS):
        if isinstance(cells, Damaged):
            problems.append(RowProblem("squeue", cells.job_id, f"unreadable row: {cells.reason}", cells.text[:200]))
            continue
        records.append(_record(cells, problems))
    return _distrust_repeated_ids(records, problems)


def _distrust_repeated_ids(records: list[QueueRecord], problems: list[RowProblem]) -> RecordList[QueueRecord]:
    """squeue prints each job once; a job id printed twice may be imitated by a name: UNKNOWN, reported."""
    first: dict[str, int] = {}
    kept: list[QueueRecord] = []
    for record in records:
        if record.job_id not in first:
            first[record.job_id] = len(kept)
            kept.append(record)
        elif kept[first[record.job_id]].state is not JobState.UNKNOWN:
            kept[first[record.job_id]] = replace(kept[first[record.job_id]], state=JobState.UNKNOWN)
            problems.append(RowProblem("squeue", record.job_id, "squeue printed this job twice; not trusting it"))
    return RecordList(kept, problems)


def _record(cells: list[str], problems: list[RowProblem]) -> QueueRecord:
    """The row as a record; a cell that cannot be read is None (state: UNKNOWN) and reported."""
    job_id, name, user, state, partition = cells[0].strip(), cells[1], cells[2], cells[3], cells[4]
    reason, nodes, comment = cells[10], cells[11], cells[12]

    def cell(index: int, convert: Callable[[str], Any]) -> Any:
        try:
            return convert(cells[index])
        except SlurmParseError:
            problems.append(RowProblem("squeue", job_id, f"cannot read {SQUEUE_CODES[index]}", cells[index][:200]))
            return None

    parsed = cell(3, parse_state_cell)
    if parsed is not None and parsed.unknown is not None:
        problems.append(RowProblem("squeue", job_id, f"state {parsed.unknown!r} is unknown to this version", state))
    return QueueRecord(
        job_id=job_id,
        name=name,
        user=user,
        state=parsed.state if parsed is not None else JobState.UNKNOWN,
        partition=text_or_none(partition),
        time_used=cell(5, parse_duration_cell),
        time_limit=cell(6, parse_duration_cell),
        time_left=cell(7, parse_duration_cell),
        submit=cell(8, parse_time_cell),
        start=cell(9, parse_time_cell),
        reason=text_or_none(reason),
        node_list=text_or_none(nodes),
        comment=text_or_none(comment),
    )
