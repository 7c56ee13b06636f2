"""sacctmgr: the job-count limits that apply to a user (associations and QOS), read-only queries.

`sacctmgr -n -P show assoc where user=U format=Account,Partition,MaxJobs,MaxSubmit,QOS` and
`sacctmgr -n -P show qos format=Name,MaxJobsPU,MaxSubmitPU`: `|`-separated, one row per line,
an empty cell for "no limit". Account and QOS names cannot hold `|` (sacctmgr refuses them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobLimits:
    """The tightest limits found (None: none set). `sources` says where each came from."""

    max_jobs: int | None = None  # running at once
    max_submit: int | None = None  # running and pending at once
    sources: tuple[str, ...] = ()


def assoc_argv(user: str) -> list[str]:
    return ["sacctmgr", "-n", "-P", "show", "assoc", "where", f"user={user}",
            "format=Account,Partition,MaxJobs,MaxSubmit,QOS"]  # fmt: skip


def qos_argv() -> list[str]:
    return ["sacctmgr", "-n", "-P", "show", "qos", "format=Name,MaxJobsPU,MaxSubmitPU"]


def _number(cell: str) -> int | None:
    cell = cell.strip()
    return int(cell) if cell.isdigit() else None


def _tighter(old: int | None, new: int | None) -> int | None:
    return new if old is None else old if new is None else min(old, new)


def parse_limits(assoc_text: str, qos_text: str) -> JobLimits:
    """The tightest MaxJobs/MaxSubmit over the user's associations and the QOS they may use."""
    max_jobs: int | None = None
    max_submit: int | None = None
    sources: list[str] = []
    qos_names: set[str] = set()
    for line in assoc_text.splitlines():
        cells = line.split("|")
        if len(cells) < 5:
            continue
        account, partition, jobs, submit, qos = cells[:5]
        where = f"association {account}" + (f" (partition {partition})" if partition else "")
        if _number(jobs) is not None or _number(submit) is not None:
            sources.append(f"{where}: MaxJobs={jobs or '-'} MaxSubmit={submit or '-'}")
        max_jobs, max_submit = _tighter(max_jobs, _number(jobs)), _tighter(max_submit, _number(submit))
        qos_names.update(q for q in qos.split(",") if q)
    for line in qos_text.splitlines():
        cells = line.split("|")
        if len(cells) < 3 or (qos_names and cells[0] not in qos_names):
            continue
        name, jobs, submit = cells[:3]
        if _number(jobs) is not None or _number(submit) is not None:
            sources.append(f"QOS {name}: MaxJobsPU={jobs or '-'} MaxSubmitPU={submit or '-'}")
        max_jobs, max_submit = _tighter(max_jobs, _number(jobs)), _tighter(max_submit, _number(submit))
    return JobLimits(max_jobs, max_submit, tuple(sources))
