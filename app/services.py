"""The service layer: the ONE API that the CLI and the TUI call for chains.

Reads chains from the viewer's registry (or a colleague's, read-only; or, when that is not
readable, rebuilt from Slurm accounting comments), overlays live Slurm data with at most one
sacct call per snapshot, and performs actions. Every action checks ownership BEFORE any Slurm
call and raises ActionRefused with a message for a person.
"""

from __future__ import annotations

import os
import pwd
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model.chain import ChainSpec, ChainState, ChainStatus, Link, Policy, parse_comment_tag
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide
from app.model.states import JobState
from app.model.units import Duration
from app.registry import Registry, RegistryError, UnknownChain, default_home, upstream_block
from app.registry.derive import CANCEL_REQUESTED, CANCELLED, REINIT, RESUBMIT_REQUESTED
from app.slurm.client import SlurmClient, default_client
from app.slurm.config import cluster_name
from app.slurm.errors import SlurmParseError
from app.slurm.records import JobAccounting, QueueRecord
from app.supervisor.lease import read_heartbeat, supervisor_alive
from app.supervisor.links import link_log_path, submit_link
from app.views import ChainView, DashboardSnapshot, LinkView, SupervisorHealth

ACCOUNTING_WINDOW = timedelta(days=7)


class ActionRefused(Exception):
    """An action that is not allowed (not the owner, no live link, chain done...); `str()` says why."""


def current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def link_view(status: ChainStatus, index: int, live: JobAccounting | None, owner: str) -> LinkView:
    link = status.links[index]
    state = link.state
    start, end, elapsed, limit, exit_status = link.start, link.end, link.elapsed, link.time_limit, link.exit_status
    submit = link.submit
    if live is not None and not link.ended:
        row = live.job
        state = row.state.name
        submit, start, end, elapsed, limit = row.submit or submit, row.start, row.end, row.elapsed, row.time_limit
        exit_status = row.exit_status if row.state.is_terminal else None
    return LinkView(
        attempt=link.attempt,
        job_id=link.job_id,
        state=state,
        submit=submit,
        start=start,
        end=end,
        elapsed=elapsed,
        time_limit=limit,
        exit_status=exit_status,
        ending=link.ending,
        decision=link.decision,
        log_path=link_log_path(status, link.job_id, owner),
    )


def superseded_chains(statuses: Sequence[ChainStatus]) -> set[str]:
    """Workflow chains that a newer chain of the same job replaced (the workflow was submitted
    again, or a reinit gave the job a new chain)."""
    newest: dict[tuple[str, str, str], ChainStatus] = {}
    for status in statuses:
        spec = status.spec
        if spec.workflow:
            key = (spec.owner, spec.workflow, spec.name)
            if key not in newest or spec.created_key >= newest[key].spec.created_key:  # as latest_chains picks
                newest[key] = status
    return {
        s.chain_id for s in statuses
        if s.spec.workflow and newest[(s.spec.owner, s.spec.workflow, s.spec.name)].chain_id != s.chain_id
    }  # fmt: skip


def chain_view(
    status: ChainStatus,
    live: Mapping[str, JobAccounting],
    lookup: Mapping[str, ChainStatus],
    read_only: bool,
    superseded: bool = False,
) -> ChainView:
    spec = status.spec
    links = tuple(
        link_view(status, i, live.get(link.job_id) if link.job_id else None, spec.owner)
        for i, link in enumerate(status.links)
    )
    total = sum((lv.elapsed.seconds for lv in links if lv.elapsed), 0)
    time_left = None
    last = links[-1] if links else None
    if last is not None and last.state == "RUNNING" and last.time_limit and last.elapsed:
        time_left = Duration(max(0, last.time_limit.seconds - last.elapsed.seconds))
    state, reason = status.state, status.reason
    if state is ChainState.WAITING and spec.depends_on and not status.links:
        _ready, why = upstream_block(status, lookup.get)
        reason = why or "about to submit its first link"
    return ChainView(
        chain_id=spec.chain_id,
        name=spec.name,
        owner=spec.owner,
        state=state,
        reason=reason,
        attempt=status.attempt,
        max_restarts=spec.policy.max_restarts,
        total_run_time=Duration(total),
        time_left=time_left,
        workflow=spec.workflow,
        links=links,
        read_only=read_only,
        superseded=superseded,
        restart_base=status.restart_base,
    )


