"""JSON5 (and JSON) workflow files as the same YAML nodes the YAML reader gives, with their lines.

The parser is json-five (`json5.loads(text, loader=ModelLoader())`): its model keeps the line of
every value, so a problem in a `.json5` file is reported at its line exactly as in a `.yaml` file.
Values become scalar nodes tagged like YAML's (str, int, float, bool, null), so the rest of the
reader does not know which format a file was written in. The walk is iterative: no nesting depth
can exhaust Python's stack here.
"""

from __future__ import annotations

import math
import re

from json5 import loads
from json5 import model as m
from json5.loader import ModelLoader
from json5.utils import JSON5DecodeError
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.workflows.spec import Problem

TAG = "tag:yaml.org,2002:"
_PRIMARY_RE = re.compile(r"The primary error was: \s*(.*?)(?: at: line \d+.*)?$", re.MULTILINE)


class Json5Error(Exception):
    """The text is not JSON5; `problem` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def json5_nodes(text: str, max_depth: int) -> Node:
    """The document's root as YAML nodes. Raises Json5Error for a syntax error, or for nesting
    deeper than `max_depth` (found by a scan before parsing: the parser is slow on deep nesting)."""
    line = too_deep(text, max_depth)
    if line is not None:
        raise Json5Error(
            Problem("error", line, f"lists and mappings nest more than {max_depth} levels deep: not a workflow")
        )
    try:
        document = loads(text, loader=ModelLoader())
    except JSON5DecodeError as exc:
        raise Json5Error(Problem("error", exc.lineno or None, f"JSON5 syntax error: {_reason(exc)}")) from None
    except (ValueError, IndexError, TypeError, RecursionError) as exc:  # the parser's own failures
        raise Json5Error(Problem("error", None, f"JSON5 syntax error: {exc}")) from None
    return _convert(document.value)


def too_deep(text: str, max_depth: int) -> int | None:
    """The line where brackets outside strings and comments first nest deeper than `max_depth`."""
    depth, line, i, n = 0, 1, 0, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
        elif char in "\"'":
            i += 1
            while i < n and text[i] != char:
                if text[i] == "\n":
                    line += 1
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return None
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end
            line += text.count("\n", i, end)
            i = end + 2
            continue
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return line
        elif char in "]}":
            depth -= 1
        i += 1
    return None


def _reason(exc: JSON5DecodeError) -> str:
    text = str(exc.msg)
    match = _PRIMARY_RE.search(text)
    first = match.group(1) if match else text.splitlines()[0] if text else "unreadable"
    return first.replace("Syntax Error. ", "").strip()


def _mark(value: m.Node) -> Mark:
    line = (value.lineno or 1) - 1
    column = (value.col_offset or 1) - 1
    return Mark("json5", 0, line, column, None, 0)


def _scalar(value: m.Node) -> ScalarNode:
    mark = _mark(value)
    sign = ""
    if isinstance(value, m.UnaryOp):
        sign = "-" if value.op == "-" else ""
        value = value.value
    if isinstance(value, m.String):
        return ScalarNode(TAG + "str", value.characters, mark, mark, style='"')
    if isinstance(value, m.BooleanLiteral):
        return ScalarNode(TAG + "bool", "true" if value.value else "false", mark, mark)
    if isinstance(value, m.NullLiteral):
        return ScalarNode(TAG + "null", "null", mark, mark)
    if isinstance(value, m.Integer):
        return ScalarNode(TAG + "int", sign + str(value.value), mark, mark)
    if isinstance(value, m.Infinity):
        negative = value.negative != (sign == "-")
        return ScalarNode(TAG + "float", "-.inf" if negative else ".inf", mark, mark)
    if isinstance(value, m.NaN):
        return ScalarNode(TAG + "float", ".nan", mark, mark)
    if isinstance(value, m.Float):
        number = float(value.value)
        text = repr(number) if math.isfinite(number) else ".inf"
        return ScalarNode(TAG + "float", sign + text, mark, mark)
    return ScalarNode(TAG + "str", str(value), mark, mark, style='"')


def _key(key: m.Node) -> ScalarNode:
    mark = _mark(key)
    name = key.name if isinstance(key, m.Identifier) else key.characters if isinstance(key, m.String) else str(key)
    return ScalarNode(TAG + "str", name, mark, mark, style='"')


def _convert(root: m.Node) -> Node:
    """Model -> nodes with an explicit stack (children are filled in after their parent is made)."""

    def make(value: m.Node) -> Node:
        if isinstance(value, m.JSONObject):
            return MappingNode(TAG + "map", [], _mark(value), _mark(value))
        if isinstance(value, m.JSONArray):
            return SequenceNode(TAG + "seq", [], _mark(value), _mark(value))
        return _scalar(value)

    top = make(root)
    stack: list[tuple[m.Node, Node]] = [(root, top)]
    while stack:
        value, node = stack.pop()
        if isinstance(value, m.JSONObject) and isinstance(node, MappingNode):
            for pair in value.key_value_pairs:
                child = make(pair.value)
                node.value.append((_key(pair.key), child))
                stack.append((pair.value, child))
        elif isinstance(value, m.JSONArray) and isinstance(node, SequenceNode):
            for item in value.values:
                child = make(item)
                node.value.append(child)
                stack.append((item, child))
    return top
