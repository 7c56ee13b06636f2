"""Projection of registry and Slurm records into the read model: pure functions, no I/O.

The service layer gathers the records (registry statuses, one batched sacct, the queue) and what
needs a file or Slurm to know (log paths, an upstream chain's state, the diagnosis); these
functions only combine them. Slurm's record types are referenced for typing only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from app.model.chain import ChainSpec, ChainState, ChainStatus, Link, Policy, parse_comment_tag
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide
from app.model.states import JobState
from app.model.units import Duration, MemorySize
from app.views import ChainView, DiagnosisResult, FocusView, LinkView, StepView

if TYPE_CHECKING:
    from app.explain.logpaths import LogPaths
    from app.slurm.records import JobAccounting, QueueRecord, SacctRow


def link_view(link: Link, live: JobAccounting | None, logs: LogPaths | None) -> LinkView:
    """A link as recorded, overlaid with live accounting while it has not ended."""
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
        log_path=logs.stdout.path if logs else None,
        stderr_path=logs.stderr.path if logs and logs.stderr else None,
        log_problem=(logs.stdout.problem or (logs.stderr.problem if logs.stderr else None)) if logs else None,
    )


def chain_view(
    status: ChainStatus,
    live: Mapping[str, JobAccounting],
    *,
    read_only: bool,
    superseded: bool = False,
    log_paths: Mapping[str, LogPaths | None] | None = None,
    waiting_reason: str | None = None,
) -> ChainView:
    """One chain for the CLI and the dashboard.

    `live` holds the accounting of its unfinished links, `log_paths` each link's output files by
    job id, `waiting_reason` why a chain that waits for upstream chains has not started.
    """
    spec = status.spec
    paths = log_paths or {}
    links = tuple(
        link_view(link, live.get(link.job_id) if link.job_id else None, paths.get(link.job_id) if link.job_id else None)
        for link in status.links
    )
    total = sum((lv.elapsed.seconds for lv in links if lv.elapsed), 0)
    time_left = None
    last = links[-1] if links else None
    if last is not None and last.state == "RUNNING" and last.time_limit and last.elapsed:
        time_left = Duration(max(0, last.time_limit.seconds - last.elapsed.seconds))
    return ChainView(
        chain_id=spec.chain_id,
        name=spec.name,
        owner=spec.owner,
        state=status.state,
        reason=waiting_reason if waiting_reason is not None else status.reason,
        attempt=status.attempt,
        max_restarts=spec.policy.max_restarts,
        total_run_time=Duration(total),
        time_left=time_left,
        workflow=spec.workflow,
        links=links,
        read_only=read_only,
        superseded=superseded,
        restart_base=status.restart_base,
        archived=status.archived,
        stopping=status.stop_requested_by is not None and status.live_link is not None,
        changes=status.changes,
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


def statuses_from_accounting(jobs: Sequence[JobAccounting], queued: Sequence[QueueRecord] = ()) -> list[ChainStatus]:
    """Chains of users whose registry we cannot read, rebuilt from job comments (best effort: the
    policy is unknown, so endings are judged by the default rules). Slurm stores a comment in
    accounting only when the job ends, so live links come from the queue."""
    # Keyed by (the job's real user, chain id): a comment is free text, and a job of alice tagged
    # with bob's chain id is alice's job, never a link of bob's chain.
    grouped: dict[tuple[str, str], dict[int, Link]] = {}
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for acc in jobs:
        tag = parse_comment_tag(acc.job.comment)
        if tag is None:
            continue
        row = acc.job
        key = (row.user or "?", tag[0])
        grouped.setdefault(key, {})[tag[1]] = Link(
            attempt=tag[1], job_id=row.job_id, state=row.state.name, ended=row.state.is_terminal,
            exit_status=row.exit_status, submit=row.submit, start=row.start, end=row.end,
            elapsed=row.elapsed, time_limit=row.time_limit,
        )  # fmt: skip
        names.setdefault(key, (row.name, row.work_dir or "."))
    for rec in queued:
        tag = parse_comment_tag(rec.comment)
        if tag is None:
            continue
        key = (rec.user, tag[0])
        grouped.setdefault(key, {})[tag[1]] = Link(
            attempt=tag[1], job_id=rec.job_id, state=rec.state.name, ended=rec.state.is_terminal,
            submit=rec.submit, start=rec.start, elapsed=rec.time_used, time_limit=rec.time_limit,
        )  # fmt: skip
        names.setdefault(key, (rec.name, "."))
    statuses: list[ChainStatus] = []
    for (owner, chain_id), by_attempt in grouped.items():
        name, workdir = names[(owner, chain_id)]
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
        statuses.append(ChainStatus(spec=spec, state=state, reason=reason, links=tuple(links)))
    return statuses


def focus_view(acct: JobAccounting, diagnosis: DiagnosisResult | None) -> FocusView:
    """The selected link's job for the Steps and Diagnosis panes."""
    requested = acct.requested_memory
    return FocusView(
        job_id=acct.job_id,
        ended=acct.job.state.is_terminal,
        requested_memory=requested,
        rows=tuple(step_view(row, requested) for row in (acct.job, *acct.steps)),
        diagnosis=diagnosis,
    )


def step_view(row: SacctRow, requested: MemorySize | None) -> StepView:
    rss = row.max_rss
    percent = rss.percent_of(requested) if rss is not None and requested is not None and requested.bytes else None
    return StepView(
        step_id=row.step_id,
        name=row.name,
        state=row.state,
        cancelled_by_uid=row.cancelled_by_uid,
        exit_status=row.exit_status,
        elapsed=row.elapsed,
        max_rss=rss,
        max_rss_percent=percent,
        is_job=row.step is None,
    )
