"""How the dashboard looks in its main states (SVG snapshots; `--snapshot-update` after a deliberate change).

Fed by the fake service layer over captured Slurm output, with a fixed clock and fixed log paths, so
every run draws the same screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Log

from tests.tui.fake_services import FakeServices, captured_jobs, sample_chains
from tests.tui.helpers import drawn, make_app, settled, wait_for
from widgets.diagnosis_view import DiagnosisView
from widgets.status_line import StatusLine

JOBS = captured_jobs()
RUNNING = JOBS["lrcap-running"].job_id
OOM = JOBS["lrx-oom"].job_id
Snap = Callable[..., bool]


def fake_services(logs: Path, viewer: str = "alice") -> FakeServices:
    return FakeServices(chains=sample_chains(log_dir=logs), viewer=viewer)


def _diagnosis_title(pilot: Pilot[None]) -> str | None:
    current = pilot.app.query_one(DiagnosisView).current
    return current.title if current else None


async def _log_has(pilot: Pilot[None], text: str) -> None:
    pane = pilot.app.query_one("#log", Log)
    await wait_for(pilot, lambda: any(text in line for line in pane.lines), what=f"{text!r} in the log")
    await drawn(pilot)


def test_running_chain_wide(snap_compare: Snap, snapshot_logs: Path) -> None:
    fake = fake_services(snapshot_logs)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)
        await _log_has(pilot, "epoch 7/40")

    assert snap_compare(make_app(fake, show_log=True), terminal_size=(140, 40), run_before=ready)


def test_running_chain_80x24(snap_compare: Snap, snapshot_logs: Path) -> None:
    fake = fake_services(snapshot_logs)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)

    assert snap_compare(make_app(fake, show_log=False), terminal_size=(80, 24), run_before=ready)


def test_chain_stopped_by_out_of_memory_with_its_diagnosis(snap_compare: Snap, snapshot_logs: Path) -> None:
    fake = fake_services(snapshot_logs)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("down")
        await settled(pilot, fake, focus_job=OOM)
        await wait_for(pilot, lambda: _diagnosis_title(pilot) == "Out of memory")
        await drawn(pilot)

    # tall enough for the whole diagnosis: a scrollbar thumb's last cell depends on layout timing
    assert snap_compare(make_app(fake, show_log=False), terminal_size=(160, 56), run_before=ready)


def test_stale_data_keeps_the_last_screen(snap_compare: Snap, snapshot_logs: Path) -> None:
    fake = fake_services(snapshot_logs)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)
        fake.down = True
        await pilot.press("ctrl+r")
        status = pilot.app.query_one(StatusLine)
        await wait_for(pilot, lambda: status.has_class("-stale"), what="the stale notice")
        await drawn(pilot)

    assert snap_compare(make_app(fake, show_log=False), terminal_size=(100, 30), run_before=ready)


def test_read_only_view_of_another_users_chains(snap_compare: Snap, snapshot_logs: Path) -> None:
    fake = fake_services(snapshot_logs, viewer="bob")

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)

    assert snap_compare(make_app(fake, me="bob", show_log=False), terminal_size=(100, 30), run_before=ready)


def test_light_theme_keeps_every_state_readable(snap_compare: Snap, snapshot_logs: Path) -> None:
    fake = fake_services(snapshot_logs)
    app = make_app(fake, show_log=False)

    async def ready(pilot: Pilot[None]) -> None:
        pilot.app.theme = "textual-light"
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("down")
        await settled(pilot, fake, focus_job=OOM)
        await wait_for(pilot, lambda: _diagnosis_title(pilot) == "Out of memory")
        await drawn(pilot)

    assert snap_compare(app, terminal_size=(160, 60), run_before=ready)
