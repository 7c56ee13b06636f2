"""A chain's progress, read from its log as it grows (only the new bytes) or from its progress file.

One mechanism for everything that asks "how far is it": the no-progress guard, `longrun status`,
`longrun report` and the dashboard. A chain with `--progress REGEX` is read from the log its live
link writes, through the one follower of growing files (app.explain.follow: keeps its offset,
reads only new bytes, survives rotation and truncation, never blocks on a FIFO); a chain with
`--progress-file FILE` from that file (a number or `done/total`; only its last 4 KiB, only when its
size or mtime changed). The parsing is app/model/progress.py's.

A ProgressReader lives as long as its reader (the dashboard keeps one per chain across refreshes,
so each refresh costs a stat and the bytes written since). Its first read of a log, and a one-shot
caller's (a CLI command, the no-progress guard: `progress_now`), looks for the newest progress line
from the end of the log backwards, a block at a time, at most SCAN_LIMIT bytes: a job that prints
a lot after its last progress line is still read right, and a huge log costs a bounded read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from app.explain.files import open_regular, read_at
from app.explain.follow import LogFollower
from app.explain.logpaths import link_logs
from app.model.chain import ChainSpec, Link
from app.model.progress import Progress, compile_progress_pattern, last_progress, progress_in_line, progress_in_text
from app.slurm.records import JobAccounting

PROGRESS_TAIL = 64 * 1024  # the follower reads at most this much written since its last read (a burst: its end)
SCAN_BLOCK = 64 * 1024
SCAN_LIMIT = 8 * 1024 * 1024  # the newest progress line is looked for in the last 8 MiB of a log at most
FILE_TAIL = 4096  # a progress file is one number or done/total: its last line is all we read


@dataclass(frozen=True)
class ProgressSource:
    """Where a chain reports its progress: a pattern for its log, or a file."""

    pattern: re.Pattern[str] | None = None
    file: str | None = None  # absolute

    @classmethod
    def of(cls, spec: ChainSpec) -> ProgressSource | None:
        """The chain's source; None when it reports none."""
        policy = spec.policy
        if policy.progress_regex:  # checked when the Policy was made
            return cls(pattern=_compiled(policy.progress_regex))
        if policy.progress_file:
            return cls(file=str(Path(spec.workdir) / policy.progress_file))
        return None


@lru_cache(maxsize=1024)
def _compiled(text: str) -> re.Pattern[str]:
    return compile_progress_pattern(text)


def _written_at(path: str) -> datetime | None:
    """When the file was last written (its mtime; the newest lines were written then)."""
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime)
    except OSError:
        return None


@dataclass(frozen=True)
class LogScan:
    """The newest progress line from a log's end backwards, and where the log's complete lines end."""

    progress: Progress | None
    identity: tuple[int, int] | None  # (device, inode) of the file scanned
    lines_end: int  # the offset just after its last newline: a follower goes on from there


def scan_log(pattern: re.Pattern[str], path: str, limit: int = SCAN_LIMIT) -> LogScan:
    """The newest line of the log at `path` that reports progress (complete lines only), read backwards
    a block at a time, at most `limit` bytes. Never blocks (regular files only)."""
    try:
        with open_regular(path) as (fd, info):
            identity, size = (info.st_dev, info.st_ino), info.st_size
            written = datetime.fromtimestamp(info.st_mtime)
            position, pending, lines_end = size, b"", None
            while position > 0 and size - position < limit:
                start = max(0, position - SCAN_BLOCK)
                pending = read_at(fd, position - start, start) + pending
                position = start
                if lines_end is None:  # what follows the last newline is a line still being written
                    cut = pending.rfind(b"\n")
                    if cut < 0:
                        continue
                    lines_end, pending = position + cut + 1, pending[:cut]
                head, newline, body = pending.partition(b"\n") if position else (b"", b"\n", pending)
                if not newline:  # no line starts in what was read yet
                    continue
                for line in reversed(body.split(b"\n")):
                    found = progress_in_line(pattern, line.decode("utf-8", errors="replace"))
                    if found is not None:
                        return LogScan(replace(found, at=written), identity, lines_end)
                pending = head
            if lines_end is None:  # no newline at all: the one line is unfinished (or past the limit)
                lines_end = 0 if position == 0 else size
            return LogScan(None, identity, lines_end)
    except OSError:
        return LogScan(None, None, 0)


