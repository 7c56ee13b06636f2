"""Following a job's log: new bytes only, missing / rotated / truncated / huge files, and the Log pane live."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from textual.widgets import Log

from app.explain.follow import LogFollower
from tests.tui.fake_services import FakeServices, sample_chains
from tests.tui.helpers import make_app, settled, wait_for


def test_reads_only_new_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "job.out"
    path.write_text("one\ntwo\npart")
    follower = LogFollower(str(path))
    first = follower.read()
    assert first.lines == ("one", "two") and first.reset and first.notice is None  # "part" waits for its newline
    assert follower.read().lines == ()  # nothing new: no read at all
    with path.open("a") as handle:
        handle.write("ial\nthree\n")
    second = follower.read()
    assert second.lines == ("partial", "three") and not second.reset
    assert follower.offset == path.stat().st_size


def test_missing_file_is_waited_for_and_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "later.out"
    follower = LogFollower(str(path))
    first = follower.read()
    assert first.notice is not None and "waiting for" in first.notice
    assert follower.read().notice is None
    path.write_text("hello\n")
    assert follower.read().lines == ("hello",)


def test_truncation_and_rotation_start_again_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "job.out"
    path.write_text("a\nb\nc\n")
    follower = LogFollower(str(path))
    follower.read()
    path.write_text("x\n")  # truncated in place (same inode)
    chunk = follower.read()
    assert chunk.reset and chunk.lines == ("x",) and "truncated" in (chunk.notice or "")
    os.rename(path, tmp_path / "job.out.1")
    path.write_text("fresh\n")  # rotated: a new file under the old name
    chunk = follower.read()
    assert chunk.reset and chunk.lines == ("fresh",) and "rotated" in (chunk.notice or "")
    path.unlink()
    chunk = follower.read()
    assert chunk.reset and "gone" in (chunk.notice or "")


def test_huge_file_shows_only_its_tail(tmp_path: Path) -> None:
    path = tmp_path / "huge.out"
    with path.open("w") as handle:
        for i in range(200_000):
            handle.write(f"line {i:06d} {'x' * 40}\n")
    follower = LogFollower(str(path), tail_bytes=64 * 1024)
    chunk = follower.read()
    assert chunk.lines[-1] == f"line 199999 {'x' * 40}"
    assert chunk.lines[0].startswith("line ")  # the cut first line was dropped
    assert len(chunk.lines) < 1300
    assert "last 64 KiB" in (chunk.notice or "")
    with path.open("a") as handle:
        handle.write("y" * (200 * 1024) + "\nend\n")  # more at once than we would show
    chunk = follower.read()
    assert chunk.reset and chunk.lines[-1] == "end" and "skipped" in (chunk.notice or "")


def test_utf8_split_across_reads_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "utf.out"
    data = "température ✓\n".encode()
    path.write_bytes(data[:3])
    follower = LogFollower(str(path))
    follower.read()
    with path.open("ab") as handle:
        handle.write(data[3:])
    assert follower.read().lines == ("température ✓",)


async def test_log_pane_follows_the_selected_link_as_it_grows(tmp_path: Path) -> None:
    log = tmp_path / "train.out"
    log.write_text("epoch 1\n")
    chains = sample_chains()
    running = chains[0]
    links = (*running.links[:-1], replace(running.links[-1], log_path=str(log)))
    fake = FakeServices(chains=(replace(running, links=links), *chains[1:]))
    app = make_app(fake, show_log=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        pane = app.query_one("#log", Log)
        await wait_for(pilot, lambda: "epoch 1" in pane.lines, what="the first line")
        with log.open("a") as handle:
            handle.write("epoch 2\nepoch 3\n")
        await wait_for(pilot, lambda: "epoch 3" in pane.lines, timeout=30, what="appended lines")
        log.write_text("restarted\n")
        await wait_for(pilot, lambda: "restarted" in pane.lines, timeout=30, what="the truncated file")
        assert "epoch 1" not in pane.lines
        await pilot.press("l")
        assert not pane.display
