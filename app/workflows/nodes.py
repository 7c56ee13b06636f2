"""Reading YAML nodes with their line numbers: typed scalars, mappings, key checks with did-you-mean.

yaml.compose() keeps each node's position; every problem is recorded against the line of the node
it is about, so `longrun workflow validate` can say `file:line: message` for all of them at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.workflows.spec import Problem, Severity

Entry = tuple[Node, Node]  # (key node, value node)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
T = TypeVar("T")


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


class NodeReader:
    """Collects problems while reading nodes; methods return None for a value that is wrong."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()

    def add(self, severity: Severity, node: Node | None, message: str) -> None:
        self.problems.append(Problem(severity, line_of(node) if node is not None else None, message))

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
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, f"{what}: keys must be plain words")
                continue
            key = str(key_node.value)
            if key in entries:
                first = line_of(entries[key][0])
                self.error(key_node, f"{what}: key `{key}` appears twice (first on line {first})")
                continue
            entries[key] = (key_node, value_node)
        return entries

    def name(self, entries: dict[str, Entry], what: str, node: Node) -> str | None:
        """The `name` of a workflow, job or scheduler: it becomes part of Slurm job and file names."""
        if "name" not in entries:
            self.error(node, f"{what} has no `name`")
            return None
        value_node = entries["name"][1]
        name = self.string(value_node, f"{what} name")
        if name is not None and not NAME_RE.match(name):
            self.error(value_node, f"{what} name `{name}` may use only letters, digits and `_.+-`")
            return None
        return name

    def sequence(self, node: Node, what: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list (lines starting with `- `), not {describe(node)}")
            return None
        return list(node.value)

    def check_keys(
        self, entries: dict[str, Entry], what: str, used: Iterable[str], unused: dict[str, str] | None = None
    ) -> None:
        """Unknown keys are errors (with a suggestion); known keys this tool ignores are notes."""
        used = list(used)
        unused = unused or {}
        for key, (key_node, _value) in entries.items():
            if key in used:
                continue
            if key in unused:
                self.note(key_node, f"{what}: `{key}` is accepted but not used: {unused[key]}")
                continue
            close = difflib.get_close_matches(key, [*used, *unused], n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else f" (known keys: {', '.join(used)})"
            self.error(key_node, f"{what}: unknown key `{key}`{hint}")

    def string(self, node: Node, what: str, allow_empty: bool = False) -> str | None:
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


def compose(text: str, reader: NodeReader) -> Node | None:
    """The YAML document's root node, or None (and a problem with the line) when it is not YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else None
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        if "block" in detail or "indent" in detail:
            detail += " (check the indentation on this line and the one before)"
        reader.problems.append(Problem("error", line, f"YAML syntax error: {detail}"))
        return None
    except yaml.YAMLError as exc:
        reader.problems.append(Problem("error", None, f"YAML syntax error: {exc}"))
        return None
    if root is None:
        reader.problems.append(Problem("error", None, "the file is empty"))
    return root
