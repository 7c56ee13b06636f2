"""Reading YAML nodes with their line numbers: typed scalars, mappings, key checks with did-you-mean.

yaml.compose() keeps each node's position (JSON5 files are turned into the same nodes by
app/workflows/json5nodes.py); every problem is recorded against the line of the node it is about,
so `longrun workflow validate` can say `file:line: message` for all of them at once. A `null`
value means "not set", as in Torc: such a key is read as if it were absent.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.workflows.spec import Problem, Severity
from app.workflows.torc_keys import Keys

Entry = tuple[Node, Node]  # (key node, value node)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
# Control characters other than tab and newline: never part of a name, a path or a command.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
T = TypeVar("T")


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def is_null(node: Node) -> bool:
    """`key: null`, `key: ~` or `key:` with nothing: Torc's "not set"."""
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def control_character(text: str, multiline: bool = False) -> str | None:
    """The first control character in `text` (newline and tab allowed when `multiline`), shown as an escape."""
    bad = CONTROL_RE.search(text) or (None if multiline else re.search("[\n\t]", text))
    return visible(bad.group()) if bad else None


def visible(text: str) -> str:
    """`text` with control characters shown as escapes (`\\n`, `\\x1b`), for one-line messages."""
    return CONTROL_RE.sub(lambda m: repr(m.group())[1:-1], text.replace("\n", "\\n"))


