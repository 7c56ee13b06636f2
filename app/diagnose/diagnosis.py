"""What a diagnosis is: its stable kind ids, the evidence it cites, and what it was given.

`Diagnosis` is the answer to "why did this job end, and what should I change?". Its `kind` is a
stable id that scripts and the TUI may match on; the JSON form (`as_json`) is the contract of
`longrun explain --json` (schema in app/commands/explain.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.diagnose.chainstory import ChainStory
    from app.diagnose.family import FamilySummary
    from app.diagnose.fixes import TimeAdvice
    from app.diagnose.live import PendingFacts
    from app.diagnose.memory import MemoryFacts
    from app.diagnose.steps import FailedStep


class DiagnosisKind(StrEnum):
    """Stable ids for how a job ended (or where it is now). Never rename a value."""

    COMPLETED = "completed"
    STEP_FAILED = "step_failed"  # COMPLETED (the script exited 0), but a step failed or was killed
    STOPPED_EARLY = "stopped_early"  # COMPLETED right after the warning signal: saved, not finished
    CHECKPOINTED = "checkpointed"  # exited 75 (EX_TEMPFAIL): "checkpoint saved, continue me"
    PENDING = "pending"
    RUNNING = "running"
    REQUEUED = "requeued"
    OUT_OF_MEMORY = "out_of_memory"
    TIMEOUT = "timeout"
    PREEMPTED = "preempted"
    NODE_FAIL = "node_fail"
    BOOT_FAIL = "boot_fail"
    DEADLINE = "deadline"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    COMMAND_NOT_FOUND = "command_not_found"  # exit 127
    NOT_EXECUTABLE = "not_executable"  # exit 126
    EXIT_CODE = "exit_code"  # the script exited N (N not otherwise special)
    EXIT_SIGNAL = "exit_signal"  # the script exited 128+N: a command inside died of signal N
    EXIT_AMBIGUOUS = "exit_ambiguous"  # sacct N:0 could be N or 128+N and nothing tells which
    KILLED_BY_SIGNAL = "killed_by_signal"  # ExitCode 0:N: the batch script itself died of signal N
    OUTPUT_NOT_CREATABLE = "output_not_creatable"  # -o/-e path could not be opened; nothing ran
    ARRAY = "array"  # `explain 123` of an array: how its tasks ended (see `family`)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Evidence:
    """One fact a diagnosis used: where it came from, which field or line, and its value."""

    source: str  # "sacct", "scontrol", "log", "script", "longrun"
    item: str  # a field name ("ExitCode", "123.batch State") or "line 12"
    value: str

    def as_json(self) -> dict[str, str]:
        return {"source": self.source, "item": self.item, "value": self.value}

    def __str__(self) -> str:
        return f"{self.source} {self.item}: {self.value}"


@dataclass(frozen=True)
class LogTail:
    """What the caller found when it tried to read the job's output file (the tail only).

    `text` is None when nothing was readable; `problem` then says why ("no such file",
    "permission denied", "no path known"). `guessed` marks a path built from WorkDir and
    Slurm's default `slurm-%j.out` rather than one Slurm reported. `directory_exists` is
    False when the file's directory does not exist (the output could never have been created).
    """

    path: str | None
    text: str | None = None
    problem: str | None = None
    guessed: bool = False
    directory_exists: bool | None = None
    first_line: int | None = 1  # number in the whole file of the tail's first line; None when unknown

    @property
    def readable(self) -> bool:
        return self.text is not None


@dataclass(frozen=True)
class Diagnosis:
    """Why a job ended, in plain words, with the facts used and a fix with concrete numbers."""

    kind: DiagnosisKind
    title: str
    explanation: str
    evidence: tuple[Evidence, ...] = ()
    suggestion: str | None = None
    fix_options: dict[str, str] = field(default_factory=dict)  # sbatch option -> value, e.g. {"mem": "640M"}
    ambiguous: tuple[str, ...] = ()
    exit_codes: tuple[int, ...] = ()  # the script's possible real exit codes, when it exited by itself
    signal: str | None = None  # e.g. "SIGKILL", when a signal is part of the story
    cancelled_by: str | None = None  # user name (or "uid N") that cancelled the job
    handler_snippet: str | None = None  # a bash trap to add when the job has no warning-signal handler
    failed_steps: tuple[FailedStep, ...] = ()  # steps that did not succeed, when the job's processes decided
    memory: MemoryFacts | None = None  # request and peak per node, the unit it asked in
    time: TimeAdvice | None = None  # time advice within the partition's MaxTime (time-related endings)
    pending: PendingFacts | None = None  # why a pending job waits, Slurm's start estimate
    chain: ChainStory | None = None  # the longrun chain the job is a link of
    family: FamilySummary | None = None  # the tasks of an array, the components of a heterogeneous job

    def details(self) -> list[str]:
        """The further facts in plain sentences, as `longrun explain` and the Diagnosis pane show them."""
        lines = [f"Did not succeed: {step.sentence()}" for step in self.failed_steps]
        if self.pending is not None:
            lines += self.pending.sentences()
        if self.family is not None:
            lines += self.family.sentences()
        if self.chain is not None:
            lines += self.chain.sentences()
        return lines

    @property
    def continues_chain(self) -> bool:
        """Whether a longrun chain answers this ending by submitting its next link."""
        return self.kind in _CONTINUES

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "title": self.title,
            "explanation": self.explanation,
            "evidence": [e.as_json() for e in self.evidence],
            "suggestion": self.suggestion,
            "fix_options": dict(self.fix_options),
            "ambiguous": list(self.ambiguous),
            "exit_codes": list(self.exit_codes),
            "signal": self.signal,
            "cancelled_by": self.cancelled_by,
            "handler_snippet": self.handler_snippet,
            "continues_chain": self.continues_chain,
            "failed_steps": [step.as_json() for step in self.failed_steps],
            "memory": self.memory.as_json() if self.memory else None,
            "time": self.time.as_json() if self.time else None,
            "pending": self.pending.as_json() if self.pending else None,
            "chain": self.chain.as_json() if self.chain else None,
            "family": self.family.as_json() if self.family else None,
            "details": self.details(),
        }


_CONTINUES = frozenset(
    {
        DiagnosisKind.TIMEOUT,
        DiagnosisKind.PREEMPTED,
        DiagnosisKind.NODE_FAIL,
        DiagnosisKind.BOOT_FAIL,
        DiagnosisKind.DEADLINE,
        DiagnosisKind.REVOKED,
        DiagnosisKind.CHECKPOINTED,
    }
)
