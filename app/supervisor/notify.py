"""`longrun submit --notify CMD`: run CMD when the chain stops or finishes, wherever that was decided
(in a link's wrapper or in the supervisor), with the chain's facts in its environment.

CMD is an argv list, run without a shell, with a timeout, in the chain's working directory. Its
environment is the caller's plus:

    LONGRUN_CHAIN_ID, LONGRUN_CHAIN_NAME, LONGRUN_OWNER, LONGRUN_STATE (DONE or STOPPED),
    LONGRUN_REASON, LONGRUN_ATTEMPT, LONGRUN_JOB_ID (the last link's job),
    LONGRUN_DIAGNOSIS_TITLE, LONGRUN_DIAGNOSIS_FIX (longrun explain's title and suggestion)

A `notified` event records that it ran for the chain's last attempt, so a chain is announced once
per ending (a reinit that ends again is announced again).
"""

from __future__ import annotations

import logging
import os
import subprocess

from app.model.chain import ChainStatus
from app.registry import Registry
from app.registry.events import Notified
from app.slurm.client import SlurmClient
from app.slurm.errors import SlurmError
from app.slurm.records import JobAccounting

log = logging.getLogger("longrun.supervisor")

NOTIFY_TIMEOUT = 60.0


def notify_due(status: ChainStatus) -> bool:
    """The chain has a --notify command, is final, and its command has not run for this ending."""
    last = status.links[-1].attempt if status.links else 0
    return bool(status.spec.notify) and status.state.is_final and status.notified < max(last, 1)


def notify_environment(status: ChainStatus, accounting: JobAccounting | None) -> dict[str, str]:
    last = status.links[-1] if status.links else None
    title, fix = diagnosis_lines(status, accounting)
    facts = {
        "LONGRUN_CHAIN_ID": status.chain_id,
        "LONGRUN_CHAIN_NAME": status.spec.name,
        "LONGRUN_OWNER": status.spec.owner,
        "LONGRUN_STATE": status.state.value,
        "LONGRUN_REASON": status.reason or "",
        "LONGRUN_ATTEMPT": str(last.attempt if last else 0),
        "LONGRUN_JOB_ID": (last.job_id or "") if last else "",
        "LONGRUN_DIAGNOSIS_TITLE": title,
        "LONGRUN_DIAGNOSIS_FIX": fix,
    }
    return {k: v.replace("\0", "") for k, v in facts.items()}


def diagnosis_lines(status: ChainStatus, accounting: JobAccounting | None) -> tuple[str, str]:
    """longrun explain's title and suggestion for the last link's job ('' when there is no record)."""
    if accounting is None or not status.links:
        return "", ""
    try:
        from app.explain.gather import ChainLink, complete, diagnose_gathered

        link = status.links[-1]
        gathered = complete(accounting.job_id, accounting, None, find=lambda _a, _c: ChainLink(status, link))
        found = diagnose_gathered(gathered)
    except Exception as exc:  # a hook must be told even when the diagnosis cannot be made
        log.warning("%s: no diagnosis for the notification: %s", status.chain_id, exc)
        return "", ""
    return found.title, found.suggestion or ""


def run_notify(
    reg: Registry, status: ChainStatus, accounting: JobAccounting | None = None, slurm: SlurmClient | None = None
) -> int | None:
    """Run the chain's --notify command now and record it (the caller holds the chain lock).
    Without the last link's `accounting`, `slurm` is asked for it (one sacct), for the diagnosis.
    Returns its exit status, None when it could not be run or did not finish in time."""
    last = status.links[-1] if status.links else None
    if accounting is None and slurm is not None and last is not None and last.job_id:
        try:
            accounting = slurm.accounting([last.job_id]).get(last.job_id)
        except SlurmError as exc:
            log.warning("%s: no accounting for the notification: %s", status.chain_id, exc)
    env = dict(os.environ)
    env.update(notify_environment(status, accounting))
    cwd = status.spec.workdir if os.path.isdir(status.spec.workdir) else "/"
    attempt = max(status.links[-1].attempt if status.links else 0, 1)
    error = ""
    code: int | None = None
    try:
        proc = subprocess.run(
            list(status.spec.notify), env=env, cwd=cwd, stdin=subprocess.DEVNULL, timeout=NOTIFY_TIMEOUT, check=False
        )
        code = proc.returncode
    except subprocess.TimeoutExpired:
        error = f"did not finish within {NOTIFY_TIMEOUT:g} s"
    except OSError as exc:
        error = exc.strerror or str(exc)
    reg.append(status.chain_id, Notified(attempt=attempt, status=code, error=error))
    if error:
        log.warning("%s: the --notify command %s: %s", status.chain_id, status.spec.notify[0], error)
    return code
