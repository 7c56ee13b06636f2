"""How far a chain's work is, and when it will be done: pure.

A chain reports progress in one of two ways (its Policy): a regular expression matched against
the lines of its log (`--progress 'step (?P<done>\\d+)/(?P<total>\\d+)'`, named groups `done` and
optionally `total`, or positional groups in that order), or a file that holds a number or
`done/total` (`--progress-file`). Either gives a `Progress`; the newest one counts. Reading the
log or the file is app/progress's job; this module only reads text that was already read.

The estimate: the rate is units of work per hour of RUN time, over every link since the
baseline (the first reading the chain recorded, else 0 at its start), so time in the queue and
between links does not dilute it. The finish (ETA) adds up what is left: the rest of the current
link, then as many more links as the remaining run time needs, each one preceded by the measured
gap between links (previous end -> next start, queue included), the last one only as long as the
work left in it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

MAX_PATTERN_LENGTH = 1000
MAX_LINE_MATCHED = 4096  # progress lines are short: only a line's first 4 KiB are searched
# Work left within this share of a link's work is counted as fitting in it: the rate is an average over
# links that each start and checkpoint, so "1.02 links" is one link, not two.
FIT_SLACK = 0.05
_NUMBER = r"\d+(?:\.\d+)?"
_FILE_TEXT = re.compile(rf"^\s*({_NUMBER})\s*(?:/\s*({_NUMBER})\s*)?$")
_NUMBER_ONLY = re.compile(rf"^\s*({_NUMBER})\s*$")


class ProgressPatternError(ValueError):
    """A --progress expression that cannot be used; `str()` says why, in one line."""


@dataclass(frozen=True)
class Progress:
    """Units done, and of how many when known; `at`: when its source was last written (a log's or a
    file's mtime, Slurm's local time), so that the run time after the last report is not counted."""

    done: float
    total: float | None = None
    at: datetime | None = field(default=None, compare=False)

    @property
    def percent(self) -> float | None:
        """Done as a percentage of the total (0-100, one decimal); None without a total."""
        if self.total is None or self.total <= 0:
            return None
        return round(min(100.0, max(0.0, self.done * 100 / self.total)), 1)

    @property
    def complete(self) -> bool:
        return self.total is not None and self.done >= self.total

    def __str__(self) -> str:
        done = _number_text(self.done)
        return done if self.total is None else f"{done}/{_number_text(self.total)}"


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def compile_progress_pattern(text: str) -> re.Pattern[str]:
    """The compiled --progress expression; ProgressPatternError when it cannot give a `done` number."""
    if not text:
        raise ProgressPatternError("--progress needs a regular expression with a group for the units done")
    if len(text) > MAX_PATTERN_LENGTH:
        raise ProgressPatternError(f"--progress is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise ProgressPatternError(f"--progress is not a regular expression ({exc})") from None
    names = pattern.groupindex
    if "total" in names and "done" not in names:
        raise ProgressPatternError("--progress has a group `total` but no group `done`")
    if "done" not in names and pattern.groups < 1:
        raise ProgressPatternError(
            "--progress needs a group for the units done, e.g. 'step (?P<done>\\d+)/(?P<total>\\d+)'"
        )
    return pattern


def _groups(pattern: re.Pattern[str]) -> tuple[int | str, int | str | None]:
    names = pattern.groupindex
    if "done" in names:
        return "done", ("total" if "total" in names else None)
    return 1, (2 if pattern.groups >= 2 else None)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    match = _NUMBER_ONLY.match(text.replace(",", "").replace("_", ""))
    return float(match.group(1)) if match else None


def progress_in_line(pattern: re.Pattern[str], line: str) -> Progress | None:
    """The progress one log line reports; None when it does not match or the groups hold no number."""
    match = pattern.search(line[:MAX_LINE_MATCHED])
    if match is None:
        return None
    done_group, total_group = _groups(pattern)
    done = _number(match.group(done_group))
    if done is None:
        return None
    total = _number(match.group(total_group)) if total_group is not None else None
    return Progress(done, total if total else None)


def last_progress(pattern: re.Pattern[str], lines: Iterable[str]) -> Progress | None:
    """The newest progress in these lines (the last line that reports one)."""
    for line in reversed(list(lines)):
        found = progress_in_line(pattern, line)
        if found is not None:
            return found
    return None


def progress_in_text(text: str) -> Progress | None:
    """A progress file's text: a number or `done/total` (its last non-empty line); None for anything else."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    match = _FILE_TEXT.match(lines[-1])
    if match is None:
        return None
    total = float(match.group(2)) if match.group(2) is not None else None
    return Progress(float(match.group(1)), total if total else None)


