"""The dashboard through a real user's first hour (issue 11, items 4 to 10, and attention), with Pilot
on the fake service layer over captured Slurm output (tests/tui/data/checkpoint_chain is a real
checkpointing chain from the test cluster)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Static

from app.model.chain import ChainState
from app.tui import LongrunApp
from app.views import ChainView
from tests.tui.fake_services import (
    FakeServices,
    captured_jobs,
    checkpoint_chain,
    link_from,
    sample_chains,
)
from tests.tui.helpers import drawn, make_app, screen_text, settled, told, wait_for
from tests.unit.test_report import NOW as REPORT_NOW
from tests.unit.test_report import chain_id as report_chain_id
from tests.unit.test_report import services_with_captured_chain
from widgets.chain_list import ATTENTION, ChainList, row_key
from widgets.dialogs import ConfirmScreen, ResubmitScreen, SignalScreen, ViewScreen
from widgets.link_table import LinkTable
from widgets.text import shown_subtitle, shown_title

JOBS = captured_jobs()
RUNNING, OOM, TIMEOUT = JOBS["lrcap-running"].job_id, JOBS["lrx-oom"].job_id, JOBS["lrx-timeout"].job_id


def with_checkpoint_chain(tmp_path: Path, fake_type: type[FakeServices] = FakeServices) -> FakeServices:
    return fake_type(chains=(*sample_chains(), checkpoint_chain(tmp_path)))


async def select(pilot: object, app: LongrunApp, name: str) -> ChainView:
    chains = app.dashboard.chain_list
    chain = next(c for c in chains._chains if c.name == name)
    chains.move_cursor(row=chains.get_row_index(row_key(chain)))
    await wait_for(pilot, lambda: (c := app.dashboard.selected_chain()) is not None and c.name == name)  # type: ignore[arg-type]
    links = app.dashboard.link_table
    await wait_for(pilot, lambda: links.row_count == len(chain.links), what="its links shown")  # type: ignore[arg-type]
    await drawn(pilot)  # type: ignore[arg-type]
    return chain


def diagnosis_text(app: LongrunApp) -> str:
    """The Diagnosis pane's text, its lines joined (as wide as a person's terminal may make them)."""
    console = Console(width=300, file=io.StringIO(), record=True, color_system=None)
    console.print(app.query_one("#diagnosis-body", Static).content)
    return " ".join(console.export_text().split())


async def poll_again(pilot: Pilot[None], fake: FakeServices) -> None:
    polls = len(fake.calls)
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: len(fake.calls) > polls, what="a poll")
    await settled(pilot, fake)


def last_notification(app: LongrunApp) -> str:
    said = list(told(app))
    return said[-1].message if said else ""


# -- 11.4: dialogs name the job they act on --------------------------------------------------------
async def test_dialogs_name_the_job_and_the_action_carries_it(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen) and f"Its job {RUNNING} is cancelled" in app.screen.detail
        await pilot.press("y")
        await wait_for(
            pilot, lambda: ("cancel", "c-train", ("job_id", RUNNING)) in fake.actions(), what="cancel of the job"
        )
        await pilot.press("s")
        assert isinstance(app.screen, SignalScreen) and app.screen.job_id == RUNNING
        await pilot.click("#ok")
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question == (
            f"Send SIGTERM to job {RUNNING} of chain train-resnet?"
        )  # fmt: skip


async def test_a_confirmation_that_comes_after_the_chain_moved_on_hits_no_job(fake: FakeServices) -> None:
    """`s` on job 36, confirmed after the chain moved on to job 37: refused, nothing sent to 37."""
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("s")
        await pilot.click("#ok")
        assert isinstance(app.screen, ConfirmScreen)
        train = fake.chains[0]
        moved = replace(train.links[-1], attempt=3, job_id="37")
        fake.chains = (replace(train, links=(*train.links, moved)), *fake.chains[1:])  # meanwhile
        await pilot.press("y")
        await wait_for(pilot, lambda: "the chain moved on to job 37" in last_notification(app), what="the refusal")
        assert fake.actions() == [("signal", "c-train", "TERM", False, ("job_id", RUNNING))]


# -- 11.6: checkpointed links are not failures -------------------------------------------------------
async def test_a_healthy_checkpointing_chain_shows_its_links_as_continued_in_a_calm_colour(tmp_path: Path) -> None:
    fake = with_checkpoint_chain(tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake)
        await select(pilot, app, "sweep[lr=3e-4]")
        table = app.query_one(LinkTable)
        table.move_cursor(row=0)
        await settled(pilot, fake, focus_job="1499")
        error = app.theme_variables["text-error"]
        for row in range(3):
            state, outcome = table.get_row_at(row)[2], table.get_row_at(row)[3]
            assert str(state) == "checkpointed" and "FAILED" not in str(state)
            assert str(outcome) == f"checkpointed (exit 75) → continued as job {['1515', '1523', '1534'][row]}"
            assert all(str(span.style) != error and error not in str(span.style) for span in state.spans)
            calm = app.theme_variables["text-primary"].lower()
            assert error.lower() not in str(state.style).lower() and calm in str(state.style).lower()
        body = diagnosis_text(app)
        assert "Link 1 of chain sweep[lr=3e-4]: checkpointed (exit 75) → the chain continued as job 1515" in body
        assert "Fix:" not in body and "run it as a chain" not in body, "a link that continued needs no fix"


async def test_a_checkpointed_links_steps_are_not_alarm_red(tmp_path: Path) -> None:
    """The Steps pane of a link that continued: its job and batch step ended FAILED 75:0 (the warning
    signal's checkpoint), shown in the calm colour with the reason, as the chain pane shows it."""
    fake = with_checkpoint_chain(tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake)
        await select(pilot, app, "sweep[lr=3e-4]")
        app.query_one(LinkTable).move_cursor(row=0)
        await settled(pilot, fake, focus_job="1499")
        steps = app.dashboard.step_table
        error = app.theme_variables["text-error"].lower()
        calm = app.theme_variables["text-primary"].lower()
        states = [steps.get_row_at(i)[1] for i in range(steps.row_count)]
        assert str(states[0]) == "checkpointed" and any(str(s).startswith("FAILED") for s in states[1:]), states
        for state in states:
            assert error not in str(state.style).lower() and calm in str(state.style).lower(), state
        shown = shown_subtitle(steps)
        assert shown.plain.startswith("checkpointed (exit 75) → continued as job 1515"), shown.plain
        assert calm in str(shown.spans[0].style).lower()


# -- 11.7: every size shows the chain's state, why its last link ended and what to do ---------------
SIZES = ((80, 24), (100, 30), (160, 48), (220, 60))


async def test_at_every_size_the_state_the_last_ending_and_the_fix_are_on_screen(tmp_path: Path) -> None:
    for size in SIZES:
        fake = with_checkpoint_chain(tmp_path / f"{size[0]}")
        app = make_app(fake, show_log=None)
        async with app.run_test(size=size) as pilot:
            await settled(pilot, fake)
            await select(pilot, app, "preprocess")
            await settled(pilot, fake, focus_job=OOM)
            await drawn(pilot)
            text = " ".join(screen_text(app).split())
            assert "preprocess STOPPED: out of memory (requested 200M)" in text, size
            assert f"Last link: job {OOM} ended OUT_OF_MEMORY → the chain stopped" in text, size
            assert "What to do: Fix: Ask for --mem=" in text and "(r: resubmit with its options, editable)" in text, (
                size
            )
            chains = app.query_one(ChainList)
            if size[0] >= 120:  # side by side: Run time and Left and the whole state text are there
                assert "STOPPED: out of memory (requested 200M)" in str(chains.get_row(row_key(fake.chains[1]))[1])
                assert "Run time" in text and "Left" in text and "8:28" in text, size
                diagnosis = app.dashboard.diagnosis_view
                assert diagnosis.scroll_y == 0 and "Fix: Ask for --mem=" in text.split("Diagnosis", 1)[1], size


async def test_narrow_screens_make_the_panes_tabs_and_tab_reaches_every_one(fake: FakeServices) -> None:
    for size in ((80, 24), (100, 30)):
        app = make_app(fake, show_log=None)
        async with app.run_test(size=size) as pilot:
            await settled(pilot, fake, focus_job=RUNNING)
            dashboard = app.dashboard
            assert dashboard.narrow and dashboard.tabs.display
            seen = []
            for _ in range(6):
                await pilot.press("tab")
                await drawn(pilot)
                pane = dashboard.pane
                widget = dashboard.pane_widget(pane)
                assert widget.has_focus and widget.region.height > 2, (size, pane)
                assert dashboard.tabs.active == f"tab-{pane}"
                seen.append(pane)
            assert seen == ["links", "steps", "diagnosis", "economics", "log", "chains"], size
            await pilot.press("shift+tab")
            assert dashboard.pane == "log"
            await pilot.press("escape")
            assert dashboard.pane == "chains" and dashboard.chain_list.has_focus


# -- 11.8: interaction -----------------------------------------------------------------------------------
async def test_j_k_and_enter_drill_into_a_chain_and_its_links(tmp_path: Path) -> None:
    fake = with_checkpoint_chain(tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("j", "j", "k")
        assert app.dashboard.selected_chain().name == "preprocess"  # type: ignore[union-attr]
        await select(pilot, app, "sweep[lr=3e-4]")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.query_one(LinkTable).has_focus, what="the links")
        assert app.dashboard.pane == "links" and app.query_one(LinkTable).cursor_row == 3
        await pilot.press("k", "k")
        await settled(pilot, fake, focus_job="1515")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.dashboard.diagnosis_view.has_focus, what="the diagnosis")
        assert app.dashboard.pane == "diagnosis"
        assert "continued as job 1523" in diagnosis_text(app)


