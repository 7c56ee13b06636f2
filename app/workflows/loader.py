"""Read a Torc-style workflow file (seeds/004) into a checked Workflow, reporting EVERY problem with its line.

Checks: YAML syntax, unknown keys (with did-you-mean), types, durations and memory sizes, duplicate
job names, missing and cyclic dependencies, schedulers named but not defined. Fields this tool
does not use are accepted and reported as notes, never silently dropped.
"""

from __future__ import annotations

import difflib
import getpass
import re
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import Node

from app.workflows.graph import cycle_problems
from app.workflows.nodes import Entry, NodeReader, compose, line_of
from app.workflows.sbatch import is_compound, plan_job
from app.workflows.schedulers import did_you_mean, read_actions, read_schedulers, resolve_schedulers
from app.workflows.spec import Job, LoadResult, Problem, Resources, Workflow
from app.workflows.values import parse_memory, parse_runtime

TOP_KEYS = ("name", "user", "description", "jobs", "slurm_schedulers", "actions", "resource_requirements")
TOP_UNUSED = {
    "files": "files are not tracked; jobs read and write them directly",
    "user_data": "user data is not stored",
    "resource_monitor": "use `longrun explain` for MaxRSS and CPU use",
    "failure_handlers": "a failed job stops its chain; use `longrun workflow reinit`",
    "compute_node_expiration_buffer_seconds": "each job is its own Slurm job, there are no worker nodes",
    "compute_node_wait_for_new_jobs_seconds": "each job is its own Slurm job, there are no worker nodes",
    "compute_node_ignore_workflow_completion": "each job is its own Slurm job, there are no worker nodes",
    "jobs_sort_method": "jobs start as soon as their dependencies are done",
}
JOB_KEYS = (
    "name",
    "command",
    "depends_on",
    "depends_on_regexes",
    "supports_termination",
    "resource_requirements",
    "scheduler",
    "invocation_script",
)
JOB_UNUSED = {
    "cancel_on_blocking_job_failure": "a job never starts after a failed upstream job; it is held",
    "input_files": "files are not tracked",
    "output_files": "files are not tracked",
    "input_user_data": "user data is not stored",
    "output_user_data": "user data is not stored",
}
RESOURCE_KEYS = ("name", "num_cpus", "memory", "num_gpus", "num_nodes", "runtime")


