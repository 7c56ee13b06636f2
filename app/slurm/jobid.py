"""Slurm job ids as sbatch, sacct and squeue print them, and the family of one id.

`sbatch` prints one id. Accounting and the queue then show it as several records:
- a heterogeneous job `123` as its components `123+0`, `123+1`, ... (each with steps `123+0.batch`);
- an array job `123` as its tasks `123_1`, `123_2`, ... and, while some are still pending, one
  record for all of those: `123_[3-5%2]` (a `%N` limits how many run at once).
Every task and component also has a plain id of its own (sacct's JobIDRaw: `123_2` may be `125`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.slurm.records import JobAccounting

_ID = re.compile(r"^(\d+)(?:_(\d+|\[[^\]]*\]?))?(?:\+(\d+))?$")


@dataclass(frozen=True)
class JobRef:
    """A job id cut into its parts: `123_4` is base 123, task "4"; `123+1` base 123, offset 1."""

    base: str
    array_task: str | None = None  # "4", or "[3-5%2]" for the record of the pending tasks
    het_offset: int | None = None

    @property
    def pending_tasks(self) -> bool:
        """The array record that stands for every task not started yet."""
        return self.array_task is not None and self.array_task.startswith("[")


def parse_job_ref(job_id: str) -> JobRef | None:
    """`123`, `123_4`, `123_[1-5%2]`, `123+0` (a step suffix like `.batch` is not part of a job id)."""
    match = _ID.match(job_id.strip())
    if match is None:
        return None
    base, task, offset = match.groups()
    return JobRef(base, task, int(offset) if offset is not None else None)


def _order(ref: JobRef) -> tuple[int, int, int]:
    offset = ref.het_offset if ref.het_offset is not None else -1
    if ref.array_task is None:
        return (offset, -1, 0)
    if ref.pending_tasks:
        return (offset, 1 << 62, 0)
    return (offset, int(ref.array_task), 0)


def family_of(accounting: Mapping[str, JobAccounting], job_id: str) -> list[JobAccounting]:
    """Every record that belongs to `job_id` as sbatch printed it, in order.

    For `123`: the job itself, its heterogeneous components and its array tasks (the pending
    tasks' record last). For a task or component id (`123_4`, `123+1`), or the plain id of one
    (its JobIDRaw), just that record.
    """
    wanted = job_id.strip()
    if wanted in accounting and parse_job_ref(wanted) != JobRef(wanted):
        return [accounting[wanted]]
    members: list[tuple[tuple[int, int, int], JobAccounting]] = []
    for key, acc in accounting.items():
        ref = parse_job_ref(key)
        if ref is not None and ref.base == wanted:
            members.append((_order(ref), acc))
    if members:
        return [acc for _, acc in sorted(members, key=lambda m: m[0])]
    return [acc for acc in accounting.values() if acc.job.job_id_raw == wanted]
