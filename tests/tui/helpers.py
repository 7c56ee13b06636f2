"""Helpers for Pilot tests: build the app on the fake service layer, wait for polls to land."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import DataTable

from app.tui import LongrunApp
from tests.tui.fake_services import FIXED_NOW, FakeServices


@dataclass(frozen=True)
class Told:
    """One notification the app raised."""

    message: str
    title: str


def record_notifications(app: App[Any]) -> None:
    """Keep every notification the app raises, as Textual receives it (after the app made it
    literal). Textual drops one from `app._notifications` when its timeout passes (5 s by default):
    on a loaded machine a test may look later than that."""
    told: list[Told] = []
    post = app.post_message

    def post_message(message: Message) -> bool:
        if isinstance(message, Notify):
            told.append(Told(message.notification.message, message.notification.title))
        return post(message)

    app.post_message = post_message  # type: ignore[method-assign]
    app.told_in_tests = told  # type: ignore[attr-defined]


def told(app: App[Any]) -> list[Told]:
    """Every notification `app` raised so far (see record_notifications), expired or not."""
    found: list[Told] = app.told_in_tests  # type: ignore[attr-defined]
    return list(found)


def make_app(
    services: FakeServices, user: str | None = "alice", me: str = "alice", interval: float = 60.0,
    show_log: bool | None = False,
) -> LongrunApp:  # fmt: skip
    app = LongrunApp(services, user, me=me, interval=interval, clock=lambda: FIXED_NOW, show_log=show_log)
    record_notifications(app)
    return app


async def wait_for(pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    """Let the app run until predicate() holds (polls are thread workers: give them real time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)
        await asyncio.sleep(0)


def polling(app: App[None]) -> bool:
    """A poll's worker is running (its service call may not have been made yet)."""
    return any(w.group == "poll" and not w.is_finished for w in app.workers)


async def run_from_palette(pilot: Pilot[None], query: str, expected: str) -> None:
    """Open the palette, type `query`, wait until its search has finished with `expected` as the
    highlighted hit (hits arrive from a worker, on a loaded machine after any fixed pause), press enter."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*query)
    palette = app.screen

    def found() -> bool:
        searching = any(w.group == CommandPalette._GATHER_COMMANDS_GROUP and not w.is_finished for w in app.workers)
        option = palette.query_one(CommandList).highlighted_option
        return not searching and option is not None and expected in str(option.prompt)

    await wait_for(pilot, found, what=f"{expected!r} highlighted in the palette")
    await pilot.press("enter")


async def settled(pilot: Pilot[None], services: FakeServices, focus_job: str | None = None) -> None:
    """Wait until a poll for `focus_job` (or any poll) has been shown and no worker is busy."""
    app = pilot.app
    assert isinstance(app, LongrunApp)

    def done() -> bool:
        dashboard = app.dashboard
        snapshot = dashboard.snapshot
        if snapshot is None:
            return False
        if focus_job is not None and (snapshot.focus is None or snapshot.focus.job_id != focus_job):
            return False
        return not polling(app)

    await wait_for(pilot, done, what=f"a poll with focus {focus_job}")
    await drawn(pilot)


async def drawn(pilot: Pilot[None]) -> None:
    """Let pending messages, layout and repaint finish (a screenshot taken earlier may miss a scrollbar)."""
    for _ in range(3):  # a loaded machine (the suite runs with xdist) needs more than one round
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.05)
    # DataTable sizes its columns when idle: wait for that, or a screenshot may show cut cells
    tables = list(pilot.app.query(DataTable))
    await wait_for(pilot, lambda: not any(getattr(t, "_require_update_dimensions", False) for t in tables),
                   what="table columns sized")  # fmt: skip
    await pilot.pause()


def screen_text(app: object) -> str:
    """What the terminal shows now, as plain text (as Textual's SVG screenshot draws it, without styles)."""
    from textual.app import App

    assert isinstance(app, App)
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      record=True, legacy_windows=False, safe_box=False)  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)
