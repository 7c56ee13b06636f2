"""The sacct parser on real captures (tests/captures/sacct_*.txt): concrete fields per scenario,
per-row recovery (one bad cell never blanks the rest), unknown states, odd ids and odd names."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.units import Duration, MemorySize
from app.slurm.client import _honest
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
from tests.captures import capture_argv, capture_text, parse_sacct_capture, sacct_layout

NEW_CAPTURES = ("sacct_usage.txt", "sacct_hetjob.txt", "sacct_array_pending.txt", "sacct_odd_names.txt")


@pytest.fixture(scope="module")
def scenarios() -> dict[str, JobAccounting]:
    jobs = parse_sacct_capture("sacct_scenarios.txt")
    return {acc.job.name: acc for acc in jobs.values()}


@pytest.mark.parametrize("name", NEW_CAPTURES)
def test_capture_was_made_by_the_clients_own_argv(name: str) -> None:
    captured = capture_argv(name)
    delimiter, _ = sacct_layout(name)
    assert captured == sacct_argv_for_jobs(captured[-1].split(","), delimiter)
    assert delimiter != SEPARATOR and len(delimiter) > 10, "a fresh delimiter per call"
    assert parse_sacct_capture(name).problems == ()


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
    jobs = parse_sacct_capture("sacct_array.txt")
    assert len(jobs) == 3
    tasks = sorted(jobs)
    base = tasks[0].split("_")[0]
    assert tasks == [f"{base}_1", f"{base}_2", f"{base}_3"]
    for acc in jobs.values():
        assert acc.job.state is JobState.FAILED and acc.job.exit_status == ExitStatus(3, 0)
        assert [s.step_id for s in acc.steps] == [f"{acc.job_id}.batch"]


def test_fresh_job_placeholder_row_is_recognised() -> None:
    jobs = parse_sacct_capture("sacct_fresh_job.txt")
    (acc,) = jobs.values()
    assert acc.job.name == "allocation" and acc.job.user == "root"
    assert acc.job.state is JobState.PENDING and acc.steps[0].state is JobState.RUNNING
    assert acc.job.req_mem is None, "ReqMem `16?` is unknown, not an error"
    assert is_placeholder(acc)


def test_placeholder_row_can_already_be_final() -> None:
    (acc,) = parse_sacct_capture("sacct_placeholder_completed.txt").values()
    assert acc.job.name == "allocation" and acc.job.state is JobState.COMPLETED
    assert [s.step for s in acc.steps] == ["batch", "0"]
    assert is_placeholder(acc)
    real = parse_sacct_capture("sacct_scenarios.txt")
    assert not any(is_placeholder(a) for a in real.values()), "real rows, pending ones too, have a partition"


def test_client_keeps_a_placeholders_facts_but_not_its_made_up_name_and_user() -> None:
    (acc,) = parse_sacct_capture("sacct_placeholder_completed.txt").values()
    honest = _honest(acc)
    assert honest.job.name == "" and honest.job.user is None
    assert honest.job.state is JobState.COMPLETED and honest.job.exit_status == acc.job.exit_status
    assert honest.steps == acc.steps and honest.job.end == acc.job.end
    real = next(iter(parse_sacct_capture("sacct_array.txt").values()))
    assert _honest(real) is real


def test_fast_rows_equal_rows_built_by_the_dataclass() -> None:
    delimiter, fields = sacct_layout("sacct_usage.txt")
    rows = parse_sacct_rows(capture_text("sacct_usage.txt"), delimiter, fields)
    assert len(rows) == 9 and rows[1].tres_usage_in_tot is not None
    for row in rows:
        rebuilt = dataclasses.replace(row)
        assert rebuilt == row and hash(rebuilt) == hash(row)
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.name = "x"  # type: ignore[misc]


def _row(job_id: str = "5", name: str = "n", state: str = "COMPLETED", **cells: str) -> str:
    """One row as the client's sacct call prints it (every field; empty where not given)."""
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


