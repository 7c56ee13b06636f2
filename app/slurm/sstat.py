"""sstat: the live memory of running job steps; the argv we run and the parser of its output.

sacct has no MaxRSS for a step until it ends; sstat asks the nodes themselves, while a step runs.
One call for every step of the given jobs (`-a`). sstat has no --delimiter option, so we ask
only for cells that hold no free text (ids, numbers, the node list, TRES lists) and cut at `|`.

What the cells mean for a RUNNING step (seen on the test cluster, Slurm 22.05, tests/captures):
MaxRSS and TRESUsageInMax `mem=` are the largest task's peak so far; TRESUsageInTot `mem=` is the
tasks' memory NOW, added up (it falls when a task frees memory; AveRSS is it divided by the tasks).

sstat of another user's job prints `Invalid user id` on stderr and exits 0, as does a job with no
running step (`couldn't get steps for job N`): `sstat_failure` turns those into typed errors.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.slurm.convert import parse_int_cell, parse_memory_cell, parse_tres_cell, text_or_none
from app.slurm.errors import PermissionDenied, SlurmError, SlurmParseError, UnknownJob
from app.slurm.hostlist import count_hosts
from app.slurm.records import LiveStep, RecordList, RowProblem
from app.slurm.rows import looks_like_job_id
from app.slurm.runner import CommandResult, classify_failure

SSTAT_FIELDS = ("JobID", "NTasks", "Nodelist", "MaxRSS", "AveRSS", "TRESUsageInMax", "TRESUsageInTot")


def sstat_argv(job_ids: Sequence[str]) -> list[str]:
    """One sstat call for every running step of the given jobs."""
    return ["sstat", "-a", "-n", "-P", "--format=" + ",".join(SSTAT_FIELDS), "-j", ",".join(job_ids)]


def parse_sstat(text: str, fields: Sequence[str] = SSTAT_FIELDS) -> RecordList[LiveStep]:
    """Rows of `sstat -n -P --format=FIELDS` (our SSTAT_FIELDS, or another site's list: cells are read
    by name, absent ones are None); unreadable rows as `problems`, never an exception. A step
    printed twice (sstat does when asked for `-a` and `.batch`) is kept once."""
    where = {name.lower(): index for index, name in enumerate(fields)}
    steps: dict[str, LiveStep] = {}
    problems: list[RowProblem] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = line.split("|")
        job_id, dot, step = cells[0].strip().partition(".")
        if len(cells) != len(fields) or not dot or not looks_like_job_id(job_id):
            problems.append(RowProblem("sstat", job_id if looks_like_job_id(job_id) else None, "unreadable row",
                                       line[:200]))  # fmt: skip
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            index = where.get(name.lower())
            return cells[index] if index is not None else ""

        try:
            row = LiveStep(
                job_id=job_id,
                step=step,
                ntasks=parse_int_cell(cell("NTasks")),
                nnodes=count_hosts(cell("Nodelist")),
                node_list=text_or_none(cell("Nodelist")),
                max_rss=parse_memory_cell(cell("MaxRSS"))[0],
                ave_rss=parse_memory_cell(cell("AveRSS"))[0],
                tres_usage_in_max=parse_tres_cell(cell("TRESUsageInMax")),
                tres_usage_in_tot=parse_tres_cell(cell("TRESUsageInTot")),
            )
        except SlurmParseError as exc:
            problems.append(RowProblem("sstat", job_id, str(exc), line[:200]))
            continue
        steps.setdefault(row.step_id, row)
    return RecordList(steps.values(), problems)


_DENIED = ("invalid user id", "access/permission denied")
_NO_STEPS = ("couldn't get steps for job", "no steps running", "invalid job id")


def sstat_failure(result: CommandResult) -> SlurmError | None:
    """The error sstat reported, also when it exited 0 (it does for both refusals below); None when
    it printed steps or nothing went wrong. A job without running steps is UnknownJob."""
    lowered = result.stderr.lower()
    if result.stdout.strip():
        return None
    if any(marker in lowered for marker in _DENIED):
        return PermissionDenied(f"sstat: only the job's owner (or an administrator) can see its live use: "
                                f"{result.stderr.strip().splitlines()[0]}")  # fmt: skip
    if any(marker in lowered for marker in _NO_STEPS):
        return UnknownJob("sstat: no running step")
    if result.returncode != 0:
        return classify_failure(result.argv, result.returncode, result.stderr)
    return None
