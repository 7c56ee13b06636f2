"""What the diagnosis adds from outside Slurm's job records: the chain a job is a link of (as its
registry records it: the supervisor's own decision), the partition's limits (ours, and another
site's `scontrol show partition`), and other sites' jobs whose old advice was wrong.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.diagnose import DiagnosisContext, DiagnosisKind, diagnose
from app.model.chain import ChainSpec, ChainState
from app.model.policy import Policy
from app.model.units import Duration, MemorySize
from app.registry import Registry
from app.slurm.records import JobAccounting
from app.slurm.scontrol import parse_show_partitions
from app.supervisor.endings import record_end
from tests.captures import capture_text, parse_sacct_capture
from tests.captures.sites import site_captures
from tests.events import record

SITES = site_captures()
DAY = 86400


def only(name: str) -> JobAccounting:
    (accounting,) = parse_sacct_capture(name).values()
    return accounting


# ---- the chain ---------------------------------------------------------------------------------


def chain_with_oom_link(tmp_path: Path, policy: Policy, capture: str = "per_cpu_oom") -> tuple[Registry, JobAccounting]:
    """A chain whose first link is a captured out-of-memory job (OUT_OF_MEMORY 0:125 at 200M, 2 CPUs);
    the real supervisor records its ending and decides."""
    accounting = only(f"diag/{capture}.sacct.txt")
    reg = Registry(tmp_path)
    reg.create_chain(ChainSpec(chain_id="c1", name="train", owner="alice", script="/bin/true",
                               workdir=str(tmp_path), policy=policy))  # fmt: skip
    record(reg, "c1", "submit_intent", attempt=1)
    record(reg, "c1", "submitted", attempt=1, job_id=accounting.job_id)
    record_end(reg, reg.status("c1"), accounting)
    return reg, accounting


def explain_link(reg: Registry, accounting: JobAccounting, attempt: int = 1) -> tuple[dict[str, object], list[str]]:
    status = reg.status("c1")
    link = next(link for link in status.links if link.attempt == attempt)
    found = diagnose(accounting, context=DiagnosisContext(chain=status, link=link))
    data = found.as_json()
    return data, found.details()


def test_a_link_says_which_chain_what_was_decided_and_its_next_link(tmp_path: Path) -> None:
    reg, accounting = chain_with_oom_link(tmp_path, Policy(max_restarts=3, grow_mem_factor=1.5))
    data, details = explain_link(reg, accounting)
    chain = data["chain"]
    assert isinstance(chain, dict)
    assert (chain["chain_id"], chain["name"], chain["attempt"], chain["attempt_limit"]) == ("c1", "train", 1, 4)
    assert chain["decision"] == "continue: out of memory: growing --mem 200M -> 320M"
    assert chain["next_job_id"] is None and "about to submit" in str(chain["why_no_next"])
    # Explain's advice is the supervisor's growth: 200M x1.5 per node, rounded as the chain rounds it.
    assert data["fix_options"] == {"mem": "320M"} and "--grow-mem factor (x1.5)" in str(data["explanation"])
    record(reg, "c1", "submit_intent", attempt=2, options=["--mem=320M"])
    record(reg, "c1", "submitted", attempt=2, job_id="9999")
    data, details = explain_link(reg, accounting)
    assert isinstance(data["chain"], dict) and data["chain"]["next_job_id"] == "9999"
    assert "Next link: attempt 2, job 9999 (PENDING)." in details
    assert "Link 1 of at most 4 of longrun chain train (c1), owner alice." in details


def test_a_link_that_stopped_its_chain_says_why_there_is_no_next(tmp_path: Path) -> None:
    reg, accounting = chain_with_oom_link(tmp_path, Policy(max_restarts=0))
    status = reg.status("c1")
    assert status.state is ChainState.STOPPED
    data, _details = explain_link(reg, accounting)
    chain = data["chain"]
    assert isinstance(chain, dict) and chain["decision"] == "needs_person: out of memory (requested 200M)"
    assert str(chain["why_no_next"]).startswith("the chain stopped: out of memory")
    assert "--grow-mem" in str(data["suggestion"])  # the chain could have grown it by itself
    assert data["fix_options"] == {"mem": "448M"}  # no growth factor: twice the 200M limit, in 64M steps


def test_the_chains_decision_is_shown_as_recorded_even_when_explain_sees_more(tmp_path: Path) -> None:
    """A four-task step killed at the limit under a job that ended FAILED 1:0: explain says out of memory
    (from the step); the supervisor decided on the job's row. Both are shown, neither is rewritten."""
    reg, accounting = chain_with_oom_link(tmp_path, Policy(max_restarts=0), capture="mt_oom_last")
    data, details = explain_link(reg, accounting)
    status = reg.status("c1")
    assert isinstance(data["chain"], dict) and data["chain"]["decision"] == status.links[0].decision
    assert data["kind"] == "out_of_memory" and f"The supervisor decided: {status.links[0].decision}." in details
    assert status.links[0].decided_by == "supervisor", "recorded with the decision"


