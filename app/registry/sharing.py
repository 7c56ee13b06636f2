"""Where each user's registry is, and sharing one with a team.

Where: your own is $LONGRUN_HOME (else $XDG_STATE_HOME/longrun, else ~/.local/state/longrun).
A colleague's is looked for where their default one is (~USER/.local/state/longrun), unless
LONGRUN_HOME holds `%u`: a team that sets `LONGRUN_HOME=/project/ml/longrun/%u` for everybody
finds each member's registry by putting the member's name in (`%%` is a literal `%`).

Sharing: on most sites every user has a private group, so group-readable files are readable by
nobody else. LONGRUN_GROUP names the group that owns new chain directories instead: they are
made setgid (files made in them later get the group too) and group-readable, and the registry's
own directories become group-traversable. Chains made before stay as they were until
`longrun share` gives them the group too. What is never shared: env.json (the submitter's
environment, 0600), the private locks and the supervisor's log.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

GROUP_ENV = "LONGRUN_GROUP"
PRIVATE_FILES = frozenset({"env.json", "lock"})  # never given to the group


class SharingError(Exception):
    """A sharing setting that cannot work (unknown group, not a member); `str()` says why."""


def current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def expand_home(pattern: str, user: str) -> Path:
    """A LONGRUN_HOME value with `%u` replaced by `user` (and `%%` by `%`)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("%u", i):
            out.append(user)
            i += 2
        elif pattern.startswith("%%", i):
            out.append("%")
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return Path("".join(out))


def own_home() -> Path:
    env = os.environ.get("LONGRUN_HOME")
    if env:
        return expand_home(env, current_user())
    state = os.environ.get("XDG_STATE_HOME")
    return (Path(state) if state else Path.home() / ".local" / "state") / "longrun"


def colleague_home(user: str, home_dir: str) -> Path:
    """Where `user`'s registry is expected (`home_dir`: their home directory)."""
    env = os.environ.get("LONGRUN_HOME")
    if env and "%u" in env.replace("%%", ""):
        return expand_home(env, user)
    return Path(home_dir) / ".local" / "state" / "longrun"


@dataclass(frozen=True)
class TeamGroup:
    name: str
    gid: int


def team_group(name: str | None = None) -> TeamGroup | None:
    """The group named by `name` (default: $LONGRUN_GROUP); None when neither names one.

    SharingError when the group does not exist or the current user is not in it (chgrp would fail).
    """
    name = name if name is not None else os.environ.get(GROUP_ENV, "")
    if not name:
        return None
    try:
        entry = grp.getgrnam(name)
    except KeyError:
        raise SharingError(f"{GROUP_ENV}={name}: no such group") from None
    if entry.gr_gid not in os.getgroups() and entry.gr_gid != os.getegid():
        raise SharingError(f"{GROUP_ENV}={name}: you are not a member of group {name} (see `id`)")
    return TeamGroup(name, entry.gr_gid)


def share_path(path: Path, group: TeamGroup) -> bool:
    """Give one of the registry's directories or files to the group (readable, setgid for a
    directory). Returns whether anything changed. Never follows a symlink."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        return False
    mode = stat.S_IMODE(info.st_mode)
    wanted = mode | (0o050 | stat.S_ISGID if stat.S_ISDIR(info.st_mode) else 0o040)
    changed = False
    if info.st_gid != group.gid:
        os.chown(path, -1, group.gid, follow_symlinks=False)
        changed = True
    if wanted != mode or changed:  # chown may clear the setgid bit: set the mode after it
        os.chmod(path, wanted)
        changed = changed or wanted != mode
    return changed


def blocked_at(path: Path, group: TeamGroup) -> Path | None:
    """The first directory on the way to `path` that a member of `group` cannot pass (neither
    others nor that group may search it); None when the way is open."""
    for directory in (*reversed(path.parents), path):
        try:
            info = os.stat(directory)
        except OSError:
            return directory
        if info.st_mode & 0o001 or (info.st_mode & 0o010 and info.st_gid == group.gid):
            continue
        return directory
    return None
