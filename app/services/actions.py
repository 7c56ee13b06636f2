"""Actions on a chain: cancel, signal, resubmit, reinit; and waking the supervisor.

Each checks, BEFORE any Slurm call, that the chain is the viewer's own and that the action makes
sense in its state, and raises ActionRefused with a sentence for a person otherwise.
"""

from __future__ import annotations

from app.model.chain import ChainState, ChainStatus
from app.registry import RegistryError, UnknownChain, upstream_block
from app.registry.events import Cancelled, CancelRequested, Reinit, ResubmitRequested
from app.services.base import ActionRefused, ServiceBase
from app.slurm.errors import UnknownJob
from app.supervisor.links import submit_link
from app.views import ChainView


class ChainActions(ServiceBase):
    def can_act(self, chain: ChainView) -> bool:
        return not chain.read_only and chain.owner == self.viewer

    def _own(self, chain_id: str) -> ChainStatus:
        try:
            status = self.registry.status(chain_id)
        except UnknownChain:
            raise ActionRefused(f"no chain {chain_id} in your registry ({self.registry.home})") from None
        except RegistryError as exc:
            raise ActionRefused(str(exc)) from None
        if status.spec.owner != self.viewer:
            raise ActionRefused(f"chain {chain_id} belongs to {status.spec.owner}: you can only watch it")
        return status

    def cancel(self, chain_id: str) -> str:
        status = self._own(chain_id)
        if status.state is ChainState.DONE:
            raise ActionRefused(f"chain {chain_id} is done: nothing to cancel")
        with self.registry.chain_lock(chain_id):
            status = self.registry.status(chain_id)
            if status.cancel_requested and status.live_link is None:
                raise ActionRefused(f"chain {chain_id} is already cancelled")
            self.registry.append(chain_id, CancelRequested(by=self.viewer))
            link = status.live_link
            if link is not None and link.job_id:
                try:
                    self.slurm.cancel(link.job_id)
                except UnknownJob:  # it ended and left the controller: nothing to cancel, the chain is
                    return f"chain {chain_id} cancelled (never resubmitted); its job {link.job_id} had already ended"
                self.registry.append(chain_id, Cancelled(job_id=link.job_id))
                return f"cancelled job {link.job_id}; chain {chain_id} will not be resubmitted"
        return f"chain {chain_id} cancelled (it had no live job)"

    def signal(self, chain_id: str, signal: str, full: bool = False) -> str:
        status = self._own(chain_id)
        link = status.live_link
        if link is None or not link.job_id:
            raise ActionRefused(f"chain {chain_id} has no live job to signal")
        self.slurm.cancel(link.job_id, signal=signal, batch_only=not full, full=full)
        where = "every step and the batch shell" if full else "the batch shell"
        return f"sent {signal} to {where} of job {link.job_id}"

    def resubmit(self, chain_id: str) -> str:
        status = self._own(chain_id)
        if status.live_link is not None:
            raise ActionRefused(f"chain {chain_id} has a live job ({status.live_link.job_id}): cancel it first")
        if status.state is ChainState.DONE:
            raise ActionRefused(f"chain {chain_id} is done; use reinit to run it again")
        return self._new_link(chain_id, ResubmitRequested(by=self.viewer))

    def reinit(self, chain_id: str) -> str:
        status = self._own(chain_id)
        if status.live_link is not None:
            raise ActionRefused(f"chain {chain_id} has a live job ({status.live_link.job_id})")
        if status.state not in (ChainState.STOPPED, ChainState.DONE):
            raise ActionRefused(f"chain {chain_id} is {status.state.value.lower()}, not stopped: nothing to reinit")
        return self._new_link(chain_id, Reinit(by=self.viewer))

    def _new_link(self, chain_id: str, request: Reinit | ResubmitRequested) -> str:
        with self.registry.chain_lock(chain_id):
            self.registry.append(chain_id, request)
            status = self.registry.status(chain_id)
            if status.spec.depends_on and not status.links:
                ready, why = upstream_block(status, self.registry.statuses().chains.get)
                if not ready:
                    return f"chain {chain_id} will start when its upstream chains are done ({why})"
            job_id = submit_link(self.registry, self.slurm, status)
        if job_id is None:
            status = self.registry.status(chain_id)
            raise ActionRefused(status.reason or "sbatch refused the job")
        return f"chain {chain_id}: submitted attempt {status.attempt + 1} as job {job_id}"

    def nudge(self) -> None:
        """Wake the supervisor up now (new chain, action taken)."""
        try:
            self.registry.ensure_dirs()
            (self.registry.supervisor_dir / "nudge").touch()
        except (OSError, RegistryError):
            pass
