"""Snapshots for the dashboard and `longrun status`: the discovered chains projected into the read
model, with live Slurm data, the selected job's steps and diagnosis, and the supervisor's health.

Slurm calls per snapshot, all batched: one sacct for the live links of the registry's chains, the
selected job and the selected chain's ended links not read before (none when there is nothing to
ask); one `squeue --start` when some of those links are pending (their expected start); one
`sstat` when the selected link runs and is the viewer's (its memory now); for a colleague whose
registry cannot be read, or for everybody (`--all`), also discovery's sacct and squeue. The
selected job's diagnosis is the explain pipeline's (app.explain.focus, the same as `longrun
explain`): it adds one `scontrol show job` when a job is first selected or its sacct state
changed, never again for an ended one. Progress comes from files (app/supervisor/progress.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from app.diagnose.waste import waste_fixes
from app.explain.focus import FocusExplainer
from app.explain.logpaths import LogPaths, link_logs
from app.model.chain import ChainState, ChainStatus
from app.model.text import inert
from app.registry import upstream_block
from app.services.discovery import ChainDiscovery
from app.services.live_facts import LiveFacts, chain_key, running_memory, start_estimates
from app.services.settled import LinkLogs, SettledViews
from app.slurm.config import cluster_name
from app.slurm.records import JobAccounting, RowProblem
from app.supervisor.lease import ensure_supervisor, read_heartbeat, supervisor_alive
from app.supervisor.progress import link_log_path
from app.views import ChainView, DashboardSnapshot, FocusView, SupervisorHealth
from app.views.projection import chain_view, focus_view, statuses_from_accounting

KEPT_VIEWS = 4  # views whose settled chains are kept: own, everybody's, a colleague's, archived


class ChainReading(ChainDiscovery):
    revive_supervisor = False  # the dashboard sets it: health() then starts a dead supervisor again

    @cached_property
    def explainer(self) -> FocusExplainer:
        """The selected job's explain pipeline; it keeps controller records between snapshots."""
        return FocusExplainer(lambda job_id: self.slurm.show_job(job_id), partitions=self.slurm.partitions)

    @cached_property
    def live_facts(self) -> LiveFacts:
        """Kept between snapshots: ended links' accounting, each chain's place in its log."""
        return LiveFacts()

    def chains(self, user: str | None) -> list[ChainView]:
        return list(self.snapshot(user).chains)

    def snapshot(self, user: str | None, focus_job_id: str | None = None) -> DashboardSnapshot:
        """Every chain of `user` (everybody's when None) but the archived ones, and the job
        `focus_job_id` in detail: its steps, diagnosis and (running) memory now, and its chain's
        ended links' efficiencies."""
        return self._snapshot(user, focus_job_id, archived=False)

    def archived_chains(self, user: str | None) -> list[ChainView]:
        """The archived chains of `user` (`longrun status --archived`): the registry's only, no Slurm call."""
        return list(self._snapshot(user, None, archived=True).chains)

    def _snapshot(self, user: str | None, focus_job_id: str | None, archived: bool) -> DashboardSnapshot:
        found = self.discover(user)
        facts = self.live_facts
        # Settled chains have no live link, successor or progress: their sorted views are kept
        # (app/services/settled.py); the per-refresh work is the others'.
        settled = [status for status in found.from_registry if status.settled and status.archived == archived]
        active = [status for status in found.from_registry if not status.settled and status.archived == archived]
        read_only = found.read_only
        kept = self.settled_views(user, archived)
        if archived:
            found = dataclasses.replace(found, tagged_jobs=(), queued=())
        rebuilt = statuses_from_accounting(found.tagged_jobs, found.queued)
        if rebuilt:
            known = {status.chain_id: status.spec.owner for status in found.from_registry}  # ids are unique here
            rebuilt = [s for s in rebuilt if known.get(s.chain_id) != s.spec.owner]
        tagged = {acct.job_id: acct for acct in found.tagged_jobs}
        ids = [s.live_link.job_id for s in active if s.live_link and s.live_link.job_id]
        ids += [q.job_id for s in active for q in s.successors if q.job_id]  # same sacct call
        if focus_job_id and focus_job_id not in tagged and focus_job_id not in ids:
            ids.append(focus_job_id)
        built: set[tuple[str, str]] = set()  # chains whose view was made now (a reused view has its economics)

        def settled_view(status: ChainStatus, superseded: bool) -> ChainView:
            built.add(chain_key(status))
            return self._chain(status, {}, read_only=read_only, superseded=superseded, log_paths=log_paths(status, {}),
                               waiting_reason=None, start_estimates={}, progress=None)  # fmt: skip

        replaced = kept.update(settled, read_only, active, settled_view)
        focus_chain = (chain_of(focus_job_id, active) or kept.chain_of(focus_job_id)) if focus_job_id else None
        ids += facts.history_ids(focus_chain)
        acct = self.slurm.accounting(list(dict.fromkeys(ids))) if ids else {}
        facts.remember(acct)
        estimates = start_estimates(self.slurm, acct) if not archived else {}
        known_acct = {**facts.accounting_of(focus_chain), **acct}
        lookup = UpstreamLookup(found.from_registry, archived)
        watched = [s for s in active if not s.state.is_final or s is focus_chain]
        if focus_chain is not None and focus_chain.settled:
            watched.append(focus_chain)
        progress = facts.progress_of(watched, lambda status: live_log_path(status, acct))
        if not archived:
            facts.progress.keep_only({chain_key(s) for s in watched})
        links = self.link_logs
        views: list[ChainView] = []
        for status in active:
            built.add(chain_key(status))
            views.append(self._chain(status, known_acct, read_only=read_only, superseded=status.chain_id in replaced,
                                     log_paths=links.of(status, acct), waiting_reason=waiting_reason(status, lookup),
                                     start_estimates=estimates, progress=progress.get(chain_key(status))))  # fmt: skip
        if focus_chain is not None and focus_chain.settled:  # made again: with its links' accounting
            built.add(chain_key(focus_chain))
            kept.replace(focus_chain, self._chain(
                focus_chain, known_acct, read_only=read_only, superseded=focus_chain.chain_id in replaced,
                log_paths=links.of(focus_chain, acct), waiting_reason=None, start_estimates=estimates,
                progress=progress.get(chain_key(focus_chain)),
            ))  # fmt: skip
        links.keep_only({chain_key(s) for s in watched} | {chain_key(s) for s in active})
        if not archived:
            facts.keep_economics_of(built)
        views += [chain_view(status, {}, read_only=True, log_paths=log_paths(status, tagged)) for status in rebuilt]
        focus: FocusView | None = None
        focused = (acct.get(focus_job_id) or tagged.get(focus_job_id)) if focus_job_id else None
        if focused is not None:
            memory, problem = running_memory(self.slurm, focused, self.viewer)
            focus = focus_view(focused, self.explainer.diagnosis(focused), memory, problem)
        return DashboardSnapshot(
            chains=tuple(kept.merged(views)),
            focus=focus,
            health=self.health(),
            taken_at=datetime.now(UTC),
            viewed_user=user,
            cluster=cluster_name(),
            damaged=found.damaged,
            notes=found.notes + unreadable_rows_note(self.slurm.said_problems),
        )

    @cached_property
    def _kept_views(self) -> dict[tuple[str | None, bool], SettledViews]:
        return {}

    def settled_views(self, user: str | None, archived: bool) -> SettledViews:
        """The kept views of the settled chains of this view (a few views kept: the dashboard switches users)."""
        kept = self._kept_views
        views = kept.pop((user, archived), None) or SettledViews()
        kept[(user, archived)] = views  # the newest last
        while len(kept) > KEPT_VIEWS:
            del kept[next(iter(kept))]
        return views

    @cached_property
    def link_logs(self) -> LinkLogs:
        """The live chains' links' log paths, those of ended links kept between snapshots."""
        return LinkLogs()

    def _chain(self, status: ChainStatus, accounting: Mapping[str, JobAccounting], **options: Any) -> ChainView:
        """One chain's view with its advice; a finished chain's economics are made once."""
        made, keep = self.live_facts.finished_economics(status, accounting)
        view = with_advice(chain_view(status, accounting, economics=made, **options))
        keep(view.economics)
        return view

    def health(self) -> SupervisorHealth:
        """The viewer's supervisor; with revive_supervisor (the dashboard) a dead one is started again
        at once (DESIGN: every command and the dashboard revive it, found by its lock)."""
        alive = supervisor_alive(self.registry)
        if not alive and self.revive_supervisor and not self.registry.read_only:
            alive = ensure_supervisor(self.registry.home) or supervisor_alive(self.registry)
        hb = read_heartbeat(self.registry)
        return SupervisorHealth(
            alive=alive,
            heartbeat_age=hb.age if hb else None,
            pid=hb.pid if hb else None,
        )


