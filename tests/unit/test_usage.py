"""Resource usage, pure (app/model/usage.py), on real accounting: other sites' (tests/captures/sites)
with the figures seff and reportseff printed for the same jobs, and ours (tests/captures/sacct_usage.txt).

reportseff (on PyPI, a test dependency) is run as an oracle on its own fixtures: its Job class
reads the very rows we parse. CPU efficiency must agree within 2 percentage points everywhere.
Memory efficiency too, except where the definitions differ on purpose: ours is per node (the
step's peak on the nodes it ran on / the request per node, what a --mem decision needs), seff's
and reportseff's is per job. For a step that ran on fewer nodes than the job had, theirs is ours
x (step nodes / job nodes); the tests check exactly that relation.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.tres import Tres
from app.model.units import Duration, MemorySize
from app.model.usage import memory_request, step_peak
from app.slurm.records import JobAccounting, SacctRow
from tests.captures import parse_sacct_capture
from tests.captures.sites import SiteCapture, site_captures

K, M, G = 1024, 1024**2, 1024**3
REPORTSEFF = sorted(name for name in site_captures() if name.startswith("reportseff_"))
# (file, job id): the step ran on 1 of the job's N nodes, so the job-wide figure is ours / N
ONE_NODE_STEP_OF_MANY = {"reportseff_issue16_multinode.txt": 2, "reportseff_issue37_mpi.txt": 20}


def only_job(capture: SiteCapture) -> JobAccounting:
    (acc,) = capture.sacct().values()
    return acc


def reportseff_figures(capture: SiteCapture) -> tuple[float | None, float | None]:
    """(CPUEff, MemEff) as reportseff computes them from the same rows."""
    job_module = pytest.importorskip("reportseff.job")
    delimiter, fields, body = capture.cells()
    rows = [dict(zip(fields, line.split(delimiter), strict=True)) for line in body.splitlines() if line]
    for row in rows:
        row.setdefault("REQMEM", row.get("ReqMem", ""))  # older reportseff releases read REQMEM
    job = job_module.Job(rows[0]["JobID"].split("_")[0], rows[0]["JobID"], None)
    for row in rows:
        job.update(row)
    cpu, mem = job.get_entry("CPUEff"), job.get_entry("MemEff")
    return (cpu if isinstance(cpu, float) else None), (mem if isinstance(mem, float) else None)


@pytest.mark.parametrize("name", REPORTSEFF)
def test_cpu_and_memory_efficiency_agree_with_reportseff(name: str) -> None:
    capture = site_captures()[name]
    usage = only_job(capture).usage
    cpu, mem = reportseff_figures(capture)
    if cpu is None:  # reportseff prints `---` for 0 % and for a job that never ran
        assert usage.cpu_efficiency in (None, 0.0)
    else:
        assert usage.cpu_efficiency == pytest.approx(cpu, abs=2)
    if usage.peak is None:  # nothing ran, nothing measured: reportseff says 0.0, we say we do not know
        assert mem == 0.0 and usage.mem_efficiency is None and not only_job(capture).steps
        return
    assert mem is not None and usage.mem_efficiency is not None
    nodes = ONE_NODE_STEP_OF_MANY.get(name, 1)
    assert usage.mem_efficiency / nodes == pytest.approx(mem, abs=2 / nodes)


def test_the_figures_seff_and_reportseff_printed_in_their_issues() -> None:
    sites = site_captures()
    multitask = only_job(sites["reportseff_issue41_multitask.txt"]).usage
    # seff: "Memory Utilized: 14.86 GB (estimated maximum)", "CPU Efficiency: 98.58%"; 16000M asked
    assert multitask.peak_per_node is not None
    assert multitask.peak_per_node.bytes / G == pytest.approx(14.86, abs=0.01)
    assert multitask.mem_efficiency == 95.1 and multitask.cpu_efficiency == pytest.approx(98.58, abs=0.5)
    assert multitask.peak is not None and multitask.peak.how == "MaxRSS 1.9G x 8 tasks"
    multinode = only_job(sites["reportseff_issue16_multinode.txt"]).usage
    # seff: "CPU Efficiency: 98.62%", "Memory Efficiency: 24.06% of 32.00 GB" (2 nodes, 16 GB each)
    assert multinode.cpu_efficiency == pytest.approx(98.62, abs=0.1)
    assert multinode.request.per_node == MemorySize(16 * G) and multinode.request.nodes == 2
    assert multinode.mem_efficiency == pytest.approx(2 * 24.06, abs=0.2)
    jobstats = only_job(sites["jobstats_57_sacct.txt"]).usage
    assert jobstats.mem_efficiency == pytest.approx(99.81, abs=0.1)  # seff: 99.81% of 10.00 GB


def test_memory_requests_of_every_form() -> None:
    sites = site_captures()
    per_cpu = memory_request(only_job(sites["reportseff_25569410.txt"]).job)  # 4000Mc, 1 CPU
    assert (per_cpu.per_cpu, per_cpu.per_node, per_cpu.asked_per) == (MemorySize(4000 * M), MemorySize(4000 * M), "cpu")
    per_node = memory_request(only_job(sites["reportseff_issue37_mpi.txt"]).job)  # 191846Mn, 20 nodes, 720 CPUs
    assert per_node.asked_per == "node" and per_node.per_node == MemorySize(191846 * M)
    assert per_node.total == MemorySize(20 * 191846 * M) and per_node.per_cpu == MemorySize(-(-20 * 191846 * M // 720))
    today = memory_request(only_job(sites["reportseff_issue16_multinode.txt"]).job)  # 32G over 2 nodes, 16 CPUs
    assert today.asked_per is None and today.total == MemorySize(32 * G) and today.per_cpu == MemorySize(2 * G)
    assert "ReqMem" in today.source


def row(**fields: Any) -> SacctRow:
    base: dict[str, Any] = {"job_id": "1", "step": None, "name": "n", "state": JobState.COMPLETED,
                            "cancelled_by_uid": None, "exit_status": ExitStatus(0, 0)}  # fmt: skip
    base.update(fields)
    return SacctRow(**base)


def test_request_prefers_what_was_allocated_and_falls_back_to_what_was_asked() -> None:
    alloc = row(req_mem=MemorySize(8 * G), nnodes=2, alloc_cpus=8, alloc_tres=Tres("cpu=8,mem=16G,node=2"))
    assert memory_request(alloc).total == MemorySize(16 * G) and memory_request(alloc).source == "AllocTRES mem=16G"
    pending = row(req_mem=MemorySize(8 * G), req_tres=Tres("cpu=4,mem=8G,node=1"))
    assert memory_request(pending).per_node == MemorySize(8 * G) and memory_request(pending).source == "ReqTRES mem=8G"
    bare = row(req_mem=MemorySize(300 * M), alloc_cpus=3)
    assert memory_request(bare).per_cpu == MemorySize(100 * M) and memory_request(bare).source == "ReqMem 300M"
    nothing = memory_request(row())
    assert nothing.total is None and nothing.per_node is None and nothing.nodes == 1


def peak(step: SacctRow) -> MemorySize:
    found = step_peak(step)
    assert found is not None
    return found.per_node


def test_peak_per_node_of_a_step() -> None:
    tot = Tres("cpu=00:00:02,mem=256948K")
    four = row(step="0", nnodes=1, ntasks=4, max_rss=MemorySize(64240 * K), tres_usage_in_tot=tot)
    assert peak(four) == MemorySize(256948 * K)
    spread = row(step="0", nnodes=2, ntasks=8, max_rss=MemorySize(1 * G), tres_usage_in_tot=Tres("mem=4G"))
    assert peak(spread) == MemorySize(2 * G)
    lopsided = row(step="0", nnodes=2, ntasks=2, max_rss=MemorySize(3 * G), tres_usage_in_tot=Tres("mem=4G"))
    assert peak(lopsided) == MemorySize(3 * G), "one task's peak is a floor for its node"
    no_tot = row(step="0", nnodes=2, ntasks=5, max_rss=MemorySize(1 * G))
    assert peak(no_tot) == MemorySize(3 * G)
    only_max = row(step="batch", tres_usage_in_max=Tres("mem=5M"))
    assert peak(only_max) == MemorySize(5 * M)
    assert step_peak(row(step="extern")) is None


def test_our_four_task_job_counts_every_task() -> None:
    """tests/captures/sacct_usage.txt: `srun -n 4`, ~60 MB each, --mem=600M on one node."""
    jobs = {acc.job.name: acc for acc in parse_sacct_capture("sacct_usage.txt").values()}
    four = jobs["lrcap-four-tasks"]
    step = four.steps[1]
    assert step.ntasks == 4 and step.max_rss is not None and step.tres_usage_in_tot is not None
    usage = four.usage
    assert usage.peak is not None and usage.peak.step == "0" and usage.peak.per_node == step.tres_usage_in_tot.memory()
    assert usage.mem_efficiency is not None and usage.mem_efficiency > 3 * step.max_rss.percent_of(MemorySize(600 * M))
    one = jobs["lrcap-one-task"].usage
    assert one.peak_per_node is not None and 150 * M <= one.peak_per_node.bytes < 170 * M
    per_cpu = jobs["lrcap-per-cpu"].usage  # -c 2 --mem-per-cpu=150M: 22.05 prints ReqMem 300M, no suffix
    assert per_cpu.request.total == MemorySize(300 * M) and per_cpu.request.per_cpu == MemorySize(150 * M)
    idle = jobs["lrcap-idle"].usage
    assert idle.cpu_efficiency is not None and idle.cpu_efficiency < 5
    for acc in jobs.values():
        assert acc.job.elapsed is not None and acc.job.alloc_cpus is not None
        assert acc.usage.core_seconds == acc.job.elapsed.seconds * acc.job.alloc_cpus


def test_gpus_and_their_utilisation_where_accounting_has_it() -> None:
    sites = site_captures()
    assert {a.job_id: a.usage.gpus for a in sites["slurm_mail_142_alloctres_gpu.txt"].sacct().values()} == {
        "8117657": 1, "8117678": 1}  # fmt: skip
    gpu = only_job(sites["curc_tresusageinmax_gpu.txt"]).usage
    assert gpu.gpu_utilization == 100.0 and gpu.peak_per_node == MemorySize(10372780 * K)
    cpu_only = parse_sacct_capture("sacct_usage.txt")
    assert all(acc.usage.gpus is None and acc.usage.gpu_utilization is None for acc in cpu_only.values())


def test_no_cpu_efficiency_before_the_end() -> None:
    running = JobAccounting(row(state=JobState.RUNNING, elapsed=Duration(600), alloc_cpus=4, total_cpu=Duration(0)))
    assert running.usage.cpu_efficiency is None and running.usage.core_seconds == 2400
    never_ran = JobAccounting(row(state=JobState.CANCELLED, elapsed=Duration(0), alloc_cpus=4, total_cpu=Duration(0)))
    assert never_ran.usage.cpu_efficiency is None
