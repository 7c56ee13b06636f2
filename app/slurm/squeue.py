"""squeue: the argv we run and the parser of its text output into QueueRecord.

One call, `-h` and an explicit `-o` format whose cells are separated by the ASCII unit
separator, so names with `|` or spaces survive. With explicit job ids we add `-t all` so that a
job that ended moments ago (the controller keeps it MinJobAge seconds) is still reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.slurm.convert import parse_base_state, parse_duration_cell, parse_time_cell, text_or_none
from app.slurm.errors import SlurmParseError
from app.slurm.records import QueueRecord

SEPARATOR = "\x1f"
# job id, name, user, state (long), partition, time used, limit, left, submit, start, reason, nodes, comment
SQUEUE_FORMAT = SEPARATOR.join(("%i", "%j", "%u", "%T", "%P", "%M", "%l", "%L", "%V", "%S", "%r", "%N", "%k"))
_NFIELDS = 13


def squeue_argv(job_ids: Sequence[str] | None = None, user: str | None = None) -> list[str]:
    """One squeue call: the given jobs (any state), or the queue of `user`, or everyone's."""
    argv = ["squeue", "-h", "-o", SQUEUE_FORMAT]
    if job_ids is not None:
        argv += ["-t", "all", "-j", ",".join(job_ids)]
    if user is not None:
        argv += ["-u", user]
    return argv


def parse_squeue(text: str) -> list[QueueRecord]:
    """Rows of `squeue -o SQUEUE_FORMAT`; SlurmParseError on anything else."""
    records: list[QueueRecord] = []
    for line in text.split("\n"):  # not splitlines(): names may hold \x1c-\x1e or \u2028
        if not line.strip(" \r\t"):  # not strip(): the separator \x1f counts as whitespace
            continue
        cells = line.split(SEPARATOR)
        if len(cells) != _NFIELDS:
            raise SlurmParseError(f"squeue printed {len(cells)} fields where {_NFIELDS} were asked for", line)
        job_id, name, user, state, partition, used, limit, left, submit, start, reason, nodes, comment = cells
        if not job_id.strip():
            raise SlurmParseError("squeue printed a row without a job id", line)
        records.append(
            QueueRecord(
                job_id=job_id.strip(),
                name=name,
                user=user,
                state=parse_base_state(state),
                partition=text_or_none(partition),
                time_used=parse_duration_cell(used),
                time_limit=parse_duration_cell(limit),
                time_left=parse_duration_cell(left),
                submit=parse_time_cell(submit),
                start=parse_time_cell(start),
                reason=text_or_none(reason),
                node_list=text_or_none(nodes),
                comment=text_or_none(comment),
            )
        )
    return records
