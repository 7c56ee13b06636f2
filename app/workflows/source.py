"""A workflow file from disk to checked-size nodes: format by extension, caps on size and shape.

`.json5` and `.json` files are read as JSON5 (app/workflows/json5nodes.py), everything else as
YAML. Before anything is parsed the file must be a regular file (a FIFO or a device would hang
the reader) no larger than MAX_BYTES: a workflow of thousands of jobs is a few hundred kB, and the
parsers take about 5 s per MB. After parsing, the nesting must stay within MAX_DEPTH (a workflow
needs about six levels) and the node count, YAML aliases included, within MAX_NODES: no later
step can then recurse too deep or walk an alias bomb.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from app.workflows.json5nodes import Json5Error, json5_nodes
from app.workflows.nodes import line_of
from app.workflows.spec import Problem

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000
JSON5_SUFFIXES = (".json5", ".json")


def read_text(path: Path) -> tuple[str | None, Problem | None]:
    """The file's text, or why it cannot be read (never blocks on a FIFO, never reads a huge file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return None, Problem("error", None, f"cannot read the file: {exc.strerror}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, Problem("error", None, "not a regular file (a directory, FIFO or device): nothing read")
        if info.st_size > MAX_BYTES:
            return None, Problem("error", None, too_large(info.st_size))
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return None, Problem("error", None, f"cannot read the file: {exc.strerror}")
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        return None, Problem("error", None, too_large(size))
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem("error", line, f"not UTF-8 text (byte {exc.start + 1} cannot be read as UTF-8)")


def too_large(size: int) -> str:
    return (
        f"the file is {size / 1048576:.1f} MiB; workflow files are limited to {MAX_BYTES // 1048576} MiB "
        "(describe many similar jobs with `parameters` instead of listing each one)"
    )


def parse(text: str, source: Path) -> tuple[Node | None, list[Problem]]:
    """The document's root node and the problems found reading it (syntax, nesting, size)."""
    if not text.strip():
        return None, [Problem("error", None, "the file is empty")]
    if source.suffix.lower() in JSON5_SUFFIXES:
        try:
            root: Node | None = json5_nodes(text, MAX_DEPTH)
        except Json5Error as exc:
            return None, [exc.problem]
    else:
        root, problem = _compose_yaml(text)
        if problem is not None:
            return None, [problem]
    if root is None:
        return None, [Problem("error", None, "the file is empty")]
    shape = check_shape(root)
    return (None, [shape]) if shape is not None else (root, [])


def _compose_yaml(text: str) -> tuple[Node | None, Problem | None]:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else None
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        if "block" in detail or "indent" in detail:
            detail += " (check the indentation on this line and the one before)"
        return None, Problem("error", line, f"YAML syntax error: {detail}")
    except yaml.YAMLError as exc:
        return None, Problem("error", None, f"YAML syntax error: {exc}")
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        return None, Problem("error", None, nesting_message())


def nesting_message() -> str:
    return f"lists and mappings nest more than {MAX_DEPTH} levels deep: not a workflow"


def check_shape(root: Node) -> Problem | None:
    """Nesting depth and node count (aliases counted each time they are used), iteratively."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            return Problem("error", line_of(node), nesting_message())
        if seen > MAX_NODES:
            return Problem(
                "error", None, f"the file expands to more than {MAX_NODES:,} values (YAML aliases used over and over?)"
            )
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    return None
