"""Reading clues out of text the caller already has: the tail of a job's log, its batch script.

Pure functions over strings. The patterns are what Slurm's slurmstepd, bash and common runtimes
really print (see tests/captures/endings/ for the logs of real jobs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.diagnose.diagnosis import Evidence, LogTail

_SLURM_BANNER = r"\*\*\* JOB \d+ ON \S+ CANCELLED AT \S+"
TIME_LIMIT = re.compile(_SLURM_BANNER + r" DUE TO TIME LIMIT")
PREEMPTION = re.compile(_SLURM_BANNER + r" DUE TO PREEMPTION")
NODE_FAILURE = re.compile(_SLURM_BANNER + r" DUE TO NODE FAILURE")
# slurmstepd prints the bare banner when the job is signalled through it (scancel, --signal).
CANCELLED_BANNER = re.compile(_SLURM_BANNER + r"(?! DUE TO)")
OUT_OF_MEMORY = re.compile(
    r"oom[-_ ]kill|out of memory|MemoryError|std::bad_alloc|Cannot allocate memory|Exceeded job memory limit",
    re.IGNORECASE,
)
WARNING_SIGNAL = re.compile(
    r"\bSIG(TERM|USR1|USR2|INT|HUP)\b|\b(received|caught|got|trapped|handling)\b.{0,20}\bsignal\b",
    re.IGNORECASE,
)
COMMAND_NOT_FOUND = re.compile(r"command not found|: not found$|No such file or directory")
NOT_EXECUTABLE = re.compile(r"Permission denied|cannot execute|Is a directory|Exec format error")
KILLED = re.compile(r"\bKilled\b|Segmentation fault|Aborted|Bus error|core dumped")
ERRORISH = re.compile(r"error|Error|ERROR|Traceback|exception|Exception|fatal|FATAL|failed|abort")

_SCRIPT_SIGNAL = re.compile(r"^#SBATCH\s+--signal[=\s]+(\S+)", re.MULTILINE)
_SIGNAL_LEAD = re.compile(r"@(\d+)$")
_BASH_TRAP = re.compile(r"^\s*trap\s+.+\b(SIG)?(TERM|USR1|USR2|INT)\b", re.MULTILINE)
_PYTHON_HANDLER = re.compile(r"signal\.signal\(\s*(signal\.)?SIG(TERM|USR1|USR2|INT)\b")


@dataclass(frozen=True)
class LogLine:
    """One line of a log tail: the file's name, its line number (or its place in the tail), its text."""

    file: str
    number: int
    exact: bool  # number is the line number in the whole file (else the index within the tail)
    text: str

    def evidence(self) -> Evidence:
        where = f"{self.file}:{self.number}" if self.exact else f"{self.file} tail line {self.number}"
        return Evidence("log", where, self.text.strip()[:300])


def _lines(logs: Sequence[LogTail]) -> list[LogLine]:
    result: list[LogLine] = []
    for log in logs:
        if log.text is None:
            continue
        name = os.path.basename(log.path or "log")
        start = log.first_line if log.first_line is not None else 1
        result.extend(
            LogLine(name, start + i, log.first_line is not None, text) for i, text in enumerate(log.text.splitlines())
        )
    return result


def log_lines(logs: Sequence[LogTail], pattern: re.Pattern[str]) -> list[LogLine]:
    """Every line of the readable log tails that matches pattern."""
    return [line for line in _lines(logs) if pattern.search(line.text)]


WRAPPER_PREFIX = "longrun: "  # lines of longrun's link wrapper (app/supervisor/wrapper.py), not the job's


def last_lines(logs: Sequence[LogTail], count: int = 3) -> list[LogLine]:
    """The last non-empty lines the job wrote (for errors no pattern names)."""
    return [line for line in _lines(logs) if line.text.strip() and not line.text.startswith(WRAPPER_PREFIX)][-count:]


@dataclass(frozen=True)
class ScriptFacts:
    """What the batch script says about warning signals (`#SBATCH --signal`, a trap or handler)."""

    signal_option: str | None = None  # e.g. "B:TERM@300"
    has_handler: bool = False

    @property
    def signal_lead_seconds(self) -> int | None:
        if self.signal_option is None:
            return None
        match = _SIGNAL_LEAD.search(self.signal_option)
        return int(match.group(1)) if match else 60  # Slurm's default lead when no @N is given


def script_facts(script_text: str | None) -> ScriptFacts:
    if not script_text:
        return ScriptFacts()
    option = _SCRIPT_SIGNAL.search(script_text)
    handler = bool(_BASH_TRAP.search(script_text) or _PYTHON_HANDLER.search(script_text))
    return ScriptFacts(option.group(1) if option else None, handler)