def unreadable_rows_note(problems: Sequence[RowProblem]) -> tuple[str, ...]:
    """Rows Slurm printed that could not be read (left out of the view), as one note: the newest few."""
    if not problems:
        return ()
    shown = "; ".join(inert(str(problem)) for problem in problems[-3:])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    rows = (
        "row from Slurm could not be read and is" if len(problems) == 1 else "rows from Slurm could not be read and are"
    )
    return (f"{len(problems)} {rows} left out: {shown}{more}",)


def with_advice(view: ChainView) -> ChainView:
    """The chain with its waste and the fix (app/diagnose/waste.py), when its efficiencies say so."""
    advice = waste_fixes(view.economics) if view.economics is not None else ()
    return dataclasses.replace(view, advice=advice) if advice else view


def chain_of(job_id: str, statuses: list[ChainStatus]) -> ChainStatus | None:
    """The chain one of whose links is job `job_id`."""
    return next((s for s in statuses if any(lk.job_id == job_id for lk in s.links)), None)


def live_log_path(status: ChainStatus, live: Mapping[str, JobAccounting]) -> str | None:
    """The log the chain's newest link writes (its progress is read there)."""
    link = next((lk for lk in reversed(status.links) if lk.job_id), None)
    return link_log_path(status.spec, link, live.get(link.job_id or "") if link is not None else None)


def log_paths(status: ChainStatus, live: Mapping[str, JobAccounting]) -> dict[str, LogPaths | None]:
    """Each link's output files, by job id, resolved as Slurm does (app.explain.logpaths)."""
    return {
        link.job_id: link_logs(status.spec, link, live.get(link.job_id))
        for link in (*status.links, *status.successors)
        if link.job_id
    }


class UpstreamLookup:
    """The chains shown, by id, made when first asked (only a chain waiting for upstream chains asks)."""

    def __init__(self, found: Sequence[ChainStatus], archived: bool) -> None:
        self._found, self._archived = found, archived

    @cached_property
    def _by_id(self) -> dict[str, ChainStatus]:
        return {status.chain_id: status for status in self._found if status.archived == self._archived}

    def get(self, chain_id: str) -> ChainStatus | None:
        return self._by_id.get(chain_id)


def waiting_reason(status: ChainStatus, lookup: UpstreamLookup) -> str | None:
    """Why a chain that waits for upstream chains has not submitted its first link; None otherwise."""
    if status.state is not ChainState.WAITING or not status.spec.depends_on or status.links:
        return None
    _ready, why = upstream_block(status, lookup.get)
    return why or "about to submit its first link"
