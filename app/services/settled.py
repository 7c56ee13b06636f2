"""What a refresh keeps so that it costs what the live chains cost, not the finished history: the
views of settled chains, already sorted, and the log paths of ended links.

A settled chain (ChainStatus.settled) changes only through a new event, and the registry hands
out the very same status object while a chain's event log is unchanged. So a settled chain's
view is reused while its status is the same object and its flags (read-only, superseded) are the
same; the sorted list of those views is reused while the settled chains are the same objects in
the same order; the few other chains' views are merged in by binary search. An ended link's log
paths are reused while its chain's spec, the link and its accounting record are the same.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence

from app.explain.logpaths import LogPaths, link_logs
from app.model.chain import ChainSpec, ChainStatus, Link
from app.services.live_facts import chain_key
from app.slurm.records import JobAccounting
from app.views import ChainView
from app.views.projection import superseded_chains

SortKey = tuple[bool, str, str, str]
ChainKey = tuple[str, str]  # chain_key(): two users' chains may share an id


def sort_key(view: ChainView) -> SortKey:
    """The order of a view's chains: live ones first, then by owner, name and id."""
    return view.state.is_final, view.owner, view.name, view.chain_id


class SettledViews:
    """The settled chains of one view (a user's chains, or everybody's; archived or not)."""

    def __init__(self) -> None:
        self._statuses: list[ChainStatus] = []  # as given last time, in that order
        self._read_only = False  # whether they are a colleague's
        self._made: dict[ChainKey, tuple[ChainStatus, ChainView]] = {}
        self._views: list[ChainView] = []  # sorted by sort_key
        self._keys: list[SortKey] = []  # their sort keys, for the merge
        self._workflow: list[ChainStatus] = []  # those of workflows: a newer chain may supersede them
        self._jobs: dict[str, ChainStatus] = {}  # job id -> its settled chain

    def update(
        self,
        settled: list[ChainStatus],
        read_only: bool,
        others: Sequence[ChainStatus],
        make: Callable[[ChainStatus, bool], ChainView],
    ) -> set[str]:
        """Take this refresh's settled chains (`read_only`: a colleague's) and the others shown with
        them; `make(status, superseded)` makes a view when no kept one fits. Returns the ids of the
        chains superseded (app.views.projection.superseded_chains), among all of them. Lists and
        tuples only: an object per chain per refresh would be promoted by the garbage collector and
        make it walk every object of the process every few refreshes."""
        same = (
            len(settled) == len(self._statuses)
            and all(map(operator.is_, settled, self._statuses))
            and read_only == self._read_only
        )
        if not same:
            self._statuses, self._read_only = settled, read_only
            self._workflow = [status for status in settled if status.spec.workflow]
        replaced = superseded_chains([*self._workflow, *others])
        if same and all((s.chain_id in replaced) == self._made[chain_key(s)][1].superseded for s in self._workflow):
            return replaced
        self._rebuild(settled, replaced, make)
        return replaced

    def _rebuild(
        self,
        settled: list[ChainStatus],
        replaced: set[str],
        make: Callable[[ChainStatus, bool], ChainView],
    ) -> None:
        made: dict[ChainKey, tuple[ChainStatus, ChainView]] = {}
        read_only = self._read_only
        for status in settled:
            key = chain_key(status)
            superseded = status.chain_id in replaced
            kept = self._made.get(key)
            if kept is None or kept[0] is not status or kept[1].read_only != read_only or (
                kept[1].superseded != superseded
            ):  # fmt: skip
                kept = (status, make(status, superseded))
            made[key] = kept
        self._made = made
        ordered = sorted(((sort_key(view), view) for _status, view in made.values()), key=operator.itemgetter(0))
        self._keys = [key for key, _view in ordered]
        self._views = [view for _key, view in ordered]
        jobs: dict[str, ChainStatus] = {}
        for status in reversed(settled):  # the first chain in the registry's order wins, as before
            jobs.update((link.job_id, status) for link in status.links if link.job_id)
        self._jobs = jobs

    def chain_of(self, job_id: str) -> ChainStatus | None:
        """The settled chain one of whose links is job `job_id`."""
        return self._jobs.get(job_id)

    def replace(self, status: ChainStatus, view: ChainView) -> None:
        """A settled chain's view made again (the selected chain's, with its links' accounting)."""
        key = chain_key(status)
        if key not in self._made:
            return
        self._made[key] = (status, view)
        at = bisect_right(self._keys, sort_key(view)) - 1
        if at >= 0 and self._keys[at] == sort_key(view):
            self._views[at] = view

    def merged(self, others: Iterable[ChainView]) -> list[ChainView]:
        """Every settled chain's view with `others`, sorted by sort_key."""
        views, keys = self._views, self._keys
        out: list[ChainView] = []
        done = 0
        for key, view in sorted(((sort_key(v), v) for v in others), key=operator.itemgetter(0)):
            at = bisect_right(keys, key, done)
            out += views[done:at]
            out.append(view)
            done = at
        out += views[done:]
        return out


class LinkLogs:
    """Each link's output files, by job id, resolved as Slurm does (app.explain.logpaths); an ended
    link's are kept: resolving them reads the script, and they cannot change."""

    def __init__(self) -> None:
        self._ended: dict[tuple[str, str, str], tuple[ChainSpec, Link, JobAccounting | None, LogPaths | None]] = {}

    def of(self, status: ChainStatus, live: Mapping[str, JobAccounting]) -> dict[str, LogPaths | None]:
        found: dict[str, LogPaths | None] = {}
        spec = status.spec
        for link in (*status.links, *status.successors):
            if not link.job_id:
                continue
            record = live.get(link.job_id)
            key = (spec.owner, spec.chain_id, link.job_id)
            kept = self._ended.get(key)
            if (
                kept is not None
                and kept[2] is record
                and (kept[1] is link or kept[1] == link)
                and (kept[0] is spec or kept[0] == spec)
            ):
                found[link.job_id] = kept[3]
                continue
            found[link.job_id] = paths = link_logs(spec, link, record)
            if link.ended:
                self._ended[key] = (spec, link, record, paths)
        return found

    def keep_only(self, chains: set[ChainKey]) -> None:
        """Forget the links of chains no longer shown."""
        for key in [k for k in self._ended if (k[0], k[1]) not in chains]:
            del self._ended[key]
