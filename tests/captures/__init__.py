"""Real Slurm output captured from the test cluster (see README.md), and helpers to read it."""

from __future__ import annotations

import json
from pathlib import Path

CAPTURES = Path(__file__).parent


def capture_text(name: str) -> str:
    """The captured output `name` (`sacct_scenarios.txt`, `scancel_invalid_id.stderr`, ...)."""
    return (CAPTURES / name).read_text()


def capture_argv(name: str) -> list[str]:
    """The exact argv that made capture `name` (from its `.cmd` file)."""
    for line in (CAPTURES / name).with_suffix(".cmd").read_text().splitlines():
        if line.startswith("# argv (JSON): "):
            argv: list[str] = json.loads(line.removeprefix("# argv (JSON): "))
            return argv
    raise LookupError(f"no argv recorded for {name}")
