"""The `slurm_schedulers` and `slurm_defaults` of a workflow file, and which scheduler each job uses.

A scheduler is a named set of sbatch options (account, partition, walltime, extra...). Torc starts
worker allocations with `schedule_nodes` actions; here each job is its own Slurm job, so an action
only says which scheduler's options its jobs get (app/workflows/actions.py; see
app/workflows/sbatch.py for the mapping).
"""

from __future__ import annotations

import re
import shlex

from app.workflows.actions import ActionChoices
from app.workflows.nodes import Entry, NodeReader, did_you_mean, line_of
from app.workflows.sbatch import is_valid_signal, split_signal
from app.workflows.spec import Job, Problem, Scheduler
from app.workflows.torc_keys import SCHEDULER, SLURM_DEFAULTS_EXCLUDED
from app.workflows.values import parse_memory, parse_walltime


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
        entries = reader.check_keys(entries, what, SCHEDULER)
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
        elif chosen is None and len(schedulers) > 1 and job.action is None:
            reader.problems.append(
                Problem(
                    "error",
                    job.line,
                    f"job {job.name}: {len(schedulers)} schedulers are defined and none is chosen "
                    "for it: set the job's `scheduler` or add an on_workflow_start schedule_nodes action",
                )
            )
        result.append(job.with_(scheduler=chosen))
    return result


def read_slurm_defaults(reader: NodeReader, top: dict[str, Entry]) -> tuple[str, ...]:
    """`slurm_defaults: {qos: high, mail-type: END}` -> (`--qos=high`, `--mail-type=END`): options
    every job gets before its scheduler's. Torc refuses the options it manages; so does this."""
    if "slurm_defaults" not in top:
        return ()
    options: list[str] = []
    for key, (key_node, value) in (reader.mapping(top["slurm_defaults"][1], "slurm_defaults") or {}).items():
        if key.lower() in SLURM_DEFAULTS_EXCLUDED:
            reader.error(
                key_node,
                f"slurm_defaults: `{key}` is managed per job (resource_requirements and slurm_schedulers), "
                "as in Torc: it cannot be a default",
            )
            continue
        if not re.fullmatch(r"[a-z][a-z0-9-]*", key):
            reader.error(key_node, f"slurm_defaults: `{key}` is not an sbatch long option name (e.g. mail-type)")
            continue
        if key == "dependency":
            reader.error(key_node, "slurm_defaults: write dependencies as depends_on, not --dependency")
            continue
        text = reader.string(value, f"slurm_defaults: {key}")
        if text is not None:
            options.append(f"--{key}={text}")
    return tuple(options)
