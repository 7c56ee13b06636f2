"""Behaviour of the dashboard, driven by Pilot on the fake service layer (captured Slurm data, fixed clock)."""

from __future__ import annotations

import io
import re
import threading
from dataclasses import replace

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Label, RadioButton, Static

from app.model.chain import ChainState
from app.tui import LongrunApp
from app.tui import polling as polling_module
from tests.tui.fake_services import FakeServices, captured_jobs, sample_chains
from tests.tui.helpers import make_app, polling, run_from_palette, settled, told, wait_for
from widgets.chain_list import GROUP_PREFIX, ChainList
from widgets.diagnosis_view import DiagnosisView
from widgets.dialogs import ConfirmScreen, SignalScreen, ViewScreen
from widgets.help_screen import HelpScreen
from widgets.link_table import LinkTable
from widgets.status_line import StatusLine
from widgets.step_table import StepTable

JOBS = captured_jobs()
RUNNING = JOBS["lrcap-running"].job_id
OOM = JOBS["lrx-oom"].job_id


async def test_first_screen_shows_chains_links_and_steps_of_the_newest_link(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        chains = app.query_one(ChainList)
        assert chains.shown_count == 7
        assert chains.selected_chain() is not None and chains.selected_chain().name == "train-resnet"  # type: ignore[union-attr]
        links = app.query_one(LinkTable)
        assert links.row_count == 2
        assert links.selected_link() is not None and links.selected_link().job_id == RUNNING  # type: ignore[union-attr]
        steps = app.query_one(StepTable)
        assert [str(steps.get_row_at(i)[0]) for i in range(steps.row_count)] == [RUNNING, f"{RUNNING}.batch"]
        assert ("snapshot", "alice", RUNNING) in fake.calls
        assert "viewing alice on longrun-test" in str(app.query_one(StatusLine).render_text())


async def test_when_every_chain_is_in_a_workflow_the_first_chain_is_selected_not_its_heading() -> None:
    fake = FakeServices(chains=tuple(c for c in sample_chains() if c.workflow))
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        chains = app.query_one(ChainList)
        assert chains.cursor_row == 1, "row 0 is the workflow heading"
        assert chains.selected_chain() is not None and chains.selected_chain().name == "fetch|data"  # type: ignore[union-attr]
        assert app.query_one(LinkTable).row_count == 1


async def test_finished_chains_replaced_by_a_newer_run_of_the_workflow_are_left_out() -> None:
    chains = sample_chains()
    fit = next(c for c in chains if c.name == "fit")
    older_done = replace(fit, chain_id="c-fit-old", state=ChainState.DONE, superseded=True)
    older_live = replace(fit, chain_id="c-fit-live", superseded=True)  # still running: stays in view
    fake = FakeServices(chains=(*chains, older_done, older_live))
    app = make_app(fake)
    async with app.run_test(size=(160, 40)) as pilot:
        await settled(pilot, fake)
        chain_list = app.query_one(ChainList)
        shown = [str(row.key.value).split("/", 1)[-1] for row in chain_list.ordered_rows]  # rows: OWNER/CHAIN
        assert "c-fit" in shown and "c-fit-live" in shown and "c-fit-old" not in shown
        heading = chain_list.get_row(GROUP_PREFIX + "pipeline")
        assert str(heading[1]) == "1/4 finished (+1 older)"
        assert "Chains of alice (8 of 9)" in str(app.query_one("#chains-pane").border_title)


async def test_moving_to_a_chain_stopped_by_oom_shows_its_diagnosis(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("down")
        await settled(pilot, fake, focus_job=OOM)
        assert app.dashboard.selected_chain().state is ChainState.STOPPED  # type: ignore[union-attr]
        assert app.query_one(LinkTable).row_count == 1
        steps = app.query_one(StepTable)
        assert str(steps.get_row_at(0)[1]) == "OUT_OF_MEMORY"
        view = app.query_one(DiagnosisView)
        await wait_for(pilot, lambda: view.current is not None and view.current.title == "Out of memory")
        assert view.current is not None and view.current.job_id == OOM
        assert any("OUT_OF_MEMORY" in line for line in view.current.evidence)
        assert view.current.suggestion is not None and "--mem=" in view.current.suggestion


async def test_moving_the_cursor_never_waits_for_slurm(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        before = len(fake.calls)
        await pilot.press("down", "down", "down", "up", "up")  # ends on the OOM chain
        assert app.query_one(LinkTable).selected_link().job_id == OOM  # type: ignore[union-attr]
        assert len(fake.calls) - before <= 5  # at most one (debounced, threaded) poll per move
        await settled(pilot, fake, focus_job=OOM)
        assert ("snapshot", "alice", OOM) in fake.calls[before:]  # asked once; a finished job is then cached


async def test_a_cursor_moved_while_a_poll_runs_gets_its_own_poll_when_that_one_ends(
    fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen in CI: the poll that ended re-armed the regular (60 s) interval over the moved cursor's
    # debounced poll, and the newly selected link's steps never came. A long debounce makes the
    # held poll end before the debounce fires, which is the case that was lost.
    monkeypatch.setattr(polling_module, "FOCUS_DEBOUNCE", 1.0)
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        gate = threading.Event()
        fake.gate = gate
        await pilot.press("down")
        await wait_for(pilot, lambda: polling(app) and fake.calls[-1] == ("snapshot", "alice", OOM), what="OOM poll")
        await pilot.press("down")
        moved_to = app.query_one(LinkTable).selected_link()
        assert moved_to is not None and moved_to.job_id != OOM
        fake.gate = None
        gate.set()
        await settled(pilot, fake, focus_job=moved_to.job_id)
        assert ("snapshot", "alice", moved_to.job_id) in fake.calls


async def test_filter_narrows_the_list_and_escape_restores_it(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("slash")
        box = app.query_one("#filter", Input)
        assert box.has_focus and box.display
        await pilot.press(*"pipeline")
        chains = app.query_one(ChainList)
        assert chains.shown_count == 3
        assert "3 of 7" in str(app.query_one("#chains-pane").border_title)
        await pilot.press("enter")
        assert chains.has_focus and chains.shown_count == 3
        await pilot.press("slash", "escape")
        assert chains.shown_count == 7 and not box.display


async def test_cancel_asks_first_and_no_means_no(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        assert fake.actions() == []
        await pilot.press("c", "y")
        await wait_for(
            pilot, lambda: fake.actions() == [("cancel", "c-train", ("job_id", RUNNING))], what="cancel call"
        )
        await wait_for(pilot, lambda: any("cancel c-train: done" in n.message for n in told(app)))


async def test_signal_dialog_offers_common_signals_and_a_typed_name(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("s")
        assert isinstance(app.screen, SignalScreen)
        await pilot.press("down", "enter")  # SIGUSR1
        await pilot.click("#ok")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for(
            pilot, lambda: ("signal", "c-train", "USR1", False, ("job_id", RUNNING)) in fake.actions(), what="USR1"
        )

        await pilot.press("s")
        app.screen.query_one("#custom", Input).focus()
        await pilot.press(*"bogus!", "enter")
        assert isinstance(app.screen, SignalScreen)
        assert "not a signal" in str(app.screen.query_one("#signal-error", Label).render())
        app.screen.query_one("#custom", Input).value = "sighup"
        app.screen.query("#scope RadioButton").last(RadioButton).value = True
        await pilot.click("#ok")
        await pilot.press("y")
        await wait_for(pilot, lambda: ("signal", "c-train", "HUP", True, ("job_id", RUNNING)) in fake.actions(),
                       what="HUP to all steps")  # fmt: skip


async def test_reinit_confirms_and_resubmit_acts_directly(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("i")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert fake.actions() == []
        await pilot.press("i", "y")
        await wait_for(pilot, lambda: ("reinit", "c-train") in fake.actions())
        await pilot.press("r")
        await wait_for(pilot, lambda: ("resubmit", "c-train") in fake.actions())


def rendered(content: object) -> str:
    console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


async def select_workflow_heading(pilot: Pilot[None], app: LongrunApp, workflow: str) -> None:
    chains = app.query_one(ChainList)
    chains.move_cursor(row=chains.get_row_index(GROUP_PREFIX + workflow))
    await wait_for(pilot, lambda: chains.selected_workflow() is not None, what="the workflow heading")


async def test_i_on_a_workflow_heading_shows_the_plan_and_reinitializes_the_workflow(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await select_workflow_heading(pilot, app, "pipeline")
        body = app.query_one("#diagnosis-body", Static)
        await wait_for(pilot, lambda: "Workflow pipeline" in rendered(body.content), what="the workflow summary")
        summary = rendered(body.content)
        assert "Workflow pipeline  (3 jobs: 1 done, 1 running, 1 waiting)" in summary
        assert re.search(r"^report +WAITING: waiting for fit", summary, re.MULTILINE) and "i: reinitialize" in summary
        for action in ("resubmit", "cancel_chain", "signal"):
            assert app.check_action(action, ()) is None, f"{action} is for chains, not workflows"
        assert app.check_action("reinit", ()) is True
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirm dialog")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Reinitialize workflow pipeline?"
        assert "report: new chain, waits for its upstream jobs" in app.screen.detail
        assert "unchanged: fetch|data, fit" in app.screen.detail
        await pilot.press("escape")
        assert ("reinit_workflow", "pipeline") not in fake.actions()
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirm dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: ("reinit_workflow", "pipeline") in fake.actions())
        assert not any(a[0] == "reinit" for a in fake.actions()), "no single chain was reinitialized"


async def test_signal_and_stop_on_a_chain_without_a_live_job_say_why_they_do_nothing(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("down")  # the chain stopped by an OOM kill: its job ended
        await settled(pilot, fake, focus_job=OOM)
        assert app.check_action("signal", ()) is None and app.check_action("stop", ()) is None
        await pilot.press("s")
        await wait_for(pilot, lambda: any(n.title == "Signal: not now" for n in told(app)), what="why not")
        said = next(n.message for n in told(app) if n.title == "Signal: not now")
        assert f"its last job {OOM} ended OUT_OF_MEMORY" in said
        assert not app.screen.is_modal and not fake.actions()


async def test_read_only_chains_have_their_action_keys_disabled() -> None:
    fake = FakeServices(viewer="bob")
    app = make_app(fake, user="alice", me="bob")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        assert "read-only" in str(app.query_one("#chains-pane").border_title)
        for action in ("resubmit", "cancel_chain", "signal", "reinit"):
            assert app.check_action(action, ()) is None, action
        bindings = app.screen.active_bindings
        for key in ("r", "c", "s", "i"):
            assert bindings[key].enabled is False, key
        assert bindings["l"].enabled is True
        await pilot.press("c", "s", "i", "r")
        await pilot.pause(0.2)
        assert not app.screen.is_modal
        await wait_for(pilot, lambda: {"Cancel: not now", "Signal: not now"} <= {n.title for n in told(app)},
                       what="a disabled key saying why it does nothing")  # fmt: skip
        said = {n.title: n.message for n in told(app)}
        assert "alice's chain: you can view it, only alice can act on it" in said["Signal: not now"]
        chains = app.query_one(ChainList)
        chains.move_cursor(row=chains.get_row_index(GROUP_PREFIX + "pipeline"))
        await pilot.pause(0.1)
        assert app.check_action("reinit", ()) is None, "a colleague's workflow cannot be reinitialized"
        await pilot.press("i")
        await pilot.pause(0.2)
        assert not app.screen.is_modal
        assert fake.actions() == []


async def test_a_failed_poll_keeps_the_data_and_says_since_when_it_is_stale(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        fake.down = True
        calls = len(fake.calls)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.query_one(StatusLine).has_class("-stale"), what="stale status")
        assert len(fake.calls) == calls + 1
        text = str(app.query_one(StatusLine).render_text())
        assert "stale since 01:54:00" in text and "Connection refused" in text
        assert app.query_one(ChainList).shown_count == 7
        fake.down = False
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not app.query_one(StatusLine).has_class("-stale"), what="fresh status")


async def test_unreadable_chains_are_named_in_a_notification_and_counted_on_the_status_line(fake: FakeServices) -> None:
    fake.damaged = ("chain bad: /home/alice/.local/state/longrun/chains/bad/spec.json: not valid JSON",)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot, fake)
        line = str(app.query_one(StatusLine).render_text())
        assert line.startswith("viewing alice on longrun-test │ 1 chain unreadable (longrun status)")
        said = [n for n in told(app) if n.title == "chains that cannot be read"]
        assert len(said) == 1 and "chain bad:" in said[0].message
        assert app.query_one(ChainList).shown_count == 7, "the other chains are all shown"
        polls = sum(1 for c in fake.calls if c[0] == "snapshot")
        await pilot.press("ctrl+r")  # the next poll reports the same chain: no second notification
        await wait_for(pilot, lambda: sum(1 for c in fake.calls if c[0] == "snapshot") > polls, what="a poll")
        await settled(pilot, fake)
        assert len([n for n in told(app) if n.title == "chains that cannot be read"]) == 1


async def test_polls_pause_while_a_dialog_is_open(fake: FakeServices) -> None:
    app = make_app(fake, interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("c")
        # a poll already running when the dialog opened may still call the service: let it finish
        await wait_for(pilot, lambda: app.screen.is_modal and not polling(app), what="the dialog, no poll running")
        calls = len(fake.calls)
        await pilot.pause(0.5)  # five polling intervals
        assert len(fake.calls) == calls
        await pilot.press("n")
        await wait_for(pilot, lambda: len(fake.calls) > calls, what="polls to resume")


async def test_u_switches_to_all_users_with_an_owner_column(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("u")
        assert isinstance(app.screen, ViewScreen)
        await pilot.click("#all")
        await wait_for(pilot, lambda: any(c[:2] == ("snapshot", None) for c in fake.calls), what="poll of all")
        await settled(pilot, fake)
        chains = app.query_one(ChainList)
        await wait_for(pilot, lambda: "Owner" in [str(c.label) for c in chains.columns.values()])
        assert "all users" in str(app.query_one(StatusLine).render_text())


async def test_help_and_palette(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not app.screen.is_modal
        await run_from_palette(pilot, "cancel the", "Cancel the selected chain")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="cancel confirmation from palette")
        await pilot.press("n")
        assert fake.actions() == []


async def test_slurm_down_from_the_start_says_so_without_a_traceback() -> None:
    fake = FakeServices(down=True)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.query_one(StatusLine)
        await wait_for(pilot, lambda: status.has_class("-stale"), what="the stale notice")
        assert "stale since 01:54:00" in str(status.render_text())
        assert app.query_one(ChainList).shown_count == 0
        assert app.dashboard.selected_chain() is None
        for action in ("resubmit", "cancel_chain", "signal", "reinit"):
            assert app.check_action(action, ()) is None
