"""Partition limits (`scontrol show partition`), fetched at most once per TTL and only when asked.

A partition's MaxTime and memory limits change rarely (an admin edits slurm.conf), so one call
for all partitions serves every diagnosis for ten minutes. The diagnosis asks only when a rule
needs a limit (time advice, a memory cap, PartitionTimeLimit), so most explanations make no call.
A failed call is remembered for a minute: the diagnosis then goes on without the limits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.slurm.errors import SlurmError
from app.slurm.records import Partition

TTL_SECONDS = 600.0
RETRY_SECONDS = 60.0

Fetch = Callable[[], dict[str, Partition]]


class PartitionCache:
    """Partitions by name; `fetch` is one `scontrol show partition` (SlurmClient.partitions)."""

    def __init__(self, fetch: Fetch | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[str, Partition] = {}
        self._until = float("-inf")
        self.calls = 0

    def get(self, name: str | None) -> Partition | None:
        """The partition `name` (None: unknown name, hidden partition, or Slurm did not answer)."""
        if not name or self._fetch is None:
            return None
        with self._lock:
            if self._clock() >= self._until:
                self.calls += 1
                try:
                    self._known = self._fetch()
                    self._until = self._clock() + TTL_SECONDS
                except SlurmError:
                    self._known = {}
                    self._until = self._clock() + RETRY_SECONDS
            return self._known.get(name)

    def lookup(self, name: str | None) -> Callable[[], Partition | None]:
        """A lookup of `name` to hand to the diagnosis (it calls it only if a rule needs the limits)."""
        return lambda: self.get(name)
