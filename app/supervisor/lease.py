"""One supervisor per registry: an flock held for the supervisor's life and a heartbeat file.

The lock is `locks/supervisor`, in the registry's private directory: nobody else can open it, so
it is held exactly while this user's supervisor lives, and trying it is the exact liveness test
(`supervisor_alive`; the heartbeat's age only decides when the lock cannot be tried).
`ensure_supervisor()` is what every `longrun` command and the dashboard call: it tries the lock,
and when it gets it (no supervisor alive) it starts a detached supervisor (new session, output to
supervisor/log, mode 0600) that inherits the locked descriptor: from the moment the dead one is
found the lock is held again, so a new supervisor "runs" at once, however slow its start on a
loaded machine. Two racing starters are harmless: only one gets the lock.

Versions before the private lock used `supervisor/lock`, which colleagues could open and hold;
it counts only together with a fresh heartbeat from such a version (an upgrade while one runs).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.registry import Registry, RegistryError
from app.registry.files import LockBusy, atomic_write, flock_within, read_regular

HEARTBEAT_STALE_SECONDS = 90.0
LOCK_NAME = "supervisor"
PROBE_GRACE = 0.3  # seconds a starting supervisor waits out someone trying its lock
IDLE_EXIT_SECONDS = 900  # a background supervisor with nothing to watch exits after this long
NO_AUTOSTART = "LONGRUN_NO_AUTOSTART"  # tests that drive supervisors themselves set it


class AlreadyRunning(Exception):
    """Another supervisor holds this registry's lock."""


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    time: float
    host: str

    @property
    def age(self) -> float:
        return max(0.0, time.time() - self.time)


def heartbeat_path(reg: Registry) -> Path:
    return reg.supervisor_dir / "heartbeat.json"


def read_heartbeat(reg: Registry) -> Heartbeat | None:
    try:
        raw = read_regular(heartbeat_path(reg), 4096)
        data = json.loads(raw) if raw is not None else None
        return Heartbeat(int(data["pid"]), float(data["time"]), str(data.get("host", ""))) if data else None
    except (RegistryError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def write_heartbeat(reg: Registry) -> None:
    """Raises RegistryWriteError when the disk is full: the caller keeps supervising."""
    data = {"pid": os.getpid(), "time": time.time(), "host": socket.gethostname(), "lock": LOCK_NAME}
    atomic_write(heartbeat_path(reg), json.dumps(data).encode(), reg.file_mode)


def lock_path(reg: Registry) -> Path:
    return reg.locks_dir / LOCK_NAME


class Lease:
    """The supervisor's exclusive lock on a registry, held until release() or process death.
    `inherited`: the descriptor ensure_supervisor() locked for this process."""

    def __init__(self, reg: Registry, inherited: int | None = None) -> None:
        reg.ensure_dirs()
        self.path = lock_path(reg)
        self.fd = self._adopt(inherited) if inherited is not None else reg.open_lock(self.path)
        try:
            # A command trying the lock (supervisor_alive) holds it for microseconds; a supervisor for good.
            flock_within(self.fd, PROBE_GRACE, self.path)
        except LockBusy:
            os.close(self.fd)
            raise AlreadyRunning(f"a supervisor{_who(reg)} already runs for {reg.home}") from None
        except RegistryError:
            os.close(self.fd)
            raise
        if legacy_supervisor_runs(reg):
            os.close(self.fd)
            raise AlreadyRunning(f"a supervisor of an older longrun{_who(reg)} still runs for {reg.home}")

    def _adopt(self, fd: int) -> int:
        """The inherited descriptor, when it is this registry's lock file (else a fresh one)."""
        try:
            mine, there = os.fstat(fd), os.stat(self.path)
        except OSError:
            return os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        if (mine.st_dev, mine.st_ino) != (there.st_dev, there.st_ino):
            with contextlib.suppress(OSError):
                os.close(fd)
            return os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        os.set_inheritable(fd, False)
        return fd

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _who(reg: Registry) -> str:
    hb = read_heartbeat(reg)
    return f" (pid {hb.pid} on {hb.host})" if hb else ""


def _held(path: Path) -> bool | None:
    """Whether someone holds an flock on path; None when it cannot be tried (no such file, no access)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return True if exc.errno in (errno.EAGAIN, errno.EACCES) else None
    finally:
        os.close(fd)
    return False


def legacy_supervisor_runs(reg: Registry) -> bool:
    """A supervisor of a version before the private lock runs: it holds the old lock AND its
    heartbeat (which has no `lock` field) is fresh. A colleague holding the old lock file alone
    counts for nothing."""
    if not _held(reg.supervisor_dir / "lock"):
        return False
    try:
        raw = read_regular(heartbeat_path(reg), 4096)
        data = json.loads(raw) if raw is not None else None
    except (RegistryError, ValueError, RecursionError):
        return False
    if not isinstance(data, dict) or "lock" in data:
        return False
    hb = read_heartbeat(reg)
    return hb is not None and hb.age < HEARTBEAT_STALE_SECONDS


def lock_is_held(reg: Registry) -> bool:
    return bool(_held(lock_path(reg)))


def supervisor_alive(reg: Registry) -> bool:
    """Exact when the lock can be tried (it is held exactly while the supervisor lives); else, e.g.
    for a registry made by an older version, a heartbeat younger than HEARTBEAT_STALE_SECONDS."""
    held = _held(lock_path(reg))
    if held is not None:
        return held or legacy_supervisor_runs(reg)
    hb = read_heartbeat(reg)
    return hb is not None and hb.age < HEARTBEAT_STALE_SECONDS


def start_detached(reg: Registry, lock_fd: int | None = None) -> int:
    """Start `longrun supervise --ensure` in a new session; returns its pid. `lock_fd`: the locked
    supervisor lock, handed to the new process (it holds the lock from its first instant)."""
    reg.ensure_dirs()
    path = reg.supervisor_dir / "log"
    log = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    with contextlib.suppress(OSError):
        if os.fstat(log).st_mode & 0o077:
            os.fchmod(log, 0o600)  # private whatever the umask: it names jobs, paths and errors
    env = dict(os.environ)
    env["LONGRUN_HOME"] = str(reg.home)
    argv = [sys.executable, "-m", "app.cli", "supervise", "--ensure", "--exit-when-idle", str(IDLE_EXIT_SECONDS)]
    if lock_fd is not None:
        argv += ["--lock-fd", str(lock_fd)]
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            pass_fds=(lock_fd,) if lock_fd is not None else (),
            env=env,
            cwd="/",
        )
    finally:
        os.close(log)
    return proc.pid


def ensure_supervisor(home: Path | None = None) -> bool:
    """Start this user's supervisor when none is alive; True when one was started. Never raises
    for a read-only or unwritable registry (the caller has its own work to do)."""
    if os.environ.get(NO_AUTOSTART):
        return False
    try:
        reg = Registry(home)
        if supervisor_alive(reg):
            return False
        reg.ensure_dirs()
        fd = reg.open_lock(lock_path(reg))
    except (OSError, RegistryError):
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # another starter got here first
        if legacy_supervisor_runs(reg):
            return False
        start_detached(reg, fd)
    except (OSError, RegistryError):
        return False
    finally:
        os.close(fd)  # the new supervisor holds the lock through its own copy of the descriptor
    return True
