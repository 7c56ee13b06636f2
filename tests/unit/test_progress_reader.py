"""Reading a chain's progress (app/supervisor/progress.py): a log followed as it grows (only the new
bytes), a new link's log, a progress file, and files that are not what they should be."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

import app.explain.follow as follow
from app.model.chain import ChainSpec
from app.model.policy import Policy, PolicyError
from app.model.progress import Progress
from app.supervisor.progress import ProgressReader, ProgressReaders, ProgressSource, read_progress_file

PATTERN = r"step (?P<done>\d+)/(?P<total>\d+)"


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the bytes the follower reads."""
    count = [0]
    original = follow.read_at  # type: ignore[attr-defined]

    def counting(fd: int, size: int, offset: int) -> bytes:
        data: bytes = original(fd, size, offset)
        count[0] += len(data)
        return data

    monkeypatch.setattr(follow, "read_at", counting)
    yield count


def spec(tmp_path: Path, **policy: object) -> ChainSpec:
    return ChainSpec(chain_id="c1", name="c", owner="alice", script="/x.sh", workdir=str(tmp_path),
                     policy=Policy(**policy))  # type: ignore[arg-type]  # fmt: skip


def test_a_growing_log_is_read_once(tmp_path: Path, bytes_read: list[int]) -> None:
    log = tmp_path / "run.log"
    log.write_text("starting\nstep 1/10\n")
    source = ProgressSource.of(spec(tmp_path, progress_regex=PATTERN))
    assert source is not None and source.pattern is not None
    reader = ProgressReader(source)
    assert reader.read(str(log)) == Progress(1, 10)
    before = bytes_read[0]
    assert reader.read(str(log)) == Progress(1, 10) and bytes_read[0] == before, "nothing new: nothing read"
    with log.open("a") as handle:
        handle.write("loss 0.3\nstep 2/10\nloss 0.2\n")
    assert reader.read(str(log)) == Progress(2, 10)
    assert bytes_read[0] - before == len("loss 0.3\nstep 2/10\nloss 0.2\n"), "only the new bytes"
    written = datetime.fromtimestamp(os.stat(log).st_mtime)
    with log.open("a") as handle:
        handle.write("no progress line in this part\n")
    assert reader.read(str(log)) == Progress(2, 10), "the newest progress stays until a newer one"
    progress = reader.read(str(log))
    assert progress is not None and progress.at == written, "when the newest progress was written"


def test_a_half_written_line_waits_for_its_end(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("step 3/10\nstep 4/1")
    reader = ProgressReader(ProgressSource(pattern=__import__("re").compile(PATTERN)))
    assert reader.read(str(log)) == Progress(3, 10)
    with log.open("a") as handle:
        handle.write("0\n")
    assert reader.read(str(log)) == Progress(4, 10)


def test_each_link_writing_its_own_log(tmp_path: Path) -> None:
    first, second = tmp_path / "slurm-11.out", tmp_path / "slurm-12.out"
    first.write_text("step 5/10\n")
    readers = ProgressReaders()
    chain = spec(tmp_path, progress_regex=PATTERN)
    assert readers.read(chain, str(first)) == Progress(5, 10)
    assert readers.read(chain, str(second)) == Progress(5, 10), "the new link's log is not there yet"
    second.write_text("step 6/10\n")
    assert readers.read(chain, str(second)) == Progress(6, 10)
    assert len(readers) == 1
    readers.keep_only(set())
    assert len(readers) == 0


def test_a_big_burst_reads_only_the_tail(tmp_path: Path, bytes_read: list[int]) -> None:
    log = tmp_path / "run.log"
    log.write_text("step 1/100\n")
    reader = ProgressReader(ProgressSource.of(spec(tmp_path, progress_regex=PATTERN)) or pytest.fail("no source"))
    reader.read(str(log))
    with log.open("a") as handle:
        handle.write("x" * 99 + "\n")
        handle.write(("noise " * 20 + "\n") * 100_000)  # 12 MB at once
        handle.write("step 7/100\n")
    before = bytes_read[0]
    assert reader.read(str(log)) == Progress(7, 100)
    assert bytes_read[0] - before <= reader.tail_bytes, "a burst is skipped to its newest part"


def test_progress_files(tmp_path: Path) -> None:
    path = tmp_path / "progress.txt"
    chain = spec(tmp_path, progress_file="progress.txt")
    readers = ProgressReaders()
    assert readers.read(chain, None) is None, "not written yet"
    path.write_text("3/8\n")
    found = readers.read(chain, None)
    assert found == Progress(3, 8) and found is not None and found.at is not None
    path.write_text("not a number\n")
    assert readers.read(chain, None) is None
    path.write_text("5")
    assert readers.read(chain, None) == Progress(5)
    assert read_progress_file(str(tmp_path)) is None, "a directory"
    big = tmp_path / "big.txt"
    big.write_text("1\n" * 100_000 + "9/10\n")
    assert read_progress_file(str(big)) == Progress(9, 10), "its last line, from the last 4 KiB"


def test_a_fifo_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "progress.fifo"
    os.mkfifo(fifo)
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(read_progress_file(str(fifo))), daemon=True)
    thread.start()
    thread.join(5)
    assert found == [None], "a FIFO is not read (nobody writes to it: opening it would block)"
    reader = ProgressReader(ProgressSource.of(spec(tmp_path, progress_regex=PATTERN)) or pytest.fail("no source"))
    thread = threading.Thread(target=lambda: found.append(reader.read(str(fifo))), daemon=True)
    thread.start()
    thread.join(5)
    assert found == [None, None]


def test_sources() -> None:
    assert ProgressSource.of(spec(Path("/w"))) is None
    with pytest.raises(PolicyError, match="progress_regex is not a regular expression"):
        spec(Path("/w"), progress_regex="step (")  # a stored spec like it is a damaged chain
    source = ProgressSource.of(spec(Path("/w"), progress_file="p/done.txt"))
    assert source is not None and source.file == "/w/p/done.txt"
    absolute = ProgressSource.of(spec(Path("/w"), progress_file="/abs/done.txt"))
    assert absolute is not None and absolute.file == "/abs/done.txt"
