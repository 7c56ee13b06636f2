"""Generated job scripts in the submitting user's own registry, where no colleague can touch them.

`<registry>/workflows/` (mode 0700, owned by the user, in a registry directory of the user:
refused if either is a symlink or someone else's) holds one new directory per workflow
submission (mode 0700, created with mkdir, which fails when the name exists). Each script is
created with O_CREAT|O_EXCL|O_NOFOLLOW relative to that directory's descriptor: nothing is
written through a symlink, no existing file is reused.
Its sha256 goes into the chain spec, and `verify_script` is checked before every sbatch of a link:
a link runs exactly the script that was recorded at submit, or is refused with the reason.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path

from app.registry.files import RegistryError

SCRIPTS_DIR = "workflows"
PRIVATE = 0o700


def own_dir(path: Path) -> None:
    """`path` must be a real directory (not a symlink) owned by this user; its mode is left alone."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise RegistryError(f"cannot use {path}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise RegistryError(f"{path} is not a directory (a symlink?): longrun keeps job scripts under it")
    if info.st_uid != os.geteuid():
        raise RegistryError(
            f"{path} belongs to uid {info.st_uid}, not to you: set LONGRUN_HOME to a directory of yours"
        )


def private_dir(path: Path) -> Path:
    """`path` as a directory only this user can use: made (0700) when missing; an existing one must
    be a real directory owned by this user, and is made 0700."""
    try:
        os.mkdir(path, PRIVATE)
    except FileExistsError:
        pass
    except OSError as exc:
        raise RegistryError(f"cannot create {path}: {exc.strerror}") from None
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise RegistryError(f"{path} is not a directory (a symlink?): remove it; longrun keeps job scripts there")
    if info.st_uid != os.geteuid():
        raise RegistryError(f"{path} belongs to uid {info.st_uid}, not to you: remove it or set LONGRUN_HOME")
    if stat.S_IMODE(info.st_mode) != PRIVATE:
        os.chmod(path, PRIVATE)
    return path


def new_submission_dir(home: Path, label: str) -> Path:
    """A fresh private directory for one submission's scripts: `<home>/workflows/<label>-<time>-<random>`."""
    own_dir(home)  # the registry itself stays as it is (group-readable by default: colleagues view chains)
    parent = private_dir(home / SCRIPTS_DIR)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    for _ in range(20):
        path = parent / f"{label}-{stamp}-{secrets.token_hex(3)}"
        try:
            os.mkdir(path, PRIVATE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise RegistryError(f"cannot create {path}: {exc.strerror}") from None
        os.chmod(path, PRIVATE)
        return path
    raise RegistryError(f"cannot find a free directory name in {parent}")


def write_new(directory: Path, name: str, text: str) -> str:
    """Create `directory/name` (never an existing file, never through a symlink), mode 0700; its sha256."""
    data = text.encode()
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE, dir_fd=dir_fd)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise RegistryError(f"cannot write {directory / name}: {exc.strerror}") from None
    finally:
        os.close(dir_fd)
    return hashlib.sha256(data).hexdigest()


def verify_script(path: str, sha256: str) -> str | None:
    """None when `path` is a regular file (not a symlink) with this sha256; else why not, for a person."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return f"the job script {path} cannot be opened ({exc.strerror}); it was recorded at submit"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return f"the job script {path} is no longer a regular file"
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1 << 16):
            digest.update(chunk)
    finally:
        os.close(fd)
    if digest.hexdigest() != sha256:
        return f"the job script {path} changed since it was submitted (sha256 differs): not running it"
    return None
