"""The sacct parser on real captures (tests/captures/sacct_*.txt): concrete fields per scenario."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.units import Duration, MemorySize
from app.slurm.client import _honest
from app.slurm.errors import SlurmParseError
from app.slurm.records import JobAccounting
from app.slurm.sacct import (
    SACCT_FIELDS,
    SEPARATOR,
    is_placeholder,
    parse_sacct,
    parse_sacct_rows,
    sacct_argv_for_jobs,
    sacct_argv_for_user,
)
from tests.captures import capture_argv, capture_text


@pytest.fixture(scope="module")
def scenarios() -> dict[str, JobAccounting]:
    jobs = parse_sacct(capture_text("sacct_scenarios.txt"))
    return {acc.job.name: acc for acc in jobs.values()}


def test_capture_was_made_by_the_clients_own_argv() -> None:
    captured = capture_argv("sacct_scenarios.txt")
    ours = sacct_argv_for_jobs(captured[-1].split(","))
    assert captured == ours


def test_all_ten_scenarios_are_read_with_their_steps(scenarios: dict[str, JobAccounting]) -> None:
    assert set(scenarios) == {
        "lrcap-completed", "lrcap-exit3", "lrcap-exit137", "lrcap-oom", "lrcap-timeout", "lrcap|pipe|name",
        "lrcap-cancelled", "lrcap-running", "lrcap-pending", "lrcap-held",
    }  # fmt: skip
    completed = scenarios["lrcap-completed"]
    assert [s.step for s in completed.steps] == ["batch", "0"]
    assert completed.steps[1].name == "echo"
    assert completed.steps[0].step_id == f"{completed.job_id}.batch"
    assert scenarios["lrcap-pending"].steps == ()


def test_completed_job_row(scenarios: dict[str, JobAccounting]) -> None:
    job = scenarios["lrcap-completed"].job
    assert job.state is JobState.COMPLETED and job.exit_status == ExitStatus(0, 0)
    assert job.user == "alice" and job.partition == "debug" and job.node_list == "lr1"
    assert job.comment == "longrun:cap with spaces x=y"
    assert job.work_dir is not None and job.work_dir.startswith("/tmp/longrun-tests/alice/captures-")
    assert job.req_mem == MemorySize.mebibytes(200) and not job.req_mem_per_cpu
    assert job.alloc_cpus == 1 and job.reason == "None"
    assert job.time_limit is None  # UNLIMITED
    assert job.max_rss is None, "MaxRSS is empty on the job row"
    assert isinstance(job.submit, datetime) and job.start is not None and job.end is not None
    assert job.submit <= job.start <= job.end


def test_exit_codes_failed_and_the_128_offset(scenarios: dict[str, JobAccounting]) -> None:
    exit3 = scenarios["lrcap-exit3"]
    assert exit3.job.state is JobState.FAILED and exit3.job.exit_status == ExitStatus(3, 0)
    assert exit3.steps[0].exit_status == ExitStatus(3, 0)
    exit137 = scenarios["lrcap-exit137"].job
    assert exit137.exit_status == ExitStatus(9, 0), "sacct 22.05 prints exit 137 as 9:0"
    assert exit137.exit_status.possible_codes_from_sacct() == (9, 137)


def test_out_of_memory(scenarios: dict[str, JobAccounting]) -> None:
    oom = scenarios["lrcap-oom"]
    assert oom.job.state is JobState.OUT_OF_MEMORY and oom.job.exit_status == ExitStatus(0, 125)
    assert oom.job.req_mem == MemorySize.mebibytes(100)
    assert oom.requested_memory == MemorySize.mebibytes(100)
    assert oom.steps[0].state is JobState.OUT_OF_MEMORY


def test_timeout_with_cancelled_steps(scenarios: dict[str, JobAccounting]) -> None:
    timeout = scenarios["lrcap-timeout"]
    assert timeout.job.state is JobState.TIMEOUT and timeout.job.state.continues_chain
    assert timeout.job.time_limit == Duration(60)
    assert timeout.job.elapsed is not None and timeout.job.elapsed.seconds >= 60
    assert timeout.job.comment == "longrun:cap timeout"
    assert [(s.step, s.state, s.exit_status) for s in timeout.steps] == [
        ("batch", JobState.CANCELLED, ExitStatus(0, 15)),
        ("0", JobState.CANCELLED, ExitStatus(0, 15)),
    ]
    assert timeout.peak_rss is not None and timeout.peak_rss == max(s.max_rss for s in timeout.steps if s.max_rss)
    assert timeout.steps[0].max_rss is not None and timeout.steps[0].max_rss.bytes % 1024 == 0


def test_name_with_pipes_keeps_columns(scenarios: dict[str, JobAccounting]) -> None:
    pipe = scenarios["lrcap|pipe|name"]
    assert pipe.job.state is JobState.COMPLETED and pipe.job.user == "alice"
    assert pipe.job.time_limit == Duration(300)
    assert pipe.steps[0].max_rss is not None and pipe.steps[0].max_rss.bytes > 0


def test_cancelled_by_uid(scenarios: dict[str, JobAccounting]) -> None:
    cancelled = scenarios["lrcap-cancelled"]
    assert cancelled.job.state is JobState.CANCELLED and cancelled.job.cancelled_by_uid == 1001
    assert cancelled.steps[0].cancelled_by_uid is None and cancelled.steps[0].exit_status == ExitStatus(0, 15)


def test_running_and_pending_rows(scenarios: dict[str, JobAccounting]) -> None:
    running = scenarios["lrcap-running"]
    assert running.job.state is JobState.RUNNING and running.job.end is None  # End "Unknown"
    assert running.job.time_limit == Duration(600)
    assert running.steps[0].max_rss is None
    pending = scenarios["lrcap-pending"].job
    assert pending.state is JobState.PENDING and pending.start is None
    assert pending.node_list is None  # "None assigned"
    assert pending.time_limit is None  # Partition_Limit
    assert pending.reason == "BeginTime"
    assert scenarios["lrcap-held"].job.reason == "JobHeldUser"
    assert not is_placeholder(scenarios["lrcap-pending"])


def test_array_tasks_are_jobs_of_their_own() -> None:
    jobs = parse_sacct(capture_text("sacct_array.txt"))
    assert len(jobs) == 3
    tasks = sorted(jobs)
    base = tasks[0].split("_")[0]
    assert tasks == [f"{base}_1", f"{base}_2", f"{base}_3"]
    for acc in jobs.values():
        assert acc.job.state is JobState.FAILED and acc.job.exit_status == ExitStatus(3, 0)
        assert [s.step_id for s in acc.steps] == [f"{acc.job_id}.batch"]


def test_fresh_job_placeholder_row_is_recognised() -> None:
    jobs = parse_sacct(capture_text("sacct_fresh_job.txt"))
    (acc,) = jobs.values()
    assert acc.job.name == "allocation" and acc.job.user == "root"
    assert acc.job.state is JobState.PENDING and acc.steps[0].state is JobState.RUNNING
    assert acc.job.req_mem is None, "ReqMem `16?` is unknown, not an error"
    assert is_placeholder(acc)


def test_placeholder_row_can_already_be_final() -> None:
    (acc,) = parse_sacct(capture_text("sacct_placeholder_completed.txt")).values()
    assert acc.job.name == "allocation" and acc.job.state is JobState.COMPLETED
    assert [s.step for s in acc.steps] == ["batch", "0"]
    assert is_placeholder(acc)
    real = parse_sacct(capture_text("sacct_scenarios.txt"))
    assert not any(is_placeholder(a) for a in real.values()), "real rows, pending ones too, have a partition"


def test_client_keeps_a_placeholders_facts_but_not_its_made_up_name_and_user() -> None:
    (acc,) = parse_sacct(capture_text("sacct_placeholder_completed.txt")).values()
    honest = _honest(acc)
    assert honest.job.name == "" and honest.job.user is None
    assert honest.job.state is JobState.COMPLETED and honest.job.exit_status == acc.job.exit_status
    assert honest.steps == acc.steps and honest.job.end == acc.job.end
    real = next(iter(parse_sacct(capture_text("sacct_array.txt")).values()))
    assert _honest(real) is real


def test_fast_rows_equal_rows_built_by_the_dataclass() -> None:
    for row in parse_sacct_rows(capture_text("sacct_scenarios.txt")):
        rebuilt = dataclasses.replace(row)
        assert rebuilt == row and hash(rebuilt) == hash(row)
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.name = "x"  # type: ignore[misc]


def _row(job_id: str = "5", name: str = "n", state: str = "COMPLETED", **cells: str) -> str:
    values = dict.fromkeys(SACCT_FIELDS, "")
    values.update({"JobID": job_id, "JobName": name, "State": state, "ExitCode": "0:0"})
    values.update(cells)
    return SEPARATOR.join(values[f] for f in SACCT_FIELDS)


def test_steps_extern_units_and_durations() -> None:
    text = "\n".join([
        _row("7", Timelimit="2-00:00:00", ReqMem="4Gc", AllocCPUS="4", Elapsed="1-02:03:04", Submit="None"),
        _row("7.batch", "batch", MaxRSS="207688K"),
        _row("7.extern", "extern", MaxRSS="1.5M"),
        _row("7.0", "python", MaxRSS="2G"),
    ])  # fmt: skip
    acc = parse_sacct(text)["7"]
    assert [s.step for s in acc.steps] == ["batch", "extern", "0"]
    assert acc.job.time_limit == Duration(2 * 86400) and acc.job.elapsed == Duration(93784)
    assert acc.job.submit is None
    assert acc.job.req_mem_per_cpu and acc.requested_memory == MemorySize(16 * 1024**3)
    assert acc.steps[0].max_rss == MemorySize(207688 * 1024)
    assert acc.steps[1].max_rss == MemorySize(3 * 512 * 1024)
    assert acc.peak_rss == MemorySize(2 * 1024**3)


def test_a_newline_inside_a_name_or_comment_continues_on_the_next_line() -> None:
    text = "\n".join([_row("9", "two\nlines", Comment="a\nb\nc"), _row("9.batch", "batch")])
    acc = parse_sacct(text)["9"]
    assert acc.job.name == "two\nlines" and acc.job.comment == "a\nb\nc"
    assert [s.step for s in acc.steps] == ["batch"]


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        SEPARATOR * 30,
        _row(state="NOT_A_STATE"),
        _row(ExitCode="x"),
        _row(Submit="2026-13-45T99:00:00"),
        _row(Elapsed="forever"),
        _row(job_id=""),
        _row(AllocCPUS="many"),
    ],
)
def test_bad_text_is_a_parse_error(text: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_sacct_rows(text)


def test_empty_output_is_no_rows_and_orphan_steps_are_dropped() -> None:
    assert parse_sacct_rows("") == [] and parse_sacct_rows("\n\n") == []
    assert parse_sacct(_row("3.batch", "batch")) == {}


def test_user_argv() -> None:
    argv = sacct_argv_for_user("alice", datetime(2026, 11, 1, 8, 0))
    assert argv[-6:] == ["-u", "alice", "-S", "2026-11-01T08:00:00", "-E", "now"]
    assert "-a" in sacct_argv_for_user(None, datetime(2026, 11, 1))
