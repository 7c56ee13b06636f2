"""`longrun explain` on real endings made on purpose on the test cluster, run as alice and bob.

Each test submits its whole group of jobs at once so their waits overlap (the time-limit pair
takes ~75 s, the rest less); the groups are independent tests so xdist runs them side by side.
Endings this cluster cannot produce are covered by tests/unit/test_diagnose.py on records built
from the slurm-testbed.md table: BOOT_FAIL, and the no-cgroup out-of-memory form (FAILED 0:9 with
its batch step CANCELLED by 0).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tests.captures.endings.scenarios import (
    OOM_REQUEST_MIB,
    QUICK,
    TIMED,
    controller_forgot,
    explain,
    explain_each,
    preempt_and_fail_lr2,
    submit_all,
    wait_ended,
    wait_ended_in_controller,
    wait_running,
)
from tests.conftest import make_user_dir, run_as, wait_until

MIB = 1024 * 1024


def kind(data: dict[str, Any]) -> str:
    value: str = data["diagnosis"]["kind"]
    return value


def log_evidence(data: dict[str, Any]) -> list[str]:
    return [e["value"] for e in data["diagnosis"]["evidence"] if e["source"] == "log"]


def expected_mem(data: dict[str, Any]) -> str:
    """Killed at its limit: the request (or the peak, if it overshot) x2, rounded up to 64M; computed here
    independently (a one-task job: its peak per node is its MaxRSS)."""
    peak = max((s["max_rss_bytes"] or 0) for s in data["steps"])
    base = max(peak, OOM_REQUEST_MIB * MIB)
    mib = math.ceil(base * 2 / MIB)
    return f"{math.ceil(mib / 64) * 64}M"


def test_quick_endings_are_explained_with_their_fixes(alice_dir: Path) -> None:
    sub = submit_all(alice_dir, QUICK)
    jobs = sub.jobs

    # While the controller still holds them (MinJobAge=30 s), scontrol's exact exit code decides:
    # explain these first, at once, as soon as the controller says they ended.
    held = [jobs["exit137"], jobs["exit152"], jobs["no_output"]]
    wait_ended_in_controller(held, 300)
    held_137, held_152, held_out = explain_each("alice", held)
    assert held_137["controller_exit_code"] == "137:0" and held_137["exit_code"] == "9:0"
    assert kind(held_137) == "exit_signal"
    assert held_137["diagnosis"]["exit_codes"] == [137] and held_137["diagnosis"]["signal"] == "SIGKILL"
    assert held_152["controller_exit_code"] == "152:0" and held_152["exit_code"] == "24:0"
    assert kind(held_152) == "exit_signal" and held_152["diagnosis"]["signal"] == "SIGXCPU"
    assert kind(held_out) == "output_not_creatable"
    # The open fails at once (a loaded node may account a few seconds of it: no exact figure).
    assert held_out["exit_code"] == "0:53" and held_out["elapsed"].startswith("00:00:")
    stdout_evidence = {"source": "scontrol", "item": "StdOut", "value": "/nonexistent/longrun-dir/x.out"}
    assert stdout_evidence in held_out["diagnosis"]["evidence"]

    # A colleague may not cancel alice's job; alice may.
    wait_running(jobs["cancelled"])
    refused = run_as("bob", ["scancel", jobs["cancelled"]])
    assert refused.returncode != 0 and "Access/permission denied" in refused.stderr
    assert kind(explain("bob", jobs["cancelled"])) == "running"
    run_as("alice", ["scancel", jobs["cancelled"]], check=True)

    wait_ended(list(jobs.values()), 300)

    oom = explain("alice", jobs["oom"])
    assert oom["state"] == "OUT_OF_MEMORY" and oom["exit_code"] == "0:125"
    assert kind(oom) == "out_of_memory"
    assert oom["diagnosis"]["fix_options"] == {"mem": expected_mem(oom)}
    assert int(oom["diagnosis"]["fix_options"]["mem"].rstrip("M")) > OOM_REQUEST_MIB

    exit3 = explain("alice", jobs["exit3"])
    assert kind(exit3) == "exit_code" and exit3["diagnosis"]["exit_codes"] == [3]
    assert any("input.csv has no header" in line for line in log_evidence(exit3))

    not_found = explain("alice", jobs["exit127"])
    assert kind(not_found) == "command_not_found"
    assert any("no_such_command_xyz: command not found" in line for line in log_evidence(not_found))
    assert "no_such_command_xyz" in not_found["diagnosis"]["explanation"]

    not_exec = explain("alice", jobs["exit126"])
    assert kind(not_exec) == "not_executable"
    assert any("./notexec.sh: Permission denied" in line for line in log_evidence(not_exec))

    usr1 = explain("alice", jobs["sigusr1"])
    assert kind(usr1) == "killed_by_signal" and usr1["diagnosis"]["signal"] == "SIGUSR1"
    assert usr1["exit_code"] == "0:10" and usr1["diagnosis"]["handler_snippet"]
    segv = explain("alice", jobs["sigsegv"])
    assert kind(segv) == "killed_by_signal" and segv["diagnosis"]["signal"] == "SIGSEGV"

    deadline = explain("alice", jobs["deadline"])
    assert kind(deadline) == "deadline" and deadline["state"] == "DEADLINE"

    cancelled = explain("bob", jobs["cancelled"])
    assert kind(cancelled) == "cancelled" and cancelled["diagnosis"]["cancelled_by"] == "alice"
    assert "job's owner" in cancelled["diagnosis"]["explanation"]

    assert kind(explain("alice", jobs["completed"])) == "completed"

    # Once the controller forgets them only sacct's N-128 is left: say "N or 128+N", do not guess.
    forgotten = [jobs[key] for key in ("exit137", "exit152", "oom")]
    wait_until(lambda: all(controller_forgot(job) for job in forgotten), 300, 2,
               what="the controller to forget the exit and oom jobs (MinJobAge)")  # fmt: skip
    # A colleague reads the same job and gets the same diagnosis (asked at the same stage: whether the
    # controller still holds a job changes the evidence, so both ask once it has forgotten it).
    seen_by_alice, seen_by_bob = explain("alice", jobs["oom"]), explain("bob", jobs["oom"])
    assert seen_by_bob["user"] == "alice" and seen_by_bob["diagnosis"] == seen_by_alice["diagnosis"]
    assert seen_by_bob["diagnosis"]["kind"] == "out_of_memory"
    late_137 = explain("alice", jobs["exit137"])
    late_152 = explain("alice", jobs["exit152"])
    assert late_137["controller_exit_code"] is None
    assert kind(late_137) == "exit_ambiguous" and late_137["diagnosis"]["exit_codes"] == [9, 137]
    assert kind(late_152) == "exit_ambiguous" and late_152["diagnosis"]["exit_codes"] == [24, 152]
    assert late_137["diagnosis"]["ambiguous"]
    late_out = explain("alice", jobs["no_output"])
    assert kind(late_out) == "output_not_creatable" and late_out["diagnosis"]["ambiguous"]


def test_time_limit_endings_with_and_without_a_handler(alice_dir: Path) -> None:
    jobs = submit_all(alice_dir, TIMED).jobs
    states = wait_ended(list(jobs.values()), 300)
    assert states[jobs["timeout"]] == "TIMEOUT"
    assert states[jobs["trap"]] == "COMPLETED"

    timeout = explain("alice", jobs["timeout"])
    assert kind(timeout) == "timeout"
    assert timeout["diagnosis"]["fix_options"] == {"time": "00:02:00", "signal": "B:TERM@30"}
    assert "trap" in timeout["diagnosis"]["handler_snippet"]
    assert timeout["diagnosis"]["continues_chain"] is True
    assert any("DUE TO TIME LIMIT" in line for line in log_evidence(timeout))

    early = explain("alice", jobs["trap"])
    assert kind(early) == "stopped_early", early["diagnosis"]
    assert any("Received SIGTERM" in line for line in log_evidence(early))
    assert early["diagnosis"]["fix_options"] == {"time": "00:02:00"}
    assert early["diagnosis"]["ambiguous"] == []


def test_preemption_and_node_failure_on_lr2() -> None:
    directory = make_user_dir("alice", "explain-lr2")
    jobs = preempt_and_fail_lr2(directory).jobs
    preempted = explain("alice", jobs["preempted"])
    assert preempted["state"] == "PREEMPTED" and kind(preempted) == "preempted"
    assert preempted["diagnosis"]["continues_chain"] is True
    lost = explain("bob", jobs["node_fail"])
    assert lost["state"] == "NODE_FAIL" and kind(lost) == "node_fail"
    assert lost["diagnosis"]["fix_options"] == {"exclude": "lr2"}


def test_unknown_and_malformed_ids_exit_2_without_traceback() -> None:
    unknown = run_as("alice", ["longrun", "explain", "99999999"])
    assert unknown.returncode == 2
    assert "99999999 is not known to Slurm" in unknown.stderr and "Traceback" not in unknown.stderr
    malformed = run_as("alice", ["longrun", "explain", "12;rm"])
    assert malformed.returncode == 2 and "not a Slurm job id" in malformed.stderr


def test_slurm_unreachable_exits_3_with_a_clear_message() -> None:
    """A client configuration whose controller and slurmdbd ports are closed: Slurm is 'down' for it."""
    directory = make_user_dir("alice", "explain-down")
    conf = Path("/etc/slurm/slurm.conf").read_text().splitlines()
    kept = [line for line in conf if not line.startswith(("SlurmctldPort", "AccountingStoragePort"))]
    (directory / "slurm.conf").write_text("\n".join([*kept, "SlurmctldPort=9", "AccountingStoragePort=9", ""]))
    proc = run_as("alice", ["longrun", "explain", "1"], env={"SLURM_CONF": str(directory / "slurm.conf")})
    assert proc.returncode == 3
    assert "Slurm is not reachable" in proc.stderr and "Traceback" not in proc.stderr


def test_help_teaches_with_examples() -> None:
    proc = run_as("alice", ["longrun", "explain", "--help"], check=True)
    assert "longrun explain 1234 --json" in proc.stdout and "exit status" in proc.stdout


def test_human_output_shows_diagnosis_and_step_table(alice_dir: Path) -> None:
    jobs = submit_all(alice_dir, [s for s in QUICK if s.key == "exit127"]).jobs
    wait_ended(list(jobs.values()), 300)
    proc = run_as("bob", ["longrun", "explain", jobs["exit127"]], env={"COLUMNS": "140"}, check=True)
    out = proc.stdout
    assert "Command not found (exit 127)" in out and "kind: command_not_found" in out
    assert "no_such_command_xyz: command not found" in out
    for column in ("State", "ExitCode", "Elapsed", "MaxRSS", "ReqMem"):
        assert column in out
    assert f"{jobs['exit127']}.batch" in out and "127:0" in out
