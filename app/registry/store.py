"""Chains on disk: one directory per chain with its spec (written atomically) and its event log.

Layout under the registry home ($LONGRUN_HOME, else $XDG_STATE_HOME/longrun, else
~/.local/state/longrun):

    chains/<chain_id>/spec.json     the ChainSpec (tmp + fsync + rename; never rewritten in place)
    chains/<chain_id>/env.json      the submitter's environment for later links (mode 0600)
    chains/<chain_id>/events.jsonl  append-only, one JSON object per line, fsynced
    chains/<chain_id>/lock          fcntl lock: one writer decides for a chain at a time
    supervisor/                     the supervisor's lock, heartbeat and log

Directories are 0o750 and files 0o640 by default (group members can watch read-only); set
LONGRUN_UMASK (octal, e.g. 077) to change it. Readers tolerate a torn last line (a writer that
died mid-append) and report any other damage as CorruptRecord.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.model.chain import ChainSpec, ChainStatus
from app.registry.derive import derive

SCHEMA_VERSION = 1
DEFAULT_UMASK = 0o027


class RegistryError(Exception):
    """A registry problem a person can act on; `str()` says which file."""


class CorruptRecord(RegistryError):
    """A registry file that cannot be read as what it should be."""


class UnknownChain(RegistryError):
    """No chain with this id in the registry."""


@dataclass(frozen=True)
class DamagedChain:
    """A chain whose files cannot be read: reported the same way everywhere, its files left alone."""

    chain_id: str
    problem: str  # names the file and what is wrong with it

    def __str__(self) -> str:
        return f"chain {self.chain_id}: {self.problem}"


@dataclass(frozen=True)
class ChainStatuses:
    """Every chain of a registry: the readable ones by id, and the damaged ones, explicitly."""

    chains: dict[str, ChainStatus]
    damaged: tuple[DamagedChain, ...] = ()


def default_home(user: str | None = None) -> Path:
    """The registry of `user` (default: the current user, whose LONGRUN_HOME counts)."""
    if user is None or user == pwd.getpwuid(os.getuid()).pw_name:
        env = os.environ.get("LONGRUN_HOME")
        if env:
            return Path(env)
        state = os.environ.get("XDG_STATE_HOME")
        return (Path(state) if state else Path.home() / ".local" / "state") / "longrun"
    try:
        home = Path(pwd.getpwnam(user).pw_dir)
    except KeyError:
        raise RegistryError(f"no such user: {user}") from None
    return home / ".local" / "state" / "longrun"


def _umask() -> int:
    text = os.environ.get("LONGRUN_UMASK")
    if not text:
        return DEFAULT_UMASK
    try:
        return int(text, 8) & 0o777
    except ValueError:
        raise RegistryError(f"LONGRUN_UMASK must be octal like 027, not {text!r}") from None


def now() -> datetime:
    return datetime.now(UTC)


class Registry:
    """One user's chains. Read-only when the directory belongs to someone else."""

    def __init__(self, home: Path | None = None, read_only: bool = False) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.read_only = read_only
        self.dir_mode = 0o777 & ~_umask()
        self.file_mode = 0o666 & ~_umask()

    # -- paths ---------------------------------------------------------------------------------
    @property
    def chains_dir(self) -> Path:
        return self.home / "chains"

    @property
    def supervisor_dir(self) -> Path:
        return self.home / "supervisor"

    def chain_dir(self, chain_id: str) -> Path:
        if not chain_id or "/" in chain_id or chain_id.startswith("."):
            raise UnknownChain(f"not a chain id: {chain_id!r}")
        return self.chains_dir / chain_id

    def ensure_dirs(self) -> None:
        self._check_writable()
        for path in (self.home, self.chains_dir, self.supervisor_dir):
            path.mkdir(parents=True, exist_ok=True, mode=self.dir_mode)
            with contextlib.suppress(PermissionError):
                os.chmod(path, self.dir_mode)

    def _check_writable(self) -> None:
        if self.read_only:
            raise RegistryError(f"{self.home} is another user's registry: read-only")

    # -- chains --------------------------------------------------------------------------------
    def create_chain(self, spec: ChainSpec, env: Mapping[str, str] | None = None) -> None:
        self.ensure_dirs()
        path = self.chain_dir(spec.chain_id)
        path.mkdir(mode=self.dir_mode)
        os.chmod(path, self.dir_mode)
        if env is not None:
            self.write_json(path / "env.json", dict(env), mode=0o600)
        self.write_json(path / "spec.json", {"schema": SCHEMA_VERSION, "spec": spec.to_json()})
        self.append_event(spec.chain_id, "created")

    def delete_chain(self, chain_id: str) -> None:
        self._check_writable()
        shutil.rmtree(self.chain_dir(chain_id), ignore_errors=True)

    def chain_ids(self) -> list[str]:
        try:
            entries = sorted(p.name for p in self.chains_dir.iterdir() if (p / "spec.json").exists())
        except FileNotFoundError:
            return []
        except PermissionError as exc:
            raise RegistryError(f"cannot read {self.chains_dir}: {exc.strerror}") from None
        return entries

    def load_spec(self, chain_id: str) -> ChainSpec:
        path = self.chain_dir(chain_id) / "spec.json"
        data = self.read_json(path, missing=UnknownChain(f"no chain {chain_id} in {self.home}"))
        if not isinstance(data, dict) or "spec" not in data:
            raise CorruptRecord(f"{path}: not a chain record")
        if int(data.get("schema", 0)) > SCHEMA_VERSION:
            raise CorruptRecord(f"{path}: written by a newer longrun (schema {data.get('schema')})")
        try:
            return ChainSpec.from_json(data["spec"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecord(f"{path}: bad chain record ({exc})") from None

    def load_env(self, chain_id: str) -> dict[str, str] | None:
        path = self.chain_dir(chain_id) / "env.json"
        if not path.exists():
            return None
        data = self.read_json(path, missing=None)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None

    def status(self, chain_id: str) -> ChainStatus:
        """One chain's derived state. Raises UnknownChain, or RegistryError naming the damaged file."""
        return derive(self.load_spec(chain_id), self.read_events(chain_id))

    def statuses(self) -> ChainStatuses:
        """Every chain: one damaged chain never hides the others (it is returned in `damaged`)."""
        chains: dict[str, ChainStatus] = {}
        damaged: list[DamagedChain] = []
        for chain_id in self.chain_ids():
            try:
                chains[chain_id] = self.status(chain_id)
            except RegistryError as exc:
                damaged.append(DamagedChain(chain_id, str(exc)))
        return ChainStatuses(chains, tuple(damaged))

    # -- events --------------------------------------------------------------------------------
    def append_event(self, chain_id: str, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one event and fsync it before returning (write-ahead for the supervisor)."""
        self._check_writable()
        event = {"v": SCHEMA_VERSION, "t": now().isoformat(), "type": kind, **fields}
        line = (json.dumps(event, sort_keys=True) + "\n").encode()
        path = self.chain_dir(chain_id) / "events.jsonl"
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, self.file_mode)
        try:
            _drop_torn_tail(fd)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return event

    def read_events(self, chain_id: str) -> list[dict[str, Any]]:
        """Every complete event; a torn last line (writer died mid-append) is ignored."""
        path = self.chain_dir(chain_id) / "events.jsonl"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return []
        except PermissionError as exc:
            raise RegistryError(f"cannot read {path}: {exc.strerror}") from None
        if raw.endswith(b"\n"):
            filled = [ln for ln in raw.split(b"\n") if ln.strip()]
            try:  # one parse for the whole file; any doubt goes the careful way below
                parsed = json.loads(b"[" + b",".join(filled) + b"]")
            except (json.JSONDecodeError, UnicodeDecodeError):
                parsed = None
            if (
                isinstance(parsed, list)
                and len(parsed) == len(filled)  # a line `{..},{..}` must not pass as two events
                and all(isinstance(e, dict) and "type" in e for e in parsed)
            ):
                return parsed
        lines = raw.split(b"\n")
        events: list[dict[str, Any]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                if number == len(lines):  # the last line has no newline: torn append
                    break
                raise CorruptRecord(f"{path}: line {number} is not JSON") from None
            if not isinstance(event, dict) or "type" not in event:
                raise CorruptRecord(f"{path}: line {number} is not an event")
            events.append(event)
        return events

    # -- locks ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def chain_lock(self, chain_id: str, timeout: float = 30.0) -> Iterator[None]:
        """Exclusive lock on one chain: the decide-then-submit sequence runs under it."""
        self._check_writable()
        path = self.chain_dir(chain_id) / "lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, self.file_mode)
        try:
            _flock_with_timeout(fd, timeout, path)
            yield
        finally:
            os.close(fd)

    # -- files ---------------------------------------------------------------------------------
    def write_json(self, path: Path, data: Any, mode: int | None = None) -> None:
        """Atomically replace path: write a temporary file, fsync, rename, fsync the directory."""
        self._check_writable()
        atomic_write(path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode(), mode or self.file_mode)

    def read_json(self, path: Path, missing: Exception | None) -> Any:
        try:
            text = path.read_text()
        except FileNotFoundError:
            if missing is None:
                return None
            raise missing from None
        except PermissionError as exc:
            raise RegistryError(f"cannot read {path}: {exc.strerror}") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorruptRecord(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _flock_with_timeout(fd: int, timeout: float, path: Path) -> None:
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() > deadline:
            raise RegistryError(f"{path} stayed locked for {timeout:.0f} s")
        time.sleep(0.05)