@contextmanager
def recorded_suspend(log: list[str]) -> Iterator[None]:
    log.append("suspended")
    yield
    log.append("resumed")


async def test_o_opens_the_log_in_the_pager_with_the_app_suspended(tmp_path: Path) -> None:
    fake = with_checkpoint_chain(tmp_path)
    app = make_app(fake)
    events: list[str] = []

    def pager(argv: Sequence[str]) -> int:
        events.append(f"pager {' '.join(argv)}")
        return 0

    async with app.run_test(size=(120, 40)) as pilot:
        app.pager = pager
        app.suspend = lambda: recorded_suspend(events)  # type: ignore[method-assign]
        os.environ["PAGER"] = "less -R"
        try:
            await settled(pilot, fake)
            await select(pilot, app, "sweep[lr=3e-4]")
            await pilot.press("o")
            log = app.dashboard.selected_link().log_path  # type: ignore[union-attr]
            assert log is not None and log.endswith("train-1534.out")
            assert events == ["suspended", f"pager less -R {log}", "resumed"]
        finally:
            del os.environ["PAGER"]
        events.clear()
        await select(pilot, app, "bad-config")  # its log is not known
        await pilot.press("o")
        assert events == [] and f"no log file is known for job {JOBS['lrcap-exit3'].job_id}" in last_notification(app)
        fifo = tmp_path / "fifo.out"
        os.mkfifo(fifo)
        # the real explain pipeline reads this log's tail too: it refuses a FIFO instead of waiting for a
        # writer (tests/tui/test_log_not_regular.py has it over a registry on disk); this test is about `o`
        chain = next(c for c in fake.chains if c.name == "eval")
        fake.chains = tuple(replace(c, links=(replace(c.links[0], log_path=str(fifo)),)) if c is chain else c
                            for c in fake.chains)  # fmt: skip
        await pilot.press("ctrl+r")
        await settled(pilot, fake)
        await select(pilot, app, "eval")
        await wait_for(pilot, lambda: app.dashboard.selected_link().log_path == str(fifo))  # type: ignore[union-attr]
        await pilot.press("o")
        assert events == [] and "is not a regular file, not opened" in last_notification(app)