def test_req_mem_forms_of_every_slurm_version() -> None:
    text = "\n".join([
        _row("1", ReqMem="4000Mc", AllocCPUS="16"),  # per CPU, before 21.08
        _row("2", ReqMem="16000Mn", NNodes="2"),  # per node, before 21.08
        _row("3", ReqMem="32G", NNodes="2", AllocTRES="billing=16,cpu=16,mem=32G,node=2"),  # the job's total
        _row("4", ReqMem="1.50Gn"),
    ])  # fmt: skip
    jobs = parse_sacct(text)
    assert (jobs["1"].job.req_mem, jobs["1"].job.req_mem_per_cpu, jobs["1"].job.req_mem_per_node) == (
        MemorySize.mebibytes(4000), True, False)  # fmt: skip
    assert jobs["2"].job.req_mem_per_node and not jobs["2"].job.req_mem_per_cpu
    assert not jobs["3"].job.req_mem_per_node and not jobs["3"].job.req_mem_per_cpu
    assert jobs["4"].job.req_mem == MemorySize(3 * 512 * 1024**2) and jobs["4"].job.req_mem_per_node


def test_one_unreadable_cell_leaves_every_other_job_whole() -> None:
    """A damaged Submit date in the middle: that job keeps its state, the others are untouched."""
    delimiter, fields = sacct_layout("sacct_usage.txt")
    lines = capture_text("sacct_usage.txt").split("\n")
    clean = parse_sacct(capture_text("sacct_usage.txt"), delimiter, fields)
    middle = next(i for i, line in enumerate(lines) if line.split(delimiter)[0].endswith(".0"))
    cells = lines[middle].split(delimiter)  # lrcap-four-tasks' .0 step, the middle of the text
    victim = cells[0]
    cells[fields.index("Submit")] = "2026-13-45T99:00:00"
    lines[middle] = delimiter.join(cells)
    damaged = parse_sacct("\n".join(lines), delimiter, fields)
    assert set(damaged) == set(clean)
    assert [(p.job_id, p.message, p.text) for p in damaged.problems] == [
        (victim, "cannot read Submit", "2026-13-45T99:00:00")
    ]
    job = victim.split(".")[0]
    assert damaged[job].steps[1].submit is None and damaged[job].steps[1].state is JobState.COMPLETED
    for other in set(clean) - {job}:
        assert damaged[other] == clean[other]


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        ("State", "LAUNCH_FAILED", "state 'LAUNCH_FAILED' is unknown to this version"),
        ("State", "??", "cannot read State"),
        ("ExitCode", "x", "cannot read ExitCode"),
    ],
)
def test_an_unknown_state_or_exit_makes_that_job_unknown_never_an_ending(cell: str, value: str, message: str) -> None:
    delimiter, fields = sacct_layout("sacct_usage.txt")
    lines = capture_text("sacct_usage.txt").split("\n")
    cells = lines[2].split(delimiter)  # lrcap-four-tasks' job row
    cells[fields.index(cell)] = value
    lines[2] = delimiter.join(cells)
    jobs = parse_sacct("\n".join(lines), delimiter, fields)
    four = jobs[cells[0]]
    assert four.job.state is JobState.UNKNOWN and not four.job.state.is_terminal and not four.job.state.is_active
    assert [p.message for p in jobs.problems] == [message] and jobs.problems[0].job_id == cells[0]
    assert [s.state for s in four.steps] == [JobState.COMPLETED, JobState.COMPLETED]
    assert sum(1 for acc in jobs.values() if acc.job.state is JobState.COMPLETED) == 3


def test_a_job_printed_twice_is_not_trusted() -> None:
    text = "\n".join([_row("5", state="RUNNING"), _row("5.batch", "batch", state="RUNNING"), _row("5"),
                      _row("6")])  # fmt: skip
    jobs = parse_sacct(text)
    assert jobs["5"].job.state is JobState.UNKNOWN and jobs["6"].job.state is JobState.COMPLETED
    assert [(p.job_id, p.message) for p in jobs.problems] == [
        ("5", "sacct printed this job or one of its steps twice; not trusting it")
    ]


