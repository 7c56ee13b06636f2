"""The pure diagnosis rules on records shaped like what the real Slurm 22.05 printed.

Rows follow /work/shared/slurm-testbed.md's table and tests/captures/endings/; the endings this
testbed cannot produce are only here: BOOT_FAIL, and out-of-memory without cgroups (FAILED 0:9,
batch step `CANCELLED by 0`, MaxRSS above ReqMem).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.diagnose import DiagnosisKind, LogTail, NothingToDiagnose, diagnose
from app.diagnose.fixes import signal_option, wall_time
from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.units import Duration, MemorySize
from app.slurm.records import ControllerJob, JobAccounting, SacctRow

M = 1024 * 1024
NAMES = {0: "root", 1001: "alice", 1002: "bob"}.__getitem__


def row(
    state: JobState,
    exit: str = "0:0",
    step: str | None = None,
    by: int | None = None,
    max_rss_mib: int | None = None,
    elapsed: int = 10,
    limit: int | None = 3600,
    req_mib: int | None = 512,
    node: str | None = "lr1",
) -> SacctRow:
    return SacctRow(
        job_id="42",
        step=step,
        name="train.sh" if step is None else step,
        state=state,
        cancelled_by_uid=by,
        exit_status=ExitStatus.parse(exit),
        user="alice" if step is None else None,
        partition="debug" if step is None else None,
        node_list=node,
        elapsed=Duration(elapsed),
        time_limit=Duration(limit) if (limit is not None and step is None) else None,
        max_rss=MemorySize.mebibytes(max_rss_mib) if max_rss_mib is not None else None,
        req_mem=MemorySize.mebibytes(req_mib) if (req_mib is not None and step is None) else None,
        alloc_cpus=1,
        work_dir="/home/alice/run",
    )


def acct(job: SacctRow, *steps: SacctRow) -> JobAccounting:
    return JobAccounting(job, tuple(steps))


def ctl(state: JobState, exit: str | None, **kw: object) -> ControllerJob:
    return ControllerJob(
        job_id="42",
        name="train.sh",
        user="alice",
        state=state,
        exit_status=ExitStatus.parse(exit) if exit else None,
        **kw,  # type: ignore[arg-type]
    )


def log(text: str, first_line: int | None = 1) -> LogTail:
    return LogTail("/home/alice/run/42.out", text=text, first_line=first_line)


# ---- out of memory, three real forms ---------------------------------------------------------


def test_cgroup_oom_doubles_the_limit_it_was_killed_at() -> None:
    d = diagnose(
        acct(row(JobState.OUT_OF_MEMORY, "0:125"), row(JobState.OUT_OF_MEMORY, "0:125", "batch", max_rss_mib=500)),
        logs=[log("loading\nslurmstepd: error: Detected 1 oom-kill event(s) in StepId=42.batch.")],
        name_of_uid=NAMES,
    )
    assert d.kind is DiagnosisKind.OUT_OF_MEMORY
    # Killed at its 512M limit: the need is above it, unknown; twice the limit can succeed (peak +25 % would not).
    assert d.fix_options == {"mem": "1G"}
    assert "--mem=1G" in (d.suggestion or "") and "missed the last spike" in d.explanation
    values = [e.value for e in d.evidence]
    assert "0:125" in values and any(v.startswith("500M") for v in values) and any("oom-kill" in v for v in values)
    assert any(e.item == "42.out:2" for e in d.evidence)


def test_oom_without_cgroups_is_failed_0_9_with_the_step_cancelled_by_root() -> None:
    d = diagnose(
        acct(
            row(JobState.FAILED, "0:9"),
            row(JobState.CANCELLED, "0:9", "batch", by=0, max_rss_mib=530),
            row(JobState.COMPLETED, "0:0", "extern", max_rss_mib=1),
        )
    )
    assert d.kind is DiagnosisKind.OUT_OF_MEMORY
    assert d.fix_options == {"mem": "1280M"}  # overshot to 530M before the kill: 530M x 2 -> 1280M (256M steps)
    assert any(e.item == "42.batch State" and e.value == "CANCELLED by 0" for e in d.evidence)


def test_sigkill_far_below_the_request_is_not_called_oom() -> None:
    d = diagnose(acct(row(JobState.FAILED, "0:9"), row(JobState.CANCELLED, "0:9", "batch", max_rss_mib=20)))
    assert d.kind is DiagnosisKind.KILLED_BY_SIGNAL and d.signal == "SIGKILL"
    assert d.ambiguous and not d.fix_options


def test_exit_137_from_scontrol_at_the_memory_limit_is_oom() -> None:
    d = diagnose(
        acct(row(JobState.FAILED, "9:0"), row(JobState.FAILED, "9:0", "batch", max_rss_mib=505)),
        ctl(JobState.FAILED, "137:0"),
    )
    assert d.kind is DiagnosisKind.OUT_OF_MEMORY and d.fix_options == {"mem": "1G"}


# ---- exit codes and the 128 offset -------------------------------------------------------------


def test_sacct_9_0_without_scontrol_is_ambiguous() -> None:
    d = diagnose(acct(row(JobState.FAILED, "9:0"), row(JobState.FAILED, "9:0", "batch", max_rss_mib=3)))
    assert d.kind is DiagnosisKind.EXIT_AMBIGUOUS
    assert d.exit_codes == (9, 137)
    assert d.ambiguous and "137" in d.title


def test_scontrol_137_decides_a_command_died_of_sigkill() -> None:
    d = diagnose(
        acct(row(JobState.FAILED, "9:0"), row(JobState.FAILED, "9:0", "batch", max_rss_mib=3)),
        ctl(JobState.FAILED, "137:0"),
    )
    assert d.kind is DiagnosisKind.EXIT_SIGNAL and d.exit_codes == (137,) and d.signal == "SIGKILL"
    assert any(e.source == "scontrol" and e.value == "137:0" for e in d.evidence)


def test_exit_152_is_sigxcpu_and_gets_more_time() -> None:
    ambiguous = diagnose(acct(row(JobState.FAILED, "24:0", limit=600)))
    assert ambiguous.kind is DiagnosisKind.EXIT_AMBIGUOUS and ambiguous.exit_codes == (24, 152)
    exact = diagnose(acct(row(JobState.FAILED, "24:0", limit=600)), ctl(JobState.FAILED, "152:0"))
    assert exact.kind is DiagnosisKind.EXIT_SIGNAL and exact.signal == "SIGXCPU"
    assert exact.fix_options == {"time": "00:15:00"}


@pytest.mark.parametrize(
    ("code", "kind", "line"),
    [
        (127, DiagnosisKind.COMMAND_NOT_FOUND, "slurm_script: line 3: trian: command not found"),
        (126, DiagnosisKind.NOT_EXECUTABLE, "slurm_script: line 4: ./run.sh: Permission denied"),
        (3, DiagnosisKind.EXIT_CODE, "error: input.csv has no header"),
    ],
)  # fmt: skip
def test_script_errors_quote_the_log_line(code: int, kind: DiagnosisKind, line: str) -> None:
    d = diagnose(acct(row(JobState.FAILED, f"{code}:0")), logs=[log(f"start\n{line}\n")])
    assert d.kind is kind and d.exit_codes == (code,)
    assert any(e.source == "log" and e.value == line and e.item == "42.out:2" for e in d.evidence)


def test_exit_1_and_2_say_what_they_usually_mean() -> None:
    one = diagnose(acct(row(JobState.FAILED, "1:0")), logs=[log("Traceback (most recent call last):\nValueError")])
    assert one.kind is DiagnosisKind.EXIT_CODE and "general error" in one.explanation
    assert one.ambiguous == ()  # exit 1 is not flagged as "maybe 129"
    two = diagnose(acct(row(JobState.FAILED, "2:0")))
    assert "usage error" in two.explanation


def test_memory_error_in_the_log_is_out_of_memory() -> None:
    d = diagnose(acct(row(JobState.FAILED, "1:0"), row(JobState.FAILED, "1:0", "batch", max_rss_mib=100)),
                 logs=[log("x = np.zeros(...)\nMemoryError: Unable to allocate 8.00 GiB")])  # fmt: skip
    assert d.kind is DiagnosisKind.OUT_OF_MEMORY and d.fix_options == {"mem": "1G"}


def test_exit_75_is_a_checkpoint_that_continues_the_chain() -> None:
    d = diagnose(acct(row(JobState.FAILED, "75:0")))
    assert d.kind is DiagnosisKind.CHECKPOINTED and d.continues_chain


# ---- signals and failed launches ---------------------------------------------------------------


def test_killed_by_usr1_suggests_a_trap() -> None:
    d = diagnose(acct(row(JobState.FAILED, "0:10"), row(JobState.CANCELLED, "0:10", "batch")))
    assert d.kind is DiagnosisKind.KILLED_BY_SIGNAL and d.signal == "SIGUSR1"
    assert d.handler_snippet and "trap" in d.handler_snippet


def test_output_not_creatable() -> None:
    later = diagnose(acct(row(JobState.FAILED, "0:53", elapsed=0), row(JobState.CANCELLED, "0:53", "batch", elapsed=0)))
    assert later.kind is DiagnosisKind.OUTPUT_NOT_CREATABLE and later.ambiguous
    held = diagnose(
        acct(row(JobState.FAILED, "0:53", elapsed=0)),
        ctl(JobState.FAILED, "0:53", std_out="/nonexistent/dir/x.out", reason="JobLaunchFailure"),
        logs=[LogTail("/nonexistent/dir/x.out", problem="no such file", directory_exists=False)],
    )
    assert held.kind is DiagnosisKind.OUTPUT_NOT_CREATABLE and not held.ambiguous
    assert "/nonexistent/dir/x.out" in held.explanation


# ---- endings Slurm decides ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "elapsed", "time", "signal"),
    [(60, 74, "00:02:00", "B:TERM@30"), (600, 605, "00:15:00", "B:TERM@150"), (7200, 7230, "03:00:00", "B:TERM@300")],
)
def test_timeout_without_handler(limit: int, elapsed: int, time: str, signal: str) -> None:
    d = diagnose(
        acct(row(JobState.TIMEOUT, limit=limit, elapsed=elapsed), row(JobState.CANCELLED, "0:15", "batch")),
        logs=[log("slurmstepd-lr1: error: *** JOB 42 ON lr1 CANCELLED AT 2026-11-22T01:37:54 DUE TO TIME LIMIT ***")],
    )
    assert d.kind is DiagnosisKind.TIMEOUT and d.continues_chain
    assert d.fix_options == {"time": time, "signal": signal}
    assert d.handler_snippet and f"--signal={signal}" in d.handler_snippet


def test_timeout_with_a_handler_that_was_too_slow_asks_for_more_lead() -> None:
    script = "#!/bin/bash\n#SBATCH --signal=B:TERM@60\ntrap 'save; exit 75' TERM\n"
    d = diagnose(acct(row(JobState.TIMEOUT, limit=3600, elapsed=3605)), script_text=script)
    assert d.kind is DiagnosisKind.TIMEOUT and d.handler_snippet is None
    assert d.fix_options == {"time": "01:30:00", "signal": "B:TERM@300"}


def test_controller_still_completing_does_not_hide_the_timeout() -> None:
    d = diagnose(acct(row(JobState.TIMEOUT, limit=60, elapsed=74)), ctl(JobState.COMPLETING, "0:15"))
    assert d.kind is DiagnosisKind.TIMEOUT


def test_completed_after_the_warning_signal_is_stopped_early() -> None:
    d = diagnose(
        acct(row(JobState.COMPLETED, limit=60, elapsed=14)),
        logs=[
            log(
                "working\nslurmstepd-lr1: error: *** JOB 42 ON lr1 CANCELLED AT 2026-11-22T01:36:54 ***\n"
                "Received SIGTERM, saving checkpoint\n"
            )
        ],
    )
    assert d.kind is DiagnosisKind.STOPPED_EARLY and d.fix_options == {"time": "00:02:00"}
    assert not d.ambiguous and [e.item for e in d.evidence if e.source == "log"] == ["42.out:2", "42.out:3"]


def test_completed_near_the_limit_without_log_is_stopped_early_but_uncertain() -> None:
    d = diagnose(acct(row(JobState.COMPLETED, limit=3600, elapsed=3560)))
    assert d.kind is DiagnosisKind.STOPPED_EARLY and d.ambiguous


def test_plain_completion_and_an_oversized_request() -> None:
    d = diagnose(acct(row(JobState.COMPLETED, req_mib=8192), row(JobState.COMPLETED, step="batch", max_rss_mib=300)))
    assert d.kind is DiagnosisKind.COMPLETED
    assert d.fix_options == {"mem": "384M"}  # 300M * 1.25 = 375M -> 384M


@pytest.mark.parametrize(
    ("state", "kind"),
    [(JobState.PREEMPTED, DiagnosisKind.PREEMPTED), (JobState.NODE_FAIL, DiagnosisKind.NODE_FAIL),
     (JobState.BOOT_FAIL, DiagnosisKind.BOOT_FAIL), (JobState.REVOKED, DiagnosisKind.REVOKED)],
)  # fmt: skip
def test_endings_that_are_not_the_jobs_fault(state: JobState, kind: DiagnosisKind) -> None:
    d = diagnose(acct(row(state, node="lr2")))
    assert d.kind is kind and d.continues_chain
    if kind in (DiagnosisKind.NODE_FAIL, DiagnosisKind.BOOT_FAIL):
        assert d.fix_options == {"exclude": "lr2"}


def test_deadline_that_never_started() -> None:
    d = diagnose(acct(row(JobState.DEADLINE, "1:0", elapsed=0, limit=300)))
    assert d.kind is DiagnosisKind.DEADLINE and "without running it" in d.explanation


@pytest.mark.parametrize(
    ("uid", "who", "phrase"),
    [(1001, "alice", "the job's owner"), (0, "root", "Slurm itself"), (1002, "bob", "not the job's owner"),
     (4242, "uid 4242", "not the job's owner")],
)  # fmt: skip
def test_cancelled_says_by_whom(uid: int, who: str, phrase: str) -> None:
    def names(u: int) -> str:
        return {0: "root", 1001: "alice", 1002: "bob"}.get(u, f"uid {u}")

    d = diagnose(acct(row(JobState.CANCELLED, by=uid)), name_of_uid=names)
    assert d.kind is DiagnosisKind.CANCELLED and d.cancelled_by == who and phrase in d.explanation


def test_live_jobs() -> None:
    pending = diagnose(None, ctl(JobState.PENDING, "0:0", reason="DependencyNeverSatisfied"))
    assert pending.kind is DiagnosisKind.PENDING and "never" in pending.explanation and pending.suggestion
    running = diagnose(acct(row(JobState.RUNNING, elapsed=600, limit=3600)))
    assert running.kind is DiagnosisKind.RUNNING and "00:50:00 left" in running.explanation
    requeued = diagnose(acct(row(JobState.REQUEUED)))
    assert requeued.kind is DiagnosisKind.REQUEUED


def test_nothing_to_diagnose() -> None:
    with pytest.raises(NothingToDiagnose):
        diagnose(None, None)


def test_unreadable_log_is_said_in_the_evidence() -> None:
    d = diagnose(acct(row(JobState.FAILED, "3:0")), logs=[LogTail("/x/slurm-42.out", problem="no such file")])
    assert any(e.source == "log" and "no such file" in e.value for e in d.evidence)


def test_tail_without_known_line_numbers_cites_its_place_in_the_tail() -> None:
    d = diagnose(acct(row(JobState.FAILED, "127:0")), logs=[log("a\nfoo: command not found", first_line=None)])
    assert any(e.item == "42.out tail line 2" for e in d.evidence)


def test_json_has_the_documented_keys() -> None:
    data = diagnose(acct(row(JobState.TIMEOUT, limit=60, elapsed=70))).as_json()
    assert set(data) == {"kind", "title", "explanation", "evidence", "suggestion", "fix_options", "ambiguous",
                         "exit_codes", "signal", "cancelled_by", "handler_snippet", "continues_chain",
                         "failed_steps", "memory", "time", "pending", "chain", "family", "details"}  # fmt: skip
    assert data["kind"] == "timeout" and isinstance(data["evidence"], list)


# ---- the numbers -------------------------------------------------------------------------------


def test_wall_time_and_signal_lead() -> None:
    assert wall_time(Duration(59), None) == Duration.minutes(2)
    assert wall_time(None, Duration(int(timedelta(hours=1).total_seconds()))) == Duration.minutes(90)
    assert wall_time(None, Duration(0)) is None
    assert signal_option(None) == "B:TERM@300"
    assert signal_option(Duration.minutes(1)) == "B:TERM@30"
    assert signal_option(Duration.minutes(20)) == "B:TERM@300"


def test_sigpipe_like_code_is_ambiguous_but_exit_3_is_not() -> None:
    assert diagnose(acct(row(JobState.FAILED, "13:0"))).exit_codes == (13, 141)
    plain = diagnose(acct(row(JobState.FAILED, "3:0")))
    assert plain.kind is DiagnosisKind.EXIT_CODE and plain.exit_codes == (3,) and not plain.ambiguous
