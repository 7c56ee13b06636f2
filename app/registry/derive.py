"""A chain's state, derived from its spec and its event log: the ONE place that replays events.

Nothing about a chain's progress is stored twice: Registry.status() and statuses() replay the
typed events (app/registry/events.py) through `derive()` for the supervisor, the CLI and the TUI,
which overlay live Slurm data only for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from app.model.chain import ChainSpec, ChainState, ChainStatus, Link, SettingsChange
from app.model.outcome import LinkOutcome
from app.model.policy import Policy
from app.model.sbatch_options import MemoryAsk
from app.model.units import Duration, MemorySize
from app.registry.events import (
    Archived,
    Cancelled,
    CancelRequested,
    ChainEvent,
    Decision,
    IntentLost,
    LinkExited,
    Notified,
    ObservedEnd,
    Reinit,
    ResubmitRequested,
    RunRefused,
    SettingsChanged,
    StopRequested,
    SubmitFailed,
    SubmitIntent,
    Submitted,
    Unarchived,
    UnknownEvent,
    Withdrawn,
    WorkStarted,
)
from app.slurm.options import replace_options


def derive(spec: ChainSpec, events: Iterable[ChainEvent]) -> ChainStatus:
    state = ChainState.WAITING
    reason: str | None = None
    entries: list[dict[str, object]] = []  # Link fields of every queued job, links and successors alike
    reinits = 0
    cancel = False
    extra = False
    next_options: tuple[str, ...] = ()
    unknown: dict[str, None] = {}
    stop_by: str | None = None
    archived = False
    settings: list[SettingsChange] = []
    known: set[str] = set()
    notified = 0

    def find(attempt: int | None, job_id: str | None = None) -> dict[str, object] | None:
        """The entry of this job id; else the newest of this attempt (without a job id first)."""
        if job_id is not None:
            for fields in reversed(entries):
                if fields.get("job_id") == job_id:
                    return fields
        if attempt is None:
            return None
        for fields in reversed(entries):
            if fields["attempt"] == attempt and fields.get("job_id") is None:
                return fields
        for fields in reversed(entries):
            if fields["attempt"] == attempt:
                return fields
        return None

    def update(attempt: int | None, key: str | None = None, **changes: object) -> None:
        fields = find(attempt, key)
        if fields is not None:
            fields.update(changes)

    def pending_intent(attempt: int) -> dict[str, object] | None:
        for fields in reversed(entries):
            if fields["attempt"] == attempt and fields.get("job_id") is None and not fields.get("ended"):
                return fields
        return None

    for event in events:
        if isinstance(event, SubmitIntent):
            retried = pending_intent(event.attempt)
            if retried is not None:
                entries.remove(retried)  # a retried intent replaces the one that never got a job id
            entries.append(
                {
                    "attempt": event.attempt,
                    "options": event.options,
                    "intent_at": event.t,
                    "progress_before": event.progress,
                    "done_before": event.done_before,
                    "after": event.after,
                    "gen": reinits,
                }
            )
            if event.after is None:
                state, reason, extra = ChainState.RUNNING, None, False
        elif isinstance(event, Submitted):
            known.add(event.job_id)
            update(event.attempt, None, job_id=event.job_id, state="PENDING", submit=event.t)
        elif isinstance(event, IntentLost):
            lost = pending_intent(event.attempt)
            if lost is not None:
                entries.remove(lost)
            if not cancel and state is ChainState.RUNNING:
                state = ChainState.CONTINUING if entries else ChainState.WAITING
        elif isinstance(event, SubmitFailed):
            update(event.attempt, None, state="SUBMIT_FAILED", ended=True, ending="sbatch refused")
            state, reason = ChainState.STOPPED, f"sbatch refused: {event.error}".strip()
        elif isinstance(event, RunRefused):
            update(event.attempt, event.job_id, state="REFUSED", ended=True, ending="not run",
                   decision=f"{LinkOutcome.NEEDS_PERSON.value}: {event.error}")  # fmt: skip
            if not cancel:
                state, reason = ChainState.STOPPED, event.error or "the link's work was not run"
        elif isinstance(event, ObservedEnd):
            known.add(event.job_id)
            update(
                event.attempt,
                event.job_id,
                ended=True,
                job_id=event.job_id,
                state=event.state.name,
                exit_status=event.exit,
                start=event.start,
                end=event.end,
                elapsed=Duration(event.elapsed) if event.elapsed is not None else None,
                time_limit=Duration(event.time_limit) if event.time_limit is not None else None,
                ending=event.ending,
                requested_memory=MemorySize(event.req_mem) if event.req_mem is not None else None,
                cancelled_by_uid=event.cancelled_by,
                oom_step=event.oom_step,
                memory_ask=MemoryAsk.recorded(
                    event.mem_ask, MemorySize(event.req_mem_per_node) if event.req_mem_per_node is not None else None
                ),
            )
        elif isinstance(event, WorkStarted):
            known.add(event.job_id)
            fields = find(event.attempt, event.job_id)
            if fields is not None:
                fields["work_started"] = True
                if event.done_before is not None:
                    fields["done_before"] = event.done_before
                if not fields.get("ended"):
                    fields["state"] = "RUNNING"
        elif isinstance(event, LinkExited):
            update(event.attempt, event.job_id, exited=event.exit)
        elif isinstance(event, Withdrawn):
            known.add(event.job_id)
            entries[:] = [fields for fields in entries if fields.get("job_id") != event.job_id]
        elif isinstance(event, Decision):
            outcome = event.outcome
            fields = find(event.attempt)
            if fields is not None:
                fields["decision"] = f"{outcome.value}: {event.reason}"
                fields["decided_by"] = event.by
            if event.new_memory:
                grown = MemoryAsk(event.new_memory_option or "mem", MemorySize(event.new_memory)).as_option()
                next_options = replace_options(next_options, [grown])  # --mem-per-cpu replaces --mem too
            if cancel:
                continue
            if stop_by is not None and outcome is LinkOutcome.CONTINUE:
                state, reason = ChainState.STOPPED, f"stopped by {stop_by}"
            elif outcome is LinkOutcome.FINISHED:
                state, reason = ChainState.DONE, (event.reason if event.reason != "completed" else None)
            elif outcome is LinkOutcome.CONTINUE:
                state, reason = ChainState.CONTINUING, event.reason
            else:
                state, reason = ChainState.STOPPED, event.reason
        elif isinstance(event, CancelRequested):
            cancel = True
            if state is not ChainState.DONE:
                state, reason = ChainState.STOPPED, f"cancelled by {event.by or 'its owner'}"
        elif isinstance(event, StopRequested):
            stop_by = event.by or "its owner"
            regular = [fields for fields in entries if fields.get("after") is None or fields.get("work_started")]
            last = regular[-1] if regular else None
            live = last is not None and not last.get("ended") and last.get("state") not in ("SUBMIT_FAILED", "REFUSED")
            if live and not state.is_final:
                reason = f"stopping: {stop_by} asked it to checkpoint and stop"
            elif not state.is_final:
                state, reason = ChainState.STOPPED, f"stopped by {stop_by}"
        elif isinstance(event, SettingsChanged):
            spec = _apply_settings(spec, event)
            settings.append(SettingsChange(event.t, event.by, event.given, tuple(sorted((event.policy or {}).items()))))
            if event.sbatch_options is not None:
                next_options = ()  # the person's options were made from them
        elif isinstance(event, Archived | Unarchived):
            archived = isinstance(event, Archived)
        elif isinstance(event, Cancelled):
            known.add(event.job_id)
            update(None, event.job_id, cancelled=True)
        elif isinstance(event, Reinit | ResubmitRequested):
            cancel, stop_by, archived = False, None, False
            if isinstance(event, Reinit):
                reinits += 1
                what = "reinit"
            else:
                extra = True
                what = "resubmit"
            state = ChainState.CONTINUING if entries else ChainState.WAITING
            reason = f"{what} by {event.by or 'its owner'}"
        elif isinstance(event, Notified):
            notified = max(notified, event.attempt)
        elif isinstance(event, UnknownEvent):
            unknown[event.kind] = None
        # Created changes nothing that is derived.

    links, successors, restart_base = _promote(entries, reinits)
    if not cancel and state in (ChainState.CONTINUING, ChainState.WAITING) and links and links[-1].is_live:
        state, reason = ChainState.RUNNING, None  # a queued successor became the chain's next link
    return ChainStatus(
        spec=spec,
        state=state,
        reason=reason,
        links=tuple(links),
        restart_base=restart_base,
        cancel_requested=cancel,
        extra_link_allowed=extra,
        next_options=next_options,
        unknown_kinds=tuple(unknown),
        stop_requested_by=stop_by,
        archived=archived,
        changes=tuple(settings),
        successors=tuple(successors),
        known_jobs=frozenset(known),
        notified=notified,
    )


def _apply_settings(spec: ChainSpec, event: SettingsChanged) -> ChainSpec:
    """The spec the next links use after a settings change (spec.json itself is never rewritten)."""
    policy = spec.policy
    if event.policy:
        policy = Policy.from_json({**spec.policy.to_json(), **event.policy})
    options = event.sbatch_options if event.sbatch_options is not None else spec.sbatch_options
    return replace(spec, policy=policy, sbatch_options=options)


def _promote(entries: list[dict[str, object]], reinits: int) -> tuple[list[Link], list[Link], int]:
    """Split the queued jobs into the chain's links and its successors; count the links before the
    last reinit (the restart budget counts from there).

    A job queued behind another (`after`) becomes a link once the link before it was decided
    `continue`; until then it is a successor, waiting to decide. A successor that was cancelled
    before it ran is gone.
    """
    links: list[Link] = []
    successors: list[Link] = []
    before_reinit = 0
    for fields in entries:
        generation = fields.pop("gen")
        link = Link(**fields)  # type: ignore[arg-type]
        if link.after is None or not links or (links[-1].continued and not links[-1].is_live):
            links.append(link)
            before_reinit += generation < reinits  # type: ignore[operator]
        elif not link.cancelled:
            successors.append(link)
    return links, successors, before_reinit


def upstream_block(status: ChainStatus, lookup: Callable[[str], ChainStatus | None]) -> tuple[bool, str | None]:
    """For a chain whose first link waits for upstream chains: (ready to submit, why not)."""
    waiting: list[str] = []
    for upstream_id in status.spec.depends_on:
        upstream = lookup(upstream_id)
        if upstream is None:
            return False, f"upstream {upstream_id} is not in the registry"
        name = upstream.spec.name
        if upstream.state is ChainState.STOPPED:
            return False, f"upstream {name} stopped: {upstream.reason or 'stopped'}"
        if upstream.state is not ChainState.DONE:
            waiting.append(name)
    if waiting:
        return False, "waiting for upstream " + ", ".join(waiting)
    return True, None


def needs_submission(status: ChainStatus) -> bool:
    """The chain wants a new link now (dependencies aside): no live link and not final."""
    if status.cancel_requested or status.state.is_final:
        return False
    if status.live_link is not None:
        return False
    return status.state in (ChainState.CONTINUING, ChainState.WAITING)
