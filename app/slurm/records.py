"""Typed records parsed from Slurm's text output: what the rest of the program reads.

These are the contract between app/slurm (which fills them) and app/diagnose, app/supervisor,
app/services and the TUI (which read them). Optional fields are None when Slurm left them empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.model.exit_status import ExitStatus
from app.model.states import JobState
from app.model.units import Duration, MemorySize


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
        """The largest MaxRSS of any step (the job row has none)."""
        values = [s.max_rss for s in self.steps if s.max_rss is not None]
        return max(values) if values else None

    @property
    def requested_memory(self) -> MemorySize | None:
        """ReqMem for the whole job (per-CPU requests multiplied out)."""
        req = self.job.req_mem
        if req is None:
            return None
        if self.job.req_mem_per_cpu and self.job.alloc_cpus:
            return MemorySize(req.bytes * self.job.alloc_cpus)
        return req


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
