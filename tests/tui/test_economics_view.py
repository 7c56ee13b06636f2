"""The Economics pane (widgets/economics_view.py) drawn from a real chain captured on the test cluster
(tests/captures/chain_report): progress, totals, sparklines, timeline and advice, and a running
link's memory. SVG snapshots at a wide and a narrow size (`--snapshot-update` after a deliberate
change), and the same text as `longrun report` checked with Pilot."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from app.model.units import MemorySize
from app.model.usage import LiveMemory, StepPeak
from app.views import ChainView, FocusView
from tests.unit.test_report import NOW, chain_id, services_with_captured_chain
from widgets.economics_view import EconomicsView

Snap = Callable[..., bool]
M = 1024**2


def captured_chain(tmp_path: Path) -> ChainView:
    services, _ = services_with_captured_chain(tmp_path)
    return services.report(chain_id(), now=NOW).chain


def focus_with_memory() -> FocusView:
    memory = LiveMemory(MemorySize(380 * M), StepPeak("batch", MemorySize(390 * M), "MaxRSS"), MemorySize(400 * M))
    return FocusView("1814", False, MemorySize(400 * M), (), None, live_memory=memory)


class PaneApp(App[None]):
    """Only the pane, as the dashboard would hold it."""

    def __init__(self, chain: ChainView | None, focus: FocusView | None = None) -> None:
        super().__init__()
        self.chain, self.focus = chain, focus

    def compose(self) -> ComposeResult:
        yield EconomicsView(id="economics")

    def on_resize(self) -> None:
        self.call_after_refresh(lambda: self.query_one(EconomicsView).show(self.chain, self.focus, NOW))


def drawn_text(pane: EconomicsView, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(pane.content)
    return console.export_text()


@pytest.mark.quiet
@pytest.mark.parametrize("size", [(110, 30), (60, 34)])
def test_economics_pane_snapshot(snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
    app = PaneApp(captured_chain(tmp_path), focus_with_memory())

    async def ready(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


async def test_the_pane_draws_the_reports_pictures(tmp_path: Path) -> None:
    app = PaneApp(captured_chain(tmp_path), focus_with_memory())
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        text = drawn_text(app.query_one(EconomicsView), 110)
    report = (Path(__file__).parents[1] / "captures" / "chain_report" / "report_100.txt").read_text()
    assert "100.0 %  50/50" in text and "memory now 380M / peak 390M / asked 400M per node" in text
    words, report_words = " ".join(text.split()), " ".join(report.split())  # wrapped at other widths
    for part in ("4 links, ran 1:44", "CPU eff ▄▄▄▃ 39.4 %", "Peak mem ▃▃▃▃ 103.6M of 400M", "-c 1 instead of 2"):
        assert part in words and part in report_words, part
    assert "#4 1814" in text and "█ running" in text


async def test_nothing_selected_and_a_refused_sstat(tmp_path: Path) -> None:
    app = PaneApp(None)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        await pilot.pause()
        pane = app.query_one(EconomicsView)
        assert drawn_text(pane, 80).strip() == "no chain selected"
        refused = FocusView("9", False, None, (), None, live_memory_problem="sstat: only the job's owner ...")
        pane.show(captured_chain(tmp_path), refused, NOW)
        assert "live memory: sstat: only the job's owner" in drawn_text(pane, 80)
