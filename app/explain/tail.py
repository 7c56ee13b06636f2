"""The one tail reader: the last lines of a job's log, numbered as in the whole file.

`longrun explain` and the dashboard's Diagnosis pane quote log lines as `file:line`; the numbers
are exact (the lines before the tail are counted, up to COUNT_LINES_UP_TO bytes; beyond that they
are reported unknown, never invented). Files are opened through app.explain.files (regular files
only, never blocking, bounded reads); an unchanged file (same inode, size, mtime) is not read again.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from app.diagnose import LogTail
from app.explain.files import count_lines, describe_open_error, open_regular, read_at

TAIL_BYTES = 64 * 1024
TAIL_LINES = 60
COUNT_LINES_UP_TO = 16 * 1024 * 1024  # count the skipped lines (for exact line numbers) in files up to this size
_TAIL_CACHE_SIZE = 64

_tails: OrderedDict[tuple[object, ...], LogTail] = OrderedDict()
_tails_lock = threading.Lock()


def read_tail(path: str, guessed: bool = False) -> LogTail:
    """The last TAIL_LINES lines of the log at `path`, numbered as in the whole file, or why not.

    A path we guessed (Slurm's default name, a file found by scanning a directory) is not
    followed when it is a symlink. Unchanged files (same inode, size, mtime) are not read again.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        with open_regular(path, follow_symlinks=not guessed) as (fd, info):
            key = (path, guessed, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
            with _tails_lock:
                cached = _tails.get(key)
            if cached is not None:
                return cached
            tail = _read_tail(fd, info.st_size, path, guessed)
    except OSError as exc:
        exists = True if not isinstance(exc, FileNotFoundError) else os.path.isdir(directory)
        return LogTail(path, problem=describe_open_error(exc), guessed=guessed, directory_exists=exists)
    with _tails_lock:
        _tails[key] = tail
        while len(_tails) > _TAIL_CACHE_SIZE:
            _tails.popitem(last=False)
    return tail


def _read_tail(fd: int, size: int, path: str, guessed: bool) -> LogTail:
    start = max(0, size - TAIL_BYTES)
    data = read_at(fd, TAIL_BYTES, start)
    skipped: int | None = 0
    if start:
        skipped = count_lines(fd, start) if size <= COUNT_LINES_UP_TO else None
    lines = data.decode("utf-8", errors="replace").splitlines()
    if start:
        lines = lines[1:]  # the first line is cut
        if skipped is not None:
            skipped += 1
    kept = lines[-TAIL_LINES:]
    first = None if skipped is None else skipped + len(lines) - len(kept) + 1
    return LogTail(path, text="\n".join(kept), guessed=guessed, directory_exists=True, first_line=first)