def test_the_chains_growth_stops_at_its_cap(tmp_path: Path) -> None:
    policy = Policy(grow_mem_factor=4.0, grow_mem_cap=MemorySize.mebibytes(512))
    reg, accounting = chain_with_oom_link(tmp_path, policy)
    data, _details = explain_link(reg, accounting)
    assert data["fix_options"] == {"mem": "512M"} and "--grow-mem cap" in str(data["explanation"])


# ---- the partition's limits --------------------------------------------------------------------


def test_partitions_of_another_site_and_of_ours() -> None:
    stat = SITES["uiuc_stat_partition.txt"].partitions()
    assert stat["stat"].max_time == Duration(14 * DAY) and stat["statstudent"].max_time == Duration(7 * DAY)
    assert stat["stat"].default_time == Duration(30 * 60) and stat["stat"].total_nodes == 18
    ours = parse_show_partitions(capture_text("diag/partitions.scontrol.txt"))
    assert {"debug", "preemptible", "urgent"} <= set(ours) and ours["debug"].max_time is None


def timed_out(limit_days: float) -> JobAccounting:
    """Our captured TIMEOUT job, its limit edited to `limit_days` (a job of days cannot be made here)."""
    accounting = only("endings/timeout.sacct.txt")
    limit = Duration(int(limit_days * DAY))
    return JobAccounting(replace(accounting.job, time_limit=limit, elapsed=limit), accounting.steps)


@pytest.mark.parametrize(
    ("days", "partition", "time", "capped", "at_max"),
    [(10, "stat", "14-00:00:00", True, False),  # the issue: x1.5 would be 15 days, the partition allows 14
     (14, "stat", None, False, True),  # already at the maximum: a chain, not more time
     (4, "stat", "6-00:00:00", False, False),
     (10, "statstudent", None, False, True),  # above its 7-day maximum (an admin lowered it, or EnforcePartLimits=NO)
     (10, None, "15-00:00:00", False, False)],  # no partition known: x1.5
)  # fmt: skip
def test_time_advice_stays_within_the_partitions_maximum(
    days: int, partition: str | None, time: str | None, capped: bool, at_max: bool
) -> None:
    limits = SITES["uiuc_stat_partition.txt"].partitions()
    context = DiagnosisContext.known(limits[partition] if partition else None)
    found = diagnose(timed_out(days), context=context)
    assert found.kind is DiagnosisKind.TIMEOUT and found.time is not None
    assert found.fix_options.get("time") == time and "signal" in found.fix_options
    assert (found.time.capped, found.time.at_max) == (capped, at_max)
    if at_max:
        assert "cannot be asked for" in (found.suggestion or "") and "longrun submit" in (found.suggestion or "")
    if partition:
        assert any(e.item == f"partition {partition} MaxTime" for e in found.evidence)


