"""Starting the chains that wait for a chain that just finished (a workflow's next jobs).

The supervisor does it on its cycle for every chain (engine.step); the wrapper of a chain
continued inside Slurm does it at once when it decides that its chain is done, so that a workflow
goes on with no longrun process outside Slurm either.
"""

from __future__ import annotations

import logging

from app.registry import LockBusy, Registry, RegistryError, needs_submission, upstream_block
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmError
from app.supervisor.links import submit_link

log = logging.getLogger("longrun.supervisor")


def release_downstream(reg: Registry, slurm: SlurmClient, chain_id: str) -> list[tuple[str, str]]:
    """Submit the first link of every chain waiting for `chain_id` whose upstream chains are all done.
    Returns (chain id, job id) of those submitted; a chain another process holds is left to it."""
    statuses = reg.statuses().chains
    started: list[tuple[str, str]] = []
    for waiting in statuses.values():
        if chain_id not in waiting.spec.depends_on or waiting.links or waiting.unknown_kinds:
            continue
        try:
            with reg.chain_lock(waiting.chain_id, timeout=5.0):
                status = reg.status(waiting.chain_id)
                if status.links or not needs_submission(status):
                    continue
                ready, _why = upstream_block(status, lambda cid: reg.current(cid) if cid in statuses else None)
                if not ready:
                    continue
                job_id = submit_link(reg, slurm, status)
        except (LockBusy, RegistryError, SlurmError) as exc:
            log.warning("%s: not started after %s: %s", waiting.chain_id, chain_id, exc)
            continue
        if job_id:
            started.append((waiting.chain_id, job_id))
    return started