def test_heterogeneous_job_components_and_their_steps() -> None:
    jobs = parse_sacct_capture("sacct_hetjob.txt")
    (first, second) = sorted(jobs)
    assert first.endswith("+0") and second.endswith("+1") and first[:-2] == second[:-2]
    assert [s.step_id for s in jobs[first].steps] == [f"{first}.batch", f"{first}.0"]
    assert [s.step_id for s in jobs[second].steps] == [f"{second}.0"]
    assert jobs[first].job.partition == "debug" and jobs[second].job.partition == "preemptible"
    assert jobs[first].job.job_id_raw == first[:-2] and jobs[second].job.job_id_raw != jobs[first].job.job_id_raw
    assert jobs[second].job.req_mem == MemorySize.mebibytes(150) and jobs[second].job.alloc_cpus == 2


def test_array_with_a_limit_and_pending_tasks() -> None:
    jobs = parse_sacct_capture("sacct_array_pending.txt")
    pending = next(j for j in jobs if "[" in j)
    base = pending.split("_")[0]
    assert pending.startswith(f"{base}_[") and pending.endswith("%1]")
    assert jobs[pending].job.state is JobState.PENDING and jobs[pending].job.job_id_raw == base
    started = [j for j in jobs if j != pending]
    assert started and all(j.startswith(f"{base}_") and jobs[j].job.job_id_raw != base for j in started)


def test_names_that_try_to_break_rows_are_names() -> None:
    """bob's jobs named with the unit separator, newlines, escapes, 1,024 characters, and one that
    imitates a COMPLETED row of alice's job: every row as Slurm meant it."""
    jobs = parse_sacct_capture("sacct_odd_names.txt")
    assert jobs.problems == () and len(jobs) == 8
    alice = next(acc for acc in jobs.values() if acc.job.name == "lrcap-alice-between")
    assert alice.job.state is JobState.RUNNING and alice.job.user == "alice"
    names = {acc.job.name for acc in jobs.values() if acc.job.user == "bob"}
    # slurmdbd keeps 255 characters of a name (squeue shows all 1,024)
    assert {"lrcap-x\x1fy", "lrcap-two\nlines", "lrcap|p|q", "lrcap-[@click=app.quit]", "lrcap-" + "L" * 249} <= names
    assert "lrcap-\x1b]0;TITLE\x07-\x1b[2J" in names
    forged = next(n for n in names if n.startswith("lrcap-forge\n"))
    assert f"\n{alice.job_id}\x1f" in forged and "COMPLETED" in forged
    assert all(acc.job.state is JobState.CANCELLED for acc in jobs.values() if acc.job.user == "bob")


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        SEPARATOR * 30,
        _row(state="NOT A STATE"),
        _row(ExitCode="x"),
        _row(Submit="2026-13-45T99:00:00"),
        _row(Elapsed="forever"),
        _row(job_id=""),
        _row(AllocCPUS="many"),
        _row(NNodes="two", TotalCPU="lots"),
    ],
)
def test_bad_text_is_a_problem_never_an_exception(text: str) -> None:
    rows = parse_sacct_rows(text)
    assert rows.problems, "the bad row is reported"
    assert all(p.command == "sacct" and p.message for p in rows.problems)
    assert all(r.state is JobState.UNKNOWN or r.state is JobState.COMPLETED for r in rows)


def test_empty_output_is_no_rows_and_orphan_steps_are_dropped() -> None:
    assert parse_sacct_rows("") == [] and parse_sacct_rows("\n\n") == []
    assert parse_sacct(_row("3.batch", "batch")) == {}


def test_user_argv() -> None:
    argv = sacct_argv_for_user("alice", datetime(2026, 11, 1, 8, 0))
    assert argv[-6:] == ["-u", "alice", "-S", "2026-11-01T08:00:00", "-E", "now"]
    assert "-a" in sacct_argv_for_user(None, datetime(2026, 11, 1))