def test_the_partition_is_looked_up_only_when_a_rule_needs_it() -> None:
    asked: list[str] = []

    def lookup() -> None:
        asked.append("scontrol show partition")

    diagnose(only("endings/exit3.sacct.txt"), context=DiagnosisContext(partition_lookup=lookup))
    diagnose(only("endings/completed.sacct.txt"), context=DiagnosisContext(partition_lookup=lookup))
    assert asked == []
    diagnose(only("endings/timeout.sacct.txt"), context=DiagnosisContext(partition_lookup=lookup))
    assert asked == ["scontrol show partition"]


def test_a_pending_job_above_the_partitions_maximum_is_told_the_value_to_lower_to() -> None:
    accounting = only("diag/begin.sacct.txt")
    job = replace(accounting.job, reason="PartitionTimeLimit", time_limit=Duration(10 * DAY))
    limits = SITES["uiuc_stat_partition.txt"].partitions()
    found = diagnose(JobAccounting(job), context=DiagnosisContext.known(limits["statstudent"]))
    assert found.kind is DiagnosisKind.PENDING and found.fix_options == {"time": "7-00:00:00"}
    assert f"scontrol update JobId={job.job_id} TimeLimit=7-00:00:00" in (found.suggestion or "")


# ---- other sites' jobs whose memory advice was wrong -----------------------------------------


def test_eight_tasks_that_used_the_whole_request_are_not_told_to_ask_for_less() -> None:
    """reportseff issue 41: seff says 14.86 GB of 15.6 GB; MaxRSS alone (one task, 1.9G) gave `--mem=2560M`."""
    found = diagnose(next(iter(SITES["reportseff_issue41_multitask.txt"].sacct().values())))
    assert found.kind is DiagnosisKind.COMPLETED and found.fix_options == {} and found.suggestion is None
    assert found.memory is not None and found.memory.peak_per_node is not None
    assert found.memory.peak_per_node > MemorySize.mebibytes(14 * 1024)


def test_a_two_node_job_is_judged_per_node() -> None:
    """reportseff issue 16: 32G over 2 nodes is 16G per node; seff's 24 % is of the whole job."""
    found = diagnose(next(iter(SITES["reportseff_issue16_multinode.txt"].sacct().values())))
    assert found.memory is not None and found.memory.limit_per_node == MemorySize.mebibytes(16 * 1024)
    assert found.fix_options == {}


def test_mpi_outside_srun_is_not_told_to_shrink_on_nodes_nobody_measured() -> None:
    """reportseff issue 37: 20 nodes, every rank started by mpirun inside `.batch` on the first node."""
    found = diagnose(next(iter(SITES["reportseff_issue37_mpi.txt"].sacct().values())))
    assert found.memory is not None and found.memory.peak_nodes == 1 and found.memory.usage.request.nodes == 20
    assert found.fix_options == {}


def test_an_old_per_cpu_request_is_advised_per_cpu() -> None:
    """reportseff fixture 25569410: ReqMem `4000Mc` (before 21.08), 1.6 % used."""
    found = diagnose(next(iter(SITES["reportseff_25569410.txt"].sacct().values())))
    assert found.memory is not None and found.memory.unit == "cpu"
    assert list(found.fix_options) == ["mem-per-cpu"] and "--mem-per-cpu=" in (found.suggestion or "")


def test_a_site_job_killed_by_another_user_names_its_step() -> None:
    """toil's capture: FAILED 0:9 with step `.0` CANCELLED by uid 54386."""
    found = diagnose(SITES["toil_sacct.txt"].sacct()["765096"], name_of_uid=lambda uid: f"uid {uid}")
    assert found.kind is DiagnosisKind.KILLED_BY_SIGNAL
    (step,) = found.failed_steps
    assert step.step_id == "765096.0" and "cancelled by uid 54386" in step.meaning
