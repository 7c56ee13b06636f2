"""The registry's change journal, `chains/.changes`: one line per change, the id of the chain changed.

Every writer of this version appends the chain's id after it changed the chain (a new chain, an
appended event, a removal), so that readers learn WHICH chains changed by reading the journal's
new bytes: one open and a short read, however many chains the registry holds. That is what keeps
a supervisor cycle and a dashboard refresh from touching finished chains, and it is what the
supervisor waits on between cycles to see a link's wrapper report its end (open() revalidates a
file's attributes on NFS, where inotify does not see other hosts' writes).

It is a hint, never the truth: lines may be lost (the journal is rotated at 1 MiB by renaming a
new one into place, O_APPEND is not atomic across NFS clients), so readers also look at the
chains that are not settled and read everything again now and then (Registry.statuses).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

JOURNAL = ".changes"
ROTATE_AT = 1 << 20
MAX_READ = 4 << 20


@dataclass(frozen=True)
class JournalMark:
    """Where a reader stopped: the journal file (inode) and the offset read up to."""

    inode: int
    offset: int


def note_change(chains_dir: Path, chain_id: str, mode: int) -> None:
    """Append the chain's id. Never raises: a lost line only delays a reader until its next full read."""
    path = chains_dir / JOURNAL
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, mode)
    except OSError:
        return
    try:
        os.write(fd, f"{chain_id}\n".encode(errors="surrogateescape"))
        size = os.fstat(fd).st_size
    except OSError:
        return
    finally:
        os.close(fd)
    if size > ROTATE_AT:
        fresh = chains_dir / f".changes-{uuid.uuid4().hex[:8]}"
        with contextlib.suppress(OSError):
            os.close(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode))
            os.replace(fresh, path)  # readers see a new inode: they read everything again


def current_mark(chains_dir: Path) -> JournalMark | None:
    """The journal's end now (opened, so NFS shows other hosts' appends); None when there is none."""
    try:
        fd = os.open(chains_dir / JOURNAL, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        return JournalMark(info.st_ino, info.st_size)
    finally:
        os.close(fd)


def changes_since(chains_dir: Path, mark: JournalMark | None) -> tuple[JournalMark | None, set[str] | None]:
    """(the new mark, the ids of chains changed since `mark`); None for the ids when they cannot be
    known from the journal (no mark yet, the journal rotated or vanished): read everything."""
    try:
        fd = os.open(chains_dir / JOURNAL, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None, None
    try:
        info = os.fstat(fd)
        now = JournalMark(info.st_ino, info.st_size)
        if mark is None or mark.inode != info.st_ino or info.st_size < mark.offset:
            return now, None
        if info.st_size - mark.offset > MAX_READ:
            return now, None
        data = os.pread(fd, info.st_size - mark.offset, mark.offset)
    except OSError:
        return None, None
    finally:
        os.close(fd)
    end = data.rfind(b"\n") + 1  # a line being written is read next time
    ids = {line.decode(errors="replace") for line in data[:end].split(b"\n") if line}
    return JournalMark(now.inode, mark.offset + end), ids
