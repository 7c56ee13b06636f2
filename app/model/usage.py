"""Resource usage of one job, pure: memory request and peak per node, CPU, memory and GPU efficiency.

Input is sacct's job row and step rows (anything with the fields of `UsageRow`; app/slurm's
SacctRow is one). The rules, and where they come from:

- Memory request (ReqMem). Before Slurm 21.08 it carries its meaning as a suffix: `4000Mc` is per
  CPU (x allocated CPUs for the job), `16000Mn` per node (x nodes). From 21.08 on there is no
  suffix and the value is the job's total, the `mem=` of its TRES (AllocTRES when allocated, else
  ReqTRES); per node and per CPU are that total divided by the nodes and CPUs. Whether the user
  wrote --mem or --mem-per-cpu is then not recorded in accounting (`asked_per` is None).
- Peak memory per node of a step: `mem=` of TRESUsageInTot (the tasks' peaks added up) divided by
  the step's nodes, never below the largest single task (MaxRSS); without TRESUsageInTot, MaxRSS x
  tasks per node, as reportseff does since its multi-task fix (its issues 16 and 41). MaxRSS alone
  is one task's peak: comparing it with a per-node request understates a multi-task job.
  The job's peak is the largest of its steps (steps that ran at the same time are not added up,
  as in seff and reportseff).
- Memory efficiency: peak per node / request per node. For a job whose steps span all its nodes
  this equals seff's and reportseff's job-wide figure; for a step on fewer nodes than the job
  (an MPI launcher on the first node only) it is the figure for the nodes that ran it, which is
  the one a --mem (per node) decision needs.
- CPU efficiency: TotalCPU / (Elapsed x AllocCPUS) of the job row, as seff and reportseff; only
  for a job that ended (sacct fills TotalCPU when steps end).
- Live memory (sstat, while steps run): TRESUsageInTot `mem=` is then the tasks' memory NOW, so
  the peak per node comes from the largest task's MaxRSS x tasks per node (see live_memory).
- GPUs: `gres/gpu` of AllocTRES; utilisation only where accounting has it (`gres/gpuutil` in
  TRESUsageInMax, Slurm 23.x with GPU accounting): the highest of the steps, in percent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from app.model.states import JobState
from app.model.tres import Tres
from app.model.units import Duration, MemorySize


class UsageRow(Protocol):
    """The sacct fields this module reads (job row or step row)."""

    @property
    def step(self) -> str | None: ...
    @property
    def state(self) -> JobState: ...
    @property
    def elapsed(self) -> Duration | None: ...
    @property
    def max_rss(self) -> MemorySize | None: ...
    @property
    def req_mem(self) -> MemorySize | None: ...
    @property
    def req_mem_per_cpu(self) -> bool: ...
    @property
    def req_mem_per_node(self) -> bool: ...
    @property
    def alloc_cpus(self) -> int | None: ...
    @property
    def nnodes(self) -> int | None: ...
    @property
    def ntasks(self) -> int | None: ...
    @property
    def total_cpu(self) -> Duration | None: ...
    @property
    def req_tres(self) -> Tres | None: ...
    @property
    def alloc_tres(self) -> Tres | None: ...
    @property
    def tres_usage_in_max(self) -> Tres | None: ...
    @property
    def tres_usage_in_tot(self) -> Tres | None: ...


@dataclass(frozen=True)
class MemoryRequest:
    """What the job asked for, in the three forms a person needs; None where accounting cannot say."""

    total: MemorySize | None
    per_node: MemorySize | None
    per_cpu: MemorySize | None
    asked_per: Literal["cpu", "node"] | None  # how the request was written, when accounting records it
    nodes: int
    cpus: int | None
    source: str  # where the numbers came from, for evidence: `ReqMem 4000Mc`, `AllocTRES mem=16G`


@dataclass(frozen=True)
class StepPeak:
    """A step's peak memory on one node, and how it was worked out."""

    step: str
    per_node: MemorySize
    how: str


