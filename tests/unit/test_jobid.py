"""Job ids as Slurm prints them and the family of an id sbatch printed (app/slurm/jobid.py), on the
test cluster's heterogeneous job and limited array (tests/captures/sacct_hetjob.txt,
sacct_array_pending.txt) and on other sites' array tasks."""

from __future__ import annotations

import pytest

from app.slurm.jobid import JobRef, family_of, parse_job_ref
from app.slurm.records import AccountingMap
from tests.captures import parse_sacct_capture


@pytest.mark.parametrize(
    ("job_id", "ref"),
    [("123", JobRef("123")), ("123_4", JobRef("123", "4")), ("123_[1-5%2]", JobRef("123", "[1-5%2]")),
     ("123+1", JobRef("123", None, 1)), (" 77 ", JobRef("77"))],
)  # fmt: skip
def test_parts_of_an_id(job_id: str, ref: JobRef) -> None:
    assert parse_job_ref(job_id) == ref


@pytest.mark.parametrize("job_id", ["", "abc", "123.batch", "123_", "1;rm", "123+x"])
def test_not_a_job_id(job_id: str) -> None:
    assert parse_job_ref(job_id) is None


def test_pending_tasks_record() -> None:
    assert JobRef("1", "[2-5%1]").pending_tasks and not JobRef("1", "2").pending_tasks


def test_a_heterogeneous_job_from_sbatchs_id() -> None:
    jobs = parse_sacct_capture("sacct_hetjob.txt")
    leader = next(iter(jobs)).split("+")[0]
    family = family_of(jobs, leader)
    assert [a.job_id for a in family] == [f"{leader}+0", f"{leader}+1"]
    assert family_of(jobs, f"{leader}+1") == [jobs[f"{leader}+1"]], "a component's own id: just that one"
    second_raw = jobs[f"{leader}+1"].job.job_id_raw
    assert second_raw is not None and family_of(jobs, second_raw) == [jobs[f"{leader}+1"]]


def test_an_array_from_sbatchs_id_with_the_pending_tasks_last() -> None:
    jobs = parse_sacct_capture("sacct_array_pending.txt")
    base = next(iter(jobs)).split("_")[0]
    shuffled = AccountingMap(reversed(list(jobs.items())))
    family = [a.job_id for a in family_of(shuffled, base)]
    assert family[-1].startswith(f"{base}_[") and all("[" not in j for j in family[:-1])
    assert family[:-1] == sorted(family[:-1], key=lambda j: int(j.split("_")[1]))
    assert family_of(jobs, "99999999") == [] and family_of(jobs, base + "0") == []
