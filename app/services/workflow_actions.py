"""Reinitializing a whole workflow from the dashboard (`i` on its heading), as `longrun workflow
reinit NAME` does: the plan first (registry only), then the reinit. Workflow errors become
ActionRefused, so the dashboard shows them as plain refusals.

app.workflows is built on the service layer (it submits and cancels through Services), so it is
imported when these are called, not when the service layer is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services.base import ActionRefused

if TYPE_CHECKING:
    from app.services import Services
    from app.workflows.reinit import ReinitStep


def workflow_reinit_plan(services: Services, workflow: str) -> list[ReinitStep]:
    """What `longrun workflow reinit NAME` would do to each job (reads the registry only)."""
    from app.workflows.reinit import plan_reinit
    from app.workflows.run import WorkflowError

    try:
        return plan_reinit(services, workflow, force=False)
    except WorkflowError as exc:
        raise ActionRefused(str(exc)) from None


def reinit_workflow(services: Services, workflow: str) -> str:
    """Reset the failed, terminated and cancelled jobs and everything downstream of them."""
    from app.supervisor.lease import ensure_supervisor
    from app.workflows.reinit import apply_reinit
    from app.workflows.run import WorkflowError

    steps = workflow_reinit_plan(services, workflow)
    if all(step.action == "keep" for step in steps):
        return f"workflow {workflow}: nothing to reinitialize (no failed, terminated or cancelled job)"
    try:
        messages = apply_reinit(services, workflow, steps)
    except WorkflowError as exc:
        raise ActionRefused(str(exc)) from None
    ensure_supervisor(services.registry.home)  # the replaced chains wait for it to release them
    return f"workflow {workflow}: " + "; ".join(messages)