async def test_y_copies_the_job_id(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("y")
        assert app.clipboard == RUNNING
        assert f"job id {RUNNING} copied" in last_notification(app)


async def test_the_cursor_stays_on_its_chain_when_the_list_is_sorted_again(fake: FakeServices) -> None:
    app = make_app(fake, interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await select(pilot, app, "eval")
        polls = len(fake.calls)
        fake.chains = tuple(reversed(fake.chains))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(fake.calls) > polls, what="a poll")
        await settled(pilot, fake)
        chains = app.query_one(ChainList)
        assert app.dashboard.selected_chain().name == "eval"  # type: ignore[union-attr]
        assert chains.selected_key() == row_key(next(c for c in fake.chains if c.name == "eval"))
        assert not any(call[2] not in (None, JOBS["lrcap-completed"].job_id) for call in fake.calls[polls:]), (
            "no poll asked for another chain's job while the list was redrawn"
        )  # fmt: skip


async def test_a_archives_a_finished_chain_after_asking(fake: FakeServices) -> None:
    full = FakeServices()
    app = make_app(full)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, full)
        assert app.check_action("archive", ()) is None, "a running chain is not archived"
        await select(pilot, app, "eval")
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question == "Archive chain eval (c-eval)?"
        await pilot.press("y")
        await wait_for(pilot, lambda: ("archive", "c-eval") in full.actions(), what="the archive call")


