"""Our parsers on Slurm output that other projects captured on other clusters and Slurm versions
(tests/captures/sites/README.md says where each came from)."""

from __future__ import annotations

import pytest

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.units import Duration, MemorySize
from app.slurm.jobid import family_of
from tests.captures.sites import site_captures

K, M, G = 1024, 1024**2, 1024**3
CAPTURES = site_captures()


def test_at_least_fifteen_captures_each_with_its_source() -> None:
    assert len(CAPTURES) >= 15
    for capture in CAPTURES.values():
        assert capture.text(), capture.file
        assert capture.source and capture.slurm and capture.command and capture.shows
        assert capture.kind in ("sacct", "squeue", "scontrol", "sstat", "scontrol-partition", "reasons")


@pytest.mark.parametrize("name", sorted(n for n, c in CAPTURES.items() if c.kind == "sacct"))
def test_every_sacct_capture_parses_without_a_problem(name: str) -> None:
    jobs = CAPTURES[name].sacct()
    assert jobs and jobs.problems == ()


@pytest.mark.parametrize("name", sorted(n for n, c in CAPTURES.items() if c.kind == "squeue"))
def test_every_squeue_capture_parses_without_a_problem(name: str) -> None:
    rows = CAPTURES[name].squeue()
    assert rows and rows.problems == ()


def test_toil_states_exit_codes_and_cancelled_by() -> None:
    jobs = CAPTURES["toil_sacct.txt"].sacct()
    assert jobs["765096"].job.state is JobState.FAILED and jobs["765096"].job.exit_status == ExitStatus(0, 9)
    step = jobs["765096"].steps[1]
    assert step.step == "0" and step.state is JobState.CANCELLED and step.cancelled_by_uid == 54386
    assert jobs["785023"].job.exit_status == ExitStatus(127, 0) and jobs["754725"].job.state is JobState.TIMEOUT
    assert jobs["789724"].job.state is JobState.RUNNING and jobs["789868"].steps == ()
    assert jobs["609663"].job.exit_status == ExitStatus(0, 2)


def test_toil_scontrol_three_jobs() -> None:
    completed, running, pending = CAPTURES["toil_scontrol.txt"].scontrol()
    assert (completed.job_id, completed.state, completed.run_time) == ("787204", JobState.COMPLETED, Duration(5))
    assert completed.user == "rapthor-mloose" and completed.time_limit == Duration(5 * 86400)
    assert (
        running.raw["MinMemoryCPU"] == "8000M"
        and running.std_out == "/project/rapthor/Share/prefactor/L721962/slurm-789724.out"
    )
    assert pending.state is JobState.PENDING and pending.reason == "ReqNodeNotAvail,_UnavailableNodes:wn-db-05"
    assert pending.start is None and pending.raw["TRES"] == "cpu=1,mem=8000M,node=1,billing=1"


def test_ood_scontrol_cut_short() -> None:
    (job,) = CAPTURES["ood_core_879_scontrol.txt"].scontrol()
    assert job.state is JobState.RUNNING and job.raw["Scheduler"] == "Backfill" and job.user == "bsingleton"


def test_reportseff_rows_in_their_own_field_order() -> None:
    array = CAPTURES["reportseff_24221219_array.txt"].sacct()
    (task,) = array.values()
    assert task.job_id == "24220929_421" and task.job.job_id_raw == "24221219"
    assert task.job.req_mem == MemorySize(16000 * M) and task.job.req_mem_per_node
    assert [s.max_rss for s in task.steps] == [MemorySize(5664932 * K), MemorySize(1404 * K)]
    assert family_of(array, "24221219") == [task], "found by the id that JobIDRaw holds"
    assert family_of(array, "24220929") == [task]
    cancelled = next(iter(CAPTURES["reportseff_23000233.txt"].sacct().values())).job
    assert cancelled.state is JobState.CANCELLED and cancelled.cancelled_by_uid == 129319
    assert cancelled.req_mem_per_cpu and cancelled.alloc_cpus == 16 and cancelled.time_limit == Duration(6 * 86400)
    mpi = next(iter(CAPTURES["reportseff_issue37_mpi.txt"].sacct().values()))
    assert mpi.job.nnodes == 20 and mpi.job.ntasks is None and mpi.steps[0].ntasks == 1
    assert mpi.job.total_cpu == Duration(451 * 86400 + 6 * 3600 + 24)


def test_heterogeneous_and_array_ids_from_slurms_own_docs() -> None:
    het = CAPTURES["slurm_doc_sacct_hetjob.txt"].sacct()
    assert [a.job_id for a in family_of(het, "67767")] == ["67767+0", "67767+1"]
    assert het["67767+1"].job.alloc_cpus == 4 and het["67767+1"].job.exit_status == ExitStatus(0, 0)
    queue = CAPTURES["slurm_doc_squeue_hetjob.txt"].squeue()
    assert [(r.job_id, r.state, r.node_list) for r in queue[:2]] == [
        ("93+0", JobState.RUNNING, "nid00001"), ("93+1", JobState.RUNNING, "nid00011")
    ]  # fmt: skip
    array = CAPTURES["slurm_doc_squeue_array.txt"].squeue()
    assert array[0].job_id == "1080_[5-1024]" and array[0].state is JobState.PENDING
    assert array[0].reason == "Resources" and array[0].node_list is None
    assert [r.time_used for r in array[1:3]] == [Duration(17), Duration(16)]


def test_gpu_tres_and_fixed_width_tables() -> None:
    (gpu,) = CAPTURES["curc_tresusageinmax_gpu.txt"].sacct().values()
    batch = gpu.steps[0]
    assert batch.tres_usage_in_max is not None and batch.tres_usage_in_max.count_of("gres/gpuutil") == 100
    assert batch.tres_usage_in_max.memory("gres/gpumem") == MemorySize(38888 * M)
    mail = CAPTURES["slurm_mail_142_alloctres_gpu.txt"].sacct()
    assert mail["8117678"].job.alloc_tres is not None and mail["8117678"].job.alloc_tres.memory() == MemorySize(180 * G)
    jobstats = next(iter(CAPTURES["jobstats_57_sacct.txt"].sacct().values()))
    assert jobstats.job.req_mem == MemorySize(10 * G) and jobstats.steps[0].max_rss == MemorySize(10466336 * K)
    assert jobstats.steps[1].max_rss is None and jobstats.job.elapsed == Duration(790)
    soperator = CAPTURES["soperator_321_sacct.txt"].sacct()
    assert sorted(soperator) == ["20", "21", "22"], "the `.0` step without its job row is dropped"
    assert soperator["20"].job.state is JobState.FAILED and soperator["22"].steps[0].max_rss == MemorySize(6036 * K)
    (snake,) = CAPTURES["snakemake_337_sacct.txt"].sacct().values()
    assert snake.job.name == "b10191d0-6985-4c3a-8ccb-aa7d23ebffc7" and snake.job.comment is not None
    assert snake.job.total_cpu == Duration(24) and snake.job.req_mem == MemorySize(32000 * M)
