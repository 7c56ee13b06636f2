"""Slurm's failure messages (tests/captures/*.stderr) -> typed errors; sbatch --parsable output."""

from __future__ import annotations

import pytest

from app.slurm.errors import (
    PermissionDenied,
    SlurmCommandError,
    SlurmError,
    SlurmParseError,
    SlurmTimeout,
    SlurmUnavailable,
    SubmissionRejected,
    UnknownJob,
)
from app.slurm.runner import CommandResult, classify_failure
from app.slurm.sbatch import parse_sbatch_output, sbatch_argv
from app.slurm.scancel import scancel_argv, scancel_failure
from tests.captures import capture_argv, capture_text


def _exit_status(name: str) -> int:
    cmd = capture_text(name.rsplit(".", 1)[0] + ".cmd")
    return int(next(line for line in cmd.splitlines() if line.startswith("# exit status:")).split(":")[1])


def _classify(name: str) -> SlurmError:
    return classify_failure(capture_argv(name), _exit_status(name) or 1, capture_text(name))


@pytest.mark.parametrize(
    ("capture", "error"),
    [
        ("sbatch_rejected_partition.stderr", SubmissionRejected),
        ("scontrol_invalid_id.stderr", UnknownJob),
        ("squeue_invalid_id.stderr", UnknownJob),
        ("scontrol_hold_permission_denied.stderr", PermissionDenied),
        ("scancel_permission_denied.stderr", PermissionDenied),
        ("scancel_signal_invalid_id.stderr", UnknownJob),
        ("scancel_signal_ended_job.stderr", UnknownJob),
    ],
)
def test_captured_failures_map_to_types(capture: str, error: type[SlurmError]) -> None:
    assert type(_classify(capture)) is error


def test_rejection_keeps_slurms_own_message() -> None:
    error = _classify("sbatch_rejected_partition.stderr")
    assert "Invalid partition name specified" in str(error)
    assert "invalid partition specified: nonexistent" in str(error)


def test_plugin_noise_is_left_out_of_the_message() -> None:
    message = str(_classify("scancel_signal_invalid_id.stderr"))
    assert "Invalid job id specified" in message and "select/" not in message


def _scancel(name: str, signal: str | None = None) -> SlurmError | None:
    result = CommandResult(tuple(capture_argv(name)), _exit_status(name), "", capture_text(name))
    return scancel_failure(result, signal)


def test_scancel_reports_errors_even_with_exit_zero() -> None:
    assert _exit_status("scancel_invalid_id.stderr") == 0
    assert isinstance(_scancel("scancel_invalid_id.stderr"), UnknownJob)
    assert isinstance(_scancel("scancel_permission_denied.stderr"), PermissionDenied)


def test_cancelling_an_ended_job_is_fine_but_signalling_it_is_not() -> None:
    assert _scancel("scancel_already_completed.stderr") is None
    error = _scancel("scancel_already_completed.stderr", signal="USR1")
    assert isinstance(error, SlurmCommandError) and "already completing or completed" in str(error)
    clean = CommandResult(("scancel", "-v", "5"), 0, "", "scancel: Terminating job 5\n")
    assert scancel_failure(clean, None) is None


@pytest.mark.parametrize(
    ("stderr", "error"),
    [
        ("sacct: error: Problem talking to the database: Connection refused", SlurmUnavailable),
        ("squeue: error: Unable to contact slurm controller (connect failure)", SlurmUnavailable),
        ("sbatch: error: Batch job submission failed: Socket timed out on send/recv operation", SlurmTimeout),
        ("sbatch: error: Batch job submission failed: Unable to contact slurm controller", SlurmUnavailable),
        ("sacct: fatal: Bad job/step specified: abc", SlurmCommandError),
        ("", SlurmCommandError),
    ],
)
def test_outages_and_others(stderr: str, error: type[SlurmError]) -> None:
    command = stderr.split(":", 1)[0] or "sacct"
    assert type(classify_failure([command, "x"], 1, stderr)) is error


def test_sbatch_parsable_output() -> None:
    captured = capture_text("sbatch_parsable.txt")
    assert parse_sbatch_output(captured) == (captured.strip(), None) and captured.strip().isdigit()
    assert parse_sbatch_output("1234;longrun-test\n") == ("1234", "longrun-test")
    assert parse_sbatch_output("sbatch: warning: something\n77\n") == ("77", None)
    for bad in ("", "Submitted batch job 12", "12;", "x;y"):
        with pytest.raises(SlurmParseError):
            parse_sbatch_output(bad)


def test_argvs() -> None:
    assert sbatch_argv("/a/run.sh", ["--lr", "1"], ["--time=5", "-J", "x"]) == [
        "sbatch", "--parsable", "--time=5", "-J", "x", "/a/run.sh", "--lr", "1"]  # fmt: skip
    assert scancel_argv("5") == ["scancel", "-v", "5"]
    assert scancel_argv("5", "USR1", batch_only=True) == ["scancel", "-v", "--signal=USR1", "--batch", "5"]
    assert scancel_argv("5", "TERM", full=True) == ["scancel", "-v", "--signal=TERM", "--full", "5"]
    with pytest.raises(ValueError):
        scancel_argv("5", "TERM", batch_only=True, full=True)