@dataclass(frozen=True)
class JobUsage:
    """The facts of one job's resource use; percentages as seff and reportseff print them."""

    request: MemoryRequest
    peak: StepPeak | None  # the step with the highest peak per node
    mem_efficiency: float | None  # percent, one decimal
    cpu_efficiency: float | None  # percent, one decimal
    cpu_seconds: int | None  # TotalCPU
    core_seconds: int | None  # Elapsed x AllocCPUS
    gpus: int | None
    gpu_utilization: float | None  # percent, highest of the steps, when accounting has it

    @property
    def peak_per_node(self) -> MemorySize | None:
        return self.peak.per_node if self.peak else None


def _ceil_div(size: MemorySize, parts: int) -> MemorySize:
    return MemorySize(-(-size.bytes // max(1, parts)))


def _percent(part: int, whole: int) -> float | None:
    return None if whole <= 0 else round(part * 100 / whole, 1)


def memory_request(job: UsageRow) -> MemoryRequest:
    """The job's memory request per node, per CPU and in total, from its ReqMem in either form."""
    alloc = job.alloc_tres
    nodes = job.nnodes or (alloc.count_of("node") if alloc else None) or 1
    cpus = job.alloc_cpus or (alloc.count_of("cpu") if alloc else None) or None
    size = job.req_mem
    if size is not None and job.req_mem_per_cpu:
        total = MemorySize(size.bytes * cpus) if cpus else None
        per_node = _ceil_div(total, nodes) if total else None
        return MemoryRequest(total, per_node, size, "cpu", nodes, cpus, f"ReqMem {size} per CPU")
    if size is not None and job.req_mem_per_node:
        total = MemorySize(size.bytes * nodes)
        per_cpu = _ceil_div(total, cpus) if cpus else None
        return MemoryRequest(total, size, per_cpu, "node", nodes, cpus, f"ReqMem {size} per node")
    found: MemorySize | None = None
    source = ""
    for name, tres in (("AllocTRES", alloc), ("ReqTRES", job.req_tres)):
        found = tres.memory() if tres is not None else None
        if found is not None and found.bytes > 0:
            source = f"{name} mem={tres.get('mem') if tres else ''}"
            break
    else:
        found, source = size, f"ReqMem {size}" if size is not None else ""
    if found is None:
        return MemoryRequest(None, None, None, None, nodes, cpus, source)
    per_cpu = _ceil_div(found, cpus) if cpus else None
    return MemoryRequest(found, _ceil_div(found, nodes), per_cpu, None, nodes, cpus, source)


def step_peak(step: UsageRow) -> StepPeak | None:
    """The step's peak memory on one node (see the module docstring); None when nothing was recorded."""
    name = step.step or ""
    nodes = step.nnodes or 1
    one_task = step.max_rss
    if one_task is None and step.tres_usage_in_max is not None:
        one_task = step.tres_usage_in_max.memory()
    all_tasks = step.tres_usage_in_tot.memory() if step.tres_usage_in_tot is not None else None
    if all_tasks is not None:
        per_node = _ceil_div(all_tasks, nodes)
        where = f" / {nodes} nodes" if nodes > 1 else ""
        how = f"TRESUsageInTot mem={all_tasks}{where}"
        if one_task is not None and one_task > per_node:
            per_node, how = one_task, f"MaxRSS {one_task} (one task, above the average per node)"
        return StepPeak(name, per_node, how)
    return _peak_from_largest_task(name, one_task, step.ntasks, nodes)


def _peak_from_largest_task(name: str, one_task: MemorySize | None, ntasks: int | None, nodes: int) -> StepPeak | None:
    """The largest task's peak (MaxRSS) x the tasks on one node, as reportseff does without TRES."""
    if one_task is None:
        return None
    per_node_tasks = -(-(ntasks or 1) // max(1, nodes))
    if per_node_tasks > 1:
        how = f"MaxRSS {one_task} x {per_node_tasks} tasks"
        return StepPeak(name, MemorySize(one_task.bytes * per_node_tasks), how)
    return StepPeak(name, one_task, f"MaxRSS {one_task}")


def job_usage(job: UsageRow, steps: Sequence[UsageRow]) -> JobUsage:
    """Every usage fact of one job from its sacct job row and step rows."""
    request = memory_request(job)
    peaks = [p for p in (step_peak(s) for s in steps) if p is not None]
    peak = max(peaks, key=lambda p: p.per_node.bytes) if peaks else None
    mem_eff = None
    if peak is not None and request.per_node is not None:
        mem_eff = _percent(peak.per_node.bytes, request.per_node.bytes)
    cpu_seconds = job.total_cpu.seconds if job.total_cpu is not None else None
    core_seconds = None
    if job.elapsed is not None and request.cpus:
        core_seconds = job.elapsed.seconds * request.cpus
    cpu_eff = None
    if job.state.is_terminal and cpu_seconds is not None and core_seconds:
        cpu_eff = _percent(cpu_seconds, core_seconds)
    gpus = job.alloc_tres.gpus() if job.alloc_tres is not None else None
    if gpus is None and job.req_tres is not None:
        gpus = job.req_tres.gpus()
    utils = [s.tres_usage_in_max.count_of("gres/gpuutil") for s in steps if s.tres_usage_in_max is not None]
    known = [u for u in utils if u is not None]
    # Clusters with GPU accounting print gres/gpuutil=0 for steps of CPU-only jobs too
    gpu_util = float(max(known)) if known and (gpus or max(known) > 0) else None
    return JobUsage(request, peak, mem_eff, cpu_eff, cpu_seconds, core_seconds, gpus, gpu_util)


class LiveStepRow(Protocol):
    """The sstat fields live_memory reads (app/slurm's LiveStep): a RUNNING step, where TRESUsageInTot
    `mem=` is the tasks' memory now (not their peak) and MaxRSS the largest task's peak so far."""

    @property
    def step(self) -> str: ...
    @property
    def max_rss(self) -> MemorySize | None: ...
    @property
    def nnodes(self) -> int | None: ...
    @property
    def ntasks(self) -> int | None: ...
    @property
    def tres_usage_in_tot(self) -> Tres | None: ...


@dataclass(frozen=True)
class LiveMemory:
    """A running job's memory per node: now, its peak so far, and what it asked for."""

    now_per_node: MemorySize | None  # the running steps' tasks now, added up, per node
    peak: StepPeak | None  # the step with the highest peak per node so far (never below `now`)
    requested_per_node: MemorySize | None

    @property
    def peak_per_node(self) -> MemorySize | None:
        return self.peak.per_node if self.peak else None

    def percent(self, size: MemorySize | None) -> float | None:
        """`size` as a percentage of the request per node (one decimal)."""
        if size is None or self.requested_per_node is None:
            return None
        return _percent(size.bytes, self.requested_per_node.bytes)


def live_memory(steps: Sequence[LiveStepRow], request: MemoryRequest | None) -> LiveMemory:
    """Now / peak / requested per node from sstat's rows of a running job's steps.

    Now: each step's TRESUsageInTot `mem=` over its nodes, added up over the steps (they run at the
    same time). Peak: per step, the largest task's MaxRSS x its tasks per node (sstat has no peak of
    the tasks together), the highest step; never below now.
    """
    now: MemorySize | None = None
    peaks: list[StepPeak] = []
    for step in steps:
        nodes = step.nnodes or 1
        current = step.tres_usage_in_tot.memory() if step.tres_usage_in_tot is not None else None
        if current is not None:
            share = _ceil_div(current, nodes)
            now = share if now is None else MemorySize(now.bytes + share.bytes)
        peak = _peak_from_largest_task(step.step, step.max_rss, step.ntasks, nodes)
        if peak is not None:
            peaks.append(peak)
    best = max(peaks, key=lambda p: p.per_node.bytes) if peaks else None
    if now is not None and (best is None or best.per_node < now):
        best = StepPeak("all", now, f"the running steps now ({now})")
    return LiveMemory(now, best, request.per_node if request else None)
