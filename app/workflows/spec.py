"""The typed form of a workflow file: jobs, Slurm schedulers, and the problems found reading it.

Pure data: app/workflows/loader.py builds these from a YAML or JSON5 file (with line numbers),
parameters already expanded and file references already substituted; sbatch.py and script.py turn
a job into sbatch options and a batch script, run.py turns jobs into chains.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from app.model.policy import RetryRule
from app.model.units import Duration, MemorySize

Severity = Literal["error", "note"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth knowing (note) about a workflow file, at a line (1-based)."""

    severity: Severity
    line: int | None
    message: str

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Resources:
    """A job's `resource_requirements` (every field optional)."""

    num_cpus: int | None = None
    memory: MemorySize | None = None
    num_gpus: int | None = None
    num_nodes: int | None = None
    runtime: Duration | None = None


@dataclass(frozen=True)
class Scheduler:
    """One entry of `slurm_schedulers`: the sbatch options shared by the jobs that use it."""

    name: str
    line: int
    account: str | None = None
    partition: str | None = None
    qos: str | None = None
    nodes: int | None = None
    walltime: Duration | None = None
    mem: MemorySize | None = None
    gres: str | None = None
    tmp: str | None = None
    ntasks_per_node: int | None = None
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class FailureRule:
    """One rule of a Torc failure handler: the chain policy's retry rule and the recovery script
    that runs (in the retrying link, before the command) when a failure is retried."""

    retry: RetryRule
    recovery_script: str | None = None


@dataclass(frozen=True)
class Job:
    """One job (a template already expanded); `scheduler` is the resolved scheduler name (None:
    cluster defaults); `slug` is its name made safe for Slurm job names and file names."""

    name: str
    line: int
    command: str
    depends_on: tuple[str, ...] = ()
    supports_termination: bool = False
    resources: Resources = field(default_factory=Resources)
    scheduler: str | None = None
    slug: str = ""
    failure_rules: tuple[FailureRule, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    action: str | None = None  # the Torc trigger whose run_commands this job runs (None: a workflow job)
    progress: str | None = None  # longrun's own key: a --progress pattern for the job's log
    progress_file: str | None = None  # longrun's own key: a --progress-file (a number or done/total)

    def with_(self, **changes: object) -> Job:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Workflow:
    """A whole workflow file, checked: job names unique, dependencies exist and form no cycle."""

    name: str
    source: Path
    jobs: tuple[Job, ...]
    schedulers: dict[str, Scheduler]
    user: str | None = None
    notes: tuple[Problem, ...] = ()
    slug: str = ""  # the name made safe for Slurm job names and directory names
    sbatch_defaults: tuple[str, ...] = ()  # from slurm_defaults: options every job gets first

    @property
    def directory(self) -> Path:
        """Where the jobs run and where relative paths in commands are resolved."""
        return self.source.parent

    def job(self, name: str) -> Job:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)

    def downstream_of(self, names: set[str]) -> set[str]:
        """`names` and every job that depends on one of them, directly or not."""
        result = set(names)
        changed = True
        while changed:
            changed = False
            for job in self.jobs:
                if job.name not in result and any(dep in result for dep in job.depends_on):
                    result.add(job.name)
                    changed = True
        return result

    def topological_order(self) -> list[Job]:
        """Jobs with every job after all of its dependencies (file order among equals)."""
        done: set[str] = set()
        ordered: list[Job] = []
        remaining = list(self.jobs)
        while remaining:
            ready = [job for job in remaining if all(dep in done for dep in job.depends_on)]
            if not ready:  # a cycle: the loader rejects these, never reached for a checked workflow
                raise ValueError("dependency cycle")
            for job in ready:
                ordered.append(job)
                done.add(job.name)
            remaining = [job for job in remaining if job.name not in done]
        return ordered


@dataclass(frozen=True)
class LoadResult:
    """What reading a workflow file gave: the workflow (None when there are errors) and every problem."""

    workflow: Workflow | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "note"]
