"""Pending jobs in plain words: every reason code Slurm documents or prints, and real pending jobs.

The codes come from tests/captures/sites/slurm_reason_codes.txt (squeue(1), Slurm's job reason
codes page, the controller's own list); the pending jobs from tests/captures/diag/ (made on the
test cluster by make_diag.py) and toil's capture of a ReqNodeNotAvail job on another cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.diagnose import DiagnosisKind, diagnose
from app.model.pending import REASONS, SHORT, Resolves, pending_reason_words, reason_info
from app.slurm.scontrol import parse_show_job
from tests.captures import parse_sacct_capture, parse_squeue_capture
from tests.captures.sites import site_captures

CODES = site_captures()["slurm_reason_codes.txt"].reason_codes()
DIAG = Path(__file__).resolve().parents[1] / "captures" / "diag"


def test_the_lists_hold_every_code_of_the_issue() -> None:
    asked = ["Priority", "Resources", "Dependency", "DependencyNeverSatisfied", "BeginTime", "JobHeldUser",
             "JobHeldAdmin", "ReqNodeNotAvail", "PartitionTimeLimit", "PartitionNodeLimit", "QOSMaxJobsPerUserLimit",
             "QOSMaxCpuPerUserLimit", "AssocGrpCPUMinutesLimit", "AssocGrpGRES", "MaxJobsPerAccount",
             "ReservationDeleted", "BadConstraints", "InvalidAccount", "InvalidQOS"]  # fmt: skip
    assert len(CODES) >= 190 and set(asked) <= set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_documented_code_is_explained(code: str) -> None:
    info = reason_info(code)
    assert info is not None and info.known, code
    assert info.code == code and info.meaning and info.action and info.resolves in Resolves
    assert "{" not in info.for_job("123").replace("{}", "")  # every placeholder is filled


def test_limit_codes_are_read_from_their_parts() -> None:
    grp = reason_info("AssocGrpCPUMinutesLimit")
    assert grp is not None and grp.resolves is Resolves.NO and "CPU-minutes" in grp.meaning
    running = reason_info("AssocGrpCPURunMinutesLimit")
    assert running is not None and running.resolves is Resolves.YES
    per_user = reason_info("QOSMaxJobsPerUserLimit")
    assert per_user is not None and per_user.resolves is Resolves.YES and "your running jobs" in per_user.meaning
    per_job = reason_info("QOSMaxMemoryPerNode")
    assert per_job is not None and per_job.resolves is Resolves.NO and "never start" in per_job.meaning
    wall = reason_info("AssocMaxWallDurationPerJobLimit")
    assert wall is not None and "--time" in wall.meaning and "chain" in wall.action
    minimum = reason_info("QOSMinGRES")
    assert minimum is not None and minimum.resolves is Resolves.NO and "fewer" in minimum.meaning
    account = reason_info("MaxGRESPerAccount")
    assert account is not None and "your account" in account.meaning and "GPUs" in account.meaning


def test_reason_texts_as_printed() -> None:
    node = reason_info("ReqNodeNotAvail,_UnavailableNodes:wn-db-05")  # scontrol, toil's cluster
    assert node is not None and node.code == "ReqNodeNotAvail" and node.detail == "UnavailableNodes:wn-db-05"
    spaced = reason_info("ReqNodeNotAvail, UnavailableNodes:lr2")  # squeue
    assert spaced is not None and spaced.detail == "UnavailableNodes:lr2"
    held = reason_info("launch_failed_requeued_held")
    assert held is not None and held.known and held.resolves is Resolves.NO and "release" in held.action
    assert reason_info("None") is not None and reason_info("(null)") is None and reason_info("") is None
    future = reason_info("SomeReasonFromSlurm26")
    assert future is not None and not future.known and future.code == "SomeReasonFromSlurm26"
    assert set(REASONS) <= set(CODES) | {"BlockMaxError", "BlockFreeAction", "PowerNotAvail", "PowerReserved",
                                          "WaitingForScheduling", "FrontEndDown"}  # fmt: skip


# key -> (reason, resolves by itself, a word of the advice)
PENDING = {
    "begin": ("BeginTime", "yes", "StartTime=now"),
    "dependency": ("Dependency", "yes", "scontrol show job"),
    "never": ("DependencyNeverSatisfied", "no", "Dependency="),
    "held_user": ("JobHeldUser", "no", "scontrol release"),
    "held_admin": ("JobHeldAdmin", "no", "administrators"),
    "array_limit": ("JobArrayTaskLimit", "yes", "ArrayTaskThrottle"),
    "node_limit": ("PartitionNodeLimit", "no", "NumNodes"),
}


@pytest.mark.parametrize("key", sorted(PENDING))
def test_real_pending_jobs_are_explained(key: str) -> None:
    reason, resolves, advice = PENDING[key]
    controller = parse_show_job((DIAG / f"{key}.scontrol.txt").read_text())
    waiting = [acc for acc in parse_sacct_capture(f"diag/{key}.sacct.txt").values() if acc.job.state.value == "PENDING"]
    (accounting,) = waiting  # an array's pending tasks are one record, `N_[2-3%1]`
    for found in (diagnose(accounting, controller), diagnose(None, controller)):
        assert found.kind is DiagnosisKind.PENDING and found.pending is not None and not found.ambiguous
        data = found.as_json()["pending"]
        assert isinstance(data, dict)
        assert data["reason"] == reason and data["resolves_by_itself"] == resolves
        assert advice in (found.suggestion or "") and found.title == f"Pending: {reason}"


# What sacct recorded for the same jobs at the same moment: slurmdbd keeps the reason of the job's
# submission (or last update), the controller's is current.
LAGGING = {"never": "Dependency", "held_admin": "None", "node_limit": "PartitionConfig"}


@pytest.mark.parametrize("key", sorted(LAGGING))
def test_accounting_alone_gives_its_older_reason_and_says_so(key: str) -> None:
    (accounting,) = [a for a in parse_sacct_capture(f"diag/{key}.sacct.txt").values() if a.job.reason is not None]
    assert accounting.job.reason == LAGGING[key]
    found = diagnose(accounting)
    assert found.kind is DiagnosisKind.PENDING and any("lag the controller" in note for note in found.ambiguous)


def test_begin_time_carries_slurms_start_estimate_as_squeue_start_shows_it() -> None:
    found = diagnose(None, parse_show_job((DIAG / "begin.scontrol.txt").read_text()))
    assert found.pending is not None and found.pending.expected_start is not None
    start_line = (DIAG / "begin.squeue_start.txt").read_text().splitlines()[1]
    assert found.pending.expected_start.isoformat() in start_line.split()
    assert "Slurm expects to start it at" in found.explanation


def test_a_held_job_gets_no_estimate_and_never_satisfied_names_the_failed_job() -> None:
    held = diagnose(None, parse_show_job((DIAG / "held_admin.scontrol.txt").read_text()))
    assert held.pending is not None and held.pending.expected_start is None  # scontrol shows its --begin time
    never = diagnose(None, parse_show_job((DIAG / "never.scontrol.txt").read_text()))
    assert never.pending is not None and never.pending.dependency is not None
    assert never.pending.dependency.endswith("(failed)") and any("(failed)" in line for line in never.details())


def test_squeue_shows_the_reasons_the_controller_gives() -> None:
    rows = {
        r.name.removeprefix("lrd-"): r for r in parse_squeue_capture("diag/pending.squeue.txt") if r.reason != "None"
    }
    for key, (reason, _resolves, _advice) in PENDING.items():
        assert rows[key].reason == reason, key


def test_toil_req_node_not_avail_on_another_cluster() -> None:
    _completed, _running, pending = site_captures()["toil_scontrol.txt"].scontrol()
    found = diagnose(None, pending)
    assert found.pending is not None and found.pending.info is not None
    assert found.pending.info.code == "ReqNodeNotAvail" and "wn-db-05" in " ".join(found.details())
    assert found.as_json()["pending"]["resolves_by_itself"] == "maybe"  # type: ignore[index]


def test_the_chain_list_reads_the_same_table_in_few_words() -> None:
    assert pending_reason_words("Priority") == SHORT["Priority"]
    assert pending_reason_words("ReqNodeNotAvail,_UnavailableNodes:lr2") == SHORT["ReqNodeNotAvail"]
    limit = reason_info("AssocGrpCPUMinutesLimit")
    assert limit is not None and pending_reason_words("AssocGrpCPUMinutesLimit") == limit.meaning
    assert pending_reason_words("None") is None and pending_reason_words("SomethingNew") is None
    assert set(SHORT) <= set(CODES)
