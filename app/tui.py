"""`longrun-tui`: the Textual dashboard. Owns the App, its poller, its actions and the command line.

Data flows one way: a thread worker calls `Services.snapshot` (one batched Slurm call) and the
result goes to the panes as a `SnapshotArrived` message. Only one poll runs at a time; the next
is armed with `set_timer` when the previous one finished, and none starts while a dialog is open.
Actions (cancel, signal, resubmit, reinit) run in thread workers too; the service layer refuses
them on chains the viewer does not own, and the keys are shown disabled for those chains.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import pwd
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Protocol

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from app.hangup import terminal_alive
from app.services import ActionRefused
from app.slurm.errors import SlurmError
from app.slurm.records import JobAccounting
from app.views import ChainView, DashboardSnapshot, DiagnosisResult
from styles import STYLES_DIR
from widgets.commands import DashboardCommands
from widgets.dashboard import Dashboard
from widgets.diagnosis_source import diagnose_focus
from widgets.dialogs import ConfirmScreen, SignalRequest, SignalScreen, ViewChoice, ViewScreen
from widgets.help_screen import HelpScreen
from widgets.messages import FocusChanged, SnapshotArrived
from widgets.status_line import StatusInfo, StatusLine

if TYPE_CHECKING:
    from app.workflows.reinit import ReinitStep

DEFAULT_INTERVAL = 5.0
TERMINAL_CHECK_SECONDS = 2.0  # how often to ask whether the terminal is still there (app.hangup)
FOCUS_DEBOUNCE = 0.3  # seconds the cursor must rest on a link before Slurm is asked for its steps
ENDED_CACHE_SIZE = 512  # finished jobs whose accounting (it no longer changes) is kept for instant re-display
CHAIN_ACTIONS = frozenset({"resubmit", "cancel_chain", "signal", "reinit"})
VIEW_ACTIONS = frozenset({"toggle_log", "filter", "choose_user", "help", "refresh", "quit"})


class DashboardBackend(Protocol):
    """What the dashboard needs from the service layer (app.services.Services, or a fake in tests)."""

    def snapshot(self, user: str | None, focus_job_id: str | None = None) -> DashboardSnapshot: ...
    def cancel(self, chain_id: str) -> str: ...
    def signal(self, chain_id: str, signal: str, full: bool = False) -> str: ...
    def resubmit(self, chain_id: str) -> str: ...
    def reinit(self, chain_id: str) -> str: ...
    def can_act(self, chain: ChainView) -> bool: ...
    def workflow_reinit_plan(self, workflow: str) -> Sequence[ReinitStep]: ...
    def reinit_workflow(self, workflow: str) -> str: ...


@dataclass(frozen=True)
class PollResult:
    snapshot: DashboardSnapshot
    diagnosis: DiagnosisResult | None


def utc_now() -> datetime:
    return datetime.now(UTC)


class LongrunApp(App[None]):
    """The dashboard."""

    TITLE = "longrun-tui"
    CSS_PATH = str(STYLES_DIR / "app.tcss")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (typed by App)
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "resubmit", "Resubmit", id="resubmit", tooltip="Submit the next link of the selected chain now"),
        Binding("c", "cancel_chain", "Cancel", id="cancel", tooltip="Cancel the selected chain (asks first)"),
        Binding("s", "signal", "Signal", id="signal", tooltip="Send a signal to the selected chain's job"),
        Binding("i", "reinit", "Reinit", id="reinit", tooltip="Start the selected chain again (asks first)"),
        Binding("l", "toggle_log", "Log", id="log", tooltip="Show or hide the log pane"),
        Binding("slash", "filter", "Filter", id="filter", tooltip="Filter the chains"),
        Binding("u", "choose_user", "User", id="user", tooltip="Choose whose chains to view"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+r", "refresh", "Refresh now", show=False, id="refresh"),
    ]
    HELP_KEYS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("↑ ↓ tab", "move in a pane, go to the next pane"),
        ("r", "resubmit the selected chain (submit its next link now)"),
        ("c", "cancel the selected chain (asks first)"),
        ("s", "send a signal (TERM, USR1, USR2, INT, KILL or a name) to its job: batch shell or all steps"),
        (
            "i",
            "reinitialize: start the chain again from attempt 1; on a workflow's heading, its failed, "
            "stopped and cancelled jobs and their dependents (shows the plan, asks first)",
        ),
        ("l", "show or hide the log pane"),
        ("/", "filter the chains (escape clears)"),
        ("u", "choose whose chains: mine, a user's, everybody's"),
        ("ctrl+p", "command palette: every action by name"),
        ("ctrl+r", "refresh now"),
        ("?", "this help"),
        ("q", "quit"),
    )

    def __init__(
        self,
        backend: DashboardBackend,
        user: str | None,
        me: str,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], datetime] = utc_now,
        show_log: bool | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.viewed_user = user
        self.me = me
        self.interval = interval
        self.clock = clock
        self.focus_job_id: str | None = None
        self.focus_log_path: str | None = None
        self._show_log = show_log
        self._timer: Timer | None = None
        self._poll_again = False
        self._damaged_told: tuple[str, ...] = ()  # unreadable chains already notified about
        self._actions_enabled: tuple[bool, bool] | None = None  # (on the chain, on the workflow)
        self._ended: dict[str, tuple[JobAccounting, DiagnosisResult | None]] = {}
        # kept as attributes: `query_one` would search a dialog when one is on top
        self.dashboard = Dashboard(id="dashboard")
        self.status_line = StatusLine(id="status")

    def compose(self) -> ComposeResult:
        yield self.dashboard
        yield self.status_line
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p is listed by `?`

    def on_mount(self) -> None:
        self.status_line.update_info(StatusInfo(viewed_user=self.viewed_user), self.clock())
        show_log = self._show_log if self._show_log is not None else self.size.width >= 120
        self.dashboard.set_log_visible(show_log)
        self.set_interval(1.0, self._tick)
        if not self.is_headless and terminal_alive():
            self.set_interval(TERMINAL_CHECK_SECONDS, self._leave_if_terminal_gone)
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit)
        self._poll_due()

    def _leave_if_terminal_gone(self) -> None:
        if not terminal_alive():
            self.exit(return_code=129)  # as a SIGHUP would

    def _tick(self) -> None:
        self.status_line.tick(self.clock())

    # -- the poller ------------------------------------------------------------------------------
    def _arm_poll(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(delay, 0.01), self._poll_due, name="poll")

    def _poll_due(self) -> None:
        if not self.screen_stack:  # shutting down
            return
        if self.screen.is_modal:
            self._arm_poll(self.interval)  # paused while a dialog or the palette is open
            return
        if any(w.group == "poll" and not w.is_finished for w in self.workers):
            self._poll_again = True
            return
        self._poll_again = False
        fetch = partial(self._fetch, self.viewed_user, self.focus_job_id, self.focus_log_path)
        self.run_worker(fetch, thread=True, group="poll", exit_on_error=False, description="poll")

    def _fetch(self, user: str | None, focus_job_id: str | None, log_path: str | None) -> PollResult:
        """Runs in a thread: the one Slurm call of this refresh, then the (pure) diagnosis."""
        snapshot = self.backend.snapshot(user, focus_job_id)
        return PollResult(snapshot, diagnose_focus(snapshot.focus, log_path))

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if worker.group == "poll":
            self._poll_finished(worker)
        elif worker.group == "action":
            self._action_finished(worker, event.state)

    def _poll_finished(self, worker: Worker[object]) -> None:
        status = self.status_line
        now = self.clock()
        result = worker.result
        if isinstance(result, PollResult) and result.snapshot.viewed_user == self.viewed_user:
            snap = result.snapshot
            self._remember_if_ended(result)
            self.dashboard.post_message(SnapshotArrived(snap, result.diagnosis))
            health = snap.health
            status.update_info(
                StatusInfo(
                    viewed_user=snap.viewed_user, cluster=snap.cluster,
                    supervisor_alive=health.alive if health else None,
                    heartbeat_age=health.heartbeat_age if health else None, pid=health.pid if health else None,
                    updated_at=snap.taken_at, damaged=len(snap.damaged),
                ),
                now,
            )  # fmt: skip
            self._refresh_action_keys()
            self._tell_damaged(snap.damaged)
        elif worker.state is WorkerState.ERROR:
            status.mark_stale(now, describe_error(worker.error))
        self._arm_poll(0.05 if self._poll_again else self.interval)

    def _tell_damaged(self, damaged: tuple[str, ...]) -> None:
        """A notification when chains become unreadable; the status line keeps the count."""
        if damaged and damaged != self._damaged_told:
            shown = "\n".join(damaged[:3]) + (f"\n… and {len(damaged) - 3} more" if len(damaged) > 3 else "")
            self.notify(shown + "\nTheir files are left as they are.", title="chains that cannot be read",
                        severity="error", timeout=20)  # fmt: skip
        self._damaged_told = damaged

    def _remember_if_ended(self, result: PollResult) -> None:
        focus = result.snapshot.focus
        if focus is None or not focus.job.state.is_terminal:
            return
        if len(self._ended) >= ENDED_CACHE_SIZE:
            self._ended.pop(next(iter(self._ended)))
        self._ended[focus.job_id] = (focus, result.diagnosis)

    @on(FocusChanged)
    def _focus_changed(self, message: FocusChanged) -> None:
        self._refresh_action_keys()
        self.focus_log_path = message.log_path
        if message.job_id == self.focus_job_id:
            return
        self.focus_job_id = message.job_id
        ended = self._ended.get(message.job_id) if message.job_id else None
        snapshot = self.dashboard.snapshot
        if ended is not None and snapshot is not None:
            # a finished job's steps and diagnosis cannot change: show them now, no Slurm call
            self.dashboard.post_message(SnapshotArrived(replace(snapshot, focus=ended[0]), ended[1]))
        elif message.job_id is not None:
            self._arm_poll(FOCUS_DEBOUNCE)

    # -- actions ---------------------------------------------------------------------------------
    def _refresh_action_keys(self) -> None:
        """Redraw the footer only when the selected row's actions change (not on every move)."""
        chain = self._selected()
        enabled = (chain is not None and self._may_act(chain), self._selected_workflow() is not None)
        if enabled != self._actions_enabled:
            self._actions_enabled = enabled
            self.refresh_bindings()

    def _may_act(self, chain: ChainView) -> bool:
        return not chain.read_only and self.backend.can_act(chain)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.screen_stack:
            return False
        if self.screen.has_class("dialog") and (action in CHAIN_ACTIONS or action in VIEW_ACTIONS):
            return False  # keys of the screen below do not act through a dialog
        if action == "reinit" and self._selected_workflow() is not None:
            return True  # on a workflow heading: reinitialize the workflow
        if action in CHAIN_ACTIONS:
            chain = self._selected()
            if chain is None or not self._may_act(chain):
                return None  # shown, but disabled
        return True

    def _selected(self) -> ChainView | None:
        if not self.dashboard.is_mounted:
            return None
        return self.dashboard.selected_chain()

    def _selected_workflow(self) -> str | None:
        """The workflow whose heading is selected, when every one of its chains is ours to act on."""
        if not self.dashboard.is_mounted:
            return None
        selected = self.dashboard.chain_list.selected_workflow()
        if selected is None:
            return None
        name, chains = selected
        return name if chains and all(self._may_act(c) for c in chains) else None

    def _run_service(self, label: str, call: Callable[[], str]) -> None:
        self.notify(f"{label}…", timeout=2)
        self.run_worker(call, thread=True, group="action", exit_on_error=False, name=label)

    def _action_finished(self, worker: Worker[object], state: WorkerState) -> None:
        if state is WorkerState.SUCCESS:
            self.notify(str(worker.result), title=worker.name)
        else:
            self.notify(describe_error(worker.error), title=f"{worker.name} failed", severity="error", timeout=10)
        self._arm_poll(0.1)

    def action_resubmit(self) -> None:
        if chain := self._selected():
            self._run_service(f"resubmit {chain.name}", partial(self.backend.resubmit, chain.chain_id))

    def action_cancel_chain(self) -> None:
        chain = self._selected()
        if chain is None:
            return
        question = f"Cancel chain {chain.name} ({chain.chain_id})?"
        detail = "Its running or pending job is cancelled (scancel) and no further link is submitted."

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_service(f"cancel {chain.name}", partial(self.backend.cancel, chain.chain_id))

        self.push_screen(ConfirmScreen(question, detail, "Cancel chain"), answered)

    def action_signal(self) -> None:
        chain = self._selected()
        if chain is None:
            return

        def confirmed(request: SignalRequest, yes: bool | None) -> None:
            if yes:
                call = partial(self.backend.signal, chain.chain_id, request.signal, request.full)
                self._run_service(f"signal {chain.name}", call)

        def chosen(request: SignalRequest | None) -> None:
            if request is None:
                return
            where = "every step and the batch shell" if request.full else "the batch shell only"
            question = f"Send SIG{request.signal} to {chain.name}?" if not request.signal.isdigit() else (
                f"Send signal {request.signal} to {chain.name}?"
            )  # fmt: skip
            self.push_screen(ConfirmScreen(question, f"Target: {where}.", "Send"), partial(confirmed, request))

        self.push_screen(SignalScreen(chain.name), chosen)

    def action_reinit(self) -> None:
        if (workflow := self._selected_workflow()) is not None:
            self._reinit_workflow(workflow)
            return
        chain = self._selected()
        if chain is None:
            return
        question = f"Reinitialize chain {chain.name} ({chain.chain_id})?"
        detail = "It starts again from attempt 1 with a new first link; its history is kept in the event log."

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_service(f"reinit {chain.name}", partial(self.backend.reinit, chain.chain_id))

        self.push_screen(ConfirmScreen(question, detail, "Reinitialize"), answered)

    def _reinit_workflow(self, workflow: str) -> None:
        self.run_worker(self._plan_and_confirm_reinit(workflow), group="plan", exclusive=True)

    async def _plan_and_confirm_reinit(self, workflow: str) -> None:
        """Show what a reinit would change, then do it on yes. The plan reads every chain of the
        registry (no Slurm call): in a thread, so a large registry does not freeze the screen."""
        try:
            steps = await asyncio.to_thread(self.backend.workflow_reinit_plan, workflow)
        except ActionRefused as exc:
            self.notify(str(exc), title=f"reinit workflow {workflow}", severity="error", timeout=10)
            return
        changes = [step for step in steps if step.action != "keep"]
        if not changes:
            self.notify("no failed, terminated or cancelled job: nothing to reinitialize",
                        title=f"workflow {workflow}")  # fmt: skip
            return
        verbs = {"reinit": "runs again", "replace": "new chain, waits for its upstream jobs"}
        detail = "\n".join(f"{step.job}: {verbs[step.action]} ({step.why})" for step in changes)
        kept = [step.job for step in steps if step.action == "keep"]
        if kept:
            detail += "\nunchanged: " + ", ".join(kept)

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_service(f"reinit workflow {workflow}", partial(self.backend.reinit_workflow, workflow))

        self.push_screen(ConfirmScreen(f"Reinitialize workflow {workflow}?", detail, "Reinitialize"), answered)

    def action_toggle_log(self) -> None:
        self.dashboard.set_log_visible(not self.dashboard.has_class("-log"))

    def action_filter(self) -> None:
        self.dashboard.open_filter()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.HELP_KEYS))

    def action_refresh(self) -> None:
        self._arm_poll(0)

    def action_choose_user(self) -> None:
        def chosen(choice: ViewChoice | None) -> None:
            if choice is None or choice.user == self.viewed_user:
                return
            self.viewed_user = choice.user
            self.focus_job_id = None
            status = self.status_line
            status.update_info(replace(StatusInfo(), viewed_user=choice.user), self.clock())
            self._arm_poll(0)

        self.push_screen(ViewScreen(self.me, self.viewed_user), chosen)