def read_progress_file(path: str) -> Progress | None:
    """The progress a file holds now (its last line); None when it is missing, not a regular file, or
    holds something else."""
    try:
        with open_regular(path) as (fd, info):
            start = max(0, info.st_size - FILE_TAIL)
            data = read_at(fd, FILE_TAIL, start)
    except OSError:
        return None
    return progress_in_text(data.decode("utf-8", errors="replace"))


class ProgressReader:
    """One chain's progress; call read() whenever it may have changed (cheap when nothing did)."""

    def __init__(self, source: ProgressSource, tail_bytes: int = PROGRESS_TAIL) -> None:
        self.source = source
        self.tail_bytes = tail_bytes
        self.latest: Progress | None = None
        self._follower: LogFollower | None = None
        self._file_stamp: tuple[int, int, int] | None = None

    def read(self, log_path: str | None) -> Progress | None:
        """The newest progress; `log_path` is the file the chain's live link writes (for a pattern)."""
        if self.source.pattern is not None:
            self._read_log(self.source.pattern, log_path)
        elif self.source.file is not None:
            self._read_file(self.source.file)
        return self.latest

    def _read_log(self, pattern: re.Pattern[str], log_path: str | None) -> None:
        if log_path is None:
            return
        if self._follower is None or self._follower.path != log_path:  # first read, or a new link's file
            scan = scan_log(pattern, log_path)
            if scan.progress is not None:
                self.latest = scan.progress
            self._follower = LogFollower(log_path, tail_bytes=self.tail_bytes, offset=scan.lines_end,
                                         identity=scan.identity)  # fmt: skip
            if scan.identity is not None:
                return
        chunk = self._follower.read()
        found = last_progress(pattern, chunk.lines)
        if found is not None:
            self.latest = replace(found, at=_written_at(log_path))

    def _read_file(self, path: str) -> None:
        try:
            info = os.stat(path)
        except OSError:
            self._file_stamp, self.latest = None, None
            return
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        if stamp != self._file_stamp:
            self._file_stamp = stamp
            found = read_progress_file(path)
            self.latest = replace(found, at=datetime.fromtimestamp(info.st_mtime)) if found else None


def link_log_path(spec: ChainSpec, link: Link | None, live: JobAccounting | None = None) -> str | None:
    """Where a link writes its output, resolved as Slurm does (app.explain.logpaths): the log its
    progress lines are in."""
    logs = link_logs(spec, link, live) if link is not None else None
    return logs.stdout.path if logs is not None else None


def progress_now(spec: ChainSpec, log_path: str | None) -> Progress | None:
    """The chain's progress now, read once (the no-progress guard asks at a link's submit and end)."""
    source = ProgressSource.of(spec)
    if source is None:
        return None
    if source.pattern is not None:
        return scan_log(source.pattern, log_path).progress if log_path else None
    return read_progress_file(source.file) if source.file else None


class ProgressReaders:
    """A reader per chain, kept across refreshes (the dashboard's service keeps one of these)."""

    def __init__(self) -> None:
        self._readers: dict[tuple[str, str], ProgressReader] = {}  # by (owner, chain id)

    def read(self, spec: ChainSpec, log_path: str | None) -> Progress | None:
        source = ProgressSource.of(spec)
        if source is None:
            self._readers.pop((spec.owner, spec.chain_id), None)
            return None
        reader = self._readers.get((spec.owner, spec.chain_id))
        if reader is None or reader.source != source:
            reader = self._readers[(spec.owner, spec.chain_id)] = ProgressReader(source)
        return reader.read(log_path)

    def keep_only(self, keys: set[tuple[str, str]]) -> None:
        """Forget the readers of chains no longer shown ((owner, chain id); each holds little, but they add up)."""
        for key in [k for k in self._readers if k not in keys]:
            del self._readers[key]

    def __len__(self) -> int:
        return len(self._readers)
