"""LongrunApp, the Textual dashboard: its panes, its keys, and where workers' results go.

Data flows one way: the poller (app/tui/polling.py) gets snapshots from the service layer in a
thread and posts them to the panes; the panes tell the app which link is selected; the chain
actions (app/tui/flows.py) confirm, then call the service layer in a thread; the link actions
(app/tui/viewing.py) open a log or copy a job id. The keys are the one list in widgets/keys.py.
Every notification is shown literally and sanitised (`notify`), whatever its caller passed.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from app.hangup import terminal_alive
from app.model.text import inert
from app.services.api import ChainService
from app.tui.flows import ActionFlows
from app.tui.polling import PollingApp
from app.tui.viewing import LinkViewing, run_pager
from styles import STYLES_DIR
from widgets.commands import DashboardCommands
from widgets.dashboard import Dashboard
from widgets.dialogs import ViewChoice, ViewScreen
from widgets.help_screen import HelpScreen
from widgets.keys import ACTIONS, BINDINGS, CHAIN_ACTIONS, LINK_ACTIONS
from widgets.messages import FocusChanged
from widgets.status_line import StatusInfo, StatusLine
from widgets.text import shorten

DEFAULT_INTERVAL = 5.0
TERMINAL_CHECK_SECONDS = 2.0  # how often to ask whether the terminal is still there (app.hangup)
NOTIFICATION_CHARS = 2000  # a notification quoting a huge name stays readable


def utc_now() -> datetime:
    return datetime.now(UTC)


class LongrunApp(ActionFlows, LinkViewing, PollingApp):
    """The dashboard."""

    TITLE = "longrun-tui"
    CSS_PATH = str(STYLES_DIR / "app.tcss")
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = list(BINDINGS)

    def __init__(
        self,
        services: ChainService,
        user: str | None,
        me: str,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], datetime] = utc_now,
        show_log: bool | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.viewed_user = user
        self.me = me
        self.interval = interval
        self.clock = clock
        self.pager = run_pager
        self._show_log = show_log
        self._actions_enabled: tuple[object, ...] | None = None  # which action keys act on the selection
        # kept as attributes: `query_one` would search a dialog when one is on top
        self.dashboard = Dashboard(id="dashboard", may_act=self._may_act)
        self.status_line = StatusLine(id="status")

    def compose(self) -> ComposeResult:
        yield self.dashboard
        yield self.status_line
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p is listed by `?`

    def on_mount(self) -> None:
        self.status_line.update_info(StatusInfo(viewed_user=self.viewed_user), self.clock())
        show_log = self._show_log if self._show_log is not None else self.size.width >= 160
        if show_log:
            self.dashboard.set_log_visible(True)
        self.set_interval(1.0, self._tick)
        if not self.is_headless and terminal_alive():
            self.set_interval(TERMINAL_CHECK_SECONDS, self._leave_if_terminal_gone)
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit)
        self._poll_due()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification literally: names and Slurm's words in it can neither be markup nor
        terminal escapes (`markup` is ignored: nothing here is markup)."""
        super().notify(
            shorten(inert(message, multiline=True), NOTIFICATION_CHARS), title=shorten(inert(title), 200),
            severity=severity, timeout=timeout, markup=False,
        )  # fmt: skip

    def _leave_if_terminal_gone(self) -> None:
        if not terminal_alive():
            self.exit(return_code=129)  # as a SIGHUP would

    def _tick(self) -> None:
        self.status_line.tick(self.clock())

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if not self.screen_stack:
            return  # quitting: a poll or action that finished just now has no screen left to show on
        if worker.group == "poll":
            self._poll_finished(worker)
            self._refresh_action_keys()
        elif worker.group == "action":
            self._action_finished(worker, event.state)
            self._arm_poll(0.1)

    @on(FocusChanged)
    def _focus_changed(self, message: FocusChanged) -> None:
        self._refresh_action_keys()
        self._focus_on(message.job_id)

    # -- which keys act --------------------------------------------------------------------------
    def _refresh_action_keys(self) -> None:
        """Redraw the footer only when the selected row's actions change (not on every move)."""
        if not self.screen_stack:
            return
        chain = self._selected()
        enabled = tuple(self.check_action(action, ()) for action in sorted(CHAIN_ACTIONS | LINK_ACTIONS))
        if enabled != self._actions_enabled:
            self._actions_enabled = enabled
            self.refresh_bindings()
            if chain is not None:
                self.dashboard.refresh_summary()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.screen_stack:
            return False
        if self.screen.has_class("dialog") and action in ACTIONS:
            return False  # keys of the screen below do not act through a dialog
        if action == "reinit" and self._selected_workflow() is not None:
            return True  # on a workflow heading: reinitialize the workflow
        if action in CHAIN_ACTIONS:
            chain = self._selected()
            if chain is None or not self._may_act(chain) or not self._chain_action_applies(action, chain):
                return None  # shown, but disabled
        if action in LINK_ACTIONS and self._selected_link() is None:
            return None
        return True

    def _why_disabled(self, action: str) -> str | None:
        """Why a chain or link key shown disabled does nothing now (said when it is pressed)."""
        if action in LINK_ACTIONS:
            none = self._selected_link() is None
            return "No link is selected: move to a chain that has a submitted link." if none else None
        if action not in CHAIN_ACTIONS:
            return None
        chain = self._selected()
        heading = self.dashboard.chain_list.selected_workflow() if self.dashboard.is_mounted else None
        if chain is None and heading is not None:
            return f"The heading of workflow {heading[0]} is selected: move onto one of its chains."
        if chain is None:
            return "No chain is selected: move the cursor onto a chain first."
        if not self._may_act(chain):
            return f"{chain.name} is {chain.owner}'s chain: you can view it, only {chain.owner} can act on it."
        return self._why_not_now(action, chain)

    def on_key(self, event: events.Key) -> None:
        """A chain or link key that is shown disabled says why when pressed (the footer only greys it)."""
        if self.screen.is_modal:
            return
        for binding in BINDINGS:
            if event.key == binding.key and self.check_action(binding.action, ()) is None:
                reason = self._why_disabled(binding.action)
                if reason:
                    self.notify(reason, title=f"{binding.description}: not now", severity="warning", markup=False)
                    event.stop()
                return

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own palette commands, less those our bindings already offer (Quit)."""
        ours = {f"action_{action}" for action in ACTIONS}
        for command in super().get_system_commands(screen):
            if getattr(command.callback, "__name__", None) not in ours:
                yield command

    # -- view actions ----------------------------------------------------------------------------
    def action_toggle_log(self) -> None:
        self.dashboard.set_log_visible(not self.dashboard.log_shown)

    def action_filter(self) -> None:
        self.dashboard.open_filter()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_refresh(self) -> None:
        self._arm_poll(0)

    def action_drill(self) -> None:
        """Enter where no pane takes it: go one pane deeper (chains -> links -> diagnosis)."""
        following = {"chains": "links", "links": "diagnosis"}
        pane = self.dashboard.pane
        self.dashboard.show_pane(following.get(pane, pane))

    def action_next_pane(self) -> None:
        self.dashboard.action_next_pane()

    def action_choose_user(self) -> None:
        def chosen(choice: ViewChoice | None) -> None:
            if choice is None or choice.user == self.viewed_user:
                return
            self.viewed_user = choice.user
            self.focus_job_id = None
            self.status_line.update_info(replace(StatusInfo(), viewed_user=choice.user), self.clock())
            self._arm_poll(0)

        self.push_screen(ViewScreen(self.me, self.viewed_user), chosen)
