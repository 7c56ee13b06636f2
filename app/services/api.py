"""ChainService: the service API as the dashboard uses it.

app.services.Services is the implementation (mypy checks that it satisfies this, in app/tui/cli.py
and tests/tui/fake_services.py); the dashboard's tests drive a fake that implements it over
captured Slurm output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

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

    # `job_id`: the job the person saw; refused ("the chain moved on to job N") when it is no
    # longer the chain's live link. Every action returns a sentence or raises ActionRefused.
    def cancel(self, chain_id: str, job_id: str | None = None) -> str: ...
    def signal(self, chain_id: str, signal: str, full: bool = False, job_id: str | None = None) -> str: ...
    def stop(self, chain_id: str, job_id: str | None = None) -> str:
        """Send the chain's warning signal now and never resubmit after this link (checkpoint and stop)."""
        ...

    # `options`: sbatch options for the new link and the next ones (each replaces the chain's same
    # option, e.g. ("--mem=2G", "--time=2:00:00")); `policy`: Policy fields to change
    # (e.g. {"max_restarts": 10}). Recorded as an event, shown in the chain's history.
    def resubmit(self, chain_id: str, options: Sequence[str] = (), policy: Mapping[str, Any] | None = None) -> str: ...
    def reinit(self, chain_id: str, options: Sequence[str] = (), policy: Mapping[str, Any] | None = None) -> str: ...
    def suggested_options(self, chain_id: str) -> tuple[str, ...]:
        """The sbatch options the diagnosis of the chain's last job suggests (one sacct call)."""
        ...

    def archive(self, chain_id: str) -> str:
        """Archive a finished chain: it leaves the dashboard and `status` (`status --archived` lists it)."""
        ...

    def workflow_reinit_plan(self, workflow: str) -> Sequence[ReinitStep]: ...
    def reinit_workflow(self, workflow: str) -> str: ...
