"""The dashboard's chain actions: which chain or workflow they act on, the dialogs that confirm
them, and the service call, in a thread worker (the app routes the finished worker back here).

The keys are shown disabled for chains the viewer may not act on, and the service layer refuses
such actions anyway, before any Slurm call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from textual.app import App
from textual.worker import Worker, WorkerState

from app.services import ActionRefused
from app.services.api import ChainService
from app.tui.errors import describe_error
from app.views import ChainView
from widgets.dashboard import Dashboard
from widgets.dialogs import ConfirmScreen, SignalRequest, SignalScreen


class ActionFlows(App[None]):
    """The chain-action half of the dashboard app (LongrunApp sets the attributes declared here)."""

    services: ChainService
    dashboard: Dashboard

    # -- what the actions act on -----------------------------------------------------------------
    def _may_act(self, chain: ChainView) -> bool:
        return not chain.read_only and self.services.can_act(chain)

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

    # -- running them ----------------------------------------------------------------------------
    def _run_service(self, label: str, call: Callable[[], str]) -> None:
        self.notify(f"{label}…", timeout=2, markup=False)
        self.run_worker(call, thread=True, group="action", exit_on_error=False, name=label)

    def _action_finished(self, worker: Worker[object], state: WorkerState) -> None:
        if state is WorkerState.SUCCESS:
            self.notify(str(worker.result), title=worker.name, markup=False)
        else:
            self.notify(describe_error(worker.error), title=f"{worker.name} failed", severity="error", timeout=10,
                        markup=False)  # fmt: skip

    def action_resubmit(self) -> None:
        if chain := self._selected():
            self._run_service(f"resubmit {chain.name}", partial(self.services.resubmit, chain.chain_id))

    def action_cancel_chain(self) -> None:
        chain = self._selected()
        if chain is None:
            return
        question = f"Cancel chain {chain.name} ({chain.chain_id})?"
        detail = "Its running or pending job is cancelled (scancel) and no further link is submitted."

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_service(f"cancel {chain.name}", partial(self.services.cancel, chain.chain_id))

        self.push_screen(ConfirmScreen(question, detail, "Cancel chain"), answered)

    def action_signal(self) -> None:
        chain = self._selected()
        if chain is None:
            return

        def confirmed(request: SignalRequest, yes: bool | None) -> None:
            if yes:
                call = partial(self.services.signal, chain.chain_id, request.signal, request.full)
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
            self.run_worker(self._plan_and_confirm_reinit(workflow), group="plan", exclusive=True)
            return
        chain = self._selected()
        if chain is None:
            return
        question = f"Reinitialize chain {chain.name} ({chain.chain_id})?"
        detail = "It starts again from attempt 1 with a new first link; its history is kept in the event log."

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_service(f"reinit {chain.name}", partial(self.services.reinit, chain.chain_id))

        self.push_screen(ConfirmScreen(question, detail, "Reinitialize"), answered)

    async def _plan_and_confirm_reinit(self, workflow: str) -> None:
        """Show what a reinit would change, then do it on yes. The plan reads every chain of the
        registry (no Slurm call): in a thread, so a large registry does not freeze the screen."""
        try:
            steps = await asyncio.to_thread(self.services.workflow_reinit_plan, workflow)
        except ActionRefused as exc:
            self.notify(str(exc), title=f"reinit workflow {workflow}", severity="error", timeout=10, markup=False)
            return
        changes = [step for step in steps if step.action != "keep"]
        if not changes:
            self.notify("no failed, terminated or cancelled job: nothing to reinitialize",
                        title=f"workflow {workflow}", markup=False)  # fmt: skip
            return
        verbs = {"reinit": "runs again", "replace": "new chain, waits for its upstream jobs"}
        detail = "\n".join(f"{step.job}: {verbs[step.action]} ({step.why})" for step in changes)
        kept = [step.job for step in steps if step.action == "keep"]
        if kept:
            detail += "\nunchanged: " + ", ".join(kept)

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_service(f"reinit workflow {workflow}", partial(self.services.reinit_workflow, workflow))

        self.push_screen(ConfirmScreen(f"Reinitialize workflow {workflow}?", detail, "Reinitialize"), answered)
