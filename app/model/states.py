"""Slurm job states and what each one means for a person and for a chain.

A state name this version does not know (a newer Slurm may add one) parses as UNKNOWN, which is
neither an ending nor a live state: nothing decides on it, and the text is kept for the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class JobState(Enum):
    """Base job states as sacct, squeue and scontrol print them (long form)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    REQUEUED = "REQUEUED"
    REQUEUE_HOLD = "REQUEUE_HOLD"
    REQUEUE_FED = "REQUEUE_FED"
    RESV_DEL_HOLD = "RESV_DEL_HOLD"  # held: its reservation was deleted (Slurm 21.08+)
    RESIZING = "RESIZING"
    COMPLETING = "COMPLETING"
    CONFIGURING = "CONFIGURING"
    STAGE_OUT = "STAGE_OUT"
    SIGNALING = "SIGNALING"
    STOPPED = "STOPPED"
    SPECIAL_EXIT = "SPECIAL_EXIT"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"
    PREEMPTED = "PREEMPTED"
    NODE_FAIL = "NODE_FAIL"
    BOOT_FAIL = "BOOT_FAIL"
    DEADLINE = "DEADLINE"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    REVOKED = "REVOKED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """The job will not run again under this id (REQUEUED is not terminal: the id runs again)."""
        return self in _TERMINAL

    @property
    def is_success(self) -> bool:
        return self is JobState.COMPLETED

    @property
    def continues_chain(self) -> bool:
        """An ending that a chain answers by submitting its next link."""
        return self in _CONTINUE

    @property
    def is_active(self) -> bool:
        """Queued, running or about to run again: a live link."""
        return not self.is_terminal and self is not JobState.UNKNOWN


_TERMINAL = frozenset(
    {
        JobState.COMPLETED,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.TIMEOUT,
        JobState.PREEMPTED,
        JobState.NODE_FAIL,
        JobState.BOOT_FAIL,
        JobState.DEADLINE,
        JobState.OUT_OF_MEMORY,
        JobState.REVOKED,
        JobState.SPECIAL_EXIT,
    }
)
_CONTINUE = frozenset(
    {JobState.TIMEOUT, JobState.PREEMPTED, JobState.NODE_FAIL, JobState.BOOT_FAIL, JobState.DEADLINE, JobState.REVOKED}
)

_SHORT = {
    "PD": JobState.PENDING, "R": JobState.RUNNING, "S": JobState.SUSPENDED, "RQ": JobState.REQUEUED,
    "RH": JobState.REQUEUE_HOLD, "RF": JobState.REQUEUE_FED, "RD": JobState.RESV_DEL_HOLD, "RS": JobState.RESIZING,
    "CG": JobState.COMPLETING,
    "CF": JobState.CONFIGURING, "SO": JobState.STAGE_OUT, "SI": JobState.SIGNALING, "ST": JobState.STOPPED,
    "SE": JobState.SPECIAL_EXIT, "CD": JobState.COMPLETED, "F": JobState.FAILED, "CA": JobState.CANCELLED,
    "TO": JobState.TIMEOUT, "PR": JobState.PREEMPTED, "NF": JobState.NODE_FAIL, "BF": JobState.BOOT_FAIL,
    "DL": JobState.DEADLINE, "OOM": JobState.OUT_OF_MEMORY, "RV": JobState.REVOKED,
}  # fmt: skip

_STATE_RE = re.compile(r"^([A-Z_]+)\+?(?:\s+by\s+(\d+))?$")


class StateParseError(ValueError):
    """A state string Slurm does not print."""


@dataclass(frozen=True)
class ParsedState:
    """A state as printed: `CANCELLED by 1234` gives CANCELLED and the uid that cancelled.

    `unknown` holds the name when it is one this version does not know (state is then UNKNOWN).
    """

    state: JobState
    by_uid: int | None = None
    unknown: str | None = None


_BY_NAME = {s.value: s for s in JobState}


def parse_state(text: str) -> ParsedState:
    """Parse `RUNNING`, `CANCELLED by 0`, `CANCELLED+`, `PD`, `OOM`; a well-formed name this version
    does not know gives UNKNOWN (with the name in `unknown`); anything else is a StateParseError."""
    text = text.strip()
    match = _STATE_RE.match(text)
    if not match:
        raise StateParseError(f"not a Slurm job state: {text!r}")
    name, uid = match.groups()
    by_uid = int(uid) if uid is not None else None
    state = _BY_NAME.get(name) or _SHORT.get(name)
    if state is None:
        return ParsedState(JobState.UNKNOWN, by_uid, unknown=name)
    return ParsedState(state, by_uid)
