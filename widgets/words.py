"""How the dashboard words a link's ending and a chain's next step, for a person (pure text).

A link that continued the chain (exit 75, a time limit, a preemption...) is what a healthy chain
is made of: it is worded "checkpointed (exit 75) → continued as job 125", never as a failure.
The recorded decision labels (`needs_person: out of memory`) become plain words.
"""

from __future__ import annotations

from app.model.chain import ChainState
from app.views import ChainView, DiagnosisResult, LinkView
from widgets.styling import compact_duration

# LinkOutcome values, as recorded in a decision label, in words
_OUTCOMES = {
    "continue": "continued",
    "needs_person": "needs a person",
    "finished": "finished",
    "cancelled": "cancelled",
    "keep_watching": "still the same job",
}
LIVE_STATES = ("PENDING", "RUNNING", "REQUEUED", "SUSPENDED", "COMPLETING", "CONFIGURING", "SUBMITTING")


def decision_words(decision: str | None) -> str:
    """`needs_person: out of memory` -> `needs a person: out of memory`."""
    if not decision:
        return ""
    outcome, sep, reason = decision.partition(": ")
    words = _OUTCOMES.get(outcome)
    if words is None:
        return decision
    if outcome == "finished" and reason == "completed":
        return "finished"
    return f"{words}: {reason}" if sep else words


def continued_short(link: LinkView) -> str | None:
    """The State cell of a link that continued the chain: `checkpointed`, `time limit`, `preempted`."""
    why = link.continued_because
    if why is None:
        return None
    return why.split(" (", 1)[0].split(":", 1)[0]


def continued_words(link: LinkView) -> str | None:
    """`checkpointed (exit 75) → continued as job 125`; None for a link that did not continue."""
    why = link.continued_because
    if why is None:
        return None
    return f"{why} → " + (f"continued as job {link.next_job_id}" if link.next_job_id else "continuing")


def outcome_words(link: LinkView, by_person: bool = False) -> str:
    """The Outcome cell: how a link's ending was answered; empty while it is live. `by_person`: a
    person ended the chain at this link (stop, cancel): the reason alone, not "needs a person"."""
    continued = continued_words(link)
    if continued is not None:
        return continued
    if link.decision:
        return link.decision.partition(": ")[2] if by_person else decision_words(link.decision)
    return link.ending or ""


def is_live(link: LinkView) -> bool:
    return link.state.split(" ")[0] in LIVE_STATES and not link.decision


def last_link_words(chain: ChainView) -> str:
    """Why the chain's newest link ended (or where it is now), short: the chain's reason is said elsewhere."""
    if not chain.links:
        return "no link submitted yet"
    link = chain.links[-1]
    job = f"job {link.job_id}" if link.job_id else f"link {link.attempt} (no job id yet)"
    if is_live(link):
        state = link.state.split(" ")[0].lower()
        return f"{job} is {state}" + (f" ({_clock(link)})" if link.elapsed is not None else "")
    continued = continued_words(link)
    if continued is not None:
        return f"{job}: {continued}"
    ended = f"{job} ended {link.ending or link.state}"
    outcome = (link.decision or "").partition(": ")[0]
    after = {"finished": "the chain finished", "needs_person": "the chain stopped", "cancelled": "cancelled"}
    return f"{ended} → {after[outcome]}" if outcome in after else ended


def _clock(link: LinkView) -> str:
    if link.elapsed is None:
        return ""
    if link.time_limit is None:
        return f"{compact_duration(link.elapsed)} so far"
    return f"{compact_duration(link.elapsed)} of {compact_duration(link.time_limit)}"


def what_to_do(chain: ChainView, diagnosis: DiagnosisResult | None, may_act: bool) -> str:
    """The chain's next step for a person: nothing (it goes on by itself), or the fix and the key."""
    state = chain.state
    if state is ChainState.WAITING:
        return f"nothing yet: {chain.reason}" if chain.reason else "nothing: its first link is about to be submitted"
    if state is ChainState.CONTINUING:
        return "nothing: the next link is being submitted"
    if chain.stopping:
        return "nothing: it was asked to stop; no link follows the one that is running"
    if state is ChainState.RUNNING:
        live = chain.links[-1] if chain.links else None
        if live is not None and live.state.startswith("PENDING"):
            return f"nothing: job {live.job_id} waits in the queue; the chain goes on by itself"
        return "nothing: the chain goes on by itself" + (" (x: checkpoint and stop)" if may_act else "")
    if state is ChainState.DONE:
        return chain.reason if chain.reason else "nothing: the chain finished"
    if not chain.needs_attention:
        return f"nothing: {chain.reason or 'stopped'}" + (" (r: resubmit, i: reinitialize)" if may_act else "")
    last = chain.links[-1] if chain.links else None
    fix = first_sentence(diagnosis.suggestion) if diagnosis is not None and diagnosis.suggestion else None
    keys = ""
    if may_act:
        keys = " (r: resubmit with its options, editable)" if diagnosis and diagnosis.fix_options else " (r: resubmit)"
    if fix:
        return f"Fix: {fix}{keys}"
    where = f"the Diagnosis of job {last.job_id}" if last is not None and last.job_id else "the Diagnosis pane"
    return f"see {where}{keys}"


def first_sentence(text: str) -> str:
    """The first sentence of a suggestion, on one line (the Diagnosis pane has the rest)."""
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]
