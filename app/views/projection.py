"""Projection of registry and Slurm records into the read model: pure functions, no I/O.

The service layer gathers the records (registry statuses, one batched sacct, the queue) and what
needs a file or Slurm to know (log paths, an upstream chain's state, the diagnosis); these
functions only combine them. Slurm's record types are referenced for typing only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.model.chain import ChainSpec, ChainState, ChainStatus, Link, parse_comment_tag
from app.model.economics import ChainEconomics, LinkFacts, chain_economics, local_time
from app.model.outcome import ChainHistory, Decision, LinkEnding, LinkOutcome, decide
from app.model.pending import pending_reason_words
from app.model.policy import Policy
from app.model.progress import Estimate, Progress, estimate
from app.model.sbatch_options import warning_seconds
from app.model.states import JobState
from app.model.units import Duration, MemorySize
from app.model.usage import LiveMemory, step_peak
from app.views import ChainView, DiagnosisResult, FocusView, LinkView, StepView

if TYPE_CHECKING:
    from app.explain.logpaths import LogPaths
    from app.slurm.records import JobAccounting, QueueRecord, SacctRow, StartEstimate


def waiting_words(reason: str | None) -> str | None:
    """`Priority: other jobs come first` (the words are app/model/pending's, shared with explain)."""
    if not reason or reason == "None":
        return None
    words = pending_reason_words(reason)
    return f"{reason}: {words}" if words else reason


def link_view(
    link: Link,
    live: JobAccounting | None,
    logs: LogPaths | None,
    start_estimate: StartEstimate | None = None,
    successor: bool = False,
) -> LinkView:
    """A link as recorded, overlaid with live accounting while it has not ended; a pending one with
    Slurm's expected start and its reason in words (`start_estimate`, from squeue --start).
    `successor`: a queued job that decides when the link before it ends (its `after`)."""
    state = link.state
    start, end, elapsed, limit, exit_status = link.start, link.end, link.elapsed, link.time_limit, link.exit_status
    submit = link.submit
    if live is not None and not link.ended:
        row = live.job
        state = row.state.name
        submit, start, end, elapsed, limit = row.submit or submit, row.start, row.end, row.elapsed, row.time_limit
        exit_status = row.exit_status if row.state.is_terminal else None
    expected, reason = None, None
    if state == JobState.PENDING.name:
        reason = start_estimate.reason if start_estimate else (live.job.reason if live else None)
        expected = start_estimate.start if start_estimate else None
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
        expected_start=expected,
        waiting_for=waiting_words(reason),
        successor_of=link.after if successor else None,
    )


