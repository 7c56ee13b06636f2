"""Typed records parsed from Slurm's text output: what the rest of the program reads.

These are the contract between app/slurm (which fills them) and app/diagnose, app/supervisor,
app/services and the TUI (which read them). Optional fields are None when Slurm left them empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TypeVar

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.tres import Tres
from app.model.units import Duration, MemorySize
from app.model.usage import JobUsage, job_usage

T = TypeVar("T")


@dataclass(frozen=True)
class RowProblem:
    """One row (or one cell of a row) that Slurm printed and we could not read; the rest was kept.

    `job_id` is the row's job id when it could be read. `text` is the offending cell or row as
    printed (cut to 200 characters): show it literally, it may hold anything a job name can.
    """

    command: str  # "sacct", "squeue"
    job_id: str | None
    message: str
    text: str = ""

    def __str__(self) -> str:
        where = f"job {self.job_id}" if self.job_id else "a row"
        return f"{self.command}: {where}: {self.message}"


class RecordList(list[T]):
    """The records a command printed, plus the rows that could not be read (`problems`)."""

    def __init__(self, items: Iterable[T] = (), problems: Iterable[RowProblem] = ()) -> None:
        super().__init__(items)
        self.problems: tuple[RowProblem, ...] = tuple(problems)


@dataclass(frozen=True)
class SacctRow:
    """One row of `sacct`: the job itself (step is None) or one of its steps."""

    job_id: str  # "123", or "123_4" for an array task
    step: str | None  # None for the job row; "batch", "extern", "0", "1", ...
    name: str
    state: JobState
    cancelled_by_uid: int | None
    exit_status: ExitStatus
    user: str | None = None  # empty on step rows
    partition: str | None = None
    node_list: str | None = None
    submit: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    elapsed: Duration | None = None
    time_limit: Duration | None = None  # None: no limit or empty (steps)
    max_rss: MemorySize | None = None  # filled on step rows only
    req_mem: MemorySize | None = None
    req_mem_per_cpu: bool = False  # ReqMem like "200Mc": per CPU, multiply by alloc_cpus
    alloc_cpus: int | None = None
    comment: str | None = None
    work_dir: str | None = None
    reason: str | None = None  # e.g. "None", "Resources", "TimeLimit"... (job rows)
    job_id_raw: str | None = None  # JobIDRaw: `196` for array task `193_2`, `206` for `205+1`
    req_mem_per_node: bool = False  # ReqMem like "16000Mn" (before Slurm 21.08): per node
    nnodes: int | None = None
    ntasks: int | None = None  # empty on job rows
    total_cpu: Duration | None = None  # TotalCPU (user + system) of the job or step
    req_tres: Tres | None = None
    alloc_tres: Tres | None = None  # gres/gpu=N here for GPU jobs
    tres_usage_in_max: Tres | None = None  # steps: the largest task's usage (mem=, cpu=, gres/gpuutil=)
    tres_usage_in_tot: Tres | None = None  # steps: all tasks' usage added up

    @property
    def step_id(self) -> str:
        """`123`, `123.batch`, `123.0`."""
        return self.job_id if self.step is None else f"{self.job_id}.{self.step}"


@dataclass(frozen=True)
class JobAccounting:
    """A job's sacct row with its steps, in the order sacct printed them."""

    job: SacctRow
    steps: tuple[SacctRow, ...] = ()

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def peak_rss(self) -> MemorySize | None:
        """The largest MaxRSS of any step (the job row has none): ONE task's peak; see `usage`."""
        values = [s.max_rss for s in self.steps if s.max_rss is not None]
        return max(values) if values else None

    @property
    def out_of_memory_step(self) -> str | None:
        """The first step that ended OUT_OF_MEMORY (`123.0`, `123.batch`) when the job itself ended
        otherwise (FAILED 1:0 after an `srun` step, or the batch step on many sites), else None."""
        if self.job.state is JobState.OUT_OF_MEMORY:
            return None
        return next((s.step_id for s in self.steps if s.state is JobState.OUT_OF_MEMORY), None)

    @property
    def requested_memory(self) -> MemorySize | None:
        """ReqMem for the whole job (per-CPU and per-node requests multiplied out)."""
        return self.usage.request.total

    @cached_property
    def usage(self) -> JobUsage:
        """Memory request and peak per node, CPU/memory/GPU efficiency (app/model/usage.py)."""
        return job_usage(self.job, self.steps)