async def test_the_user_dialog_starts_in_its_text_field(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await pilot.press("u")
        assert isinstance(app.screen, ViewScreen)
        assert app.screen.query_one("#user", Input).has_focus
        await pilot.press(*"bob", "enter")
        await wait_for(pilot, lambda: ("snapshot", "bob", None) in fake.calls, what="a poll of bob's chains")


# -- 11.9: resubmit with the fix ---------------------------------------------------------------------
async def test_r_after_out_of_memory_offers_the_suggested_options_editable(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await select(pilot, app, "preprocess")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ResubmitScreen), what="the resubmit dialog")
        assert isinstance(app.screen, ResubmitScreen)
        field = app.screen.query_one("#options", Input)
        assert ("suggested_options", "c-prep") in fake.calls and fake.actions() == []
        assert field.has_focus and field.value == "--mem=256M", "the service's suggestion, in an editable field"
        field.value = ""
        await pilot.press(*"--mem=1G --oops bad", "enter")
        assert isinstance(app.screen, ResubmitScreen), "a word that is no option is refused"
        assert "not an sbatch option: 'bad'" in " ".join(screen_text(app).split())
        field.value = "--mem=1G --time=2:00:00"
        await pilot.press("enter")
        await wait_for(pilot, lambda: fake.actions() != [], what="the resubmit")
        assert fake.actions() == [("resubmit", "c-prep", ("options", ("--mem=1G", "--time=2:00:00")))]


class NoSuggestion(FakeServices):
    def suggested_options(self, chain_id: str) -> tuple[str, ...]:
        self.calls.append(("suggested_options", chain_id))
        return ()


async def test_r_with_no_suggestion_offers_an_empty_field_and_a_running_chain_gets_no_dialog() -> None:
    fake = NoSuggestion()
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await select(pilot, app, "bad-config")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ResubmitScreen), what="the resubmit dialog")
        assert app.screen.query_one("#options", Input).value == ""
        await pilot.press("enter")
        await wait_for(pilot, lambda: ("resubmit", "c-exit") in fake.actions(), what="a plain resubmit")
        await select(pilot, app, "train-resnet")
        await pilot.press("r")  # not stopped: nothing to fix, no dialog (the service says it has a live job)
        await wait_for(pilot, lambda: ("resubmit", "c-train") in fake.actions(), what="the direct resubmit")
        assert not app.screen.is_modal


# -- 11.10: checkpoint and stop ---------------------------------------------------------------------
async def test_x_stops_the_chain_gracefully_naming_its_job() -> None:
    fake = FakeServices()
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == f"Checkpoint and stop chain train-resnet: job {RUNNING}?"
        assert "warning signal now" in app.screen.detail
        await pilot.press("y")
        await wait_for(pilot, lambda: ("stop", "c-train", ("job_id", RUNNING)) in fake.actions(), what="the stop")


# -- attention -------------------------------------------------------------------------------------------
async def test_a_chain_that_newly_needs_a_person_is_marked_and_rings_the_bell_once(fake: FakeServices) -> None:
    app = make_app(fake, interval=60)
    rings: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        await settled(pilot, fake)
        chains = app.query_one(ChainList)
        marked = [c.name for c in fake.chains if str(chains.get_row(row_key(c))[0]).startswith(ATTENTION)]
        assert marked == ["preprocess", "bad-config"]
        assert rings == [], "chains that needed a person when the dashboard opened do not ring"
        train = fake.chains[0]
        oom = link_from(JOBS["lrx-oom"], 3, "OUT_OF_MEMORY", "needs_person: out of memory")
        stopped = replace(train, state=ChainState.STOPPED, reason="out of memory", links=(*train.links, oom),
                          needs_attention=True)  # fmt: skip
        fake.chains = (stopped, *fake.chains[1:])
        for _ in range(2):
            await poll_again(pilot, fake)
        assert rings == [1]
        assert "train-resnet: out of memory" in " ".join(n.message for n in told(app))
        assert str(chains.get_row(row_key(stopped))[0]).startswith(ATTENTION)
        assert "3 need you" in str(app.dashboard.chains_pane.border_title)


async def test_a_colleagues_chain_that_stops_does_not_ring() -> None:
    fake = FakeServices(viewer="bob")
    app = make_app(fake, user="alice", me="bob", interval=60)
    rings: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        await settled(pilot, fake)
        train = fake.chains[0]
        fake.chains = (replace(train, state=ChainState.STOPPED, reason="failed", needs_attention=True),
                       *fake.chains[1:])  # fmt: skip
        await poll_again(pilot, fake)
        assert rings == []


