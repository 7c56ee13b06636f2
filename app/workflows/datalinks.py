"""Files and user data define dependencies, as in Torc: a job that reads a file waits for every job
that writes it.

A job reads the files in `input_files` (and those `input_file_regexes` match) and every
`${files.input.NAME}` in its command; it writes `output_files`, `output_file_regexes` and every
`${files.output.NAME}`. Each `${files.input.NAME}` / `${files.output.NAME}` is replaced by the
file's `path` (relative paths are relative to the workflow file's directory, where jobs run). User
data (`input_user_data`, `output_user_data` and their regexes) orders jobs the same way; it is not
stored, so a command that refers to `${user_data.input.NAME}` (Torc passes a record id there, for
the job to fetch from Torc's server) is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yaml.nodes import Node

from app.workflows.expand import Draft, expand, parameter_combinations
from app.workflows.nodes import Entry, NodeReader, control_character, line_of, visible
from app.workflows.params import Value
from app.workflows.torc_keys import FILE, USER_DATA

REFERENCE_RE = re.compile(r"\$\{(files|user_data)\.(input|output)\.([^}]+)\}")


@dataclass
class DataItems:
    """The workflow's files (name -> path) and user data names, with the lines they are defined on."""

    files: dict[str, str] = field(default_factory=dict)
    user_data: set[str] = field(default_factory=set)
    lines: dict[str, int] = field(default_factory=dict)


def read_data_items(reader: NodeReader, top: dict[str, Entry], shared: dict[str, tuple[list[Value], int]]) -> DataItems:
    items = DataItems()
    for key, keys, what in (("files", FILE, "file"), ("user_data", USER_DATA, "user_data entry")):
        if key not in top:
            continue
        for node in reader.sequence(top[key][1], key) or []:
            entries = reader.mapping(node, what)
            if entries is None:
                continue
            entries = reader.check_keys(entries, what, keys)
            name = reader.name(entries, what, node)
            path = reader.string(entries["path"][1], f"{what} {name}: path") if "path" in entries else None
            if key == "files" and "path" not in entries:
                reader.error(node, f"file {name or '?'} has no `path`")
            combos = parameter_combinations(reader, entries, node, f"{what} {name or '?'}", shared)
            if name is None or combos is None or (key == "files" and path is None):
                continue
            template = Draft(line_of(node), {"name": name, "path": path or ""})
            for item in expand(template, combos):
                _add(reader, items, key, item, node)
    return items


def _add(reader: NodeReader, items: DataItems, key: str, item: Draft, node: Node) -> None:
    name = item.name
    if name in items.lines:
        reader.error(node, f"{key} name `{name}` is used twice (first on line {items.lines[name]})")
        return
    items.lines[name] = item.line
    bad = control_character(name) or control_character(item.strings.get("path", ""))
    if bad:
        reader.error(node, f"{key} entry `{visible(name)}`: a control character ({bad}) in its name or path")
        return
    if key == "files":
        items.files[name] = item.strings["path"]
    else:
        items.user_data.add(name)


@dataclass
class Linked:
    """A job's command with file references replaced, and the jobs it waits for because of data."""

    command: str
    invocation_script: str | None
    data_dependencies: list[str]


def link_by_data(reader: NodeReader, drafts: list[Draft], items: DataItems) -> dict[str, Linked]:
    """Job name -> its substituted command and the jobs that write what it reads."""
    reads: dict[str, dict[str, set[str]]] = {}
    writes: dict[str, dict[str, list[str]]] = {"files": {}, "user_data": {}}
    linked: dict[str, Linked] = {}
    for draft in drafts:
        command = draft.strings.get("command", "")
        invocation = draft.strings.get("invocation_script")
        ins, outs = _declared(reader, draft, items)
        command = _substitute(reader, draft, command, items, ins, outs)
        if invocation is not None:
            invocation = _substitute(reader, draft, invocation, items, ins, outs)
        reads[draft.name] = ins
        for kind in ("files", "user_data"):
            for name in outs[kind]:
                writes[kind].setdefault(name, []).append(draft.name)
        linked[draft.name] = Linked(command, invocation, [])
    for job, ins in reads.items():
        deps: list[str] = []
        for kind in ("files", "user_data"):
            for name in sorted(ins[kind]):
                deps.extend(w for w in writes[kind].get(name, []) if w != job and w not in deps)
        linked[job].data_dependencies = deps
    return linked


def _declared(reader: NodeReader, draft: Draft, items: DataItems) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    ins: dict[str, set[str]] = {"files": set(), "user_data": set()}
    outs: dict[str, set[str]] = {"files": set(), "user_data": set()}
    known = {"files": set(items.files), "user_data": items.user_data}
    fields = (
        ("input_files", "files", ins),
        ("output_files", "files", outs),
        ("input_user_data", "user_data", ins),
        ("output_user_data", "user_data", outs),
    )
    for key, kind, target in fields:
        for name, line in draft.lists.get(key, []):
            if name not in known[kind]:
                where = "`files`" if kind == "files" else "`user_data`"
                reader.add_at("error", line, f"job {draft.name}: {key} names `{name}`, which is not in {where}")
            else:
                target[kind].add(name)
        for pattern, line in draft.lists.get(key.replace("files", "file") + "_regexes", []):
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                reader.add_at("error", line, f"job {draft.name}: `{pattern}` is not a regex ({exc})")
                continue
            matched = {name for name in known[kind] if regex.search(name)}
            if not matched:
                reader.add_at("error", line, f"job {draft.name}: `{pattern}` matches no {kind.replace('_', ' ')}")
            target[kind] |= matched
    return ins, outs


def _substitute(
    reader: NodeReader, draft: Draft, text: str, items: DataItems, ins: dict[str, set[str]], outs: dict[str, set[str]]
) -> str:
    def replace(match: re.Match[str]) -> str:
        kind, direction, name = match.group(1), match.group(2), match.group(3)
        if kind == "user_data":
            reader.add_at(
                "error",
                draft.line,
                f"job {draft.template or draft.name}: Torc's `{match.group(0)}` in a command is not supported by "
                "longrun: there is no user-data store to fetch it from (input_user_data/output_user_data still "
                "order the jobs)",
            )
            return match.group(0)
        if name not in items.files:
            message = f"job {draft.template or draft.name}: `{match.group(0)}` names no file in `files`"
            reader.add_at("error", draft.line, message)
            return match.group(0)
        (ins if direction == "input" else outs)["files"].add(name)
        return items.files[name]

    return REFERENCE_RE.sub(replace, text)
