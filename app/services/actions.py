"""Actions on a chain's live job: cancel, signal, stop; finding a chain by id or name; waking the
supervisor.

Each checks, BEFORE any Slurm call, that the chain is the viewer's own, that the action makes
sense in its state and, when the caller names the job it saw (`job_id`), that this job is still
the chain's live link ("the chain moved on to job N" otherwise), and raises ActionRefused with
a sentence for a person when not. The check and the Slurm call happen under the chain's lock,
so the supervisor cannot put a new link in between.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.explain.sbatch_options import merged
from app.explain.scripts import read_script
from app.model.chain import ChainState, ChainStatus, Link
from app.model.states import JobState
from app.registry import RegistryError, UnknownChain
from app.registry.events import Cancelled, CancelRequested, StopRequested
from app.services.base import ActionRefused, ServiceBase
from app.slurm.errors import UnknownJob
from app.supervisor.links import cancel_successors
from app.views import ChainView

DEFAULT_STOP_SIGNAL = "TERM"


class ChainActions(ServiceBase):
    def can_act(self, chain: ChainView) -> bool:
        return not chain.read_only and chain.owner == self.viewer

    def resolve(self, chain: str) -> str:
        """The id of the viewer's chain that `chain` names: its id, or its name when no other chain has it."""
        try:
            if self.registry.chain_dir(chain).is_dir():
                return chain
        except (UnknownChain, OSError):  # not an id: a slash, a name too long for a file...
            pass
        try:
            found = self.registry.statuses().chains
        except RegistryError as exc:
            raise ActionRefused(str(exc)) from None
        named = sorted(status.chain_id for status in found.values() if status.spec.name == chain)
        if len(named) == 1:
            return named[0]
        if named:
            listed = ", ".join(named[:10]) + (", ..." if len(named) > 10 else "")
            raise ActionRefused(f"{len(named)} of your chains are named {chain}: {listed}; give the chain's id")
        raise ActionRefused(f"no chain {chain} in your registry ({self.registry.home}): give a chain's id or name")

    def _own(self, chain: str) -> ChainStatus:
        """The viewer's chain named by id or unique name; ActionRefused for anything else."""
        chain_id = self.resolve(chain)
        try:
            status = self.registry.status(chain_id)
        except UnknownChain:
            raise ActionRefused(f"no chain {chain} in your registry ({self.registry.home})") from None
        except RegistryError as exc:
            raise ActionRefused(str(exc)) from None
        if status.spec.owner != self.viewer:
            raise ActionRefused(f"chain {chain_id} belongs to {status.spec.owner}: you can only watch it")
        return status

    @staticmethod
    def _pinned(status: ChainStatus, job_id: str | None) -> Link | None:
        """The live link, after checking that it is job `job_id` when the caller names the job it saw."""
        link = status.live_link
        if job_id is None or (link is not None and link.job_id == job_id):
            return link
        chain_id = status.chain_id
        if link is not None and link.job_id is not None:
            raise ActionRefused(f"the chain moved on to job {link.job_id} (job {job_id} has ended); nothing was done")
        if link is not None:
            raise ActionRefused(f"job {job_id} has ended and chain {chain_id} is submitting its next link; try again")
        state = status.state.value
        raise ActionRefused(f"job {job_id} has ended; chain {chain_id} is {state} with no live job; nothing was done")

    def cancel(self, chain_id: str, job_id: str | None = None) -> str:
        """Cancel the live job (when `job_id` is given, only if it is still that job); never resubmit."""
        status = self._own(chain_id)
        chain_id = status.chain_id
        if status.state is ChainState.DONE:
            raise ActionRefused(f"chain {chain_id} is done: nothing to cancel")
        with self.registry.chain_lock(chain_id):
            status = self.registry.status(chain_id)
            link = self._pinned(status, job_id)
            if status.cancel_requested and link is None:
                raise ActionRefused(f"chain {chain_id} is already cancelled")
            self.registry.append(chain_id, CancelRequested(by=self.viewer))
            if status.successors:  # queued jobs of a chain continued inside Slurm: they never run now
                cancel_successors(self.registry, self.slurm, status, status.successors)
            if link is not None and link.job_id:
                try:
                    self.slurm.cancel(link.job_id)
                except UnknownJob:  # it ended and left the controller: nothing to cancel
                    return f"chain {chain_id} cancelled (never resubmitted); its job {link.job_id} had already ended"
                self.registry.append(chain_id, Cancelled(job_id=link.job_id))
                return f"cancelled job {link.job_id}; chain {chain_id} will not be resubmitted"
        return f"chain {chain_id} cancelled (it had no live job)"

    def signal(self, chain_id: str, signal: str, full: bool = False, job_id: str | None = None) -> str:
        """Send `signal` to the live job's batch shell (every step too with `full`)."""
        status = self._own(chain_id)
        chain_id = status.chain_id
        with self.registry.chain_lock(chain_id):
            link = self._pinned(self.registry.status(chain_id), job_id)
            if link is None or not link.job_id:
                raise ActionRefused(f"chain {chain_id} has no live job to signal")
            try:
                self.slurm.cancel(link.job_id, signal=signal, batch_only=not full, full=full)
            except UnknownJob:
                raise ActionRefused(f"job {link.job_id} has already ended: no signal sent") from None
        where = "every step and the batch shell" if full else "the batch shell"
        return f"sent {signal} to {where} of job {link.job_id}"

    def stop(self, chain_id: str, job_id: str | None = None) -> str:
        """Checkpoint and stop: send the chain's warning signal now, and never resubmit after this link.

        The signal is the one of the chain's `--signal` (TERM without one), to the batch shell when
        it says `B:` (or has no --signal), else to the job's steps, as Slurm would send it. The chain
        ends STOPPED "stopped by USER", or DONE when the link finishes the work.
        """
        status = self._own(chain_id)
        chain_id = status.chain_id
        if status.state.is_final and status.live_link is None:
            raise ActionRefused(f"chain {chain_id} is {status.state.value.lower()}: nothing to stop")
        with self.registry.chain_lock(chain_id):
            status = self.registry.status(chain_id)
            link = self._pinned(status, job_id)
            self.registry.append(chain_id, StopRequested(by=self.viewer, job_id=link.job_id if link else None))
            if link is None:
                return f"chain {chain_id} stopped (it had no live job); `longrun resubmit` goes on"
            if link.job_id is None:
                return f"chain {chain_id} stops after its link being submitted now ends (no job id to signal yet)"
            held = {record.job_id: record.state for record in self.slurm.queue([link.job_id])}
            state = held.get(link.job_id)
            if state is None or state.is_terminal:
                return f"job {link.job_id} has already ended; chain {chain_id} is not resubmitted"
            if state is JobState.PENDING:  # nothing to checkpoint, and a pending job takes no signal
                self.slurm.cancel(link.job_id)
                self.registry.append(chain_id, Cancelled(job_id=link.job_id))
                return f"cancelled job {link.job_id}, which had not started; chain {chain_id} is stopped"
            signal, batch = warning_signal(status.spec.sbatch_options, status.spec.script)
            try:
                self.slurm.cancel(link.job_id, signal=signal, batch_only=batch, full=False)
            except UnknownJob:
                return f"job {link.job_id} had already ended; chain {chain_id} is not resubmitted"
        where = "the batch shell" if batch else "the steps"
        return (
            f"sent {signal} to {where} of job {link.job_id} (the chain's warning signal); "
            f"chain {chain_id} stops when the job ends"
        )

    def nudge(self) -> None:
        """Wake the supervisor up now (new chain, action taken)."""
        try:
            self.registry.ensure_dirs()
            (self.registry.supervisor_dir / "nudge").touch()
        except (OSError, RegistryError):
            pass


def warning_signal(options: Sequence[str], script: str | None = None) -> tuple[str, bool]:
    """The signal of the chain's `--signal=[R|B:]SIG[@TIME]` (command line, else the script's
    #SBATCH lines) and whether it goes to the batch shell only. Without one: TERM to the batch shell
    (where a script's trap catches it)."""
    found = read_script(script)
    value = merged(options, found.directives if found else ()).get("signal", ("", ""))[0]
    if not value:
        return DEFAULT_STOP_SIGNAL, True
    flags, colon, rest = value.partition(":")
    if not colon:
        flags, rest = "", value
    name = rest.split("@", 1)[0].strip() or DEFAULT_STOP_SIGNAL
    return name.upper().removeprefix("SIG") if not name.isdigit() else name, "B" in flags.upper()
