"""A chain link's place in its chain: which chain, which attempt, what was decided and why and by
whom (the job queued after the link, inside Slurm, or the supervisor), and the next link's job id
(or why there is none). Pure: read from the chain's derived status (app.model.chain), as the
owner's registry records it (who decided is recorded with each decision since this version).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.model.chain import DECIDED_BY_SUPERVISOR, ChainState, ChainStatus, Link


@dataclass(frozen=True)
class ChainStory:
    chain_id: str
    name: str
    owner: str
    attempt: int
    attempt_limit: int | None  # the highest attempt the restart budget allows; None: no limit
    chain_state: str  # ChainState value: RUNNING, CONTINUING, DONE, STOPPED, WAITING
    chain_reason: str | None
    decision: str | None  # the decision on this link's ending, e.g. "continue: time limit"
    decided_by: str | None  # "job 1234" (the job queued after it, inside Slurm), "supervisor"; None: not known
    next_attempt: int | None
    next_job_id: str | None
    next_state: str | None
    why_no_next: str | None  # when there is no next link

    def sentences(self) -> list[str]:
        limit = f" of at most {self.attempt_limit}" if self.attempt_limit is not None else ""
        lines = [f"Link {self.attempt}{limit} of longrun chain {self.name} ({self.chain_id}), owner {self.owner}."]
        if self.decision:
            lines.append(f"{self.decider()} decided: {self.decision}.")
        if self.next_attempt is not None:
            job = f"job {self.next_job_id}" if self.next_job_id else "job id not recorded yet"
            lines.append(f"Next link: attempt {self.next_attempt}, {job} ({self.next_state}).")
        elif self.why_no_next != LIVE:  # a running link has no next one yet: nothing to tell
            lines.append(f"No next link: {self.why_no_next}.")
        return lines

    def decider(self) -> str:
        if self.decided_by == DECIDED_BY_SUPERVISOR:
            return "The supervisor"
        if self.decided_by:
            return f"The successor {self.decided_by}"  # the job queued after this link, inside Slurm
        return "The job queued after it or the supervisor (this chain's record does not say which)"

    def as_json(self) -> dict[str, object]:
        return {
            "chain_id": self.chain_id, "name": self.name, "owner": self.owner, "attempt": self.attempt,
            "attempt_limit": self.attempt_limit, "chain_state": self.chain_state, "chain_reason": self.chain_reason,
            "decision": self.decision, "decided_by": self.decided_by, "next_attempt": self.next_attempt,
            "next_job_id": self.next_job_id,
            "next_state": self.next_state, "why_no_next": self.why_no_next,
        }  # fmt: skip


LIVE = "this link has not ended yet"


def _why_no_next(status: ChainStatus, link: Link) -> str:
    if link.is_live:
        return LIVE
    state, reason = status.state, status.reason
    if link.decision is None and status.spec.in_slurm:
        return "nobody has decided on this link's ending yet (the job queued after it does when it starts)"
    if link.decision is None:
        return ("the supervisor has not decided on this link's ending yet (it does at its next poll; "
                "`longrun supervise --ensure` starts it if it is not running)")  # fmt: skip
    if state is ChainState.CONTINUING and status.spec.in_slurm:
        return "it was decided to continue; the next link is being queued"
    if state is ChainState.CONTINUING:
        return "the supervisor decided to continue and is about to submit it"
    if state is ChainState.DONE:
        return "the chain is done" + (f" ({reason})" if reason else "")
    if state is ChainState.STOPPED:
        return f"the chain stopped: {reason or 'it needs a person'} (`longrun resubmit` or `longrun reinit` goes on)"
    return f"the chain is {state.value.lower()}" + (f": {reason}" if reason else "")


def _decided_by(status: ChainStatus, link: Link) -> str | None:
    """As recorded; a supervised chain's decisions are all its supervisor's (recorded or not)."""
    if not link.decision:
        return None
    return link.decided_by or (None if status.spec.in_slurm else DECIDED_BY_SUPERVISOR)


def chain_story(status: ChainStatus, link: Link) -> ChainStory:
    later = [other for other in status.links if other.attempt > link.attempt]
    following = min(later, key=lambda other: other.attempt) if later else None
    limit = status.spec.policy.max_restarts
    return ChainStory(
        chain_id=status.chain_id,
        name=status.spec.name,
        owner=status.spec.owner,
        attempt=link.attempt,
        attempt_limit=None if limit is None else status.restart_base + limit + 1,
        chain_state=status.state.value,
        chain_reason=status.reason,
        decision=link.decision,
        decided_by=None
        if not link.decision
        else link.decided_by or (None if status.spec.in_slurm else DECIDED_BY_SUPERVISOR),
        next_attempt=following.attempt if following else None,
        next_job_id=following.job_id if following else None,
        next_state=following.state if following else None,
        why_no_next=None if following else _why_no_next(status, link),
    )
