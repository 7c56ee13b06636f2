"""Who decided how a chain went on after one of its links: the job queued after the link (its link
wrapper says so in its log: `longrun: attempt N (job X): <decision> (decided by job Y)`) or the
owner's supervisor (its log: `<chain>: job X ended ... -> <decision>`).

The registry records the decision, not who made it; inside Slurm both may decide (whoever sees the
end first), so the logs are asked. A job log is text the job's script can write too: only a job the
chain itself recorded, queued after the link, is taken at its word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from app.diagnose.chainstory import SUPERVISOR
from app.explain.logpaths import link_logs
from app.model.chain import ChainStatus, Link

SCAN_BYTES = 4 << 20  # a log shared by every link (--open-mode=append) is read this far at most
CANDIDATES = 6  # jobs queued after the link that are looked at: the decider is one of the first ones
_BY_JOB = re.compile(r"^longrun: attempt (\d+) \(job (\d+)\): .* \(decided by job (\d+)\)$")
_RUNNING = re.compile(r"^longrun: running attempt (\d+) of chain ")  # a link's work starts after the decision


def who_decided(status: ChainStatus, link: Link, home: Path | None) -> str | None:
    """`job 1234`, SUPERVISOR, or None when no readable log says it, for a chain continued inside
    Slurm (a supervised chain's decisions are all the supervisor's: chain_story says so without
    reading a log). `home`: the owner's registry (its supervisor log)."""
    if link.decision is None or link.job_id is None or not link.job_id.isdigit() or not status.spec.in_slurm:
        return None
    candidates = _queued_after(status, link.job_id)
    scanned: set[str] = set()  # a log shared by every link is read once
    for job_id in candidates:
        path = _wrapper_log(status, link, job_id)
        if path is None or path in scanned:
            continue
        scanned.add(path)
        decider = _decider_in(Path(path), link)
        if decider in candidates:
            return f"job {decider}"
    if home is not None and _supervisor_log_says(home / "supervisor" / "log", status.chain_id, link.job_id):
        return SUPERVISOR
    return None


def _queued_after(status: ChainStatus, job_id: str) -> list[str]:
    later = sorted(int(j) for j in status.known_jobs if j.isdigit() and int(j) > int(job_id))
    return [str(j) for j in later[:CANDIDATES]]


def _wrapper_log(status: ChainStatus, link: Link, job_id: str) -> str | None:
    """The file the job's link wrapper wrote to (its stderr: the output file unless --error)."""
    paths = link_logs(status.spec, Link(attempt=link.attempt + 1, job_id=job_id))
    if paths is None:
        return None
    return (paths.stderr if paths.stderr is not None else paths.stdout).path


def _decider_in(path: Path, link: Link) -> str | None:
    """The job a wrapper line in this log names as the one that decided on `link` (a log shared by
    every link holds the lines of several jobs: the line itself names its job). Read up to where a
    later link's work began, so that a long log is not read to its end."""
    for line in _lines(path):
        found = _BY_JOB.match(line)
        if found and (int(found[1]), found[2]) == (link.attempt, link.job_id):
            return found[3]
        later = _RUNNING.match(line)
        if later and int(later[1]) > link.attempt:
            return None  # a later link's work began: the decision on this one is not further down
    return None


def _supervisor_log_says(path: Path, chain_id: str, job_id: str) -> bool:
    needle = f"{chain_id}: job {job_id} ended "
    return any(needle in line for line in _lines(path))


def _lines(path: Path) -> Iterator[str]:
    try:
        with path.open("rb") as handle:
            read = 0
            for raw in handle:
                read += len(raw)
                if read > SCAN_BYTES:
                    return
                yield raw.decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return
