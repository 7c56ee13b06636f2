"""Reading a growing log file incrementally: keep the offset, read only new bytes, survive rotation.

No Textual here (the Log pane drives it from a worker). A file that is missing, replaced
(rotated: another inode), truncated (smaller than our offset) or huge (more new bytes than we
would ever show) is handled by starting again from its tail and saying so in a notice.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field

TAIL_BYTES = 256 * 1024  # at most this much of a file is ever read in one go


@dataclass(frozen=True)
class LogChunk:
    """What one read found: lines to append (after clearing, when `reset`), and a notice for the reader."""

    lines: tuple[str, ...] = ()
    reset: bool = False
    notice: str | None = None


@dataclass
class LogFollower:
    """Follows one path; call `read()` whenever the file may have changed (cheap when it did not)."""

    path: str
    tail_bytes: int = TAIL_BYTES
    offset: int = 0
    identity: tuple[int, int] | None = None  # (device, inode) of the file we are reading
    _partial: str = ""
    _missing_reported: bool = False
    _decoder: codecs.IncrementalDecoder = field(default_factory=lambda: _new_decoder())

    def read(self) -> LogChunk:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return self._missing()
        except OSError as exc:
            return self._missing(f"cannot read {self.path}: {exc.strerror or exc}")
        self._missing_reported = False
        identity = (stat.st_dev, stat.st_ino)
        size = stat.st_size
        notice: str | None = None
        reset = False
        if self.identity is None:
            start, reset = max(0, size - self.tail_bytes), True
            if start:
                notice = f"showing the last {_kib(self.tail_bytes)} of {_kib(size)}"
        elif identity != self.identity:
            start, reset = max(0, size - self.tail_bytes), True
            notice = "the log file was replaced (rotated): reading the new one"
        elif size < self.offset:
            start, reset = max(0, size - self.tail_bytes), True
            notice = "the log file was truncated: reading it again"
        elif size - self.offset > self.tail_bytes:
            start, reset = size - self.tail_bytes, True
            notice = f"skipped {_kib(start - self.offset)} written at once; showing the last {_kib(self.tail_bytes)}"
        else:
            start = self.offset
        if start == size and not reset:
            return LogChunk()
        try:
            data = _read_range(self.path, start, size)
        except OSError as exc:
            return LogChunk(notice=f"cannot read {self.path}: {exc.strerror or exc}")
        self.identity = identity
        self.offset = start + len(data)
        if reset:
            self._partial = ""
            self._decoder = _new_decoder()
        text = self._partial + self._decoder.decode(data)
        if reset and start > 0:
            text = text.split("\n", 1)[1] if "\n" in text else ""  # drop the cut first line
        *complete, self._partial = text.split("\n")
        return LogChunk(tuple(line.rstrip("\r") for line in complete), reset, notice)

    def pending_line(self) -> str:
        """The last line when it has no newline yet (a progress line still being written)."""
        return self._partial

    def _missing(self, why: str | None = None) -> LogChunk:
        first = not self._missing_reported
        had_file = self.identity is not None
        self._missing_reported = True
        self.identity, self.offset, self._partial = None, 0, ""
        if not first:
            return LogChunk()
        if why is None:
            why = f"{self.path} is gone; waiting for it to come back" if had_file else f"waiting for {self.path}"
        return LogChunk(reset=True, notice=why)


def _read_range(path: str, start: int, end: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def _new_decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def _kib(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{max(1, size // 1024)} KiB"
