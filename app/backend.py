"""The dashboard's backend: the service layer plus the workflow action the dashboard offers
(reinitialize a whole workflow, `i` on its heading).

Apart from app.services because app.workflows is built on Services. Workflow errors become
ActionRefused, so the dashboard shows them as plain refusals.
"""

from __future__ import annotations

from app.services import ActionRefused, Services
from app.supervisor.lease import ensure_supervisor
from app.workflows.reinit import ReinitStep, apply_reinit, plan_reinit
from app.workflows.run import WorkflowError


class DashboardServices(Services):
    def workflow_reinit_plan(self, workflow: str) -> list[ReinitStep]:
        """What `longrun workflow reinit NAME` would do to each job (reads the registry only)."""
        try:
            return plan_reinit(self, workflow, force=False)
        except WorkflowError as exc:
            raise ActionRefused(str(exc)) from None

    def reinit_workflow(self, workflow: str) -> str:
        """Reset the failed, terminated and cancelled jobs and everything downstream of them."""
        steps = self.workflow_reinit_plan(workflow)
        if all(step.action == "keep" for step in steps):
            return f"workflow {workflow}: nothing to reinitialize (no failed, terminated or cancelled job)"
        try:
            messages = apply_reinit(self, workflow, steps)
        except WorkflowError as exc:
            raise ActionRefused(str(exc)) from None
        ensure_supervisor(self.registry.home)  # the replaced chains wait for it to release them
        return f"workflow {workflow}: " + "; ".join(messages)
