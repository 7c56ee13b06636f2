"""The service layer: the ONE API that the CLI (app/commands) and the dashboard (app/tui) call.

`Services` is that API, put together from modules with one job each:
  base.py              the viewer, their registry, the Slurm client; ActionRefused
  discovery.py         which chains there are: own registry, a colleague's, rebuilt from accounting
  reading.py           snapshots: chains in the read model with live data, the selected job and its
                       diagnosis (app.explain.focus: the pipeline of `longrun explain`), health
  live_facts.py        what a refresh adds: ended links' accounting, expected starts, memory now, progress
  settled.py           what a refresh keeps: settled chains' views (sorted), ended links' log paths
  report.py            one chain in full (`longrun report`)
  actions.py           cancel, signal, stop (of the job the person saw); a chain by id or name
  relink.py            resubmit, reinit, with new settings for the next links; suggested options
  archive.py           archive finished chains (out of status and the dashboard), and back
  creation.py          submit: a new chain and its first link
  workflow_actions.py  reinitialize a workflow
  api.py               ChainService, the Protocol the dashboard is written against
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services import workflow_actions
from app.services.api import ChainService
from app.services.archive import ChainArchive
from app.services.base import ActionRefused, current_user
from app.services.creation import ChainCreation
from app.services.relink import ChainRelink
from app.services.report import ChainReport, ChainReports

if TYPE_CHECKING:
    from app.workflows.reinit import ReinitStep


class Services(ChainReports, ChainRelink, ChainArchive, ChainCreation):
    """Chains of the viewer (and read-only views of others'): read them, act on them, create them."""

    def workflow_reinit_plan(self, workflow: str) -> list[ReinitStep]:
        return workflow_actions.workflow_reinit_plan(self, workflow)

    def reinit_workflow(self, workflow: str) -> str:
        return workflow_actions.reinit_workflow(self, workflow)


__all__ = ["ActionRefused", "ChainReport", "ChainService", "Services", "current_user"]
