"""The real dashboard under Pilot, for tests on the test cluster: built on the real service layer and
Slurm for a given viewer, driven row by row, and read back as the terminal would get it.

`screen_text` is what the compositor sends for the current screen (text, styles left out), so a
control character or a lone surrogate in it would reach the terminal; `click_actions` lists the
actions a mouse click would run (markup's `@click` in a name would show up here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from app.services import Services, discovery
from app.slurm.client import SlurmClient
from app.tui import LongrunApp
from tests.hostile import raw_controls
from tests.tui.helpers import polling, wait_for


def screen_text(app: LongrunApp) -> str:
    """What the terminal would be sent for the current screen, as text (styles left out)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def click_actions(app: LongrunApp) -> list[str]:
    """Actions a mouse click on the current screen would run, from markup's `@click`."""
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            meta = segment.style.meta if segment.style else {}
            if "@click" in meta:
                found.append(str(meta["@click"]))
    return found


async def caught_up(pilot: Pilot[None], app: LongrunApp) -> None:
    """The poll for the selected job has been shown and no poll runs (generous: a loaded machine)."""

    def done() -> bool:
        snap = app.dashboard.snapshot
        if snap is None or polling(app):
            return False
        return app.focus_job_id is None or (snap.focus is not None and snap.focus.job_id == app.focus_job_id) or (
            app.focus_job_id not in app._ended and snap.focus is None
        )  # fmt: skip

    await wait_for(pilot, done, timeout=120, what="the dashboard to catch up")
    await pilot.pause(0.1)


async def walk(
    pilot: Pilot[None], app: LongrunApp, seen: list[str], keys: list[str] | None = None, inert: bool = True
) -> None:
    """Select every row of the chain list in turn (or the rows of `keys`, `OWNER/CHAIN`); after each,
    keep what the screen holds and (`inert`) check that it holds no control character and no click."""
    await caught_up(pilot, app)
    chains = app.dashboard.chain_list
    assert chains.row_count > 0, "the dashboard shows the chains"
    for key in keys if keys is not None else [None] * (chains.row_count + 1):
        if key is not None:
            await wait_for(pilot, lambda: key in chains.rows, timeout=120, what=f"row {key!r}")  # noqa: B023
            chains.move_cursor(row=chains.get_row_index(key))
        await caught_up(pilot, app)
        text = screen_text(app)
        seen.append(text)
        if inert:
            assert raw_controls(text) == [], raw_controls(text)[:5]
            assert click_actions(app) == [], "a name's markup became a click action"
        if key is None:
            await pilot.press("down")


def run_dashboard(app: LongrunApp, size: tuple[int, int], scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await scenario(pilot)
            await pilot.press("q")

    asyncio.run(asyncio.wait_for(main(), timeout=600))  # a hang fails, it does not stall the suite


def dashboard_app(viewer: str, user: str | None, home: Path, colleague: Path, monkeypatch: pytest.MonkeyPatch,
                  show_log: bool = True) -> LongrunApp:  # fmt: skip
    """The dashboard of `viewer` looking at `user` (None: everybody); colleagues' registries are found
    at `colleague` (a user's real default registry is shared by everybody on this machine)."""
    monkeypatch.setattr(discovery, "default_home", lambda user=None: colleague)
    services = Services(viewer=viewer, slurm=SlurmClient(), home=home)
    return LongrunApp(services, user, me=viewer, interval=2.0, show_log=show_log)