class AccountingMap(dict[str, JobAccounting]):
    """Accounting per job id (`123`, `123_4`, `123+0`), plus the rows that could not be read."""

    def __init__(
        self, items: Mapping[str, JobAccounting] | Iterable[tuple[str, JobAccounting]] = (),
        problems: Iterable[RowProblem] = (),
    ) -> None:  # fmt: skip
        super().__init__(items)
        self.problems: tuple[RowProblem, ...] = tuple(problems)


@dataclass(frozen=True)
class QueueRecord:
    """One row of `squeue`: a job Slurm's controller holds right now."""

    job_id: str
    name: str
    user: str
    state: JobState
    partition: str | None = None
    time_used: Duration | None = None
    time_limit: Duration | None = None
    time_left: Duration | None = None
    submit: datetime | None = None
    start: datetime | None = None  # expected start for pending jobs, when Slurm knows it
    reason: str | None = None  # e.g. Resources, Priority, Dependency, DependencyNeverSatisfied
    node_list: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class StartEstimate:
    """One row of `squeue --start`: when Slurm expects a pending job to start, and why it waits."""

    job_id: str
    start: datetime | None  # None: the scheduler has not estimated it (yet), or cannot (held, dependency)
    reason: str | None  # Priority, Resources, BeginTime, Dependency, JobHeldUser...
    sched_nodes: str | None = None  # the nodes the estimate assumes


@dataclass(frozen=True)
class LiveStep:
    """One row of `sstat`: a RUNNING step's memory as its nodes see it now (app/slurm/sstat.py).

    It has the fields of app.model.usage's step rows that sstat can fill, so the same rules apply;
    `tres_usage_in_tot` here is the memory of the tasks NOW, not their peak.
    """

    job_id: str
    step: str  # "batch", "0", "extern"
    ntasks: int | None
    nnodes: int | None
    node_list: str | None
    max_rss: MemorySize | None  # the largest task's peak so far
    ave_rss: MemorySize | None  # the tasks' memory now, on average
    tres_usage_in_max: Tres | None
    tres_usage_in_tot: Tres | None  # mem= is the tasks' memory now, added up

    @property
    def step_id(self) -> str:
        return f"{self.job_id}.{self.step}"


@dataclass(frozen=True)
class ControllerJob:
    """`scontrol show job`: what the controller holds; ExitCode here has no 128 offset."""

    job_id: str
    name: str
    user: str | None
    state: JobState
    exit_status: ExitStatus | None
    reason: str | None = None
    time_limit: Duration | None = None
    run_time: Duration | None = None
    submit: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    std_out: str | None = None
    std_err: str | None = None
    work_dir: str | None = None
    comment: str | None = None
    requeue: bool | None = None
    restarts: int = 0
    raw: dict[str, str] = field(default_factory=dict)  # every Key=Value pair as printed


@dataclass(frozen=True)
class Partition:
    """`scontrol show partition`: the limits a job in this partition lives under (None: unlimited)."""

    name: str
    max_time: Duration | None  # MaxTime: the longest --time a job may have here
    default_time: Duration | None = None  # DefaultTime: the limit of a job that gave no --time
    max_nodes: int | None = None
    max_mem_per_node: MemorySize | None = None
    max_mem_per_cpu: MemorySize | None = None
    state: str | None = None  # UP, DOWN, DRAIN, INACTIVE
    nodes: str | None = None
    total_nodes: int | None = None
    raw: dict[str, str] = field(default_factory=dict)  # every Key=Value pair as printed
