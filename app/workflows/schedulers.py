"""The `slurm_schedulers` and `actions` of a workflow file, and which scheduler each job uses.

A scheduler is a named set of sbatch options (account, partition, walltime, extra...). Torc starts
worker allocations with `schedule_nodes` actions; here each job is its own Slurm job, so an action
only says which scheduler's options its jobs get (see app/workflows/sbatch.py for the mapping).
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.workflows.nodes import Entry, NodeReader, line_of
from app.workflows.sbatch import is_valid_signal, split_signal
from app.workflows.spec import Job, Problem, Scheduler
from app.workflows.values import parse_memory, parse_walltime

SCHEDULER_KEYS = (
    "name",
    "account",
    "partition",
    "qos",
    "nodes",
    "walltime",
    "mem",
    "gres",
    "tmp",
    "ntasks_per_node",
    "extra",
)
ACTION_KEYS = ("trigger_type", "action_type", "scheduler", "scheduler_type", "jobs", "job_name_regexes")
ACTION_UNUSED = {
    "num_allocations": "each job gets its own Slurm job (a chain), not a shared allocation",
    "start_one_worker_per_node": "there are no workers: each job is its own Slurm job",
    "max_parallel_jobs": "Slurm's own limits apply",
    "persistent": "actions run once, at submit",
    "commands": "only schedule_nodes actions are used",
}
TRIGGERS = ("on_workflow_start", "on_jobs_ready", "on_jobs_complete", "on_worker_start", "on_worker_complete")


@dataclass
class ActionChoices:
    default: str | None = None  # the on_workflow_start schedule_nodes action's scheduler
    per_job: dict[str, tuple[str, int]] = field(default_factory=dict)  # job -> (scheduler, line)
    patterns: list[tuple[re.Pattern[str], str, int]] = field(default_factory=list)  # (regex, scheduler, line)


def read_schedulers(reader: NodeReader, top: dict[str, Entry]) -> dict[str, Scheduler]:
    result: dict[str, Scheduler] = {}
    if "slurm_schedulers" not in top:
        return result
    for node in reader.sequence(top["slurm_schedulers"][1], "slurm_schedulers") or []:
        entries = reader.mapping(node, "slurm_schedulers entry")
        if entries is None:
            continue
        name = reader.name(entries, "scheduler", node)
        what = f"scheduler {name or '?'}"
        reader.check_keys(entries, what, SCHEDULER_KEYS)
        strings = {
            key: reader.string(entries[key][1], f"{what}: {key}")
            for key in ("account", "partition", "qos", "gres", "tmp")
            if key in entries
        }
        ints = {
            key: reader.integer(entries[key][1], f"{what}: {key}")
            for key in ("nodes", "ntasks_per_node")
            if key in entries
        }
        walltime = reader.parsed(entries, "walltime", what, parse_walltime)
        mem = reader.parsed(entries, "mem", what, parse_memory)
        extra = _extra(reader, entries, what)
        if name is None:
            continue
        if name in result:
            reader.error(node, f"scheduler name `{name}` is used twice (first on line {result[name].line})")
            continue
        result[name] = Scheduler(
            name,
            line_of(node),
            strings.get("account"),
            strings.get("partition"),
            strings.get("qos"),
            ints.get("nodes"),
            walltime,
            mem,
            strings.get("gres"),
            strings.get("tmp"),
            ints.get("ntasks_per_node"),
            extra,
        )
    return result


def _extra(reader: NodeReader, entries: dict[str, Entry], what: str) -> tuple[str, ...]:
    if "extra" not in entries:
        return ()
    node = entries["extra"][1]
    text = reader.string(node, f"{what}: extra")
    if text is None:
        return ()
    try:
        extra = tuple(shlex.split(text))
    except ValueError as exc:
        reader.error(node, f"{what}: extra cannot be split into options ({exc})")
        return ()
    for item in extra:
        if item.startswith(("--dependency", "-d")) and not item.startswith("--dependency-"):
            reader.error(
                node,
                f"{what}: extra has `{item}`: write dependencies as depends_on, "
                "longrun starts a job only after its upstream jobs are done",
            )
    signal, _rest = split_signal(extra)
    if signal is not None and not is_valid_signal(signal):
        reader.error(node, f"{what}: `--signal={signal}` is not [B:]SIGNAL[@SECONDS], e.g. B:TERM@300")
    return extra


def read_actions(reader: NodeReader, top: dict[str, Entry], schedulers: dict[str, Scheduler]) -> ActionChoices:
    """Which scheduler the `schedule_nodes` actions choose: for every job, or for the jobs they name."""
    choices = ActionChoices()
    if "actions" not in top:
        return choices
    for node in reader.sequence(top["actions"][1], "actions") or []:
        entries = reader.mapping(node, "actions entry")
        if entries is None:
            continue
        reader.check_keys(entries, "action", ACTION_KEYS, ACTION_UNUSED)
        get = {
            key: reader.string(entries[key][1], f"action: {key}")
            for key in ("trigger_type", "action_type", "scheduler", "scheduler_type")
            if key in entries
        }
        trigger, action, scheduler = get.get("trigger_type"), get.get("action_type"), get.get("scheduler")
        if trigger is not None and trigger not in TRIGGERS:
            reader.error(
                entries["trigger_type"][1], f"action: unknown trigger_type `{trigger}` ({', '.join(TRIGGERS)})"
            )
        if get.get("scheduler_type") not in (None, "slurm"):
            reader.error(entries["scheduler_type"][1], "action: only scheduler_type `slurm` is supported")
        elif "scheduler_type" in entries:
            reader.note(
                entries["scheduler_type"][0],
                "action: `scheduler_type` is accepted but not used: every scheduler here is a Slurm scheduler",
            )
        if scheduler is not None and scheduler not in schedulers:
            reader.error(
                entries["scheduler"][1],
                f"action: scheduler `{scheduler}` is not defined in "
                f"slurm_schedulers{did_you_mean(scheduler, schedulers)}",
            )
            scheduler = None
        if action != "schedule_nodes":
            reader.note(node, f"action: action_type `{action}` is not used (only schedule_nodes is)")
            continue
        if scheduler is None:
            if "scheduler" not in entries:
                reader.error(node, "action: schedule_nodes needs a `scheduler`")
            continue
        names = reader.string_list(entries["jobs"][1], "action: jobs") if "jobs" in entries else []
        patterns = (
            reader.string_list(entries["job_name_regexes"][1], "action: job_name_regexes")
            if "job_name_regexes" in entries
            else []
        )
        for name, name_node in names:
            choices.per_job[name] = (scheduler, line_of(name_node))
        for pattern, pattern_node in patterns:
            try:
                choices.patterns.append((re.compile(pattern), scheduler, line_of(pattern_node)))
            except re.error as exc:
                reader.error(pattern_node, f"action: job_name_regexes `{pattern}` is not a regex ({exc})")
        if trigger == "on_workflow_start" and not names and not patterns:
            choices.default = scheduler
        elif not names and not patterns:
            reader.note(node, f"action: trigger `{trigger}` without `jobs` is not used")
    return choices


def resolve_schedulers(
    reader: NodeReader, jobs: list[Job], schedulers: dict[str, Scheduler], choices: ActionChoices
) -> list[Job]:
    """Each job's scheduler: its own `scheduler`, else an action naming it, else the workflow-start
    action's, else the only scheduler defined, else none (cluster defaults)."""
    names = {job.name for job in jobs}
    for name, (scheduler, line) in choices.per_job.items():
        if name not in names:
            reader.problems.append(
                Problem(
                    "error",
                    line,
                    f"action for scheduler {scheduler} names job `{name}`, which is not a job of this "
                    f"workflow{did_you_mean(name, names)}",
                )
            )
    for regex, _scheduler, line in choices.patterns:
        if not any(regex.search(name) for name in names):
            reader.problems.append(Problem("error", line, f"action: job_name_regexes `{regex.pattern}` matches no job"))
    result: list[Job] = []
    for job in jobs:
        by_pattern = next((s for regex, s, _line in choices.patterns if regex.search(job.name)), None)
        by_action = choices.per_job[job.name][0] if job.name in choices.per_job else by_pattern
        chosen = job.scheduler or by_action or choices.default
        if job.scheduler is not None and job.scheduler not in schedulers:
            reader.problems.append(
                Problem(
                    "error",
                    job.line,
                    f"job {job.name}: scheduler `{job.scheduler}` is not defined in slurm_schedulers"
                    f"{did_you_mean(job.scheduler, schedulers)}",
                )
            )
            chosen = None
        elif chosen is None and len(schedulers) == 1:
            chosen = next(iter(schedulers))
        elif chosen is None and len(schedulers) > 1:
            reader.problems.append(
                Problem(
                    "error",
                    job.line,
                    f"job {job.name}: {len(schedulers)} schedulers are defined and none is chosen "
                    "for it: set the job's `scheduler` or add an on_workflow_start schedule_nodes action",
                )
            )
        result.append(
            Job(job.name, job.line, job.command, job.depends_on, job.supports_termination, job.resources, chosen)
        )
    return result


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
