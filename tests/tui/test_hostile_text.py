"""Issues 11.1 and 16.2: every string from a user, Slurm or a file is shown literally and inert.

Chain names, ids, reasons, workflow names, job and step names, diagnoses, log lines, the cluster's
name and notifications carry markup (`sweep[lr=3e-4]`, `[@click=app.quit]`, `[link=...]`), terminal
escapes (title, screen clear, OSC 52 clipboard write), control characters, 10,000 characters and
bytes that were not UTF-8. In the own view and in a colleague's (read-only), every pane and dialog
is drawn: nothing crashes, no action runs, nothing reaches the terminal as an escape, and the
text a person can read is there (each control character as an escape, as the CLI prints it:
app.model.text.inert; in log lines escape sequences removed whole: terminal_line).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual.pilot import Pilot
from textual.widgets import Log

from app.model.chain import ChainState
from app.model.text import inert
from app.model.units import Duration
from app.tui import LongrunApp
from app.views import ChainView, DiagnosisResult
from tests.tui.fake_services import FakeServices, captured_jobs, link_from
from tests.tui.helpers import drawn, make_app, screen_text, settled, told, wait_for
from widgets.chain_list import row_key
from widgets.dialogs import ConfirmScreen, ResubmitScreen, SignalScreen, ViewScreen
from widgets.help_screen import HelpScreen
from widgets.text import shown_title

JOBS = captured_jobs()
RUNNING, OOM, DONE = JOBS["lrcap-running"], JOBS["lrx-oom"], JOBS["lrcap-completed"]
HOSTILE = (
    "sweep[lr=3e-4]",
    "bad[cfg]",
    "[bold red]X[/] [@click=app.quit]",
    "[/x]",
    "[link=file:///etc/passwd]x[/link]",
    "[@click=app.screenshot('/tmp/pwned.svg')]shot",
    "t\x1b]0;TITLE\x07itle",
    "clear\x1b[2Jscreen",
    "clip\x1b]52;c;ZXZpbA==\x07board",
    "bell\x07back\x08nul\x00del\x7fc1\x9b31m",
    "two\nlines",
    "rtl\u202egnp.exe",
    "bad-utf8-\udcff\udcfe",
    "L" * 10_000,
)
# Nothing a person's terminal would act on: ESC, BEL and the other C0 controls, DEL, C1, lone surrogates.
FORBIDDEN = {chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))} - {"\n"} | {"\ud800"}


def hostile_chains(names: tuple[str, ...], owner: str = "alice") -> tuple[ChainView, ...]:
    """For each name: a running chain, and for the first names also a stopped (OOM) and a done one."""
    chains = []
    for index, name in enumerate(names):
        running = link_from(RUNNING, 2, None, None)
        chains.append(ChainView(
            chain_id=f"h{index}", name=name, owner=owner, state=ChainState.RUNNING, reason=None, attempt=1,
            max_restarts=3, total_run_time=Duration(92), time_left=None,
            workflow=None, links=(running,), read_only=False,
        ))  # fmt: skip
    first = names[0]
    oom = link_from(OOM, 1, "OUT_OF_MEMORY", f"needs_person: {first}")
    done = link_from(DONE, 1, "COMPLETED", "finished: completed")
    base = chains[0]
    chains.append(replace(base, chain_id=f"[/oom]{first[:40]}", state=ChainState.STOPPED, reason=first,
                          links=(oom,), needs_attention=True, workflow=first[:200]))  # fmt: skip
    chains.append(replace(base, chain_id="done", state=ChainState.DONE, reason=None, links=(done,)))
    return tuple(chains)


def hostile_diagnosis(text: str) -> DiagnosisResult:
    return DiagnosisResult(
        job_id=OOM.job_id, title=f"Out of memory {text}", explanation=f"because {text}\nand more",
        evidence=(f"log x.out:1: {text}", text), suggestion=f"Ask for --mem=256M {text}", kind="out_of_memory",
        fix_options=(("mem", "256M"),),
    )  # fmt: skip


def assert_inert(app: LongrunApp, *visible: str) -> str:
    """Nothing on screen a terminal would act on; each of `visible` (as a person reads it) is there."""
    assert app.is_running and app.return_code is None, "the dashboard was made to quit"
    text = screen_text(app)
    leaked = sorted({repr(c) for c in text if c in FORBIDDEN or "\ud800" <= c <= "\udfff"})
    assert not leaked, f"controls reached the screen: {leaked}"
    for wanted in visible:
        shown = inert(wanted)[:20].rstrip()
        if shown.strip():
            assert shown in text, f"{shown!r} is not on screen"
    return text


async def select(pilot: Pilot[None], chain: ChainView) -> None:
    app = pilot.app
    assert isinstance(app, LongrunApp)
    chains = app.dashboard.chain_list
    chains.move_cursor(row=chains.get_row_index(row_key(chain)))
    selected = app.dashboard.selected_chain
    await wait_for(pilot, lambda: (c := selected()) is not None and c.chain_id == chain.chain_id, what="the chain")


async def open_and_close(pilot: Pilot[None], key: str, screen: type, closer: str = "escape", *visible: str) -> None:
    app = pilot.app
    assert isinstance(app, LongrunApp)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, screen), what=f"{screen.__name__} after {key}")
    await drawn(pilot)
    assert_inert(app, *visible)
    await pilot.press(closer)
    await wait_for(pilot, lambda: not app.screen.is_modal, what=f"{screen.__name__} closed")


async def test_every_pane_and_dialog_shows_hostile_names_literally_in_the_own_view(tmp_path: Path) -> None:
    log = tmp_path / "hostile.out"
    lines = "\n".join(["plain line", *HOSTILE[:-1], "progress 10%\rprogress 20%"])
    log.write_bytes(lines.encode("utf-8", "surrogateescape") + b"\n\xff\xfe raw bytes\n")
    chains = tuple(replace(c, links=tuple(replace(lk, log_path=str(log)) for lk in c.links))
                   for c in hostile_chains(HOSTILE))  # fmt: skip
    fake = FakeServices(chains=chains, cluster="\x1b]0;pwn\x07[b]cluster[/b]",
                                      diagnosis=hostile_diagnosis("[@click=app.quit] \x1b[2J"),
                                      damaged=("chain [/x]: \x1b]52;c;ZXZpbA==\x07 unreadable",))  # fmt: skip
    app = make_app(fake, show_log=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake)
        assert_inert(app, "[b]cluster[/b]")
        said = [n.message + n.title for n in told(app)]  # the damaged chain's notification
        assert any(inert("chain [/x]: \x1b]52;c;ZXZpbA==\x07 unreadable") in message for message in said)
        assert not any(c in FORBIDDEN for message in said for c in message)
        for index, name in enumerate(HOSTILE):
            if index:
                await pilot.press("j")
            chain = app.dashboard.selected_chain()
            assert chain is not None and chain.name == name
            await settled(pilot, fake, focus_job=RUNNING.job_id)
            await drawn(pilot)
            assert shown_title(app.dashboard.link_table) == "Submission chain: " + inert(name)
            assert_inert(app, name)
            if index in (0, 2, 6, 9):
                await open_and_close(pilot, "c", ConfirmScreen, "n", name)
                await open_and_close(pilot, "x", ConfirmScreen, "n", name)
                await open_and_close(pilot, "s", SignalScreen, "escape", name)
                await open_and_close(pilot, "i", ConfirmScreen, "escape", name)
        pane = app.query_one("#log", Log)
        await wait_for(pilot, lambda: any("progress 20%" in line for line in pane.lines), what="the log's lines")
        assert not any(c in FORBIDDEN for line in pane.lines for c in line)
        assert "[bold red]X[/] [@click=app.quit]" in pane.lines and "progress 10%" not in "".join(pane.lines)
        # the done chain (archive), the hostile workflow heading, the stopped chain (diagnosis, resubmit with the fix)
        await pilot.press("j")
        await settled(pilot, fake, focus_job=DONE.job_id)
        await open_and_close(pilot, "a", ConfirmScreen, "n")
        await pilot.press("j")
        await drawn(pilot)
        assert app.dashboard.chain_list.selected_workflow() is not None
        assert_inert(app, "workflow " + HOSTILE[0])
        await pilot.press("j")
        await settled(pilot, fake, focus_job=OOM.job_id)
        assert_inert(app, "[@click=app.quit] ", "Ask for --mem=256M")
        await open_and_close(pilot, "r", ResubmitScreen, "escape", HOSTILE[0])
        await open_and_close(pilot, "u", ViewScreen, "escape")
        await open_and_close(pilot, "question_mark", HelpScreen, "escape")
        for widget in (app.dashboard.chains_pane, app.dashboard.link_table, app.dashboard.diagnosis_view):
            for x in range(2, min(60, widget.size.width - 1), 3):  # where a title that were markup would hold a
                # live [@click]
                await pilot.click(widget, offset=(x, 0))
        await drawn(pilot)
        assert_inert(app)
        assert fake.actions() == [], "no dialog was confirmed: nothing may have run"
        # a confirmed action's result names the stopped chain, whose id is hostile: the notification is literal
        await open_and_close(pilot, "c", ConfirmScreen, "y", HOSTILE[0])
        done = "cancel [/oom]sweep[lr=3e-4]: done"
        await wait_for(pilot, lambda: any(done in n.message for n in told(app)), what="the result")
        assert fake.actions()[-1] == ("cancel", "[/oom]sweep[lr=3e-4]")
        assert_inert(app)


async def test_a_colleagues_hostile_chains_are_shown_literally_and_nothing_acts() -> None:
    fake = FakeServices(chains=hostile_chains(HOSTILE, owner="alice"), viewer="bob")
    app = make_app(fake, user="alice", me="bob")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, fake)
        for index, name in enumerate(HOSTILE[:8]):
            if index:
                await pilot.press("j")
            await drawn(pilot)
            assert app.dashboard.selected_chain() is not None
            assert_inert(app, name)
            await pilot.press("c", "s", "x", "i", "r", "a")  # a colleague's chain: every action key is disabled
            await pilot.pause(0.1)
            assert not app.screen.is_modal
        for _pane in range(5):
            await pilot.press("tab")
            await drawn(pilot)
            assert_inert(app)
        assert fake.actions() == []


def test_a_chain_named_with_brackets_no_longer_crashes_the_submission_chain_title() -> None:
    """The known crash: `MarkupError: Expected markup value (found '-4]')`, and `bad[cfg]` shown as `bad`."""

    async def run() -> None:
        fake = FakeServices(chains=hostile_chains(("sweep[lr=3e-4]", "bad[cfg]")))
        app = make_app(fake)
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot, fake)
            assert shown_title(app.dashboard.link_table) == "Submission chain: sweep[lr=3e-4]"
            await pilot.press("j")
            await drawn(pilot)
            assert shown_title(app.dashboard.link_table) == "Submission chain: bad[cfg]"
            assert "Submission chain: bad[cfg]" in assert_inert(app)

    asyncio.run(run())


FRAGMENTS = (
    "[", "]", "[/", "[@click=app.quit]", "[link=file:///etc/passwd]", "[/link]", "\x1b]0;T\x07", "\x1b[2J",
    "\x1b]52;c;Zm9v\x07", "\x1b", "\x9b", "\x07", "\x00", "\r", "\n", "\udcff", "\u202e", "=", "-4]",
)  # fmt: skip
hostile_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)),
    min_size=1, max_size=10,
).map("".join)  # fmt: skip


# No shrinking: each example runs the app (seconds); a failing example is reported as generated.
@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(name=hostile_text, reason=hostile_text, long=st.booleans(), colleague=st.booleans())
def test_any_hostile_name_and_reason_is_shown_inert(name: str, reason: str, long: bool, colleague: bool) -> None:
    if long:
        name = name * (10_000 // max(1, len(name)))

    async def run() -> None:
        chains = tuple(replace(c, reason=reason if c.state is ChainState.STOPPED else c.reason)
                       for c in hostile_chains((name,)))  # fmt: skip
        fake = FakeServices(chains=chains, viewer="bob" if colleague else "alice",
                                          diagnosis=hostile_diagnosis(reason))  # fmt: skip
        app = make_app(fake, me="bob" if colleague else "alice")
        async with app.run_test(size=(160, 48)) as pilot:
            await settled(pilot, fake)
            assert shown_title(app.dashboard.link_table) == "Submission chain: " + inert(name)
            assert_inert(app, name)
            await select(pilot, chains[-2])  # the stopped one, under its (hostile) workflow's heading
            await settled(pilot, fake, focus_job=OOM.job_id)
            assert_inert(app, name)
            if not colleague:
                await open_and_close(pilot, "r", ResubmitScreen, "escape", name)
                await open_and_close(pilot, "i", ConfirmScreen, "n", name)
            await pilot.press("c", "r", "i")
            await pilot.pause(0.05)
            if app.screen.is_modal:
                await pilot.press("escape", "n")
            assert fake.actions() == []
            assert_inert(app)

    asyncio.run(run())
