"""Reading a growing log file incrementally: keep the offset, read only new bytes, survive rotation.

No Textual here (the dashboard's Log pane drives it from a worker). A file that is missing,
replaced (rotated: another inode), truncated (smaller than our offset) or huge (more new bytes
than we would ever show) is handled by starting again from its tail and saying so in a notice.
Files are opened through app.explain.files.open_regular: a FIFO, a device or a directory is
reported ("not a regular file"), never read, and no read can block.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from app.explain.files import describe_open_error, open_regular, read_at

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
            with open_regular(self.path) as (fd, info):
                return self._read_open(fd, (info.st_dev, info.st_ino), info.st_size)
        except FileNotFoundError:
            return self._missing()
        except OSError as exc:
            return self._missing(f"cannot read {self.path}: {describe_open_error(exc)}")

    def _read_open(self, fd: int, identity: tuple[int, int], size: int) -> LogChunk:
        self._missing_reported = False
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
        data = read_at(fd, size - start, start)
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


def _new_decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def _kib(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{max(1, size // 1024)} KiB"
