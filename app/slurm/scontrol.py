"""scontrol: `show job` parsed into ControllerJob.

`scontrol show job` prints `Key=Value` pairs, several per line. Values may contain spaces and
`=` (a Comment, a Command or StdOut path), so a pair ends only where the next `Key=` starts
after whitespace, and the free-text keys (JobName, Command, WorkDir, Std*, Comment) always run
to the end of their line, which is how scontrol lays them out.
"""

from __future__ import annotations

import re

from app.model.exit_status import ExitStatus
from app.slurm.convert import (
    parse_base_state,
    parse_duration_cell,
    parse_exit_cell,
    parse_int_cell,
    parse_time_cell,
    text_or_none,
)
from app.slurm.errors import SlurmParseError
from app.slurm.records import ControllerJob

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


def parse_show_job_blocks(text: str) -> list[dict[str, str]]:
    """Each job's Key=Value pairs, in order; a `JobId=` key starts a new job."""
    jobs: list[dict[str, str]] = []
    for line in text.split("\n"):
        for key, value in _pairs(line):
            if key == "JobId":
                jobs.append({})
            if not jobs:
                raise SlurmParseError("scontrol show job printed text before any JobId=", text[:2000])
            jobs[-1].setdefault(key, value)
    return jobs


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
