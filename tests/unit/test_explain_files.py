"""Log and script paths that are not regular files are reported, never read, and never hang a reader.

A colleague can make their `-o` file a FIFO, a device or a directory (issue 16.5: a FIFO hung
`longrun explain`, and the dashboard's poll for ever). Each reader runs in a thread joined with a
generous timeout, so a reader that blocks fails the test instead of hanging the suite.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from app.explain import files
from app.explain.files import NotRegularFile, open_regular
from app.explain.follow import LogFollower
from app.explain.scripts import forget_scripts, read_script
from app.explain.tail import TAIL_BYTES, read_tail

T = TypeVar("T")
GENEROUS = 60.0  # seconds; a correct reader returns at once, a blocked one never


def within(call: Callable[[], T]) -> T:
    """call() in a daemon thread; fail (not hang) when it does not return."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(GENEROUS)
    assert not thread.is_alive(), "the reader blocked"
    return result[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "log.out"
    os.mkfifo(path)
    return path


def test_a_fifo_is_reported_not_read(fifo: Path) -> None:
    tail = within(lambda: read_tail(str(fifo)))
    assert tail.text is None and tail.problem == "not a regular file (a FIFO)"
    chunk = within(LogFollower(str(fifo)).read)
    assert chunk.reset and "not a regular file (a FIFO)" in (chunk.notice or "")


def test_a_symlink_to_a_fifo_or_a_device_is_reported(tmp_path: Path, fifo: Path) -> None:
    to_fifo = tmp_path / "link.out"
    to_fifo.symlink_to(fifo)
    assert within(lambda: read_tail(str(to_fifo))).problem == "not a regular file (a FIFO)"
    to_zero = tmp_path / "zero.out"
    to_zero.symlink_to("/dev/zero")
    assert within(lambda: read_tail(str(to_zero))).problem == "not a regular file (a device)"


def test_dev_zero_and_a_directory_are_reported() -> None:
    assert within(lambda: read_tail("/dev/zero")).problem == "not a regular file (a device)"
    assert within(lambda: read_tail("/tmp")).problem == "not a regular file (a directory)"
    chunk = within(LogFollower("/dev/zero").read)
    assert "not a regular file (a device)" in (chunk.notice or "")


def test_a_guessed_name_is_not_followed_when_it_is_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.out"
    real.write_text("secret\n")
    guess = tmp_path / "slurm-5.out"
    guess.symlink_to(real)
    assert read_tail(str(guess), guessed=True).text is None
    assert "symbolic link" in (read_tail(str(guess), guessed=True).problem or "")
    assert read_tail(str(guess)).text == "secret"  # a path Slurm or the user named is followed


def test_a_path_that_becomes_a_fifo_after_the_stat_is_caught_by_fstat(
    fifo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regular = os.stat(__file__)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, **kw: regular if str(p) == str(fifo) else real_stat(p, **kw))

    def opened() -> str:
        with pytest.raises(NotRegularFile) as caught, open_regular(str(fifo)):
            pass
        return str(caught.value)

    assert "FIFO" in within(opened)


def test_a_2_gb_sparse_log_is_read_within_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.out"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)
        handle.seek(2 * 1024**3 - 20)
        handle.write(b"\nthe very last line\n")
    read: list[int] = []
    real_pread = os.pread

    def counting(fd: int, size: int, offset: int) -> bytes:
        data = real_pread(fd, size, offset)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "pread", counting)
    tail = within(lambda: read_tail(str(path)))
    assert tail.text is not None and tail.text.endswith("the very last line")
    assert tail.first_line is None  # too big to count lines: numbers are reported unknown, not invented
    assert sum(read) <= TAIL_BYTES
    read.clear()
    chunk = within(LogFollower(str(path)).read)
    assert chunk.lines[-1] == "the very last line" and sum(read) <= LogFollower(str(path)).tail_bytes


def test_a_script_is_read_once_per_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_scripts()
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n#SBATCH -o a.out\ntrue\n")
    reads: list[str] = []
    real = files.read_small

    def counted(path: str, limit: int) -> tuple[bytes, os.stat_result]:
        reads.append(path)
        return real(path, limit)

    monkeypatch.setattr("app.explain.scripts.read_small", counted)
    monkeypatch.setattr("app.explain.scripts.RECHECK_SECONDS", 0.0)
    first = read_script(str(script))
    assert first is not None and first.directives == ("-o", "a.out")
    assert read_script(str(script)) is first and len(reads) == 1
    script.write_text("#!/bin/bash\n#SBATCH -o bb.out\ntrue\n")
    os.utime(script, ns=(1, 10**18))
    again = read_script(str(script))
    assert again is not None and again.directives == ("-o", "bb.out") and len(reads) == 2
    fifo = tmp_path / "fifo.sh"
    os.mkfifo(fifo)
    assert within(lambda: read_script(str(fifo))) is None
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
