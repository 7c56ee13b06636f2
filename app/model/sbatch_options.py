"""Reading a job's sbatch options: an option's value as sbatch resolves it (the last one wins,
`--name=v`, `--name v`, `-Xv`), the warning signal's lead time, and how memory was asked for.

Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.model.units import MemorySize


def find_option(options: tuple[str, ...] | list[str], *names: str) -> str | None:
    value: str | None = None
    opts = list(options)
    for i, opt in enumerate(opts):
        for name in names:
            if opt.startswith(name + "="):
                value = opt[len(name) + 1 :]
            elif opt == name and i + 1 < len(opts):
                value = opts[i + 1]
            elif len(name) == 2 and not name.startswith("--") and opt.startswith(name) and len(opt) > 2:
                value = opt[2:]
    return value


_SIGNAL_RE = re.compile(r"^(?:[BR]+:)?[A-Z0-9]+(?:@(\d+))?$", re.IGNORECASE)


def warning_seconds(options: tuple[str, ...] | list[str]) -> int | None:
    """Seconds before the time limit that `--signal` asks for (60 when no @N); None without --signal."""
    value = find_option(options, "--signal")
    if value is None:
        return None
    match = _SIGNAL_RE.match(value)
    if not match:
        return None
    return int(match.group(1)) if match.group(1) else 60


MEMORY_OPTIONS = ("mem", "mem-per-cpu", "mem-per-gpu")  # sbatch's memory options, each in its own unit


@dataclass(frozen=True)
class MemoryAsk:
    """How a link asked for memory: sbatch's option (`mem` per node, `mem-per-cpu`, `mem-per-gpu`),
    its value in that unit, and what that came to per node (the unit --grow-mem's cap is in)."""

    option: str
    value: MemorySize
    per_node: MemorySize | None = None

    @classmethod
    def recorded(cls, given: str | None, per_node: MemorySize | None) -> MemoryAsk | None:
        """The ask from its recorded form `mem-per-cpu=100M` (sbatch's unit: M when none). Without
        one (the site's default was used), the request per node as --mem; None when neither is known."""
        if not given:
            return cls("mem", per_node, per_node) if per_node is not None else None
        option, _, value = given.partition("=")
        if option not in MEMORY_OPTIONS:
            return None
        try:
            size = MemorySize.parse(value, default_unit="M")
        except ValueError:
            return None
        return cls(option, size, per_node)

    def as_option(self) -> str:
        """`--mem-per-cpu=100M`."""
        return f"--{self.option}={self.value.sbatch_value()}"

    def scaled_to(self, per_node: MemorySize) -> MemorySize:
        """The value in this ask's unit that comes to `per_node` per node (rounded down)."""
        if self.per_node is None or self.per_node.bytes == 0:
            return per_node
        return MemorySize(self.value.bytes * per_node.bytes // self.per_node.bytes)
