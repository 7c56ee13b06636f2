"""Jobs that sbatch printed as one id but Slurm runs as several: array tasks and the components
of a heterogeneous job (app/slurm/jobid.py finds them). `explain 123` of an array summarises how
its tasks ended; of a heterogeneous job it explains the component that decided, and lists all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from app.diagnose.diagnosis import Diagnosis, DiagnosisKind
from app.slurm.jobid import parse_job_ref
from app.slurm.records import JobAccounting

FamilyKind = Literal["array", "heterogeneous"]
# A task or component whose diagnosis is one of these did not decide how the family ended.
_QUIET = frozenset({DiagnosisKind.COMPLETED, DiagnosisKind.RUNNING, DiagnosisKind.PENDING})


@dataclass(frozen=True)
class Member:
    """One array task or heterogeneous component, and its diagnosis in short."""

    job_id: str  # `123_4`, `123+1`, or `123_[5-9%2]` for the tasks not started yet
    raw_id: str | None  # its own job id (sacct's JobIDRaw)
    state: str
    exit_code: str
    partition: str | None
    kind: str  # its diagnosis kind
    title: str
    tasks: int = 1  # the pending tasks' record stands for this many tasks (0 when it cannot be read)

    def as_json(self) -> dict[str, object]:
        return {"job_id": self.job_id, "raw_id": self.raw_id, "state": self.state, "exit_code": self.exit_code,
                "partition": self.partition, "kind": self.kind, "title": self.title, "tasks": self.tasks}  # fmt: skip


@dataclass(frozen=True)
class FamilySummary:
    kind: FamilyKind
    job_id: str
    members: tuple[Member, ...]

    def counts(self) -> dict[str, int]:
        """How many tasks (components) ended how: diagnosis kind -> count, in order of appearance."""
        found: dict[str, int] = {}
        for member in self.members:
            found[member.kind] = found.get(member.kind, 0) + member.tasks
        return found

    def sentences(self) -> list[str]:
        if self.kind == "heterogeneous":
            return [f"component {m.job_id} ({m.partition or 'no partition'}): {m.state} {m.exit_code}, {m.title}"
                    for m in self.members]  # fmt: skip
        groups: dict[str, list[Member]] = {}
        for member in self.members:
            groups.setdefault(member.title, []).append(member)
        lines = []
        for title, members in groups.items():
            count = sum(m.tasks for m in members)
            ids = ", ".join(m.job_id for m in members[:8]) + (", ..." if len(members) > 8 else "")
            lines.append(f"{count} x {title}: {ids}")
        return lines

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "job_id": self.job_id, "counts": self.counts(),
                "members": [m.as_json() for m in self.members]}  # fmt: skip


def family_kind(members: Sequence[JobAccounting]) -> FamilyKind | None:
    """What the records of one sbatch id are: an array, a heterogeneous job, or (None) one plain job."""
    refs = [parse_job_ref(m.job_id) for m in members]
    if any(ref is not None and ref.het_offset is not None for ref in refs):
        return "heterogeneous"
    if any(ref is not None and ref.array_task is not None for ref in refs):
        return "array"
    return None


def task_count(spec: str) -> int:
    """How many tasks `[2-5%1]`, `[1,3,7-9]`, `[0-15:4]` stands for; 0 when it cannot be read."""
    body = spec.strip("[]").split("%", 1)[0]
    total = 0
    for part in body.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+)(?::(\d+))?)?", part.strip())
        if match is None:
            return 0
        first, last, step = int(match[1]), int(match[2] or match[1]), int(match[3] or 1)
        if last < first or step < 1:
            return 0
        total += (last - first) // step + 1
    return total


def _member(acc: JobAccounting, found: Diagnosis | None) -> Member:
    ref = parse_job_ref(acc.job_id)
    job = acc.job
    tasks = task_count(ref.array_task) if ref is not None and ref.pending_tasks and ref.array_task else 1
    if found is None:
        kind, title = DiagnosisKind.PENDING.value, "Pending (not started yet)"
    else:
        kind, title = found.kind.value, found.title
    return Member(acc.job_id, job.job_id_raw, job.state.value, str(job.exit_status), job.partition, kind, title, tasks)


def summarise_array(
    job_id: str, members: Sequence[JobAccounting], explain: Callable[[JobAccounting], Diagnosis]
) -> Diagnosis:
    """How the tasks of array `job_id` ended (each explained from accounting alone)."""
    rows = []
    for acc in members:
        ref = parse_job_ref(acc.job_id)
        pending_record = ref is not None and ref.pending_tasks
        rows.append(_member(acc, None if pending_record else explain(acc)))
    summary = FamilySummary("array", job_id, tuple(rows))
    total = sum(m.tasks for m in rows)
    counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in summary.counts().items())
    worst = next((m for m in rows if m.kind not in {k.value for k in _QUIET}), None)
    suggestion = "Explain one task for its log and fix: `longrun explain " + (worst or rows[0]).job_id + "`."
    if worst is None:
        suggestion = "Nothing failed. " + suggestion
    return Diagnosis(
        DiagnosisKind.ARRAY,
        f"Array of {total} tasks: {counts}",
        f"Job {job_id} is an array: each task is a job of its own (id {job_id}_N). This is how they ended, each "
        "explained from accounting alone.",
        suggestion=suggestion,
        family=summary,
    )


def heterogeneous(job_id: str, members: Sequence[JobAccounting], diagnoses: Sequence[Diagnosis]) -> Diagnosis:
    """The component that decided how heterogeneous job `job_id` ended, with every component listed.

    The batch script runs in component +0; a component that failed otherwise (its own step killed,
    out of memory) decides over a quiet +0. Failed steps of every component are named.
    """
    rows = tuple(_member(acc, found) for acc, found in zip(members, diagnoses, strict=True))
    index = next((i for i, d in enumerate(diagnoses) if d.kind not in _QUIET), 0)
    main = diagnoses[index]
    steps = tuple(step for d in diagnoses for step in d.failed_steps)
    ambiguous = main.ambiguous
    if main.fix_options and len(members) > 1:
        ambiguous += (f"A heterogeneous job: these sbatch options are for component {members[index].job_id} "
                      f"(hetjob group {index}) only.",)  # fmt: skip
    return replace(main, family=FamilySummary("heterogeneous", job_id, rows), failed_steps=steps, ambiguous=ambiguous)
