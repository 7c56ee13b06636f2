# ruff: noqa: E501  (the mapping table in the docstring is markdown: one row per line)
"""How a workflow job becomes a Slurm job: its sbatch options, warning signal and batch script.

Each job is its own chain of Slurm jobs (see app/workflows/run.py). The mapping:

| workflow field | sbatch option / effect |
|---|---|
| job `name` | `--job-name=<workflow>.<job>`, both names made safe (other characters than letters, digits, `_.+-` become `_`) |
| job `command` (after parameters and `${files.*}` are substituted) | a generated batch script (app/workflows/script.py), kept in your registry: `cd <workflow dir>`, `exec <command>` (the command replaces the shell, so the warning signal reaches it); a compound command (`a && b`, pipes, `;`) runs in its own process group and the script passes TERM/INT/HUP/USR1/USR2 on to that group |
| `invocation_script` | put before the command (`bash env.sh python x.py`); a script of several lines runs first, then the command |
| job `env` | `export NAME=value` in the script |
| `slurm_defaults` (`qos: high`, `mail-type: END`) | `--qos=high --mail-type=END` for every job, before its scheduler's options |
| `failure_handler` rules | the chain resubmits a link that failed with a matching exit code, up to max_retries per rule; the rule's recovery script runs first in the retrying link |
| `resource_requirements.num_cpus` | `--cpus-per-task=N` |
| `resource_requirements.memory` (`16g`, `512m`, bare number = MB) | `--mem=<whole G or M>` (overrides the scheduler's `mem`) |
| `resource_requirements.num_gpus` | `--gres=gpu:N` (overrides the scheduler's `gres`) |
| `resource_requirements.num_nodes` | `--nodes=N` (overrides the scheduler's `nodes`) |
| `resource_requirements.runtime` (ISO 8601, `PT2H`) | `--time=<minutes, rounded up>`, capped by the scheduler's `walltime` |
| scheduler `account`, `partition`, `qos` | `--account=`, `--partition=`, `--qos=` |
| scheduler `nodes` | `--nodes=N` |
| scheduler `walltime` (`04:00:00`) | `--time=<minutes, rounded up>` (when the job has no shorter `runtime`) |
| scheduler `mem`, `gres`, `tmp`, `ntasks_per_node` | `--mem=`, `--gres=`, `--tmp=`, `--ntasks-per-node=` |
| scheduler `extra` | split like a shell would (shlex, no shell runs), appended last so it wins over the above; `--dependency` is refused |
| `supports_termination: true` | the warning signal: the `--signal` in `extra`, or `--signal=B:TERM@60` when there is none; the chain continues (next link) after TIMEOUT, preemption, node failure, or exit 75 ("checkpointed, continue"); exit 0 means finished. Links shorter than a third of the time before the signal (at most 60 s) count as "no progress" (3 in a row stop the chain) |
| `supports_termination: false` (default) | no `--signal` (one in `extra` is dropped, with a note); the chain is never resubmitted (policy max_restarts=0): a TIMEOUT or a preemption stops it and holds its dependents until `longrun workflow reinit` |
| `depends_on`, `depends_on_regexes` | no Slurm `--dependency`: the supervisor submits a job's first link once every upstream chain is done |
| which scheduler | the job's `scheduler`; else a `schedule_nodes` action whose `jobs` (or `job_name_regexes`) names it; else the `on_workflow_start` `schedule_nodes` action's; else the only one defined; else cluster defaults |
| job output | `--output=<workflow dir>/logs/%x-%j.out` unless `extra` sets `--output`/`-o` |
| fields not used (`user` when not you, `scheduler_type`, `num_allocations`, `cancel_on_blocking_job_failure`, files, user data...) | accepted; each one is reported as a note by `validate` and `submit` |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.model.units import Duration
from app.workflows.script import batch_script
from app.workflows.spec import Job, Scheduler, Workflow

DEFAULT_WARNING_SIGNAL = "B:TERM@60"
_SIGNAL_RE = re.compile(r"^(?:[RB]{1,2}:)?(?:SIG)?[A-Z0-9]+(?:@\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class JobPlan:
    """Everything needed to submit one workflow job as a chain."""

    job_name: str  # the Slurm --job-name
    options: tuple[str, ...]  # sbatch options, without --signal
    warning_signal: str | None  # the --signal value (e.g. B:TERM@60), None when the job does not support it
    time_limit: Duration | None
    script: str  # the batch script text
    notes: tuple[str, ...] = ()


def split_signal(extra: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """The `--signal` value in `extra` (the last one, as sbatch takes) and the other options."""
    signal: str | None = None
    rest: list[str] = []
    items = list(extra)
    i = 0
    while i < len(items):
        item = items[i]
        if item.startswith("--signal="):
            signal = item.split("=", 1)[1]
        elif item == "--signal" and i + 1 < len(items):
            signal = items[i + 1]
            i += 1
        else:
            rest.append(item)
        i += 1
    return signal, tuple(rest)


def is_valid_signal(value: str) -> bool:
    return bool(_SIGNAL_RE.match(value))


def time_limit(job: Job, scheduler: Scheduler | None) -> Duration | None:
    """The job's runtime capped by the scheduler's walltime (either alone when only one is given)."""
    walltime = scheduler.walltime if scheduler else None
    runtime = job.resources.runtime
    if runtime is None or walltime is None:
        return runtime or walltime
    return min(runtime, walltime)


def plan_job(workflow: Workflow, job: Job, state_dir: Path = Path("/nonexistent")) -> JobPlan:
    """The sbatch options, warning signal, time limit and script of one job (see the module table).
    `state_dir`: the workflow's private directory for the job's retry markers (script.py)."""
    scheduler = workflow.schedulers.get(job.scheduler) if job.scheduler else None
    res = job.resources
    options: list[str] = [f"--job-name={slurm_job_name(workflow, job)}", *workflow.sbatch_defaults]
    notes: list[str] = []
    extra: tuple[str, ...] = ()
    if scheduler is not None:
        for flag, value in (
            ("--account", scheduler.account),
            ("--partition", scheduler.partition),
            ("--qos", scheduler.qos),
            ("--tmp", scheduler.tmp),
        ):
            if value is not None:
                options.append(f"{flag}={value}")
        if scheduler.ntasks_per_node is not None:
            options.append(f"--ntasks-per-node={scheduler.ntasks_per_node}")
        extra = scheduler.extra
    nodes = res.num_nodes or (scheduler.nodes if scheduler else None)
    if nodes is not None:
        options.append(f"--nodes={nodes}")
    if res.num_cpus is not None:
        options.append(f"--cpus-per-task={res.num_cpus}")
    memory = res.memory or (scheduler.mem if scheduler else None)
    if memory is not None:
        options.append(f"--mem={memory.sbatch_value()}")
    if res.num_gpus:
        options.append(f"--gres=gpu:{res.num_gpus}")
        if scheduler is not None and scheduler.gres:
            notes.append(f"num_gpus {res.num_gpus} replaces scheduler {scheduler.name}'s gres `{scheduler.gres}`")
    elif scheduler is not None and scheduler.gres:
        options.append(f"--gres={scheduler.gres}")
    limit = time_limit(job, scheduler)
    if limit is not None:
        options.append(f"--time={limit.whole_minutes_up()}")
    if scheduler is not None and scheduler.walltime and res.runtime and res.runtime > scheduler.walltime:
        if job.supports_termination:
            notes.append(
                f"runtime {res.runtime} is longer than the walltime {scheduler.walltime}: "
                "it runs as several links of at most the walltime each"
            )
        else:
            notes.append(
                f"runtime {res.runtime} is longer than the walltime {scheduler.walltime} and "
                "supports_termination is false: a TIMEOUT will stop it"
            )
    signal, rest = split_signal(extra)
    options.extend(rest)
    warning: str | None = None
    if job.supports_termination:
        warning = signal or DEFAULT_WARNING_SIGNAL
        if signal is None:
            notes.append(f"no --signal in the scheduler's extra: the job gets --signal={DEFAULT_WARNING_SIGNAL}")
        elif not signal.upper().startswith(("B:", "RB:", "BR:")):
            notes.append(
                f"--signal={signal} has no `B:`: Slurm then signals only srun steps, not the "
                "batch script this job runs in; write --signal=B:..."
            )
    elif signal is not None:
        notes.append(f"supports_termination is false: the scheduler's --signal={signal} is not given to it")
    return JobPlan(
        job_name=slurm_job_name(workflow, job),
        options=tuple(options),
        warning_signal=warning,
        time_limit=limit,
        script=batch_script(workflow, job, state_dir),
        notes=tuple(notes),
    )


def slurm_job_name(workflow: Workflow, job: Job) -> str:
    """`<workflow>.<job>` with both names made safe (letters, digits, `_.+-`)."""
    return f"{workflow.slug or workflow.name}.{job.slug or job.name}"
