"""Read a Torc workflow file (YAML, JSON5 or JSON) into a checked Workflow, reporting EVERY problem
with its line.

The steps: the file is read with caps (source.py), the keys are checked against Torc's format
(torc_keys.py: used, not used, unsupported, unknown with did-you-mean), job templates are expanded
over their parameters (expand.py), files and user data add dependencies and file references are
replaced by paths (datalinks.py), `run_commands` actions become jobs (actions.py), dependencies
must exist and form no cycle, each job gets its scheduler, and every job a Slurm-safe name.
"""

from __future__ import annotations

import getpass
import hashlib
import re
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.model.progress import ProgressPatternError, compile_progress_pattern
from app.workflows.actions import command_jobs, read_actions, scheduler_choices
from app.workflows.datalinks import Linked, link_by_data, read_data_items
from app.workflows.expand import (
    MAX_JOBS,
    Draft,
    expand,
    merge_same_names,
    parameter_combinations,
    placeholders_left,
    read_template,
    shared_parameters,
    too_many,
)
from app.workflows.failure import read_failure_handlers
from app.workflows.graph import cycle_problems
from app.workflows.nodes import Entry, NodeReader, control_character, did_you_mean, visible
from app.workflows.params import Value, substitute
from app.workflows.resources import read_named_resources
from app.workflows.sbatch import plan_job
from app.workflows.schedulers import read_schedulers, read_slurm_defaults, resolve_schedulers
from app.workflows.script import is_compound
from app.workflows.source import parse, read_text
from app.workflows.spec import FailureRule, Job, LoadResult, Problem, Resources, Workflow
from app.workflows.torc_keys import JOB, LEGACY_FORMAT, SCHEDULERS_LIST, WORKFLOW

SLUG_RE = re.compile(r"[^A-Za-z0-9_.+-]+")
MAX_SLUG = 80
MAX_PER_LINE = 5  # problems shown for one line; the rest are counted (expansions repeat a template's)


def load_workflow(path: Path, current_user: str | None = None) -> LoadResult:
    """Read and check the workflow file at `path`."""
    text, problem = read_text(path)
    if text is None:
        assert problem is not None
        return LoadResult(None, (problem,))
    return load_workflow_text(text, path, current_user)


def load_workflow_text(text: str, source: Path, current_user: str | None = None) -> LoadResult:
    reader = NodeReader()
    root, problems = parse(text, source)
    reader.problems.extend(problems)
    workflow = _read_root(root, reader, source.resolve(), current_user) if root is not None else None
    reader.alias_notes()
    problems = _capped(sorted(reader.problems, key=lambda p: (p.line or 0, p.severity != "error")))
    errors = any(p.severity == "error" for p in problems)
    if workflow is not None and not errors:
        notes = tuple(p for p in problems if p.severity == "note")
        workflow = Workflow(
            workflow.name, workflow.source, workflow.jobs, workflow.schedulers, workflow.user, notes,
            workflow.slug, workflow.sbatch_defaults,
        )  # fmt: skip
    return LoadResult(None if errors else workflow, tuple(problems))


