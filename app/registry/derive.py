"""A chain's state, derived from its spec and its event log: the ONE place that replays events.

Nothing about a chain's progress is stored twice: Registry.status() and statuses() replay the
typed events (app/registry/events.py) through `derive()` for the supervisor, the CLI and the TUI,
which overlay live Slurm data only for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from app.model.chain import ChainSpec, ChainState, ChainStatus, Link, MemoryAsk, Policy, SettingsChange
from app.model.outcome import LinkOutcome
from app.model.units import Duration, MemorySize
from app.registry.events import (
    Archived,
    CancelRequested,
    ChainEvent,
    Decision,
    IntentLost,
    ObservedEnd,
    Reinit,
    ResubmitRequested,
    SettingsChanged,
    StopRequested,
    SubmitFailed,
    SubmitIntent,
    Submitted,
    Unarchived,
    UnknownEvent,
)
from app.slurm.options import replace_options


def derive(spec: ChainSpec, events: Iterable[ChainEvent]) -> ChainStatus:
    state = ChainState.WAITING
    reason: str | None = None
    links: list[dict[str, object]] = []  # Link fields; Links are built once at the end (replay is hot)
    restart_base = 0
    cancel = False
    extra = False
    next_options: tuple[str, ...] = ()
    unknown: dict[str, None] = {}
    stop_by: str | None = None
    archived = False
    settings: list[SettingsChange] = []

    def update(attempt: int, **changes: object) -> None:
        for fields in reversed(links):
            if fields["attempt"] == attempt:
                fields.update(changes)
                return

    def intent_pending(attempt: int) -> bool:
        return bool(links) and links[-1]["attempt"] == attempt and links[-1].get("job_id") is None

    for event in events:
        if isinstance(event, SubmitIntent):
            if intent_pending(event.attempt):
                links.pop()  # a retried intent replaces the one that never got a job id
            links.append(
                {
                    "attempt": event.attempt,
                    "options": event.options,
                    "intent_at": event.t,
                    "progress_before": event.progress,
                    "done_before": event.done_before,
                }
            )
            state, reason, extra = ChainState.RUNNING, None, False
        elif isinstance(event, Submitted):
            update(event.attempt, job_id=event.job_id, state="PENDING", submit=event.t)
        elif isinstance(event, IntentLost):
            if intent_pending(event.attempt):
                links.pop()
            if not cancel and state is ChainState.RUNNING:
                state = ChainState.CONTINUING if links else ChainState.WAITING
        elif isinstance(event, SubmitFailed):
            update(event.attempt, state="SUBMIT_FAILED", ended=True, ending="sbatch refused")
            state, reason = ChainState.STOPPED, f"sbatch refused: {event.error}".strip()
        elif isinstance(event, ObservedEnd):
            update(
                event.attempt,
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
        elif isinstance(event, Decision):
            outcome = event.outcome
            update(event.attempt, decision=f"{outcome.value}: {event.reason}")
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
            live = bool(links) and not links[-1].get("ended") and links[-1].get("state") != "SUBMIT_FAILED"
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
        elif isinstance(event, Reinit | ResubmitRequested):
            cancel, stop_by, archived = False, None, False
            if isinstance(event, Reinit):
                restart_base = len(links)
                what = "reinit"
            else:
                extra = True
                what = "resubmit"
            state = ChainState.CONTINUING if links else ChainState.WAITING
            reason = f"{what} by {event.by or 'its owner'}"
        elif isinstance(event, UnknownEvent):
            unknown[event.kind] = None
        # Created and Cancelled change nothing that is derived.

    return ChainStatus(
        spec=spec,
        state=state,
        reason=reason,
        links=tuple(Link(**fields) for fields in links),  # type: ignore[arg-type]
        restart_base=restart_base,
        cancel_requested=cancel,
        extra_link_allowed=extra,
        next_options=next_options,
        unknown_kinds=tuple(unknown),
        stop_requested_by=stop_by,
        archived=archived,
        changes=tuple(settings),
    )


def _apply_settings(spec: ChainSpec, event: SettingsChanged) -> ChainSpec:
    """The spec the next links use after a settings change (spec.json itself is never rewritten)."""
    policy = spec.policy
    if event.policy:
        policy = Policy.from_json({**spec.policy.to_json(), **event.policy})
    options = event.sbatch_options if event.sbatch_options is not None else spec.sbatch_options
    return replace(spec, policy=policy, sbatch_options=options)


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
