"""Batch scripts, read once per (path, mtime): their text (for the diagnosis) and #SBATCH options.

The dashboard resolves the log path of every link on every refresh, and most links of a chain
share one script: the file is read again only when its size or mtime changed, and it is not even
stat-ed more than once per RECHECK_SECONDS. Only regular files are read (app.explain.files), at
most SCRIPT_BYTES of them.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from app.explain.files import read_small
from app.explain.sbatch_options import memory_option, script_directives

SCRIPT_BYTES = 64 * 1024
RECHECK_SECONDS = 2.0
_CACHE_SIZE = 256


@dataclass(frozen=True)
class Script:
    """A batch script as read: its text (maybe cut at SCRIPT_BYTES) and its #SBATCH options."""

    path: str
    text: str
    directives: tuple[str, ...]


@dataclass
class _Entry:
    stamp: tuple[int, int, int, int]  # (device, inode, size, mtime_ns)
    checked: float
    script: Script | None


_cache: OrderedDict[str, _Entry] = OrderedDict()
_lock = threading.Lock()


def read_script(path: str | None) -> Script | None:
    """The script at `path`, or None when there is none, it is not a regular file or not readable."""
    if not path:
        return None
    now = time.monotonic()
    with _lock:
        entry = _cache.get(path)
        if entry is not None and now - entry.checked < RECHECK_SECONDS:
            return entry.script
    try:
        info = os.stat(path)
    except OSError:
        return None
    stamp = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if entry is not None and entry.stamp == stamp:
        entry.checked = now
        return entry.script
    try:
        data, _info = read_small(path, SCRIPT_BYTES)
    except OSError:
        script = None
    else:
        text = data.decode("utf-8", errors="replace")
        script = Script(path, text, script_directives(text))
    with _lock:
        _cache[path] = _Entry(stamp, now, script)
        _cache.move_to_end(path)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return script


def forget_scripts() -> None:
    """Empty the cache (tests that rewrite a script within RECHECK_SECONDS)."""
    with _lock:
        _cache.clear()


def asked_memory(options: Sequence[str], script: str | None) -> str | None:
    """The memory option a job submitted with `options` and this script asked with (sbatch_options.memory_option)."""
    found = read_script(script)
    return memory_option(options, found.directives if found else ())