def chain_view(
    status: ChainStatus,
    live: Mapping[str, JobAccounting],
    *,
    read_only: bool,
    superseded: bool = False,
    log_paths: Mapping[str, LogPaths | None] | None = None,
    waiting_reason: str | None = None,
    start_estimates: Mapping[str, StartEstimate] | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    economics: ChainEconomics | None = None,
) -> ChainView:
    """One chain for the CLI and the dashboard.

    `live` holds the accounting of its unfinished links (and of ended ones when they were read:
    their efficiencies), `log_paths` each link's output files by job id, `waiting_reason` why a
    chain that waits for upstream chains has not started, `start_estimates` Slurm's expected start
    of pending links by job id, `progress` the newest progress the chain reported. `now` is
    Slurm's local time (naive), by default the clock's. `economics` made before for the same
    finished chain and accounting is used as it is (a finished chain's figures no longer change).
    """
    spec = status.spec
    paths = log_paths or {}
    estimates = start_estimates or {}
    moment = local_time(now) or datetime.now()

    def view(link: Link, successor: bool = False) -> LinkView:
        job = link.job_id
        found = live.get(job) if job else None
        return link_view(link, found, paths.get(job) if job else None, estimates.get(job) if job else None, successor)

    links = tuple(view(link) for link in status.links)
    queued = tuple(view(link, successor=True) for link in status.successors)
    if economics is None:
        facts = [
            _link_facts(lk, lv, live.get(lv.job_id) if lv.job_id else None)
            for lk, lv in zip(status.links, links, strict=True)
        ]
        economics = chain_economics(
            facts, moment, finished=status.state.is_final, warning_s=warning_seconds(spec.sbatch_options)
        )
    links = with_continuations(links)
    total = sum((lv.elapsed.seconds for lv in links if lv.elapsed), 0)
    time_left = None
    last = links[-1] if links else None
    if last is not None and last.state == "RUNNING" and last.time_limit and last.elapsed:
        time_left = Duration(max(0, last.time_limit.seconds - last.elapsed.seconds))
    reason = waiting_reason if waiting_reason is not None else status.reason
    if reason is None and queued and status.state is ChainState.RUNNING and last is not None:
        reason = (
            f"next link queued as job {queued[0].job_id or '(being submitted)'}: it decides when job {last.job_id} ends"
        )
    attend = needs_attention(
        status.state, status.cancel_requested or status.stop_requested_by is not None, links[-1] if links else None
    )
    return ChainView(
        chain_id=spec.chain_id,
        name=spec.name,
        owner=spec.owner,
        state=status.state,
        reason=reason,
        attempt=status.attempt,
        max_restarts=spec.policy.max_restarts,
        total_run_time=Duration(total),
        time_left=time_left,
        workflow=spec.workflow,
        links=links,
        queued=queued,
        read_only=read_only,
        superseded=superseded,
        restart_base=status.restart_base,
        archived=status.archived,
        stopping=status.stop_requested_by is not None and status.live_link is not None,
        changes=status.changes,
        economics=economics,
        progress=chain_estimate(progress, status.state, links, economics, moment),
        needs_attention=attend,
        mode=spec.mode,
        attention=(status.reason or "stopped") if attend else None,
    )


def _link_facts(recorded: Link, link: LinkView, acct: JobAccounting | None) -> LinkFacts:
    """The link for the economics: Slurm's times when its accounting is at hand (the registry's submit
    time is our clock's, a moment before Slurm's), else the recorded ones."""
    row = acct.job if acct is not None else None
    return LinkFacts(
        attempt=link.attempt,
        job_id=link.job_id,
        submit=local_time((row.submit if row else None) or link.submit),
        start=local_time((row.start if row else None) or link.start),
        end=local_time((row.end if row else None) or link.end),
        elapsed_s=link.elapsed.seconds if link.elapsed else None,
        time_limit_s=link.time_limit.seconds if link.time_limit else None,
        ended=recorded.ended or (row is not None and row.state.is_terminal),
        continued=(link.decision or "").startswith(LinkOutcome.CONTINUE.value),
        usage=acct.usage if acct is not None else None,
    )


def chain_estimate(
    progress: Progress | None,
    state: ChainState,
    links: Sequence[LinkView],
    economics: ChainEconomics,
    now: datetime,
) -> Estimate | None:
    """The chain's progress with its rate and expected finish: none for a chain that stopped; a
    finished chain's finish is its last end."""
    if progress is None:
        return None
    if state.is_final:
        rate = estimate(progress, economics.pace(None, None), now).rate_per_hour
        last_end = max((local_time(lk.end) for lk in links if lk.end is not None), default=None)
        return Estimate(progress, rate, None, None, last_end if state is ChainState.DONE else None, final=True)
    last = links[-1] if links else None
    figures = economics.links[-1] if economics.links else None
    if last is None or figures is None or figures.attempt != last.attempt:
        return estimate(progress, economics.pace(None, economics.gap_s), now)  # being submitted
    if last.start is not None and last.end is None:
        return estimate(progress, economics.pace(figures, None), now)
    waiting: float | None = None
    if last.expected_start is not None:
        waiting = (local_time(last.expected_start) - now).total_seconds()
    elif economics.gap_s is not None:
        so_far = float(figures.lost_before_s or 0)  # pending: since the previous link ended
        if not figures.waiting and last.end is not None:  # between links: the next one is not submitted yet
            so_far = (now - local_time(last.end)).total_seconds()
        waiting = economics.gap_s - so_far
    return estimate(progress, economics.pace(None, None if waiting is None else max(0.0, waiting)), now)


