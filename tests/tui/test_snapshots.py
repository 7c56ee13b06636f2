"""How the dashboard looks in its main states (SVG snapshots; `--snapshot-update` after a deliberate change).

Fed by the fake service layer over captured Slurm output, with a fixed clock and fixed log paths, so
every run draws the same screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Log

from app.tui import LongrunApp
from tests.tui.fake_services import (
    FakeServices,
    captured_jobs,
    checkpoint_chain,
    sample_chains,
)
from tests.tui.helpers import drawn, make_app, settled, wait_for
from tests.unit.test_report import NOW as REPORT_NOW
from tests.unit.test_report import chain_id as report_chain_id
from tests.unit.test_report import services_with_captured_chain
from widgets.chain_list import row_key
from widgets.diagnosis_view import DiagnosisView
from widgets.status_line import StatusLine

JOBS = captured_jobs()
RUNNING = JOBS["lrcap-running"].job_id
OOM = JOBS["lrx-oom"].job_id
Snap = Callable[..., bool]


def fake_services(logs: Path, viewer: str = "alice") -> FakeServices:
    return FakeServices(chains=sample_chains(log_dir=logs), viewer=viewer)


def with_checkpoint_chain(logs: Path, home: Path) -> FakeServices:
    """The sample chains and the real checkpointing chain `sweep[lr=3e-4]`; stop, archive and options too."""
    return FakeServices(chains=(*sample_chains(log_dir=logs), checkpoint_chain(home, log_dir=logs)))


async def _select(pilot: Pilot[None], fake: FakeServices, name: str, focus_job: str) -> None:
    app = pilot.app
    assert isinstance(app, LongrunApp)
    chains = app.dashboard.chain_list
    chain = next(c for c in fake.chains if c.name == name)
    chains.move_cursor(row=chains.get_row_index(row_key(chain)))
    await settled(pilot, fake, focus_job=focus_job)


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


# 11.7: one screen per size, each showing the selected chain's state, its last link's ending and what to do


def test_layout_80x24_stopped_chain_shows_what_to_do_above_the_tabs(
    snap_compare: Snap, snapshot_logs: Path, tmp_path: Path
) -> None:
    fake = with_checkpoint_chain(snapshot_logs, tmp_path)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)
        await _select(pilot, fake, "preprocess", OOM)
        await drawn(pilot)

    assert snap_compare(make_app(fake, show_log=None), terminal_size=(80, 24), run_before=ready)


def test_layout_100x30_checkpointed_links_in_the_links_tab(
    snap_compare: Snap, snapshot_logs: Path, tmp_path: Path
) -> None:
    fake = with_checkpoint_chain(snapshot_logs, tmp_path)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)
        await _select(pilot, fake, "sweep[lr=3e-4]", "1534")
        await pilot.press("enter")
        await drawn(pilot)

    assert snap_compare(make_app(fake, show_log=None), terminal_size=(100, 30), run_before=ready)


def test_layout_160x48_every_pane_with_the_log(snap_compare: Snap, snapshot_logs: Path, tmp_path: Path) -> None:
    fake = with_checkpoint_chain(snapshot_logs, tmp_path)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)
        await _select(pilot, fake, "preprocess", OOM)
        await _log_has(pilot, "oom-kill")

    assert snap_compare(make_app(fake, show_log=None), terminal_size=(160, 48), run_before=ready)


def test_layout_220x60_a_checkpointed_link_and_its_chain(
    snap_compare: Snap, snapshot_logs: Path, tmp_path: Path
) -> None:
    fake = with_checkpoint_chain(snapshot_logs, tmp_path)

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake, focus_job=RUNNING)
        await _select(pilot, fake, "sweep[lr=3e-4]", "1534")
        app = pilot.app
        assert isinstance(app, LongrunApp)
        app.dashboard.link_table.move_cursor(row=1)
        await settled(pilot, fake, focus_job="1515")
        await _log_has(pilot, "caught SIGTERM: checkpoint saved at step 78")

    assert snap_compare(make_app(fake, show_log=None), terminal_size=(220, 60), run_before=ready)


def test_economics_of_a_chain_in_the_dashboard_160x48(snap_compare: Snap, snapshot_logs: Path, tmp_path: Path) -> None:
    """12.6: the progress column, and the Economics pane (totals, sparklines, timeline, waste with its fix)
    of the real chain branch econ captured (tests/captures/chain_report)."""
    services, _ = services_with_captured_chain(tmp_path)
    econ = services.report(report_chain_id(), now=REPORT_NOW).chain
    fake = FakeServices(chains=(econ, *sample_chains(log_dir=snapshot_logs)))

    async def ready(pilot: Pilot[None]) -> None:
        await settled(pilot, fake)
        await drawn(pilot)

    assert snap_compare(make_app(fake, show_log=False), terminal_size=(160, 48), run_before=ready)