def _capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PER_LINE problems of one kind per line, then one that counts the rest."""
    result: list[Problem] = []
    count: dict[tuple[int | None, str], int] = {}
    for problem in problems:
        key = (problem.line, problem.severity)
        count[key] = count.get(key, 0) + 1
        if count[key] <= MAX_PER_LINE:
            result.append(problem)
    for (line, severity), n in count.items():
        if n > MAX_PER_LINE:
            result.append(Problem(severity, line, f"... and {n - MAX_PER_LINE} more like these on this line"))  # type: ignore[arg-type]
    return sorted(result, key=lambda p: (p.line or 0, p.severity != "error"))


def _read_root(root: Node, reader: NodeReader, source: Path, current_user: str | None) -> Workflow | None:
    top = reader.mapping(root, "the workflow")
    if top is None:
        return None
    if _legacy_format(reader, top):
        return None
    _apply_variables(reader, root, top)
    top = reader.check_keys(top, "workflow", WORKFLOW)
    name = reader.name(top, "workflow", root)
    user = reader.string(top["user"][1], "user") if "user" in top else None
    me = current_user or getpass.getuser()
    if user is not None and user != me:
        reader.note(top["user"][1], f"user `{user}` is not used: the jobs run as you ({me})")
    shared = shared_parameters(reader, top)
    named = read_named_resources(reader, top)
    schedulers = read_schedulers(reader, top)
    defaults = read_slurm_defaults(reader, top)
    handlers = read_failure_handlers(reader, top)
    items = read_data_items(reader, top, shared)
    actions = read_actions(reader, top, schedulers)
    if "jobs" not in top:
        reader.error(root, "the workflow has no `jobs` list")
        return None
    job_nodes = reader.sequence(top["jobs"][1], "jobs") or []
    if not job_nodes and isinstance(top["jobs"][1], Node):
        reader.error(top["jobs"][1], "`jobs` is empty: a workflow needs at least one job")
    drafts = _expanded_jobs(reader, job_nodes, shared)
    if drafts is None:
        return None
    linked = link_by_data(reader, drafts, items)
    built = [_job(reader, draft, linked[draft.name], named, handlers) for draft in drafts]
    jobs = _regex_dependencies(reader, [job for job in built if job is not None], drafts)
    _check_dependencies_exist(reader, jobs, drafts)
    jobs = command_jobs(actions, jobs, reader.problems)
    jobs = resolve_schedulers(reader, jobs, schedulers, scheduler_choices(actions))
    reader.problems.extend(cycle_problems(jobs))
    if name is None:
        return None
    jobs = _with_slugs(jobs)
    workflow = Workflow(name, source, tuple(jobs), schedulers, user, slug=slug(name), sbatch_defaults=defaults)
    if not any(p.severity == "error" for p in reader.problems):
        for job in jobs:
            for note in plan_job(workflow, job).notes:
                reader.add_at("note", job.line, f"job {job.name}: {note}")
    return workflow


def _legacy_format(reader: NodeReader, top: dict[str, Entry]) -> bool:
    """The first (Python) Torc's format, or the `schedulers` list some Torc test workflows use: one
    error naming the feature, instead of one per key."""
    if "schedulers" in top and isinstance(top["schedulers"][1], SequenceNode):
        reader.error(top["schedulers"][0], SCHEDULERS_LIST)
        return True
    found = [key for key in WORKFLOW.legacy if key in top]
    jobs = top.get("jobs", (None, None))[1]
    for node in jobs.value if isinstance(jobs, SequenceNode) else []:
        if isinstance(node, MappingNode):
            found += [str(k.value) for k, _v in node.value if isinstance(k, ScalarNode) and k.value in JOB.legacy]
    if not found:
        return False
    keys = ", ".join(f"`{key}`" for key in dict.fromkeys(found))
    reader.error(top[found[0]][0] if found[0] in top else jobs, LEGACY_FORMAT.format(keys=keys))
    return True


def _apply_variables(reader: NodeReader, root: Node, top: dict[str, Entry]) -> None:
    """Torc's workflow `variables`: `{name}` replaced by its literal value in every string."""
    if "variables" not in top:
        return
    variables: dict[str, Value] = {}
    for name, (_key, value) in (reader.mapping(top["variables"][1], "variables") or {}).items():
        text = reader.string(value, f"variables: {name}", allow_empty=True)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            reader.error(value, f"variables: `{name}` is not a name ([A-Za-z_][A-Za-z0-9_]*)")
        elif text is not None:
            variables[name] = Value(text)
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ScalarNode) and node.tag.endswith(":str") and "{" in str(node.value):
            node.value = substitute(str(node.value), variables)
        elif isinstance(node, MappingNode):
            stack.extend(
                value for key, value in node.value if not (isinstance(key, ScalarNode) and key.value == "variables")
            )
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def _expanded_jobs(
    reader: NodeReader, nodes: list[Node], shared: dict[str, tuple[list[Value], int]]
) -> list[Draft] | None:
    """Every job template expanded over its parameters; expansions of one name merged."""
    drafts: list[Draft] = []
    first_line: dict[str, int] = {}
    for node in nodes:
        entries = reader.mapping(node, "job")
        if entries is None:
            continue
        name = reader.name(entries, "job", node)
        what = f"job {name or '?'}"
        entries = reader.check_keys(entries, what, JOB)
        if "command" not in entries:
            reader.error(node, f"{what} has no `command`")
        template = read_template(reader, entries, node, what)
        combos = parameter_combinations(reader, entries, node, what, shared)
        if name is None or template is None or combos is None or "command" not in template.strings:
            continue
        missing = placeholders_left(name, {key for combo in combos for key in combo})
        if missing:
            reader.note(node, f"{what}: `{{{sorted(missing)[0]}}}` in the name is not a parameter of this job")
        for draft in merge_same_names(reader, expand(template, combos), name):
            if not _printable(reader, draft):
                continue
            if draft.name in first_line:
                message = f"job name `{draft.name}` is used twice (first on line {first_line[draft.name]})"
                reader.add_at("error", draft.line, message)
                continue
            first_line[draft.name] = draft.line
            drafts.append(draft)
        if len(drafts) > MAX_JOBS:
            reader.error(node, too_many(len(drafts)))
            return None
    return drafts