def load_workflow(path: Path, current_user: str | None = None) -> LoadResult:
    """Read and check the workflow file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadResult(None, (Problem("error", None, f"cannot read the file: {exc}"),))
    return load_workflow_text(text, path, current_user)


def load_workflow_text(text: str, source: Path, current_user: str | None = None) -> LoadResult:
    reader = NodeReader()
    root = compose(text, reader)
    workflow = _read_root(root, reader, source.resolve(), current_user) if root is not None else None
    problems = sorted(reader.problems, key=lambda p: (p.line or 0, p.severity != "error"))
    errors = any(p.severity == "error" for p in problems)
    if workflow is not None and not errors:
        workflow = Workflow(
            workflow.name,
            workflow.source,
            workflow.jobs,
            workflow.schedulers,
            workflow.user,
            tuple(p for p in problems if p.severity == "note"),
        )
    return LoadResult(None if errors else workflow, tuple(problems))


def _read_root(root: Node, reader: NodeReader, source: Path, current_user: str | None) -> Workflow | None:
    top = reader.mapping(root, "the workflow")
    if top is None:
        return None
    reader.check_keys(top, "workflow", TOP_KEYS, TOP_UNUSED)
    name = reader.name(top, "workflow", root)
    user = reader.string(top["user"][1], "user") if "user" in top else None
    me = current_user or getpass.getuser()
    if user is not None and user != me:
        reader.note(top["user"][1], f"user `{user}` is not used: the jobs run as you ({me})")
    shared = _shared_resources(reader, top)
    schedulers = read_schedulers(reader, top)
    choices = read_actions(reader, top, schedulers)
    if "jobs" not in top:
        reader.error(root, "the workflow has no `jobs` list")
        return None
    job_nodes = reader.sequence(top["jobs"][1], "jobs") or []
    if not job_nodes and isinstance(top["jobs"][1], Node):
        reader.error(top["jobs"][1], "`jobs` is empty: a workflow needs at least one job")
    drafts: list[_Draft] = []
    seen: dict[str, int] = {}
    for node in job_nodes:
        draft = _job(reader, node, shared)
        if draft is None:
            continue
        if draft.job.name in seen:
            reader.error(node, f"job name `{draft.job.name}` is used twice (first on line {seen[draft.job.name]})")
            continue
        seen[draft.job.name] = draft.job.line
        drafts.append(draft)
    drafts = _expand_regex_dependencies(reader, drafts)
    _check_dependencies_exist(reader, drafts)
    jobs = resolve_schedulers(reader, [d.job for d in drafts], schedulers, choices)
    reader.problems.extend(cycle_problems(jobs))
    if name is None:
        return None
    workflow = Workflow(name, source, tuple(jobs), schedulers, user)
    if not any(p.severity == "error" for p in reader.problems):
        for job in jobs:
            for note in plan_job(workflow, job).notes:
                reader.problems.append(Problem("note", job.line, f"job {job.name}: {note}"))
    return workflow


def _shared_resources(reader: NodeReader, top: dict[str, Entry]) -> dict[str, Resources]:
    """Top-level named `resource_requirements` that jobs may refer to by name (Torc style)."""
    result: dict[str, Resources] = {}
    if "resource_requirements" not in top:
        return result
    for node in reader.sequence(top["resource_requirements"][1], "resource_requirements") or []:
        entries = reader.mapping(node, "resource_requirements entry")
        if entries is None:
            continue
        name = reader.name(entries, "resource_requirements entry", node)
        resources = _resources(reader, node, f"resource_requirements {name}")
        if name is not None and resources is not None:
            result[name] = resources
    return result


def _resources(reader: NodeReader, node: Node, what: str) -> Resources | None:
    entries = reader.mapping(node, what)
    if entries is None:
        return None
    reader.check_keys(entries, what, RESOURCE_KEYS)
    ints = {
        key: reader.integer(entries[key][1], f"{what}: {key}", minimum=0 if key == "num_gpus" else 1)
        for key in ("num_cpus", "num_gpus", "num_nodes")
        if key in entries
    }
    memory = reader.parsed(entries, "memory", what, parse_memory)
    runtime = reader.parsed(entries, "runtime", what, parse_runtime)
    return Resources(ints.get("num_cpus"), memory, ints.get("num_gpus"), ints.get("num_nodes"), runtime)


@dataclass
class _Draft:
    job: Job
    dep_lines: dict[str, int]
    regexes: list[tuple[str, Node]]


def _job(reader: NodeReader, node: Node, shared: dict[str, Resources]) -> _Draft | None:
    entries = reader.mapping(node, "job")
    if entries is None:
        return None
    name = reader.name(entries, "job", node)
    what = f"job {name or '?'}"
    reader.check_keys(entries, what, JOB_KEYS, JOB_UNUSED)
    command = reader.string(entries["command"][1], f"{what}: command") if "command" in entries else None
    if "command" not in entries:
        reader.error(node, f"{what} has no `command`")
    if command is not None and "invocation_script" in entries:
        wrapper = reader.string(entries["invocation_script"][1], f"{what}: invocation_script")
        command = f"{wrapper} {command}" if wrapper else command
    if command is not None:
        try:
            is_compound(command)
        except ValueError as exc:
            reader.error(entries["command"][1], f"{what}: command cannot be read as a shell command ({exc})")
    depends = (
        [(dep, n) for dep, n in reader.string_list(entries["depends_on"][1], f"{what}: depends_on")]
        if "depends_on" in entries
        else []
    )
    terminate = (
        reader.boolean(entries["supports_termination"][1], f"{what}: supports_termination")
        if "supports_termination" in entries
        else False
    )
    resources: Resources | None = Resources()
    if "resource_requirements" in entries:
        res_node = entries["resource_requirements"][1]
        if hasattr(res_node, "value") and isinstance(res_node.value, str):
            ref = reader.string(res_node, f"{what}: resource_requirements")
            resources = shared.get(ref or "")
            if ref is not None and resources is None:
                reader.error(
                    res_node,
                    f"{what}: resource_requirements `{ref}` is not defined at the top level{did_you_mean(ref, shared)}",
                )
        else:
            resources = _resources(reader, res_node, f"{what}: resource_requirements")
    scheduler = reader.string(entries["scheduler"][1], f"{what}: scheduler") if "scheduler" in entries else None
    regexes = (
        reader.string_list(entries["depends_on_regexes"][1], f"{what}: depends_on_regexes")
        if "depends_on_regexes" in entries
        else []
    )
    if name is None or command is None or resources is None:
        return None
    job = Job(
        name, line_of(node), command, tuple(dict.fromkeys(d for d, _ in depends)), bool(terminate), resources, scheduler
    )
    return _Draft(job, {d: line_of(n) for d, n in depends}, regexes)


def _expand_regex_dependencies(reader: NodeReader, drafts: list[_Draft]) -> list[_Draft]:
    """Torc's `depends_on_regexes`: every other job whose name matches one of the patterns."""
    names = [d.job.name for d in drafts]
    result: list[_Draft] = []
    for draft in drafts:
        job = draft.job
        extra: list[str] = []
        for pattern, pnode in draft.regexes:
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                reader.error(pnode, f"job {job.name}: depends_on_regexes `{pattern}` is not a regex ({exc})")
                continue
            matches = [n for n in names if n != job.name and regex.search(n)]
            if not matches:
                reader.error(pnode, f"job {job.name}: depends_on_regexes `{pattern}` matches no job")
            extra.extend(m for m in matches if m not in job.depends_on and m not in extra)
        if extra:
            job = Job(
                job.name,
                job.line,
                job.command,
                (*job.depends_on, *extra),
                job.supports_termination,
                job.resources,
                job.scheduler,
            )
        result.append(_Draft(job, draft.dep_lines, draft.regexes))
    return result


def _check_dependencies_exist(reader: NodeReader, drafts: list[_Draft]) -> None:
    names = [d.job.name for d in drafts]
    for draft in drafts:
        for dep, line in draft.dep_lines.items():
            if dep not in names:
                close = difflib.get_close_matches(dep, names, n=1, cutoff=0.6)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                message = f"job {draft.job.name} depends on `{dep}`, which is not a job of this workflow{hint}"
                reader.problems.append(Problem("error", line, message))
