"""The service layer: the ONE API that the CLI (app/commands) and the dashboard (app/tui) call.

`Services` is that API, put together from modules with one job each:
  base.py              the viewer, their registry, the Slurm client; ActionRefused
  discovery.py         which chains there are: own registry, a colleague's, rebuilt from accounting
  reading.py           snapshots: chains in the read model with live data, the selected job and its
                       diagnosis (app.explain.focus: the pipeline of `longrun explain`), health
  actions.py           cancel, signal, resubmit, reinit: ownership checked before any Slurm call
  creation.py          submit: a new chain and its first link
  workflow_actions.py  reinitialize a workflow
  api.py               ChainService, the Protocol the dashboard is written against
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services import workflow_actions
from app.services.actions import ChainActions
from app.services.api import ChainService
from app.services.base import ActionRefused, current_user
from app.services.creation import ChainCreation
from app.services.reading import ChainReading

if TYPE_CHECKING:
    from app.workflows.reinit import ReinitStep


class Services(ChainReading, ChainActions, ChainCreation):
    """Chains of the viewer (and read-only views of others'): read them, act on them, create them."""

    def workflow_reinit_plan(self, workflow: str) -> list[ReinitStep]:
        return workflow_actions.workflow_reinit_plan(self, workflow)

    def reinit_workflow(self, workflow: str) -> str:
        return workflow_actions.reinit_workflow(self, workflow)


__all__ = ["ActionRefused", "ChainService", "Services", "current_user"]
