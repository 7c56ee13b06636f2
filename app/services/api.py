"""ChainService: the service API as the dashboard uses it.

app.services.Services is the implementation (mypy checks that it satisfies this, in app/tui/cli.py
and tests/tui/fake_services.py); the dashboard's tests drive a fake that implements it over
captured Slurm output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from app.views import ChainView, DashboardSnapshot

if TYPE_CHECKING:
    from app.workflows.reinit import ReinitStep


class ChainService(Protocol):
    def snapshot(self, user: str | None, focus_job_id: str | None = None) -> DashboardSnapshot:
        """Every chain of `user` (everybody's when None), with `focus_job_id`'s steps and diagnosis."""
        ...

    def can_act(self, chain: ChainView) -> bool:
        """Whether the viewer may act on `chain` (their own, not a read-only view)."""
        ...

    def cancel(self, chain_id: str) -> str: ...
    def signal(self, chain_id: str, signal: str, full: bool = False) -> str: ...
    def resubmit(self, chain_id: str) -> str: ...
    def reinit(self, chain_id: str) -> str: ...
    def workflow_reinit_plan(self, workflow: str) -> Sequence[ReinitStep]: ...
    def reinit_workflow(self, workflow: str) -> str: ...