@dataclass(frozen=True)
class Pace:
    """What the estimate needs to know about the chain's links (app/model/economics fills it)."""

    run_seconds: int  # run time of every link so far, the running one up to now
    link_run_seconds: float | None  # how long one whole link runs (measured, else its limit); None: no limit
    gap_seconds: float  # between a link's end and the next one's start, measured (queue included)
    running_elapsed: int | None = None  # the running link's run time so far; None when no link runs
    waiting_seconds: float | None = None  # no link runs: until the next one is expected to start


@dataclass(frozen=True)
class Estimate:
    """Progress with its rate and the expected finish of the whole chain."""

    progress: Progress
    rate_per_hour: float | None  # units per hour of run time, across links
    remaining_run_seconds: float | None
    links_to_start: int | None  # links the remaining work still needs to start (the running one not counted)
    eta: datetime | None  # the expected finish; for a chain that is done, when it finished
    final: bool = False  # the chain is done or stopped: nothing more is expected

    @property
    def percent(self) -> float | None:
        return self.progress.percent


def estimate(
    progress: Progress, pace: Pace, now: datetime, base_done: float = 0.0, base_run_seconds: int = 0
) -> Estimate:
    """Rate and finish from the newest progress; `base_done` was done after `base_run_seconds` of run.

    While a link runs, the estimate is made as of the moment the progress was written
    (`progress.at`, when known and within the running link): the run time since then has done work
    that is not reported yet, and counting it would make the rate look slower than it is.
    """
    running = pace.running_elapsed
    if progress.at is not None and running is not None:
        lag = int(min(max(0.0, (now - progress.at).total_seconds()), float(running)))
        pace = replace(pace, run_seconds=pace.run_seconds - lag, running_elapsed=running - lag)
        now = now - timedelta(seconds=lag)
    ran = pace.run_seconds - base_run_seconds
    gained = progress.done - base_done
    rate = gained * 3600 / ran if ran > 0 and gained > 0 else None
    if rate is None or progress.total is None:
        return Estimate(progress, rate, None, None, None)
    left = max(0.0, progress.total - progress.done) * 3600 / rate
    if left == 0:
        return Estimate(progress, rate, 0.0, 0, now)
    per_link = pace.link_run_seconds if pace.link_run_seconds and pace.link_run_seconds > 0 else None
    gap = max(0.0, pace.gap_seconds)
    if pace.running_elapsed is not None:
        in_current = left if per_link is None else max(0.0, per_link - pace.running_elapsed)
        if per_link is None or left <= in_current * (1 + FIT_SLACK):
            return Estimate(progress, rate, left, 0, now + timedelta(seconds=left))
        rest = left - in_current
        links = max(1, math.ceil(rest / per_link - FIT_SLACK))
        return Estimate(progress, rate, left, links, now + timedelta(seconds=in_current + links * gap + rest))
    links = 1 if per_link is None else max(1, math.ceil(left / per_link - FIT_SLACK))
    wait = gap if pace.waiting_seconds is None else max(0.0, pace.waiting_seconds)
    return Estimate(progress, rate, left, links, now + timedelta(seconds=wait + left + (links - 1) * gap))
