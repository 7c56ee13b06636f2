"""`longrun explain` (as alice) on jobs shaped like real ones, made on the test cluster: a four-task
job out of memory, failed steps under a COMPLETED job, a per-CPU request, an array, a heterogeneous
job, jobs pending for seven reasons (eight with the `short` partition), and the links of a chain
that grew its memory, also as the dashboard's pipeline shows them.

Answers that depend on whether the controller still holds a job (MinJobAge, 30 s here) are checked
against what the JSON says was used (`controller_exit_code`), never against the clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.captures.diag.scenarios import (
    EXPECTED_REASONS,
    MT_REQUEST,
    SHORT_PARTITION,
    Scenario,
    cancel_all,
    has_partition,
    pending_id,
    run_het,
    submit,
    submit_ended,
    submit_pending,
    wait_family_ended,
    wait_reasons,
)
from tests.captures.endings.scenarios import Submitted, explain, wait_ended
from tests.conftest import VENV, make_user_dir, run_as, wait_until
from tests.slurm.chain_helpers import copy_job, final_state, stop_supervisor
from tests.slurm.chain_helpers import submit as submit_chain

MIB = 1024 * 1024


def kind(data: dict[str, Any]) -> str:
    value: str = data["diagnosis"]["kind"]
    return value


def test_real_world_shapes_are_explained(alice_dir: Path) -> None:
    sub = submit_ended(alice_dir)
    wait_family_ended(sub.jobs, 240)
    jobs = sub.jobs

    for key, state in (("mt_oom_then_echo", "COMPLETED"), ("mt_oom_last", "FAILED")):
        data = explain("alice", jobs[key])
        assert data["state"] == state and kind(data) == "out_of_memory", key
        memory = data["diagnosis"]["memory"]
        assert memory["request_per_node_bytes"] == int(MT_REQUEST[:-1]) * MIB
        assert memory["peak_per_node_bytes"] >= memory["request_per_node_bytes"]  # the four tasks together
        step = next(s for s in data["steps"] if s["step_id"] == f"{jobs[key]}.0")
        assert step["max_rss_bytes"] < memory["request_per_node_bytes"] // 2  # one task's MaxRSS alone
        (failed,) = data["diagnosis"]["failed_steps"]
        assert failed["step_id"] == f"{jobs[key]}.0" and failed["out_of_memory"]
        advice = data["diagnosis"]["fix_options"]["mem"]
        assert int(advice[:-1]) >= 2 * int(MT_REQUEST[:-1])

    steps = explain("alice", jobs["srun_false"])
    assert steps["state"] == "COMPLETED" and kind(steps) == "step_failed"
    assert [(s["state"], s["exit_code"]) for s in steps["diagnosis"]["failed_steps"]] == [
        ("FAILED", "1:0"), ("CANCELLED", "0:11"),
    ]  # fmt: skip

    per_cpu = explain("alice", jobs["per_cpu_oom"])
    assert kind(per_cpu) == "out_of_memory"
    if per_cpu["controller_exit_code"] is not None:  # explained while held: scontrol's MinMemoryCPU tells the unit
        assert per_cpu["diagnosis"]["fix_options"] == {"mem-per-cpu": "256M"}
        assert per_cpu["diagnosis"]["memory"]["asked_per"] == "cpu"
    else:  # after MinJobAge accounting cannot tell, and says so
        assert per_cpu["diagnosis"]["fix_options"] == {"mem": "448M"}
        assert any("--mem-per-cpu" in note for note in per_cpu["diagnosis"]["ambiguous"])

    array = explain("alice", jobs["array_mixed"])
    assert kind(array) == "array"
    assert array["diagnosis"]["family"]["counts"] == {"completed": 2, "exit_code": 1, "out_of_memory": 1}
    task = explain("alice", f"{jobs['array_mixed']}_3")
    assert kind(task) == "out_of_memory" and task["diagnosis"]["fix_options"] == {"mem": "448M"}
    assert any(e["source"] == "log" and "oom-kill" in e["value"] for e in task["diagnosis"]["evidence"])


def test_a_heterogeneous_job(alice_dir: Path) -> None:
    """Its second component runs on lr2, under the lr2 lock of the preemption tests."""
    sub = run_het(alice_dir)
    base = sub.jobs["het"]
    data = explain("alice", base)
    assert kind(data) == "exit_code" and data["diagnosis"]["exit_codes"] == [3]
    family = data["diagnosis"]["family"]
    assert family["kind"] == "heterogeneous" and [m["partition"] for m in family["members"]] == ["debug", "preemptible"]
    assert [s["step_id"] for s in data["diagnosis"]["failed_steps"]] == [f"{base}+1.0"]
    assert kind(explain("alice", f"{base}+1")) == "exit_code"


def squeue_start(job_id: str) -> str:
    proc = run_as("alice", ["squeue", "--start", "-h", "-o", "%S", "-j", job_id], check=True)
    return proc.stdout.strip()


def test_pending_jobs_in_plain_words(alice_dir: Path) -> None:
    sub = submit_pending(alice_dir)
    try:
        wait_reasons(sub)
        for key, reason in EXPECTED_REASONS.items():
            if key not in sub.jobs:
                continue
            data = explain("alice", pending_id(sub, key))
            pending = data["diagnosis"]["pending"]
            assert kind(data) == "pending" and pending["reason"] == reason, key
            assert pending["meaning"] and pending["what_you_can_do"] and pending["resolves_by_itself"] in (
                "yes", "no", "maybe",
            )  # fmt: skip
        begin = explain("alice", sub.jobs["begin"])["diagnosis"]["pending"]
        assert begin["expected_start"] == squeue_start(sub.jobs["begin"])  # the estimate squeue --start shows
        assert explain("alice", sub.jobs["held_admin"])["diagnosis"]["pending"]["expected_start"] is None
        never = explain("alice", sub.jobs["never"])["diagnosis"]["pending"]
        assert never["dependency"] == f"afterok:{sub.jobs['fails']}(failed)" and never["resolves_by_itself"] == "no"
    finally:
        cancel_all(sub)


NO_SHORT = "the test cluster has no `short` partition (`PartitionName=short Nodes=lr1 MaxTime=1 State=UP`)"


@pytest.mark.skipif(not has_partition(SHORT_PARTITION), reason=NO_SHORT)
def test_the_partitions_maximum_time(alice_dir: Path) -> None:
    sub = Submitted(alice_dir)
    waits = submit(alice_dir, Scenario("too_long", "sleeper", ("-p", SHORT_PARTITION, "--time=5")), sub)
    runs = submit(alice_dir, Scenario("at_max", "sleeper", ("-p", SHORT_PARTITION, "--time=1")), sub)
    try:
        wait_until(lambda: explain("alice", waits)["diagnosis"]["pending"]["reason"] == "PartitionTimeLimit", 60, 2,
                   what="PartitionTimeLimit")  # fmt: skip
        data = explain("alice", waits)
        assert data["diagnosis"]["fix_options"] == {"time": "00:01:00"}
        assert "TimeLimit=00:01:00" in data["diagnosis"]["suggestion"]
        wait_ended([runs], 150)
        timeout = explain("alice", runs)
        assert kind(timeout) == "timeout" and timeout["diagnosis"]["time"]["at_partition_max"]
        assert (
            "time" not in timeout["diagnosis"]["fix_options"] and "longrun submit" in timeout["diagnosis"]["suggestion"]
        )
    finally:
        cancel_all(sub)


def dashboard_diagnosis(directory: Path, job_id: str) -> dict[str, Any]:
    """The Diagnosis pane's data for `job_id`, made by the service layer as alice (her registry)."""
    code = (
        "import json, sys; from app.services import Services\n"
        "snap = Services().snapshot('alice', sys.argv[1])\n"
        "d = snap.focus.diagnosis\n"
        "print(json.dumps({'kind': d.kind, 'title': d.title, 'explanation': d.explanation}))\n"
    )
    proc = run_as("alice", [f"{VENV}/bin/python", "-c", code, job_id], cwd=directory,
                  env={"LONGRUN_HOME": str(directory / "reg"), "LONGRUN_NO_AUTOSTART": "1"}, check=True)  # fmt: skip
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_a_chain_link_tells_its_chain_and_the_dashboard_shows_the_same() -> None:
    directory = make_user_dir("alice", "explain-chain")
    try:
        job = copy_job(directory, "memory_hog.py", "alice")
        chain_id, first = submit_chain("alice", directory, "--grow-mem", "2.5,1G", "--time=1", "--mem=100M",
                                       "-o", str(directory / "%j.out"), str(job), "180")  # fmt: skip
        chain = wait_until(lambda: final_state("alice", directory, chain_id), 180, 2, what="the chain to finish")
        assert isinstance(chain, dict) and chain["state"] == "DONE", chain
        second = chain["links"][1]["job_id"]
        env = {"LONGRUN_HOME": str(directory / "reg"), "LONGRUN_NO_AUTOSTART": "1"}
        proc = run_as("alice", ["longrun", "explain", first, "--json"], cwd=directory, env=env, check=True)
        data = json.loads(proc.stdout)
        story = data["diagnosis"]["chain"]
        assert (story["chain_id"], story["attempt"], story["next_job_id"]) == (chain_id, 1, second)
        assert story["decision"] == "continue: out of memory: growing --mem 100M -> 256M"
        assert data["diagnosis"]["fix_options"] == {"mem": "256M"}  # the growth the chain applied
        last = json.loads(run_as("alice", ["longrun", "explain", second, "--json"], cwd=directory, env=env,
                                 check=True).stdout)  # fmt: skip
        assert last["diagnosis"]["chain"]["next_job_id"] is None
        assert last["diagnosis"]["chain"]["why_no_next"].startswith("the chain is done")
        pane = dashboard_diagnosis(directory, first)
        assert pane["kind"] == "out_of_memory" and pane["title"] == data["diagnosis"]["title"]
        for line in data["diagnosis"]["details"]:
            assert line in pane["explanation"]
    finally:
        stop_supervisor(directory)
