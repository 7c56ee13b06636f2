"""Listing a registry's chains cheaply: statuses() and current(), mixed into Registry.

A chain's status is kept with its event log's stat and read again only when that changed; after
the first call, statuses() looks only at the chains the change journal (app/registry/journal.py)
names, those not settled and the damaged ones, and at everything every FULL_READ_EVERY seconds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from app.model.chain import ChainStatus
from app.registry.files import RegistryError
from app.registry.journal import JournalMark, changes_since

FULL_READ_EVERY = 300.0  # seconds between statuses()'s full reads (changes the journal missed)
StatKey = tuple[int, ...]


class UnknownChain(RegistryError):
    """No chain with this id in the registry."""


@dataclass(frozen=True)
class DamagedChain:
    """A chain whose files cannot be read: reported the same way everywhere, its files left alone."""

    chain_id: str  # the directory's name
    problem: str  # names the file and what is wrong with it

    def __str__(self) -> str:
        return f"chain {self.chain_id}: {self.problem}"


@dataclass(frozen=True)
class ChainStatuses:
    """Every chain of a registry: the readable ones by id, and the damaged ones, explicitly."""

    chains: dict[str, ChainStatus]
    damaged: tuple[DamagedChain, ...] = ()


class ChainListing:
    """What Registry provides to the listing (set in Registry.__init__)."""

    _cache: dict[str, tuple[StatKey | None, ChainStatus]]
    _chains_prefix: str
    _mark: JournalMark | None
    _full_at: float | None
    _last: ChainStatuses | None

    @property
    def chains_dir(self) -> Path:
        raise NotImplementedError

    def chain_ids(self) -> list[str]:
        raise NotImplementedError

    def _start_journal(self) -> JournalMark | None:
        """A registry made before the journal: start one (when it is ours), so the next call can use it."""
        return None

    def status(self, chain_id: str) -> ChainStatus:
        raise NotImplementedError

    def statuses(self) -> ChainStatuses:
        """Every chain: one damaged chain never hides the others (it is returned in `damaged`).

        After the first call, only the chains the change journal names, those not settled and the
        damaged ones are looked at (a stat; read again when their event log changed): the cost of
        a call grows with live work, not with the number of finished chains. Every FULL_READ_EVERY
        seconds, or when the journal cannot tell, every chain is looked at again. The spec is
        written once, when the chain is made; a damaged chain is looked at every time, so that a
        repair shows at once.
        """
        mark, changed = changes_since(self.chains_dir, self._mark)
        last = self._last
        if changed is not None and last is not None and self._full_at is not None:
            if time.monotonic() - self._full_at < FULL_READ_EVERY:
                self._mark = mark
                self._last = self._refresh(last, changed)
                return self._last
        if mark is None:
            mark = self._start_journal()
        self._mark = mark  # taken before the read: what changes during it is read again next time
        self._full_at = time.monotonic()
        self._last = self._read_all()
        return self._last

    def _refresh(self, last: ChainStatuses, changed: set[str]) -> ChainStatuses:
        """statuses() from the last one: the chains named, not settled, or damaged looked at again."""
        chains = dict(last.chains)
        damaged = {d.chain_id: d for d in last.damaged}
        again = changed | set(damaged) | {cid for cid, st in chains.items() if not st.settled}
        for chain_id in sorted(again):
            chains.pop(chain_id, None)
            damaged.pop(chain_id, None)
            if chain_id.startswith(".") or "/" in chain_id:
                continue
            try:
                entry = self._current(chain_id)
            except UnknownChain:
                self._cache.pop(chain_id, None)
                continue
            except RegistryError as exc:
                self._cache.pop(chain_id, None)
                damaged[chain_id] = DamagedChain(chain_id, str(exc))
                continue
            chains[chain_id] = entry[1]
            if entry[0] is not None:
                self._cache[chain_id] = entry
        return ChainStatuses(chains, tuple(damaged[c] for c in sorted(damaged)))

    def _read_all(self) -> ChainStatuses:
        chains: dict[str, ChainStatus] = {}
        damaged: list[DamagedChain] = []
        cache: dict[str, tuple[StatKey | None, ChainStatus]] = {}
        for chain_id in self.chain_ids():
            try:
                entry = self._current(chain_id)
            except UnknownChain:
                continue  # removed since the listing
            except RegistryError as exc:
                damaged.append(DamagedChain(chain_id, str(exc)))
                continue
            chains[chain_id] = entry[1]
            if entry[0] is not None:
                cache[chain_id] = entry
        self._cache = cache
        return ChainStatuses(chains, tuple(damaged))

    def current(self, chain_id: str) -> ChainStatus:
        """status(chain_id), from the cache when the event log has not changed since it was read."""
        entry = self._current(chain_id)
        if entry[0] is not None:
            self._cache[chain_id] = entry
        return entry[1]

    def _current(self, chain_id: str) -> tuple[StatKey | None, ChainStatus]:
        """(stat key, status): the cached entry itself while the log is unchanged. Reusing it, rather
        than a new tuple per call, keeps a cycle from feeding the garbage collector 10,000 objects."""
        try:
            info = os.stat(f"{self._chains_prefix}{chain_id}/events.jsonl")  # a str: Path costs more than stat
            key: StatKey | None = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        except OSError:
            key = None  # no log, or not even a directory: read it (and say what is wrong)
        hit = self._cache.get(chain_id)
        if key is not None and hit is not None and hit[0] == key:
            return hit
        return key, self.status(chain_id)
