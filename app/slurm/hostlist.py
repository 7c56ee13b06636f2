"""Slurm's compressed host lists (`lr1`, `lr[1-2]`, `cn[01-04,07],gpu3`): how many hosts they name."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")
_EMPTY = frozenset({"", "(null)", "None assigned"})


def count_hosts(hostlist: str) -> int | None:
    """The number of hosts in a host list; None for an empty or unreadable one."""
    text = hostlist.strip()
    if text in _EMPTY:
        return None
    total = 0
    depth = 0
    start = 0
    parts: list[str] = []
    for index, char in enumerate(text):  # split at commas outside brackets
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    for part in parts:
        count = _count_one(part)
        if count is None:
            return None
        total += count
    return total or None


def _count_one(part: str) -> int | None:
    """Hosts in one item: `lr1` is 1, `lr[1-3,5]` is 4, `r[1-2]n[1-3]` is 6."""
    if not part.strip() or part.count("[") != part.count("]"):
        return None
    count = 1
    for inside in re.findall(r"\[([^\]]*)\]", part):
        here = 0
        for piece in inside.split(","):
            match = _RANGE.match(piece)
            if match is None:
                return None
            low, high = match.group(1), match.group(2) or match.group(1)
            if int(high) < int(low):
                return None
            here += int(high) - int(low) + 1
        count *= here
    return count
