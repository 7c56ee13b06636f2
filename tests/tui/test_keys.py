"""One list of keys: every action of the dashboard's bindings is in the footer's list, the help
screen, the command palette and `longrun-tui --help`, with the same words; nothing else is."""

from __future__ import annotations

import io
from functools import partial

from rich.console import Console
from textual.command import DiscoveryHit, Hit
from textual.widgets import Static

from app.tui import LongrunApp, build_parser
from tests.tui.fake_services import FakeServices
from tests.tui.helpers import make_app, run_from_palette, settled, wait_for
from widgets.commands import DashboardCommands
from widgets.help_screen import HelpScreen
from widgets.keys import ACTIONS, BINDINGS, CHAIN_ACTIONS, LINK_ACTIONS, key_label


def plain_text(renderable: object) -> str:
    console = Console(width=400, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_every_binding_has_an_id_a_label_a_tooltip_and_an_action_method() -> None:
    assert LongrunApp.BINDINGS == BINDINGS
    ids = [b.id for b in BINDINGS]
    keys = [b.key for b in BINDINGS]
    assert None not in ids and len(set(ids)) == len(ids)
    assert len(set(keys)) == len(keys)
    for binding in BINDINGS:
        assert binding.description and binding.tooltip, binding
        assert callable(getattr(LongrunApp, f"action_{binding.action}", None)), binding.action
    assert CHAIN_ACTIONS <= ACTIONS
    assert {"resubmit", "cancel_chain", "signal", "reinit", "refresh", "quit", "help"} <= ACTIONS


def test_help_text_of_the_command_names_every_key() -> None:
    text = " ".join(build_parser().format_help().split())
    for binding in BINDINGS:
        assert f"{key_label(binding)} {binding.tooltip}" in text, binding.action


async def test_help_screen_lists_every_key_with_its_tooltip(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(160, 50)) as pilot:
        await settled(pilot, fake)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(plain_text(static.content) for static in app.screen.query(Static))
        shown = " ".join(shown.split())
        for binding in BINDINGS:
            assert f"{key_label(binding)} {binding.tooltip}" in shown, binding.action
        assert "ctrl+r" in shown and "ctrl+p" in shown


async def test_palette_offers_every_binding_and_nothing_else(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)  # the first chain is alice's own and running: all but archive act on it
        provider = DashboardCommands(app.screen)
        hits = [hit async for hit in provider.discover()]
        assert all(isinstance(hit, DiscoveryHit) for hit in hits)
        named = []
        for hit in hits:
            assert isinstance(hit.command, partial) and hit.command.func == app.run_action
            named.append(hit.command.args[0])
        assert sorted(named) == sorted(b.action for b in BINDINGS if b.action != "archive"), "one per binding"
        by_action = {b.action: b for b in BINDINGS}
        for hit, action in zip(hits, named, strict=True):
            assert hit.text == by_action[action].tooltip and hit.help == f"key {key_label(by_action[action])}"
        found = [hit async for hit in provider.search("refresh")]
        best = max(found, key=lambda hit: hit.score if isinstance(hit, Hit) else 0)  # what the palette shows first
        assert isinstance(best, Hit) and best.text == by_action["refresh"].tooltip
        system = [command.title for command in app.get_system_commands(app.screen)]
        assert "Quit" not in system and "Theme" in system, "Textual's own Quit would be listed twice"


async def test_refresh_is_reachable_from_the_palette(fake: FakeServices) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        polls = sum(1 for call in fake.calls if call[0] == "snapshot")
        await run_from_palette(pilot, "refresh now", "Refresh now")
        await wait_for(pilot, lambda: sum(1 for call in fake.calls if call[0] == "snapshot") > polls, what="a poll")


async def test_a_colleagues_chain_leaves_its_actions_out_of_the_palette() -> None:
    fake = FakeServices(viewer="bob")
    app = make_app(fake, user="alice", me="bob")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        hits = [hit async for hit in DashboardCommands(app.screen).discover()]
        named = {hit.command.args[0] for hit in hits if isinstance(hit.command, partial)}
        assert named == ACTIONS - CHAIN_ACTIONS


async def test_link_actions_work_on_a_colleagues_chain_and_chain_actions_do_not() -> None:
    fake = FakeServices(viewer="bob")
    app = make_app(fake, user="alice", me="bob")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, fake)
        for action in CHAIN_ACTIONS:
            assert app.check_action(action, ()) is None, action
        for action in LINK_ACTIONS:
            assert app.check_action(action, ()) is True, action
