"""A job's exit status as Slurm reports it: `code:signal`, with sacct's 128-offset quirk.

sacct before Slurm 25.11 subtracts 128 from exit codes of 128 and more: a script that ran
`exit 137` shows `9:0` in sacct, while `scontrol show job` (as long as the controller still
holds the job) shows `137:0`. So a sacct `N:0` with 1 <= N <= 127 may really be N or 128+N.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

_EXIT_RE = re.compile(r"^\s*(\d+):(\d+)\s*$")


class ExitStatusParseError(ValueError):
    """Text that is not Slurm's `code:signal`."""


@dataclass(frozen=True)
class ExitStatus:
    """Exit code and the signal that ended the process (0 when none)."""

    code: int
    signal: int = 0

    @classmethod
    def parse(cls, text: str) -> ExitStatus:
        match = _EXIT_RE.match(text)
        if not match:
            raise ExitStatusParseError(f"not an exit status: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def is_success(self) -> bool:
        return self.code == 0 and self.signal == 0

    def possible_codes_from_sacct(self) -> tuple[int, ...]:
        """The script's real exit codes this sacct value can stand for (before 25.11)."""
        if self.signal == 0 and 1 <= self.code <= 127:
            return (self.code, self.code + 128)
        return (self.code,)

    def __str__(self) -> str:
        return f"{self.code}:{self.signal}"


def signal_name(number: int) -> str:
    """`SIGKILL` for 9; `signal 77` for a number this system has no name for."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def signal_from_exit_code(code: int) -> int | None:
    """A shell reports death by signal N as exit 128+N: 137 -> 9, 152 -> 24."""
    return code - 128 if 129 <= code <= 128 + 64 else None
