"""Diagnosis of the real endings saved in tests/captures/endings/, through the real parsers.

Each scenario is diagnosed twice: from sacct alone (what is left after MinJobAge) and, where
captured, with `scontrol show job` taken right after the end (exact exit code, StdOut path).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.diagnose import LogTail, diagnose
from app.slurm.records import JobAccounting
from app.slurm.scontrol import parse_show_job
from tests.captures import parse_sacct_capture

ENDINGS = Path(__file__).resolve().parents[1] / "captures" / "endings"

# scenario -> (kind from sacct alone, kind with scontrol's record too)
EXPECTED = {
    "oom": ("out_of_memory", "out_of_memory"),
    "exit3": ("exit_code", "exit_code"),
    "exit137": ("exit_ambiguous", "exit_signal"),
    "exit152": ("exit_ambiguous", "exit_signal"),
    "exit127": ("command_not_found", "command_not_found"),
    "exit126": ("not_executable", "not_executable"),
    "sigusr1": ("killed_by_signal", "killed_by_signal"),
    "sigsegv": ("killed_by_signal", "killed_by_signal"),
    "deadline": ("deadline", "deadline"),
    "no_output": ("output_not_creatable", "output_not_creatable"),
    "cancelled": ("cancelled", "cancelled"),
    "completed": ("completed", "completed"),
    "timeout": ("timeout", None),
    "trap": ("stopped_early", None),
    "preempted": ("preempted", None),
    "node_fail": ("node_fail", None),
}


def _inputs(key: str) -> tuple[JobAccounting, LogTail | None]:
    jobs = parse_sacct_capture(f"endings/{key}.sacct.txt")
    assert len(jobs) == 1
    log_file = ENDINGS / f"{key}.log"
    log = LogTail(str(log_file), text=log_file.read_text()) if log_file.exists() else None
    return next(iter(jobs.values())), log


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_capture_is_diagnosed(key: str) -> None:
    accounting, log = _inputs(key)
    alone, held = EXPECTED[key]
    logs = [log] if log else []
    assert diagnose(accounting, logs=logs).kind.value == alone
    scontrol = ENDINGS / f"{key}.scontrol.txt"
    if held is not None:
        controller = parse_show_job(scontrol.read_text())
        found = diagnose(accounting, controller, logs=logs)
        assert found.kind.value == held
        if key == "exit137":
            assert found.exit_codes == (137,) and found.signal == "SIGKILL"
        if key == "no_output":
            assert "/nonexistent/longrun-dir/x.out" in found.explanation