def chains_from_accounting(jobs: Sequence[JobAccounting], queued: Sequence[QueueRecord] = ()) -> list[ChainView]:
    """Chains of users whose registry we cannot read, rebuilt from job comments (read-only, best effort:
    the policy is unknown, so endings are judged by the default rules). Slurm stores a comment in
    accounting only when the job ends, so live links come from the queue."""
    grouped: dict[str, dict[int, Link]] = {}
    owners: dict[str, tuple[str, str, str]] = {}
    for acc in jobs:
        tag = parse_comment_tag(acc.job.comment)
        if tag is None:
            continue
        row = acc.job
        grouped.setdefault(tag[0], {})[tag[1]] = Link(
            attempt=tag[1], job_id=row.job_id, state=row.state.name, ended=row.state.is_terminal,
            exit_status=row.exit_status, submit=row.submit, start=row.start, end=row.end,
            elapsed=row.elapsed, time_limit=row.time_limit,
        )  # fmt: skip
        owners.setdefault(tag[0], (row.user or "?", row.name, row.work_dir or "."))
    for rec in queued:
        tag = parse_comment_tag(rec.comment)
        if tag is None:
            continue
        grouped.setdefault(tag[0], {})[tag[1]] = Link(
            attempt=tag[1], job_id=rec.job_id, state=rec.state.name, ended=rec.state.is_terminal,
            submit=rec.submit, start=rec.start, elapsed=rec.time_used, time_limit=rec.time_limit,
        )  # fmt: skip
        owners.setdefault(tag[0], (rec.user, rec.name, "."))
    views: list[ChainView] = []
    for chain_id, by_attempt in grouped.items():
        owner, name, workdir = owners[chain_id]
        spec = ChainSpec(chain_id=chain_id, name=name, owner=owner, script="?", workdir=workdir)
        links = [by_attempt[a] for a in sorted(by_attempt)]
        last = links[-1]
        if not last.ended:
            state, reason = ChainState.RUNNING, None
        else:
            ending = LinkEnding(JobState[last.state], last.exit_status, last.elapsed, last.time_limit)
            decision = decide(ending, Policy(), ChainHistory())
            state = {
                LinkOutcome.FINISHED: ChainState.DONE,
                LinkOutcome.CONTINUE: ChainState.CONTINUING,
            }.get(decision.outcome, ChainState.STOPPED)
            reason = decision.reason
            links[-1] = last.with_(decision=decision.label)
        status = ChainStatus(spec=spec, state=state, reason=reason, links=tuple(links))
        views.append(chain_view(status, {}, {}, read_only=True))
    return views


