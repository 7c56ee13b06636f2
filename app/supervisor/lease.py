"""One supervisor per registry: an flock held for the supervisor's life and a heartbeat file.

`ensure_supervisor()` is what every `longrun` command and the TUI call: cheap when the
heartbeat is fresh (one stat + read), and otherwise it starts a detached supervisor (new
session, stdio to supervisor/log). Two racing starters are harmless: the loser of the flock
exits quietly.
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

from app.registry import Registry
from app.registry.store import atomic_write

HEARTBEAT_STALE_SECONDS = 90.0
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
        data = json.loads(heartbeat_path(reg).read_text())
        return Heartbeat(int(data["pid"]), float(data["time"]), str(data.get("host", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_heartbeat(reg: Registry) -> None:
    data = {"pid": os.getpid(), "time": time.time(), "host": socket.gethostname()}
    atomic_write(heartbeat_path(reg), json.dumps(data).encode(), reg.file_mode)


class Lease:
    """The supervisor's exclusive lock on a registry, held until release() or process death."""

    def __init__(self, reg: Registry) -> None:
        reg.ensure_dirs()
        self.path = reg.supervisor_dir / "lock"
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, reg.file_mode)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                hb = read_heartbeat(reg)
                who = f" (pid {hb.pid} on {hb.host})" if hb else ""
                raise AlreadyRunning(f"a supervisor{who} already runs for {reg.home}") from None
            raise

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def lock_is_held(reg: Registry) -> bool:
    path = reg.supervisor_dir / "lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def supervisor_alive(reg: Registry) -> bool:
    hb = read_heartbeat(reg)
    if hb is not None and hb.age < HEARTBEAT_STALE_SECONDS:
        return True
    return lock_is_held(reg)


def start_detached(reg: Registry) -> int:
    """Start `longrun supervise --ensure` in a new session; returns its pid."""
    reg.ensure_dirs()
    log = open(reg.supervisor_dir / "log", "ab")
    env = dict(os.environ)
    env["LONGRUN_HOME"] = str(reg.home)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "supervise", "--ensure", "--exit-when-idle", str(IDLE_EXIT_SECONDS)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
            cwd="/",
        )
    finally:
        log.close()
    return proc.pid


def ensure_supervisor(home: Path | None = None) -> bool:
    """Start this user's supervisor when none is alive; True when one was started. Never raises
    for a read-only or unwritable registry (the caller has its own work to do)."""
    if os.environ.get(NO_AUTOSTART):
        return False
    reg = Registry(home)
    try:
        if supervisor_alive(reg):
            return False
        start_detached(reg)
    except OSError:
        return False
    return True