# -- 11.2 (the dashboard's part): a separate stderr file, and why a log is not known ---------------------
async def test_e_shows_the_separate_stderr_file_and_back(tmp_path: Path) -> None:
    out, err = tmp_path / "train-36.out", tmp_path / "train-36.err"
    out.write_text("epoch 1/40\n")
    err.write_text("Traceback (most recent call last):\n")
    train = sample_chains()[0]
    live = replace(train.links[-1], log_path=str(out), stderr_path=str(err))
    fake = FakeServices(chains=(replace(train, links=(*train.links[:-1], live)), *sample_chains()[1:]))
    app = make_app(fake, show_log=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        pane = app.dashboard.log_tail
        await wait_for(pilot, lambda: "epoch 1/40" in pane.lines, what="stdout in the Log pane")
        assert shown_title(pane) == "Log (stdout)"
        await pilot.press("e")
        await wait_for(pilot, lambda: "Traceback (most recent call last):" in pane.lines, what="stderr")
        assert shown_title(pane) == "Log (stderr)" and pane.path == str(err)
        await pilot.press("e")
        await wait_for(pilot, lambda: pane.path == str(out), what="stdout again")
        await select(pilot, app, "preprocess")  # its log holds stderr too: e says so
        await pilot.press("e")
        assert "no -e file of its own" in last_notification(app)


async def test_a_link_whose_log_is_unknown_says_why(fake: FakeServices) -> None:
    train = fake.chains[0]
    unknown = replace(train.links[-1], log_path=None, log_problem="%N names the node, unknown before the job starts")
    fake.chains = (replace(train, links=(*train.links[:-1], unknown)), *fake.chains[1:])
    app = make_app(fake, show_log=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake, focus_job=RUNNING)
        pane = app.dashboard.log_tail
        await wait_for(pilot, lambda: any("%N names the node" in line for line in pane.lines), what="the reason")


async def test_how_the_view_was_built_is_told_once_and_a_stopping_chain_says_so(fake: FakeServices) -> None:
    fake.notes = ("bob's registry cannot be read (/home/bob/.local/state/longrun: permission denied): "
                  "his chains come from Slurm accounting",)  # fmt: skip
    train = fake.chains[0]
    fake.chains = (replace(train, stopping=True), *fake.chains[1:])
    app = make_app(fake, interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        await poll_again(pilot, fake)
        said = [n for n in told(app) if n.title == "about this view"]
        assert len(said) == 1 and "from Slurm accounting" in said[0].message
        assert "no link follows the one that is running" in " ".join(screen_text(app).split())


async def test_a_chain_its_owner_stopped_is_not_shown_as_a_failure(tmp_path: Path) -> None:
    """`x` then the link checkpoints: STOPPED "stopped by alice", last link muted, no `!`, no red."""
    chain = checkpoint_chain(tmp_path)
    last = replace(chain.links[-1], state="FAILED", ending="exit 75",
                   decision="needs_person: stopped by alice; the link ended: checkpointed (exit 75)")  # fmt: skip
    stopped = replace(chain, state=ChainState.STOPPED, reason="stopped by alice", links=(*chain.links[:-1], last))
    fake = FakeServices(chains=(stopped,))
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake, focus_job="1534")
        table = app.query_one(LinkTable)
        state, outcome = table.get_row_at(3)[2], table.get_row_at(3)[3]
        assert str(outcome) == "stopped by alice; the link ended: checkpointed (exit 75)"
        assert app.theme_variables["text-error"].lower() not in str(state.style).lower()
        assert not str(app.query_one(ChainList).get_row(row_key(stopped))[0]).startswith(ATTENTION)
        assert "Link 4 of chain sweep[lr=3e-4]: stopped by alice" in diagnosis_text(app)


# -- 12.6: progress, economics and efficiencies in the dashboard ---------------------------------------
async def test_progress_in_the_chain_list_economics_pane_and_efficiencies_of_the_steps(tmp_path: Path) -> None:
    """The real chain of tests/captures/chain_report (branch econ's capture), projected by the service layer."""
    services, _ = services_with_captured_chain(tmp_path)
    econ = services.report(report_chain_id(), now=REPORT_NOW).chain
    fake = FakeServices(chains=(econ, *sample_chains()))
    app = make_app(fake, show_log=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake)
        chains = app.query_one(ChainList)
        assert "Progress" in [str(c.label) for c in chains.columns.values()]
        assert "100%" in str(chains.get_row(row_key(econ))[-1])
        text = " ".join(screen_text(app).split())
        assert "4 links, ran 1:44" in text and "CPU eff" in text and "Peak mem" in text, "totals and sparklines"
        assert "#4 1814" in text and "running" in text, "the timeline"
        await select(pilot, app, "preprocess")
        await settled(pilot, fake, focus_job=OOM)
        shown = shown_subtitle(app.dashboard.step_table)
        assert shown.plain == "memory 0 % of 256M per node", "the job's efficiency (no CPU time recorded: none)"
        warning = app.theme_variables["text-warning"].lower()
        assert any(warning in str(span.style).lower() for span in shown.spans), "waste in the warning colour"