CONTINUE_PREFIX = LinkOutcome.CONTINUE.value + ": "  # a recorded decision label: `continue: time limit`


def with_continuations(links: tuple[LinkView, ...]) -> tuple[LinkView, ...]:
    """Links whose ending continued the chain, marked with why and with the next link's job id."""
    marked = list(links)
    for index, link in enumerate(links):
        if link.decision and link.decision.startswith(CONTINUE_PREFIX):
            following = links[index + 1] if index + 1 < len(links) else None
            marked[index] = replace(
                link, continued_because=link.decision[len(CONTINUE_PREFIX) :],
                next_job_id=following.job_id if following else None,
            )  # fmt: skip
    return tuple(marked)


def needs_attention(state: ChainState, ended_by_person: bool, last: LinkView | None) -> bool:
    """A stopped chain waits for a person, unless a person ended it (cancel, stop) or it was cancelled."""
    if state is not ChainState.STOPPED or ended_by_person:
        return False
    return not (last is not None and last.decision and last.decision.startswith(LinkOutcome.CANCELLED.value))


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
            elapsed=row.elapsed, time_limit=row.time_limit, oom_step=acc.out_of_memory_step,
        )  # fmt: skip
        names.setdefault(key, (row.name, row.work_dir or "."))
    held: set[tuple[str, str, int]] = set()  # pending behind a dependency: a chain's queued successor
    for rec in queued:
        tag = parse_comment_tag(rec.comment)
        if tag is None:
            continue
        key = (rec.user, tag[0])
        if rec.state is JobState.PENDING and (rec.reason or "").startswith("Dependency"):
            held.add((rec.user, tag[0], tag[1]))
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
        successors: list[Link] = []
        while len(links) > 1 and (owner, chain_id, links[-1].attempt) in held:  # queued behind the link before it
            successors.insert(0, links.pop().with_(after=links[-1].job_id))
        # every ended link judged by the default rules, so that a checkpointed link reads as one
        decided = [(link, _default_decision(link) if link.ended else None) for link in links]
        links = [link.with_(decision=d.label) if d is not None else link for link, d in decided]
        last_decision = decided[-1][1]
        if last_decision is None:
            state, reason = ChainState.RUNNING, None
        else:
            state = {
                LinkOutcome.FINISHED: ChainState.DONE,
                LinkOutcome.CONTINUE: ChainState.CONTINUING,
            }.get(last_decision.outcome, ChainState.STOPPED)
            reason = last_decision.reason
        statuses.append(ChainStatus(spec=spec, state=state, reason=reason, links=tuple(links),
                                    successors=tuple(successors)))  # fmt: skip
    return statuses


def _default_decision(link: Link) -> Decision:
    """What the default policy decides for a link's recorded ending (the chain's own policy is unknown)."""
    ending = LinkEnding(JobState[link.state], link.exit_status, link.elapsed, link.time_limit, oom_step=link.oom_step)
    return decide(ending, Policy(), ChainHistory())


def focus_view(
    acct: JobAccounting,
    diagnosis: DiagnosisResult | None,
    live_memory: LiveMemory | None = None,
    live_memory_problem: str | None = None,
) -> FocusView:
    """The selected link's job for the Steps and Diagnosis panes; a running one's live memory (sstat)."""
    requested = acct.requested_memory
    return FocusView(
        job_id=acct.job_id,
        ended=acct.job.state.is_terminal,
        requested_memory=requested,
        rows=tuple(step_view(row, acct.usage.request.per_node) for row in (acct.job, *acct.steps)),
        diagnosis=diagnosis,
        usage=acct.usage,
        live_memory=live_memory,
        live_memory_problem=live_memory_problem,
    )


def step_view(row: SacctRow, requested_per_node: MemorySize | None) -> StepView:
    """A row of the Steps pane; its percentage is the step's peak per node (all its tasks on one node,
    app.model.usage) of the request per node, as `longrun report` and explain compare them."""
    rss = row.max_rss
    peak = step_peak(row) if row.step is not None else None
    percent = None
    if peak is not None and requested_per_node is not None and requested_per_node.bytes:
        percent = peak.per_node.percent_of(requested_per_node)
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
