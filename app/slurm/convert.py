"""Field converters shared by the Slurm parsers: text cell -> typed value, with memo caches.

Each converter turns one cell of Slurm's text output into a typed value or raises
SlurmParseError. Values repeat a lot (states, exit codes, ReqMem, time limits, step dates), so
each converter is a dict of its answers (cleared when it grows too large).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from app.model.exit_status import ExitStatus, ExitStatusParseError
from app.model.states import JobState, ParsedState, StateParseError, parse_state
from app.model.tres import Tres
from app.model.units import Duration, MemorySize, UnitParseError
from app.slurm.errors import SlurmParseError

T = TypeVar("T")
_CACHE_LIMIT = 50_000
_EMPTY_TIMES = frozenset({"", "Unknown", "None", "N/A", "(null)"})
_EMPTY_TEXT = frozenset({"", "(null)"})


class CellCache(dict[str, T]):
    """A converter that remembers its answers: `cache[text]` (or `cache(text)`) is the typed value.

    A dict subclass whose `__missing__` parses, so a hit costs one C-level dict lookup: this is
    the sacct hot path. Bad text raises SlurmParseError (and is not remembered).
    """

    def __init__(self, parse: Callable[[str], T], what: str) -> None:
        super().__init__()
        self._parse = parse
        self._what = what

    def __missing__(self, text: str) -> T:
        try:
            value = self._parse(text)
        except (ValueError, KeyError, IndexError, OverflowError, TypeError) as exc:
            raise SlurmParseError(f"cannot read {self._what} {text[:80]!r}: {exc}", text) from None
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[text] = value
        return value

    def __call__(self, text: str) -> T:
        return self[text]


def _state(text: str) -> ParsedState:
    try:
        return parse_state(text)
    except StateParseError as exc:
        raise ValueError(str(exc)) from None


def _exit(text: str) -> ExitStatus:
    if not text.strip():
        return ExitStatus(0, 0)  # a NODE_FAIL job's batch step row: sacct leaves ExitCode empty
    try:
        return ExitStatus.parse(text)
    except ExitStatusParseError as exc:
        raise ValueError(str(exc)) from None


def _time(text: str) -> datetime | None:
    text = text.strip()
    if text in _EMPTY_TIMES:
        return None
    return datetime.fromisoformat(text)


def _duration(text: str) -> Duration | None:
    try:
        return Duration.parse(text)
    except UnitParseError as exc:
        raise ValueError(str(exc)) from None


def _memory(text: str) -> tuple[MemorySize | None, str]:
    """`207688K` -> (size, ""); ReqMem `200Mc` -> (size, "c") per CPU, `16000Mn` -> (size, "n") per
    node (the suffixes of Slurm before 21.08); empty -> (None, "").

    Lenient on purpose: sacct 22.05 prints ReqMem `16?` for a job whose start has not reached
    slurmdbd yet; a measurement we cannot read is unknown (None), not a reason to fail a poll.
    """
    text = text.strip()
    if text in _EMPTY_TEXT:
        return None, ""
    try:
        size = MemorySize.parse(text, default_unit="")
    except UnitParseError:
        return None, ""
    form = text[-1:].lower()
    return size, form if form in ("c", "n") else ""


def _int(text: str) -> int | None:
    text = text.strip()
    if text in _EMPTY_TEXT:
        return None
    return int(text)


parse_state_cell = CellCache(_state, "job state")
parse_exit_cell = CellCache(_exit, "exit code")
parse_time_cell = CellCache(_time, "date")
parse_duration_cell = CellCache(_duration, "duration")
parse_memory_cell = CellCache(_memory, "memory size")
parse_int_cell = CellCache(_int, "number")


def parse_tres_cell(text: str) -> Tres | None:
    """A TRES list (`cpu=4,mem=400M,node=1`), read lazily; empty -> None. Never fails (see Tres)."""
    return None if text in _EMPTY_TEXT else Tres(text)


def parse_cpu_time(text: str) -> Duration | None:
    """TotalCPU (`06:57.815`, `4-23:56:21`, `451-06:00:24`) without a memo: its values rarely repeat."""
    try:
        return Duration.parse(text)
    except UnitParseError as exc:
        raise SlurmParseError(f"cannot read CPU time {text[:80]!r}: {exc}", text) from None


def parse_base_state(text: str) -> JobState:
    """Only the state of a state cell (squeue and scontrol print no `by UID`)."""
    return parse_state_cell(text).state


def text_or_none(text: str) -> str | None:
    """Empty and `(null)` cells become None."""
    return None if text in _EMPTY_TEXT else text
