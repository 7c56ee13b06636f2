"""scontrol: `show job` parsed into ControllerJob, `show partition` into Partition.

`scontrol show job` prints `Key=Value` pairs, several per line. Values may contain spaces and
`=` (a Comment, a Command or StdOut path), so a pair ends only where the next `Key=` starts
after whitespace, and the free-text keys (JobName, Command, WorkDir, Std*, Comment) always run
to the end of their line, which is how scontrol lays them out.
"""

from __future__ import annotations

import re

from app.model.exit_status import ExitStatus
from app.model.units import Duration, MemorySize
from app.slurm.convert import (
    parse_base_state,
    parse_duration_cell,
    parse_exit_cell,
    parse_int_cell,
    parse_time_cell,
    text_or_none,
)
from app.slurm.errors import SlurmParseError
from app.slurm.records import ControllerJob, Partition

_KEY = re.compile(r"(?:(?<=\s)|^)([A-Za-z][A-Za-z0-9_:/.]*)=")
REST_OF_LINE_KEYS = frozenset(
    {"JobName", "Command", "WorkDir", "StdErr", "StdIn", "StdOut", "Comment", "AdminComment", "SystemComment",
     "Power", "SubmitLine"}
)  # fmt: skip
_NULLS = frozenset({"", "(null)", "N/A"})


def show_job_argv(job_id: str) -> list[str]:
    return ["scontrol", "show", "job", job_id]


def _pairs(line: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    matches = list(_KEY.finditer(line))
    for index, match in enumerate(matches):
        key = match.group(1)
        if key in REST_OF_LINE_KEYS:
            pairs.append((key, line[match.end() :].rstrip()))
            break
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        pairs.append((key, line[match.end() : end].strip()))
    return pairs


def _blocks(text: str, first_key: str, command: str) -> list[dict[str, str]]:
    """Each record's Key=Value pairs, in order; a `first_key=` key starts a new record."""
    records: list[dict[str, str]] = []
    for line in text.split("\n"):
        for key, value in _pairs(line):
            if key == first_key:
                records.append({})
            if not records:
                raise SlurmParseError(f"{command} printed text before any {first_key}=", text[:2000])
            records[-1].setdefault(key, value)
    return records


def parse_show_job_blocks(text: str) -> list[dict[str, str]]:
    """Each job's Key=Value pairs, in order; a `JobId=` key starts a new job."""
    return _blocks(text, "JobId", "scontrol show job")


def _controller_job(raw: dict[str, str]) -> ControllerJob:
    if "JobState" not in raw:
        raise SlurmParseError(f"scontrol show job printed no JobState for job {raw.get('JobId')}", str(raw)[:2000])
    user = raw.get("UserId", "")
    exit_text = raw.get("ExitCode")
    exit_status: ExitStatus | None = parse_exit_cell(exit_text) if exit_text else None
    restarts = parse_int_cell(raw.get("Restarts", "0")) or 0
    requeue = raw.get("Requeue")
    return ControllerJob(
        job_id=raw["JobId"],
        name=raw.get("JobName", ""),
        user=user.split("(", 1)[0] or None,
        state=parse_base_state(raw["JobState"]),
        exit_status=exit_status,
        reason=text_or_none(raw.get("Reason", "")),
        time_limit=parse_duration_cell(raw.get("TimeLimit", "")),
        run_time=parse_duration_cell(raw.get("RunTime", "")),
        submit=parse_time_cell(raw.get("SubmitTime", "")),
        start=parse_time_cell(raw.get("StartTime", "")),
        end=parse_time_cell(raw.get("EndTime", "")),
        std_out=text_or_none(raw.get("StdOut", "")),
        std_err=text_or_none(raw.get("StdErr", "")),
        work_dir=text_or_none(raw.get("WorkDir", "")),
        comment=None if raw.get("Comment", "") in _NULLS else raw["Comment"],
        requeue=None if requeue is None else requeue == "1",
        restarts=restarts,
        raw=dict(raw),
    )


def parse_show_job(text: str, job_id: str | None = None) -> ControllerJob:
    """The job `job_id` (or the first one) from `scontrol show job` text; SlurmParseError otherwise."""
    blocks = parse_show_job_blocks(text)
    if not blocks:
        raise SlurmParseError("scontrol show job printed no job", text[:2000])
    chosen = blocks[0]
    if job_id is not None:
        for block in blocks:
            array_id = f"{block.get('ArrayJobId')}_{block.get('ArrayTaskId')}"
            if job_id in (block.get("JobId"), array_id):
                chosen = block
                break
    return _controller_job(chosen)


def show_partition_argv() -> list[str]:
    """Every partition the user may see, in one call (`-o`: one line per partition)."""
    return ["scontrol", "-o", "show", "partition"]


_UNLIMITED = frozenset({"UNLIMITED", "INFINITE", "NONE", "(null)", "N/A", ""})


def _limit_duration(text: str | None) -> Duration | None:
    if text is None or text in _UNLIMITED:
        return None
    return parse_duration_cell(text)


def _limit_count(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _limit_megabytes(text: str | None) -> MemorySize | None:
    """`DefMemPerCPU=2150`, `MaxMemPerNode=UNLIMITED`: scontrol prints these limits in MB."""
    return MemorySize.mebibytes(int(text)) if text is not None and text.isdigit() else None


def _partition(raw: dict[str, str]) -> Partition:
    return Partition(
        name=raw["PartitionName"],
        max_time=_limit_duration(raw.get("MaxTime")),
        default_time=_limit_duration(raw.get("DefaultTime")),
        max_nodes=_limit_count(raw.get("MaxNodes")),
        max_mem_per_node=_limit_megabytes(raw.get("MaxMemPerNode")),
        max_mem_per_cpu=_limit_megabytes(raw.get("MaxMemPerCPU")),
        state=text_or_none(raw.get("State", "")),
        nodes=text_or_none(raw.get("Nodes", "")),
        total_nodes=_limit_count(raw.get("TotalNodes")),
        raw=dict(raw),
    )


def parse_show_partitions(text: str) -> dict[str, Partition]:
    """`scontrol [-o] show partition` text -> Partition by name. A block whose limits cannot be
    read is left out (its partition is then unknown, as if hidden), never a reason to fail."""
    found: dict[str, Partition] = {}
    if not text.strip() or text.lstrip().startswith("No partitions"):
        return found
    for raw in _blocks(text, "PartitionName", "scontrol show partition"):
        try:
            part = _partition(raw)
        except SlurmParseError:
            continue
        found[part.name] = part
    return found