class NodeReader:
    """Collects problems while reading nodes; methods return None for a value that is wrong."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.aliases_seen: dict[tuple[str, str], list[int]] = {}
        self._seen: set[Problem] = set()
        self._constructor = SafeConstructor()

    def add(self, severity: Severity, node: Node | None, message: str) -> None:
        self.add_at(severity, line_of(node) if node is not None else None, message)

    def add_at(self, severity: Severity, line: int | None, message: str) -> None:
        """Record a problem once: the expansions of one template repeat their template's problems."""
        problem = Problem(severity, line, message)
        if problem not in self._seen:
            self._seen.add(problem)
            self.problems.append(problem)

    def error(self, node: Node | None, message: str) -> None:
        self.add("error", node, message)

    def note(self, node: Node | None, message: str) -> None:
        self.add("note", node, message)

    def value(self, node: Node) -> object:
        try:
            return self._constructor.construct_object(node, deep=True)
        except ConstructorError as exc:
            self.error(node, f"cannot read this value: {exc.problem}")
            return None

    def mapping(self, node: Node, what: str) -> dict[str, Entry] | None:
        """A mapping's entries by key; a repeated key is an error (YAML would keep only the last)."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping of `key: value` lines, not {describe(node)}")
            return None
        entries: dict[str, Entry] = {}
        merged: list[Entry] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, f"{what}: keys must be plain words")
                continue
            if key_node.tag == MERGE_TAG:  # YAML `<<: *defaults`: the keys not given here
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if isinstance(source, MappingNode):
                        merged.extend(source.value)
                continue
            key = str(key_node.value)
            if key in entries:
                first = line_of(entries[key][0])
                self.error(key_node, f"{what}: key `{key}` appears twice (first on line {first})")
                continue
            entries[key] = (key_node, value_node)
        for key_node, value_node in merged:
            if isinstance(key_node, ScalarNode) and str(key_node.value) not in entries:
                entries[str(key_node.value)] = (key_node, value_node)
        return {key: entry for key, entry in entries.items() if not is_null(entry[1])}

    def name(self, entries: dict[str, Entry], what: str, node: Node, strict: bool = False) -> str | None:
        """The `name` of a workflow, job, file or scheduler. Any printable text, as in Torc (the
        Slurm job name is derived from it); `strict`: only letters, digits and `_.+-`."""
        if "name" not in entries:
            self.error(node, f"{what} has no `name`")
            return None
        value_node = entries["name"][1]
        name = self.string(value_node, f"{what} name")
        if name is not None and strict and not NAME_RE.match(name):
            self.error(value_node, f"{what} name `{name}` may use only letters, digits and `_.+-`")
            return None
        return name

    def sequence(self, node: Node, what: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list (lines starting with `- `), not {describe(node)}")
            return None
        return list(node.value)

    def check_keys(self, entries: dict[str, Entry], what: str, keys: Keys) -> dict[str, Entry]:
        """The entries under their current Torc names. Older Torc names are read as the current
        ones (one note per name and file); keys longrun does not use are notes; Torc features it
        does not implement are one error each; anything else is an unknown key (did you mean)."""
        result: dict[str, Entry] = {}
        for key, (key_node, value) in entries.items():
            current = keys.aliases.get(key)
            if current is not None:
                if current in entries:
                    self.error(
                        key_node, f"{what}: `{key}` and `{current}` are the same key (older and current Torc name)"
                    )
                    continue
                self.aliases_seen.setdefault((key, current), []).append(line_of(key_node))
                result[current] = (key_node, value)
                continue
            result[key] = (key_node, value)
            if key in keys.used:
                continue
            if key in keys.not_used:
                self.note(key_node, f"{what}: `{key}` is accepted but not used: {keys.not_used[key]}")
            elif key in keys.unsupported:
                self.error(key_node, f"{what}: Torc's `{key}` is not supported by longrun: {keys.unsupported[key]}")
            else:
                known = [*keys.used, *keys.not_used, *keys.unsupported]
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"; did you mean `{close[0]}`?" if close else f" (known keys: {', '.join(keys.used)})"
                self.error(key_node, f"{what}: unknown key `{key}`{hint}")
        return {key: entry for key, entry in result.items() if key in keys.used}

    def alias_notes(self) -> None:
        """One note per older Torc key name used in the file (at its first line)."""
        for (old, current), lines in self.aliases_seen.items():
            where = (
                f" (lines {', '.join(map(str, lines[:5]))}{', ...' if len(lines) > 5 else ''})"
                if len(lines) > 1
                else ""
            )
            self.add_at("note", lines[0], f"`{old}` is the older Torc name of `{current}`: read as {current}{where}")

    def string(self, node: Node, what: str, allow_empty: bool = False, multiline: bool = False) -> str | None:
        """A text value, stripped. Control characters are refused (they could break a generated
        script or a terminal); newlines and tabs only where `multiline` (commands, scripts)."""
        if not isinstance(node, ScalarNode):
            self.error(node, f"{what} must be a single value, not {describe(node)}")
            return None
        value = self.value(node)
        if value is None or isinstance(value, (list, dict)):
            if value is None and not allow_empty:
                self.error(node, f"{what} is empty")
            return None
        text = str(value).strip() if not isinstance(value, bool) else str(node.value)
        if not text and not allow_empty:
            self.error(node, f"{what} is empty")
            return None
        bad = control_character(text, multiline)
        if bad:
            self.error(node, f"{what} contains a control character ({bad}): `{visible(text)[:80]}`")
            return None
        return text

    def parsed(self, entries: dict[str, Entry], key: str, what: str, parse: Callable[[str], T]) -> T | None:
        """The value at `key` read by `parse` (e.g. a memory size); its ValueError reported at that line."""
        if key not in entries:
            return None
        node = entries[key][1]
        text = self.string(node, f"{what}: {key}")
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            self.error(node, f"{what}: {key} {exc}")
            return None

    def integer(self, node: Node, what: str, minimum: int = 1) -> int | None:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(node, f"{what} must be a whole number, not {describe(node)}")
            return None
        if value < minimum:
            self.error(node, f"{what} must be at least {minimum}, not {value}")
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self.error(node, f"{what} must be true or false, not {describe(node)}")
            return None
        return value

    def string_list(self, node: Node, what: str) -> list[tuple[str, Node]]:
        """A list of strings; a single string is accepted as a list of one."""
        if isinstance(node, ScalarNode):
            text = self.string(node, what)
            return [(text, node)] if text is not None else []
        items = self.sequence(node, what)
        result: list[tuple[str, Node]] = []
        for item in items or []:
            text = self.string(item, f"{what} entry")
            if text is not None:
                result.append((text, item))
        return result


def describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return f"`{node.value}`" if node.value != "" else "nothing"
    return "this"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
