"""Job, file and user-data templates with `parameters`, expanded into the concrete ones Torc creates.

A template's parameters are its own `parameters` plus the workflow-level `parameters` it names in
`use_parameters` (its own win), combined by `parameter_mode` (product or zip); see params.py for
the value syntax and the formats. Every string field of a job is substituted (name, command,
invocation_script, env values, resource_requirements, scheduler, failure_handler and the name
lists). Expansions that give the same job name are one job whose lists are merged: Torc's
`aggregate_results` with `depends_on: [train_{i}]` and `parameters: {i: ...}` waits for every
`train_*`. Problems are reported at the template's lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.workflows.nodes import Entry, NodeReader, line_of
from app.workflows.params import Value, combinations, names_used, parse_values, substitute
from app.workflows.resources import read_resources
from app.workflows.spec import Resources

LIST_FIELDS = (
    "depends_on",
    "depends_on_regexes",
    "input_files",
    "input_file_regexes",
    "output_files",
    "output_file_regexes",
    "input_user_data",
    "input_user_data_regexes",
    "output_user_data",
    "output_user_data_regexes",
)
STRING_FIELDS = ("name", "command", "invocation_script", "resource_requirements", "scheduler", "failure_handler",
                 "progress", "progress_file")  # fmt: skip
# read as given, never substituted: the inline resources and supports_termination

MAX_JOBS = 10_000


@dataclass
class Draft:
    """One concrete job (or file) before its dependencies are resolved."""

    line: int
    strings: dict[str, str]
    lists: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # field -> [(value, line)]
    env: dict[str, str] = field(default_factory=dict)
    supports_termination: bool = False
    inline_resources: Resources | None = None
    template: str = ""  # the name as written, before parameters: messages about the template use it

    @property
    def name(self) -> str:
        return self.strings["name"]

    def same_job(self, other: Draft) -> bool:
        return (self.strings, self.env, self.supports_termination, self.inline_resources) == (
            other.strings, other.env, other.supports_termination, other.inline_resources
        )  # fmt: skip

    def substituted(self, combo: dict[str, Value]) -> Draft:
        return replace(
            self,
            strings={key: substitute(text, combo) for key, text in self.strings.items()},
            lists={key: [(substitute(v, combo), line) for v, line in values] for key, values in self.lists.items()},
            env={key: substitute(v, combo) for key, v in self.env.items()},
        )


def shared_parameters(reader: NodeReader, top: dict[str, Entry]) -> dict[str, tuple[list[Value], int]]:
    """The workflow-level `parameters`: name -> (values, line)."""
    return _parameter_map(reader, top["parameters"][1], "workflow parameters") if "parameters" in top else {}


def _parameter_map(reader: NodeReader, node: Node, what: str) -> dict[str, tuple[list[Value], int]]:
    entries = reader.mapping(node, what)
    result: dict[str, tuple[list[Value], int]] = {}
    for name, (_key, value) in (entries or {}).items():
        spec: str | list[object] | None
        if isinstance(value, SequenceNode):
            spec = [reader.value(item) for item in value.value]
        elif isinstance(value, ScalarNode):
            spec = str(reader.value(value))
        else:
            reader.error(value, f"{what}: parameter `{name}` must be a range or a list, not a mapping")
            continue
        try:
            result[name] = (parse_values(spec), line_of(value))
        except ValueError as exc:
            reader.error(value, f"{what}: parameter `{name}`: {exc}")
    return result


def parameter_combinations(
    reader: NodeReader,
    entries: dict[str, Entry],
    node: Node,
    what: str,
    shared: dict[str, tuple[list[Value], int]],
) -> list[dict[str, Value]] | None:
    """The combinations a template expands to ([{}] without parameters); None after an error."""
    params: dict[str, list[Value]] = {}
    if "use_parameters" in entries:
        for name, name_node in reader.string_list(entries["use_parameters"][1], f"{what}: use_parameters"):
            if name not in shared:
                reader.error(name_node, f"{what}: use_parameters names `{name}`, which is not a workflow parameter")
                return None
            params[name] = shared[name][0]
    if "parameters" in entries:
        local = _parameter_map(reader, entries["parameters"][1], f"{what}: parameters")
        params.update({name: values for name, (values, _line) in local.items()})
    mode = "product"
    if "parameter_mode" in entries:
        mode = reader.string(entries["parameter_mode"][1], f"{what}: parameter_mode") or "product"
        if mode not in ("product", "zip"):
            reader.error(entries["parameter_mode"][1], f"{what}: parameter_mode must be product or zip, not `{mode}`")
            return None
    if not params:
        return [{}]
    try:
        return combinations(params, mode)
    except ValueError as exc:
        reader.error(entries.get("parameters", entries.get("use_parameters", (node, node)))[1], f"{what}: {exc}")
        return None


def read_template(reader: NodeReader, entries: dict[str, Entry], node: Node, what: str) -> Draft | None:
    """A job mapping as a draft with unsubstituted strings (the fields other modules read are left)."""
    strings: dict[str, str] = {}
    for key in STRING_FIELDS:
        if key not in entries or not isinstance(entries[key][1], ScalarNode):
            continue
        multiline = key in ("command", "invocation_script")
        text = reader.string(entries[key][1], f"{what}: {key}", multiline=multiline)
        if text is None:
            return None
        if key == "invocation_script" and isinstance(reader.value(entries[key][1]), str):
            raw = str(reader.value(entries[key][1]))
            text = text + ("\n" if "\n" in raw.strip() else "")  # a script of lines: the command on its own line
        strings[key] = text
    lists = {
        key: [(value, line_of(n)) for value, n in reader.string_list(entries[key][1], f"{what}: {key}")]
        for key in LIST_FIELDS
        if key in entries
    }
    terminate = (
        bool(reader.boolean(entries["supports_termination"][1], f"{what}: supports_termination"))
        if "supports_termination" in entries
        else False
    )
    inline: Resources | None = None
    if "resource_requirements" in entries and isinstance(entries["resource_requirements"][1], MappingNode):
        inline = read_resources(reader, entries["resource_requirements"][1], f"{what}: resource_requirements")
        if inline is None:
            return None
    env: dict[str, str] = {}
    if "env" in entries:
        for name, (_k, value) in (reader.mapping(entries["env"][1], f"{what}: env") or {}).items():
            text = reader.string(value, f"{what}: env {name}", allow_empty=True)
            if not name.isidentifier() or not name.isascii():
                reader.error(value, f"{what}: env `{name}` is not a variable name ([A-Za-z_][A-Za-z0-9_]*)")
            elif text is not None:
                env[name] = text
    return Draft(line_of(node), strings, lists, env, terminate, inline, strings.get("name", ""))


def expand(draft: Draft, combos: list[dict[str, Value]]) -> list[Draft]:
    """The template substituted with each combination."""
    return [draft] if combos == [{}] else [draft.substituted(combo) for combo in combos]


def merge_same_names(reader: NodeReader, drafts: list[Draft], template_name: str) -> list[Draft]:
    """Expansions with one name become one job (lists merged); they must agree on everything else."""
    by_name: dict[str, Draft] = {}
    for draft in drafts:
        first = by_name.get(draft.name)
        if first is None:
            by_name[draft.name] = replace(draft, lists={k: list(v) for k, v in draft.lists.items()})
            continue
        if not first.same_job(draft):
            differs = [k for k in STRING_FIELDS if first.strings.get(k) != draft.strings.get(k)] or ["env"]
            reader.add_at(
                "error",
                draft.line,
                f"job {template_name}: the parameters give several jobs named `{draft.name}` with different "
                f"{', '.join(differs)}: use every parameter in the name (e.g. `{template_name}_{{i}}`)",
            )
            continue
        for key, values in draft.lists.items():
            merged = first.lists.setdefault(key, [])
            merged.extend(v for v in values if v not in merged)
    if len(by_name) == 1 < len(drafts):
        only = next(iter(by_name.values()))
        reader.add_at(
            "note",
            only.line,
            f"job {only.name}: its {len(drafts)} parameter combinations give this one job, which waits for all "
            "the jobs and files they name",
        )
    return list(by_name.values())


def placeholders_left(text: str, known: set[str]) -> set[str]:
    """`{name}` placeholders in a job name that no parameter fills (probably a forgotten parameter)."""
    found = set(re.findall(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*)?\}", text))
    return found - known - names_used(text, known)


def too_many(count: int) -> str:
    return f"the workflow expands to {count:,} jobs; at most {MAX_JOBS:,} are allowed (split it into several workflows)"
