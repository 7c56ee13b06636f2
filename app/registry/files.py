"""The registry's file primitives: bounded reads of regular files only, atomic replacement,
appends that are whole or cut off, and flock with a deadline.

Every failure is a RegistryError naming the file: a damaged, unreadable or odd file (a FIFO, a
directory, invalid UTF-8, JSON nested 100,000 deep) never escapes as a bare OSError,
UnicodeDecodeError or RecursionError.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import pwd
import stat
import tempfile
import time
from pathlib import Path
from typing import Any


class RegistryError(Exception):
    """A registry problem a person can act on; `str()` says which file."""


class CorruptRecord(RegistryError):
    """A registry file that cannot be read as what it should be."""


class RegistryWriteError(RegistryError):
    """A registry file could not be written (disk full, quota, read-only file system...)."""

    def __init__(self, message: str, error: int | None = None) -> None:
        super().__init__(message)
        self.errno = error


class LockBusy(RegistryError):
    """Someone held the lock for longer than the caller would wait."""


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes; None when it does not exist.

    Opened non-blocking and checked before reading: a FIFO or a device in its place never hangs
    the reader.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CorruptRecord(f"{path}: not a regular file")
        if info.st_size > limit:
            raise CorruptRecord(f"{path}: too large ({info.st_size:,} bytes; at most {limit:,})")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise CorruptRecord(f"{path}: too large (more than {limit:,} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def parse_json(data: bytes, where: str) -> Any:
    """JSON from bytes; CorruptRecord naming `where` for anything that is not valid UTF-8 JSON."""
    try:
        return json.loads(data.decode())
    except UnicodeDecodeError:
        raise CorruptRecord(f"{where}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise CorruptRecord(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise CorruptRecord(f"{where}: JSON nested too deeply") from None


def append_line(path: Path, line: bytes, mode: int) -> None:
    """Append one line and fsync it. A line is only ever whole or cut off at the end of the file,
    where readers ignore it and the next append removes it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, mode)
    except OSError as exc:
        raise RegistryWriteError(f"cannot write {path}: {exc.strerror}", exc.errno) from None
    try:
        _drop_torn_tail(fd)
        view = memoryview(line)
        while view:
            written = os.write(fd, view)  # a full disk may take part of the line: write the rest or fail
            view = view[written:]
        os.fsync(fd)
    except OSError as exc:
        raise RegistryWriteError(f"cannot write {path}: {exc.strerror}", exc.errno) from None
    finally:
        os.close(fd)


def _drop_torn_tail(fd: int) -> None:
    """A writer that died mid-append left a line without its newline: cut it off before appending,
    so that it does not become a corrupt line in the middle of the log."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    start = max(0, size - 65536)
    tail = os.pread(fd, size - start, start)
    cut = tail.rfind(b"\n")
    os.ftruncate(fd, start + cut + 1 if cut >= 0 else start)


def atomic_write(path: Path, data: bytes, mode: int = 0o640) -> None:
    """Replace path: write a temporary file, fsync, rename, fsync the directory.

    Raises RegistryWriteError (the old content stays) when the disk is full or not writable.
    """
    tmp = ""
    fd = -1
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
        tmp = ""
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise RegistryWriteError(f"cannot write {path}: {exc.strerror}", exc.errno) from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def open_private(path: Path) -> int:
    """Open (creating it 0600) a file only its owner may open: for locks, which anyone able to
    open could hold (flock works on a read-only descriptor)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            raise RegistryError(f"{path} belongs to uid {info.st_uid}, not to you: remove it")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def flock_within(fd: int, timeout: float, path: Path) -> None:
    """Take an exclusive flock on fd, waiting at most `timeout` seconds (LockBusy after that)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise RegistryError(f"cannot lock {path}: {exc.strerror}") from None
        if time.monotonic() >= deadline:
            raise LockBusy(f"{path} stayed locked for {timeout:g} s")
        time.sleep(0.05)


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def guard_own_directory(path: Path, removed_bits: int = 0o022) -> None:
    """A registry directory must be the user's own and writable by nobody else: whoever can write
    chains/ can plant a chain that the user's supervisor would submit as the user. One's own
    directory left group- or world-writable (umask 002, a chmod) is tightened (`removed_bits`: 0o077
    for the private locks/, 0 to leave a team's home as it is), another's refused."""
    info = os.stat(path)
    if info.st_uid != os.geteuid():
        raise RegistryError(
            f"the registry directory {path} belongs to {owner_name(info.st_uid)}, not to you: "
            "a colleague could plant chains in it; set LONGRUN_HOME to a directory of your own"
        )
    if stat.S_IMODE(info.st_mode) & removed_bits:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~removed_bits)
