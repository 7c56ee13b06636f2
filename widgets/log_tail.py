"""The Log pane: follows the selected link's stdout as it grows.

Every line is shown as a terminal would leave it, without its escape sequences and with its other
controls as escapes (app.model.text.terminal_line): a job's output can colour nothing, set no
title, clear no screen and write no clipboard here.

An async worker watches the file's directory with watchfiles `awatch` (so creation and rotation
are seen too) and reads only the new bytes through app.explain.follow.LogFollower, in a thread so that a slow file
system never stalls the screen. `awatch` also wakes every two seconds, which covers file systems
that do not deliver change events (NFS, Lustre).
"""

from __future__ import annotations

import asyncio
import os

from textual import work
from textual.widgets import Log
from watchfiles import awatch

from app.explain.follow import LogChunk, LogFollower
from app.model.text import terminal_line
from widgets.text import set_subtitle, shorten

MAX_LINES = 5000
MAX_LINE = 10_000  # characters of one line shown (a log without newlines stays cheap to draw)
WAKE_MS = 2000


class LogTail(Log):
    """A read-only, auto-scrolling view of one file."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=MAX_LINES, highlight=False, auto_scroll=True)
        self.path: str | None = None
        self.problem: str | None = None  # why there is no path, when there is none
        self.following = False

    def follow(self, path: str | None, problem: str | None = None) -> None:
        """Show `path` from its tail and keep following it; None shows why there is none (`problem`)."""
        if path == self.path and problem == self.problem and self.following:
            return
        self.path, self.problem = path, problem
        self.following = True
        self.clear()
        if path is None:
            set_subtitle(self, "")
            self.write_line(terminal_line(f"no log file known for this link: {problem}" if problem else
                                          "no log file known for this link"))  # fmt: skip
            self.workers.cancel_group(self, "tail")
            return
        set_subtitle(self, _shorten(path, 60))
        self._tail(path)

    def stop(self) -> None:
        """Stop following (the pane is hidden); `follow` starts again."""
        self.following = False
        self.workers.cancel_group(self, "tail")

    @work(exclusive=True, group="tail", exit_on_error=False)
    async def _tail(self, path: str) -> None:
        follower = LogFollower(path)
        self._apply(await asyncio.to_thread(follower.read))
        directory = os.path.dirname(os.path.abspath(path))
        target = os.path.abspath(path)
        while not os.path.isdir(directory):
            await asyncio.sleep(WAKE_MS / 1000)
            self._apply(await asyncio.to_thread(follower.read))
        async for _changes in awatch(
            directory,
            watch_filter=lambda _change, changed: os.path.abspath(changed) == target,
            debounce=200,
            rust_timeout=WAKE_MS,
            yield_on_timeout=True,
            recursive=False,
            ignore_permission_denied=True,
        ):
            self._apply(await asyncio.to_thread(follower.read))

    def _apply(self, chunk: LogChunk) -> None:
        if chunk.reset:
            self.clear()
        if chunk.notice:
            self.write_line(terminal_line(f"── {shorten(chunk.notice, 500)} ──"))
        if chunk.lines:
            self.write_lines([shorten(terminal_line(line), MAX_LINE) for line in chunk.lines])


def _shorten(path: str, width: int) -> str:
    """The end of a long path (its file name matters most)."""
    return path if len(path) <= width else "…" + path[-(width - 1) :]
