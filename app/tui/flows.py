"""The dashboard's chain actions: which chain or workflow they act on, the dialogs that confirm
them, and the service call, in a thread worker (the app routes the finished worker back here).

Every dialog names the job it acts on, and the service call carries that job id: when the chain
has moved on to another job meanwhile, the service layer refuses instead of hitting the new one.
`r` on a chain that stopped needing a person first asks the service layer which sbatch options the
diagnosis suggests, and offers them in its dialog, editable. The keys are shown disabled for
chains the viewer may not act on, and the service layer refuses such actions anyway, before any
Slurm call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from textual.app import App
from textual.worker import Worker, WorkerState

from app.services import ActionRefused
from app.services.api import ChainService
from app.slurm.errors import SlurmError
from app.tui.errors import describe_error
from app.views import ChainView
from widgets.dashboard import Dashboard
from widgets.dialogs import ConfirmScreen, ResubmitRequest, ResubmitScreen, SignalRequest, SignalScreen
from widgets.words import is_live


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

    def _chain_action_applies(self, action: str, chain: ChainView) -> bool:
        """Whether `action` makes sense for `chain` now (the service layer checks again)."""
        return self._why_not_now(action, chain) is None

    def _why_not_now(self, action: str, chain: ChainView) -> str | None:
        """Why `action` does not apply to `chain` now, in words; None when it does."""
        live = bool(chain.links) and is_live(chain.links[-1])
        if action in ("stop", "signal") and not live:
            last = chain.links[-1] if chain.links else None
            ended = f"its last job {last.job_id} ended {last.state}" if last and last.job_id else "it has no job yet"
            return f"{chain.name} has no running or pending job to {action}: {ended}."
        if action == "archive" and not (chain.state.is_final and not live):
            return f"{chain.name} is {chain.state.value.lower()}: only a finished or stopped chain is archived."
        return None

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

    def _confirm(self, question: str, detail: str, label: str, then: Callable[[], None]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(ConfirmScreen(question, detail, label), answered)

    def action_resubmit(self) -> None:
        chain = self._selected()
        if chain is None:
            return
        if chain.needs_attention:  # stopped by its ending: the diagnosis may have a fix to apply
            self.run_worker(self._suggest_and_resubmit(chain), group="plan", exclusive=True)
        else:
            self._run_service(f"resubmit {chain.name}", partial(self.services.resubmit, chain.chain_id))

    async def _suggest_and_resubmit(self, chain: ChainView) -> None:
        """Ask which options the diagnosis of the chain's last job suggests (one sacct call, in a
        thread), offer them editable, resubmit with what the person keeps."""
        try:
            options = await asyncio.to_thread(self.services.suggested_options, chain.chain_id)
        except (ActionRefused, SlurmError) as exc:
            self.notify(describe_error(exc), title=f"resubmit {chain.name}", severity="warning", markup=False)
            options = ()

        def chosen(request: ResubmitRequest | None) -> None:
            if request is not None:
                call = partial(self.services.resubmit, chain.chain_id, request.options)
                self._run_service(f"resubmit {chain.name}", call)

        why = f"It stopped: {chain.reason}." if chain.reason else "It stopped."
        self.push_screen(ResubmitScreen(chain.name, why, " ".join(options)), chosen)

    def action_cancel_chain(self) -> None:
        chain = self._selected()
        if chain is None:
            return
        job_id = _live_job(chain)
        question = f"Cancel chain {chain.name} ({chain.chain_id})?"
        detail = (
            f"Its job {job_id} is cancelled (scancel) and no further link is submitted."
            if job_id else "It has no live job; no further link is submitted."
        )  # fmt: skip
        call = partial(self.services.cancel, chain.chain_id, job_id)
        self._confirm(question, detail, "Cancel chain", partial(self._run_service, f"cancel {chain.name}", call))

    def action_stop(self) -> None:
        chain = self._selected()
        job_id = _live_job(chain) if chain else None
        if chain is None or job_id is None:
            return
        question = f"Checkpoint and stop chain {chain.name}: job {job_id}?"
        detail = (
            f"Job {job_id} gets the chain's warning signal now, so it saves its checkpoint and ends; "
            "no further link is submitted. The chain can go on later with r or i."
        )
        call = partial(self.services.stop, chain.chain_id, job_id)
        self._confirm(question, detail, "Stop", partial(self._run_service, f"stop {chain.name}", call))

    def action_signal(self) -> None:
        chain = self._selected()
        job_id = _live_job(chain) if chain else None
        if chain is None or job_id is None:
            return

        def chosen(request: SignalRequest | None) -> None:
            if request is None:
                return
            where = "every step and the batch shell" if request.full else "the batch shell only"
            name = f"signal {request.signal}" if request.signal.isdigit() else f"SIG{request.signal}"
            question = f"Send {name} to job {job_id} of chain {chain.name}?"
            call = partial(self.services.signal, chain.chain_id, request.signal, request.full, job_id)
            self._confirm(question, f"Target: {where}.", "Send",
                          partial(self._run_service, f"signal {chain.name}", call))  # fmt: skip

        self.push_screen(SignalScreen(chain.name, job_id), chosen)

    def action_archive(self) -> None:
        chain = self._selected()
        if chain is None:
            return
        question = f"Archive chain {chain.name} ({chain.chain_id})?"
        detail = "It leaves the dashboard and `longrun status`; its files stay on disk (longrun status --archived)."
        call = partial(self.services.archive, chain.chain_id)
        self._confirm(question, detail, "Archive", partial(self._run_service, f"archive {chain.name}", call))

    def action_reinit(self) -> None:
        if (workflow := self._selected_workflow()) is not None:
            self.run_worker(self._plan_and_confirm_reinit(workflow), group="plan", exclusive=True)
            return
        chain = self._selected()
        if chain is None:
            return
        question = f"Reinitialize chain {chain.name} ({chain.chain_id})?"
        detail = "It starts again from attempt 1 with a new first link; its history is kept in the event log."
        call = partial(self.services.reinit, chain.chain_id)
        self._confirm(question, detail, "Reinitialize", partial(self._run_service, f"reinit {chain.name}", call))

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
        call = partial(self.services.reinit_workflow, workflow)
        self._confirm(f"Reinitialize workflow {workflow}?", detail, "Reinitialize",
                      partial(self._run_service, f"reinit workflow {workflow}", call))  # fmt: skip


def _live_job(chain: ChainView | None) -> str | None:
    """The job id of the chain's live link (the one an action on the chain would hit), if any."""
    if chain is None or not chain.links or not is_live(chain.links[-1]):
        return None
    return chain.links[-1].job_id
