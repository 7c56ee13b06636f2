"""Which chains there are for a view: the viewer's registry; a colleague's, chain by chain as far
as it can be read; and the longrun jobs Slurm knows (accounting comments and the queue) for the
chains that cannot be read, and for everybody (`--all`).

On most sites every user has a private group: a colleague's registry, or some of its chains,
cannot be read. Such chains are not errors: they are rebuilt from Slurm accounting through the
job comments (`longrun:<chain>:<attempt>`), merged with the readable ones, and a note says which
path could not be read. Reads files and makes at most two Slurm calls (one sacct over the
accounting window, one squeue), and those only when some chain cannot be read, or for everybody.
A colleague's chain is read again only when its event log changed (Registry.current: one stat),
as the viewer's own are: a refresh costs what the colleague's live chains cost, not their history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model.chain import ChainStatus
from app.registry import Registry, RegistryError, UnknownChain, default_home
from app.services.base import ServiceBase
from app.slurm.records import JobAccounting, QueueRecord

ACCOUNTING_WINDOW = timedelta(days=7)  # how far back chains are rebuilt from accounting


@dataclass(frozen=True)
class Discovered:
    """The records a view is built from."""

    from_registry: tuple[ChainStatus, ...]  # every readable chain (one tuple: no object per chain per refresh)
    read_only: bool  # they are a colleague's: shown, never acted on
    damaged: tuple[str, ...]  # chains whose files cannot be read: what is wrong with each
    tagged_jobs: tuple[JobAccounting, ...] = ()  # longrun jobs from accounting, steps included
    queued: tuple[QueueRecord, ...] = ()  # the queue, for live links accounting has no comment for yet
    notes: tuple[str, ...] = ()  # how the view was built: what could not be read, where the rest came from


@dataclass(frozen=True)
class ColleagueRegistry:
    """What could be read of a colleague's registry."""

    chains: tuple[ChainStatus, ...]
    damaged: tuple[str, ...]  # chains whose files we may read but that are damaged: what is wrong
    unreadable: tuple[str, ...]  # chain ids whose files we may not read
    problem: str | None  # the registry as a whole cannot be read: the path and why
    exists: bool


def unreadable_path(path: Path) -> Path | None:
    """The first directory on the way to `path` (or `path` itself) that we may not read or pass."""
    for candidate in (*reversed(path.parents), path):
        if not os.path.lexists(candidate):
            return None
        wanted = os.R_OK | os.X_OK if candidate == path else os.X_OK
        if not os.access(candidate, wanted):
            return candidate
    return None


def _may_read_chain(directory: str) -> bool:
    """Strings, not Paths, and one access() per file that exists: run for every chain on every refresh."""
    if not os.access(directory, os.R_OK | os.X_OK):
        return False
    return all(os.access(path, os.R_OK) or not os.path.lexists(path)
               for path in (f"{directory}/spec.json", f"{directory}/events.jsonl"))  # fmt: skip


class ChainDiscovery(ServiceBase):
    def _colleague_registry(self, home: Path) -> Registry:
        """One read-only Registry per colleague's home, kept: its cache of chains read survives refreshes."""
        known: dict[Path, Registry] = self.__dict__.setdefault("_colleagues", {})
        reg = known.get(home)
        if reg is None:
            reg = known[home] = Registry(home, read_only=True)
        return reg

    def read_colleague(self, user: str) -> ColleagueRegistry:
        """A colleague's registry, chain by chain: what could be read, and what could not."""
        try:
            reg = self._colleague_registry(default_home(user))
        except RegistryError as exc:
            return ColleagueRegistry((), (), (), str(exc), False)
        blocked = unreadable_path(reg.chains_dir)
        if blocked is not None:
            return ColleagueRegistry((), (), (), f"{blocked}: Permission denied", True)
        try:
            with os.scandir(reg.chains_dir) as entries:  # names only: a private chain is not stat'ed here
                chain_ids = sorted(entry.name for entry in entries if not entry.name.startswith("."))
        except FileNotFoundError:
            return ColleagueRegistry((), (), (), None, False)
        except OSError as exc:
            return ColleagueRegistry((), (), (), f"{reg.chains_dir}: {exc.strerror}", True)
        chains: list[ChainStatus] = []
        damaged: list[str] = []
        unreadable: list[str] = []
        prefix = f"{reg.chains_dir}/"
        for chain_id in chain_ids:
            if not _may_read_chain(prefix + chain_id):
                unreadable.append(chain_id)
                continue
            try:
                chains.append(reg.current(chain_id))
            except UnknownChain:
                continue  # being made or removed right now
            except (RegistryError, ValueError, KeyError, TypeError) as exc:  # one damaged chain hides no other
                damaged.append(f"chain {chain_id}: {exc}")
        return ColleagueRegistry(tuple(chains), tuple(damaged), tuple(unreadable), None, True)

    def discover(self, user: str | None) -> Discovered:
        """The chains of `user` (everybody's when None; only the viewer's registry is read then)."""
        if user is None or user == self.viewer:
            found = self.registry.statuses()  # damaged chains are reported, their files left as they are
            from_registry = tuple(found.chains.values())
            damaged = tuple(str(d) for d in found.damaged)
            if user is not None:
                return Discovered(from_registry, False, damaged)
            return self._with_accounting(None, from_registry, False, damaged, ())
        colleague = self.read_colleague(user)
        from_registry = colleague.chains
        notes: list[str] = []
        if colleague.problem is not None:
            notes.append(
                f"cannot read {user}'s registry ({colleague.problem}): {user}'s chains are rebuilt from Slurm "
                f"accounting (the last {ACCOUNTING_WINDOW.days} days)"
            )
        elif colleague.unreadable:
            count = len(colleague.unreadable)
            notes.append(
                f"{count} of {user}'s chains cannot be read ({', '.join(colleague.unreadable[:5])}"
                f"{', ...' if count > 5 else ''}: Permission denied): they are rebuilt from Slurm accounting "
                f"(the last {ACCOUNTING_WINDOW.days} days); {user} can share them with `longrun share`"
            )
        notes += [f"{user}'s {problem}; it is rebuilt from Slurm accounting" for problem in colleague.damaged]
        if colleague.exists and colleague.problem is None and not colleague.unreadable and not colleague.damaged:
            return Discovered(from_registry, True, ())
        return self._with_accounting(user, from_registry, True, (), tuple(notes))

    def _with_accounting(
        self,
        user: str | None,
        from_registry: tuple[ChainStatus, ...],
        read_only: bool,
        damaged: tuple[str, ...],
        notes: tuple[str, ...],
    ) -> Discovered:
        since = datetime.now(UTC) - ACCOUNTING_WINDOW
        jobs = self.slurm.accounting_for_user(user, since, "longrun:")  # unreadable rows: jobs.problems
        queued = self.slurm.queue(user=user)
        return Discovered(from_registry, read_only, damaged, tuple(jobs), tuple(queued), notes)