class Services:
    def __init__(self, viewer: str | None = None, slurm: SlurmClient | None = None, home: Path | None = None) -> None:
        self.viewer = viewer or current_user()
        self._slurm = slurm
        self.registry = Registry(home)

    @property
    def slurm(self) -> SlurmClient:
        if self._slurm is None:
            self._slurm = default_client()
        return self._slurm

    # -- reading ---------------------------------------------------------------------------------
    def _statuses(self, reg: Registry) -> dict[str, ChainStatus]:
        return self._read_registry(reg)[0]

    def _read_registry(self, reg: Registry) -> tuple[dict[str, ChainStatus], tuple[str, ...]]:
        """Every readable chain, and what is wrong with each unreadable one (its files stay as they are)."""
        found = reg.statuses()
        return found.chains, tuple(str(d) for d in found.damaged)

    def _registry_for(self, user: str) -> Registry | None:
        """The user's registry when we can read it (ours, or a colleague's that is group-readable)."""
        if user == self.viewer:
            return self.registry
        try:
            reg = Registry(default_home(user), read_only=True)
        except RegistryError:
            return None
        return reg if os.access(reg.chains_dir, os.R_OK | os.X_OK) else None

    def _collect(self, user: str | None) -> tuple[list[tuple[ChainStatus, bool]], list[ChainView], tuple[str, ...]]:
        """(chains from registries with read_only flag, chains rebuilt from accounting, damaged chains)."""
        from_registry: list[tuple[ChainStatus, bool]] = []
        rebuilt: list[ChainView] = []
        damaged: tuple[str, ...] = ()
        users = [user] if user is not None else [self.viewer]
        for who in users:
            reg = self._registry_for(who)
            if reg is not None:
                statuses, unreadable = self._read_registry(reg)
                damaged += unreadable
                from_registry += [(s, who != self.viewer) for s in statuses.values()]
        if user is None or self._registry_for(user) is None:
            since = datetime.now(UTC) - ACCOUNTING_WINDOW
            try:
                jobs = self.slurm.accounting_for_user(user, since, "longrun:")
            except SlurmParseError:
                jobs = []  # one unreadable foreign row must not hide our own chains
            queued = self.slurm.queue(user=user)
            known = {s.chain_id for s, _ in from_registry}
            rebuilt = [c for c in chains_from_accounting(jobs, queued) if c.chain_id not in known]
        return from_registry, rebuilt, damaged

    def chains(self, user: str | None) -> list[ChainView]:
        return list(self.snapshot(user).chains)

    def snapshot(self, user: str | None, focus_job_id: str | None = None) -> DashboardSnapshot:
        from_registry, rebuilt, damaged = self._collect(user)
        live_ids = [s.live_link.job_id for s, _ in from_registry if s.live_link and s.live_link.job_id]
        focus_in_rebuilt = None
        if focus_job_id:
            for chain in rebuilt:
                if any(lk.job_id == focus_job_id for lk in chain.links):
                    focus_in_rebuilt = focus_job_id
        ids = [*live_ids, *([focus_job_id] if focus_job_id and not focus_in_rebuilt else [])]
        acct = self.slurm.accounting(ids) if ids else {}
        lookup = {s.chain_id: s for s, _ in from_registry}
        replaced = superseded_chains([s for s, _ in from_registry])
        views = [chain_view(s, acct, lookup, ro, s.chain_id in replaced) for s, ro in from_registry] + rebuilt
        views.sort(key=lambda v: (v.state.is_final, v.owner, v.name, v.chain_id))
        focus = acct.get(focus_job_id) if focus_job_id else None
        if focus is None and focus_in_rebuilt:
            focus = self.slurm.accounting([focus_in_rebuilt]).get(focus_in_rebuilt)
        return DashboardSnapshot(
            chains=tuple(views),
            focus=focus,
            health=self.health(),
            taken_at=datetime.now(UTC),
            viewed_user=user,
            cluster=cluster_name(),
            damaged=damaged,
        )

    def health(self) -> SupervisorHealth:
        hb = read_heartbeat(self.registry)
        return SupervisorHealth(
            alive=supervisor_alive(self.registry),
            heartbeat_age=hb.age if hb else None,
            pid=hb.pid if hb else None,
        )

    def chain(self, chain_id: str) -> ChainView:
        """One chain of the viewer's registry, with live data."""
        status = self._own(chain_id, check_owner=False)
        job = status.live_link.job_id if status.live_link else None
        acct = self.slurm.accounting([job]) if job else {}
        return chain_view(status, acct, self._statuses(self.registry), status.spec.owner != self.viewer)

    # -- actions ---------------------------------------------------------------------------------
    def can_act(self, chain: ChainView) -> bool:
        return not chain.read_only and chain.owner == self.viewer

    def _own(self, chain_id: str, check_owner: bool = True) -> ChainStatus:
        try:
            status = self.registry.status(chain_id)
        except UnknownChain:
            raise ActionRefused(f"no chain {chain_id} in your registry ({self.registry.home})") from None
        except RegistryError as exc:
            raise ActionRefused(str(exc)) from None
        if check_owner and status.spec.owner != self.viewer:
            raise ActionRefused(f"chain {chain_id} belongs to {status.spec.owner}: you can only watch it")
        return status

    def cancel(self, chain_id: str) -> str:
        status = self._own(chain_id)
        if status.state is ChainState.DONE:
            raise ActionRefused(f"chain {chain_id} is done: nothing to cancel")
        with self.registry.chain_lock(chain_id):
            status = self.registry.status(chain_id)
            if status.cancel_requested and status.live_link is None:
                raise ActionRefused(f"chain {chain_id} is already cancelled")
            self.registry.append_event(chain_id, CANCEL_REQUESTED, by=self.viewer)
            link = status.live_link
            if link is not None and link.job_id:
                self.slurm.cancel(link.job_id)
                self.registry.append_event(chain_id, CANCELLED, job_id=link.job_id)
                return f"cancelled job {link.job_id}; chain {chain_id} will not be resubmitted"
        return f"chain {chain_id} cancelled (it had no live job)"

    def signal(self, chain_id: str, signal: str, full: bool = False) -> str:
        status = self._own(chain_id)
        link = status.live_link
        if link is None or not link.job_id:
            raise ActionRefused(f"chain {chain_id} has no live job to signal")
        self.slurm.cancel(link.job_id, signal=signal, batch_only=not full, full=full)
        where = "every step and the batch shell" if full else "the batch shell"
        return f"sent {signal} to {where} of job {link.job_id}"

    def resubmit(self, chain_id: str) -> str:
        status = self._own(chain_id)
        if status.live_link is not None:
            raise ActionRefused(f"chain {chain_id} has a live job ({status.live_link.job_id}): cancel it first")
        if status.state is ChainState.DONE:
            raise ActionRefused(f"chain {chain_id} is done; use reinit to run it again")
        return self._new_link(chain_id, RESUBMIT_REQUESTED)

    def reinit(self, chain_id: str) -> str:
        status = self._own(chain_id)
        if status.live_link is not None:
            raise ActionRefused(f"chain {chain_id} has a live job ({status.live_link.job_id})")
        if status.state not in (ChainState.STOPPED, ChainState.DONE):
            raise ActionRefused(f"chain {chain_id} is {status.state.value.lower()}, not stopped: nothing to reinit")
        return self._new_link(chain_id, REINIT)

    def _new_link(self, chain_id: str, kind: str) -> str:
        with self.registry.chain_lock(chain_id):
            self.registry.append_event(chain_id, kind, by=self.viewer)
            status = self.registry.status(chain_id)
            if status.spec.depends_on and not status.links:
                ready, why = upstream_block(status, self._statuses(self.registry).get)
                if not ready:
                    return f"chain {chain_id} will start when its upstream chains are done ({why})"
            job_id = submit_link(self.registry, self.slurm, status)
        if job_id is None:
            status = self.registry.status(chain_id)
            raise ActionRefused(status.reason or "sbatch refused the job")
        return f"chain {chain_id}: submitted attempt {status.attempt + 1} as job {job_id}"

    # -- creating chains -------------------------------------------------------------------------
    def submit(
        self,
        script: str,
        args: Sequence[str] = (),
        sbatch_options: Sequence[str] = (),
        policy: Policy | None = None,
        name: str | None = None,
        workdir: str | None = None,
        workflow: str | None = None,
        depends_on: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> tuple[str, str | None]:
        """Create a chain and submit its first link (unless it waits for upstream chains).

        Returns (chain id, job id or None). sbatch refusing the first link removes the chain and
        raises SubmissionRejected; Slurm unreachable keeps it (the supervisor submits it later)
        and re-raises.
        """
        workdir = str(Path(workdir or os.getcwd()).resolve())
        path = Path(script)
        if not path.is_absolute():
            path = Path(workdir) / path
        if not path.is_file():
            raise ActionRefused(f"no such job script: {path}")
        if not os.access(path, os.R_OK):
            raise ActionRefused(f"cannot read job script: {path}")
        for upstream in depends_on:
            try:
                self.registry.load_spec(upstream)
            except RegistryError:
                raise ActionRefused(f"upstream chain {upstream} is not in your registry") from None
        spec = ChainSpec(
            chain_id=uuid.uuid4().hex[:8],
            name=name or path.name,
            owner=self.viewer,
            script=str(path),
            args=tuple(args),
            sbatch_options=tuple(sbatch_options),
            workdir=workdir,
            policy=policy or Policy(),
            created=datetime.now(UTC),
            workflow=workflow,
            depends_on=tuple(depends_on),
        )
        self.registry.create_chain(spec, env=dict(env if env is not None else os.environ))
        if depends_on:
            return spec.chain_id, None
        with self.registry.chain_lock(spec.chain_id):
            status = self.registry.status(spec.chain_id)
            if status.links:  # a supervisor cycle got here first (the chain was visible before our lock)
                return spec.chain_id, status.links[-1].job_id
            job_id = submit_link(self.registry, self.slurm, status)
        if job_id is None:
            reason = self.registry.status(spec.chain_id).reason
            self.registry.delete_chain(spec.chain_id)
            raise ActionRefused(reason or "sbatch refused the job")
        return spec.chain_id, job_id

    def nudge(self) -> None:
        """Wake the supervisor up now (new chain, action taken)."""
        try:
            self.registry.ensure_dirs()
            (self.registry.supervisor_dir / "nudge").touch()
        except (OSError, RegistryError):
            pass


__all__ = [
    "ActionRefused",
    "ChainView",
    "DashboardSnapshot",
    "LinkView",
    "Services",
    "SupervisorHealth",
]
