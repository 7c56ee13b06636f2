"""A chain's state, derived from its spec and its event log: the ONE place that replays events.

Nothing about a chain's progress is stored twice: the supervisor, the CLI and the TUI all call
`derive()` on what the registry holds, and overlay live Slurm data only for display.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from app.model.chain import ChainSpec, ChainState, ChainStatus, Link
from app.model.exit_status import ExitStatus, ExitStatusParseError
from app.model.outcome import LinkOutcome
from app.model.units import Duration, MemorySize

# Event types, in the order they usually appear.
CREATED = "created"
SUBMIT_INTENT = "submit_intent"  # written BEFORE sbatch: {attempt, options}
SUBMITTED = "submitted"  # written after sbatch returned: {attempt, job_id}
INTENT_LOST = "intent_lost"  # reconcile: no job carries this attempt's comment: {attempt}
SUBMIT_FAILED = "submit_failed"  # sbatch refused for good: {attempt, error}
OBSERVED_END = "observed_end"  # {attempt, job_id, state, exit, start, end, elapsed, time_limit, ...}
DECISION = "decision"  # {attempt, outcome, reason, new_memory?}
CANCEL_REQUESTED = "cancel_requested"  # {by}
CANCELLED = "cancelled"  # scancel sent for {job_id}
GAVE_UP = "gave_up"  # {reason}
REINIT = "reinit"  # {by}: a fresh restart budget and a new link
RESUBMIT_REQUESTED = "resubmit_requested"  # {by}: one more link now


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _dur(value: Any) -> Duration | None:
    return Duration(int(value)) if isinstance(value, int | float) else None


def _exit(value: Any) -> ExitStatus | None:
    if not isinstance(value, str):
        return None
    try:
        return ExitStatus.parse(value)
    except ExitStatusParseError:
        return None


def derive(spec: ChainSpec, events: Sequence[dict[str, Any]]) -> ChainStatus:
    state = ChainState.WAITING
    reason: str | None = None
    links: list[dict[str, Any]] = []  # Link fields; Links are built once at the end (replay is hot)
    restart_base = 0
    cancel = False
    extra = False
    next_options: tuple[str, ...] = ()

    def update(attempt: int, **changes: Any) -> None:
        for fields in reversed(links):
            if fields["attempt"] == attempt:
                fields.update(changes)
                return

    for event in events:
        kind = event.get("type")
        attempt = int(event.get("attempt", 0) or 0)
        if kind == SUBMIT_INTENT:
            if links and links[-1]["attempt"] == attempt and links[-1].get("job_id") is None:
                links.pop()  # a retried intent replaces the one that never got a job id
            links.append(
                {"attempt": attempt, "options": tuple(event.get("options") or ()), "intent_at": _dt(event.get("t"))}
            )
            state, reason, extra = ChainState.RUNNING, None, False
        elif kind == SUBMITTED:
            update(attempt, job_id=str(event["job_id"]), state="PENDING", submit=_dt(event.get("t")))
        elif kind == INTENT_LOST:
            if links and links[-1]["attempt"] == attempt and links[-1].get("job_id") is None:
                links.pop()
            if not cancel and state is ChainState.RUNNING:
                state = ChainState.CONTINUING if links else ChainState.WAITING
        elif kind == SUBMIT_FAILED:
            update(attempt, state="SUBMIT_FAILED", ended=True, ending="sbatch refused")
            state, reason = ChainState.STOPPED, f"sbatch refused: {event.get('error', '')}".strip()
        elif kind == OBSERVED_END:
            update(
                attempt,
                ended=True,
                job_id=str(event.get("job_id")) if event.get("job_id") else None,
                state=str(event.get("state")),
                exit_status=_exit(event.get("exit")),
                start=_dt(event.get("start")),
                end=_dt(event.get("end")),
                elapsed=_dur(event.get("elapsed")),
                time_limit=_dur(event.get("time_limit")),
                ending=event.get("ending"),
            )
        elif kind == DECISION:
            outcome = LinkOutcome(event["outcome"])
            text = str(event.get("reason", ""))
            update(attempt, decision=f"{outcome.value}: {text}")
            if event.get("new_memory"):
                mem = MemorySize(int(event["new_memory"])).sbatch_value()
                next_options = (*[o for o in next_options if not o.startswith("--mem=")], f"--mem={mem}")
            if cancel:
                continue
            if outcome is LinkOutcome.FINISHED:
                state, reason = ChainState.DONE, (text if text != "completed" else None)
            elif outcome is LinkOutcome.CONTINUE:
                state, reason = ChainState.CONTINUING, text
            else:
                state, reason = ChainState.STOPPED, text
        elif kind == CANCEL_REQUESTED:
            cancel = True
            if state is not ChainState.DONE:
                state, reason = ChainState.STOPPED, f"cancelled by {event.get('by') or 'its owner'}"
        elif kind == GAVE_UP:
            state, reason = ChainState.STOPPED, str(event.get("reason", "gave up"))
        elif kind in (REINIT, RESUBMIT_REQUESTED):
            cancel = False
            if kind == REINIT:
                restart_base = len(links)
            else:
                extra = True
            state = ChainState.CONTINUING if links else ChainState.WAITING
            reason = f"{kind.replace('_requested', '')} by {event.get('by') or 'its owner'}"

    return ChainStatus(
        spec=spec,
        state=state,
        reason=reason,
        links=tuple(Link(**fields) for fields in links),
        restart_base=restart_base,
        cancel_requested=cancel,
        extra_link_allowed=extra,
        next_options=next_options,
    )


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
