"""Torc's `actions`: every documented trigger and action type is read; what maps onto longrun runs.

- `schedule_nodes` (any trigger): its `scheduler` is the one the jobs it names (`jobs`,
  `job_name_regexes`) get; without names, on `on_workflow_start`, every job without another choice.
- `run_commands` becomes a job of its own (a chain, a Slurm job like the others) that runs the
  commands in order in the workflow directory, stopping at the first that fails:
  `on_workflow_start` before every other job, `on_workflow_complete` after all of them,
  `on_jobs_ready` after the jobs the named jobs wait for (and the named jobs wait for it),
  `on_jobs_complete` after the named jobs.
- The worker triggers of older Torc versions (`on_worker_start`, `on_worker_complete`) are accepted
  and not used: there are no Torc workers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yaml.nodes import Node

from app.workflows.nodes import Entry, NodeReader, did_you_mean, line_of
from app.workflows.spec import Job, Problem, Scheduler
from app.workflows.torc_keys import ACTION, ACTION_TYPES, OLD_TRIGGERS, TRIGGERS, WORKERS


@dataclass
class Action:
    trigger: str
    kind: str  # run_commands or schedule_nodes
    line: int
    jobs: list[tuple[str, int]] = field(default_factory=list)
    patterns: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    scheduler: str | None = None

    def names(self, jobs: list[Job]) -> list[str]:
        wanted = {name for name, _line in self.jobs}
        return [j.name for j in jobs if j.name in wanted or any(p.search(j.name) for p, _line in self.patterns)]


@dataclass
class ActionChoices:
    """Which scheduler the schedule_nodes actions give to which jobs."""

    default: str | None = None  # the on_workflow_start action without names
    per_job: dict[str, tuple[str, int]] = field(default_factory=dict)  # job -> (scheduler, line)
    patterns: list[tuple[re.Pattern[str], str, int]] = field(default_factory=list)  # (regex, scheduler, line)


def read_actions(reader: NodeReader, top: dict[str, Entry], schedulers: dict[str, Scheduler]) -> list[Action]:
    actions: list[Action] = []
    if "actions" not in top:
        return actions
    for node in reader.sequence(top["actions"][1], "actions") or []:
        action = _action(reader, node, schedulers)
        if action is not None:
            actions.append(action)
    return actions


def _action(reader: NodeReader, node: Node, schedulers: dict[str, Scheduler]) -> Action | None:
    entries = reader.mapping(node, "action")
    if entries is None:
        return None
    entries = reader.check_keys(entries, "action", ACTION)
    get = {
        key: reader.string(entries[key][1], f"action: {key}")
        for key in ("trigger_type", "action_type", "scheduler", "scheduler_type")
        if key in entries
    }
    trigger, kind = get.get("trigger_type"), get.get("action_type")
    for key, value, allowed in (
        ("trigger_type", trigger, (*TRIGGERS, *OLD_TRIGGERS)),
        ("action_type", kind, ACTION_TYPES),
    ):
        if key not in entries:
            reader.error(node, f"action has no `{key}` ({', '.join(allowed)})")
            return None
        if value not in allowed:
            reader.error(entries[key][1], f"action: unknown {key} `{value}` ({', '.join(allowed)})")
            return None
    assert trigger is not None and kind is not None
    if trigger in OLD_TRIGGERS:
        reader.note(node, f"action: trigger_type `{trigger}` is accepted but not used: {WORKERS}")
        return None
    if get.get("scheduler_type") not in (None, "slurm"):
        reader.error(entries["scheduler_type"][1], "action: only scheduler_type `slurm` is supported")
    elif "scheduler_type" in entries:
        reader.note(
            entries["scheduler_type"][0],
            "action: `scheduler_type` is accepted but not used: every scheduler here is a Slurm scheduler",
        )
    action = Action(trigger, kind, line_of(node))
    if "jobs" in entries:
        action.jobs = [(name, line_of(n)) for name, n in reader.string_list(entries["jobs"][1], "action: jobs")]
    if "job_name_regexes" in entries:
        for pattern, pnode in reader.string_list(entries["job_name_regexes"][1], "action: job_name_regexes"):
            try:
                action.patterns.append((re.compile(pattern), line_of(pnode)))
            except re.error as exc:
                reader.error(pnode, f"action: job_name_regexes `{pattern}` is not a regex ({exc})")
    if kind == "run_commands":
        if "commands" not in entries:
            reader.error(node, "action: run_commands needs `commands`")
            return None
        action.commands = [text for text, _n in reader.string_list(entries["commands"][1], "action: commands")]
        if trigger in ("on_jobs_ready", "on_jobs_complete") and not action.jobs and not action.patterns:
            reader.error(node, f"action: {trigger} needs `jobs` or `job_name_regexes`")
            return None
        return action
    scheduler = get.get("scheduler")
    if scheduler is None:
        reader.error(node, "action: schedule_nodes needs a `scheduler`")
        return None
    if scheduler not in schedulers:
        reader.error(
            entries["scheduler"][1],
            f"action: scheduler `{scheduler}` is not defined in slurm_schedulers{did_you_mean(scheduler, schedulers)}",
        )
        return None
    action.scheduler = scheduler
    if trigger != "on_workflow_start" and not action.jobs and not action.patterns:
        reader.note(node, f"action: a {trigger} schedule_nodes action that names no jobs is not used")
    return action


def scheduler_choices(actions: list[Action]) -> ActionChoices:
    choices = ActionChoices()
    for action in actions:
        if action.kind != "schedule_nodes" or action.scheduler is None:
            continue
        for name, line in action.jobs:
            choices.per_job[name] = (action.scheduler, line)
        choices.patterns.extend((regex, action.scheduler, line) for regex, line in action.patterns)
        if action.trigger == "on_workflow_start" and not action.jobs and not action.patterns:
            choices.default = action.scheduler
    return choices


ORDER = {"on_jobs_ready": 0, "on_jobs_complete": 1, "on_workflow_complete": 2, "on_workflow_start": 3}


def command_jobs(actions: list[Action], jobs: list[Job], problems: list[Problem]) -> list[Job]:
    """The workflow's jobs with one job added per run_commands action, and the dependencies that
    place it (see the module docstring). Workflow-complete actions come after every other job, the
    workflow-start ones before every job that waits for nothing else."""
    names = {job.name for job in jobs}
    result = list(jobs)
    count: dict[str, int] = {}
    for action in sorted((a for a in actions if a.kind == "run_commands"), key=lambda a: ORDER[a.trigger]):
        targets = action.names(jobs)
        if action.trigger in ("on_jobs_ready", "on_jobs_complete") and not targets:
            problems.append(Problem("error", action.line, f"action: {action.trigger} names no job of this workflow"))
            continue
        count[action.trigger] = count.get(action.trigger, 0) + 1
        name = action.trigger if count[action.trigger] == 1 else f"{action.trigger}_{count[action.trigger]}"
        while name in names:
            name += "_action"
        names.add(name)
        deps: tuple[str, ...] = ()
        if action.trigger == "on_workflow_start":
            result = [j if j.depends_on else j.with_(depends_on=(name,)) for j in result]
        elif action.trigger == "on_workflow_complete":
            deps = tuple(j.name for j in result if not j.action or j.action != "on_workflow_complete")
        elif action.trigger == "on_jobs_complete":
            deps = tuple(targets)
        else:  # on_jobs_ready: after what the named jobs wait for; they wait for it
            upstream = [d for j in jobs if j.name in targets for d in j.depends_on if d not in targets]
            deps = tuple(dict.fromkeys(upstream))
            result = [j.with_(depends_on=(*j.depends_on, name)) if j.name in targets else j for j in result]
        result.append(Job(name, action.line, "set -e\n" + "\n".join(action.commands), deps, action=action.trigger))
    return result