def describe_error(error: BaseException | None) -> str:
    """One line for a person: Slurm's and the service layer's messages as they are."""
    if error is None:
        return "unknown error"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, SlurmError) or type(error).__name__ == "ActionRefused":
        return text or type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="longrun-tui",
        description="Live dashboard of Slurm job chains: links, steps, exit codes with a fix, logs. "
        "Keys: r resubmit, c cancel, s signal, i reinit, l log, / filter, u user, ? help, q quit.",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--user", "-u", metavar="USER", help="show USER's chains (read-only when not yours)")
    who.add_argument("--all", "-a", action="store_true", help="show every user's chains (others' read-only)")
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, metavar="SECONDS",
        help=f"seconds between refreshes (default {DEFAULT_INTERVAL:g})",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.interval < 1:
        print("longrun-tui: error: --interval must be at least 1 second", file=sys.stderr)
        return 2
    if args.user is not None:
        try:
            pwd.getpwnam(args.user)
        except KeyError:
            print(f"longrun-tui: error: no such user: {args.user}", file=sys.stderr)
            return 2
    from app.backend import DashboardServices
    from app.supervisor.lease import ensure_supervisor

    me = getpass.getuser()
    user = None if args.all else (args.user or me)
    try:
        backend = DashboardServices(viewer=me)
    except Exception as exc:  # the registry could not be opened: say why, no traceback
        print(f"longrun-tui: error: {describe_error(exc)}", file=sys.stderr)
        return 1
    try:
        ensure_supervisor()  # DESIGN: the dashboard, like every command, revives a dead supervisor
    except Exception as exc:  # never a reason not to show the dashboard
        print(f"longrun-tui: warning: could not start the supervisor: {describe_error(exc)}", file=sys.stderr)
    app = LongrunApp(backend, user, me=me, interval=args.interval)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
