"""Chains on disk: one directory per chain with its spec (written once, atomically) and its event log.

Layout under the registry home ($LONGRUN_HOME, else $XDG_STATE_HOME/longrun, else
~/.local/state/longrun):

    chains/<chain_id>/spec.json     the ChainSpec (built in a hidden directory, renamed into place)
    chains/<chain_id>/env.json      the submitter's environment for later links (mode 0600)
    chains/<chain_id>/events.jsonl  append-only, one typed event per line (app/registry/events.py), fsynced
    locks/                          private (0700): chain-<chain_id> and supervisor, flock files (0600)
    supervisor/                     the supervisor's heartbeat and log (log 0600)

Directories are 0o750 and files 0o640 by default (group members can watch read-only); set
LONGRUN_UMASK (octal, e.g. 077) to change it. Locks are never shared: whoever can open a lock
file can hold it. Readers tolerate a torn last line (a writer that died mid-append); any other
damage, in any file, makes that one chain a DamagedChain (reported, skipped), never an error for
the others. A directory whose spec names another chain (a copy) is damaged too.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pwd
import shutil
import stat
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from app.model.chain import ChainSpec, ChainStatus
from app.registry.derive import derive
from app.registry.event_json import encode_event
from app.registry.eventlog import EventLogError, parse_event_log
from app.registry.events import ChainEvent, Created, Event
from app.registry.files import (
    CorruptRecord,
    RegistryError,
    RegistryWriteError,
    append_line,
    atomic_write,
    flock_within,
    guard_own_directory,
    open_private,
    owner_name,
    parse_json,
    read_regular,
)
from app.registry.journal import JOURNAL, JournalMark, current_mark, note_change
from app.registry.listing import ChainListing, ChainStatuses, StatKey, UnknownChain
from app.registry.sharing import SharingError, colleague_home, current_user, own_home, share_path, team_group

SCHEMA_VERSION = 1
DEFAULT_UMASK = 0o027
MAX_SPEC_BYTES = 1 << 20
MAX_EVENTS_BYTES = 64 << 20  # a five-link chain writes about 2 KB
CHAIN_LOCK_WAIT = 30.0

E = TypeVar("E", bound=Event)


def default_home(user: str | None = None) -> Path:
    """The registry of `user` (default: the current user, whose LONGRUN_HOME counts; app/registry/sharing.py)."""
    if user is None or user == current_user():
        return own_home()
    try:
        home_dir = pwd.getpwnam(user).pw_dir
    except KeyError:
        raise RegistryError(f"no such user: {user}") from None
    return colleague_home(user, home_dir)


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


class Registry(ChainListing):
    """One user's chains. Read-only when the directory belongs to someone else."""

    def __init__(self, home: Path | None = None, read_only: bool = False) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.read_only = read_only
        self.dir_mode = 0o777 & ~_umask()
        self.file_mode = 0o666 & ~_umask()
        # statuses(): chain id -> (its event log's stat, its status)
        self._cache: dict[str, tuple[StatKey | None, ChainStatus]] = {}
        self._chains_prefix = f"{self.chains_dir}/"
        self._owner: int | None = None  # the uid owning chains/: every chain directory must be theirs
        try:
            self.group = None if read_only else team_group()  # LONGRUN_GROUP: new chains are the team's
        except SharingError as exc:
            raise RegistryError(str(exc)) from None
        if self.group is not None:
            self.dir_mode |= 0o050
            self.file_mode |= 0o040
        self._mark: JournalMark | None = None  # where statuses() last read the change journal
        self._full_at: float | None = None  # monotonic time of statuses()'s last full read
        self._last: ChainStatuses | None = None

    # -- paths ---------------------------------------------------------------------------------
    @property
    def chains_dir(self) -> Path:
        return self.home / "chains"

    @property
    def supervisor_dir(self) -> Path:
        return self.home / "supervisor"

    @property
    def locks_dir(self) -> Path:
        return self.home / "locks"

    def chain_dir(self, chain_id: str) -> Path:
        if not chain_id or "/" in chain_id or "\0" in chain_id or chain_id.startswith("."):
            raise UnknownChain(f"not a chain id: {chain_id!r}")
        return self.chains_dir / chain_id

    def ensure_dirs(self) -> None:
        """Create what is missing. Only directories created here get the registry's mode (a
        setgid bit or group a team set on an existing one stays); locks/ is always private."""
        self._check_writable()
        for path in (self.home, self.chains_dir, self.supervisor_dir, self.locks_dir):
            try:
                self._ensure_dir(path, 0o700 if path == self.locks_dir else self.dir_mode)
            except OSError as exc:
                blocker = next((p for p in (path, *path.parents) if _is_other_than_dir(p)), None)
                if blocker is not None:
                    raise RegistryError(f"cannot make the registry {self.home}: {blocker} is not a directory") from None
                raise RegistryError(f"cannot create the registry directory {path}: {exc.strerror}") from None
            # locks/ is private; a team's group-writable home may stay: chains/ is what matters
            guard_own_directory(path, {self.locks_dir: 0o077, self.home: 0}.get(path, 0o022))
        self._owner = os.geteuid()

    @staticmethod
    def _ensure_dir(path: Path, mode: int) -> None:
        if path.is_dir():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            if path.is_dir():
                return  # made at the same moment by another process
            raise
        inherited = os.stat(path).st_mode & stat.S_ISGID  # a setgid parent's bit is meant to spread
        os.chmod(path, mode | inherited)

    def _owner_uid(self) -> int:
        if self._owner is None:
            self._owner = os.stat(self.chains_dir).st_uid
        return self._owner

    def _check_writable(self) -> None:
        if self.read_only:
            raise RegistryError(f"{self.home} is another user's registry: read-only")

    # -- chains --------------------------------------------------------------------------------
    def create_chain(
        self, spec: ChainSpec, env: Mapping[str, str] | None = None, files: Mapping[str, tuple[bytes, int]] = {}
    ) -> None:
        """Build the chain's directory under a hidden name and rename it into place: readers never
        see a chain without its spec and its `created` event. `files`: more files (name -> content,
        mode), e.g. the launcher its links submit."""
        self.ensure_dirs()
        final = self.chain_dir(spec.chain_id)
        draft = self.chains_dir / f".new-{spec.chain_id}-{uuid.uuid4().hex[:8]}"
        try:
            os.mkdir(draft, self.dir_mode)
            os.chmod(draft, self.dir_mode | (os.stat(draft).st_mode & stat.S_ISGID))
            if self.group is not None:  # LONGRUN_GROUP: the team's, before any file is made in it
                for directory in (self.home, self.chains_dir, draft):
                    share_path(directory, self.group)
            if env is not None:
                self._write_json(draft / "env.json", dict(env), mode=0o600)
            for name, (data, mode) in files.items():
                atomic_write(draft / name, data, mode)
            self._write_json(draft / "spec.json", {"schema": SCHEMA_VERSION, "spec": spec.to_json()})
            append_line(draft / "events.jsonl", _line(replace(Created(), t=now())), self.file_mode)
            os.rename(draft, final)
            note_change(self.chains_dir, spec.chain_id, self.file_mode)
        except OSError as exc:
            shutil.rmtree(draft, ignore_errors=True)
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise RegistryError(f"chain {spec.chain_id} already exists in {self.home}") from None
            raise RegistryWriteError(f"cannot create chain {spec.chain_id}: {exc.strerror}", exc.errno) from None
        except RegistryError:
            shutil.rmtree(draft, ignore_errors=True)
            raise

    def delete_chain(self, chain_id: str) -> None:
        """Remove a chain (one whose first link sbatch refused): renamed away first, so that no
        reader sees it half removed."""
        self._check_writable()
        gone = self.chains_dir / f".deleted-{chain_id}-{uuid.uuid4().hex[:8]}"
        with contextlib.suppress(OSError):
            os.rename(self.chain_dir(chain_id), gone)
            shutil.rmtree(gone, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self.locks_dir / f"chain-{chain_id}")
        self._cache.pop(chain_id, None)
        note_change(self.chains_dir, chain_id, self.file_mode)

    def chain_ids(self) -> list[str]:
        """Every entry of chains/ but hidden ones (drafts, deletions): a damaged entry is listed too."""
        try:
            with os.scandir(self.chains_dir) as entries:
                return sorted(e.name for e in entries if not e.name.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RegistryError(f"cannot read {self.chains_dir}: {exc.strerror}") from None

    def load_spec(self, chain_id: str) -> ChainSpec:
        directory = self.chain_dir(chain_id)
        path = directory / "spec.json"
        try:
            info = os.stat(directory)
        except (FileNotFoundError, NotADirectoryError):
            raise UnknownChain(f"no chain {chain_id} in {self.home}") from None
        except OSError as exc:
            raise RegistryError(f"cannot read {directory}: {exc.strerror}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise CorruptRecord(f"{directory}: not a directory")
        if info.st_uid != self._owner_uid():
            raise CorruptRecord(f"{directory}: belongs to {owner_name(info.st_uid)}, not to the registry's owner; "
                                "never supervised")  # fmt: skip
        raw = read_regular(path, MAX_SPEC_BYTES)
        if raw is None:
            raise CorruptRecord(f"{path}: missing")
        data = parse_json(raw, str(path))
        if not isinstance(data, dict) or "spec" not in data:
            raise CorruptRecord(f"{path}: not a chain record")
        schema = data.get("schema", 0)
        if isinstance(schema, bool) or not isinstance(schema, int):
            raise CorruptRecord(f"{path}: schema must be a whole number, not {schema!r}")
        if schema > SCHEMA_VERSION:
            raise CorruptRecord(f"{path}: written by a newer longrun (schema {schema})")
        try:
            spec = ChainSpec.from_json(data["spec"])
        except (TypeError, ValueError) as exc:
            raise CorruptRecord(f"{path}: bad chain record ({exc})") from None
        if spec.chain_id != chain_id:
            raise CorruptRecord(
                f"{path}: the spec is chain {spec.chain_id!r}, not {chain_id!r} (a copied directory?); "
                "it is never supervised"
            )
        return spec

    def load_env(self, chain_id: str) -> dict[str, str] | None:
        path = self.chain_dir(chain_id) / "env.json"
        raw = read_regular(path, MAX_SPEC_BYTES)
        if raw is None:
            return None
        data = parse_json(raw, str(path))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None

    def status(self, chain_id: str) -> ChainStatus:
        """One chain's derived state, read now. Raises UnknownChain, or RegistryError naming the damaged file."""
        return derive(self.load_spec(chain_id), self.read_events(chain_id))

    # -- events --------------------------------------------------------------------------------
    def append(self, chain_id: str, event: E) -> E:
        """Append one event and fsync it before returning (write-ahead for the supervisor).

        Returns the event with its time set. RegistryWriteError when the disk refuses.
        """
        self._check_writable()
        stamped = event if event.t is not None else replace(event, t=now())
        append_line(self.chain_dir(chain_id) / "events.jsonl", _line(stamped), self.file_mode)
        note_change(self.chains_dir, chain_id, self.file_mode)
        return stamped

    def _start_journal(self) -> JournalMark | None:
        if self.read_only:
            return None
        try:
            os.close(os.open(self.chains_dir / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, self.file_mode))
        except OSError:
            return None
        return current_mark(self.chains_dir)

    def change_mark(self) -> JournalMark | None:
        """The change journal's end: it moves whenever any chain changes (the supervisor waits on it)."""
        return current_mark(self.chains_dir)

    def read_events(self, chain_id: str) -> list[ChainEvent]:
        """Every complete event; a torn last line (writer died mid-append) is ignored.

        CorruptRecord names the file and line of anything else that is wrong.
        """
        path = self.chain_dir(chain_id) / "events.jsonl"
        raw = read_regular(path, MAX_EVENTS_BYTES)
        if raw is None:
            return []
        try:
            return parse_event_log(raw)
        except EventLogError as exc:
            raise CorruptRecord(f"{path}: {exc}") from None

    # -- locks ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def chain_lock(self, chain_id: str, timeout: float = CHAIN_LOCK_WAIT) -> Iterator[None]:
        """Exclusive lock on one chain: the decide-then-submit sequence runs under it.

        The lock file is private (in locks/, 0600): no colleague can hold it. LockBusy after `timeout`.
        """
        self._check_writable()
        self.chain_dir(chain_id)  # validates the id
        path = self.locks_dir / f"chain-{chain_id}"
        fd = self.open_lock(path)
        try:
            flock_within(fd, timeout, path)
            yield
        finally:
            os.close(fd)

    def open_lock(self, path: Path) -> int:
        """Open one of this registry's private lock files (creating locks/ when an older version
        made the registry)."""
        try:
            try:
                return open_private(path)
            except FileNotFoundError:
                self.ensure_dirs()
                return open_private(path)
        except OSError as exc:
            raise RegistryError(f"cannot open the lock {path}: {exc.strerror}") from None

    # -- files ---------------------------------------------------------------------------------
    def _write_json(self, path: Path, data: Any, mode: int | None = None) -> None:
        self._check_writable()
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        atomic_write(path, text.encode(), mode or self.file_mode)


def _is_other_than_dir(path: Path) -> bool:
    try:
        return not stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _line(event: Event) -> bytes:
    return (json.dumps(encode_event(event), sort_keys=True) + "\n").encode()
