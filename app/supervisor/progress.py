"""A chain's progress, read from its log as it grows (only the new bytes) or from its progress file.

One mechanism for everything that asks "how far is it": the no-progress guard, `longrun status`,
`longrun report` and the dashboard. A chain with `--progress REGEX` is read from the log its live
link writes, through the one follower of growing files (app.explain.follow: keeps its offset,
reads only new bytes, survives rotation and truncation, never blocks on a FIFO); a chain with
`--progress-file FILE` from that file (a number or `done/total`; only its last 4 KiB, only when its
size or mtime changed). The parsing is app/model/progress.py's.

A ProgressReader lives as long as its reader (the dashboard keeps one per chain across refreshes,
so each refresh costs a stat and the bytes written since); a one-shot caller (a CLI command, the
guard) reads the last PROGRESS_TAIL bytes of the log once.
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
from app.model.chain import ChainSpec
from app.model.progress import Progress, compile_progress_pattern, last_progress, progress_in_text

PROGRESS_TAIL = 64 * 1024  # a log is first read from its last 64 KiB: the newest progress is near its end
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
        if self._follower is None or self._follower.path != log_path:  # a new link writes another file
            self._follower = LogFollower(log_path, tail_bytes=self.tail_bytes)
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


class ProgressReaders:
    """A reader per chain, kept across refreshes (the dashboard's service keeps one of these)."""

    def __init__(self) -> None:
        self._readers: dict[str, ProgressReader] = {}

    def read(self, spec: ChainSpec, log_path: str | None) -> Progress | None:
        source = ProgressSource.of(spec)
        if source is None:
            self._readers.pop(spec.chain_id, None)
            return None
        reader = self._readers.get(spec.chain_id)
        if reader is None or reader.source != source:
            reader = self._readers[spec.chain_id] = ProgressReader(source)
        return reader.read(log_path)

    def keep_only(self, chain_ids: set[str]) -> None:
        """Forget the readers of chains no longer shown (their open state is small, but unbounded)."""
        for chain_id in [c for c in self._readers if c not in chain_ids]:
            del self._readers[chain_id]

    def __len__(self) -> int:
        return len(self._readers)
