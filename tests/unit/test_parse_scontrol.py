"""The `scontrol show job` parser on real captures (tests/captures/scontrol_show_job_*.txt)."""

from __future__ import annotations

import pytest

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.units import Duration
from app.slurm.errors import SlurmParseError
from app.slurm.scontrol import parse_show_job, parse_show_job_blocks
from tests.captures import capture_argv, capture_text


def test_running_job() -> None:
    job = parse_show_job(capture_text("scontrol_show_job_running.txt"))
    assert job.job_id == capture_argv("scontrol_show_job_running.txt")[-1]
    assert job.name == "lrcap-running" and job.user == "alice"
    assert job.state is JobState.RUNNING and job.exit_status == ExitStatus(0, 0)
    assert job.time_limit == Duration(600)
    assert job.start is not None and job.submit is not None
    assert job.end is not None and (job.end - job.start).total_seconds() == 600, "EndTime: the expected end"
    assert job.std_out is not None and job.std_out.endswith(f"/{job.job_id}.out")
    assert job.std_out == job.std_err and job.work_dir is not None
    assert job.requeue is True and job.restarts == 0
    assert job.raw["BatchHost"] == "lr1" and job.raw["TRES"] == "cpu=1,mem=200M,node=1,billing=1"
    assert job.raw["AllocNode:Sid"].startswith("localhost:") and job.raw["CPUs/Task"] == "1"
    assert job.comment is None


def test_finished_exit137_has_no_offset() -> None:
    job = parse_show_job(capture_text("scontrol_show_job_exit137.txt"))
    assert job.name == "lrcap-exit137" and job.state is JobState.FAILED
    assert job.exit_status == ExitStatus(137, 0), "scontrol keeps the real exit code"
    assert job.reason == "NonZeroExitCode" and job.end is not None and job.run_time == Duration(0)


def test_timeout_job_comment_with_a_space() -> None:
    job = parse_show_job(capture_text("scontrol_show_job_timeout.txt"))
    assert job.state is JobState.TIMEOUT and job.comment == "longrun:cap timeout"
    assert job.time_limit == Duration(60) and job.reason == "TimeLimit"


def test_pending_and_held() -> None:
    pending = parse_show_job(capture_text("scontrol_show_job_pending.txt"))
    assert pending.state is JobState.PENDING and pending.reason == "BeginTime" and pending.start is not None
    held = parse_show_job(capture_text("scontrol_show_job_held.txt"))
    assert held.reason == "JobHeldUser" and held.raw["Priority"] == "0" and held.start is None


def test_array_picks_the_requested_task() -> None:
    text = capture_text("scontrol_show_job_array.txt")
    blocks = parse_show_job_blocks(text)
    assert len(blocks) == 3 and {b["ArrayTaskId"] for b in blocks} == {"1", "2", "3"}
    base = blocks[0]["ArrayJobId"]
    task2 = next(b for b in blocks if b["ArrayTaskId"] == "2")
    assert parse_show_job(text, f"{base}_2").job_id == task2["JobId"]
    assert parse_show_job(text, task2["JobId"]).raw["ArrayTaskId"] == "2"
    assert parse_show_job(text).exit_status == ExitStatus(3, 0)


def test_values_with_spaces_and_equals_signs() -> None:
    text = (
        "JobId=5 JobName=my job | with=equals\n"
        "   UserId=bob(1002) GroupId=bob(1003) MCS_label=N/A\n"
        "   JobState=CANCELLED Reason=None Dependency=(null)\n"
        "   Requeue=0 Restarts=2 BatchFlag=1 Reboot=0 ExitCode=0:15\n"
        "   Command=/home/bob/my dir/run.sh --opt=1 x\n"
        "   WorkDir=/home/bob/my dir\n"
        "   Comment=longrun:abc key=value  two  spaces \n"
        "   StdOut=/home/bob/my dir/out Key=1.log\n"
    )
    job = parse_show_job(text)
    assert job.name == "my job | with=equals" and job.user == "bob"
    assert job.raw["Command"] == "/home/bob/my dir/run.sh --opt=1 x"
    assert job.work_dir == "/home/bob/my dir" and job.std_out == "/home/bob/my dir/out Key=1.log"
    assert job.comment == "longrun:abc key=value  two  spaces"
    assert job.requeue is False and job.restarts == 2 and job.exit_status == ExitStatus(0, 15)


@pytest.mark.parametrize(
    "text",
    ["", "garbage without pairs", "UserId=alice(1)\n", "JobId=1 JobName=x\n", "JobId=1\n JobState=w@t\n",
     "JobId=1\n JobState=RUNNING ExitCode=x\n", "JobId=1\n JobState=RUNNING Restarts=many\n"],
)  # fmt: skip
def test_bad_text_is_a_parse_error(text: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_show_job(text)


def test_a_state_newer_than_this_code_is_unknown() -> None:
    job = parse_show_job("JobId=1 JobName=x\n   JobState=EXPEDITING Reason=None\n")
    assert job.state is JobState.UNKNOWN and not job.state.is_terminal
