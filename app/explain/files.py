"""Reading files named by users, Slurm or a colleague: regular files only, never blocking, bounded.

A log path can be anything: a FIFO (opening it for reading blocks until a writer comes), a
device (/dev/zero never ends), a directory, a symlink to one of those, a 2 GB file. Every read
here goes through `open_regular`: it refuses what `stat` says is not a regular file without
opening it, then opens with O_NONBLOCK (and O_NOFOLLOW for paths we guessed ourselves), checks
S_ISREG again with fstat (the path may have changed in between), and reads a bounded amount.

Standard library only: the dashboard's Log pane (app.explain.follow) imports it from a widget.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK = 1024 * 1024

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class NotRegularFile(OSError):
    """The path names something other than a regular file (FIFO, device, directory, socket)."""


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(path: str, mode: int) -> NotRegularFile:
    kind = file_kind(mode)
    what = "not a regular file" if kind == "not a regular file" else f"not a regular file ({kind})"
    return NotRegularFile(errno.EINVAL, what, path)


@contextmanager
def open_regular(path: str, follow_symlinks: bool = True) -> Iterator[tuple[int, os.stat_result]]:
    """A read-only descriptor of the regular file at `path`, and its fstat.

    Raises NotRegularFile for anything else, OSError (FileNotFoundError, PermissionError, ELOOP
    for a symlink when follow_symlinks is False) when it cannot be opened. Never blocks on open.
    """
    before = os.stat(path, follow_symlinks=follow_symlinks)
    if not stat.S_ISREG(before.st_mode) and not (stat.S_ISLNK(before.st_mode) and not follow_symlinks):
        raise _refuse(path, before.st_mode)
    flags = _FLAGS | (0 if follow_symlinks else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(path, info.st_mode)
        yield fd, info
    finally:
        os.close(fd)


def read_at(fd: int, size: int, offset: int) -> bytes:
    """Up to `size` bytes at `offset` (fewer at the end of the file)."""
    parts: list[bytes] = []
    while size > 0:
        data = os.pread(fd, min(size, CHUNK), offset)
        if not data:
            break
        parts.append(data)
        size -= len(data)
        offset += len(data)
    return b"".join(parts)


def count_lines(fd: int, upto: int) -> int:
    """Newlines in the first `upto` bytes."""
    count = offset = 0
    while offset < upto:
        data = os.pread(fd, min(CHUNK, upto - offset), offset)
        if not data:
            break
        count += data.count(b"\n")
        offset += len(data)
    return count


def describe_open_error(exc: OSError) -> str:
    """The reason a file could not be read, in the words the diagnosis and the Log pane show."""
    if isinstance(exc, NotRegularFile):
        return exc.strerror or "not a regular file"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "a symbolic link (not followed for a guessed name)"
    return exc.strerror or str(exc)


def read_small(path: str, limit: int, follow_symlinks: bool = True) -> tuple[bytes, os.stat_result]:
    """The first `limit` bytes of a regular file, and its stat (OSError / NotRegularFile otherwise)."""
    with open_regular(path, follow_symlinks) as (fd, info):
        return read_at(fd, limit, 0), info
