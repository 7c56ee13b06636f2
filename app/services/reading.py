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
from app.slurm.config import cluster_name
from app.slurm.records import JobAccounting, RowProblem
from app.supervisor.lease import ensure_supervisor, read_heartbeat, supervisor_alive
from app.supervisor.progress import link_log_path
from app.views import ChainView, DashboardSnapshot, FocusView, SupervisorHealth
from app.views.projection import chain_view, focus_view, statuses_from_accounting, superseded_chains


class ChainReading(ChainDiscovery):
    revive_supervisor = False  # the dashboard sets it: health() then starts a dead supervisor again
    _settled: dict[tuple[str, str], tuple[ChainStatus, ChainView]] = {}  # noqa: RUF012 - replaced, never mutated

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
        everyone = found.from_registry
        chosen = tuple((status, ro) for status, ro in found.from_registry if status.archived == archived)
        found = dataclasses.replace(found, from_registry=chosen)
        if archived:
            found = dataclasses.replace(found, tagged_jobs=(), queued=())
        registry_chains = [status for status, _ro in found.from_registry]
        rebuilt = statuses_from_accounting(found.tagged_jobs, found.queued)
        if rebuilt:
            known = {(status.spec.owner, status.chain_id) for status, _ro in everyone}
            rebuilt = [s for s in rebuilt if (s.spec.owner, s.chain_id) not in known]
        tagged = {acct.job_id: acct for acct in found.tagged_jobs}
        # Settled chains have no live link, successor or progress: the per-refresh work is the others'.
        active = [s for s in registry_chains if not s.settled]
        ids = [s.live_link.job_id for s in active if s.live_link and s.live_link.job_id]
        ids += [q.job_id for s in active for q in s.successors if q.job_id]  # same sacct call
        if focus_job_id and focus_job_id not in tagged and focus_job_id not in ids:
            ids.append(focus_job_id)
        focus_chain = (
            chain_of(focus_job_id, active) or chain_of(focus_job_id, registry_chains) if focus_job_id else None
        )
        ids += facts.history_ids(focus_chain)
        acct = self.slurm.accounting(list(dict.fromkeys(ids))) if ids else {}
        facts.remember(acct)
        estimates = start_estimates(self.slurm, acct) if not archived else {}
        known_acct = {**facts.accounting_of(focus_chain), **acct}
        lookup = {status.chain_id: status for status in registry_chains}
        replaced = superseded_chains(registry_chains)
        watched = [s for s in active if not s.state.is_final or s is focus_chain]
        if focus_chain is not None and focus_chain.settled:
            watched.append(focus_chain)
        progress = facts.progress_of(watched, lambda status: live_log_path(status, acct))
        if not archived:
            facts.progress.keep_only({chain_key(s) for s in watched})
        views: list[ChainView] = []
        made: list[tuple[ChainStatus, ChainView]] = []  # views of settled chains made (not reused) now
        built: set[tuple[str, str]] = set()  # chains whose view was made now (a reused view has its economics)
        for status, read_only in found.from_registry:
            superseded = status.chain_id in replaced
            view = self.settled_view(status, read_only, superseded) if status is not focus_chain else None
            if view is None:
                built.add(chain_key(status))
                view = self._chain(status, known_acct, read_only=read_only, superseded=superseded,
                                   log_paths=log_paths(status, acct), waiting_reason=waiting_reason(status, lookup),
                                   start_estimates=estimates, progress=progress.get(chain_key(status)))  # fmt: skip
                if status.settled:
                    made.append((status, view))
            views.append(view)
        self.keep_settled(made, len(registry_chains) - len(active) - len(made), found.from_registry, views)
        if not archived:
            facts.keep_economics_of(built)
        views += [chain_view(status, {}, read_only=True, log_paths=log_paths(status, tagged)) for status in rebuilt]
        views.sort(key=lambda v: (v.state.is_final, v.owner, v.name, v.chain_id))
        focus: FocusView | None = None
        focused = (acct.get(focus_job_id) or tagged.get(focus_job_id)) if focus_job_id else None
        if focused is not None:
            memory, problem = running_memory(self.slurm, focused, self.viewer)
            focus = focus_view(focused, self.explainer.diagnosis(focused), memory, problem)
        return DashboardSnapshot(
            chains=tuple(views),
            focus=focus,
            health=self.health(),
            taken_at=datetime.now(UTC),
            viewed_user=user,
            cluster=cluster_name(),
            damaged=found.damaged,
            notes=found.notes + unreadable_rows_note(self.slurm.said_problems),
        )

    def _chain(self, status: ChainStatus, accounting: Mapping[str, JobAccounting], **options: Any) -> ChainView:
        """One chain's view with its advice; a finished chain's economics are made once."""
        made, keep = self.live_facts.finished_economics(status, accounting)
        view = with_advice(chain_view(status, accounting, economics=made, **options))
        keep(view.economics)
        return view

    def settled_view(self, status: ChainStatus, read_only: bool, superseded: bool) -> ChainView | None:
        """The view made for this very status object last time, when nothing about it can change:
        a refresh costs what the live chains cost, not the finished history."""
        kept = self._settled.get((status.spec.owner, status.chain_id))
        if kept is None or kept[0] is not status:
            return None
        view = kept[1]
        return view if view.read_only == read_only and view.superseded == superseded else None

    def keep_settled(
        self,
        made: list[tuple[ChainStatus, ChainView]],
        reused: int,
        found: tuple[tuple[ChainStatus, bool], ...],
        views: list[ChainView],
    ) -> None:
        """Remember the views of settled chains. When every one kept was reused (nothing settled
        changed or went away), only those `made` now are added: no rebuild of 10,000 entries; else
        the kept ones are those of `found` (whose views are `views`, in its order)."""
        kept = self._settled
        if reused == len(kept) and kept is not ChainReading._settled:
            kept.update(((s.spec.owner, s.chain_id), (s, v)) for s, v in made)
            return
        pairs = zip(found, views, strict=True)
        self._settled = {(s.spec.owner, s.chain_id): (s, v) for (s, _ro), v in pairs if s.settled}

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


def waiting_reason(status: ChainStatus, lookup: Mapping[str, ChainStatus]) -> str | None:
    """Why a chain that waits for upstream chains has not submitted its first link; None otherwise."""
    if status.state is not ChainState.WAITING or not status.spec.depends_on or status.links:
        return None
    _ready, why = upstream_block(status, lookup.get)
    return why or "about to submit its first link"
