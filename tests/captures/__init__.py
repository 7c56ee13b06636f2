"""Real Slurm output captured from the test cluster (see README.md), and helpers to read it."""

from __future__ import annotations

import json
from pathlib import Path

from app.slurm.records import AccountingMap, QueueRecord, RecordList
from app.slurm.sacct import parse_sacct
from app.slurm.squeue import parse_squeue

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


def sacct_layout(name: str) -> tuple[str, list[str]]:
    """(delimiter, field names) of a sacct capture, from the argv that made it."""
    argv = capture_argv(name)
    delimiter = next(a.removeprefix("--delimiter=") for a in argv if a.startswith("--delimiter="))
    fields = next(a.removeprefix("--format=") for a in argv if a.startswith("--format=")).split(",")
    return delimiter, fields


def squeue_delimiter(name: str) -> str:
    """The delimiter of a squeue capture: what its -o format put between %i and %j."""
    argv = capture_argv(name)
    form = argv[argv.index("-o") + 1]
    return form[form.index("%i") + 2 : form.index("%j")]


def parse_sacct_capture(name: str) -> AccountingMap:
    """A sacct capture (`sacct_scenarios.txt`, `endings/oom.sacct.txt`) parsed as the client would."""
    delimiter, fields = sacct_layout(name)
    return parse_sacct(capture_text(name), delimiter, fields)


def parse_squeue_capture(name: str) -> RecordList[QueueRecord]:
    return parse_squeue(capture_text(name), squeue_delimiter(name))