def _printable(reader: NodeReader, draft: Draft) -> bool:
    """No control character came in through a parameter value (newlines only in commands)."""
    texts = [(key, text, key in ("command", "invocation_script")) for key, text in draft.strings.items()]
    texts += [(key, value, False) for key, values in draft.lists.items() for value, _line in values]
    texts += [(f"env {key}", value, False) for key, value in draft.env.items()]
    for key, text, multiline in texts:
        bad = control_character(text, multiline)
        if bad:
            message = f"job {visible(draft.name)}: {key} contains a control character ({bad}) after parameters"
            reader.add_at("error", draft.line, message)
            return False
    return True


def _job(
    reader: NodeReader,
    draft: Draft,
    linked: Linked,
    named: dict[str, Resources],
    handlers: dict[str, tuple[FailureRule, ...]],
) -> Job | None:
    what = f"job {draft.name}"
    command = linked.command
    if linked.invocation_script:
        joiner = "" if linked.invocation_script.endswith("\n") else " "  # a script of lines, or a wrapper
        command = f"{linked.invocation_script}{joiner}{command}"
    try:
        is_compound(command)
    except ValueError as exc:
        reader.add_at("error", draft.line, f"{what}: command cannot be read as a shell command ({exc})")
    resources = draft.inline_resources or Resources()
    ref = draft.strings.get("resource_requirements")
    if ref is not None:
        if ref not in named:
            message = f"{what}: resource_requirements `{ref}` is not defined at the top level{did_you_mean(ref, named)}"
            reader.add_at("error", draft.line, message)
            return None
        resources = named[ref]
    rules: tuple[FailureRule, ...] = ()
    handler = draft.strings.get("failure_handler")
    if handler is not None:
        if handler not in handlers:
            message = f"{what}: failure_handler `{handler}` is not defined in failure_handlers"
            reader.add_at("error", draft.line, message + did_you_mean(handler, handlers))
        else:
            rules = handlers[handler]
    depends = [d for d, _line in draft.lists.get("depends_on", [])]
    depends += [d for d in linked.data_dependencies if d not in depends]
    progress, progress_file = draft.strings.get("progress"), draft.strings.get("progress_file")
    if progress is not None:
        try:
            compile_progress_pattern(progress)
        except ProgressPatternError as exc:
            reader.add_at("error", draft.line, f"{what}: progress {str(exc).removeprefix('--progress ')}")
    if progress is not None and progress_file is not None:
        reader.add_at(
            "error", draft.line, f"{what}: give `progress` (a pattern for the log) or `progress_file`, not both"
        )
    return Job(
        draft.name, draft.line, command, tuple(dict.fromkeys(depends)), draft.supports_termination, resources,
        draft.strings.get("scheduler"), failure_rules=rules, env=tuple(draft.env.items()), progress=progress,
        progress_file=progress_file,
    )  # fmt: skip


def _regex_dependencies(reader: NodeReader, jobs: list[Job], drafts: list[Draft]) -> list[Job]:
    """Torc's `depends_on_regexes`: every other job whose name matches one of the patterns."""
    names = [job.name for job in jobs]
    patterns = {draft.name: draft.lists.get("depends_on_regexes", []) for draft in drafts}
    result: list[Job] = []
    for job in jobs:
        extra: list[str] = []
        for pattern, line in patterns.get(job.name, []):
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                reader.add_at("error", line, f"job {job.name}: depends_on_regexes `{pattern}` is not a regex ({exc})")
                continue
            matches = [n for n in names if n != job.name and regex.search(n)]
            if not matches:
                reader.add_at("error", line, f"job {job.name}: depends_on_regexes `{pattern}` matches no job")
            extra.extend(m for m in matches if m not in job.depends_on and m not in extra)
        result.append(job.with_(depends_on=(*job.depends_on, *extra)) if extra else job)
    return result


def _check_dependencies_exist(reader: NodeReader, jobs: list[Job], drafts: list[Draft]) -> None:
    names = {job.name for job in jobs}
    for draft in drafts:
        for dep, line in draft.lists.get("depends_on", []):
            if dep not in names:
                hint = did_you_mean(dep, names)
                message = f"job {draft.name} depends on `{dep}`, which is not a job of this workflow{hint}"
                reader.add_at("error", line, message)


def slug(name: str) -> str:
    """`name` as a Slurm job name and file name part: runs of other characters become `_`; a
    long name is cut and keeps a hash of the whole, so two names never meet by accident."""
    text = SLUG_RE.sub("_", name).strip("_.") or "job"
    if len(text) > MAX_SLUG:
        text = text[: MAX_SLUG - 9] + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return text


def _with_slugs(jobs: list[Job]) -> list[Job]:
    """Every job with a slug no other job has (`a b` and `a_b`: the second gets a hash suffix)."""
    taken: set[str] = set()
    result: list[Job] = []
    for job in jobs:
        text = slug(job.name)
        if text in taken:
            text = f"{text[: MAX_SLUG - 9]}-{hashlib.sha256(job.name.encode()).hexdigest()[:8]}"
        taken.add(text)
        result.append(job.with_(slug=text))
    return result
